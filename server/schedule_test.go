package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
)

// memFeed is a custom source holding its files in memory; it counts its
// polls (List calls).
type memFeed struct {
	mu    sync.Mutex
	files map[string][]byte
	polls int
}

var _ qluster.Source = (*memFeed)(nil)

func (f *memFeed) List(context.Context) ([]qluster.RemoteFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	out := make([]qluster.RemoteFile, 0, len(f.files))
	for k, v := range f.files {
		out = append(out, qluster.RemoteFile{Key: k, Size: int64(len(v))})
	}
	return out, nil
}

func (f *memFeed) Open(_ context.Context, key string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.files[key]
	if !ok {
		return nil, fmt.Errorf("%w: memFeed has no %s", qluster.ErrPathNotFound, key)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (f *memFeed) Close() error { return nil }

func (f *memFeed) put(key, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[key] = []byte(content)
}

func (f *memFeed) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.polls
}

// feeds are the custom sources of a test's server, by data source name:
// what the embedding program registers as EngineOptions.CustomSource.
type feeds struct {
	mu     sync.Mutex
	byName map[string]*memFeed
}

func newFeeds() *feeds { return &feeds{byName: map[string]*memFeed{}} }

// add registers an empty feed for the data source named name.
func (fs *feeds) add(name string) *memFeed {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := &memFeed{files: map[string][]byte{}}
	fs.byName[name] = f
	return f
}

func (fs *feeds) register(o *server.EngineOptions) {
	o.CustomSource = func(_ context.Context, d *qluster.DataSource) (qluster.Source, error) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if f, ok := fs.byName[d.Name]; ok {
			return f, nil
		}
		return nil, fmt.Errorf("%w: no feed is named %s", qluster.ErrConnection, d.Name)
	}
}

// customSource creates a custom data source of the dataset with fields.
func (b *bundle) customSource(ds *client.Dataset, name string, fields map[string]any) *client.DataSource {
	b.t.Helper()
	body := map[string]any{"name": name, "settings_model_id": ds.SettingsModel.Id, "dataset_id": ds.Id,
		"data_source_type": client.DataSourceTypeCustom, "state": client.DataSourceStateActive}
	for k, v := range fields {
		body[k] = v
	}
	res, err := b.admin.PostDataSourceModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(body))
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

// patchSource patches a data source; it returns the response.
func (b *bundle) patchSource(id int, fields map[string]any) *client.PatchDataSourceModelResponse {
	b.t.Helper()
	body := map[string]any{"id": id, "version_id": *b.source(id).VersionId}
	for k, v := range fields {
		body[k] = v
	}
	res, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, id, "application/json", jsonReader(body))
	require.NoError(b.t, err)
	return res
}

// flat waits for d and requires that f was not polled meanwhile; it waits
// a little first, for a poll that began before to end.
func (b *bundle) flat(f *memFeed, d time.Duration, why string) {
	b.t.Helper()
	time.Sleep(300 * time.Millisecond)
	n := f.count()
	time.Sleep(d)
	require.Equal(b.t, n, f.count(), why)
}

// pendingSensorPolls are the pending sensor messages of a data source.
func (b *bundle) pendingSensorPolls(id int) []client.QueueMsg {
	b.t.Helper()
	q := qluster.QueueSensors
	r, err := b.admin.GetQueueMsgsWithResponse(b.ctx, &client.GetQueueMsgsParams{Acknowledged: ptr(false), QName: &q, DataSourceModelId: &id})
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, r.StatusCode(), string(r.Body))
	return r.JSON200.Results
}

// takenKeys are the keys of the files taken from a data source, once per take.
func (b *bundle) takenKeys(id int) []string {
	b.t.Helper()
	r, err := b.admin.GetStoredItemsWithResponse(b.ctx, &client.GetStoredItemsParams{DataSourceModelId: &id, Limit: ptr(100)})
	require.NoError(b.t, err)
	var keys []string
	for _, it := range r.JSON200.Results {
		if it.ParentId == nil {
			keys = append(keys, *it.Key)
		}
	}
	slices.Sort(keys)
	return keys
}

