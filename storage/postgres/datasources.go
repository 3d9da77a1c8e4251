package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/openqluster/qluster-go/qluster"
)

// SecretFields returns the JSON names of the fields of v that the store
// seals at rest: v is a *qluster.DataSource, *qluster.Destination or
// *qluster.BackupSettings (or one of them by value); nil for other types.
// Servers obfuscate these before answering.
func SecretFields(v any) []string {
	switch v.(type) {
	case *qluster.DataSource, qluster.DataSource:
		return tDataSources.secrets
	case *qluster.DestinationModel, qluster.DestinationModel:
		return tDestinations.secrets
	case *qluster.BackupSettings, qluster.BackupSettings:
		return tBackups.secrets
	}
	return nil
}

// dsFrom joins a data source to its dataset, whose name is read from there
// (it may have changed since the source was saved).
const dsFrom = `data_source_models ds LEFT JOIN datasets d ON d.id = ds.dataset_id`

// dsSelect reads a data source of dsFrom as one document.
const dsSelect = `ds.doc || jsonb_build_object('id', ds.id, 'version_id', ds.version_id, 'created_at', ds.created_at,
	'updated_at', ds.updated_at, 'dataset_name', COALESCE(d.name, ds.doc->>'dataset_name', ''))`

// CreateDataSource stores a new data source of a dataset and returns it as
// stored. The dataset is d.DatasetID, or the dataset of d.SettingsModelID
// when DatasetID is nil; it must exist and not be deleted, and
// d.SettingsModelID must be its settings model: otherwise the answer is a
// *qluster.ValidationError naming dataset_id or settings_model_id. The
// source's dataset_name is taken from the dataset. A name already used by
// another source of the dataset is a *qluster.ConflictError.
func (s *Store) CreateDataSource(ctx context.Context, d *qluster.DataSource, by *uuid.UUID) (*qluster.DataSource, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		c := *d
		if err := s.bindDataset(ctx, tx, &c); err != nil {
			return err
		}
		if c.State == qluster.DataSourceStateDeleted {
			return qluster.Invalid("state", "value_error", "a new data source cannot be deleted; use active, disabled or draft")
		}
		var err error
		id, err = s.insertDoc(ctx, tx, tDataSources, &c, nil, by)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetDataSource(ctx, id)
}

// bindDataset checks that d's dataset exists, is not deleted and owns d's
// settings model, filling DatasetID (from the settings model when nil) and
// DatasetName. It locks the dataset row against a concurrent delete.
func (s *Store) bindDataset(ctx context.Context, tx *sqlx.Tx, d *qluster.DataSource) error {
	if d.SettingsModelID == nil {
		return qluster.Invalid("settings_model_id", "missing",
			"settings_model_id is required: send the settings_model.id of the dataset (GET /api/datasets/{dataset_id} shows it)")
	}
	if d.DatasetID == nil {
		var dsID int64
		err := tx.GetContext(ctx, &dsID, `SELECT dataset_id FROM settings_models WHERE id = $1`, *d.SettingsModelID)
		if err != nil {
			if isNoRows(err) {
				return qluster.Invalid("settings_model_id", "not_found",
					"no settings model has id %d; send the settings_model.id of the dataset the source belongs to", *d.SettingsModelID)
			}
			return err
		}
		d.DatasetID = &dsID
	}
	var ds struct {
		Name  string `db:"name"`
		State string `db:"state"`
		SmID  int64  `db:"sm_id"`
	}
	err := tx.GetContext(ctx, &ds, `SELECT COALESCE(d.name, '') AS name, COALESCE(d.state, '') AS state, sm.id AS sm_id
		FROM datasets d JOIN settings_models sm ON sm.dataset_id = d.id WHERE d.id = $1 FOR SHARE OF d`, *d.DatasetID)
	if err != nil {
		if isNoRows(err) {
			return qluster.Invalid("dataset_id", "not_found", "no dataset has id %d; list them with GET /api/datasets", *d.DatasetID)
		}
		return err
	}
	if ds.State == string(qluster.DatasetStateDeleted) {
		return qluster.Invalid("dataset_id", "value_error", "dataset %d (%s) is deleted; attach the source to a dataset that is not", *d.DatasetID, ds.Name)
	}
	if ds.SmID != *d.SettingsModelID {
		return qluster.Invalid("settings_model_id", "value_error",
			"settings model %d is not the one of dataset %d (%s); send settings_model_id %d", *d.SettingsModelID, *d.DatasetID, ds.Name, ds.SmID)
	}
	d.DatasetName = ds.Name
	return nil
}

