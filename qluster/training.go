package qluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/openqluster/qluster-go/analyzer"
)

// trainingRef is the data of a training message.
type trainingRef struct {
	DatasetID     int64 `json:"dataset_id"`
	TrainingJobID int64 `json:"training_job_id"`
}

// ScheduleTraining makes sure a training job of the dataset is waiting to run
// and queues it after TrainingDelay (so files that arrive together train
// together). It returns the waiting job.
func (e *Engine) ScheduleTraining(ctx context.Context, datasetID int64) (*TrainingJob, error) {
	ds, err := e.store.GetDataset(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	waiting, err := e.store.TrainingJobsInState(ctx, datasetID, TrainingJobStateCreated)
	if err != nil {
		return nil, err
	}
	var job *TrainingJob
	if len(waiting) > 0 {
		job = &waiting[0]
	} else {
		job, err = e.store.CreateTrainingJob(ctx, &TrainingJob{State: TrainingJobStateCreated, Step: "queued",
			Msg: "waiting for a worker", SettingsModelID: &ds.SettingsModel.ID, DatasetID: &ds.ID, DatasetName: ds.Name, AnalysisTasks: []any{}})
		if err != nil {
			return nil, err
		}
	}
	ref := trainingRef{DatasetID: ds.ID, TrainingJobID: job.ID}
	key := "training_job:" + strconv.FormatInt(job.ID, 10)
	return job, e.put(ctx, QueueTraining, key, ref, e.now().Add(e.cfg.TrainingDelay), nil)
}

// handleTraining runs a training job: one analysis task per enabled training
// data item, then the merge of their columns into a draft migration.
func (e *Engine) handleTraining(ctx context.Context, data json.RawMessage) error {
	var ref trainingRef
	if err := json.Unmarshal(data, &ref); err != nil {
		return err
	}
	job, err := e.store.GetTrainingJob(ctx, ref.TrainingJobID)
	if err != nil {
		return err
	}
	switch job.State {
	case TrainingJobStateCreated, TrainingJobStateRunning, TrainingJobStateRequeued:
	default:
		return nil // finished, killed, ignored: nothing to do
	}
	ds, err := e.store.GetDataset(ctx, ref.DatasetID)
	if err != nil {
		return err
	}
	started := e.now()
	job, err = e.store.UpdateTrainingJob(ctx, job.ID, func(j *TrainingJob) error {
		j.State, j.Step, j.Msg, j.StartedAt = TrainingJobStateRunning, "analysis", "analysing the training files", &started
		return nil
	})
	if err != nil {
		return err
	}
	items, err := e.store.TrainingDataItems(ctx, ds.ID, true)
	if err != nil {
		return err
	}
	// stopped reports whether a user killed, stopped or ignored the job meanwhile.
	stopped := func() bool {
		cur, err := e.store.GetTrainingJob(ctx, job.ID)
		return err == nil && cur.State != TrainingJobStateRunning
	}
	var analyses [][]*analyzer.Column
	var failed []string
	for _, item := range items {
		if stopped() {
			return nil
		}
		cols, err := e.analyzeItem(ctx, job, ds, &item)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, fmt.Sprintf("%s: %v", item.Name, err))
			continue
		}
		analyses = append(analyses, cols...)
	}
	if stopped() {
		return nil // during the last analysis: propose nothing, keep the user's state
	}
	finish := func(state TrainingJobState, msg string, migrationID *int64) error {
		done := e.now()
		_, err := e.store.UpdateTrainingJob(ctx, job.ID, func(j *TrainingJob) error {
			j.State, j.Step, j.Msg, j.FinishedAt = state, "done", msg, &done
			if migrationID != nil {
				j.MigrationModelID = migrationID
			}
			return nil
		})
		return err
	}
	if len(analyses) == 0 {
		msg := "no training file could be read"
		if len(items) == 0 {
			msg = "the dataset has no enabled training data items"
		}
		if len(failed) > 0 {
			msg += ": " + joinMax(failed, 5)
		}
		return finish(TrainingJobStateError, msg, nil)
	}
	if _, err := e.store.UpdateTrainingJob(ctx, job.ID, func(j *TrainingJob) error {
		j.Step = "merging"
		return nil
	}); err != nil {
		return err
	}
	proposed := mergeAnalyses(analyses)
	m, err := e.proposeMigration(ctx, ds, job, proposed)
	if err != nil {
		return err
	}
	state, msg := TrainingJobStateFinished, "trained on "+strconv.Itoa(len(items)-len(failed))+" file(s)"
	if len(failed) > 0 {
		state, msg = TrainingJobStatePartialError, msg+"; could not read "+joinMax(failed, 5)
	}
	if m == nil {
		return finish(state, msg+"; the table in force already fits every file", nil)
	}
	if err := e.followPolicy(ctx, ds, m); err != nil {
		if ferr := finish(TrainingJobStateError, msg+"; migration "+strconv.FormatInt(m.ID, 10)+" could not be applied: "+err.Error(), &m.ID); ferr != nil {
			return ferr
		}
		return err
	}
	return finish(state, msg+"; migration "+strconv.FormatInt(m.ID, 10)+" "+policyOutcome(ds.MigrationPolicy), &m.ID)
}

