package postgres_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

func fatal(job, errText, msg string) *qluster.FatalError {
	return &qluster.FatalError{JobName: job, Error: errText, Module: "sensor", Msg: msg}
}

func TestCreateFatalErrorAggregates(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	ds := createDataset(t, s, "Orders")
	src := createSource(t, s, ds, "feed")

	e := fatal("sensor-1", "AccessDeniedError", "first")
	e.DataSourceModelID = &src.ID
	e.MetaData = map[string]any{"bucket": "raw"}
	first, err := s.CreateFatalError(ctx, e)
	require.NoError(t, err)
	require.Equal(t, int64(1), first.Count)
	require.Equal(t, qluster.JobTypeJob, first.JobType, "job_type defaults to job")
	require.Equal(t, ds.ID, *first.DatasetID, "the dataset is found from the data source")
	require.Equal(t, map[string]any{"bucket": "raw"}, first.MetaData)
	require.False(t, first.Deleted)

	e2 := fatal("sensor-1", "AccessDeniedError", "second")
	e2.StackTrace = "trace 2"
	again, err := s.CreateFatalError(ctx, e2)
	require.NoError(t, err)
	require.Equal(t, first.ID, again.ID, "same job and error: the same row")
	require.Equal(t, int64(2), again.Count)
	require.Equal(t, "second", again.Msg)
	require.Equal(t, "trace 2", again.StackTrace)
	require.Equal(t, first.CreatedAt, again.CreatedAt)

	other, err := s.CreateFatalError(ctx, fatal("sensor-1", "TimeoutError", "x"))
	require.NoError(t, err)
	require.NotEqual(t, first.ID, other.ID)
	other2, err := s.CreateFatalError(ctx, fatal("sensor-2", "AccessDeniedError", "x"))
	require.NoError(t, err)
	require.NotEqual(t, first.ID, other2.ID)

	n, err := s.DeleteFatalErrors(ctx, &first.ID, nil, nil, nil)
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	fresh, err := s.CreateFatalError(ctx, fatal("sensor-1", "AccessDeniedError", "third"))
	require.NoError(t, err)
	require.NotEqual(t, first.ID, fresh.ID, "a deleted aggregate is not reopened")
	require.Equal(t, int64(1), fresh.Count)

	gone, err := s.GetFatalError(ctx, first.ID)
	require.NoError(t, err)
	require.True(t, gone.Deleted)
	require.Equal(t, int64(2), gone.Count)

	sm := fatal("train", "OOM", "x")
	sm.SettingsModelID = &ds.SettingsModel.ID
	got, err := s.CreateFatalError(ctx, sm)
	require.NoError(t, err)
	require.Equal(t, ds.ID, *got.DatasetID, "the dataset is found from the settings model")

	_, err = s.GetFatalError(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)
}

func TestCreateFatalErrorConcurrent(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	const n = 12
	var wg sync.WaitGroup
	ids := make([]int64, n)
	for i := range n {
		wg.Go(func() {
			e, err := s.CreateFatalError(t.Context(), fatal("sensor-1", "Boom", fmt.Sprint("msg ", i)))
			if err == nil {
				ids[i] = e.ID
			}
			require.NoError(t, err)
		})
	}
	wg.Wait()
	for _, id := range ids {
		require.Equal(t, ids[0], id)
	}
	e, err := s.GetFatalError(t.Context(), ids[0])
	require.NoError(t, err)
	require.Equal(t, int64(n), e.Count)
}

func TestCreateFatalErrorInvalid(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	_, err := s.CreateFatalError(t.Context(), &qluster.FatalError{JobType: "daily"})
	requireInvalid(t, err, "error")
	requireInvalid(t, err, "module")
	requireInvalid(t, err, "job_type")
}

func TestListFatalErrors(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	var all, ofJob1, inModuleX []int64
	for i := range 9 {
		e := fatal(fmt.Sprint("job-", i%2), fmt.Sprint("Err", i), "m")
		if i%3 == 0 {
			e.Module = "x"
		}
		got, err := s.CreateFatalError(ctx, e)
		require.NoError(t, err)
		all = append(all, got.ID)
		if i%2 == 1 {
			ofJob1 = append(ofJob1, got.ID)
		}
		if i%3 == 0 {
			inModuleX = append(inModuleX, got.ID)
		}
	}
	n, err := s.DeleteFatalErrors(ctx, &all[8], nil, nil, nil)
	require.NoError(t, err)
	require.Equal(t, int64(1), n)

	list := func(lp postgres.ListFatalErrorsParams) func(qluster.ListParams) (qluster.Page[qluster.FatalError], error) {
		return func(p qluster.ListParams) (qluster.Page[qluster.FatalError], error) {
			lp.ListParams = p
			return s.ListFatalErrors(ctx, lp)
		}
	}
	id := func(e qluster.FatalError) int64 { return e.ID }
	for _, limit := range []int{1, 2, 4, 8, 9} {
		require.Equal(t, all[:8], walk(t, limit, false, list(postgres.ListFatalErrorsParams{}), id))
		require.Equal(t, reversed(all[:8]), walk(t, limit, true, list(postgres.ListFatalErrorsParams{}), id))
	}
	require.Equal(t, []int64{all[8]}, walk(t, 3, false, list(postgres.ListFatalErrorsParams{Deleted: true}), id))
	require.Equal(t, ofJob1, walk(t, 3, false, list(postgres.ListFatalErrorsParams{JobName: ptr("job-1")}), id))
	require.Equal(t, inModuleX, walk(t, 1, false, list(postgres.ListFatalErrorsParams{Module: ptr("x")}), id))
	require.Empty(t, walk(t, 3, false, list(postgres.ListFatalErrorsParams{JobName: ptr("job-1"), Module: ptr("nope")}), id))
}

func TestDeleteFatalErrors(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	for _, e := range []*qluster.FatalError{
		fatal("a", "E1", ""), fatal("a", "E2", ""), fatal("b", "E1", ""),
		{JobName: "c", JobType: qluster.JobTypeCronjob, Error: "E1", Module: "m"},
	} {
		_, err := s.CreateFatalError(ctx, e)
		require.NoError(t, err)
	}

	_, err := s.DeleteFatalErrors(ctx, nil, nil, nil, nil)
	var ve *qluster.ValidationError
	require.ErrorAs(t, err, &ve, "at least one filter is required")
	_, err = s.DeleteFatalErrors(ctx, nil, nil, ptr("daily"), nil)
	requireInvalid(t, err, "job_type")
	_, err = s.DeleteFatalErrors(ctx, ptr(int64(424242)), nil, nil, nil)
	require.ErrorIs(t, err, qluster.ErrNotFound)

	n, err := s.DeleteFatalErrors(ctx, nil, ptr("a"), nil, ptr("E1"))
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "filters combine with AND")
	n, err = s.DeleteFatalErrors(ctx, nil, nil, ptr("cronjob"), nil)
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	n, err = s.DeleteFatalErrors(ctx, nil, nil, nil, ptr("E1"))
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "only b/E1 is left of E1")
	n, err = s.DeleteFatalErrors(ctx, nil, nil, nil, ptr("E1"))
	require.NoError(t, err)
	require.Zero(t, n, "deleting twice marks nothing")

	page, err := s.ListFatalErrors(ctx, postgres.ListFatalErrorsParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Equal(t, "E2", page.Items[0].Error)
}
