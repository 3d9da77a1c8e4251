package server

import (
	"context"
	"fmt"

	"github.com/openqluster/qluster-go/qluster"
)

// scheduleSensor queues the next scheduled poll of a data source after it
// is saved (nothing when the server runs without the engine).
func (s *Server) scheduleSensor(ctx context.Context, id int64) error {
	if s.engine == nil {
		return nil
	}
	return s.engine.ScheduleSensor(ctx, id, false)
}

// RunSensorJobNow polls a data source now.
func (s *Server) RunSensorJobNow(ctx context.Context, req RunSensorJobNowRequestObject) (RunSensorJobNowResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	id := int64(req.DataSourceModelId)
	if err := s.canSeeSource(ctx, id); err != nil {
		return nil, err
	}
	if _, err := s.store.GetDataSource(ctx, id); err != nil {
		return nil, err
	}
	if err := e.PollNow(ctx, id); err != nil {
		return nil, err
	}
	return RunSensorJobNow200JSONResponse{Result: fmt.Sprintf("data source %d is polled now", id)}, nil
}

// RunSensorCronjobNow runs the data source's scheduled poll now; the schedule goes on after it.
func (s *Server) RunSensorCronjobNow(ctx context.Context, req RunSensorCronjobNowRequestObject) (RunSensorCronjobNowResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	id := int64(req.DataSourceModelId)
	src, err := s.store.GetDataSource(ctx, id)
	if err != nil {
		return nil, err
	}
	if src.Schedule == "" || src.State != qluster.DataSourceStateActive {
		return nil, &qluster.ConflictError{Msg: fmt.Sprintf("data source %d has no active schedule: set schedule and state active", id)}
	}
	if err := e.ScheduleSensor(ctx, id, true); err != nil {
		return nil, err
	}
	return RunSensorCronjobNow200JSONResponse{Result: fmt.Sprintf("the scheduled poll of data source %d runs now", id)}, nil
}

// DisableSensorCronjobNow stops a data source's schedule: its schedule is
// cleared (kept in its history) and the pending scheduled poll does nothing.
func (s *Server) DisableSensorCronjobNow(ctx context.Context, req DisableSensorCronjobNowRequestObject) (DisableSensorCronjobNowResponseObject, error) {
	id := int64(req.DataSourceModelId)
	var was string
	if _, err := s.store.UpdateDataSource(ctx, id, nil, actor(ctx), func(d *qluster.DataSource) error {
		was, d.Schedule = d.Schedule, ""
		return nil
	}); err != nil {
		return nil, err
	}
	return DisableSensorCronjobNow200JSONResponse{Result: fmt.Sprintf("the schedule %q of data source %d is disabled", was, id)}, nil
}
