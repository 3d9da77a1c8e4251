package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/openqluster/qluster-go/qluster"
)

const tFatalErrors = "fatal_errors"

// fatalErrorCols are the columns a FatalError is read from.
const fatalErrorCols = `id, job_name, job_type, error, module, msg, stack_trace, data_source_model_id, settings_model_id,
	alert_item_id, stored_item_id, dataset_id, meta_data, count, deleted, created_at`

// fatalErrorRow is a row of fatal_errors as scanned.
type fatalErrorRow struct {
	ID                int64     `db:"id"`
	JobName           string    `db:"job_name"`
	JobType           string    `db:"job_type"`
	Error             string    `db:"error"`
	Module            string    `db:"module"`
	Msg               string    `db:"msg"`
	StackTrace        string    `db:"stack_trace"`
	DataSourceModelID *int64    `db:"data_source_model_id"`
	SettingsModelID   *int64    `db:"settings_model_id"`
	AlertItemID       *int64    `db:"alert_item_id"`
	StoredItemID      *int64    `db:"stored_item_id"`
	DatasetID         *int64    `db:"dataset_id"`
	MetaData          []byte    `db:"meta_data"`
	Count             int64     `db:"count"`
	Deleted           bool      `db:"deleted"`
	CreatedAt         time.Time `db:"created_at"`
}

func (r *fatalErrorRow) fatalError() (qluster.FatalError, error) {
	e := qluster.FatalError{
		ID: r.ID, JobName: r.JobName, JobType: qluster.JobType(r.JobType), Error: r.Error, Module: r.Module, Msg: r.Msg,
		StackTrace: r.StackTrace, DataSourceModelID: r.DataSourceModelID, SettingsModelID: r.SettingsModelID,
		AlertItemID: r.AlertItemID, StoredItemID: r.StoredItemID, DatasetID: r.DatasetID, Count: r.Count,
		Deleted: r.Deleted, CreatedAt: r.CreatedAt,
	}
	if len(r.MetaData) > 0 {
		if err := json.Unmarshal(r.MetaData, &e.MetaData); err != nil {
			return e, err
		}
	}
	return e, nil
}

