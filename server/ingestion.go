package server

import (
	"context"
	"fmt"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// GetIngestionJobs answers a page of ingestion jobs; a limited_to_source user sees its sources' only.
func (s *Server) GetIngestionJobs(ctx context.Context, req GetIngestionJobsRequestObject) (GetIngestionJobsResponseObject, error) {
	p := req.Params
	lp := postgres.ListIngestionJobsParams{ListParams: listParams(p.Start, p.End, p.Limit, p.Reverse), SourceIDs: visibleSources(ctx)}
	filters := map[string]any{}
	lp.SettingsModelID = idFilter(filters, "settings_model_id", p.SettingsModelId)
	lp.DatasetID = idFilter(filters, "dataset_id", p.DatasetId)
	lp.DataSourceModelID = idFilter(filters, "data_source_model_id", p.DataSourceModelId)
	if p.State != nil {
		lp.State = ptr(string(*p.State))
		filters["state"] = *p.State
	}
	page, err := s.store.ListIngestionJobs(ctx, lp)
	if err != nil {
		return nil, err
	}
	return toList[GetIngestionJobs200JSONResponse](page, filters, "Ingestion jobs", nil)
}

// visibleIngestionJob reads an ingestion job the acting user may see.
func (s *Server) visibleIngestionJob(ctx context.Context, id int64) (*qluster.IngestionJob, error) {
	j, err := s.store.GetIngestionJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.DataSourceModelID != nil {
		if err := s.canSeeSource(ctx, *j.DataSourceModelID); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// GetIngestionJob answers one ingestion job.
func (s *Server) GetIngestionJob(ctx context.Context, req GetIngestionJobRequestObject) (GetIngestionJobResponseObject, error) {
	j, err := s.visibleIngestionJob(ctx, int64(req.IngestionJobId))
	if err != nil {
		return nil, err
	}
	return convert[GetIngestionJob200JSONResponse](j)
}

// RunIngestionJobNow queues an ingestion job again now.
func (s *Server) RunIngestionJobNow(ctx context.Context, req RunIngestionJobNowRequestObject) (RunIngestionJobNowResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	if _, err := s.visibleIngestionJob(ctx, int64(req.IngestionJobId)); err != nil {
		return nil, err
	}
	j, err := e.RunIngestionJob(ctx, int64(req.IngestionJobId))
	if err != nil {
		return nil, err
	}
	return RunIngestionJobNow200JSONResponse{Result: fmt.Sprintf("ingestion job %d is queued", j.ID)}, nil
}

// KillIngestionJob stops an ingestion job within seconds; what it had not
// committed is rolled back.
func (s *Server) KillIngestionJob(ctx context.Context, req KillIngestionJobRequestObject) (KillIngestionJobResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	if _, err := s.visibleIngestionJob(ctx, int64(req.IngestionJobId)); err != nil {
		return nil, err
	}
	j, err := e.KillIngestionJob(ctx, int64(req.IngestionJobId))
	if err != nil {
		return nil, err
	}
	return KillIngestionJob200JSONResponse{Result: fmt.Sprintf("ingestion job %d is killed; a running load stops within seconds and rolls back", j.ID)}, nil
}