// TestScheduleTakesFilesOnce: a custom source registered by the embedding
// program, scheduled every second, is polled tick after tick; each file it
// holds is taken once however many polls see it, and loaded.
func TestScheduleTakesFilesOnce(t *testing.T) {
	t.Parallel()
	fs := newFeeds()
	b := setupWith(t, fs.register)
	ds, _ := b.trainedDataset("scheduled", client.ApplyAsap)
	feed := fs.add("every-second")
	feed.put("orders-1.csv", "id,qty\n1,5\n2,6\n")
	src := b.customSource(ds, "every-second", map[string]any{"schedule": "* * * * * *", "pattern": "orders-*"})

	b.eventually("the first file", func() bool { return slices.Equal([]string{"orders-1.csv"}, b.takenKeys(src.Id)) })
	n := feed.count()
	b.eventually("three more ticks", func() bool { return feed.count() >= n+3 })
	require.Equal(t, []string{"orders-1.csv"}, b.takenKeys(src.Id), "taken once, not once per poll")

	feed.put("orders-2.csv", "id,qty\n3,7\n")
	feed.put("notes.txt", "not data")
	b.eventually("the new file", func() bool { return len(b.takenKeys(src.Id)) == 2 })
	n = feed.count()
	b.eventually("three more ticks", func() bool { return feed.count() >= n+3 })
	require.Equal(t, []string{"orders-1.csv", "orders-2.csv"}, b.takenKeys(src.Id))
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 2)
	require.Equal(t, 3, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
	require.Len(t, b.pendingSensorPolls(src.Id), 1, "one scheduled message carries the schedule")
}

