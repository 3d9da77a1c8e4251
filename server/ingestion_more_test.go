package server_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
)

// jobOf returns the ingestion job of a stored item, waiting for it to exist.
func (b *bundle) jobOf(itemID int) client.IngestionJob {
	b.t.Helper()
	var job client.IngestionJob
	b.eventually(fmt.Sprintf("the ingestion job of stored item %d", itemID), func() bool {
		res, err := b.admin.GetIngestionJobsWithResponse(b.ctx, &client.GetIngestionJobsParams{Limit: ptr(100)})
		require.NoError(b.t, err)
		require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
		for _, j := range res.JSON200.Results {
			if j.StoredItemId != nil && *j.StoredItemId == itemID {
				job = j
				return true
			}
		}
		return false
	})
	return job
}

// jobUntil waits until the ingestion job of a stored item satisfies cond and returns it.
func (b *bundle) jobUntil(itemID int, what string, cond func(j *client.IngestionJob) bool) *client.IngestionJob {
	b.t.Helper()
	id := b.jobOf(itemID).Id
	var job *client.IngestionJob
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := b.admin.GetIngestionJobWithResponse(b.ctx, id)
		require.NoError(b.t, err)
		require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
		if job = res.JSON200; cond(job) {
			return job
		}
	}
	b.t.Fatalf("timed out waiting for ingestion job %d (stored item %d) %s; it is %s after %d tries: %s",
		id, itemID, what, *job.State, *job.TryCount, *job.Msg)
	return nil
}

// finished waits for the ingestion job of a stored item to end and requires it finished.
func (b *bundle) finished(itemID int) *client.IngestionJob {
	b.t.Helper()
	j := b.jobUntil(itemID, "to end", func(j *client.IngestionJob) bool {
		switch *j.State {
		case client.IngestionJobStateCreated, client.IngestionJobStateRunning, client.IngestionJobStateRequeued:
			return false
		}
		return true
	})
	require.Equal(b.t, client.IngestionJobStateFinished, *j.State, *j.Msg)
	return j
}

// destCount runs a count query on the default destination.
func (b *bundle) destCount(sql string, args ...any) int {
	b.t.Helper()
	conn, err := pgx.Connect(b.ctx, fmt.Sprintf("postgres://%s@%s:%s/%s?sslmode=disable", b.destURL.User, b.destURL.Host, b.destURL.Port, b.destURL.DatabaseName))
	require.NoError(b.t, err)
	defer conn.Close(context.Background())
	var n int
	require.NoError(b.t, conn.QueryRow(b.ctx, sql, args...).Scan(&n))
	return n
}

