package server

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// settingsStore lets the engine change configuration through the store's
// versioned updates (version bump, history row with the acting user).
type settingsStore struct{ store *postgres.Store }

var _ qluster.SettingsStore = settingsStore{}

// UpdateSettings changes a dataset and its settings model in one transaction.
func (s settingsStore) UpdateSettings(ctx context.Context, datasetID int64, by *uuid.UUID, mutate func(*qluster.Dataset) error, mutateSettings func(*qluster.Settings) error) (*qluster.Dataset, error) {
	return s.store.UpdateDataset(ctx, postgres.UpdateDatasetParams{ID: datasetID, Mutate: mutate, MutateSettings: mutateSettings, By: by})
}

// UpdateDataSource changes a data source.
func (s settingsStore) UpdateDataSource(ctx context.Context, id int64, version *int64, by *uuid.UUID, mutate func(*qluster.DataSource) error) (*qluster.DataSource, error) {
	return s.store.UpdateDataSource(ctx, id, version, by, mutate)
}

// sourceActions are the resolve actions a limited_to_source user may take:
// those that change only its data source, its files or its rows.
var sourceActions = map[qluster.AlertAction]bool{
	qluster.AlertActionIgnoreRowForFile: true, qluster.AlertActionIgnoreFile: true, qluster.AlertActionIgnoreAlertAssociatedFiles: true,
	qluster.AlertActionHide: true, qluster.AlertActionTryAgain: true, qluster.AlertActionReprocessFile: true,
	qluster.AlertActionProceedWithSheetName: true, qluster.AlertActionDownloadFile: true,
	qluster.AlertActionSetValueToNullForSource: true, qluster.AlertActionSetValueToNullForFieldForSource: true,
	qluster.AlertActionSetValueToTrueForSource: true, qluster.AlertActionSetValueToTrueForFieldForSource: true,
	qluster.AlertActionSetValueToFalseForSource: true, qluster.AlertActionSetValueToFalseForFieldForSource: true,
	qluster.AlertActionDefineDatetimeFormatForSource: true, qluster.AlertActionDefineDatetimeFormatForFieldForSource: true,
	qluster.AlertActionInferDatetimeFormatForFieldForSource: true,
}

// withinSource reports whether a resolve changes only the alert's data
// source, its files or its rows: new fields renamed or ignored for the
// source only, or one of sourceActions.
func withinSource(p qluster.ResolveParams) bool {
	if p.Action != "" && p.Action != qluster.AlertActionOverrideModel {
		return sourceActions[p.Action]
	}
	if len(p.NewFieldsActions) == 0 {
		return false
	}
	for k, v := range p.NewFieldsActions {
		if f, ok := strings.CutPrefix(k, "action__"); ok && (v == "add" || p.NewFieldsActions["scope__"+f] != "source") {
			return false
		}
	}
	return true
}

// resolveParams turns a resolve request into the engine's parameters.
func (s *Server) resolveParams(ctx context.Context, body *ResolveAlertJSONRequestBody) qluster.ResolveParams {
	p := qluster.ResolveParams{By: actor(ctx), Settings: settingsStore{s.store},
		NewDatetimeFormat: deref(body.NewDatetimeFormat), SheetName: deref(body.SheetName), LineSignature: deref(body.LineSignature)}
	if body.Action != nil {
		p.Action = qluster.AlertAction(*body.Action)
	}
	if body.NewFieldsActions != nil {
		p.NewFieldsActions = *body.NewFieldsActions
	}
	if pr := principal(ctx); pr != nil {
		p.Superuser = pr.User.UserType == qluster.UserTypeSuperuser
	}
	return p
}