// TestScheduleEndpoints: run-sensor-cronjob polls now and the schedule goes
// on to its next tick; disable-sensor-cronjob stops the polls and empties
// the schedule, after which run-sensor-cronjob is a 409 naming the fix and
// run-sensor-job polls once; a schedule set again resumes. Draft and
// disabled data sources are never polled, and polling them on demand is a
// 409 naming their state and the fix; made active, they are. A schedule
// may have a leading seconds field; one that is not a schedule is a 422.
func TestScheduleEndpoints(t *testing.T) {
	t.Parallel()
	fs := newFeeds()
	b := setupWith(t, fs.register)
	ds, _ := b.trainedDataset("endpoints", client.ApplyAsap)
	yearly, secs, draft, disabled := fs.add("yearly"), fs.add("secs"), fs.add("draft"), fs.add("disabled")
	yearlySrc := b.customSource(ds, "yearly", map[string]any{"schedule": "0 0 0 1 1 *"})
	secsSrc := b.customSource(ds, "secs", map[string]any{"schedule": "* * * * * *"})
	draftSrc := b.customSource(ds, "draft", map[string]any{"schedule": "* * * * * *", "state": client.DataSourceStateDraft})
	disabledSrc := b.customSource(ds, "disabled", map[string]any{"schedule": "* * * * * *", "state": client.DataSourceStateDisabled})
	b.eventually("the per-second schedule to run", func() bool { return secs.count() >= 2 })

	conflict := func(what string, r interface{ StatusCode() int }, err error, body []byte, detail *client.Conflict, want ...string) {
		t.Helper()
		require.NoError(t, err)
		require.Equal(t, http.StatusConflict, r.StatusCode(), "%s: %s", what, body)
		for _, w := range want {
			require.Contains(t, detail.Detail, w, what)
		}
	}

	// run-sensor-cronjob polls now; the schedule goes on to its next tick.
	nextYear := time.Date(time.Now().UTC().Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 2; i++ {
		r, err := b.admin.RunSensorCronjobNowWithResponse(b.ctx, yearlySrc.Id)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.StatusCode(), string(r.Body))
		b.eventually("the scheduled poll run now", func() bool { return yearly.count() == i })
		b.eventually("the schedule back on its next tick", func() bool {
			p := b.pendingSensorPolls(yearlySrc.Id)
			return len(p) == 1 && p[0].ScheduleAt.Equal(nextYear)
		})
	}
	require.Equal(t, 2, yearly.count())

	// disable-sensor-cronjob stops the polls and empties the schedule.
	r, err := b.admin.DisableSensorCronjobNowWithResponse(b.ctx, secsSrc.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.StatusCode(), string(r.Body))
	require.Empty(t, *b.source(secsSrc.Id).Schedule)
	b.flat(secs, 3*time.Second, "no poll once the schedule is disabled")
	rc, err := b.admin.RunSensorCronjobNowWithResponse(b.ctx, secsSrc.Id)
	conflict("run-sensor-cronjob without a schedule", rc, err, rc.Body, rc.JSON409, "no active schedule", "set its schedule", "run-sensor-job")
	n := secs.count()
	rj, err := b.admin.RunSensorJobNowWithResponse(b.ctx, secsSrc.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rj.StatusCode(), string(rj.Body))
	b.eventually("a poll on demand", func() bool { return secs.count() == n+1 })
	b.flat(secs, 1500*time.Millisecond, "one poll, no schedule resumed")
	p := b.patchSource(secsSrc.Id, map[string]any{"schedule": "*/2 * * * * *"})
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	n = secs.count()
	b.eventually("the schedule set again to resume", func() bool { return secs.count() >= n+2 })

	// Draft and disabled data sources are never polled, on schedule or on demand.
	for _, c := range []struct {
		src  *client.DataSource
		feed *memFeed
	}{{draftSrc, draft}, {disabledSrc, disabled}} {
		state := string(*c.src.State)
		rj, err := b.admin.RunSensorJobNowWithResponse(b.ctx, c.src.Id)
		conflict("run-sensor-job of a "+state+" source", rj, err, rj.Body, rj.JSON409, "is "+state, "set its state to active")
		rc, err := b.admin.RunSensorCronjobNowWithResponse(b.ctx, c.src.Id)
		conflict("run-sensor-cronjob of a "+state+" source", rc, err, rc.Body, rc.JSON409, "is "+state, "set its state to active")
		require.Zero(t, c.feed.count(), "a %s source is not polled on its schedule", state)
		require.Empty(t, b.pendingSensorPolls(c.src.Id), "nor scheduled")
	}
	// Made active, the disabled source is polled on its schedule; made
	// draft, it stops; active again, it resumes.
	p = b.patchSource(disabledSrc.Id, map[string]any{"state": client.DataSourceStateActive})
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	b.eventually("the source made active polled on its schedule", func() bool { return disabled.count() >= 2 })
	p = b.patchSource(disabledSrc.Id, map[string]any{"state": client.DataSourceStateDraft})
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	b.flat(disabled, 3*time.Second, "no poll once made draft")
	p = b.patchSource(disabledSrc.Id, map[string]any{"state": client.DataSourceStateActive})
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	n = disabled.count()
	b.eventually("the schedule resumed", func() bool { return disabled.count() >= n+2 })

	// What is not a schedule is refused, naming the field and the fix.
	for _, bad := range []string{"61 * * * * *", "* * * *", "every minute"} {
		p := b.patchSource(secsSrc.Id, map[string]any{"schedule": bad})
		require.Equal(t, http.StatusUnprocessableEntity, p.StatusCode(), bad)
		require.Len(t, p.JSON422.Detail, 1)
		require.Equal(t, []string{"body", "schedule"}, p.JSON422.Detail[0].Loc)
		require.Contains(t, p.JSON422.Detail[0].Msg, "6 with a leading seconds field")
	}
	require.Equal(t, "*/2 * * * * *", *b.source(secsSrc.Id).Schedule)
}

// TestScheduleCustomSourceUnregistered: a custom data source on a server
// whose embedding program registered no custom source raises a
// connection_issue alert on the data source when its schedule polls it.
func TestScheduleCustomSourceUnregistered(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, _ := b.trainedDataset("unregistered", client.ApplyAsap)
	src := b.customSource(ds, "nobody-serves-me", map[string]any{"schedule": "* * * * * *"})
	b.eventually("a connection_issue alert", func() bool { return b.sourceAlert(src.Id, client.AlertTypeConnectionIssue) })
	require.Len(t, b.pendingSensorPolls(src.Id), 1, "the schedule goes on while the source fails")
}