// itemOf reads a stored item.
func (b *bundle) itemOf(id int) *client.StoredItem {
	b.t.Helper()
	res, err := b.admin.GetStoredItemWithResponse(b.ctx, id)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

// patchDataset PATCHes a dataset with fields, and its settings model with
// settings when not nil.
func (b *bundle) patchDataset(datasetID int, fields, settings map[string]any) *client.Dataset {
	b.t.Helper()
	got, err := b.admin.GetDatasetWithResponse(b.ctx, datasetID)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, got.StatusCode(), string(got.Body))
	body := map[string]any{"id": datasetID, "version_id": *got.JSON200.VersionId}
	for k, v := range fields {
		body[k] = v
	}
	if settings != nil {
		settings["version_id"] = got.JSON200.SettingsModel.VersionId
		body["settings_model"] = settings
	}
	res, err := b.admin.PatchDatasetWithBodyWithResponse(b.ctx, "application/json", jsonReader(body))
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

// rowsOf reads every row of a data page as maps.
func rowsOf(p *client.DataPage) []map[string]any {
	out := make([]map[string]any, 0, len(*p.Results))
	for _, r := range *p.Results {
		out = append(out, r.(map[string]any))
	}
	return out
}

// intOf reads a JSON number of a row.
func intOf(t *testing.T, v any) int {
	t.Helper()
	f, ok := v.(float64)
	require.True(t, ok, "%v (%T) is not a number", v, v)
	return int(f)
}

// bigCSV is n rows of id,amount,day with ids from first on.
func bigCSV(n, first int) string {
	var s strings.Builder
	s.Grow(n * 28)
	s.WriteString("id,amount,day\n")
	for i := range n {
		fmt.Fprintf(&s, "%d,%d.%02d,2024-%02d-%02d\n", first+i, i%1000, i%100, i%12+1, i%28+1)
	}
	return s.String()
}

// raceDetector reports whether the test binary was built with -race.
func raceDetector() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// TestKillIngestionJob kills the load of a large file while it runs: the
// job ends killed within seconds, nothing of the file is in the table, an
// ingestion_job_killed alert names the file; run again, the file loads whole.
func TestKillIngestionJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("killed", client.ApplyAsap)
	// gzip under the race detector costs seconds per megabyte, snappy milliseconds.
	b.patchDataset(ds.Id, map[string]any{"compression_type_of_backup_data": "snappy_stream"}, nil)
	b.upload(b.admin, src.Id, "train.csv", bigCSV(20, 10_000_000))
	require.Equal(t, client.TrainingJobStateFinished, *b.trainingDone(ds.Id).State)
	b.ingested(ds.Id, 1)

	rows := 300_000
	if !raceDetector() {
		rows = 1_200_000 // loads fast enough without the race detector to end before the kill
	}
	began := time.Now()
	big := b.upload(b.admin, src.Id, "big.csv", bigCSV(rows, 1))
	t.Logf("uploaded %d rows in %s", rows, time.Since(began).Round(time.Millisecond))
	job := b.jobUntil(big.Id, "to run", func(j *client.IngestionJob) bool { return *j.State == client.IngestionJobStateRunning })
	t.Logf("running after %s", time.Since(began).Round(time.Millisecond))
	kill, err := b.admin.KillIngestionJobWithResponse(b.ctx, job.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, kill.StatusCode(), string(kill.Body))
	killedAt := time.Now()

	// The load stops and says so with an alert about the file.
	var alert client.Alert
	b.eventually("the ingestion_job_killed alert", func() bool {
		res, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DatasetId: &ds.Id})
		require.NoError(t, err)
		for _, a := range res.JSON200.Results {
			if *a.AlertType == client.AlertTypeIngestionJobKilled && a.StoredItemId != nil && *a.StoredItemId == big.Id {
				alert = a
				return true
			}
		}
		return false
	})
	stopped := time.Since(killedAt)
	require.Less(t, stopped, 10*time.Second, "the load stops within seconds of the kill")
	require.Contains(t, *alert.Msg, "big.csv")
	j, err := b.admin.GetIngestionJobWithResponse(b.ctx, job.Id)
	require.NoError(t, err)
	require.Equal(t, client.IngestionJobStateKilled, *j.JSON200.State, *j.JSON200.Msg)
	require.NotNil(t, j.JSON200.FinishedAt)
	require.Zero(t, b.destCount(`SELECT count(*) FROM sales.killed WHERE _stored_item_id = $1`, big.Id), "nothing of the killed file is loaded")
	require.Zero(t, b.destCount(`SELECT count(*) FROM sales.killed_quarantine WHERE _stored_item_id = $1`, big.Id))
	it := b.itemOf(big.Id)
	require.False(t, *it.IsIngested)
	again, err := b.admin.KillIngestionJobWithResponse(b.ctx, job.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, again.StatusCode(), string(again.Body))

	// Run again (which resolves the kill's alert, lest it block the run),
	// the file loads whole, once.
	run, err := b.admin.RunIngestionJobNowWithResponse(b.ctx, job.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, run.StatusCode(), string(run.Body))
	ka, err := b.admin.GetAlertWithResponse(b.ctx, alert.Id)
	require.NoError(t, err)
	require.True(t, *ka.JSON200.Resolved)
	done := b.jobUntil(big.Id, "to run again and end", func(j *client.IngestionJob) bool {
		return *j.TryCount == 2 && *j.State != client.IngestionJobStateRequeued && *j.State != client.IngestionJobStateRunning
	})
	require.Equal(t, client.IngestionJobStateFinished, *done.State, *done.Msg)
	require.Equal(t, rows, *done.SuccessfulRowsCount)
	require.Equal(t, rows, b.destCount(`SELECT count(*) FROM sales.killed WHERE _stored_item_id = $1`, big.Id))
	require.Equal(t, rows, b.destCount(`SELECT count(DISTINCT id) FROM sales.killed WHERE _stored_item_id = $1`, big.Id))
	it = b.itemOf(big.Id)
	require.True(t, *it.IsIngested)
	require.Equal(t, rows, *it.SuccessfulRowsCount)
	t.Logf("the kill took effect in %s; the full load took %s", stopped.Round(time.Millisecond), done.FinishedAt.Sub(*done.StartedAt).Round(time.Millisecond))
}

