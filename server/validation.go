package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// tableColumns are the columns of a dataset's table, as its current
// migration plans them; a dataset without a table is a *qluster.NotFoundError.
func (s *Server) tableColumns(ctx context.Context, ds *qluster.Dataset) ([]qluster.PlannedColumn, error) {
	cur, err := s.store.MigrationsInState(ctx, ds.ID, qluster.MigrationStateCurrent)
	if err != nil {
		return nil, err
	}
	if len(cur) == 0 {
		return nil, &qluster.NotFoundError{Kind: "table", Key: fmt.Sprintf("of dataset %d (its fields come with its first migration)", ds.ID)}
	}
	plan, err := qluster.PlanOf(&cur[0])
	if err != nil {
		return nil, err
	}
	return plan.Columns, nil
}

// ruleField reads a dataset and the column of its table named field.
func (s *Server) ruleField(ctx context.Context, datasetID int64, field string) (*qluster.Dataset, *qluster.PlannedColumn, error) {
	ds, err := s.store.GetDataset(ctx, datasetID)
	if err != nil {
		return nil, nil, err
	}
	cols, err := s.tableColumns(ctx, ds)
	if err != nil {
		return nil, nil, err
	}
	for i := range cols {
		if cols[i].Name == field {
			return ds, &cols[i], nil
		}
	}
	return nil, nil, &qluster.NotFoundError{Kind: "field", Key: fmt.Sprintf("%q of dataset %d", field, datasetID)}
}

// ruleOf is a field's rule, or the default one, with the types its column allows.
func ruleOf(ds *qluster.Dataset, col *qluster.PlannedColumn) qluster.ValidationRule {
	r, ok := ds.SettingsModel.ValidationRules[col.Name]
	if !ok {
		return qluster.DefaultValidationRule(col.Type)
	}
	r.AllowedJSONSchemaFieldType = qluster.AllowedJSONSchemaTypes(col.Type)
	if r.LimitToValues == nil {
		r.LimitToValues = []any{}
	}
	return r
}

// GetDatasetValidationInfo answers the validation rule of one field of a
// dataset (the default rule, which checks only the type, when none is set).
func (s *Server) GetDatasetValidationInfo(ctx context.Context, req GetDatasetValidationInfoRequestObject) (GetDatasetValidationInfoResponseObject, error) {
	ds, col, err := s.ruleField(ctx, int64(req.DatasetId), req.FieldName)
	if err != nil {
		return nil, err
	}
	r := ruleOf(ds, col)
	return convert[GetDatasetValidationInfo200JSONResponse](&r)
}

// UpdateDatasetValidationInfo sets the validation rule of one field: a
// change of the settings model (version bump, history with the acting
// user). Files ingested from then on are checked with it.
func (s *Server) UpdateDatasetValidationInfo(ctx context.Context, req UpdateDatasetValidationInfoRequestObject) (UpdateDatasetValidationInfoResponseObject, error) {
	ds, col, err := s.ruleField(ctx, int64(req.DatasetId), req.FieldName)
	if err != nil {
		return nil, err
	}
	// The raw body keeps numbers exact (the generated type reads float32).
	rule := qluster.ValidationRule{ToInclude: true}
	if err := json.Unmarshal(rawBody(ctx), &rule); err != nil {
		return nil, qluster.Invalid("", "json_invalid", "the body is not a validation rule: %v", err)
	}
	rule.AllowedJSONSchemaFieldType = qluster.AllowedJSONSchemaTypes(col.Type)
	if err := qluster.CheckValidationRule(&rule, col.Type); err != nil {
		return nil, err
	}
	d, err := s.store.UpdateDataset(ctx, postgres.UpdateDatasetParams{ID: ds.ID, By: actor(ctx), MutateSettings: func(st *qluster.Settings) error {
		rules := make(map[string]qluster.ValidationRule, len(st.ValidationRules)+1)
		for k, v := range st.ValidationRules {
			rules[k] = v
		}
		rules[col.Name] = rule
		st.ValidationRules = rules
		return nil
	}})
	if err != nil {
		return nil, err
	}
	return UpdateDatasetValidationInfo200JSONResponse{Result: fmt.Sprintf("the validation rule of %s is saved (settings model %d, version %d); files ingested from now on are checked with it",
		col.Name, d.SettingsModel.ID, d.SettingsModel.VersionID)}, nil
}

// validationModelHeader is the first row of a validation model.
var validationModelHeader = []any{"field_name", "field_type_in_db", "validation_type", "is_required", "minimum", "maximum", "the_only_acceptable_values"}

// GetDataSourceValidationModel answers the validation rules the files of a
// data source are checked with, as a table: the header row, then one row per
// column of the dataset's table (validation_type null for a column without
// an included rule).
func (s *Server) GetDataSourceValidationModel(ctx context.Context, req GetDataSourceValidationModelRequestObject) (GetDataSourceValidationModelResponseObject, error) {
	id := int64(req.DataSourceModelId)
	src, err := s.visibleSource(ctx, id)
	if err != nil {
		return nil, err
	}
	if src.DatasetID == nil {
		return nil, &qluster.ConflictError{Msg: fmt.Sprintf("data source %d has no dataset", id)}
	}
	ds, err := s.store.GetDataset(ctx, *src.DatasetID)
	if err != nil {
		return nil, err
	}
	cols, err := s.tableColumns(ctx, ds)
	if err != nil {
		return nil, err
	}
	out := GetDataSourceValidationModel200JSONResponse{validationModelHeader}
	for _, c := range cols {
		row := []any{c.Name, c.Type, nil, false, nil, nil, nil}
		if r, ok := ds.SettingsModel.ValidationRules[c.Name]; ok && r.ToInclude {
			row[2], row[3] = r.JSONSchemaFieldType, r.IsRequired
			if r.Minimum != nil {
				row[4] = *r.Minimum
			}
			if r.Maximum != nil {
				row[5] = *r.Maximum
			}
			if len(r.LimitToValues) > 0 {
				row[6] = r.LimitToValues
			}
		}
		out = append(out, row)
	}
	return out, nil
}
