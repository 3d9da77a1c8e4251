package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/openqluster/qluster-go/qluster"
)

// datasetDoc is a dataset as stored: without its settings model, which has a table of its own.
func datasetDoc(d *qluster.Dataset) *qluster.Dataset {
	c := *d
	c.SettingsModel = nil
	return &c
}

// CreateDataset stores a new dataset and its settings model in one
// transaction and returns them as stored.
func (s *Store) CreateDataset(ctx context.Context, d *qluster.Dataset, by *uuid.UUID) (*qluster.Dataset, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if id, err = s.insertDoc(ctx, tx, tDatasets, datasetDoc(d), nil, by); err != nil {
			return err
		}
		settings := qluster.DefaultSettings()
		if d.SettingsModel != nil {
			settings = *d.SettingsModel
		}
		_, err = s.insertDoc(ctx, tx, tSettings, &settings, map[string]any{"dataset_id": id}, by)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetDataset(ctx, id)
}

// GetDataset reads a dataset with its settings model.
func (s *Store) GetDataset(ctx context.Context, id int64) (*qluster.Dataset, error) {
	return s.getDataset(ctx, s.db, id)
}

func (s *Store) getDataset(ctx context.Context, q sqlx.QueryerContext, id int64) (*qluster.Dataset, error) {
	var d qluster.Dataset
	if err := s.getDoc(ctx, q, tDatasets, id, &d); err != nil {
		return nil, err
	}
	var raw []byte
	if err := sqlx.GetContext(ctx, q, &raw, `SELECT `+docSelect+` FROM settings_models WHERE dataset_id = $1`, id); err != nil {
		return nil, fmt.Errorf("settings model of dataset %d: %w", id, translate(err, tSettings.kind))
	}
	var st qluster.Settings
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, err
	}
	d.SettingsModel = &st
	return &d, nil
}

// ListDatasetsParams filters a list of datasets.
type ListDatasetsParams struct {
	qluster.ListParams
	// States keeps datasets in these states; empty keeps every state.
	States []string
	// DestinationID keeps datasets loading into this destination.
	DestinationID *int64
}

// ListDatasets reads one page of datasets, each with its settings model.
func (s *Store) ListDatasets(ctx context.Context, p ListDatasetsParams) (qluster.Page[qluster.Dataset], error) {
	var fs []filter
	if len(p.States) > 0 {
		fs = append(fs, filter{"d.state = ANY(?)", []any{p.States}})
	}
	if p.DestinationID != nil {
		fs = append(fs, filter{"d.destination_id = ?", []any{*p.DestinationID}})
	}
	sel := `d.id, d.doc || jsonb_build_object('id', d.id, 'version_id', d.version_id, 'created_at', d.created_at, 'updated_at', d.updated_at,
		'settings_model', sm.doc || jsonb_build_object('id', sm.id, 'version_id', sm.version_id)) AS doc`
	return listPage(ctx, s.db, "datasets d JOIN settings_models sm ON sm.dataset_id = d.id", sel, "d.id", fs, p.ListParams,
		func(rows *sqlx.Rows) (qluster.Dataset, int64, error) {
			var id int64
			var raw []byte
			var d qluster.Dataset
			if err := rows.Scan(&id, &raw); err != nil {
				return d, 0, err
			}
			return d, id, json.Unmarshal(raw, &d)
		})
}

// UpdateDatasetParams is one change of a dataset and, optionally, of its settings model.
type UpdateDatasetParams struct {
	// ID is the dataset to change.
	ID int64
	// VersionID must be the dataset's stored version (nil: any).
	VersionID *int64
	// Mutate changes the dataset in place; nil leaves it alone.
	Mutate func(d *qluster.Dataset) error
	// SettingsVersionID must be the settings model's stored version (nil: any).
	SettingsVersionID *int64
	// MutateSettings changes the settings model in place; nil leaves it alone.
	MutateSettings func(st *qluster.Settings) error
	// By is the acting user.
	By *uuid.UUID
}

// UpdateDataset applies p in one transaction: each object it changes is
// locked on its version, bumped and recorded in history.
func (s *Store) UpdateDataset(ctx context.Context, p UpdateDatasetParams) (*qluster.Dataset, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if p.Mutate != nil {
			_, err := updateDoc(ctx, s, tx, tDatasets, p.ID, p.VersionID, p.By, func(d *qluster.Dataset) error {
				if err := p.Mutate(d); err != nil {
					return err
				}
				d.SettingsModel = nil
				return nil
			})
			if err != nil {
				return err
			}
		} else if p.VersionID != nil {
			var v int64
			if err := tx.GetContext(ctx, &v, `SELECT version_id FROM datasets WHERE id = $1 FOR UPDATE`, p.ID); err != nil {
				return notFoundKey(translate(err, tDatasets.kind), p.ID)
			}
			if v != *p.VersionID {
				return &qluster.ConflictError{Version: true, Msg: fmt.Sprintf("dataset %d is at version_id %d, not %d: read it again and reapply your change", p.ID, v, *p.VersionID)}
			}
		}
		if p.MutateSettings != nil {
			var smID int64
			if err := tx.GetContext(ctx, &smID, `SELECT id FROM settings_models WHERE dataset_id = $1`, p.ID); err != nil {
				return notFoundKey(translate(err, tDatasets.kind), p.ID)
			}
			_, err := updateDoc(ctx, s, tx, tSettings, smID, p.SettingsVersionID, p.By, p.MutateSettings)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetDataset(ctx, p.ID)
}

// DatasetHistory lists the changes of a dataset and of its settings model.
func (s *Store) DatasetHistory(ctx context.Context, id int64) (dataset, settings []qluster.HistoryRecord, err error) {
	d, err := s.GetDataset(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if dataset, err = s.History(ctx, tDatasets.name, fmt.Sprint(id)); err != nil {
		return nil, nil, err
	}
	settings, err = s.History(ctx, tSettings.name, fmt.Sprint(d.SettingsModel.ID))
	return dataset, settings, err
}

// DeleteDataset marks a dataset and its data sources deleted. name must be
// the dataset's name: a guard against deleting the wrong one.
func (s *Store) DeleteDataset(ctx context.Context, id int64, name string, by *uuid.UUID) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := updateDoc(ctx, s, tx, tDatasets, id, nil, by, func(d *qluster.Dataset) error {
			if d.Name != name {
				return qluster.Invalid("name", "value_error", "the name %q does not match dataset %d, which is named %q; send its exact name to delete it", name, id, d.Name)
			}
			if d.State == qluster.DatasetStateDeleted {
				return &qluster.ConflictError{Msg: fmt.Sprintf("dataset %d is already deleted", id)}
			}
			d.State = qluster.DatasetStateDeleted
			return nil
		})
		if err != nil {
			return err
		}
		var sources []int64
		if err := tx.SelectContext(ctx, &sources, `SELECT id FROM data_source_models WHERE dataset_id = $1 AND state <> 'deleted'`, id); err != nil {
			return err
		}
		for _, dsID := range sources {
			if _, err := updateDoc(ctx, s, tx, tDataSources, dsID, nil, by, func(d *qluster.DataSource) error {
				d.State = qluster.DataSourceStateDeleted
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
}