// TestIgnoredRows: a row whose signature the dataset ignores is skipped and
// counted as ignored, with its line kept on the stored item.
func TestIgnoredRows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("ignoring", client.ApplyAsap)
	b.upload(b.admin, src.Id, "a.csv", "id,day\n1,2024-01-01\n2,2024-01-02\n")
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 1)

	bad := b.upload(b.admin, src.Id, "b.csv", "id,day\n3,2024-01-03\n4,2024-02-30\n5,2024-01-05\n")
	job := b.finished(bad.Id)
	require.Equal(t, 2, *job.SuccessfulRowsCount)
	require.Equal(t, 1, *job.BadRowsCount)
	q := rowsOf(b.data(ds.Id, client.GetDataParams{IsBadData: ptr(true), StoredItemId: &bad.Id}))
	require.Len(t, q, 1)
	require.Equal(t, 3, intOf(t, q[0]["_line_number"]))
	sig, ok := q[0]["_signature"].(string)
	require.True(t, ok)
	require.NotEmpty(t, sig)

	require.NoError(t, b.store.IgnoreSignatures(b.ctx, int64(ds.Id), nil, []string{sig}))
	run, err := b.admin.RunIngestionJobNowWithResponse(b.ctx, job.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, run.StatusCode(), string(run.Body))
	rerun := b.jobUntil(bad.Id, "to run again", func(j *client.IngestionJob) bool {
		return *j.TryCount == 2 && *j.State == client.IngestionJobStateFinished
	})
	require.Equal(t, 2, *rerun.SuccessfulRowsCount)
	require.Equal(t, 0, *rerun.BadRowsCount)
	require.Equal(t, 1, *rerun.IgnoredRowsCount)

	it := b.itemOf(bad.Id)
	require.Equal(t, 2, *it.SuccessfulRowsCount)
	require.Equal(t, 0, *it.BadRowsCount)
	require.Equal(t, 1, *it.IgnoredRowsCount)
	require.Equal(t, 3, *it.SuccessfulRowsCount+*it.BadRowsCount+*it.IgnoredRowsCount, "good+bad+ignored are the file's data rows")
	require.Equal(t, map[string]any{"3": sig}, *it.IgnoredRowsLineNumberToSignature)
	require.Zero(t, *b.data(ds.Id, client.GetDataParams{IsBadData: ptr(true)}).TotalRows, "the ignored row left the quarantine")
	require.Equal(t, 4, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
	d, err := b.admin.GetDatasetWithResponse(b.ctx, ds.Id)
	require.NoError(t, err)
	require.Equal(t, 4, *d.JSON200.SuccessfulRowsCount)
	require.Equal(t, 0, *d.JSON200.BadRowsCount)
}

