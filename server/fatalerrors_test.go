package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
)

// postFatalError records a fatal error as a job would and returns the row.
func (b *bundle) postFatalError(req client.FatalErrorCreateRequest) *client.FatalError {
	b.t.Helper()
	res, err := b.admin.CreateFatalErrorWithResponse(b.ctx, req)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

func fatalErrorIDs(es []client.FatalError) []int {
	out := make([]int, 0, len(es))
	for _, e := range es {
		out = append(out, e.Id)
	}
	return out
}

// TestFatalErrors drives the fatal error operations over one server.
func TestFatalErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, b *bundle)
	}{
		{"lifecycle", testFatalErrorLifecycle},
		{"bad input", testFatalErrorBadInput},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, b.as(t)) })
	}
}

func testFatalErrorLifecycle(t *testing.T, b *bundle) {
	// The same job and error aggregate into one row.
	first := b.postFatalError(client.FatalErrorCreateRequest{JobName: ptr("sensor-1"), Error: "AccessDeniedError", Module: "sensor", Msg: "denied once",
		MetaData: &map[string]any{"bucket": "raw"}})
	require.Equal(t, 1, *first.Count)
	require.Equal(t, client.Job, *first.JobType, "job_type defaults to job")
	require.False(t, *first.Deleted)
	require.Equal(t, "raw", (*first.MetaData)["bucket"])
	second := b.postFatalError(client.FatalErrorCreateRequest{JobName: ptr("sensor-1"), Error: "AccessDeniedError", Module: "sensor", Msg: "denied twice",
		StackTrace: ptr("at line 2")})
	require.Equal(t, first.Id, second.Id)
	require.Equal(t, 2, *second.Count)
	require.Equal(t, "denied twice", *second.Msg, "the latest message wins")
	require.Equal(t, "at line 2", *second.StackTrace)

	// Another error of the same job, and the same error of another job, are rows of their own.
	timeout := b.postFatalError(client.FatalErrorCreateRequest{JobName: ptr("sensor-1"), Error: "TimeoutError", Module: "sensor", Msg: "slow",
		JobType: ptr(client.Cronjob)})
	require.NotEqual(t, first.Id, timeout.Id)
	require.Equal(t, 1, *timeout.Count)
	require.Equal(t, client.Cronjob, *timeout.JobType)
	ingest := b.postFatalError(client.FatalErrorCreateRequest{JobName: ptr("ingest-7"), Error: "AccessDeniedError", Module: "ingestion", Msg: "denied"})
	require.NotEqual(t, first.Id, ingest.Id)

	list := func(p *client.GetErrorsParams) *client.FatalErrorList {
		res, err := b.admin.GetErrorsWithResponse(b.ctx, p)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return res.JSON200
	}
	all := list(&client.GetErrorsParams{})
	require.Equal(t, []int{ingest.Id, timeout.Id, first.Id}, fatalErrorIDs(all.Results), "one row per job and error, newest first")
	require.Equal(t, 2, *all.Results[2].Count)
	require.Equal(t, map[string]any{"deleted": false}, all.Filters)
	require.Equal(t, "Errors", all.Title)

	ofSensor := list(&client.GetErrorsParams{JobName: ptr("sensor-1"), Reverse: ptr(false)})
	require.Equal(t, []int{first.Id, timeout.Id}, fatalErrorIDs(ofSensor.Results))
	require.Equal(t, map[string]any{"deleted": false, "job_name": "sensor-1"}, ofSensor.Filters)
	ofIngestion := list(&client.GetErrorsParams{Module: ptr("ingestion")})
	require.Equal(t, []int{ingest.Id}, fatalErrorIDs(ofIngestion.Results))
	require.Equal(t, map[string]any{"deleted": false, "module": "ingestion"}, ofIngestion.Filters)
	both := list(&client.GetErrorsParams{Module: ptr("sensor"), JobName: ptr("ingest-7")})
	require.Empty(t, both.Results, "filters combine")
	paged := list(&client.GetErrorsParams{Limit: ptr(2)})
	require.Equal(t, []int{ingest.Id, timeout.Id}, fatalErrorIDs(paged.Results))
	require.NotNil(t, paged.Next)
	rest := list(&client.GetErrorsParams{Limit: ptr(2), End: &paged.Next.End})
	require.Equal(t, []int{first.Id}, fatalErrorIDs(rest.Results))
	require.Nil(t, rest.Next)

	got, err := b.admin.GetFatalErrorWithResponse(b.ctx, first.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), string(got.Body))
	require.Equal(t, 2, *got.JSON200.Count)
	require.Equal(t, "sensor-1", *got.JSON200.JobName)
	require.Equal(t, "sensor", *got.JSON200.Module)
	require.Equal(t, "AccessDeniedError", *got.JSON200.Error)

	// Delete by job name: its rows leave the default list and show as deleted.
	del, err := b.admin.DeleteFatalErrorWithResponse(b.ctx, client.FatalErrorDeleteRequest{JobName: ptr("sensor-1")})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, del.StatusCode(), string(del.Body))
	require.Contains(t, string(del.Body), "2 fatal errors")
	require.Equal(t, []int{ingest.Id}, fatalErrorIDs(list(&client.GetErrorsParams{}).Results))
	deleted := list(&client.GetErrorsParams{Deleted: ptr(true)})
	require.Equal(t, []int{timeout.Id, first.Id}, fatalErrorIDs(deleted.Results))
	require.Equal(t, map[string]any{"deleted": true}, deleted.Filters)
	for _, e := range deleted.Results {
		require.True(t, *e.Deleted)
	}
	gone, err := b.admin.GetFatalErrorWithResponse(b.ctx, first.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, gone.StatusCode(), "a deleted error can still be read")
	require.True(t, *gone.JSON200.Deleted)

	// The same failure after the delete starts a new row.
	fresh := b.postFatalError(client.FatalErrorCreateRequest{JobName: ptr("sensor-1"), Error: "AccessDeniedError", Module: "sensor", Msg: "denied again"})
	require.NotEqual(t, first.Id, fresh.Id)
	require.Equal(t, 1, *fresh.Count)

	// Delete by id.
	byID, err := b.admin.DeleteFatalErrorWithResponse(b.ctx, client.FatalErrorDeleteRequest{Id: &ingest.Id})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, byID.StatusCode(), string(byID.Body))
	require.Contains(t, string(byID.Body), "1 fatal error ")
	require.Equal(t, []int{fresh.Id}, fatalErrorIDs(list(&client.GetErrorsParams{}).Results))
}

