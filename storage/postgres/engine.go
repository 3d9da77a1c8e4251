package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/openqluster/qluster-go/qluster"
)

// The engine's document tables. Their changes are the engine's own state
// transitions, so they keep no history rows.
var (
	tStoredItems   = table{name: "stored_items", kind: "stored item"}
	tMigrations    = table{name: "migration_models", kind: "migration"}
	tTrainingJobs  = table{name: "training_jobs", kind: "training job"}
	tTrainingItems = table{name: "training_data_items", kind: "training data item"}
	tAnalysisTasks = table{name: "analysis_tasks", kind: "analysis task"}
	tAlerts        = table{name: "alert_items", kind: "alert"}
	tIngestionJobs = table{name: "ingestion_jobs", kind: "ingestion job"}
)

// createPlain inserts v as a new object of t, without history, and reads it back.
func createPlain[T any](ctx context.Context, s *Store, q sqlx.QueryerContext, t table, v *T) (*T, error) {
	doc, err := s.encode(t, v, nil)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(doc)
	var raw []byte
	if err := sqlx.GetContext(ctx, q, &raw, `INSERT INTO `+t.name+` (doc) VALUES ($1) RETURNING `+docSelect, b); err != nil {
		return nil, translate(err, t.kind)
	}
	out := new(T)
	return out, s.decode(t, raw, out)
}

// getPlain reads object id of t.
func getPlain[T any](ctx context.Context, s *Store, q sqlx.QueryerContext, t table, id int64) (*T, error) {
	out := new(T)
	if err := s.getDoc(ctx, q, t, id, out); err != nil {
		return nil, err
	}
	return out, nil
}

// updatePlain locks object id of t, lets mutate change it and writes it back
// without history; mutate's error aborts the change.
func updatePlain[T any](ctx context.Context, s *Store, t table, id int64, mutate func(*T) error) (*T, error) {
	var out *T
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = updatePlainTx(ctx, s, tx, t, id, mutate)
		return err
	})
	return out, err
}