// TestLimitedToSourceSeesOnlyItsRowsJobsAndAlerts: a limited_to_source user
// reads its source's rows, quarantined rows, ingestion jobs and alerts only.
func TestLimitedToSourceSeesOnlyItsRowsJobsAndAlerts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, mine := b.trainedDataset("scoped-data", client.ApplyAsap)
	theirs := b.dataSource(ds.Id, "theirs")
	b.upload(b.admin, mine.Id, "a.csv", "id,day,flag\n1,2024-01-01,yes\n2,2024-01-02,no\n")
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 1)
	b.upload(b.admin, mine.Id, "a2.csv", "id,day,flag\n3,2024-01-03,yes\n4,2024-02-30,no\n")
	theirFile := b.upload(b.admin, theirs.Id, "b.csv", "id,day,flag\n10,2024-01-10,yes\n11,2024-01-11,maybe\n12,2024-01-12,no\n13,2024-01-13,yes\n")
	for _, j := range b.ingested(ds.Id, 3) {
		require.Equal(t, client.IngestionJobStateFinished, *j.State, *j.Msg)
	}
	c, _ := b.user(qluster.UserTypeLimitedToSource, "scoped-data@example.com", int64(mine.Id))

	res, err := c.GetDataWithResponse(b.ctx, ds.Id, &client.GetDataParams{Limit: ptr(100)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, 3, *res.JSON200.TotalRows)
	for _, r := range rowsOf(res.JSON200) {
		require.Equal(t, mine.Id, intOf(t, r["_data_source_model_id"]), "%v", r)
	}
	require.Equal(t, 6, *b.data(ds.Id, client.GetDataParams{}).TotalRows, "the admin sees both sources")
	bad, err := c.GetDataWithResponse(b.ctx, ds.Id, &client.GetDataParams{IsBadData: ptr(true)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, bad.StatusCode(), string(bad.Body))
	require.Equal(t, 1, *bad.JSON200.TotalRows)
	require.Equal(t, mine.Id, intOf(t, rowsOf(bad.JSON200)[0]["_data_source_model_id"]))
	require.Equal(t, 2, *b.data(ds.Id, client.GetDataParams{IsBadData: ptr(true)}).TotalRows)

	own, err := c.GetDataWithResponse(b.ctx, ds.Id, &client.GetDataParams{DataSourceModelId: &mine.Id})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, own.StatusCode(), string(own.Body))
	require.Equal(t, 3, *own.JSON200.TotalRows)
	other, err := c.GetDataWithResponse(b.ctx, ds.Id, &client.GetDataParams{DataSourceModelId: &theirs.Id})
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, other.StatusCode(), string(other.Body))

	jobs, err := c.GetIngestionJobsWithResponse(b.ctx, &client.GetIngestionJobsParams{DatasetId: &ds.Id, Limit: ptr(100)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, jobs.StatusCode(), string(jobs.Body))
	require.Len(t, jobs.JSON200.Results, 2)
	for _, j := range jobs.JSON200.Results {
		require.Equal(t, mine.Id, *j.DataSourceModelId)
	}
	theirJob := b.jobOf(theirFile.Id)
	one, err := c.GetIngestionJobWithResponse(b.ctx, theirJob.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, one.StatusCode(), string(one.Body))

	// The rows' problems are muted alerts, one per source here.
	all, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DatasetId: &ds.Id, IsMuted: ptr(true)})
	require.NoError(t, err)
	require.Len(t, all.JSON200.Results, 2)
	alerts, err := c.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DatasetId: &ds.Id, IsMuted: ptr(true)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, alerts.StatusCode(), string(alerts.Body))
	require.Len(t, alerts.JSON200.Results, 1)
	require.Equal(t, client.AlertTypeDateCasting, *alerts.JSON200.Results[0].AlertType)
	require.Equal(t, mine.Id, *alerts.JSON200.Results[0].DataSourceModelId)
}

