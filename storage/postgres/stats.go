package postgres

import (
	"context"

	"github.com/openqluster/qluster-go/qluster"
)

// MenuStats counts the objects a client's menu shows. With limitToSources
// nil it counts everything; otherwise (even empty) only what those data
// sources reach: the sources themselves, their datasets and the datasets'
// destinations, and the fatal errors and alerts of the sources.
func (s *Store) MenuStats(ctx context.Context, limitToSources []int64) (qluster.MenuStats, error) {
	var m qluster.MenuStats
	err := s.db.QueryRowxContext(ctx, `WITH src AS (
			SELECT id, dataset_id FROM data_source_models
			WHERE state IS DISTINCT FROM 'deleted' AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
		), dsets AS (
			SELECT id, destination_id FROM datasets
			WHERE state IS DISTINCT FROM 'deleted' AND ($1::bigint[] IS NULL OR id IN (SELECT dataset_id FROM src))
		)
		SELECT
			(SELECT count(*) FROM dsets),
			(SELECT count(*) FROM src),
			(SELECT count(*) FROM destinations WHERE $1::bigint[] IS NULL OR id IN (SELECT destination_id FROM dsets)),
			(SELECT count(*) FROM fatal_errors WHERE NOT deleted
				AND ($1::bigint[] IS NULL OR data_source_model_id IN (SELECT id FROM src))),
			(SELECT count(*) FROM alert_items WHERE NOT resolved AND NOT is_muted
				AND ($1::bigint[] IS NULL OR data_source_model_id IN (SELECT id FROM src)))`,
		limitToSources).Scan(&m.DatasetsCount, &m.DataSourceModelsCount, &m.DestinationsCount, &m.ErrorsCount, &m.UnresolvedAlertsCount)
	return m, err
}

// DatasetStats reads the figures of a dataset.
func (s *Store) DatasetStats(ctx context.Context, id int64) (qluster.DatasetStats, error) {
	var st qluster.DatasetStats
	err := s.db.GetContext(ctx, &st.BadRowsCount, `SELECT COALESCE((doc->>'bad_rows_count')::bigint, 0) FROM datasets WHERE id = $1`, id)
	if err != nil {
		return st, notFoundKey(translate(err, tDatasets.kind), id)
	}
	return st, nil
}

// DatasetExtraDetails is a dataset with what a client's dataset page shows
// beside it.
type DatasetExtraDetails struct {
	qluster.Dataset
	// CurrentMigrationModelID is the migration model in state current; nil before the first migration.
	CurrentMigrationModelID *int64 `json:"current_migration_model_id" db:"current_migration_model_id"`
	// DestinationName is the name of the dataset's destination; nil for the default destination.
	DestinationName *string `json:"destination_name" db:"destination_name"`
	// UnresolvedAlerts counts the dataset's alerts not resolved yet (muted ones included).
	UnresolvedAlerts int64 `json:"unresolved_alerts" db:"unresolved_alerts"`
}

// DatasetExtraDetails reads a dataset with its settings model, current
// migration, destination name and unresolved alerts.
func (s *Store) DatasetExtraDetails(ctx context.Context, id int64) (*DatasetExtraDetails, error) {
	d, err := s.GetDataset(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &DatasetExtraDetails{Dataset: *d}
	err = s.db.QueryRowxContext(ctx, `SELECT
			(SELECT id FROM migration_models WHERE dataset_id = $1 AND state = 'current' ORDER BY id DESC LIMIT 1),
			(SELECT dst.name FROM datasets d JOIN destinations dst ON dst.id = d.destination_id WHERE d.id = $1),
			(SELECT count(*) FROM alert_items WHERE dataset_id = $1 AND NOT resolved)`, id).
		Scan(&out.CurrentMigrationModelID, &out.DestinationName, &out.UnresolvedAlerts)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AnyTrainingJobRunning reports whether a training job of the dataset is
// created or running.
func (s *Store) AnyTrainingJobRunning(ctx context.Context, datasetID int64) (bool, error) {
	var running *bool
	err := s.db.GetContext(ctx, &running, `SELECT EXISTS (SELECT 1 FROM training_jobs WHERE dataset_id = d.id AND state IN ('created', 'running'))
		FROM datasets d WHERE d.id = $1`, datasetID)
	if err != nil {
		return false, notFoundKey(translate(err, tDatasets.kind), datasetID)
	}
	return running != nil && *running, nil
}