func updatePlainTx[T any](ctx context.Context, s *Store, tx *sqlx.Tx, t table, id int64, mutate func(*T) error) (*T, error) {
	var raw []byte
	if err := tx.GetContext(ctx, &raw, `SELECT `+docSelect+` FROM `+t.name+` WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, notFoundKey(translate(err, t.kind), id)
	}
	cur := new(T)
	if err := s.decode(t, raw, cur); err != nil {
		return nil, err
	}
	if err := mutate(cur); err != nil {
		return nil, err
	}
	doc, err := s.encode(t, cur, nil)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(doc)
	if err := tx.GetContext(ctx, &raw, `UPDATE `+t.name+` SET doc = $2, version_id = version_id + 1, updated_at = now() WHERE id = $1 RETURNING `+docSelect, id, b); err != nil {
		return nil, translate(err, t.kind)
	}
	out := new(T)
	return out, s.decode(t, raw, out)
}

// selectPlain reads every object of t that passes the filters, by id.
func selectPlain[T any](ctx context.Context, s *Store, t table, fs []filter, order string) ([]T, error) {
	var args []any
	w := where(fs, &args)
	if order == "" {
		order = "id"
	}
	var raws [][]byte
	if err := s.db.SelectContext(ctx, &raws, `SELECT `+docSelect+` FROM `+t.name+` WHERE `+w+` ORDER BY `+order, args...); err != nil {
		return nil, err
	}
	out := make([]T, len(raws))
	for i, raw := range raws {
		if err := s.decode(t, raw, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Stored items.

// CreateStoredItem records a new file.
func (s *Store) CreateStoredItem(ctx context.Context, it *qluster.StoredItem) (*qluster.StoredItem, error) {
	return createPlain(ctx, s, s.db, tStoredItems, it)
}

// GetStoredItem reads one stored item.
func (s *Store) GetStoredItem(ctx context.Context, id int64) (*qluster.StoredItem, error) {
	return getPlain[qluster.StoredItem](ctx, s, s.db, tStoredItems, id)
}

// UpdateStoredItem changes a stored item in place.
func (s *Store) UpdateStoredItem(ctx context.Context, id int64, mutate func(*qluster.StoredItem) error) (*qluster.StoredItem, error) {
	return updatePlain(ctx, s, tStoredItems, id, mutate)
}

// FindStoredItemBySignature returns the first stored item of a dataset with
// this content signature that is not itself a duplicate, other than
// excludeID; nil when there is none.
func (s *Store) FindStoredItemBySignature(ctx context.Context, datasetID int64, signature string, excludeID int64) (*qluster.StoredItem, error) {
	items, err := selectPlain[qluster.StoredItem](ctx, s, tStoredItems, []filter{
		{"dataset_id = ?", []any{datasetID}}, {"signature = ?", []any{signature}},
		{"duplicate_of_id IS NULL", nil}, {"id <> ?", []any{excludeID}},
	}, "id LIMIT 1")
	if err != nil || len(items) == 0 {
		return nil, err
	}
	return &items[0], nil
}

// ListStoredItemsParams filters a list of stored items.
type ListStoredItemsParams struct {
	qluster.ListParams
	DataSourceModelID      *int64
	ParentID               *int64
	IsUploadedViaSignedURL *bool
	// SourceIDs limits the list to these data sources (nil: no limit).
	SourceIDs []int64
}

// ListStoredItems reads one page of stored items.
func (s *Store) ListStoredItems(ctx context.Context, p ListStoredItemsParams) (qluster.Page[qluster.StoredItem], error) {
	var fs []filter
	if p.DataSourceModelID != nil {
		fs = append(fs, filter{"data_source_model_id = ?", []any{*p.DataSourceModelID}})
	}
	if p.ParentID != nil {
		fs = append(fs, filter{"parent_id = ?", []any{*p.ParentID}})
	}
	if p.IsUploadedViaSignedURL != nil {
		fs = append(fs, filter{"is_uploaded_via_signed_url = ?", []any{*p.IsUploadedViaSignedURL}})
	}
	if p.SourceIDs != nil {
		fs = append(fs, filter{"data_source_model_id = ANY(?)", []any{p.SourceIDs}})
	}
	return listDocs[qluster.StoredItem](ctx, s, tStoredItems, fs, p.ListParams)
}

// DeleteStoredItem removes a stored item that nothing refers to yet.
func (s *Store) DeleteStoredItem(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM stored_items WHERE id = $1`, id)
	if err != nil {
		return translate(err, tStoredItems.kind)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &qluster.NotFoundError{Kind: tStoredItems.kind, Key: id}
	}
	return nil
}

// Training data items, training jobs and analysis tasks.

// CreateTrainingDataItem records a file a dataset learns from; a second call
// for the same stored item returns the existing one.
func (s *Store) CreateTrainingDataItem(ctx context.Context, it *qluster.TrainingDataItem) (*qluster.TrainingDataItem, error) {
	if it.StoredItemID != nil {
		got, err := selectPlain[qluster.TrainingDataItem](ctx, s, tTrainingItems, []filter{{"stored_item_id = ?", []any{*it.StoredItemID}}}, "")
		if err != nil {
			return nil, err
		}
		if len(got) > 0 {
			return &got[0], nil
		}
	}
	return createPlain(ctx, s, s.db, tTrainingItems, it)
}

// GetTrainingDataItem reads one training data item.
func (s *Store) GetTrainingDataItem(ctx context.Context, id int64) (*qluster.TrainingDataItem, error) {
	return getPlain[qluster.TrainingDataItem](ctx, s, s.db, tTrainingItems, id)
}

// TrainingDataItems lists the training data items of a dataset, enabled ones only when enabledOnly.
func (s *Store) TrainingDataItems(ctx context.Context, datasetID int64, enabledOnly bool) ([]qluster.TrainingDataItem, error) {
	fs := []filter{{"dataset_id = ?", []any{datasetID}}}
	if enabledOnly {
		fs = append(fs, filter{"enabled", nil})
	}
	return selectPlain[qluster.TrainingDataItem](ctx, s, tTrainingItems, fs, "")
}

// ListTrainingDataItems reads one page of training data items.
func (s *Store) ListTrainingDataItems(ctx context.Context, datasetID *int64, p qluster.ListParams) (qluster.Page[qluster.TrainingDataItem], error) {
	var fs []filter
	if datasetID != nil {
		fs = append(fs, filter{"dataset_id = ?", []any{*datasetID}})
	}
	return listDocs[qluster.TrainingDataItem](ctx, s, tTrainingItems, fs, p)
}