// TestDataLoadingProcesses loads two files of one source into a dataset of
// each process: replace keeps the second file's rows (and other sources'),
// snapshot both with the time of each load, upsert the union by key with
// the second file's values.
func TestDataLoadingProcesses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const first = "order_id,amount,note\n1,1.00,one\n2,2.00,two\n3,3.00,three\n"
	const second = "order_id,amount,note\n2,20.00,two again\n4,4.00,four\n"

	replace, replaceSrc := b.trainedDataset("replaced", client.ApplyAsap)
	b.patchDataset(replace.Id, map[string]any{"data_loading_process": "replace"}, nil)
	otherSrc := b.dataSource(replace.Id, "other")
	_, snapshotSrc := b.trainedDataset("snapshots", client.ApplyAsap)
	upsert, upsertSrc := b.trainedDataset("upserted", client.ApplyAsap)
	got := b.patchDataset(upsert.Id, map[string]any{"data_loading_process": "upsert"}, map[string]any{"upsert_key_columns": []string{"order_id"}})
	require.Equal(t, client.Upsert, *got.DataLoadingProcess)
	require.Equal(t, []string{"order_id"}, *got.SettingsModel.UpsertKeyColumns)

	// The first files train each dataset and load.
	r1 := b.upload(b.admin, replaceSrc.Id, "first.csv", first)
	s1 := b.upload(b.admin, snapshotSrc.Id, "first.csv", first)
	u1 := b.upload(b.admin, upsertSrc.Id, "first.csv", first)
	for _, it := range []*client.StoredItem{r1, s1, u1} {
		b.finished(it.Id)
	}
	o1 := b.upload(b.admin, otherSrc.Id, "other.csv", "order_id,amount,note\n9,9.00,nine\n")
	b.finished(o1.Id)
	r2 := b.upload(b.admin, replaceSrc.Id, "second.csv", second)
	s2 := b.upload(b.admin, snapshotSrc.Id, "second.csv", second)
	u2 := b.upload(b.admin, upsertSrc.Id, "second.csv", second)
	for _, it := range []*client.StoredItem{r2, s2, u2} {
		b.finished(it.Id)
	}

	// replace: the source's first file is gone, the other source's rows stay.
	rows := rowsOf(b.data(replace.Id, client.GetDataParams{OrderBy: &[]string{"order_id"}}))
	require.Len(t, rows, 3, "%v", rows)
	require.Equal(t, []int{2, 4, 9}, []int{intOf(t, rows[0]["order_id"]), intOf(t, rows[1]["order_id"]), intOf(t, rows[2]["order_id"])})
	require.Equal(t, r2.Id, intOf(t, rows[0]["_stored_item_id"]))
	require.Equal(t, r2.Id, intOf(t, rows[1]["_stored_item_id"]))
	require.Equal(t, o1.Id, intOf(t, rows[2]["_stored_item_id"]))

	// snapshot: both files, each with its own _ingested_at.
	require.Equal(t, 5, b.destCount(`SELECT count(*) FROM sales.snapshots`))
	require.Equal(t, 2, b.destCount(`SELECT count(*) FROM sales.snapshots WHERE order_id = 2`))
	require.Equal(t, 2, b.destCount(`SELECT count(DISTINCT _ingested_at) FROM sales.snapshots`))
	require.Equal(t, 1, b.destCount(`SELECT count(DISTINCT _ingested_at) FROM sales.snapshots WHERE _stored_item_id = $1`, s1.Id))
	require.Equal(t, 1, b.destCount(`SELECT count(*) FROM sales.snapshots a JOIN sales.snapshots b ON a._stored_item_id = $1 AND b._stored_item_id = $2
		AND a.order_id = 2 AND b.order_id = 2 AND a._ingested_at < b._ingested_at`, s1.Id, s2.Id), "the second snapshot is later")

	// upsert: the union by order_id, key 2 updated by the second file.
	rows = rowsOf(b.data(upsert.Id, client.GetDataParams{OrderBy: &[]string{"order_id"}}))
	require.Len(t, rows, 4, "%v", rows)
	var ids, from []int
	var notes []string
	for _, r := range rows {
		ids = append(ids, intOf(t, r["order_id"]))
		from = append(from, intOf(t, r["_stored_item_id"]))
		notes = append(notes, fmt.Sprint(r["note"]))
	}
	require.Equal(t, []int{1, 2, 3, 4}, ids)
	require.Equal(t, []string{"one", "two again", "three", "four"}, notes)
	require.Equal(t, []int{u1.Id, u2.Id, u1.Id, u2.Id}, from)
	require.Equal(t, "20", fmt.Sprint(rows[1]["amount"]))
	require.Equal(t, 1, b.destCount(`SELECT count(*) FROM pg_indexes WHERE schemaname = 'sales' AND tablename = 'upserted' AND indexname = 'upserted_upsert_key'`))
}

// TestGetData pages through a dataset's rows, orders them both ways,
// filters them by file and by source, and refuses an unknown column.
func TestGetData(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("paged", client.ApplyAsap)
	other := b.dataSource(ds.Id, "other")
	var body strings.Builder
	body.WriteString("order_id,amount\n")
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(&body, "%d,%d.50\n", i, i)
	}
	a := b.upload(b.admin, src.Id, "a.csv", body.String())
	b.trainingDone(ds.Id)
	b.finished(a.Id)
	o := b.upload(b.admin, other.Id, "o.csv", "order_id,amount\n101,1.00\n102,2.00\n103,3.00\n104,4.00\n105,5.00\n")
	b.finished(o.Id)

	var seen []int
	for page := 1; page <= 5; page++ {
		p := b.data(ds.Id, client.GetDataParams{Page: ptr(page), Limit: ptr(7), OrderBy: &[]string{"order_id"}})
		require.Equal(t, 30, *p.TotalRows)
		require.Equal(t, 5, *p.TotalPageCount)
		want := 7
		if page == 5 {
			want = 2
		}
		require.Len(t, *p.Results, want, "page %d", page)
		for _, r := range rowsOf(p) {
			seen = append(seen, intOf(t, r["order_id"]))
		}
	}
	require.True(t, sort.IntsAreSorted(seen), "%v", seen)
	require.Len(t, seen, 30)
	require.Equal(t, 1, seen[0])
	require.Equal(t, 105, seen[29])
	past := b.data(ds.Id, client.GetDataParams{Page: ptr(6), Limit: ptr(7)})
	require.Empty(t, *past.Results)

	desc := rowsOf(b.data(ds.Id, client.GetDataParams{Limit: ptr(3), OrderBy: &[]string{"~order_id"}}))
	require.Equal(t, []int{105, 104, 103}, []int{intOf(t, desc[0]["order_id"]), intOf(t, desc[1]["order_id"]), intOf(t, desc[2]["order_id"])})
	byFile := b.data(ds.Id, client.GetDataParams{StoredItemId: &o.Id, Limit: ptr(100)})
	require.Equal(t, 5, *byFile.TotalRows)
	require.Equal(t, 1, *byFile.TotalPageCount)
	for _, r := range rowsOf(byFile) {
		require.Equal(t, o.Id, intOf(t, r["_stored_item_id"]))
	}
	bySource := b.data(ds.Id, client.GetDataParams{DataSourceModelId: &src.Id, Limit: ptr(10)})
	require.Equal(t, 25, *bySource.TotalRows)
	require.Equal(t, 3, *bySource.TotalPageCount)
	require.Len(t, *bySource.Results, 10)
	both := b.data(ds.Id, client.GetDataParams{DataSourceModelId: &src.Id, StoredItemId: &o.Id})
	require.Zero(t, *both.TotalRows)

	for _, bad := range []string{"nope", "~nope"} {
		res, err := b.admin.GetDataWithResponse(b.ctx, ds.Id, &client.GetDataParams{OrderBy: &[]string{bad}})
		require.NoError(t, err)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
		require.Contains(t, string(res.Body), "nope")
	}
}

