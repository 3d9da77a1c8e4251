package server

import (
	"context"
	"fmt"

	"github.com/openqluster/qluster-go/qluster"
)

// GetTrainingDataItems answers a page of training data items.
func (s *Server) GetTrainingDataItems(ctx context.Context, req GetTrainingDataItemsRequestObject) (GetTrainingDataItemsResponseObject, error) {
	p := req.Params
	filters := map[string]any{}
	ds := idFilter(filters, "dataset_id", p.DatasetId)
	page, err := s.store.ListTrainingDataItems(ctx, ds, listParams(p.Start, p.End, p.Limit, p.Reverse))
	if err != nil {
		return nil, err
	}
	return toList[GetTrainingDataItems200JSONResponse](page, filters, "Training data items", nil)
}

// GetTrainingDataItem answers one training data item.
func (s *Server) GetTrainingDataItem(ctx context.Context, req GetTrainingDataItemRequestObject) (GetTrainingDataItemResponseObject, error) {
	it, err := s.store.GetTrainingDataItem(ctx, int64(req.TrainingDataItemId))
	if err != nil {
		return nil, err
	}
	return convert[GetTrainingDataItem200JSONResponse](it)
}

// GetTrainingJobs answers a page of training jobs.
func (s *Server) GetTrainingJobs(ctx context.Context, req GetTrainingJobsRequestObject) (GetTrainingJobsResponseObject, error) {
	p := req.Params
	filters := map[string]any{}
	ds := idFilter(filters, "dataset_id", p.DatasetId)
	page, err := s.store.ListTrainingJobs(ctx, ds, listParams(p.Start, p.End, p.Limit, p.Reverse))
	if err != nil {
		return nil, err
	}
	for i := range page.Items {
		if err := s.fillTrainingJob(ctx, &page.Items[i]); err != nil {
			return nil, err
		}
	}
	return toList[GetTrainingJobs200JSONResponse](page, filters, "Training jobs", nil)
}

// fillTrainingJob adds a job's analysis tasks and its dataset's unresolved alerts.
func (s *Server) fillTrainingJob(ctx context.Context, j *qluster.TrainingJob) error {
	tasks, err := s.store.AnalysisTasks(ctx, j.ID, nil)
	if err != nil {
		return err
	}
	j.AnalysisTasks = []any{}
	for _, t := range tasks {
		j.AnalysisTasks = append(j.AnalysisTasks, map[string]any{"training_data_item_id": t.TrainingDataItemID,
			"stored_item_key": t.StoredItemKey, "state": t.State, "msg": t.Msg})
	}
	if j.DatasetID != nil {
		alerts, err := s.store.UnresolvedAlerts(ctx, *j.DatasetID)
		if err != nil {
			return err
		}
		j.UnresolvedAlerts = int64(len(alerts))
	}
	return nil
}

// GetTrainingJob answers one training job with its analysis tasks.
func (s *Server) GetTrainingJob(ctx context.Context, req GetTrainingJobRequestObject) (GetTrainingJobResponseObject, error) {
	j, err := s.store.GetTrainingJob(ctx, int64(req.TrainingJobId))
	if err != nil {
		return nil, err
	}
	if err := s.fillTrainingJob(ctx, j); err != nil {
		return nil, err
	}
	return convert[GetTrainingJob200JSONResponse](j)
}

// trainingMoves are the states a user may move a training job to, from the
// states it may be in.
var trainingMoves = map[qluster.TrainingJobState][]qluster.TrainingJobState{
	qluster.TrainingJobStateIgnore:   {qluster.TrainingJobStateCreated, qluster.TrainingJobStateFinished, qluster.TrainingJobStateError, qluster.TrainingJobStatePartialError, qluster.TrainingJobStateBlocked},
	qluster.TrainingJobStateKilled:   {qluster.TrainingJobStateCreated, qluster.TrainingJobStateRunning, qluster.TrainingJobStateBlocked, qluster.TrainingJobStateRequeued},
	qluster.TrainingJobStateStopped:  {qluster.TrainingJobStateCreated, qluster.TrainingJobStateRunning, qluster.TrainingJobStateBlocked},
	qluster.TrainingJobStateRequeued: {qluster.TrainingJobStateError, qluster.TrainingJobStatePartialError, qluster.TrainingJobStateKilled, qluster.TrainingJobStateStopped, qluster.TrainingJobStateIgnore},
}

