package postgres_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

func insertAlert(t *testing.T, s *postgres.Store, datasetID, sourceID int64, resolved, muted bool) {
	t.Helper()
	_, err := s.DB().ExecContext(t.Context(), `INSERT INTO alert_items (doc) VALUES (jsonb_build_object('dataset_id', $1::bigint,
		'data_source_model_id', $2::bigint, 'alert_type', 'casting', 'resolved', $3::boolean, 'is_muted', $4::boolean))`, datasetID, sourceID, resolved, muted)
	require.NoError(t, err)
}

func TestMenuStats(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()

	m, err := s.MenuStats(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, qluster.MenuStats{}, m)

	dst, err := s.CreateDestination(ctx, newDestination("wh"), nil)
	require.NoError(t, err)
	_, err = s.CreateDestination(ctx, newDestination("unused"), nil)
	require.NoError(t, err)
	a := qluster.NewDataset()
	a.Name, a.TableName, a.DestinationID = "A", "a", &dst.ID
	dsA, err := s.CreateDataset(ctx, &a, nil)
	require.NoError(t, err)
	dsB := createDataset(t, s, "B")
	gone := createDataset(t, s, "Gone")
	goneSrc := createSource(t, s, gone, "gone")
	require.NoError(t, s.DeleteDataset(ctx, gone.ID, "Gone", nil))

	a1, a2, b1 := createSource(t, s, dsA, "a1"), createSource(t, s, dsA, "a2"), createSource(t, s, dsB, "b1")
	insertAlert(t, s, dsA.ID, a1.ID, false, false)
	insertAlert(t, s, dsA.ID, a1.ID, false, true) // muted
	insertAlert(t, s, dsA.ID, a2.ID, true, false) // resolved
	insertAlert(t, s, dsB.ID, b1.ID, false, false)
	for _, e := range []*qluster.FatalError{
		{JobName: "s1", Error: "E", Module: "sensor", DataSourceModelID: &a1.ID},
		{JobName: "s2", Error: "E", Module: "sensor", DataSourceModelID: &b1.ID},
		{JobName: "s3", Error: "E", Module: "sensor", DataSourceModelID: &goneSrc.ID},
		{JobName: "w", Error: "E", Module: "worker"},
	} {
		_, err := s.CreateFatalError(ctx, e)
		require.NoError(t, err)
	}
	_, err = s.DeleteFatalErrors(ctx, nil, ptr("w"), nil, nil)
	require.NoError(t, err)

	m, err = s.MenuStats(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, qluster.MenuStats{
		DatasetsCount: 2, DataSourceModelsCount: 3, DestinationsCount: 2, ErrorsCount: 3, UnresolvedAlertsCount: 2,
	}, m)

	m, err = s.MenuStats(ctx, []int64{a1.ID, goneSrc.ID})
	require.NoError(t, err)
	require.Equal(t, qluster.MenuStats{
		DatasetsCount: 1, DataSourceModelsCount: 1, DestinationsCount: 1, ErrorsCount: 1, UnresolvedAlertsCount: 1,
	}, m, "a limited user counts what its live sources reach")

	m, err = s.MenuStats(ctx, []int64{})
	require.NoError(t, err)
	require.Equal(t, qluster.MenuStats{}, m, "no sources: nothing")

	b, err := json.Marshal(m)
	require.NoError(t, err)
	require.JSONEq(t, `{"datasets_count":0,"data_source_models_count":0,"destinations_count":0,"errors_count":0,"unresolved_alerts_count":0}`, string(b))
}

func TestDatasetStatsAndDetails(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	ds := createDataset(t, s, "Orders")
	src := createSource(t, s, ds, "feed")

	st, err := s.DatasetStats(ctx, ds.ID)
	require.NoError(t, err)
	require.Zero(t, st.BadRowsCount)
	_, err = s.DB().ExecContext(ctx, `UPDATE datasets SET doc = jsonb_set(doc, '{bad_rows_count}', '17') WHERE id = $1`, ds.ID)
	require.NoError(t, err)
	st, err = s.DatasetStats(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, int64(17), st.BadRowsCount)
	_, err = s.DatasetStats(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)

	x, err := s.DatasetExtraDetails(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, "Orders", x.Name)
	require.NotNil(t, x.SettingsModel)
	require.Nil(t, x.CurrentMigrationModelID)
	require.Nil(t, x.DestinationName)
	require.Zero(t, x.UnresolvedAlerts)

	dst, err := s.CreateDestination(ctx, newDestination("wh"), nil)
	require.NoError(t, err)
	_, err = s.UpdateDataset(ctx, postgres.UpdateDatasetParams{ID: ds.ID, Mutate: func(d *qluster.Dataset) error {
		d.DestinationID = &dst.ID
		return nil
	}})
	require.NoError(t, err)
	var current int64
	for _, state := range []string{"draft", "current", "archived"} {
		var id int64
		require.NoError(t, s.DB().GetContext(ctx, &id, `INSERT INTO migration_models (doc)
			VALUES (jsonb_build_object('dataset_id', $1::bigint, 'settings_model_id', $2::bigint, 'state', $3::text)) RETURNING id`, ds.ID, ds.SettingsModel.ID, state))
		if state == "current" {
			current = id
		}
	}
	insertAlert(t, s, ds.ID, src.ID, false, false)
	insertAlert(t, s, ds.ID, src.ID, true, false)

	x, err = s.DatasetExtraDetails(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, current, *x.CurrentMigrationModelID)
	require.Equal(t, "wh", *x.DestinationName)
	require.Equal(t, int64(1), x.UnresolvedAlerts)

	b, err := json.Marshal(x)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, "Orders", m["name"], "the dataset's fields sit beside the extra ones")
	require.Equal(t, "wh", m["destination_name"])
	require.Contains(t, m, "settings_model")

	_, err = s.DatasetExtraDetails(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)
}

func TestAnyTrainingJobRunning(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	ds := createDataset(t, s, "Orders")
	other := createDataset(t, s, "Other")
	job := func(datasetID int64, state string) {
		_, err := s.DB().ExecContext(ctx, `INSERT INTO training_jobs (doc) VALUES (jsonb_build_object('dataset_id', $1::bigint, 'state', $2::text))`, datasetID, state)
		require.NoError(t, err)
	}

	running, err := s.AnyTrainingJobRunning(ctx, ds.ID)
	require.NoError(t, err)
	require.False(t, running)

	job(ds.ID, "finished")
	job(other.ID, "running")
	running, err = s.AnyTrainingJobRunning(ctx, ds.ID)
	require.NoError(t, err)
	require.False(t, running, "finished jobs and other datasets' jobs do not count")

	for _, state := range []string{"created", "running"} {
		d := createDataset(t, s, "With "+state)
		job(d.ID, state)
		running, err = s.AnyTrainingJobRunning(ctx, d.ID)
		require.NoError(t, err)
		require.True(t, running, state)
	}

	_, err = s.AnyTrainingJobRunning(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)
}