// TestBlockedJobResumesOnceResolved: with quarantine off a bad row blocks
// its file behind an alert; resuming while the alert is open blocks it
// again; once the alert is resolved (by ignoring the row) the job runs by
// itself and loads the file.
func TestBlockedJobResumesOnceResolved(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("resumed", client.ApplyAsap)
	p, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json",
		strings.NewReader(fmt.Sprintf(`{"id":%d,"version_id":%d,"quarantine_row_if_row_level_issue_override":false}`, src.Id, *src.VersionId)))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	b.upload(b.admin, src.Id, "a.csv", "id,day\n1,2024-01-01\n2,2024-01-02\n")
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 1)

	bad := b.upload(b.admin, src.Id, "b.csv", "id,day\n3,2024-01-03\n4,not a day\n5,2024-01-05\n")
	blocked := b.jobUntil(bad.Id, "to block", func(j *client.IngestionJob) bool { return *j.State == client.IngestionJobStateBlocked })
	require.NotNil(t, blocked.AlertItemId)
	a, err := b.store.GetAlert(b.ctx, int64(*blocked.AlertItemId))
	require.NoError(t, err)
	require.True(t, a.BlocksStoredItem)
	require.False(t, a.Resolved)
	require.EqualValues(t, 3, a.Body["line"], "the bad row's line")
	sig, _ := a.Body["line_signature"].(string)
	require.NotEmpty(t, sig)

	// Resumed while the alert is open, the job blocks again behind it.
	require.NoError(t, b.engine.ResumeBlocked(b.ctx, int64(ds.Id)))
	again := b.jobUntil(bad.Id, "to block again", func(j *client.IngestionJob) bool {
		return *j.State == client.IngestionJobStateBlocked && !*j.IsAlertResolved
	})
	require.Equal(t, *blocked.AlertItemId, *again.AlertItemId)
	require.Equal(t, 2, b.destCount(`SELECT count(*) FROM sales.resumed`), "nothing of the blocked file is loaded")

	// The user ignores the row (the ignore_row action) and resolves the alert.
	require.NoError(t, b.store.IgnoreSignatures(b.ctx, int64(ds.Id), nil, []string{sig}))
	_, err = b.store.UpdateAlert(b.ctx, a.ID, func(x *qluster.AlertItem) error {
		now := time.Now()
		x.Resolved, x.ResolvedAt = true, &now
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, b.engine.ResumeBlocked(b.ctx, int64(ds.Id)))
	done := b.finished(bad.Id)
	require.Equal(t, 2, *done.SuccessfulRowsCount)
	require.Equal(t, 1, *done.IgnoredRowsCount)
	require.Equal(t, 0, *done.BadRowsCount)
	require.Equal(t, 4, b.destCount(`SELECT count(*) FROM sales.resumed`))
	require.Zero(t, b.destCount(`SELECT count(*) FROM sales.resumed_quarantine`))
}