// CreateTrainingJob records a new training job.
func (s *Store) CreateTrainingJob(ctx context.Context, j *qluster.TrainingJob) (*qluster.TrainingJob, error) {
	return createPlain(ctx, s, s.db, tTrainingJobs, j)
}

// GetTrainingJob reads one training job.
func (s *Store) GetTrainingJob(ctx context.Context, id int64) (*qluster.TrainingJob, error) {
	return getPlain[qluster.TrainingJob](ctx, s, s.db, tTrainingJobs, id)
}

// UpdateTrainingJob changes a training job in place.
func (s *Store) UpdateTrainingJob(ctx context.Context, id int64, mutate func(*qluster.TrainingJob) error) (*qluster.TrainingJob, error) {
	return updatePlain(ctx, s, tTrainingJobs, id, mutate)
}

// TrainingJobsInState lists a dataset's training jobs in any of the states.
func (s *Store) TrainingJobsInState(ctx context.Context, datasetID int64, states ...qluster.TrainingJobState) ([]qluster.TrainingJob, error) {
	st := make([]string, len(states))
	for i, x := range states {
		st[i] = string(x)
	}
	return selectPlain[qluster.TrainingJob](ctx, s, tTrainingJobs, []filter{{"dataset_id = ?", []any{datasetID}}, {"state = ANY(?)", []any{st}}}, "")
}

// ListTrainingJobs reads one page of training jobs.
func (s *Store) ListTrainingJobs(ctx context.Context, datasetID *int64, p qluster.ListParams) (qluster.Page[qluster.TrainingJob], error) {
	var fs []filter
	if datasetID != nil {
		fs = append(fs, filter{"dataset_id = ?", []any{*datasetID}})
	}
	return listDocs[qluster.TrainingJob](ctx, s, tTrainingJobs, fs, p)
}

// PutAnalysisTask creates or replaces the analysis task of one training data
// item in one training job.
func (s *Store) PutAnalysisTask(ctx context.Context, t *qluster.AnalysisTask) (*qluster.AnalysisTask, error) {
	doc, err := s.encode(tAnalysisTasks, t, nil)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(doc)
	var raw []byte
	err = s.db.GetContext(ctx, &raw, `INSERT INTO analysis_tasks (doc) VALUES ($1)
		ON CONFLICT (training_job_id, training_data_item_id) DO UPDATE SET doc = EXCLUDED.doc, version_id = analysis_tasks.version_id + 1, updated_at = now()
		RETURNING `+docSelect, b)
	if err != nil {
		return nil, translate(err, tAnalysisTasks.kind)
	}
	out := new(qluster.AnalysisTask)
	return out, s.decode(tAnalysisTasks, raw, out)
}

// GetAnalysisTask reads the analysis task of one item in one job.
func (s *Store) GetAnalysisTask(ctx context.Context, jobID, itemID int64) (*qluster.AnalysisTask, error) {
	got, err := s.AnalysisTasks(ctx, jobID, &itemID)
	if err != nil {
		return nil, err
	}
	if len(got) == 0 {
		return nil, &qluster.NotFoundError{Kind: tAnalysisTasks.kind, Key: fmt.Sprintf("of training job %d and training data item %d", jobID, itemID)}
	}
	return &got[0], nil
}

// AnalysisTasks lists the analysis tasks of a training job (of one item when itemID is set).
func (s *Store) AnalysisTasks(ctx context.Context, jobID int64, itemID *int64) ([]qluster.AnalysisTask, error) {
	fs := []filter{{"training_job_id = ?", []any{jobID}}}
	if itemID != nil {
		fs = append(fs, filter{"training_data_item_id = ?", []any{*itemID}})
	}
	return selectPlain[qluster.AnalysisTask](ctx, s, tAnalysisTasks, fs, "")
}

// Migrations.

// CreateMigration records a new (draft) migration.
func (s *Store) CreateMigration(ctx context.Context, m *qluster.MigrationModel) (*qluster.MigrationModel, error) {
	return createPlain(ctx, s, s.db, tMigrations, m)
}

