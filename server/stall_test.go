package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
)

// stallingSource serves one file; while stall is set, a download sends its
// first bytes and then nothing, as a server that hangs mid-file.
type stallingSource struct {
	content string
	stall   *atomic.Bool
	// hungUp, while set, makes List fail as a server that drops the connection.
	hungUp *atomic.Bool
}

func (s stallingSource) List(context.Context) ([]qluster.RemoteFile, error) {
	if s.hungUp.Load() {
		return nil, fmt.Errorf("%w: the server hung up", qluster.ErrConnection)
	}
	return []qluster.RemoteFile{{Key: "orders.csv", Size: int64(len(s.content))}}, nil
}

func (s stallingSource) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if !s.stall.Load() {
		return io.NopCloser(strings.NewReader(s.content)), nil
	}
	return io.NopCloser(io.MultiReader(strings.NewReader(s.content[:10]), hang{ctx})), nil
}

func (stallingSource) Close() error { return nil }

// hang blocks a read until ctx ends.
type hang struct{ ctx context.Context }

func (h hang) Read([]byte) (int, error) {
	<-h.ctx.Done()
	return 0, h.ctx.Err()
}

// TestStalledDownloadIsBoundedByConnectionTimeout: a source that stops
// sending part-way through a file holds the poll no longer than the data
// source's connection_timeout: the take fails with a connection_issue alert
// that says so, nothing half-taken stays, and the retry takes the file whole.
func TestStalledDownloadIsBoundedByConnectionTimeout(t *testing.T) {
	t.Parallel()
	stall := &atomic.Bool{}
	stall.Store(true)
	src := stallingSource{content: "id,qty\n1,5\n2,6\n3,7\n", stall: stall, hungUp: &atomic.Bool{}}
	b := setupWith(t, func(o *server.EngineOptions) {
		o.CustomSource = func(context.Context, *qluster.DataSource) (qluster.Source, error) { return src, nil }
	})
	ds, _ := b.trainedDataset("stalled", client.ApplyAsap)
	res, err := b.admin.PostDataSourceModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(map[string]any{
		"name": "hangs", "settings_model_id": ds.SettingsModel.Id, "dataset_id": ds.Id, "data_source_type": "custom",
		"state": "active", "connection_timeout": 1}))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	id := res.JSON200.Id
	r, err := b.admin.RunSensorJobNowWithResponse(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.StatusCode(), string(r.Body))

	var alert client.Alert
	b.eventually("a connection_issue alert", func() bool {
		a, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DataSourceModelId: &id})
		require.NoError(t, err)
		for _, x := range a.JSON200.Results {
			if *x.AlertType == client.AlertTypeConnectionIssue {
				alert = x
				return true
			}
		}
		return false
	})
	require.Contains(t, *alert.Msg, "orders.csv sent nothing for 1s (connection_timeout)")
	items, err := b.admin.GetStoredItemsWithResponse(b.ctx, &client.GetStoredItemsParams{DataSourceModelId: &id})
	require.NoError(t, err)
	require.Empty(t, items.JSON200.Results, "nothing half-taken stays")

	// The next try fails for another reason: the same alert counts it and
	// tells the latest cause.
	src.hungUp.Store(true)
	b.eventually("the alert to tell the latest cause", func() bool {
		got := b.getAlert(alert.Id)
		return *got.Count == 2 && strings.Contains(*got.Msg, "the server hung up")
	})

	src.hungUp.Store(false)
	stall.Store(false) // the server answers again: the poll's retry takes the file whole
	b.eventually("the file taken whole", func() bool {
		items, err := b.admin.GetStoredItemsWithResponse(b.ctx, &client.GetStoredItemsParams{DataSourceModelId: &id})
		require.NoError(t, err)
		return len(items.JSON200.Results) == 1 && items.JSON200.Results[0].Signature != nil
	})
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 1)
	require.Equal(t, 3, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
	b.eventually("the successful poll to resolve the alert", func() bool { return b.getAlert(alert.Id).ResolvedAt != nil })
}
