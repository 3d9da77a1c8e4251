package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/openqluster/qluster-go/qluster"
)

// scheduleSensor makes sure a data source that was just saved is polled on
// its schedule (nothing when the server runs without the engine).
func (s *Server) scheduleSensor(ctx context.Context, id int64) error {
	if s.engine == nil {
		return nil
	}
	return s.engine.ScheduleSensor(ctx, id, false)
}

// notPolled is the conflict of polling a data source that is not active:
// draft, disabled and deleted data sources are never polled.
func notPolled(src *qluster.DataSource) error {
	switch src.State {
	case qluster.DataSourceStateActive:
		return nil
	case qluster.DataSourceStateDeleted:
		return &qluster.ConflictError{Msg: fmt.Sprintf("data source %d is deleted and is not polled; create a data source to poll its source again", src.ID)}
	}
	return &qluster.ConflictError{Msg: fmt.Sprintf(
		"data source %d is %s, and only active data sources are polled; set its state to active (PATCH /api/data-sources/%d) to poll it",
		src.ID, src.State, src.ID)}
}

// RunSensorJobNow polls a data source now: it lists the source and takes
// the files that match its pattern and were not taken yet. Only an active
// data source is polled: a draft, disabled or deleted one answers 409
// naming its state and the fix, rather than a 200 for a poll that would
// not run. The poll of a data source with a schedule goes through its
// scheduled poll, so the two never overlap; the schedule goes on after it.
func (s *Server) RunSensorJobNow(ctx context.Context, req RunSensorJobNowRequestObject) (RunSensorJobNowResponseObject, error) {
	id := int64(req.DataSourceModelId)
	e, _, err := s.pollable(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.PollNow(ctx, id); err != nil {
		return nil, err
	}
	return RunSensorJobNow200JSONResponse{Result: fmt.Sprintf("data source %d is polled now", id)}, nil
}

// pollable is the engine and data source id when the acting user may
// see it and its state lets it be polled (see notPolled).
func (s *Server) pollable(ctx context.Context, id int64) (*qluster.Engine, *qluster.DataSource, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, nil, err
	}
	src, err := s.visibleSource(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := notPolled(src); err != nil {
		return nil, nil, err
	}
	return e, src, nil
}

// RunSensorCronjobNow runs the data source's scheduled poll now; the
// schedule goes on after it, at its next tick. A data source without a
// schedule, or not active, answers 409 naming the fix.
func (s *Server) RunSensorCronjobNow(ctx context.Context, req RunSensorCronjobNowRequestObject) (RunSensorCronjobNowResponseObject, error) {
	id := int64(req.DataSourceModelId)
	e, src, err := s.pollable(ctx, id)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(src.Schedule) == "" {
		return nil, &qluster.ConflictError{Msg: fmt.Sprintf(
			"data source %d has no active schedule to run: it has no schedule; set its schedule (a cron expression such as \"*/15 * * * *\") with PATCH /api/data-sources/%d, or poll it once with POST /api/data-sources/%d/run-sensor-job",
			id, id, id)}
	}
	if err := e.ScheduleSensor(ctx, id, true); err != nil {
		return nil, err
	}
	return RunSensorCronjobNow200JSONResponse{Result: fmt.Sprintf("the scheduled poll of data source %d runs now; its schedule %q goes on after it", id, src.Schedule)}, nil
}

// DisableSensorCronjobNow stops a data source's schedule: its schedule is
// cleared (kept in its history), its pending scheduled poll polls nothing
// and a poll already running finishes. Setting a schedule again resumes it.
// A data source without a schedule is left as it is.
func (s *Server) DisableSensorCronjobNow(ctx context.Context, req DisableSensorCronjobNowRequestObject) (DisableSensorCronjobNowResponseObject, error) {
	id := int64(req.DataSourceModelId)
	src, err := s.visibleSource(ctx, id)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(src.Schedule) == "" {
		return DisableSensorCronjobNow200JSONResponse{Result: fmt.Sprintf("data source %d has no schedule; nothing to disable", id)}, nil
	}
	var was string
	if _, err := s.store.UpdateDataSource(ctx, id, nil, actor(ctx), func(d *qluster.DataSource) error {
		was, d.Schedule = d.Schedule, ""
		return nil
	}); err != nil {
		return nil, err
	}
	return DisableSensorCronjobNow200JSONResponse{Result: fmt.Sprintf("the schedule %q of data source %d is disabled; set a schedule again to resume it", was, id)}, nil
}
