package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
)

// backup makes a local backup settings row and returns its id.
func (b *bundle) backup() int {
	b.t.Helper()
	res, err := b.admin.PostBackupSettingsModelWithResponse(b.ctx, client.BackupSettingsPostRequest{BackupType: client.BackupTypeLocal})
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200.Id
}

// dataset creates a dataset named name and returns it.
func (b *bundle) dataset(name string) *client.Dataset {
	b.t.Helper()
	res, err := b.admin.PostDatasetWithResponse(b.ctx, client.DatasetPostRequest{
		Name: name, DatabaseName: "qluster", SchemaName: "public", TableName: strings.ReplaceAll(name, "-", "_"), BackupSettingsId: b.backup(),
	})
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

func TestDatasetLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)

	nw, err := b.admin.GetNewDatasetWithResponse(b.ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, nw.StatusCode())
	require.Contains(t, *nw.JSON200.SettingsModel.BooleanTrue, "yes")
	require.Contains(t, *nw.JSON200.SettingsModel.NullValues, "N/A")

	// POST with a nested settings model: defaults fill what is not sent.
	body := fmt.Sprintf(`{"name":"orders","database_name":"qluster","schema_name":"public","table_name":"orders",
		"backup_settings_id":%d,"settings_model":{"boolean_true":["blah"]}}`, b.backup())
	created, err := b.admin.PostDatasetWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, created.StatusCode(), string(created.Body))
	ds := created.JSON200
	require.Equal(t, 1, *ds.VersionId)
	require.Equal(t, []string{"blah"}, *ds.SettingsModel.BooleanTrue)
	require.Contains(t, *ds.SettingsModel.BooleanFalse, "no")
	require.Equal(t, client.DatasetStateActive, *ds.State)

	got, err := b.admin.GetDatasetWithResponse(b.ctx, ds.Id)
	require.NoError(t, err)
	require.Equal(t, "orders", *got.JSON200.Name)

	// PATCH the name and a setting, each on its version.
	patch := fmt.Sprintf(`{"id":%d,"version_id":1,"name":"orders-2024","settings_model":{"id":%d,"version_id":1,"dollar_to_cent":true}}`,
		ds.Id, ds.SettingsModel.Id)
	p, err := b.admin.PatchDatasetWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(patch))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	require.Equal(t, "orders-2024", *p.JSON200.Name)
	require.Equal(t, 2, *p.JSON200.VersionId)
	require.True(t, *p.JSON200.SettingsModel.DollarToCent)
	require.Equal(t, 2, p.JSON200.SettingsModel.VersionId)
	require.Equal(t, []string{"blah"}, *p.JSON200.SettingsModel.BooleanTrue, "fields not sent are kept")

	// The same PATCH again is stale: 409, nothing changed.
	stale, err := b.admin.PatchDatasetWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(strings.Replace(patch, "orders-2024", "other", 1)))
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, stale.StatusCode(), string(stale.Body))
	again, _ := b.admin.GetDatasetWithResponse(b.ctx, ds.Id)
	require.Equal(t, "orders-2024", *again.JSON200.Name)
	require.Equal(t, 2, *again.JSON200.VersionId)

	// History: the insert and the update of each, with the acting user.
	h, err := b.admin.GetDatasetHistoryWithResponse(b.ctx, ds.Id)
	require.NoError(t, err)
	require.Len(t, h.JSON200.DatasetHistory, 2)
	require.Len(t, h.JSON200.SettingsModelHistory, 2)
	upd := h.JSON200.DatasetHistory[1]
	require.Equal(t, client.Update, upd.Operation)
	require.NotNil(t, upd.WhodunitId)
	require.Equal(t, "orders", (*upd.Before)["name"])
	require.Equal(t, "orders-2024", (*upd.After)["name"])

	// Copy: same settings, new name and table.
	cp, err := b.admin.GetDatasetCopyWithResponse(b.ctx, ds.Id)
	require.NoError(t, err)
	require.Equal(t, "orders_copy", *cp.JSON200.TableName)
	pc, err := b.admin.PostDatasetCopyWithBodyWithResponse(b.ctx, ds.Id, "application/json",
		strings.NewReader(fmt.Sprintf(`{"name":"orders-eu","database_name":"qluster","schema_name":"public","table_name":"orders_eu","backup_settings_id":%d}`, *ds.BackupSettingsId)))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, pc.StatusCode(), string(pc.Body))
	require.True(t, *pc.JSON200.SettingsModel.DollarToCent)
	require.NotEqual(t, ds.Id, pc.JSON200.Id)

	// Delete needs the exact name.
	wrong, err := b.admin.DeleteDatasetWithResponse(b.ctx, ds.Id, client.DeleteByNameRequest{Name: "orders"})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, wrong.StatusCode())
	del, err := b.admin.DeleteDatasetWithResponse(b.ctx, ds.Id, client.DeleteByNameRequest{Name: "orders-2024"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, del.StatusCode(), string(del.Body))
	list, err := b.admin.GetDatasetsWithResponse(b.ctx, &client.GetDatasetsParams{})
	require.NoError(t, err)
	require.Len(t, list.JSON200.Results, 1, "deleted datasets leave the default list")
	all, err := b.admin.GetDatasetsWithResponse(b.ctx, &client.GetDatasetsParams{States: &[]string{"deleted"}})
	require.NoError(t, err)
	require.Len(t, all.JSON200.Results, 1)
}

func TestDatasetBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	backup := b.backup()
	cases := []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{"missing required", `{"name":"x"}`, 422, []string{"schema_name", "database_name", "table_name", "backup_settings_id"}},
		{"wrong type", fmt.Sprintf(`{"name":"x","schema_name":"s","database_name":"d","table_name":"t","backup_settings_id":%d,"max_retry_count":"three"}`, backup), 422, []string{"max_retry_count"}},
		{"unknown enum", fmt.Sprintf(`{"name":"x","schema_name":"s","database_name":"d","table_name":"t","backup_settings_id":%d,"migration_policy":"sometimes"}`, backup), 422, []string{"migration_policy"}},
		{"bad identifier", fmt.Sprintf(`{"name":"x","schema_name":"s","database_name":"d","table_name":"1 bad;table","backup_settings_id":%d}`, backup), 422, []string{"table_name"}},
		{"unknown backup", `{"name":"x","schema_name":"s","database_name":"d","table_name":"t","backup_settings_id":999999}`, 422, []string{"backup_settings_id"}},
		{"not json", `{"name":`, 422, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := b.admin.PostDatasetWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(tc.body))
			require.NoError(t, err)
			require.Equal(t, tc.status, res.StatusCode(), string(res.Body))
			var detail struct {
				Detail []struct {
					Loc []string `json:"loc"`
					Msg string   `json:"msg"`
				} `json:"detail"`
			}
			require.NoError(t, json.Unmarshal(res.Body, &detail), string(res.Body))
			require.NotEmpty(t, detail.Detail)
			for _, f := range tc.fields {
				found := false
				for _, d := range detail.Detail {
					if d.Loc[len(d.Loc)-1] == f {
						found = true
						require.NotEmpty(t, d.Msg)
					}
				}
				require.True(t, found, "no issue names %s in %s", f, res.Body)
			}
		})
	}
	nf, err := b.admin.GetDatasetWithResponse(b.ctx, 424242)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, nf.StatusCode())
	require.Contains(t, string(nf.Body), "424242")

	un, err := b.anon.GetDatasetsWithResponse(b.ctx, &client.GetDatasetsParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, un.StatusCode())
	bad, err := b.admin.GetDatasetsWithResponse(b.ctx, &client.GetDatasetsParams{Start: ptr(1), End: ptr(5)})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, bad.StatusCode())
}

// TestPagingWalk walks every list order with the cursors: no gaps, no repeats.
func TestPagingWalk(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []int
	for i := range 7 {
		ids = append(ids, b.dataset(fmt.Sprintf("ds-%d", i)).Id)
	}
	for _, reverse := range []bool{true, false} {
		var seen []int
		params := &client.GetDatasetsParams{Limit: ptr(3), Reverse: &reverse}
		for range 10 {
			res, err := b.admin.GetDatasetsWithResponse(b.ctx, params)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			for _, d := range res.JSON200.Results {
				seen = append(seen, d.Id)
			}
			next := res.JSON200.Next
			if next == nil {
				break
			}
			if reverse {
				params = &client.GetDatasetsParams{Limit: ptr(3), Reverse: &reverse, End: &next.End}
			} else {
				params = &client.GetDatasetsParams{Limit: ptr(3), Reverse: &reverse, Start: &next.Start}
			}
		}
		want := append([]int(nil), ids...)
		if reverse {
			for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
				want[i], want[j] = want[j], want[i]
			}
		}
		require.Equal(t, want, seen, "reverse=%v", reverse)
	}
	// The seed's examples: end=ids[4]&limit=3 gives ids[2..4]; start=ids[1]&limit=3 gives ids[1..3].
	res, err := b.admin.GetDatasetsWithResponse(b.ctx, &client.GetDatasetsParams{End: &ids[4], Limit: ptr(3), Reverse: ptr(false)})
	require.NoError(t, err)
	require.Equal(t, ids[2:5], idsOf(res.JSON200.Results))
	require.NotNil(t, res.JSON200.Previous)
	require.Equal(t, ids[0], res.JSON200.Previous.Start)
	res, err = b.admin.GetDatasetsWithResponse(b.ctx, &client.GetDatasetsParams{Start: &ids[1], Limit: ptr(3), Reverse: ptr(false)})
	require.NoError(t, err)
	require.Equal(t, ids[1:4], idsOf(res.JSON200.Results))
}

func idsOf(ds []client.Dataset) []int {
	out := make([]int, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Id)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