// PatchTrainingJob moves a training job's state: ignore, kill or stop it, or
// requeue it to run again.
func (s *Server) PatchTrainingJob(ctx context.Context, req PatchTrainingJobRequestObject) (PatchTrainingJobResponseObject, error) {
	to := qluster.TrainingJobState(req.Body.State)
	from, ok := trainingMoves[to]
	if !ok {
		return nil, qluster.Invalid("state", "value_error", "a training job can be moved to ignore, killed, stopped or requeued, not %s", to)
	}
	j, err := s.store.UpdateTrainingJob(ctx, int64(req.TrainingJobId), func(j *qluster.TrainingJob) error {
		for _, f := range from {
			if j.State == f {
				j.State = to
				j.Msg = fmt.Sprintf("moved to %s by a user", to)
				return nil
			}
		}
		return &qluster.ConflictError{Msg: fmt.Sprintf("training job %d is %s and cannot become %s", j.ID, j.State, to)}
	})
	if err != nil {
		return nil, err
	}
	if to == qluster.TrainingJobStateRequeued && s.engine != nil {
		if _, err := s.store.UpdateTrainingJob(ctx, j.ID, func(j *qluster.TrainingJob) error {
			j.State = qluster.TrainingJobStateCreated
			return nil
		}); err != nil {
			return nil, err
		}
		if j, err = s.engine.ScheduleTraining(ctx, *j.DatasetID); err != nil {
			return nil, err
		}
	}
	if err := s.fillTrainingJob(ctx, j); err != nil {
		return nil, err
	}
	return convert[PatchTrainingJob200JSONResponse](j)
}

// RunTrainingJobNow queues a training job of the dataset of a settings model.
func (s *Server) RunTrainingJobNow(ctx context.Context, req RunTrainingJobNowRequestObject) (RunTrainingJobNowResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	dsID, err := s.store.DatasetOfSettingsModel(ctx, int64(req.SettingsModelId))
	if err != nil {
		return nil, err
	}
	j, err := e.ScheduleTraining(ctx, dsID)
	if err != nil {
		return nil, err
	}
	return RunTrainingJobNow200JSONResponse{Result: fmt.Sprintf("training job %d of dataset %d is queued", j.ID, dsID)}, nil
}

// GetAnalysisTask answers the analysis of one training data item in one training job.
func (s *Server) GetAnalysisTask(ctx context.Context, req GetAnalysisTaskRequestObject) (GetAnalysisTaskResponseObject, error) {
	t, err := s.store.GetAnalysisTask(ctx, int64(req.TrainingJobId), int64(req.TrainingDataItemId))
	if err != nil {
		return nil, err
	}
	return convert[GetAnalysisTask200JSONResponse](t)
}

// GetMigrations answers a page of migrations.
func (s *Server) GetMigrations(ctx context.Context, req GetMigrationsRequestObject) (GetMigrationsResponseObject, error) {
	p := req.Params
	filters := map[string]any{}
	var state *string
	if p.State != nil {
		state = ptr(string(*p.State))
		filters["state"] = *state
	}
	sm := idFilter(filters, "settings_model_id", p.SettingsModelId)
	page, err := s.store.ListMigrations(ctx, state, sm, listParams(p.Start, p.End, p.Limit, p.Reverse))
	if err != nil {
		return nil, err
	}
	return toList[GetMigrations200JSONResponse](page, filters, "Migrations", nil)
}

// GetMigration answers one migration.
func (s *Server) GetMigration(ctx context.Context, req GetMigrationRequestObject) (GetMigrationResponseObject, error) {
	m, err := s.store.GetMigration(ctx, int64(req.MigrationId))
	if err != nil {
		return nil, err
	}
	return convert[GetMigration200JSONResponse](m)
}