// GetMigration reads one migration.
func (s *Store) GetMigration(ctx context.Context, id int64) (*qluster.MigrationModel, error) {
	return getPlain[qluster.MigrationModel](ctx, s, s.db, tMigrations, id)
}

// UpdateMigration changes a migration in place.
func (s *Store) UpdateMigration(ctx context.Context, id int64, mutate func(*qluster.MigrationModel) error) (*qluster.MigrationModel, error) {
	return updatePlain(ctx, s, tMigrations, id, mutate)
}

// MigrationsInState lists a dataset's migrations in any of the states, oldest first.
func (s *Store) MigrationsInState(ctx context.Context, datasetID int64, states ...qluster.MigrationState) ([]qluster.MigrationModel, error) {
	st := make([]string, len(states))
	for i, x := range states {
		st[i] = string(x)
	}
	return selectPlain[qluster.MigrationModel](ctx, s, tMigrations, []filter{{"dataset_id = ?", []any{datasetID}}, {"state = ANY(?)", []any{st}}}, "")
}

// MakeMigrationCurrent marks migration id current and the dataset's previous
// current migration applied, linking the new one to it by down_id, in one
// transaction. It returns the new current migration.
func (s *Store) MakeMigrationCurrent(ctx context.Context, id int64) (*qluster.MigrationModel, error) {
	var out *qluster.MigrationModel
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		m, err := getPlain[qluster.MigrationModel](ctx, s, tx, tMigrations, id)
		if err != nil {
			return err
		}
		var prev []int64
		if err := tx.SelectContext(ctx, &prev, `SELECT id FROM migration_models WHERE dataset_id = $1 AND state = 'current' AND id <> $2 FOR UPDATE`, m.DatasetID, id); err != nil {
			return err
		}
		for _, p := range prev {
			if _, err := updatePlainTx(ctx, s, tx, tMigrations, p, func(pm *qluster.MigrationModel) error {
				pm.State = qluster.MigrationStateApplied
				return nil
			}); err != nil {
				return err
			}
		}
		out, err = updatePlainTx(ctx, s, tx, tMigrations, id, func(cm *qluster.MigrationModel) error {
			cm.State = qluster.MigrationStateCurrent
			cm.Confirmed = true
			if len(prev) > 0 {
				cm.DownID = &prev[0]
			}
			return nil
		})
		return err
	})
	return out, err
}

// ListMigrations reads one page of migrations.
func (s *Store) ListMigrations(ctx context.Context, state *string, settingsModelID *int64, p qluster.ListParams) (qluster.Page[qluster.MigrationModel], error) {
	var fs []filter
	if state != nil {
		fs = append(fs, filter{"state = ?", []any{*state}})
	}
	if settingsModelID != nil {
		fs = append(fs, filter{"settings_model_id = ?", []any{*settingsModelID}})
	}
	return listDocs[qluster.MigrationModel](ctx, s, tMigrations, fs, p)
}

// Alerts.

// RaiseAlert records an alert. An alert with an AggregateKey that matches an
// unresolved one is folded into it: its count grows by a.Count (at least 1)
// and its previous values gather the new value. It returns the alert as stored.
func (s *Store) RaiseAlert(ctx context.Context, a *qluster.AlertItem, aggregateKey string) (*qluster.AlertItem, error) {
	if a.Count == 0 {
		a.Count = 1
	}
	doc, err := s.encode(tAlerts, a, nil)
	if err != nil {
		return nil, err
	}
	if aggregateKey != "" {
		doc["aggregate_key"] = aggregateKey
	}
	b, _ := json.Marshal(doc)
	var raw []byte
	err = s.db.GetContext(ctx, &raw, `INSERT INTO alert_items (doc) VALUES ($1)
		ON CONFLICT (aggregate_key) WHERE NOT resolved AND aggregate_key IS NOT NULL
		DO UPDATE SET doc = alert_items.doc || jsonb_build_object(
			'count', COALESCE((alert_items.doc->>'count')::bigint, 0) + COALESCE((EXCLUDED.doc->>'count')::bigint, 1),
			'previous_values', (SELECT COALESCE(jsonb_agg(DISTINCT v), '[]'::jsonb) FROM (
				SELECT v FROM jsonb_array_elements(COALESCE(alert_items.doc->'previous_values', '[]'::jsonb) || COALESCE(EXCLUDED.doc->'previous_values', '[]'::jsonb)) AS v LIMIT 20) pv)),
			version_id = alert_items.version_id + 1, updated_at = now()
		RETURNING `+docSelect, b)
	if err != nil {
		return nil, translate(err, tAlerts.kind)
	}
	out := new(qluster.AlertItem)
	return out, s.decode(tAlerts, raw, out)
}

