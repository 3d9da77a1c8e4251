package server

import (
	"context"
	"fmt"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// GetErrors answers a page of fatal errors; deleted ones only when asked.
func (s *Server) GetErrors(ctx context.Context, req GetErrorsRequestObject) (GetErrorsResponseObject, error) {
	p := req.Params
	lp := postgres.ListFatalErrorsParams{ListParams: listParams(p.Start, p.End, p.Limit, p.Reverse), JobName: p.JobName, Module: p.Module}
	if p.Deleted != nil {
		lp.Deleted = *p.Deleted
	}
	filters := map[string]any{"deleted": lp.Deleted}
	if p.JobName != nil {
		filters["job_name"] = *p.JobName
	}
	if p.Module != nil {
		filters["module"] = *p.Module
	}
	page, err := s.store.ListFatalErrors(ctx, lp)
	if err != nil {
		return nil, err
	}
	return toList[GetErrors200JSONResponse](page, filters, "Errors", nil)
}

// CreateFatalError records a failure that escaped a job; the same job name
// and error aggregate into one row whose count grows.
func (s *Server) CreateFatalError(ctx context.Context, req CreateFatalErrorRequestObject) (CreateFatalErrorResponseObject, error) {
	e, err := convert[qluster.FatalError](req.Body)
	if err != nil {
		return nil, err
	}
	out, err := s.store.CreateFatalError(ctx, &e)
	if err != nil {
		return nil, err
	}
	return convert[CreateFatalError200JSONResponse](out)
}

// GetFatalError answers one fatal error.
func (s *Server) GetFatalError(ctx context.Context, req GetFatalErrorRequestObject) (GetFatalErrorResponseObject, error) {
	e, err := s.store.GetFatalError(ctx, int64(req.ErrorId))
	if err != nil {
		return nil, err
	}
	return convert[GetFatalError200JSONResponse](e)
}

// DeleteFatalError marks deleted the fatal errors matching every field sent
// (at least one of id, job_name, job_type and error).
func (s *Server) DeleteFatalError(ctx context.Context, req DeleteFatalErrorRequestObject) (DeleteFatalErrorResponseObject, error) {
	b := req.Body
	var id *int64
	if b.Id != nil {
		id = ptr(int64(*b.Id))
	}
	var jobType *string
	if b.JobType != nil {
		jobType = ptr(string(*b.JobType))
	}
	n, err := s.store.DeleteFatalErrors(ctx, id, b.JobName, jobType, b.Error)
	if err != nil {
		return nil, err
	}
	noun := "fatal errors"
	if n == 1 {
		noun = "fatal error"
	}
	return DeleteFatalError200JSONResponse{Result: fmt.Sprintf("%d %s marked deleted", n, noun)}, nil
}