// policyOutcome says what the dataset's policy did with a new migration.
func policyOutcome(p MigrationPolicy) string {
	switch p {
	case MigrationPolicyAskUser:
		return "waits for review"
	case MigrationPolicyMigrationWindow:
		return "waits for the migration window"
	case MigrationPolicyLocked:
		return "is held: the dataset is locked"
	}
	return "is applied"
}

func joinMax(s []string, n int) string {
	out := ""
	for i, x := range s {
		if i == n {
			out += fmt.Sprintf("; and %d more", len(s)-n)
			break
		}
		if i > 0 {
			out += "; "
		}
		out += x
	}
	return out
}

// analyzeItem analyses one training file and records its analysis task.
func (e *Engine) analyzeItem(ctx context.Context, job *TrainingJob, ds *Dataset, item *TrainingDataItem) ([][]*analyzer.Column, error) {
	task := &AnalysisTask{TrainingDataItemID: &item.ID, TrainingJobID: &job.ID, StoredItemID: item.StoredItemID,
		StoredItemKey: item.Name, State: TrainingJobStateRunning, SettingsVersionID: &ds.SettingsModel.VersionID, TryCount: 1}
	record := func(err error, results []*analyzer.Result) error {
		done := e.now()
		task.FinishedAt = &done
		task.State = TrainingJobStateFinished
		if err != nil {
			task.State, task.Msg = TrainingJobStateError, err.Error()
		} else if len(results) > 0 {
			r := results[0]
			task.Msg = fmt.Sprintf("%s, %d data rows, %d columns", r.Kind, r.DataRows, len(r.Columns))
			if len(results) > 1 {
				task.Msg += fmt.Sprintf(" (and %d more tables)", len(results)-1)
			}
			b, _ := json.Marshal(r.AnalyzedContent)
			json.Unmarshal(b, &task.AnalyzedContent) //nolint:errcheck
			b, _ = json.Marshal(r.DisplayAnalyzedContent)
			json.Unmarshal(b, &task.DisplayAnalyzedContent) //nolint:errcheck
			task.QuestionableFields = map[string]any{}
			for k, v := range r.QuestionableFields {
				task.QuestionableFields[k] = v
			}
			task.FailedToInferFields = []any{}
			for _, f := range r.FailedToInferFields {
				task.FailedToInferFields = append(task.FailedToInferFields, f)
			}
		}
		_, perr := e.store.PutAnalysisTask(ctx, task)
		return perr
	}
	if item.StoredItemID == nil {
		return nil, record(errors.New("the training data item has no file"), nil)
	}
	it, err := e.store.GetStoredItem(ctx, *item.StoredItemID)
	if err != nil {
		return nil, err
	}
	_, opts, err := e.itemOptions(ctx, ds, it)
	if err != nil {
		return nil, err
	}
	rc, err := e.OpenFile(ctx, it)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	name := it.Key
	member := memberOf(it)
	if member != "" {
		name = member[:strings.Index(member, "/")]
	}
	results, err := analyzer.AnalyzeAll(ctx, rc, name, opts)
	if member != "" && err == nil {
		var mine []*analyzer.Result
		for _, r := range results {
			if r.Name == member {
				mine = append(mine, r)
			}
		}
		results = mine
	}
	if err != nil {
		if rerr := record(err, nil); rerr != nil {
			return nil, rerr
		}
		return nil, err
	}
	if err := record(nil, results); err != nil {
		return nil, err
	}
	var out [][]*analyzer.Column
	for _, r := range results {
		out = append(out, r.Columns)
	}
	return out, nil
}