// TestAskUserFilesWaitForTheReview: with ask_user, files that arrive before
// the first migration is applied wait (as training data) and are all loaded
// once it is; a file that arrives while a later migration waits for review
// is blocked by the review alert and loads by itself once the user applies
// the migration.
func TestAskUserFilesWaitForTheReview(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("review", client.AskUser)
	a := b.upload(b.admin, src.Id, "a.csv", "id,day\n1,2024-01-01\n2,2024-01-02\n")
	require.Equal(t, client.TrainingJobStateFinished, *b.trainingDone(ds.Id).State)
	c := b.upload(b.admin, src.Id, "c.csv", "id,day\n3,2024-01-03\n")
	var review client.Alert
	b.eventually("a second training and its review alert", func() bool {
		res, err := b.admin.GetTrainingJobsWithResponse(b.ctx, &client.GetTrainingJobsParams{DatasetId: &ds.Id})
		require.NoError(t, err)
		if len(res.JSON200.Results) < 2 {
			return false
		}
		for _, j := range res.JSON200.Results {
			if *j.State == client.TrainingJobStateCreated || *j.State == client.TrainingJobStateRunning {
				return false
			}
		}
		open, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DatasetId: &ds.Id})
		require.NoError(t, err)
		if len(open.JSON200.Results) != 1 {
			return false
		}
		review = open.JSON200.Results[0]
		return true
	})
	require.Equal(t, client.AlertTypeNeedsReviewMigration, *review.AlertType)
	require.Empty(t, b.destColumns("sales", "review"), "no table before the review")
	jobs, err := b.admin.GetIngestionJobsWithResponse(b.ctx, &client.GetIngestionJobsParams{DatasetId: &ds.Id})
	require.NoError(t, err)
	require.Empty(t, jobs.JSON200.Results, "the files wait for a table")

	res, err := b.admin.ResolveAlertWithResponse(b.ctx, review.Id, client.ResolveAlertRequest{Action: ptr(client.ApplyMigration)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, 2, *b.finished(a.Id).SuccessfulRowsCount)
	require.Equal(t, 1, *b.finished(c.Id).SuccessfulRowsCount)
	require.Equal(t, 3, b.destCount(`SELECT count(*) FROM sales.review`))

	// A file with a new column is learned from: the draft waits for review
	// and blocks the dataset's ingestion.
	wide := b.upload(b.admin, src.Id, "wide.csv", "id,day,region\n4,2024-01-04,EU\n")
	b.jobUntil(wide.Id, "to block on its new column", func(j *client.IngestionJob) bool { return *j.State == client.IngestionJobStateBlocked })
	_, err = b.store.CreateTrainingDataItem(b.ctx, &qluster.TrainingDataItem{Enabled: true, Name: "wide.csv", StoredItemID: ptr(int64(wide.Id)),
		DatasetID: ptr(int64(ds.Id)), SettingsModelID: ptr(int64(ds.SettingsModel.Id))})
	require.NoError(t, err)
	rt, err := b.admin.RunTrainingJobNowWithResponse(b.ctx, ds.SettingsModel.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rt.StatusCode(), string(rt.Body))
	var second client.Alert
	b.eventually("the second review alert", func() bool {
		open, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DatasetId: &ds.Id})
		require.NoError(t, err)
		for _, x := range open.JSON200.Results {
			if *x.AlertType == client.AlertTypeNeedsReviewMigration {
				second = x
				return true
			}
		}
		return false
	})
	require.True(t, *second.BlocksIngestionForDataset)
	late := b.upload(b.admin, src.Id, "late.csv", "id,day\n5,2024-01-05\n6,2024-01-06\n")
	held := b.jobUntil(late.Id, "to wait for the review", func(j *client.IngestionJob) bool { return *j.State == client.IngestionJobStateBlocked })
	require.Equal(t, second.Id, *held.AlertItemId)

	res, err = b.admin.ResolveAlertWithResponse(b.ctx, second.Id, client.ResolveAlertRequest{Action: ptr(client.ApplyMigration)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, "text", b.destColumns("sales", "review")["region"])
	done := b.finished(late.Id)
	require.Equal(t, 2, *done.SuccessfulRowsCount)
	require.Equal(t, 2, b.destCount(`SELECT count(*) FROM sales.review WHERE _stored_item_id = $1`, late.Id))
}
