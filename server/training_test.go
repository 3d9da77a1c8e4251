package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
)

// upload sends a file to a data source through the multipart upload.
func (b *bundle) upload(c *client.ClientWithResponses, sourceID int, name, content string) *client.StoredItem {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("file", name)
	require.NoError(b.t, err)
	_, err = io.WriteString(part, content)
	require.NoError(b.t, err)
	require.NoError(b.t, w.Close())
	res, err := c.UploadFileToDataSourceWithBodyWithResponse(b.ctx, sourceID, w.FormDataContentType(), &body)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

// eventually polls cond every 100ms for up to 60s.
func (b *bundle) eventually(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("timed out waiting for %s", what)
}

// trainedDataset makes a dataset with policy and one data source.
func (b *bundle) trainedDataset(name string, policy client.MigrationPolicy) (*client.Dataset, *client.DataSource) {
	b.t.Helper()
	res, err := b.admin.PostDatasetWithResponse(b.ctx, client.DatasetPostRequest{
		Name: name, DatabaseName: "qluster", SchemaName: "sales", TableName: strings.ReplaceAll(name, "-", "_"),
		BackupSettingsId: b.backup(), MigrationPolicy: &policy,
	})
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200, b.dataSource(res.JSON200.Id, name+"-feed")
}

// trainingDone waits for the dataset's latest training job to end and returns it.
func (b *bundle) trainingDone(datasetID int) client.TrainingJob {
	b.t.Helper()
	var job client.TrainingJob
	b.eventually("training", func() bool {
		res, err := b.admin.GetTrainingJobsWithResponse(b.ctx, &client.GetTrainingJobsParams{DatasetId: &datasetID})
		require.NoError(b.t, err)
		for _, j := range res.JSON200.Results {
			if *j.State == client.TrainingJobStateCreated || *j.State == client.TrainingJobStateRunning {
				return false
			}
		}
		if len(res.JSON200.Results) == 0 {
			return false
		}
		job = res.JSON200.Results[0]
		return true
	})
	return job
}

// destColumns reads the data columns of a destination table.
func (b *bundle) destColumns(schema, table string) map[string]string {
	b.t.Helper()
	conn, err := pgx.Connect(b.ctx, fmt.Sprintf("postgres://%s@%s:%s/%s?sslmode=disable", b.destURL.User, b.destURL.Host, b.destURL.Port, b.destURL.DatabaseName))
	require.NoError(b.t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(b.ctx, `SELECT column_name, format_type(a.atttypid, a.atttypmod) FROM information_schema.columns c
		JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
		WHERE table_schema = $1 AND table_name = $2`, schema, table)
	require.NoError(b.t, err)
	out := map[string]string{}
	for rows.Next() {
		var n, t string
		require.NoError(b.t, rows.Scan(&n, &t))
		out[n] = t
	}
	require.NoError(b.t, rows.Err())
	return out
}

// destExec runs SQL on the default destination.
func (b *bundle) destExec(sql string, args ...any) {
	b.t.Helper()
	conn, err := pgx.Connect(b.ctx, fmt.Sprintf("postgres://%s@%s:%s/%s?sslmode=disable", b.destURL.User, b.destURL.Host, b.destURL.Port, b.destURL.DatabaseName))
	require.NoError(b.t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(b.ctx, sql, args...)
	require.NoError(b.t, err)
}

const (
	messyA = "Report generated 2024-05-01\n\nOrder ID,Amount,Order Date,Paid,Note\n1,\"$1,234.50\",03/04/2024,yes,first\n2,$12.00,03/05/2024,no,\n3,($5.25),03/06/2024,yes,N/A\n-----\nTotal,,,,\n"
	messyB = "order_id;amount;order_date;paid;note\n4;\"$7,000.00\";13/04/2024;no;second\n5;$1.00;14/04/2024;yes;third\n"
	messyC = "Order ID\tAmount\tOrder Date\tPaid\tNote\n6\t$3.10\t21/04/2024\tyes\tnull\n7\t-\t22/04/2024\tno\tfourth\n"
)

// TestTrainingToTable uploads three differently messy files, watches
// training produce a migration and the table appear with the right types,
// then a file with a new column and wider values widen it keeping every row.
func TestTrainingToTable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("orders", client.ApplyAsap)
	for name, content := range map[string]string{"a.csv": messyA, "b.csv": messyB, "c.tsv": messyC} {
		it := b.upload(b.admin, src.Id, name, content)
		require.NotEmpty(t, *it.Key)
	}
	job := b.trainingDone(ds.Id)
	require.Equal(t, client.TrainingJobStateFinished, *job.State, *job.Msg)
	require.NotNil(t, job.MigrationModelId)
	require.Len(t, *job.AnalysisTasks, 3)

	// The analysis task of each file shows what was read.
	items, err := b.admin.GetTrainingDataItemsWithResponse(b.ctx, &client.GetTrainingDataItemsParams{DatasetId: &ds.Id})
	require.NoError(t, err)
	require.Len(t, items.JSON200.Results, 3)
	task, err := b.admin.GetAnalysisTaskWithResponse(b.ctx, job.Id, items.JSON200.Results[0].Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, task.StatusCode(), string(task.Body))
	require.Contains(t, *task.JSON200.AnalyzedContent, "order_date")
	// a.csv alone cannot tell 03/04/2024 day-first from month-first; b.csv and c.tsv decide.
	mig, err := b.admin.GetMigrationWithResponse(b.ctx, *job.MigrationModelId)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"datetime_formats": []any{"%d/%m/%Y"}, "ambiguous_formats": []any{}}, (*mig.JSON200.FormatInfo)["order_date"])

	m, err := b.admin.GetMigrationWithResponse(b.ctx, *job.MigrationModelId)
	require.NoError(t, err)
	require.Equal(t, client.MigrationStateCurrent, *m.JSON200.State, b.fatalErrors())
	cols := b.destColumns("sales", "orders")
	require.Equal(t, "smallint", cols["order_id"], "%v", cols)
	require.Equal(t, "numeric", cols["amount"], "%v", cols)
	require.Equal(t, "date", cols["order_date"], "%v", cols)
	require.Equal(t, "boolean", cols["paid"], "%v", cols)
	require.Equal(t, "text", cols["note"], "%v", cols)
	for _, meta := range []string{"_stored_item_id", "_data_source_model_id", "_line_number", "_signature", "_ingested_at"} {
		require.Contains(t, cols, meta)
	}
	require.NotEmpty(t, b.destColumns("sales", "orders_quarantine"))

	// Rows in the table survive the next migration.
	b.destExec(`INSERT INTO sales.orders (_stored_item_id, _line_number, _signature, order_id, amount) VALUES (1, 4, 'x', 42, 1.5)`)

	// A later file with a new column and a wider id is learned from, and the
	// second migration adds and widens.
	it := b.upload(b.admin, src.Id, "d.csv", "order_id,amount,order_date,paid,note,region\n99999999999,$2.00,2024-05-01 10:30,yes,fifth,EU\n")
	_, err = b.store.CreateTrainingDataItem(b.ctx, &qluster.TrainingDataItem{Enabled: true, Name: "d.csv", StoredItemID: ptr(int64(it.Id)),
		DatasetID: ptr(int64(ds.Id)), SettingsModelID: ptr(int64(ds.SettingsModel.Id))})
	require.NoError(t, err)
	run, err := b.admin.RunTrainingJobNowWithResponse(b.ctx, ds.SettingsModel.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, run.StatusCode(), string(run.Body))
	second := b.trainingDone(ds.Id)
	require.Equal(t, client.TrainingJobStateFinished, *second.State, *second.Msg)
	require.NotEqual(t, *job.MigrationModelId, *second.MigrationModelId)
	cols = b.destColumns("sales", "orders")
	require.Equal(t, "bigint", cols["order_id"], "%v", cols)
	require.Equal(t, "timestamp without time zone", cols["order_date"], "%v", cols)
	require.Equal(t, "text", cols["region"], "%v", cols)
	m2, err := b.admin.GetMigrationWithResponse(b.ctx, *second.MigrationModelId)
	require.NoError(t, err)
	require.Equal(t, client.MigrationStateCurrent, *m2.JSON200.State)
	require.Equal(t, *job.MigrationModelId, *m2.JSON200.DownId)
	m1, err := b.admin.GetMigrationWithResponse(b.ctx, *job.MigrationModelId)
	require.NoError(t, err)
	require.Equal(t, client.MigrationStateApplied, *m1.JSON200.State)

	var n int
	conn, err := pgx.Connect(b.ctx, fmt.Sprintf("postgres://%s@%s:%s/%s?sslmode=disable", b.destURL.User, b.destURL.Host, b.destURL.Port, b.destURL.DatabaseName))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	require.NoError(t, conn.QueryRow(b.ctx, `SELECT count(*) FROM sales.orders WHERE order_id = 42 AND amount = 1.5`).Scan(&n))
	require.Equal(t, 1, n, "the row from before the migration is kept")

	running, err := b.admin.GetDatasetAnyTrainingJobRunningWithResponse(b.ctx, ds.Id)
	require.NoError(t, err)
	require.False(t, running.JSON200.Result)
}

func (b *bundle) fatalErrors() string {
	res, err := b.admin.GetErrorsWithResponse(b.ctx, &client.GetErrorsParams{})
	require.NoError(b.t, err)
	return string(res.Body)
}
