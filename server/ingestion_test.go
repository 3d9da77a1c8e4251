package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
)

// ingested waits until every ingestion job of the dataset has ended and returns them.
func (b *bundle) ingested(datasetID, want int) []client.IngestionJob {
	b.t.Helper()
	var jobs []client.IngestionJob
	b.eventually(fmt.Sprintf("%d ingestion jobs to end", want), func() bool {
		res, err := b.admin.GetIngestionJobsWithResponse(b.ctx, &client.GetIngestionJobsParams{DatasetId: &datasetID, Limit: ptr(100)})
		require.NoError(b.t, err)
		jobs = res.JSON200.Results
		if len(jobs) < want {
			return false
		}
		for _, j := range jobs {
			switch *j.State {
			case client.IngestionJobStateCreated, client.IngestionJobStateRunning, client.IngestionJobStateRequeued:
				return false
			}
		}
		return true
	})
	return jobs
}

// data reads one page of a dataset's rows (or quarantine).
func (b *bundle) data(datasetID int, params client.GetDataParams) *client.DataPage {
	b.t.Helper()
	res, err := b.admin.GetDataWithResponse(b.ctx, datasetID, &params)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

// TestIngestion trains a dataset on three messy files, loads them, then
// loads a file with bad rows into the table and the quarantine with exact
// counts and muted alerts, and shows a re-run replaces its own rows.
func TestIngestion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("orders", client.ApplyAsap)
	b.upload(b.admin, src.Id, "a.csv", messyA)
	b.upload(b.admin, src.Id, "b.csv", messyB)
	b.upload(b.admin, src.Id, "c.tsv", messyC)
	b.trainingDone(ds.Id)
	jobs := b.ingested(ds.Id, 3)
	for _, j := range jobs {
		require.Equal(t, client.IngestionJobStateFinished, *j.State, *j.Msg)
	}
	page := b.data(ds.Id, client.GetDataParams{Limit: ptr(100), OrderBy: &[]string{"order_id"}})
	require.Equal(t, 7, *page.TotalRows, "%v", *page.Results)
	require.Len(t, *page.Results, 7)
	first := (*page.Results)[0].(map[string]any)
	require.EqualValues(t, 1, first["order_id"])
	require.Equal(t, "1234.5", fmt.Sprint(first["amount"]))
	require.Contains(t, *page.Fields, "_signature")

	// A file with bad rows: a 31st of February and a "maybe" in a boolean column.
	bad := b.upload(b.admin, src.Id, "bad.csv", "order_id,amount,order_date,paid,note\n8,$1.00,28/02/2024,yes,ok\n9,$2.00,31/02/2024,no,bad date\n10,$3.00,01/03/2024,maybe,bad bool\n11,$4.00,02/03/2024,no,ok\n")
	jobs = b.ingested(ds.Id, 4)
	var job client.IngestionJob
	for _, j := range jobs {
		if *j.StoredItemId == bad.Id {
			job = j
		}
	}
	require.Equal(t, client.IngestionJobStateFinished, *job.State, *job.Msg)
	require.Equal(t, 2, *job.SuccessfulRowsCount)
	require.Equal(t, 2, *job.BadRowsCount)
	it, err := b.admin.GetStoredItemWithResponse(b.ctx, bad.Id)
	require.NoError(t, err)
	require.Equal(t, 2, *it.JSON200.SuccessfulRowsCount)
	require.Equal(t, 2, *it.JSON200.BadRowsCount)
	require.Equal(t, 0, *it.JSON200.IgnoredRowsCount)
	require.True(t, *it.JSON200.IsIngested)

	q := b.data(ds.Id, client.GetDataParams{IsBadData: ptr(true), StoredItemId: &bad.Id})
	require.Equal(t, 2, *q.TotalRows)
	row := (*q.Results)[0].(map[string]any)
	require.NotEmpty(t, row["_signature"])
	require.NotEmpty(t, row["_errors"])

	// The problems are muted alerts (the rows are in quarantine), one per field and problem.
	alerts, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DatasetId: &ds.Id, IsMuted: ptr(true)})
	require.NoError(t, err)
	types := map[string]int{}
	for _, a := range alerts.JSON200.Results {
		types[string(*a.AlertType)+":"+*a.FieldName] = *a.Count
		require.NotEmpty(t, *a.AlertActions)
	}
	require.Equal(t, map[string]int{"date_casting:order_date": 1, "boolean_casting:paid": 1}, types)
	d, err := b.admin.GetDatasetWithResponse(b.ctx, ds.Id)
	require.NoError(t, err)
	require.Equal(t, 9, *d.JSON200.SuccessfulRowsCount)
	require.Equal(t, 2, *d.JSON200.BadRowsCount)

	// Running the job again replaces the file's rows: same counts, no duplicates.
	rerun, err := b.admin.RunIngestionJobNowWithResponse(b.ctx, job.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rerun.StatusCode(), string(rerun.Body))
	b.eventually("the re-run", func() bool {
		j, err := b.admin.GetIngestionJobWithResponse(b.ctx, job.Id)
		require.NoError(t, err)
		return *j.JSON200.State == client.IngestionJobStateFinished && *j.JSON200.TryCount == 2
	})
	require.Equal(t, 9, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
	require.Equal(t, 2, *b.data(ds.Id, client.GetDataParams{IsBadData: ptr(true)}).TotalRows)
}

// TestIngestionBlockedWithoutQuarantine: with quarantine off, a bad row
// blocks the whole file behind an alert and nothing of it is loaded.
func TestIngestionBlockedWithoutQuarantine(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("strict", client.ApplyAsap)
	p, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json",
		strings.NewReader(fmt.Sprintf(`{"id":%d,"version_id":%d,"quarantine_row_if_row_level_issue_override":false}`, src.Id, *src.VersionId)))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	b.upload(b.admin, src.Id, "a.csv", "id,day\n1,2024-01-01\n2,2024-01-02\n")
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 1)
	bad := b.upload(b.admin, src.Id, "b.csv", "id,day\n3,2024-01-03\n4,not a day\n")
	jobs := b.ingested(ds.Id, 2)
	var job client.IngestionJob
	for _, j := range jobs {
		if *j.StoredItemId == bad.Id {
			job = j
		}
	}
	require.Equal(t, client.IngestionJobStateBlocked, *job.State, *job.Msg)
	require.NotNil(t, job.AlertItemId)
	a, err := b.admin.GetAlertWithResponse(b.ctx, *job.AlertItemId)
	require.NoError(t, err)
	require.Equal(t, client.AlertTypeDateCasting, *a.JSON200.AlertType)
	require.True(t, *a.JSON200.BlocksStoredItem)
	require.Equal(t, "not a day", *a.JSON200.FieldValue)
	require.Equal(t, 2, *b.data(ds.Id, client.GetDataParams{}).TotalRows, "nothing of the blocked file is loaded")
	require.Equal(t, 0, *b.data(ds.Id, client.GetDataParams{IsBadData: ptr(true)}).TotalRows)
}