// GetAlert reads one alert.
func (s *Store) GetAlert(ctx context.Context, id int64) (*qluster.AlertItem, error) {
	return getPlain[qluster.AlertItem](ctx, s, s.db, tAlerts, id)
}

// UpdateAlert changes an alert in place.
func (s *Store) UpdateAlert(ctx context.Context, id int64, mutate func(*qluster.AlertItem) error) (*qluster.AlertItem, error) {
	return updatePlain(ctx, s, tAlerts, id, mutate)
}

// UnresolvedAlerts lists a dataset's unresolved alerts of the given types (every type when none is given).
func (s *Store) UnresolvedAlerts(ctx context.Context, datasetID int64, types ...qluster.AlertType) ([]qluster.AlertItem, error) {
	fs := []filter{{"dataset_id = ?", []any{datasetID}}, {"NOT resolved", nil}}
	if len(types) > 0 {
		st := make([]string, len(types))
		for i, x := range types {
			st[i] = string(x)
		}
		fs = append(fs, filter{"alert_type = ANY(?)", []any{st}})
	}
	return selectPlain[qluster.AlertItem](ctx, s, tAlerts, fs, "")
}

// ListAlertsParams filters a list of alerts.
type ListAlertsParams struct {
	qluster.ListParams
	Resolved          bool
	IsMuted           bool
	DatasetID         *int64
	DataSourceModelID *int64
	SourceIDs         []int64
}

// ListAlerts reads one page of alerts.
func (s *Store) ListAlerts(ctx context.Context, p ListAlertsParams) (qluster.Page[qluster.AlertItem], error) {
	fs := []filter{{"resolved = ?", []any{p.Resolved}}, {"is_muted = ?", []any{p.IsMuted}}}
	if p.DatasetID != nil {
		fs = append(fs, filter{"dataset_id = ?", []any{*p.DatasetID}})
	}
	if p.DataSourceModelID != nil {
		fs = append(fs, filter{"data_source_model_id = ?", []any{*p.DataSourceModelID}})
	}
	if p.SourceIDs != nil {
		fs = append(fs, filter{"data_source_model_id = ANY(?)", []any{p.SourceIDs}})
	}
	return listDocs[qluster.AlertItem](ctx, s, tAlerts, fs, p.ListParams)
}

// Ingestion jobs.

// CreateIngestionJob records a new ingestion job.
func (s *Store) CreateIngestionJob(ctx context.Context, j *qluster.IngestionJob) (*qluster.IngestionJob, error) {
	return createPlain(ctx, s, s.db, tIngestionJobs, j)
}

// GetIngestionJob reads one ingestion job.
func (s *Store) GetIngestionJob(ctx context.Context, id int64) (*qluster.IngestionJob, error) {
	return getPlain[qluster.IngestionJob](ctx, s, s.db, tIngestionJobs, id)
}

// UpdateIngestionJob changes an ingestion job in place.
func (s *Store) UpdateIngestionJob(ctx context.Context, id int64, mutate func(*qluster.IngestionJob) error) (*qluster.IngestionJob, error) {
	return updatePlain(ctx, s, tIngestionJobs, id, mutate)
}

// ListIngestionJobsParams filters a list of ingestion jobs.
type ListIngestionJobsParams struct {
	qluster.ListParams
	SettingsModelID   *int64
	DatasetID         *int64
	DataSourceModelID *int64
	State             *string
	SourceIDs         []int64
}