func testFatalErrorBadInput(t *testing.T, b *bundle) {
	ds := b.dataset("fe-orders")
	src := b.dataSource(ds.Id, "feed")

	// The dataset is found from the data source named.
	e := b.postFatalError(client.FatalErrorCreateRequest{JobName: ptr("loader-9"), Error: "AccessDeniedError", Module: "loader", Msg: "denied",
		DataSourceModelId: &src.Id})
	require.NotNil(t, e.DatasetId)
	require.Equal(t, ds.Id, *e.DatasetId)

	cases := []struct {
		name   string
		body   string
		fields []string
	}{
		{"missing module", `{"job_name":"j","error":"E","msg":"m"}`, []string{"module"}},
		{"missing error", `{"job_name":"j","module":"sensor","msg":"m"}`, []string{"error"}},
		{"empty module", `{"job_name":"j","error":"E","module":"","msg":"m"}`, []string{"module"}},
		{"unknown job type", `{"job_name":"j","error":"E","module":"sensor","msg":"m","job_type":"daemon"}`, []string{"job_type"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := b.admin.CreateFatalErrorWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(tc.body))
			require.NoError(t, err)
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
			requireIssues(t, res.Body, tc.fields...)
		})
	}
	for _, job := range []string{"j", "loader-9"} {
		list, err := b.admin.GetErrorsWithResponse(b.ctx, &client.GetErrorsParams{JobName: &job})
		require.NoError(t, err)
		if job == "j" {
			require.Empty(t, list.JSON200.Results, "rejected errors are not stored")
		} else {
			require.Equal(t, []int{e.Id}, fatalErrorIDs(list.JSON200.Results))
		}
	}

	nf, err := b.admin.DeleteFatalErrorWithResponse(b.ctx, client.FatalErrorDeleteRequest{Id: ptr(543210)})
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, nf.StatusCode(), string(nf.Body))
	require.Contains(t, string(nf.Body), "543210")
	// An id already deleted is found, and nothing more is deleted.
	del, err := b.admin.DeleteFatalErrorWithResponse(b.ctx, client.FatalErrorDeleteRequest{Id: &e.Id})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, del.StatusCode(), string(del.Body))
	twice, err := b.admin.DeleteFatalErrorWithResponse(b.ctx, client.FatalErrorDeleteRequest{Id: &e.Id})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, twice.StatusCode(), string(twice.Body))
	require.Contains(t, string(twice.Body), "0 fatal errors")
	empty, err := b.admin.DeleteFatalErrorWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, empty.StatusCode(), string(empty.Body))
	none, err := b.admin.DeleteFatalErrorWithResponse(b.ctx, client.FatalErrorDeleteRequest{JobName: ptr("no-such-job")})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, none.StatusCode(), string(none.Body))
	require.Contains(t, string(none.Body), "0 fatal errors")

	gnf, err := b.admin.GetFatalErrorWithResponse(b.ctx, 543210)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, gnf.StatusCode(), string(gnf.Body))
}