// GetDataSource reads a data source, its secrets opened.
func (s *Store) GetDataSource(ctx context.Context, id int64) (*qluster.DataSource, error) {
	var raw []byte
	err := s.db.GetContext(ctx, &raw, `SELECT `+dsSelect+` FROM `+dsFrom+` WHERE ds.id = $1`, id)
	if err != nil {
		return nil, notFoundKey(translate(err, tDataSources.kind), id)
	}
	var d qluster.DataSource
	if err := s.decode(tDataSources, raw, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ListDataSourcesParams filters a list of data sources.
type ListDataSourcesParams struct {
	qluster.ListParams
	// DatasetID keeps the sources of this dataset.
	DatasetID *int64
	// States keeps sources in these states; empty keeps every state.
	States []string
	// IDs, when not nil, keeps only the sources with these ids (an empty,
	// non-nil IDs keeps none): the sources a limited_to_source user may see.
	IDs []int64
}

// ListDataSources reads one page of data sources.
func (s *Store) ListDataSources(ctx context.Context, p ListDataSourcesParams) (qluster.Page[qluster.DataSource], error) {
	var fs []filter
	if p.DatasetID != nil {
		fs = append(fs, filter{"ds.dataset_id = ?", []any{*p.DatasetID}})
	}
	if len(p.States) > 0 {
		fs = append(fs, filter{"ds.state = ANY(?)", []any{p.States}})
	}
	if p.IDs != nil {
		fs = append(fs, filter{"ds.id = ANY(?)", []any{p.IDs}})
	}
	return listPage(ctx, s.db, dsFrom, "ds.id, "+dsSelect+" AS doc", "ds.id", fs, p.ListParams,
		func(rows *sqlx.Rows) (qluster.DataSource, int64, error) {
			var id int64
			var raw []byte
			var d qluster.DataSource
			if err := rows.Scan(&id, &raw); err != nil {
				return d, 0, err
			}
			return d, id, s.decode(tDataSources, raw, &d)
		})
}

// UpdateDataSource changes data source id in place with mutate when its
// stored version_id is version (any when nil), bumps it, records the change
// in history and returns it as stored. A stale version is a
// *qluster.ConflictError matching qluster.ErrVersionConflict; a deleted
// source cannot change (ErrConflict), and mutate may not delete it (use
// DeleteDataSource). The dataset and settings model after mutate are checked
// as in CreateDataSource. A secret left as qluster.Obfuscated keeps the
// stored one.
func (s *Store) UpdateDataSource(ctx context.Context, id int64, version *int64, by *uuid.UUID, mutate func(d *qluster.DataSource) error) (*qluster.DataSource, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := updateDoc(ctx, s, tx, tDataSources, id, version, by, func(d *qluster.DataSource) error {
			if d.State == qluster.DataSourceStateDeleted {
				return &qluster.ConflictError{Msg: fmt.Sprintf("data source %d is deleted and cannot change; create a new one or copy it", id)}
			}
			if err := mutate(d); err != nil {
				return err
			}
			if d.State == qluster.DataSourceStateDeleted {
				return qluster.Invalid("state", "value_error", "a data source is deleted with DELETE /api/data-sources/%d, not by setting its state", id)
			}
			d.ID = id
			return s.bindDataset(ctx, tx, d)
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetDataSource(ctx, id)
}

// DataSourceHistory lists the changes of a data source, oldest first. The
// documents hold the secrets as stored (sealed).
func (s *Store) DataSourceHistory(ctx context.Context, id int64) ([]qluster.HistoryRecord, error) {
	var exists bool
	if err := s.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM data_source_models WHERE id = $1)`, id); err != nil {
		return nil, err
	}
	if !exists {
		return nil, &qluster.NotFoundError{Kind: tDataSources.kind, Key: id}
	}
	return s.History(ctx, tDataSources.name, fmt.Sprint(id))
}

// DeleteDataSource marks a data source deleted. name must be the source's
// name: a guard against deleting the wrong one. Its files and rows stay.
func (s *Store) DeleteDataSource(ctx context.Context, id int64, name string, by *uuid.UUID) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := updateDoc(ctx, s, tx, tDataSources, id, nil, by, func(d *qluster.DataSource) error {
			if d.Name != name {
				return qluster.Invalid("name", "value_error", "the name %q does not match data source %d, which is named %q; send its exact name to delete it", name, id, d.Name)
			}
			if d.State == qluster.DataSourceStateDeleted {
				return &qluster.ConflictError{Msg: fmt.Sprintf("data source %d is already deleted", id)}
			}
			d.State = qluster.DataSourceStateDeleted
			return nil
		})
		return err
	})
}

// DataSourceTiny is the summary of a data source that lists and headers show.
type DataSourceTiny struct {
	ID          int64  `json:"id" db:"id"`
	Name        string `json:"name" db:"name"`
	DatasetName string `json:"dataset_name" db:"dataset_name"`
	// DestinationName is the name of the dataset's destination; nil for the default destination.
	DestinationName *string `json:"destination_name" db:"destination_name"`
	DatasetID       *int64  `json:"dataset_id" db:"dataset_id"`
	// UnresolvedAlerts counts the source's alerts not resolved yet (muted ones included).
	UnresolvedAlerts int64                   `json:"unresolved_alerts" db:"unresolved_alerts"`
	DataSourceType   qluster.DataSourceType  `json:"data_source_type" db:"data_source_type"`
	Schedule         string                  `json:"schedule" db:"schedule"`
	State            qluster.DataSourceState `json:"state" db:"state"`
	// LastSync is when the source was last polled; nil until sources are polled.
	LastSync *time.Time `json:"last_sync" db:"last_sync"`
}

// DataSourceTiny reads the summary of a data source.
func (s *Store) DataSourceTiny(ctx context.Context, id int64) (*DataSourceTiny, error) {
	var t DataSourceTiny
	err := s.db.GetContext(ctx, &t, `SELECT ds.id, COALESCE(ds.name, '') AS name,
		COALESCE(d.name, ds.doc->>'dataset_name', '') AS dataset_name, dst.name AS destination_name, ds.dataset_id,
		(SELECT count(*) FROM alert_items a WHERE a.data_source_model_id = ds.id AND NOT a.resolved) AS unresolved_alerts,
		COALESCE(ds.data_source_type, '') AS data_source_type, COALESCE(ds.doc->>'schedule', '') AS schedule,
		COALESCE(ds.state, '') AS state, NULL::timestamptz AS last_sync
		FROM `+dsFrom+` LEFT JOIN destinations dst ON dst.id = d.destination_id WHERE ds.id = $1`, id)
	if err != nil {
		return nil, notFoundKey(translate(err, tDataSources.kind), id)
	}
	return &t, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