// CreateFatalError records a failure that escaped a job. Failures aggregate
// on job_name and error: while a row with the same pair is not deleted, a new
// one only increments its count and replaces its msg and stack_trace, and the
// aggregated row is returned. JobType defaults to job; DatasetID, when nil,
// is found from the data source or settings model named.
func (s *Store) CreateFatalError(ctx context.Context, e *qluster.FatalError) (*qluster.FatalError, error) {
	v := &qluster.ValidationError{}
	if e.Error == "" {
		v.Add([]string{"body", "error"}, "missing", "error is required: the class of the failure that errors aggregate on, e.g. AccessDeniedError")
	}
	if e.Module == "" {
		v.Add([]string{"body", "module"}, "missing", "module is required: the part that failed, e.g. sensor")
	}
	jobType := e.JobType
	if jobType == "" {
		jobType = qluster.JobTypeJob
	}
	if !jobType.Valid() {
		v.Add([]string{"body", "job_type"}, "enum", "%q is not a job type: use job or cronjob", jobType)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	meta := e.MetaData
	if meta == nil {
		meta = map[string]any{}
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return nil, qluster.Invalid("meta_data", "value_error", "meta_data cannot be stored as JSON: %v", err)
	}
	var row fatalErrorRow
	err = s.db.GetContext(ctx, &row, `INSERT INTO fatal_errors (job_name, job_type, error, module, msg, stack_trace,
			data_source_model_id, settings_model_id, alert_item_id, stored_item_id, dataset_id, meta_data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
			COALESCE($11, (SELECT dataset_id FROM data_source_models WHERE id = $7), (SELECT dataset_id FROM settings_models WHERE id = $8)),
			$12)
		ON CONFLICT (job_name, error) WHERE NOT deleted DO UPDATE
		SET count = fatal_errors.count + 1, msg = EXCLUDED.msg, stack_trace = EXCLUDED.stack_trace, updated_at = now()
		RETURNING `+fatalErrorCols,
		e.JobName, string(jobType), e.Error, e.Module, e.Msg, e.StackTrace,
		e.DataSourceModelID, e.SettingsModelID, e.AlertItemID, e.StoredItemID, e.DatasetID, metaJSON)
	if err != nil {
		return nil, translate(err, "fatal error")
	}
	out, err := row.fatalError()
	return &out, err
}

// GetFatalError reads one fatal error, deleted or not.
func (s *Store) GetFatalError(ctx context.Context, id int64) (*qluster.FatalError, error) {
	var row fatalErrorRow
	if err := s.db.GetContext(ctx, &row, `SELECT `+fatalErrorCols+` FROM fatal_errors WHERE id = $1`, id); err != nil {
		return nil, notFoundKey(translate(err, "fatal error"), id)
	}
	out, err := row.fatalError()
	return &out, err
}

// ListFatalErrorsParams filters a list of fatal errors.
type ListFatalErrorsParams struct {
	qluster.ListParams
	// JobName keeps the errors of this job.
	JobName *string
	// Module keeps the errors raised by this module.
	Module *string
	// Deleted lists the deleted errors instead of the current ones.
	Deleted bool
}

// ListFatalErrors reads one page of fatal errors.
func (s *Store) ListFatalErrors(ctx context.Context, p ListFatalErrorsParams) (qluster.Page[qluster.FatalError], error) {
	fs := []filter{{"deleted = ?", []any{p.Deleted}}}
	if p.JobName != nil {
		fs = append(fs, filter{"job_name = ?", []any{*p.JobName}})
	}
	if p.Module != nil {
		fs = append(fs, filter{"module = ?", []any{*p.Module}})
	}
	return listPage(ctx, s.db, tFatalErrors, fatalErrorCols, "id", fs, p.ListParams,
		func(rows *sqlx.Rows) (qluster.FatalError, int64, error) {
			var row fatalErrorRow
			if err := rows.StructScan(&row); err != nil {
				return qluster.FatalError{}, 0, err
			}
			e, err := row.fatalError()
			return e, row.ID, err
		})
}

// DeleteFatalErrors marks deleted the fatal errors that match every filter
// given (id, job name, job type, error) and are not deleted yet, and returns
// how many it marked. A later failure with the same job name and error then
// starts a new row. At least one filter is required (a *qluster.ValidationError
// otherwise); an id that no fatal error has is a *qluster.NotFoundError.
func (s *Store) DeleteFatalErrors(ctx context.Context, id *int64, jobName, jobType, errorText *string) (int64, error) {
	var fs []filter
	if id != nil {
		fs = append(fs, filter{"id = ?", []any{*id}})
	}
	if jobName != nil {
		fs = append(fs, filter{"job_name = ?", []any{*jobName}})
	}
	if jobType != nil {
		if !qluster.JobType(*jobType).Valid() {
			return 0, qluster.Invalid("job_type", "enum", "%q is not a job type: use job or cronjob", *jobType)
		}
		fs = append(fs, filter{"job_type = ?", []any{*jobType}})
	}
	if errorText != nil {
		fs = append(fs, filter{"error = ?", []any{*errorText}})
	}
	if len(fs) == 0 {
		return 0, (&qluster.ValidationError{}).Add([]string{"body"}, "missing", "name the fatal errors to delete: send at least one of id, job_name, job_type and error")
	}
	var args []any
	w := where(append(fs, filter{"NOT deleted", nil}), &args)
	res, err := s.db.ExecContext(ctx, `UPDATE fatal_errors SET deleted = true, updated_at = now() WHERE `+w, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if n == 0 && id != nil {
		var exists bool
		if err := s.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM fatal_errors WHERE id = $1)`, *id); err != nil {
			return 0, err
		}
		if !exists {
			return 0, &qluster.NotFoundError{Kind: "fatal error", Key: *id}
		}
	}
	return n, nil
}