// ListIngestionJobs reads one page of ingestion jobs.
func (s *Store) ListIngestionJobs(ctx context.Context, p ListIngestionJobsParams) (qluster.Page[qluster.IngestionJob], error) {
	var fs []filter
	if p.SettingsModelID != nil {
		fs = append(fs, filter{"(doc->>'settings_model_id')::bigint = ?", []any{*p.SettingsModelID}})
	}
	if p.DatasetID != nil {
		fs = append(fs, filter{"dataset_id = ?", []any{*p.DatasetID}})
	}
	if p.DataSourceModelID != nil {
		fs = append(fs, filter{"data_source_model_id = ?", []any{*p.DataSourceModelID}})
	}
	if p.State != nil {
		fs = append(fs, filter{"state = ?", []any{*p.State}})
	}
	if p.SourceIDs != nil {
		fs = append(fs, filter{"data_source_model_id = ANY(?)", []any{p.SourceIDs}})
	}
	return listDocs[qluster.IngestionJob](ctx, s, tIngestionJobs, fs, p.ListParams)
}

// IngestionJobsInState lists the ingestion jobs of a dataset in any of the states, oldest first.
func (s *Store) IngestionJobsInState(ctx context.Context, datasetID int64, states ...qluster.IngestionJobState) ([]qluster.IngestionJob, error) {
	st := make([]string, len(states))
	for i, x := range states {
		st[i] = string(x)
	}
	return selectPlain[qluster.IngestionJob](ctx, s, tIngestionJobs, []filter{{"dataset_id = ?", []any{datasetID}}, {"state = ANY(?)", []any{st}}}, "")
}

// IngestionJobOfStoredItem returns the (first) ingestion job of a stored item, or nil.
func (s *Store) IngestionJobOfStoredItem(ctx context.Context, storedItemID int64) (*qluster.IngestionJob, error) {
	got, err := selectPlain[qluster.IngestionJob](ctx, s, tIngestionJobs, []filter{{"stored_item_id = ?", []any{storedItemID}}}, "id LIMIT 1")
	if err != nil || len(got) == 0 {
		return nil, err
	}
	return &got[0], nil
}

// StoredItemsToIngest lists a dataset's files that waited for its table:
// routed while it had none (they have a training data item), neither
// duplicates nor ignored nor archives split into members, with no ingestion
// job yet. A file not routed yet is left to its own routing, which splits
// an archive before anything loads it.
func (s *Store) StoredItemsToIngest(ctx context.Context, datasetID int64) ([]qluster.StoredItem, error) {
	return selectPlain[qluster.StoredItem](ctx, s, tStoredItems, []filter{
		{"dataset_id = ?", []any{datasetID}}, {"duplicate_of_id IS NULL", nil}, {"signature IS NOT NULL", nil},
		{"NOT COALESCE((doc->>'ignore_file')::boolean, false)", nil},
		{"NOT EXISTS (SELECT 1 FROM ingestion_jobs j WHERE j.stored_item_id = stored_items.id)", nil},
		// An archive split into its members is not loaded itself.
		{"NOT EXISTS (SELECT 1 FROM stored_items c WHERE c.parent_id = stored_items.id)", nil},
		{"EXISTS (SELECT 1 FROM training_data_items t WHERE t.stored_item_id = stored_items.id)", nil},
	}, "")
}

// DatasetOfSettingsModel returns the id of the dataset a settings model belongs to.
func (s *Store) DatasetOfSettingsModel(ctx context.Context, settingsModelID int64) (int64, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `SELECT dataset_id FROM settings_models WHERE id = $1`, settingsModelID)
	return id, notFoundKey(translate(err, tSettings.kind), settingsModelID)
}

// BlockingAlerts lists the unresolved alerts that hold ingestion of a file:
// those blocking its dataset, its data source, or the file itself.
func (s *Store) BlockingAlerts(ctx context.Context, datasetID, sourceID, storedItemID int64) ([]qluster.AlertItem, error) {
	return selectPlain[qluster.AlertItem](ctx, s, tAlerts, []filter{{"NOT resolved", nil}, {`(
		(dataset_id = ? AND COALESCE((doc->>'blocks_ingestion_for_dataset')::boolean, false)) OR
		(data_source_model_id = ? AND COALESCE((doc->>'blocks_ingestion_for_data_source')::boolean, false)) OR
		((doc->>'stored_item_id')::bigint = ? AND COALESCE((doc->>'blocks_stored_item')::boolean, false)))`,
		[]any{datasetID, sourceID, storedItemID}}}, "")
}

