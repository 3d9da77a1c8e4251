package server

import (
	"context"
)

// GetMenuStats answers the counts of the menu; a limited_to_source user
// counts only what its data sources reach.
func (s *Server) GetMenuStats(ctx context.Context, _ GetMenuStatsRequestObject) (GetMenuStatsResponseObject, error) {
	m, err := s.store.MenuStats(ctx, visibleSources(ctx))
	if err != nil {
		return nil, err
	}
	return convert[GetMenuStats200JSONResponse](m)
}

// GetDatasetStats answers the figures of a dataset.
func (s *Server) GetDatasetStats(ctx context.Context, req GetDatasetStatsRequestObject) (GetDatasetStatsResponseObject, error) {
	st, err := s.store.DatasetStats(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	return convert[GetDatasetStats200JSONResponse](st)
}

// GetDatasetExtraDetails answers a dataset with its current migration,
// destination name and count of unresolved alerts.
func (s *Server) GetDatasetExtraDetails(ctx context.Context, req GetDatasetExtraDetailsRequestObject) (GetDatasetExtraDetailsResponseObject, error) {
	d, err := s.store.DatasetExtraDetails(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	return convert[GetDatasetExtraDetails200JSONResponse](d)
}

// GetDatasetAnyTrainingJobRunning answers whether a training job of the
// dataset is created or running.
func (s *Server) GetDatasetAnyTrainingJobRunning(ctx context.Context, req GetDatasetAnyTrainingJobRunningRequestObject) (GetDatasetAnyTrainingJobRunningResponseObject, error) {
	running, err := s.store.AnyTrainingJobRunning(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	return GetDatasetAnyTrainingJobRunning200JSONResponse{Result: running}, nil
}