// mergedColumn is one column merged across the training files.
type mergedColumn struct {
	spec ColumnSpec
	cast *analyzer.Column
}

// mergeAnalyses merges the columns of every analysed table: the widest type
// that fits every file, nullable when any file has nulls, the union of null
// markers and formats. Columns keep the order of their first appearance.
func mergeAnalyses(tables [][]*analyzer.Column) []mergedColumn {
	var out []mergedColumn
	idx := map[string]int{}
	for _, cols := range tables {
		for _, c := range cols {
			i, ok := idx[c.Name]
			if !ok {
				cp := *c
				idx[c.Name] = len(out)
				out = append(out, mergedColumn{spec: ColumnSpec{Name: c.Name, Type: c.PGType(), Nullable: c.Nullable}, cast: &cp})
				continue
			}
			m := &out[i]
			if c.NonNull > 0 || m.cast.NonNull == 0 {
				if m.cast.NonNull == 0 {
					m.spec.Type = c.PGType()
					keep := m.cast.NullMarkers
					cp := *c
					m.cast = &cp
					m.cast.NullMarkers = union(keep, c.NullMarkers)
				} else {
					m.spec.Type = WidestType(m.spec.Type, c.PGType())
				}
			}
			m.spec.Nullable = m.spec.Nullable || c.Nullable
			m.cast.Nullable = m.spec.Nullable
			m.cast.NullMarkers = union(m.cast.NullMarkers, c.NullMarkers)
			m.cast.DatetimeFormats = union(m.cast.DatetimeFormats, c.DatetimeFormats)
			m.cast.TrueWords = union(m.cast.TrueWords, c.TrueWords)
			m.cast.FalseWords = union(m.cast.FalseWords, c.FalseWords)
			m.cast.Examples = union(m.cast.Examples, c.Examples)
			if len(m.cast.Examples) > 5 {
				m.cast.Examples = m.cast.Examples[:5]
			}
			m.cast.NonNull += c.NonNull
			m.cast.Nulls += c.Nulls
			m.cast.MaxLength = max(m.cast.MaxLength, c.MaxLength)
		}
	}
	resolveAmbiguousDates(out, tables)
	for i := range out {
		t, n, err := analyzer.ParseType(out[i].spec.Type)
		if err == nil {
			out[i].cast.Type, out[i].cast.Length = t, n
		}
		sort.Strings(out[i].cast.NullMarkers)
	}
	return out
}

// resolveAmbiguousDates decides, for a date column that some files left
// ambiguous (day-first and month-first both parse them), by the files that
// decided: when a decided file uses one of the candidates, the other is
// dropped. A column no file decides keeps its month-first choice and its
// ambiguity.
func resolveAmbiguousDates(out []mergedColumn, tables [][]*analyzer.Column) {
	for i := range out {
		m := &out[i]
		var decided, ambiguous []string
		for _, cols := range tables {
			for _, c := range cols {
				if c.Name != m.spec.Name || c.NonNull == 0 {
					continue
				}
				if len(c.AmbiguousFormats) > 0 {
					ambiguous = union(ambiguous, c.AmbiguousFormats)
				} else {
					decided = union(decided, c.DatetimeFormats)
				}
			}
		}
		if len(ambiguous) == 0 {
			continue
		}
		var keep []string
		for _, f := range m.cast.DatetimeFormats {
			if contains(ambiguous, f) && !contains(decided, f) && overlaps(ambiguous, decided) {
				continue // another file decided for the other candidate
			}
			keep = append(keep, f)
		}
		m.cast.DatetimeFormats = keep
		if overlaps(ambiguous, decided) {
			m.cast.AmbiguousFormats = nil
		} else {
			m.cast.AmbiguousFormats = ambiguous
		}
	}
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