// IgnoredSignatures returns the row signatures a data source's files skip:
// those of its dataset and its own.
func (s *Store) IgnoredSignatures(ctx context.Context, datasetID, sourceID int64) (map[string]bool, error) {
	var sigs []string
	if err := s.db.SelectContext(ctx, &sigs, `SELECT signature FROM ignored_line_signatures
		WHERE dataset_id = $1 AND (data_source_model_id IS NULL OR data_source_model_id = $2)`, datasetID, sourceID); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(sigs))
	for _, x := range sigs {
		out[x] = true
	}
	return out, nil
}

// IgnoreSignatures adds row signatures a dataset (or one of its data sources, when sourceID is set) skips.
func (s *Store) IgnoreSignatures(ctx context.Context, datasetID int64, sourceID *int64, sigs []string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, sig := range sigs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ignored_line_signatures (dataset_id, data_source_model_id, signature)
				VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, datasetID, sourceID, sig); err != nil {
				return translate(err, "ignored signature")
			}
		}
		return nil
	})
}

// Recount sets the row counts of a dataset and of a data source to the sums
// over their files, so they stay exact whatever was retried. Counts are not
// configuration: they change no version and write no history.
//
// Recounts of a dataset take turns on its row, and each sums the files in a
// snapshot taken once its turn came: a single statement sums in the snapshot
// it started with, before it waited for the row, so a recount that waited
// behind others could write older sums over theirs.
func (s *Store) Recount(ctx context.Context, datasetID, sourceID int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT FROM datasets WHERE id = $1 FOR NO KEY UPDATE`, datasetID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
		WITH f AS (SELECT data_source_model_id,
			COALESCE((doc->>'successful_rows_count')::bigint, 0) AS good,
			COALESCE((doc->>'bad_rows_count')::bigint, 0) AS bad
			FROM stored_items WHERE dataset_id = $1 AND NOT COALESCE((doc->>'ignore_file')::boolean, false)),
		d AS (UPDATE datasets SET doc = doc || jsonb_build_object(
			'successful_rows_count', (SELECT COALESCE(sum(good), 0) FROM f), 'bad_rows_count', (SELECT COALESCE(sum(bad), 0) FROM f))
			WHERE id = $1)
		UPDATE data_source_models SET doc = doc || jsonb_build_object('bad_rows_count', (SELECT COALESCE(sum(bad), 0) FROM f WHERE data_source_model_id = $2))
		WHERE id = $2`, datasetID, sourceID)
		return err
	})
}

// TakenFiles maps the keys of a data source's files that were taken whole
// (a stored item with a signature; a file that failed half-way has none and
// is taken again) to the version recorded when they were taken, "" when
// none was.
func (s *Store) TakenFiles(ctx context.Context, sourceID int64) (map[string]string, error) {
	var rows []struct {
		Key     string `db:"key"`
		Version string `db:"version"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT DISTINCT i.doc->>'key' AS key, COALESCE(f.version, '') AS version
		FROM stored_items i
		LEFT JOIN source_files f ON f.data_source_model_id = i.data_source_model_id AND f.key = i.doc->>'key'
		WHERE i.data_source_model_id = $1 AND i.parent_id IS NULL AND i.signature IS NOT NULL`, sourceID); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Version
	}
	return out, nil
}

// RecordTakenFile records the version of the file at key that a data
// source's sensor took as storedItemID.
func (s *Store) RecordTakenFile(ctx context.Context, sourceID int64, key, version string, storedItemID int64) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO source_files (data_source_model_id, key, version, stored_item_id)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (data_source_model_id, key) DO UPDATE
		SET version = EXCLUDED.version, stored_item_id = EXCLUDED.stored_item_id, taken_at = now()`, sourceID, key, version, storedItemID)
	return err
}

// ScheduledSources lists the active data sources that have a schedule.
func (s *Store) ScheduledSources(ctx context.Context) ([]qluster.DataSource, error) {
	return selectPlain[qluster.DataSource](ctx, s, tDataSources, []filter{{"state = 'active'", nil}, {"COALESCE(doc->>'schedule', '') <> ''", nil}}, "")
}
