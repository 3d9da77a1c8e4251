package server

import (
	"context"
	"fmt"
	"strconv"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// GetAlerts answers a page of alerts; a limited_to_source user sees its sources' alerts only.
func (s *Server) GetAlerts(ctx context.Context, req GetAlertsRequestObject) (GetAlertsResponseObject, error) {
	p := req.Params
	lp := postgres.ListAlertsParams{ListParams: listParams(p.Start, p.End, p.Limit, p.Reverse), SourceIDs: visibleSources(ctx),
		Resolved: deref(p.Resolved), IsMuted: deref(p.IsMuted)}
	filters := map[string]any{"resolved": lp.Resolved, "is_muted": lp.IsMuted}
	lp.DatasetID = idFilter(filters, "dataset_id", p.DatasetId)
	lp.DataSourceModelID = idFilter(filters, "data_source_model_id", p.DataSourceModelId)
	page, err := s.store.ListAlerts(ctx, lp)
	if err != nil {
		return nil, err
	}
	return toList[GetAlerts200JSONResponse](page, filters, "Alerts", nil)
}

// visibleAlert reads an alert the acting user may see.
func (s *Server) visibleAlert(ctx context.Context, id int64) (*qluster.AlertItem, error) {
	a, err := s.store.GetAlert(ctx, id)
	if err != nil {
		return nil, err
	}
	if visibleSources(ctx) != nil {
		if a.DataSourceModelID == nil {
			return nil, fmt.Errorf("%w: alert %d is about a whole dataset, not one of your sources", qluster.ErrForbidden, id)
		}
		if err := s.canSeeSource(ctx, *a.DataSourceModelID); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// GetAlert answers one alert.
func (s *Server) GetAlert(ctx context.Context, req GetAlertRequestObject) (GetAlertResponseObject, error) {
	a, err := s.visibleAlert(ctx, int64(req.AlertItemId))
	if err != nil {
		return nil, err
	}
	return convert[GetAlert200JSONResponse](a)
}

// navigation are the actions that only tell a client where to go.
var navigation = map[qluster.AlertAction]func(a *qluster.AlertItem) string{
	qluster.AlertActionEditSettings: func(a *qluster.AlertItem) string { return "/api/datasets/" + idOr(a.DatasetID) },
	qluster.AlertActionEditDataSourceModelSettings: func(a *qluster.AlertItem) string {
		return "/api/data-sources/" + idOr(a.DataSourceModelID)
	},
	qluster.AlertActionEditDestinationSettings: func(a *qluster.AlertItem) string { return "/api/destinations?dataset_id=" + idOr(a.DatasetID) },
	qluster.AlertActionGoToMigrationReview:     func(a *qluster.AlertItem) string { return "/api/migrations/" + idOr(a.MigrationModelID) },
	qluster.AlertActionCheckLearningJobs:       func(a *qluster.AlertItem) string { return "/api/training-jobs?dataset_id=" + idOr(a.DatasetID) },
}

func idOr(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

// ResolveAlert carries out the action chosen to resolve an alert: a
// navigation action only answers where to go; every other action is the
// engine's (qluster.Engine.Resolve), which fixes the cause, resolves the
// alert and the ones the fix made redundant, and reprocesses what it frees.
// A limited_to_source user may take only the actions that stay within its
// data source.
func (s *Server) ResolveAlert(ctx context.Context, req ResolveAlertRequestObject) (ResolveAlertResponseObject, error) {
	a, err := s.visibleAlert(ctx, int64(req.AlertItemId))
	if err != nil {
		return nil, err
	}
	p := s.resolveParams(ctx, req.Body)
	if p.Action == "" && (p.NewFieldsActions == nil || a.AlertType != qluster.AlertTypeUnexpectedFieldName) {
		return nil, qluster.Invalid("action", "missing", "choose an action; this alert offers %v", a.AlertActions)
	}
	if nav, ok := navigation[p.Action]; ok {
		return ResolveAlert200JSONResponse{RedirectPostSubmitTo: ptr(nav(a))}, nil
	}
	if visibleSources(ctx) != nil && !withinSource(p) {
		what := string(p.Action)
		if what == "" {
			what = "new_fields_actions"
		}
		return nil, fmt.Errorf("%w: %s changes more than your data sources; ask an editor", qluster.ErrForbidden, what)
	}
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	to, err := e.Resolve(ctx, a.ID, p)
	if err != nil {
		return nil, err
	}
	return ResolveAlert200JSONResponse{RedirectPostSubmitTo: &to}, nil
}
