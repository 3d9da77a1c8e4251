package server

import (
	"context"
	"fmt"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// datasetNested are the objects inside a dataset whose fields a PATCH overlays one by one.
var datasetNested = map[string]bool{"settings_model": true}

// datasetReadOnly are fields a client may send but never sets: the server owns them.
var datasetReadOnly = []string{"id", "version_id", "state", "successful_rows_count", "bad_rows_count", "whodunit_id",
	"backup_settings_list", "created_at", "updated_at"}

// GetNewDataset answers a dataset filled with the defaults a POST would use.
func (s *Server) GetNewDataset(ctx context.Context, _ GetNewDatasetRequestObject) (GetNewDatasetResponseObject, error) {
	d := qluster.NewDataset()
	if err := s.withDefaults(ctx, &d); err != nil {
		return nil, err
	}
	return convert[GetNewDataset200JSONResponse](&d)
}

// PostDataset creates a dataset and its settings model from the defaults
// overlaid with the fields sent.
func (s *Server) PostDataset(ctx context.Context, _ PostDatasetRequestObject) (PostDatasetResponseObject, error) {
	d, err := s.createDataset(ctx, qluster.NewDataset())
	if err != nil {
		return nil, err
	}
	return convert[PostDataset200JSONResponse](d)
}

func (s *Server) createDataset(ctx context.Context, base qluster.Dataset) (*qluster.Dataset, error) {
	if err := overlay(&base, rawBody(ctx), datasetNested, datasetReadOnly...); err != nil {
		return nil, err
	}
	base.State = qluster.DatasetStateActive
	base.WhodunitID = actor(ctx)
	if err := s.withDefaults(ctx, &base); err != nil {
		return nil, err
	}
	if base.SettingsModel == nil {
		st := qluster.DefaultSettings()
		base.SettingsModel = &st
	}
	if err := s.checkDataset(ctx, &base); err != nil {
		return nil, err
	}
	return s.store.CreateDataset(ctx, &base, actor(ctx))
}

// checkDataset validates a dataset about to be written, naming each bad field.
func (s *Server) checkDataset(ctx context.Context, d *qluster.Dataset) error {
	if err := s.checkStruct(d); err != nil {
		return err
	}
	v := &qluster.ValidationError{}
	if d.DestinationID != nil {
		if _, err := s.store.GetDestination(ctx, *d.DestinationID); err != nil {
			if !isNotFound(err) {
				return err
			}
			v.Add([]string{"body", "destination_id"}, "not_found", "no destination has id %d; list them with GET /api/destinations", *d.DestinationID)
		}
	}
	if d.BackupSettingsID != nil {
		if _, err := s.store.GetBackupSettings(ctx, *d.BackupSettingsID); err != nil {
			if !isNotFound(err) {
				return err
			}
			v.Add([]string{"body", "backup_settings_id"}, "not_found", "no backup settings have id %d; list them with GET /api/backup-settings", *d.BackupSettingsID)
		}
	}
	if d.MaxRetryCount < 0 {
		v.Add([]string{"body", "max_retry_count"}, "value_error", "must be 0 or more")
	}
	if d.MaxTriesToFixJSON < 0 {
		v.Add([]string{"body", "max_tries_to_fix_json"}, "value_error", "must be 0 or more")
	}
	return v.Err()
}

// GetDataset answers one dataset with its settings model.
func (s *Server) GetDataset(ctx context.Context, req GetDatasetRequestObject) (GetDatasetResponseObject, error) {
	d, err := s.store.GetDataset(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	return convert[GetDataset200JSONResponse](d)
}

// GetDatasets answers a page of datasets.
func (s *Server) GetDatasets(ctx context.Context, req GetDatasetsRequestObject) (GetDatasetsResponseObject, error) {
	p := req.Params
	lp := postgres.ListDatasetsParams{ListParams: listParams(p.Start, p.End, p.Limit, p.Reverse), States: []string{"active", "disabled"}}
	filters := map[string]any{}
	if p.States != nil {
		lp.States = *p.States
	}
	filters["states"] = lp.States
	lp.DestinationID = idFilter(filters, "destination_id", p.DestinationId)
	page, err := s.store.ListDatasets(ctx, lp)
	if err != nil {
		return nil, err
	}
	return toList[GetDatasets200JSONResponse](page, filters, "Datasets", nil)
}

// PatchDataset changes the fields sent of a dataset and of its settings
// model, each locked on the version_id sent with it.
func (s *Server) PatchDataset(ctx context.Context, req PatchDatasetRequestObject) (PatchDatasetResponseObject, error) {
	body := req.Body
	p := postgres.UpdateDatasetParams{ID: int64(body.Id), VersionID: ptr(int64(body.VersionId)), By: actor(ctx)}
	raw := rawBody(ctx)
	var settingsPatch []byte
	if body.SettingsModel != nil {
		sp, err := pick(raw, "settings_model")
		if err != nil {
			return nil, err
		}
		settingsPatch = sp
		if body.SettingsModel.VersionId == nil {
			return nil, qluster.Invalid("settings_model", "missing", "settings_model.version_id is required to change the settings model")
		}
		p.SettingsVersionID = ptr(int64(*body.SettingsModel.VersionId))
	}
	dsPatch, err := without(raw, "settings_model")
	if err != nil {
		return nil, err
	}
	p.Mutate = func(d *qluster.Dataset) error {
		if err := overlay(d, dsPatch, nil, append(datasetReadOnly, "schema_name", "database_name", "table_name")...); err != nil {
			return err
		}
		d.WhodunitID = actor(ctx)
		return s.checkDataset(ctx, d)
	}
	if settingsPatch != nil {
		p.MutateSettings = func(st *qluster.Settings) error {
			return overlay(st, settingsPatch, nil, "id", "version_id")
		}
	}
	d, err := s.store.UpdateDataset(ctx, p)
	if err != nil {
		return nil, err
	}
	return convert[PatchDataset200JSONResponse](d)
}

// GetDatasetHistory answers the changes of a dataset and of its settings model.
func (s *Server) GetDatasetHistory(ctx context.Context, req GetDatasetHistoryRequestObject) (GetDatasetHistoryResponseObject, error) {
	dh, sh, err := s.store.DatasetHistory(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	return convert[GetDatasetHistory200JSONResponse](map[string]any{"dataset_history": nonNil(dh), "settings_model_history": nonNil(sh)})
}

// GetDatasetCopy answers a dataset ready to be posted as a new one: the same
// configuration and settings, without ids, and with a new name and table.
func (s *Server) GetDatasetCopy(ctx context.Context, req GetDatasetCopyRequestObject) (GetDatasetCopyResponseObject, error) {
	d, err := s.datasetCopy(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	return convert[GetDatasetCopy200JSONResponse](d)
}

func (s *Server) datasetCopy(ctx context.Context, id int64) (*qluster.Dataset, error) {
	d, err := s.store.GetDataset(ctx, id)
	if err != nil {
		return nil, err
	}
	c := *d
	c.ID, c.VersionID, c.SuccessfulRowsCount, c.BadRowsCount, c.WhodunitID = 0, 0, 0, 0, nil
	c.State = qluster.DatasetStateActive
	c.Name = d.Name + " (copy)"
	c.TableName = truncIdent(d.TableName + "_copy")
	st := *d.SettingsModel
	st.ID, st.VersionID = 0, 0
	c.SettingsModel = &st
	return &c, nil
}

// PostDatasetCopy creates a new dataset from the configuration of another,
// overlaid with the fields sent.
func (s *Server) PostDatasetCopy(ctx context.Context, req PostDatasetCopyRequestObject) (PostDatasetCopyResponseObject, error) {
	base, err := s.datasetCopy(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	d, err := s.createDataset(ctx, *base)
	if err != nil {
		return nil, err
	}
	return convert[PostDatasetCopy200JSONResponse](d)
}

// DeleteDataset marks a dataset deleted once the caller confirms its name.
func (s *Server) DeleteDataset(ctx context.Context, req DeleteDatasetRequestObject) (DeleteDatasetResponseObject, error) {
	if err := s.store.DeleteDataset(ctx, int64(req.DatasetId), req.Body.Name, actor(ctx)); err != nil {
		return nil, err
	}
	return DeleteDataset200JSONResponse{Result: fmt.Sprintf("dataset %d (%s) is deleted; its rows stay in the destination", req.DatasetId, req.Body.Name)}, nil
}

func truncIdent(s string) string {
	if len(s) > 63 {
		return s[:63]
	}
	return s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
