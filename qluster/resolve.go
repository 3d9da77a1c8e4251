package qluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/openqluster/qluster-go/analyzer"
)

// ResolveParams is what a user chose to resolve an alert with.
type ResolveParams struct {
	// Action is the action chosen. Required, except on an
	// unexpected_field_name alert resolved with NewFieldsActions alone
	// (override_model then).
	Action AlertAction
	// NewDatetimeFormat is the strftime format of define_datetime_format*
	// and allow_multi_formats_n_define_datetime_format* (optional for
	// allow_multi_datetime_formats, which infers one when empty).
	NewDatetimeFormat string
	// SheetName is the sheet of proceed_with_sheet_name.
	SheetName string
	// LineSignature is the row of ignore_row and ignore_row_for_file;
	// empty means the alert's first row.
	LineSignature string
	// NewFieldsActions resolve an unexpected_field_name alert, per field f
	// of the file: action__f (rename, add or ignore), new__f (the column a
	// rename maps to), scope__f (dataset, the default, or source). For
	// validation_rename_to_existing_keyword, new__<field> names the keyword.
	NewFieldsActions map[string]string
	// By is the acting user, recorded in history and on the alert.
	By *uuid.UUID
	// Superuser says the acting user is a superuser: only one may add
	// columns (new_fields_actions add).
	Superuser bool
	// Settings makes the configuration changes. Nil means the engine's
	// Store, which must then implement SettingsStore.
	Settings SettingsStore
}

// SettingsStore changes configuration the way a user does: each change
// locks the object, bumps its version_id and writes a history row naming
// the acting user, in one transaction. Errors match ErrNotFound for
// unknown ids and ErrConflict for deleted objects.
type SettingsStore interface {
	// UpdateSettings changes a dataset (mutate, when not nil) and its
	// settings model (mutateSettings, when not nil) and returns the dataset
	// as stored; an error from a mutate function changes nothing.
	UpdateSettings(ctx context.Context, datasetID int64, by *uuid.UUID, mutate func(*Dataset) error, mutateSettings func(*Settings) error) (*Dataset, error)
	// UpdateDataSource changes a data source at any version when version is nil.
	UpdateDataSource(ctx context.Context, id int64, version *int64, by *uuid.UUID, mutate func(*DataSource) error) (*DataSource, error)
}

// SignatureIgnorer is the optional ability of a Store to record the row
// signatures a dataset (or one of its data sources, when sourceID is set)
// skips from now on. storage/postgres implements it.
type SignatureIgnorer interface {
	IgnoreSignatures(ctx context.Context, datasetID int64, sourceID *int64, sigs []string) error
}

// Resolve carries out the action a user chose to fix an alert: it changes
// the settings at the action's scope (the dataset; with _for_field one
// column; with _for_source the data source's overrides), the table, the
// files or the ignored rows; it resolves the alert and every alert the
// change made redundant (resolved, resolved_at, whodunit_id); and it queues
// again the files the change affects, whose rows leave the quarantine when
// the change fixed them and come back to it (under a new alert) when it did
// not. It returns where a client should go next.
//
// An action that does not fit the alert, or an input that does not fit
// the action (a datetime format that does not parse the alert's values, a
// sheet the file lacks), is a *ValidationError; only a superuser may add
// columns (an error matching ErrForbidden); a resolved alert is a
// *ConflictError.
func (e *Engine) Resolve(ctx context.Context, alertID int64, p ResolveParams) (redirect string, err error) {
	a, err := e.store.GetAlert(ctx, alertID)
	if err != nil {
		return "", err
	}
	if a.Resolved {
		return "", &ConflictError{Msg: fmt.Sprintf("alert %d is already resolved", a.ID)}
	}
	if p.Action == "" && len(p.NewFieldsActions) > 0 && a.AlertType == AlertTypeUnexpectedFieldName {
		p.Action = AlertActionOverrideModel
	}
	rs, ok := resolvers[p.Action]
	if !ok || !rs.fits(a, &p) {
		return "", notFitting(a, p.Action)
	}
	r := &resolution{e: e, a: a, p: p}
	if r.settings, err = e.settingsStore(p.Settings); err != nil {
		return "", err
	}
	if a.DatasetID != nil {
		if r.ds, err = e.store.GetDataset(ctx, *a.DatasetID); err != nil {
			return "", err
		}
	}
	if a.DataSourceModelID != nil {
		if r.src, err = e.store.GetDataSource(ctx, *a.DataSourceModelID); err != nil {
			return "", err
		}
	}
	return rs.run(r, ctx)
}

// settingsStore is s, or the engine's Store when s is nil.
func (e *Engine) settingsStore(s SettingsStore) (SettingsStore, error) {
	if s != nil {
		return s, nil
	}
	if s, ok := e.store.(SettingsStore); ok {
		return s, nil
	}
	return nil, errors.New("qluster: the store cannot change settings: pass a SettingsStore")
}

// notFitting is the error of an action that does not fit an alert: it lists
// the alert's actions (or, when it lists none, the ones that fit).
func notFitting(a *AlertItem, action AlertAction) error {
	offered := a.AlertActions
	if len(offered) == 0 {
		offered = FittingActions(a)
	}
	if action == "" {
		return Invalid("action", "missing", "choose an action; alert %d (%s) offers %v", a.ID, a.AlertType, offered)
	}
	return Invalid("action", "value_error", "%s does not fit alert %d (%s); it offers %v", action, a.ID, a.AlertType, offered)
}

// FittingActions are the actions Resolve accepts for an alert, sorted.
func FittingActions(a *AlertItem) []AlertAction {
	var out []AlertAction
	for act, rs := range resolvers {
		if rs.fits(a, &ResolveParams{}) {
			out = append(out, act)
		}
	}
	slices.Sort(out)
	return out
}

// resolution is one Resolve call in progress.
type resolution struct {
	e        *Engine
	a        *AlertItem
	p        ResolveParams
	settings SettingsStore
	ds       *Dataset    // the alert's dataset, if any
	src      *DataSource // the alert's data source, if any
}

// resolver is how one action fits alerts and what it does.
type resolver struct {
	fits func(a *AlertItem, p *ResolveParams) bool
	run  func(r *resolution, ctx context.Context) (string, error) // a method expression of *resolution
}

// scope is where a settings action applies: the dataset or the alert's data
// source, every column or the alert's field.
type scope struct{ field, source bool }

func scopeOf(a AlertAction) scope {
	s := string(a)
	return scope{field: strings.Contains(s, "_for_field"), source: strings.HasSuffix(s, "_for_source")}
}

// The kinds of alerts the actions fit.
var (
	castTypes = []AlertType{AlertTypeDatetimeCasting, AlertTypeDateCasting, AlertTypeIntegerCasting, AlertTypeDecimalCasting,
		AlertTypeBooleanCasting, AlertTypeJsonCasting, AlertTypeCasting, AlertTypeInvalidEmail, AlertTypeStringLength,
		AlertTypeMultipleDatetimeFormats, AlertTypeUnexpectedCharactersInDateTimeError}
	datetimeTypes = []AlertType{AlertTypeDatetimeCasting, AlertTypeDateCasting, AlertTypeMultipleDatetimeFormats,
		AlertTypeUnexpectedCharactersInDateTimeError}
)

func fieldAlertOf(types ...AlertType) func(a *AlertItem, p *ResolveParams) bool {
	return func(a *AlertItem, _ *ResolveParams) bool {
		return a.FieldName != "" && a.DatasetID != nil && slices.Contains(types, a.AlertType)
	}
}

func sourceToo(f func(a *AlertItem, p *ResolveParams) bool, sc scope) func(a *AlertItem, p *ResolveParams) bool {
	return func(a *AlertItem, p *ResolveParams) bool {
		return f(a, p) && (!sc.source || a.DataSourceModelID != nil)
	}
}

func fileAlert(a *AlertItem, _ *ResolveParams) bool {
	return len(alertFiles(a)) > 0 && a.DatasetID != nil
}

func rowAlert(a *AlertItem, p *ResolveParams) bool {
	return fileAlert(a, p) && a.DataSourceModelID != nil && (p.LineSignature != "" || lineSignature(a) != "")
}

func migrationAlert(a *AlertItem, _ *ResolveParams) bool {
	return a.MigrationModelID != nil && a.DatasetID != nil
}

func datasetAlert(a *AlertItem, _ *ResolveParams) bool { return a.DatasetID != nil }

func anyAlert(*AlertItem, *ResolveParams) bool { return true }

func typedFileAlert(t AlertType) func(a *AlertItem, p *ResolveParams) bool {
	return func(a *AlertItem, p *ResolveParams) bool {
		return a.AlertType == t && fileAlert(a, p) && a.DataSourceModelID != nil
	}
}

// resolvers hold every action Resolve carries out; the navigation actions
// are the server's.
var resolvers = buildResolvers()

func buildResolvers() map[AlertAction]resolver {
	m := map[AlertAction]resolver{
		AlertActionApplyMigration:       {migrationAlert, (*resolution).applyMigration},
		AlertActionOverrideModel:        {overrideFits, (*resolution).overrideModel},
		AlertActionDiscardMigration:     {migrationAlert, (*resolution).discardMigration},
		AlertActionReviewMigrationAgain: {migrationAlert, (*resolution).reviewMigrationAgain},
		AlertActionRerunTraining:        {datasetAlert, (*resolution).rerunTraining},
		AlertActionPutFileForLearning:   {fileAlert, (*resolution).putFileForLearning},
		AlertActionExpandFields:         {fieldAlertOf(AlertTypeJsonCasting, AlertTypeCasting), (*resolution).expandFields},
		AlertActionNotADatetimeField:    {fieldAlertOf(datetimeTypes...), (*resolution).notADatetimeField},
		AlertActionAllowMultiDatetimeFormats: {fieldAlertOf(datetimeTypes...), func(r *resolution, ctx context.Context) (string, error) {
			return r.datetime(ctx, AlertActionAllowMultiDatetimeFormats, true)
		}},
		AlertActionIgnoreRow:                         {rowAlert, (*resolution).ignoreRow},
		AlertActionIgnoreRowForFile:                  {rowAlert, (*resolution).ignoreRow},
		AlertActionIgnoreFile:                        {fileAlert, (*resolution).ignoreFiles},
		AlertActionIgnoreAlertAssociatedFiles:        {fileAlert, (*resolution).ignoreFiles},
		AlertActionHide:                              {anyAlert, (*resolution).hide},
		AlertActionTryAgain:                          {fileAlert, (*resolution).tryAgain},
		AlertActionReprocessFile:                     {fileAlert, (*resolution).tryAgain},
		AlertActionDownloadFile:                      {fileAlert, (*resolution).downloadFile},
		AlertActionProceedWithSheetName:              {typedFileAlert(AlertTypeMultipleSheetsFound), (*resolution).proceedWithSheet},
		AlertActionMarkDataAsValid:                   {fieldAlertOf(AlertTypeValidation), (*resolution).validationRule},
		AlertActionValidationAddANewKeyword:          {fieldAlertOf(AlertTypeValidation), (*resolution).validationRule},
		AlertActionValidationRenameToExistingKeyword: {fieldAlertOf(AlertTypeValidation), (*resolution).validationRule},
	}
	families := []struct {
		base  string
		fits  func(a *AlertItem, p *ResolveParams) bool
		run   func(r *resolution, ctx context.Context, action AlertAction) (string, error)
		field []bool
	}{
		{"set_value_to_null", fieldAlertOf(castTypes...), (*resolution).setValue, []bool{false, true}},
		{"set_value_to_true", fieldAlertOf(AlertTypeBooleanCasting), (*resolution).setValue, []bool{false, true}},
		{"set_value_to_false", fieldAlertOf(AlertTypeBooleanCasting), (*resolution).setValue, []bool{false, true}},
		{"define_datetime_format", fieldAlertOf(datetimeTypes...), (*resolution).defineFormat, []bool{false, true}},
		{"allow_multi_formats_n_define_datetime_format", fieldAlertOf(datetimeTypes...), (*resolution).defineFormat, []bool{false, true}},
		{"infer_datetime_format", fieldAlertOf(datetimeTypes...), (*resolution).defineFormat, []bool{true}},
	}
	for _, f := range families {
		for _, field := range f.field {
			for _, source := range []bool{false, true} {
				name := f.base
				if field {
					name += "_for_field"
				}
				if source {
					name += "_for_source"
				}
				act, run := AlertAction(name), f.run
				m[act] = resolver{sourceToo(f.fits, scope{field, source}), func(r *resolution, ctx context.Context) (string, error) { return run(r, ctx, act) }}
			}
		}
	}
	return m
}

func overrideFits(a *AlertItem, p *ResolveParams) bool {
	return migrationAlert(a, p) || (a.AlertType == AlertTypeUnexpectedFieldName && fileAlert(a, p) && a.DataSourceModelID != nil)
}

// alertFiles are the stored items an alert is about.
func alertFiles(a *AlertItem) []int64 {
	var out []int64
	if a.StoredItemID != nil {
		out = append(out, *a.StoredItemID)
	}
	for _, x := range a.StoredItemsToAlerts {
		var id int64
		switch v := x.(type) {
		case float64:
			id = int64(v)
		case int64:
			id = v
		case json.Number:
			id, _ = v.Int64()
		}
		if id != 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// lineSignature is the signature of the alert's (first) row.
func lineSignature(a *AlertItem) string {
	s, _ := a.Body["line_signature"].(string)
	return s
}

// alertValues are the distinct values an alert reports, trimmed: its value
// first, then the others it gathered.
func alertValues(a *AlertItem) []string {
	var out []string
	for _, v := range append([]string{a.FieldValue}, a.PreviousValues...) {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Redirect targets.
func datasetURL(id int64) string { return "/api/datasets/" + strconv.FormatInt(id, 10) }
func sourceURL(id int64) string  { return "/api/data-sources/" + strconv.FormatInt(id, 10) }
func itemURL(id int64) string    { return "/api/stored-items/" + strconv.FormatInt(id, 10) }
func quarantineURL(id int64) string {
	return "/api/datasets/" + strconv.FormatInt(id, 10) + "/data?is_bad_data=true"
}

// settingsURL is where a settings change at scope sc is seen.
func (r *resolution) settingsURL(sc scope) string {
	if sc.source {
		return sourceURL(r.src.ID)
	}
	return datasetURL(r.ds.ID)
}

// --- resolving alerts ------------------------------------------------------

// resolveAlerts resolves the alert and the others given, recording the
// acting user and why.
func (r *resolution) resolveAlerts(ctx context.Context, why string, others ...AlertItem) error {
	ids := []int64{r.a.ID}
	for _, o := range others {
		if !slices.Contains(ids, o.ID) {
			ids = append(ids, o.ID)
		}
	}
	return r.e.resolveAlertIDs(ctx, ids, r.p.By, why)
}

// resolveAlertIDs marks alerts resolved by a user (an alert the engine
// resolved already gets the user's name).
func (e *Engine) resolveAlertIDs(ctx context.Context, ids []int64, by *uuid.UUID, why string) error {
	now := e.now()
	for _, id := range ids {
		if _, err := e.store.UpdateAlert(ctx, id, func(x *AlertItem) error {
			if !x.Resolved {
				x.Resolved, x.ResolvedAt = true, &now
				if x.Body == nil {
					x.Body = map[string]any{}
				}
				x.Body["resolution"] = why
			}
			if x.WhodunitID == nil {
				x.WhodunitID = by
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// redundant are the dataset's other unresolved alerts a settings change at
// scope sc makes redundant: those of the same kinds, about the alert's field
// (with a field scope) or holding one of values (without one), from the
// alert's data source (with a source scope). Their files are queued again,
// so a row the change does not fix raises a new alert.
func (r *resolution) redundant(ctx context.Context, sc scope, types []AlertType, values []string) ([]AlertItem, error) {
	all, err := r.e.store.UnresolvedAlerts(ctx, r.ds.ID, types...)
	if err != nil {
		return nil, err
	}
	var out []AlertItem
	for _, o := range all {
		switch {
		case o.ID == r.a.ID:
		case sc.source && (o.DataSourceModelID == nil || *o.DataSourceModelID != r.src.ID):
		case sc.field && o.FieldName != r.a.FieldName:
		case !sc.field && values != nil && !overlaps(alertValues(&o), values):
		default:
			out = append(out, o)
		}
	}
	return out, nil
}

// --- reprocessing ----------------------------------------------------------

// reprocess queues again the ingestion of files: the given ones, or, when
// files is nil, every file of the dataset with quarantined rows (of data
// source sourceID only, when set; with the replace process, only the newest
// file of each source, whose rows are the ones in the table). Then it queues the dataset's blocked
// files whose alert is resolved. A job that is running is left alone: it
// sees the settings changed when it commits and loads again by itself.
func (e *Engine) reprocess(ctx context.Context, datasetID int64, sourceID *int64, files []int64) error {
	var jobs []IngestionJob
	if files != nil {
		for _, id := range files {
			j, err := e.store.IngestionJobOfStoredItem(ctx, id)
			if err != nil {
				return err
			}
			if j != nil {
				jobs = append(jobs, *j)
			}
		}
	} else {
		done, err := e.store.IngestionJobsInState(ctx, datasetID, IngestionJobStateFinished)
		if err != nil {
			return err
		}
		ds, err := e.store.GetDataset(ctx, datasetID)
		if err != nil {
			return err
		}
		// With the replace process a load replaces its source's rows: only
		// the newest file of each source may load again.
		newest := map[int64]int64{}
		for _, j := range done {
			if j.DataSourceModelID != nil && j.StoredItemID != nil {
				newest[*j.DataSourceModelID] = max(newest[*j.DataSourceModelID], *j.StoredItemID)
			}
		}
		for _, j := range done {
			switch {
			case j.BadRowsCount == 0 || j.DataSourceModelID == nil || j.StoredItemID == nil:
			case sourceID != nil && *j.DataSourceModelID != *sourceID:
			case ds.DataLoadingProcess == DataLoadingProcessReplace && *j.StoredItemID != newest[*j.DataSourceModelID]:
			default:
				jobs = append(jobs, j)
			}
		}
	}
	for _, j := range jobs {
		if _, err := e.RunIngestionJob(ctx, j.ID); err != nil && !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return e.resumeUnblocked(ctx, datasetID)
}

// resumeUnblocked queues again the dataset's blocked jobs whose alert is
// resolved. (ResumeBlocked queues every blocked job, and a file blocked by
// its own rows would then raise its alert again.)
func (e *Engine) resumeUnblocked(ctx context.Context, datasetID int64) error {
	blocked, err := e.store.IngestionJobsInState(ctx, datasetID, IngestionJobStateBlocked)
	if err != nil {
		return err
	}
	for _, j := range blocked {
		if j.AlertItemID != nil {
			a, err := e.store.GetAlert(ctx, *j.AlertItemID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if err == nil && !a.Resolved {
				continue
			}
		}
		if _, err := e.RunIngestionJob(ctx, j.ID); err != nil && !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return nil
}

// ReprocessFiles queues again the ingestion of stored items (those of the
// quarantined rows a user wants read again, for example). A file that
// never had an ingestion job is a *ValidationError.
func (e *Engine) ReprocessFiles(ctx context.Context, datasetID int64, files []int64) error {
	v := &ValidationError{}
	for _, id := range files {
		j, err := e.store.IngestionJobOfStoredItem(ctx, id)
		if err != nil {
			return err
		}
		if j == nil || j.DatasetID == nil || *j.DatasetID != datasetID {
			v.Add([]string{"body", "ids"}, "value_error", "stored item %d of dataset %d was never ingested", id, datasetID)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return e.reprocess(ctx, datasetID, nil, files)
}

// --- migrations and training ----------------------------------------------

func (r *resolution) applyMigration(ctx context.Context) (string, error) {
	if _, err := r.e.ApplyMigration(ctx, *r.a.MigrationModelID, r.p.By); err != nil {
		return "", err
	}
	return r.afterMigration(ctx, "migration "+strconv.FormatInt(*r.a.MigrationModelID, 10)+" applied")
}

// afterMigration resolves the alert and queues the files that waited for it.
func (r *resolution) afterMigration(ctx context.Context, why string) (string, error) {
	if err := r.resolveAlerts(ctx, why); err != nil {
		return "", err
	}
	if err := r.e.resumeUnblocked(ctx, r.ds.ID); err != nil {
		return "", err
	}
	return "/api/migrations/" + strconv.FormatInt(*r.a.MigrationModelID, 10), nil
}

func (r *resolution) discardMigration(ctx context.Context) (string, error) {
	if _, err := r.e.DiscardMigration(ctx, *r.a.MigrationModelID, r.p.By); err != nil {
		return "", err
	}
	return r.afterMigration(ctx, "migration "+strconv.FormatInt(*r.a.MigrationModelID, 10)+" discarded")
}

// overrideModel applies a migration the policy held (a locked dataset's
// included), or resolves an unexpected_field_name alert with new_fields_actions.
func (r *resolution) overrideModel(ctx context.Context) (string, error) {
	if r.a.MigrationModelID == nil {
		return r.newFields(ctx)
	}
	return r.applyMigration(ctx)
}

// reviewMigrationAgain holds a draft migration behind a fresh
// needs_review_migration alert.
func (r *resolution) reviewMigrationAgain(ctx context.Context) (string, error) {
	m, err := r.e.store.GetMigration(ctx, *r.a.MigrationModelID)
	if err != nil {
		return "", err
	}
	if m.State != MigrationStateDraft {
		return "", &ConflictError{Msg: fmt.Sprintf("migration %d is %s: only a draft can be reviewed", m.ID, m.State)}
	}
	if err := r.e.raiseMigrationAlert(ctx, r.ds, m, AlertTypeNeedsReviewMigration,
		fmt.Sprintf("migration %d of dataset %q is ready for review again: %s; ingestion waits until you apply or discard it", m.ID, r.ds.Name, summarize(m))); err != nil {
		return "", err
	}
	if err := r.resolveAlerts(ctx, "migration "+strconv.FormatInt(m.ID, 10)+" sent to review again"); err != nil {
		return "", err
	}
	return "/api/migrations/" + strconv.FormatInt(m.ID, 10), nil
}

func (r *resolution) rerunTraining(ctx context.Context) (string, error) {
	j, err := r.e.ScheduleTraining(ctx, r.ds.ID)
	if err != nil {
		return "", err
	}
	if err := r.resolveAlerts(ctx, "training job "+strconv.FormatInt(j.ID, 10)+" queued"); err != nil {
		return "", err
	}
	return "/api/training-jobs/" + strconv.FormatInt(j.ID, 10), nil
}

// putFileForLearning makes the alert's file a training data item and trains
// the dataset on it now, so that the migration it leads to (applied or held
// by the dataset's policy) is there when the file loads again.
func (r *resolution) putFileForLearning(ctx context.Context) (string, error) {
	it, err := r.e.store.GetStoredItem(ctx, alertFiles(r.a)[0])
	if err != nil {
		return "", err
	}
	if _, err := r.e.store.CreateTrainingDataItem(ctx, &TrainingDataItem{Enabled: true, Name: it.Key, StoredItemID: &it.ID,
		SettingsModelID: &r.ds.SettingsModel.ID, DatasetID: &r.ds.ID, DatasetName: r.ds.Name, AlertItemsIDs: []int64{r.a.ID}}); err != nil {
		return "", err
	}
	// A job created running is this call's alone: ScheduleTraining reuses
	// only created ones, so no worker runs it at the same time.
	job, err := r.e.store.CreateTrainingJob(ctx, &TrainingJob{State: TrainingJobStateRunning, Step: "queued",
		Msg: "training on " + it.Key + " for alert " + strconv.FormatInt(r.a.ID, 10), SettingsModelID: &r.ds.SettingsModel.ID,
		DatasetID: &r.ds.ID, DatasetName: r.ds.Name, AnalysisTasks: []any{}})
	if err != nil {
		return "", err
	}
	ref, _ := json.Marshal(trainingRef{DatasetID: r.ds.ID, TrainingJobID: job.ID})
	if err := r.e.handleTraining(ctx, ref); err != nil {
		return "", err
	}
	if job, err = r.e.store.GetTrainingJob(ctx, job.ID); err != nil {
		return "", err
	}
	if job.State == TrainingJobStateError {
		return "", &ConflictError{Msg: fmt.Sprintf("training on %s failed: %s", it.Key, job.Msg)}
	}
	if err := r.resolveAlerts(ctx, "learned from "+it.Key+" (training job "+strconv.FormatInt(job.ID, 10)+")"); err != nil {
		return "", err
	}
	if err := r.e.reprocess(ctx, r.ds.ID, nil, []int64{it.ID}); err != nil {
		return "", err
	}
	return "/api/training-jobs/" + strconv.FormatInt(job.ID, 10), nil
}

// expandFields makes a JSON column's keys columns of their own: the field
// joins fields_to_expand and the dataset trains again.
func (r *resolution) expandFields(ctx context.Context) (string, error) {
	plan, err := r.e.currentPlan(ctx, r.ds.ID)
	if err != nil {
		return "", err
	}
	if c := plan.column(r.a.FieldName); c == nil || c.Type != "jsonb" {
		return "", Invalid("action", "value_error", "expand_fields expands JSON columns; %s is not one", r.a.FieldName)
	}
	if _, err := r.settings.UpdateSettings(ctx, r.ds.ID, r.p.By, nil, func(st *Settings) error {
		st.FieldsToExpand = union(st.FieldsToExpand, []string{r.a.FieldName})
		return nil
	}); err != nil {
		return "", err
	}
	return r.rerunTraining(ctx)
}

// --- values: null markers and boolean words --------------------------------

// setValue makes the alert's value a null marker, a true word or a false
// word at the action's scope. The settings model has no boolean words per
// column: a word for a field joins the dataset's (or the source's) words.
func (r *resolution) setValue(ctx context.Context, action AlertAction) (string, error) {
	v := strings.TrimSpace(r.a.FieldValue)
	if v == "" {
		return "", Invalid("action", "value_error", "alert %d has no value to set", r.a.ID)
	}
	sc := scopeOf(action)
	field := r.a.FieldName
	var apply func(st *Settings)
	var applySrc func(d *DataSource, ds *Settings)
	switch {
	case strings.HasPrefix(string(action), "set_value_to_null") && sc.field:
		apply = func(st *Settings) { st.NullValuesPerColumn = addToColumn(st.NullValuesPerColumn, field, v) }
		applySrc = func(d *DataSource, st *Settings) {
			d.NullValuesPerColumnOverride = addToColumn(orMap(d.NullValuesPerColumnOverride, st.NullValuesPerColumn), field, v)
		}
	case strings.HasPrefix(string(action), "set_value_to_null"):
		apply = func(st *Settings) { st.NullValues = union(st.NullValues, []string{v}) }
		applySrc = func(d *DataSource, st *Settings) {
			d.NullValuesOverride = union(orSlice(d.NullValuesOverride, st.NullValues), []string{v})
		}
	case strings.HasPrefix(string(action), "set_value_to_true"):
		apply = func(st *Settings) {
			st.BooleanTrue = union(orSlice(st.BooleanTrue, analyzer.DefaultBooleanTrue), []string{v})
		}
		applySrc = func(d *DataSource, st *Settings) {
			d.BooleanTrueOverride = union(orSlice(d.BooleanTrueOverride, orSlice(st.BooleanTrue, analyzer.DefaultBooleanTrue)), []string{v})
		}
	default:
		apply = func(st *Settings) {
			st.BooleanFalse = union(orSlice(st.BooleanFalse, analyzer.DefaultBooleanFalse), []string{v})
		}
		applySrc = func(d *DataSource, st *Settings) {
			d.BooleanFalseOverride = union(orSlice(d.BooleanFalseOverride, orSlice(st.BooleanFalse, analyzer.DefaultBooleanFalse)), []string{v})
		}
	}
	if err := r.changeSettings(ctx, sc, apply, applySrc, nil); err != nil {
		return "", err
	}
	return r.afterSettings(ctx, sc, []AlertType{r.a.AlertType}, []string{v}, fmt.Sprintf("%s: %q", action, v))
}

// changeSettings applies a change at scope sc: to the settings model (and
// the dataset, when mutateDataset is set), or to the data source's
// overrides, which start from the dataset's values.
func (r *resolution) changeSettings(ctx context.Context, sc scope, apply func(*Settings), applySrc func(*DataSource, *Settings), mutateDataset func(*Dataset)) error {
	var mutate func(*Dataset) error
	if mutateDataset != nil {
		mutate = func(d *Dataset) error {
			mutateDataset(d)
			d.WhodunitID = r.p.By
			return nil
		}
	}
	if sc.source {
		if mutate != nil {
			if _, err := r.settings.UpdateSettings(ctx, r.ds.ID, r.p.By, mutate, nil); err != nil {
				return err
			}
		}
		_, err := r.settings.UpdateDataSource(ctx, r.src.ID, nil, r.p.By, func(d *DataSource) error {
			applySrc(d, r.ds.SettingsModel)
			return nil
		})
		return err
	}
	_, err := r.settings.UpdateSettings(ctx, r.ds.ID, r.p.By, mutate, func(st *Settings) error {
		apply(st)
		return nil
	})
	return err
}

// afterSettings resolves the alert and the ones the change at scope sc made
// redundant, and queues again the files with quarantined rows in scope and
// the blocked ones.
func (r *resolution) afterSettings(ctx context.Context, sc scope, types []AlertType, values []string, why string) (string, error) {
	if sc.field {
		values = nil
	}
	others, err := r.redundant(ctx, sc, types, values)
	if err != nil {
		return "", err
	}
	if err := r.resolveAlerts(ctx, why, others...); err != nil {
		return "", err
	}
	var src *int64
	if sc.source {
		src = &r.src.ID
	}
	if err := r.e.reprocess(ctx, r.ds.ID, src, nil); err != nil {
		return "", err
	}
	return r.settingsURL(sc), nil
}

// addToColumn is a copy of m with values added to column col's list.
func addToColumn(m map[string][]string, col string, values ...string) map[string][]string {
	out := make(map[string][]string, len(m)+1)
	for k, vs := range m {
		out[k] = append([]string(nil), vs...)
	}
	out[col] = union(out[col], values)
	return out
}

func orSlice(s, dflt []string) []string {
	if s == nil {
		return append([]string(nil), dflt...)
	}
	return s
}

func orMap(m, dflt map[string][]string) map[string][]string {
	if m == nil {
		return dflt
	}
	return m
}

// --- datetimes ---------------------------------------------------------------

// defineFormat adds a datetime format to the alert's field at the action's
// scope: the one sent (checked against the alert's values), or with
// infer_datetime_format_for_field* the ones the analyzer infers from them.
// allow_multi_* also lets columns mix formats.
func (r *resolution) defineFormat(ctx context.Context, action AlertAction) (string, error) {
	multi := strings.HasPrefix(string(action), "allow_multi")
	if strings.HasPrefix(string(action), "infer_") {
		return r.datetime(ctx, action, multi)
	}
	if r.p.NewDatetimeFormat == "" {
		return "", Invalid("new_datetime_format", "missing", "%s needs new_datetime_format, a strftime format such as %%d/%%m/%%Y that parses %q", action, r.a.FieldValue)
	}
	return r.datetime(ctx, action, multi)
}

// datetime adds formats at the scope of action (inferring them when none
// was sent) and, with multi, turns strictly_one_datetime_format_in_a_column
// off. The cast of the column in the table's migration gains the formats
// too, through a revision of the current migration: the cast reads only the
// column's own formats, so a format for a source reads every source's values.
func (r *resolution) datetime(ctx context.Context, action AlertAction, multi bool) (string, error) {
	values := alertValues(r.a)
	var formats []string
	if r.p.NewDatetimeFormat != "" {
		if err := CheckDatetimeFormat(r.p.NewDatetimeFormat, values); err != nil {
			return "", err
		}
		formats = []string{r.p.NewDatetimeFormat}
	} else {
		opts, err := AnalyzerOptions(r.ds, r.src)
		if err != nil {
			return "", err
		}
		if formats, err = InferDatetimeFormats(r.a.FieldName, values, opts); err != nil {
			return "", err
		}
	}
	plan, err := r.e.currentPlan(ctx, r.ds.ID)
	if err != nil {
		return "", err
	}
	col := plan.column(r.a.FieldName)
	if col == nil || col.Cast == nil {
		return "", Invalid("action", "value_error", "the table has no column %s", r.a.FieldName)
	}
	field := r.a.FieldName
	sc := scopeOf(action)
	columnFormats := func(m map[string][]string) map[string][]string {
		// A column's formats win over datetime_formats: keep the ones it has.
		return addToColumn(m, field, union(union(col.Cast.DatetimeFormats, m[field]), formats)...)
	}
	apply := func(st *Settings) {
		if sc.field {
			st.DatetimeFormatsPerColumn = columnFormats(st.DatetimeFormatsPerColumn)
		} else {
			st.DatetimeFormats = union(st.DatetimeFormats, formats)
		}
	}
	applySrc := func(d *DataSource, st *Settings) {
		if sc.field {
			d.DatetimeFormatsPerColumnOverride = columnFormats(orMap(d.DatetimeFormatsPerColumnOverride, st.DatetimeFormatsPerColumn))
		} else {
			d.DatetimeFormatsOverride = union(orSlice(d.DatetimeFormatsOverride, st.DatetimeFormats), formats)
		}
	}
	var mutateDataset func(*Dataset)
	if multi {
		mutateDataset = func(d *Dataset) { d.StrictlyOneDatetimeFormatInAColumn = false }
	}
	if err := r.changeSettings(ctx, sc, apply, applySrc, mutateDataset); err != nil {
		return "", err
	}
	if _, err := r.e.ReviseMigration(ctx, r.ds.ID, func(p *MigrationPlan) error {
		if c := p.column(field); c != nil && c.Cast != nil {
			c.Cast.DatetimeFormats = union(c.Cast.DatetimeFormats, formats)
			c.Cast.AmbiguousFormats = nil
		}
		return nil
	}, r.p.By); err != nil {
		return "", err
	}
	return r.afterSettings(ctx, sc, datetimeTypes, values, fmt.Sprintf("%s: %s", action, strings.Join(formats, ", ")))
}

// CheckDatetimeFormat reports a *ValidationError unless strftime format f
// parses every value, naming the values it does not parse.
func CheckDatetimeFormat(f string, values []string) error {
	cf, err := analyzer.CompileFormat(f)
	if err != nil {
		return Invalid("new_datetime_format", "value_error", "%q is not a strftime format: %v", f, err)
	}
	var bad []string
	for _, v := range values {
		if _, ok := cf.Parse(strings.TrimSpace(v)); !ok {
			bad = append(bad, strconv.Quote(v))
		}
	}
	if len(bad) > 0 {
		return Invalid("new_datetime_format", "value_error", "%q does not parse %s", f, strings.Join(bad, ", "))
	}
	return nil
}

// InferDatetimeFormats infers the datetime formats that read values (of
// column name) with the analyzer, as training would with opts (columns may
// mix formats). No format is a *ValidationError.
func InferDatetimeFormats(name string, values []string, opts *analyzer.Options) ([]string, error) {
	o := *opts
	o.StrictlyOneDatetimeFormatInAColumn = false
	o.DatetimeFormatsPerColumn = nil
	in, err := analyzer.NewInferer(name, 0, &o)
	if err != nil {
		return nil, err
	}
	for _, v := range values {
		in.Observe(v)
	}
	c := in.Column()
	switch c.Type {
	case analyzer.TypeDate, analyzer.TypeTimestamp, analyzer.TypeTimestamptz, analyzer.TypeTime:
		if len(c.DatetimeFormats) > 0 {
			return c.DatetimeFormats, nil
		}
	}
	return nil, Invalid("action", "value_error", "no datetime format reads %s: send one in new_datetime_format", strings.Join(values, ", "))
}

// notADatetimeField makes the alert's column text through a new migration;
// its values load as written.
func (r *resolution) notADatetimeField(ctx context.Context) (string, error) {
	field := r.a.FieldName
	m, err := r.e.ReviseMigration(ctx, r.ds.ID, func(p *MigrationPlan) error {
		c := p.column(field)
		if c == nil {
			return Invalid("action", "value_error", "the table has no column %s", field)
		}
		c.Type, c.Change = "text", ColumnWidened
		if c.Cast != nil {
			c.Cast.Type, c.Cast.Length, c.Cast.DatetimeFormats, c.Cast.AmbiguousFormats = analyzer.TypeText, 0, nil, nil
		}
		return nil
	}, r.p.By)
	if err != nil {
		return "", err
	}
	others, err := r.redundant(ctx, scope{field: true}, datetimeTypes, nil)
	if err != nil {
		return "", err
	}
	if err := r.resolveAlerts(ctx, "column "+field+" is text from migration "+strconv.FormatInt(m.ID, 10), others...); err != nil {
		return "", err
	}
	if err := r.e.reprocess(ctx, r.ds.ID, nil, nil); err != nil {
		return "", err
	}
	return "/api/migrations/" + strconv.FormatInt(m.ID, 10), nil
}

// --- migrations revised by a resolve -----------------------------------------

// currentPlan is the plan of the dataset's current migration; no table yet
// is a *ConflictError.
func (e *Engine) currentPlan(ctx context.Context, datasetID int64) (*MigrationPlan, error) {
	cur, err := e.CurrentMigration(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, &ConflictError{Msg: fmt.Sprintf("dataset %d has no table yet: apply a migration first", datasetID)}
	}
	return PlanOf(cur)
}

// column returns the planned column named name, or nil.
func (p *MigrationPlan) column(name string) *PlannedColumn {
	for i := range p.Columns {
		if p.Columns[i].Name == name {
			return &p.Columns[i]
		}
	}
	return nil
}

// ReviseMigration makes a new migration from the dataset's current one as
// change edits its plan, applies it at once (the table changes only where
// the schema does: Apply adds and widens) and makes it current. The
// dataset's draft migrations get the same change, so that none undoes it
// when applied. A change of the table of a locked dataset is a
// *ConflictError; an error from change is returned as it is.
func (e *Engine) ReviseMigration(ctx context.Context, datasetID int64, change func(*MigrationPlan) error, by *uuid.UUID) (*MigrationModel, error) {
	ds, err := e.store.GetDataset(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	cur, err := e.CurrentMigration(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, &ConflictError{Msg: fmt.Sprintf("dataset %d has no table yet: apply a migration first", datasetID)}
	}
	plan, err := PlanOf(cur)
	if err != nil {
		return nil, err
	}
	before := plan.Schema()
	if err := change(plan); err != nil {
		return nil, err
	}
	after := plan.Schema()
	schemaChanged := !slices.Equal(before.Columns, after.Columns)
	if schemaChanged && ds.MigrationPolicy == MigrationPolicyLocked {
		return nil, &ConflictError{Msg: fmt.Sprintf("dataset %q is locked: its table cannot change; change its migration_policy first", ds.Name)}
	}
	drafts, err := e.store.MigrationsInState(ctx, datasetID, MigrationStateDraft)
	if err != nil {
		return nil, err
	}
	for _, d := range drafts {
		dp, err := PlanOf(&d)
		if err != nil {
			return nil, err
		}
		if change(dp) != nil {
			continue // the draft lacks what the change is about
		}
		if _, err := e.store.UpdateMigration(ctx, d.ID, func(m *MigrationModel) error {
			m.Model, m.DisplayModel, m.FormatInfo = planModel(dp), displayOf(dp, nil), formatInfoOf(dp)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	m, err := e.store.CreateMigration(ctx, &MigrationModel{State: MigrationStateDraft, SettingsModelID: &ds.SettingsModel.ID,
		DatasetID: &ds.ID, DatasetName: ds.Name, Model: planModel(plan), DisplayModel: displayOf(plan, before),
		ColumnOverridesInfo: map[string]any{"revised_from": cur.ID}, FormatInfo: formatInfoOf(plan)})
	if err != nil {
		return nil, err
	}
	if schemaChanged {
		dest, err := e.destinationOf(ctx, ds)
		if err != nil {
			return nil, err
		}
		defer dest.Close()
		if err := dest.Apply(ctx, plan.Table, after); err != nil {
			return nil, fmt.Errorf("apply migration %d to %s.%s: %w", m.ID, plan.Table.Schema, plan.Table.Table, err)
		}
	}
	return e.store.MakeMigrationCurrent(ctx, m.ID)
}

// planModel is a plan as a migration's model.
func planModel(p *MigrationPlan) map[string]any {
	var model map[string]any
	b, _ := json.Marshal(p)
	json.Unmarshal(b, &model) //nolint:errcheck // a plan always round-trips
	return model
}

// displayOf is a plan as a migration's display model; prev is the schema
// before it, when known.
func displayOf(p *MigrationPlan, prev *TableSchema) []any {
	out := []any{}
	for _, c := range p.Columns {
		entry := map[string]any{"name": c.Name, "type": c.Type, "nullable": c.Nullable, "change": c.Change}
		if c.Cast != nil {
			entry["original_name"] = c.Cast.RawName
			entry["datetime_formats"] = nonNilStrings(c.Cast.DatetimeFormats)
			entry["examples"] = nonNilStrings(c.Cast.Examples)
			entry["null_markers"] = nonNilStrings(c.Cast.NullMarkers)
		}
		if oc := prev.Column(c.Name); oc != nil {
			entry["previous_type"] = oc.Type
		}
		out = append(out, entry)
	}
	return out
}

// formatInfoOf is the datetime formats of a plan's columns, by name.
func formatInfoOf(p *MigrationPlan) map[string]any {
	out := map[string]any{}
	for _, c := range p.Columns {
		if c.Cast != nil && (len(c.Cast.DatetimeFormats) > 0 || len(c.Cast.AmbiguousFormats) > 0) {
			out[c.Name] = map[string]any{"datetime_formats": nonNilStrings(c.Cast.DatetimeFormats), "ambiguous_formats": nonNilStrings(c.Cast.AmbiguousFormats)}
		}
	}
	return out
}

// --- rows and files ----------------------------------------------------------

// ignoreRow skips the alert's row (or the one sent) from now on: in every
// file of the dataset with ignore_row, in the files of the alert's data
// source with ignore_row_for_file. The files that hold it load again
// without it.
func (r *resolution) ignoreRow(ctx context.Context) (string, error) {
	sig := r.p.LineSignature
	if sig == "" {
		sig = lineSignature(r.a)
	}
	forFile := r.p.Action == AlertActionIgnoreRowForFile
	var src *int64
	if forFile {
		src = &r.src.ID
	}
	if err := r.e.IgnoreLineSignatures(ctx, r.ds.ID, src, []string{sig}); err != nil {
		return "", err
	}
	if err := r.resolveAlerts(ctx, "row "+sig+" ignored"); err != nil {
		return "", err
	}
	var files []int64
	if forFile {
		files = alertFiles(r.a)
	}
	if err := r.e.reprocess(ctx, r.ds.ID, nil, files); err != nil {
		return "", err
	}
	return quarantineURL(r.ds.ID), nil
}

// IgnoreLineSignatures records row signatures a dataset skips from now on
// (only in the files of data source sourceID, when set). It does not touch
// the rows already loaded: reprocess their files for that.
func (e *Engine) IgnoreLineSignatures(ctx context.Context, datasetID int64, sourceID *int64, sigs []string) error {
	ig, ok := e.store.(SignatureIgnorer)
	if !ok {
		return errors.New("qluster: the store cannot record ignored row signatures")
	}
	return ig.IgnoreSignatures(ctx, datasetID, sourceID, sigs)
}

// IgnoreSourceSignatures skips row signatures of several data sources of a
// dataset from now on and loads again the files of those sources that hold
// quarantined rows, so that the rows with those signatures leave the
// quarantine. A data source of another dataset is a *ValidationError.
func (e *Engine) IgnoreSourceSignatures(ctx context.Context, datasetID int64, bySource map[int64][]string) error {
	v := &ValidationError{}
	ids := make([]int64, 0, len(bySource))
	for id := range bySource {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		src, err := e.store.GetDataSource(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if err != nil || src.DatasetID == nil || *src.DatasetID != datasetID {
			v.Add([]string{"body", "data_source_model_to_line_signatures"}, "value_error", "data source %d is not a data source of dataset %d", id, datasetID)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := e.IgnoreLineSignatures(ctx, datasetID, &id, bySource[id]); err != nil {
			return err
		}
		if err := e.reprocess(ctx, datasetID, &id, nil); err != nil {
			return err
		}
	}
	return nil
}

// ignoreFiles ignores the alert's file (ignore_file) or every file it
// names (ignore_alert_associated_files).
func (r *resolution) ignoreFiles(ctx context.Context) (string, error) {
	files := alertFiles(r.a)
	if r.p.Action == AlertActionIgnoreFile {
		files = files[:1]
	}
	for _, id := range files {
		if _, err := r.e.IgnoreFile(ctx, id, true, r.p.By); err != nil {
			return "", err
		}
	}
	if err := r.resolveAlerts(ctx, "file ignored"); err != nil {
		return "", err
	}
	return itemURL(files[0]), nil
}

// IgnoreFile marks a stored item ignored, or no longer ignored. An ignored
// file's rows leave the table and the quarantine, its ingestion job ends
// (a running one is killed), its alerts are resolved, its row counts go to
// zero and its dataset's and data source's counts are recomputed; a file
// with the same content arriving later is a duplicate of it, so it is
// skipped too. A file no longer ignored loads again.
func (e *Engine) IgnoreFile(ctx context.Context, id int64, ignore bool, by *uuid.UUID) (*StoredItem, error) {
	it, err := e.store.UpdateStoredItem(ctx, id, func(s *StoredItem) error {
		s.IgnoreFile, s.WhodunitID = ignore, by
		if ignore {
			s.SuccessfulRowsCount, s.BadRowsCount = 0, 0
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if it.DatasetID == nil || it.DataSourceModelID == nil {
		return it, nil
	}
	ds, err := e.store.GetDataset(ctx, *it.DatasetID)
	if err != nil {
		return nil, err
	}
	job, err := e.store.IngestionJobOfStoredItem(ctx, it.ID)
	if err != nil {
		return nil, err
	}
	if !ignore {
		if job != nil {
			_, err = e.RunIngestionJob(ctx, job.ID)
			return it, err
		}
		return it, e.put(ctx, QueueFiles, "stored_item:"+strconv.FormatInt(it.ID, 10), jobRef{DatasetID: ds.ID, StoredItemID: it.ID}, e.now(), it.DataSourceModelID)
	}
	if job != nil {
		switch job.State {
		case IngestionJobStateRunning:
			if _, err := e.KillIngestionJob(ctx, job.ID); err != nil && !errors.Is(err, ErrConflict) {
				return nil, err
			}
		case IngestionJobStateFinished, IngestionJobStateKilled:
		default:
			if err := e.endJob(ctx, job.ID, IngestionJobStateFinished, "the file is ignored"); err != nil {
				return nil, err
			}
		}
	}
	if err := e.dropRows(ctx, ds, it); err != nil {
		return nil, err
	}
	alerts, err := e.store.UnresolvedAlerts(ctx, ds.ID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, a := range alerts {
		if slices.Contains(alertFiles(&a), it.ID) {
			ids = append(ids, a.ID)
		}
	}
	if err := e.resolveAlertIDs(ctx, ids, by, "file "+it.Key+" ignored"); err != nil {
		return nil, err
	}
	return it, e.store.Recount(ctx, ds.ID, *it.DataSourceModelID)
}

// dropRows removes a file's rows from its dataset's table and quarantine:
// a load of no rows replaces the rows the file loaded before.
func (e *Engine) dropRows(ctx context.Context, ds *Dataset, it *StoredItem) error {
	cur, err := e.CurrentMigration(ctx, ds.ID)
	if err != nil || cur == nil {
		return err
	}
	dest, err := e.destinationOf(ctx, ds)
	if err != nil {
		return err
	}
	defer dest.Close()
	loader, ok := dest.(Loader)
	if !ok {
		return fmt.Errorf("the destination of dataset %d cannot load rows", ds.ID)
	}
	_, err = loader.LoadRows(ctx, TableRef{Schema: ds.SchemaName, Table: ds.TableName}, LoadParams{StoredItemID: it.ID,
		DataSourceModelID: *it.DataSourceModelID, Process: DataLoadingProcessSnapshot, IngestedAt: e.now()}, noRows{})
	return err
}

// noRows is a RowSource without rows.
type noRows struct{}

func (noRows) Next() bool             { return false }
func (noRows) Line() int64            { return 0 }
func (noRows) Signature() []byte      { return nil }
func (noRows) Cells() []analyzer.Cell { return nil }
func (noRows) Err() error             { return nil }
func (noRows) Bad() BadRowSource      { return noRows{} }
func (noRows) Row() *BadRow           { return nil }

func (r *resolution) hide(ctx context.Context) (string, error) {
	if err := r.resolveAlerts(ctx, "hidden"); err != nil {
		return "", err
	}
	if r.ds != nil {
		return datasetURL(r.ds.ID), nil
	}
	return "/api/alerts", nil
}

// tryAgain loads the alert's files again as they are.
func (r *resolution) tryAgain(ctx context.Context) (string, error) {
	files := alertFiles(r.a)
	if err := r.resolveAlerts(ctx, string(r.p.Action)); err != nil {
		return "", err
	}
	if err := r.e.reprocess(ctx, r.ds.ID, nil, files); err != nil {
		return "", err
	}
	return itemURL(files[0]), nil
}

// downloadFile answers where the file is; the alert stays as it is. The
// contract has no operation that serves a stored item's bytes yet: the
// link is the stored item.
func (r *resolution) downloadFile(context.Context) (string, error) {
	return itemURL(alertFiles(r.a)[0]) + "/download", nil
}

// proceedWithSheet sets the sheet the data source's workbooks are read
// from and loads its files that waited for a sheet again.
func (r *resolution) proceedWithSheet(ctx context.Context) (string, error) {
	name := strings.TrimSpace(r.p.SheetName)
	if name == "" {
		return "", Invalid("sheet_name", "missing", "proceed_with_sheet_name needs sheet_name")
	}
	it, err := r.e.store.GetStoredItem(ctx, alertFiles(r.a)[0])
	if err != nil {
		return "", err
	}
	opts, err := AnalyzerOptions(r.ds, r.src)
	if err != nil {
		return "", err
	}
	opts.ExcelSheetName = ""
	var sheets []string
	if err := r.e.walkFile(ctx, it, opts, func(t *analyzer.Table) error {
		sheets = t.Sheets
		return errStopWalk
	}); err != nil {
		return "", err
	}
	found := ""
	for _, s := range sheets {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			found = s
		}
	}
	if found == "" {
		return "", Invalid("sheet_name", "value_error", "%s has no sheet %q; its sheets are %s", it.Key, name, strings.Join(sheets, ", "))
	}
	if _, err := r.settings.UpdateDataSource(ctx, r.src.ID, nil, r.p.By, func(d *DataSource) error {
		d.ExcelSheetName = found
		return nil
	}); err != nil {
		return "", err
	}
	others, err := r.redundant(ctx, scope{source: true, field: true}, []AlertType{AlertTypeMultipleSheetsFound}, nil)
	if err != nil {
		return "", err
	}
	files := alertFiles(r.a)
	for _, o := range others {
		files = append(files, alertFiles(&o)...)
	}
	if err := r.resolveAlerts(ctx, "sheet "+found, others...); err != nil {
		return "", err
	}
	if err := r.e.reprocess(ctx, r.ds.ID, nil, files); err != nil {
		return "", err
	}
	return sourceURL(r.src.ID), nil
}

// errStopWalk ends a walk after the first table.
var errStopWalk = errors.New("stop")

// walkFile reads a stored item's first table with opts.
func (e *Engine) walkFile(ctx context.Context, it *StoredItem, opts *analyzer.Options, fn func(*analyzer.Table) error) error {
	rc, err := e.OpenFile(ctx, it)
	if err != nil {
		return err
	}
	defer rc.Close()
	err = analyzer.Walk(ctx, rc, it.Key, opts, fn)
	if errors.Is(err, errStopWalk) {
		return nil
	}
	return err
}

// --- unexpected fields ---------------------------------------------------------

// newFields carries out new_fields_actions on an unexpected_field_name
// alert: per field of the file, rename it to a column of the table
// (field_name_full_conversion), ignore it (ignore_column_names), at the
// dataset's or the data source's scope, or add it as a column (superusers
// only) through a revision of the current migration. The file loads again.
func (r *resolution) newFields(ctx context.Context) (string, error) {
	if len(r.p.NewFieldsActions) == 0 {
		return "", Invalid("new_fields_actions", "missing", "say for each new field of the file what to do: {action__f: rename|add|ignore, new__f: column, scope__f: dataset|source}")
	}
	it, err := r.e.store.GetStoredItem(ctx, alertFiles(r.a)[0])
	if err != nil {
		return "", err
	}
	plan, err := r.e.currentPlan(ctx, r.ds.ID)
	if err != nil {
		return "", err
	}
	opts, err := AnalyzerOptions(r.ds, r.src)
	if err != nil {
		return "", err
	}
	var names []string
	if err := r.e.walkFile(ctx, it, opts, func(t *analyzer.Table) error {
		rd, err := analyzer.NewReader(t, opts)
		if err != nil {
			return err
		}
		names = rd.Names()
		return errStopWalk
	}); err != nil {
		return "", err
	}
	type fieldAction struct{ field, action, target, scope string }
	var acts []fieldAction
	v := &ValidationError{}
	loc := func(k string) []string { return []string{"body", "new_fields_actions", k} }
	keys := make([]string, 0, len(r.p.NewFieldsActions))
	for k := range r.p.NewFieldsActions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := strings.CutPrefix(k, "action__")
		if !ok {
			if !strings.HasPrefix(k, "new__") && !strings.HasPrefix(k, "scope__") {
				v.Add(loc(k), "value_error", "keys are action__<field>, new__<field> and scope__<field>")
			}
			continue
		}
		fa := fieldAction{field: f, action: r.p.NewFieldsActions[k], target: r.p.NewFieldsActions["new__"+f], scope: r.p.NewFieldsActions["scope__"+f]}
		if fa.scope == "" {
			fa.scope = "dataset"
		}
		switch {
		case !slices.Contains(names, f) || plan.column(f) != nil:
			v.Add(loc(k), "value_error", "%s is not a new field of %s", f, it.Key)
		case fa.scope != "dataset" && fa.scope != "source":
			v.Add(loc("scope__"+f), "enum", "scope is dataset or source, not %q", fa.scope)
		case fa.action == "rename" && plan.column(fa.target) == nil:
			v.Add(loc("new__"+f), "value_error", "rename maps %s to a column of the table; %q is not one", f, fa.target)
		case fa.action == "add" && !r.p.Superuser:
			return "", fmt.Errorf("%w: only a superuser may add field %s to the table", ErrForbidden, f)
		case fa.action != "rename" && fa.action != "add" && fa.action != "ignore":
			v.Add(loc(k), "enum", "the action is rename, add or ignore, not %q", fa.action)
		}
		acts = append(acts, fa)
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	if len(acts) == 0 {
		return "", Invalid("new_fields_actions", "missing", "no action__<field> key: nothing to do")
	}
	edit := func(full map[string]string, ignored []string, scope string) (map[string]string, []string) {
		out := map[string]string{}
		for k, x := range full {
			out[k] = x
		}
		for _, fa := range acts {
			if fa.scope != scope {
				continue
			}
			switch fa.action {
			case "rename":
				out[fa.field] = fa.target
			case "ignore":
				ignored = union(ignored, []string{fa.field})
			}
		}
		return out, ignored
	}
	var adds []string
	var byScope = map[string]bool{}
	for _, fa := range acts {
		if fa.action == "add" {
			adds = append(adds, fa.field)
		} else {
			byScope[fa.scope] = true
		}
	}
	if byScope["dataset"] {
		if _, err := r.settings.UpdateSettings(ctx, r.ds.ID, r.p.By, nil, func(st *Settings) error {
			st.FieldNameFullConversion, st.IgnoreColumnNames = edit(st.FieldNameFullConversion, st.IgnoreColumnNames, "dataset")
			return nil
		}); err != nil {
			return "", err
		}
	}
	if byScope["source"] {
		if _, err := r.settings.UpdateDataSource(ctx, r.src.ID, nil, r.p.By, func(d *DataSource) error {
			full := d.FieldNameFullConversionOverride
			if full == nil {
				full = r.ds.SettingsModel.FieldNameFullConversion
			}
			d.FieldNameFullConversionOverride, d.IgnoreColumnNamesOverride = edit(full, orSlice(d.IgnoreColumnNamesOverride, r.ds.SettingsModel.IgnoreColumnNames), "source")
			return nil
		}); err != nil {
			return "", err
		}
	}
	if len(adds) > 0 {
		if err := r.addColumns(ctx, it, opts, adds); err != nil {
			return "", err
		}
	}
	if err := r.resolveAlerts(ctx, "new fields: "+strings.Join(keys, ", ")); err != nil {
		return "", err
	}
	if err := r.e.reprocess(ctx, r.ds.ID, nil, []int64{it.ID}); err != nil {
		return "", err
	}
	return itemURL(it.ID), nil
}

// addColumns adds fields of a file to the table, typed as the analyzer
// infers them from the file.
func (r *resolution) addColumns(ctx context.Context, it *StoredItem, opts *analyzer.Options, fields []string) error {
	rc, err := r.e.OpenFile(ctx, it)
	if err != nil {
		return err
	}
	res, err := analyzer.Analyze(ctx, rc, it.Key, opts)
	rc.Close()
	if err != nil {
		return err
	}
	_, err = r.e.ReviseMigration(ctx, r.ds.ID, func(p *MigrationPlan) error {
		for _, c := range res.Columns {
			if !slices.Contains(fields, c.Name) || p.column(c.Name) != nil {
				continue
			}
			cast := *c
			p.Columns = append(p.Columns, PlannedColumn{ColumnSpec: ColumnSpec{Name: c.Name, Type: c.PGType(), Nullable: true},
				Change: ColumnNew, Cast: &cast})
		}
		return nil
	}, r.p.By)
	return err
}

// --- validation rules ------------------------------------------------------------

// validationRule relaxes the rule of the alert's field so the alert's
// values pass: mark_data_as_valid widens the bounds, drops is_required
// and adds the values to limit_to_values; validation_add_a_new_keyword
// adds them to limit_to_values; validation_rename_to_existing_keyword
// reads each as a keyword the rule allows (new__<field> of
// new_fields_actions, or the closest one).
func (r *resolution) validationRule(ctx context.Context) (string, error) {
	field := r.a.FieldName
	rule, ok := r.ds.SettingsModel.ValidationRules[field]
	if !ok {
		return "", Invalid("action", "value_error", "field %s has no validation rule any more", field)
	}
	values := alertValues(r.a)
	numeric := rule.JSONSchemaFieldType == JSONSchemaInteger || rule.JSONSchemaFieldType == JSONSchemaNumber
	switch r.p.Action {
	case AlertActionValidationRenameToExistingKeyword:
		if numeric || len(rule.LimitToValues) == 0 {
			return "", Invalid("action", "value_error", "the rule of %s has no text keywords to rename to", field)
		}
		target := r.p.NewFieldsActions["new__"+field]
		if target != "" && !rule.allows(target) {
			return "", Invalid("new_fields_actions", "value_error", "%q is not one of the keywords of %s", target, field)
		}
		aliases := map[string]string{}
		for k, x := range rule.Aliases {
			aliases[k] = x
		}
		for _, v := range values {
			if rule.allows(v) {
				continue
			}
			to := target
			if to == "" {
				to = closestKeyword(v, rule.LimitToValues)
			}
			aliases[v] = to
		}
		rule.Aliases = aliases
	case AlertActionValidationAddANewKeyword:
		if len(rule.LimitToValues) == 0 {
			return "", Invalid("action", "value_error", "the rule of %s has no limit_to_values to add a keyword to", field)
		}
		fallthrough
	default:
		if r.a.FieldValue == "" && rule.IsRequired && r.p.Action == AlertActionMarkDataAsValid {
			rule.IsRequired = false
		}
		limits := append([]any(nil), rule.LimitToValues...)
		for _, v := range values {
			if len(limits) > 0 && !rule.allows(v) {
				if f, err := strconv.ParseFloat(v, 64); err == nil && numeric {
					limits = append(limits, f)
				} else {
					limits = append(limits, v)
				}
			}
			if f, err := strconv.ParseFloat(v, 64); err == nil && numeric && r.p.Action == AlertActionMarkDataAsValid {
				if rule.Minimum != nil && f < *rule.Minimum {
					rule.Minimum = &f
				}
				if rule.Maximum != nil && f > *rule.Maximum {
					rule.Maximum = &f
				}
			}
		}
		rule.LimitToValues = limits
		if rule.JSONSchemaFieldType == JSONSchemaEmail && r.p.Action == AlertActionMarkDataAsValid {
			rule.JSONSchemaFieldType = JSONSchemaString
		}
	}
	if _, err := r.settings.UpdateSettings(ctx, r.ds.ID, r.p.By, nil, func(st *Settings) error {
		rules := make(map[string]ValidationRule, len(st.ValidationRules))
		for k, x := range st.ValidationRules {
			rules[k] = x
		}
		rules[field] = rule
		st.ValidationRules = rules
		return nil
	}); err != nil {
		return "", err
	}
	return r.afterSettings(ctx, scope{field: true}, []AlertType{AlertTypeValidation}, nil, string(r.p.Action))
}

// closestKeyword is the keyword with the least edit distance to v.
func closestKeyword(v string, keywords []any) string {
	best, bestD := "", -1
	for _, k := range keywords {
		s := keyword(k)
		if d := editDistance(strings.ToLower(v), strings.ToLower(s)); bestD < 0 || d < bestD {
			best, bestD = s, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// --- draft migrations ------------------------------------------------------------

// DraftReview returns the alert a user reviews the dataset's draft migration
// under, raising a needs_review_migration alert when the draft has none
// (which, like every review, holds the dataset's ingestion until the draft
// is applied or discarded). A dataset without a draft gets one that matches
// its current migration; one without either is a *ConflictError.
func (e *Engine) DraftReview(ctx context.Context, datasetID int64) (*AlertItem, error) {
	ds, err := e.store.GetDataset(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	m, err := e.latestDraft(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	if m == nil {
		cur, err := e.CurrentMigration(ctx, datasetID)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			return nil, &ConflictError{Msg: fmt.Sprintf("dataset %d has neither a table nor a draft migration: upload files to train it", datasetID)}
		}
		plan, err := PlanOf(cur)
		if err != nil {
			return nil, err
		}
		for i := range plan.Columns {
			plan.Columns[i].Change = ColumnUnchanged
		}
		if m, err = e.store.CreateMigration(ctx, &MigrationModel{State: MigrationStateDraft, SettingsModelID: &ds.SettingsModel.ID,
			DatasetID: &ds.ID, DatasetName: ds.Name, Model: planModel(plan), DisplayModel: displayOf(plan, plan.Schema()),
			ColumnOverridesInfo: map[string]any{"copied_from": cur.ID}, FormatInfo: formatInfoOf(plan)}); err != nil {
			return nil, err
		}
	}
	find := func() (*AlertItem, error) {
		alerts, err := e.store.UnresolvedAlerts(ctx, datasetID, migrationAlertTypes...)
		if err != nil {
			return nil, err
		}
		for i := range alerts {
			if alerts[i].MigrationModelID != nil && *alerts[i].MigrationModelID == m.ID {
				return &alerts[i], nil
			}
		}
		return nil, nil
	}
	if a, err := find(); err != nil || a != nil {
		return a, err
	}
	if err := e.raiseMigrationAlert(ctx, ds, m, AlertTypeNeedsReviewMigration,
		fmt.Sprintf("migration %d of dataset %q is open for review: %s; ingestion waits until you apply or discard it", m.ID, ds.Name, summarize(m))); err != nil {
		return nil, err
	}
	return find()
}

// latestDraft is the dataset's newest draft migration, or nil.
func (e *Engine) latestDraft(ctx context.Context, datasetID int64) (*MigrationModel, error) {
	drafts, err := e.store.MigrationsInState(ctx, datasetID, MigrationStateDraft)
	if err != nil || len(drafts) == 0 {
		return nil, err
	}
	return &drafts[len(drafts)-1], nil
}

// ModifyDraftParams are the changes a user makes to a draft migration.
type ModifyDraftParams struct {
	// Renames rename columns the draft adds: {"cust_no": "customer_number"}.
	// The files' fields are read under the new name from then on
	// (field_name_full_conversion).
	Renames map[string]string
	// Types change the type of columns: {"zip": "text"}. A type the
	// training files' values do not fit, or narrower than the column in the
	// table, is refused with the values.
	Types map[string]string
	// By is the acting user.
	By *uuid.UUID
	// Settings records the renames in the settings model; nil means the
	// engine's Store, which must then implement SettingsStore.
	Settings SettingsStore
}

// pgIdent is a column name the destination takes without quoting surprises.
func pgIdent(s string) bool {
	if s == "" || len(s) > 63 || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ModifyDraft renames columns of the dataset's draft migration and changes
// their types, after checking every change: a rename must name a column the
// draft adds (a column of the table is never renamed) and a free name; a
// type must hold every value of the training files in that field (the
// values it does not are the error) and not narrow the column in the table.
// Nothing changes unless every change is valid.
func (e *Engine) ModifyDraft(ctx context.Context, datasetID int64, p ModifyDraftParams) (*MigrationModel, error) {
	settings, err := e.settingsStore(p.Settings)
	if err != nil {
		return nil, err
	}
	ds, err := e.store.GetDataset(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	draft, err := e.latestDraft(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	if draft == nil {
		return nil, &ConflictError{Msg: fmt.Sprintf("dataset %d has no draft migration: GET draft-migration-review makes one", datasetID)}
	}
	plan, err := PlanOf(draft)
	if err != nil {
		return nil, err
	}
	var cur *TableSchema
	if m, err := e.CurrentMigration(ctx, datasetID); err != nil {
		return nil, err
	} else if m != nil {
		cp, err := PlanOf(m)
		if err != nil {
			return nil, err
		}
		cur = cp.Schema()
	}
	v := &ValidationError{}
	for _, old := range sortedKeys(p.Types) {
		loc := []string{"body", "field_name_to_type_suggestion", old}
		c := plan.column(old)
		if c == nil {
			v.Add(loc, "value_error", "the draft has no column %s", old)
			continue
		}
		t, n, err := analyzer.ParseType(p.Types[old])
		if err != nil {
			v.Add(loc, "value_error", "%q is not a column type (boolean, smallint, integer, bigint, numeric, double precision, date, timestamp, timestamptz, time, jsonb, text[], text, varchar(n))", p.Types[old])
			continue
		}
		typ := (&analyzer.Column{Type: t, Length: n}).PGType()
		if oc := cur.Column(old); oc != nil && WidestType(oc.Type, typ) != typ {
			v.Add(loc, "value_error", "the table's column %s is %s: %s would narrow it", old, oc.Type, typ)
			continue
		}
		bad, err := e.valuesNotFitting(ctx, ds, c, t, n)
		if err != nil {
			return nil, err
		}
		if len(bad) > 0 {
			v.Add(loc, "value_error", "%s does not hold these values of the training files: %s", typ, strings.Join(bad, ", "))
			continue
		}
		c.Type = typ
		if c.Cast != nil {
			c.Cast.Type, c.Cast.Length = t, n
		}
		if oc := cur.Column(old); oc == nil {
			c.Change = ColumnNew
		} else if oc.Type != typ {
			c.Change = ColumnWidened
		}
	}
	renamed := map[string]bool{}
	for _, old := range sortedKeys(p.Renames) {
		loc := []string{"body", "renames", old}
		to := p.Renames[old]
		switch c := plan.column(old); {
		case c == nil:
			v.Add(loc, "value_error", "the draft has no column %s", old)
		case cur.Column(old) != nil:
			v.Add(loc, "value_error", "%s is a column of the table: only the columns a draft adds can be renamed", old)
		case !pgIdent(to):
			v.Add(loc, "value_error", "%q is not a column name: use lower-case letters, digits and _", to)
		case plan.column(to) != nil || renamed[to]:
			v.Add(loc, "value_error", "the draft already has a column %s", to)
		default:
			renamed[to] = true
			c.Name = to
			if c.Cast != nil {
				c.Cast.Name = to
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(p.Renames) > 0 {
		if _, err := settings.UpdateSettings(ctx, datasetID, p.By, nil, func(st *Settings) error {
			full := make(map[string]string, len(st.FieldNameFullConversion)+len(p.Renames))
			for k, x := range st.FieldNameFullConversion {
				full[k] = x
			}
			for old, to := range p.Renames {
				full[old] = to
			}
			st.FieldNameFullConversion = full
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return e.store.UpdateMigration(ctx, draft.ID, func(m *MigrationModel) error {
		m.Model, m.DisplayModel, m.FormatInfo = planModel(plan), displayOf(plan, cur), formatInfoOf(plan)
		return nil
	})
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// valuesNotFitting reads field c of the dataset's training files and
// returns (up to 10 of) the distinct values that type t (varchar length n)
// does not hold.
func (e *Engine) valuesNotFitting(ctx context.Context, ds *Dataset, c *PlannedColumn, t analyzer.Type, n int) ([]string, error) {
	items, err := e.store.TrainingDataItems(ctx, ds.ID, true)
	if err != nil {
		return nil, err
	}
	cast := analyzer.Column{Name: c.Name, Type: t, Length: n}
	if c.Cast != nil {
		cast = *c.Cast
		cast.Type, cast.Length = t, n
	}
	var bad []string
	for _, item := range items {
		if item.StoredItemID == nil || len(bad) >= 10 {
			continue
		}
		it, err := e.store.GetStoredItem(ctx, *item.StoredItemID)
		if err != nil {
			return nil, err
		}
		_, opts, err := e.itemOptions(ctx, ds, it)
		if err != nil {
			return nil, err
		}
		if err := cast.Compile(opts); err != nil {
			return nil, err
		}
		if err := e.walkFile(ctx, it, opts, func(tb *analyzer.Table) error {
			rd, err := analyzer.NewReader(tb, opts)
			if err != nil {
				return err
			}
			idx := slices.Index(rd.Names(), c.Name)
			if idx < 0 {
				return errStopWalk
			}
			for len(bad) < 10 {
				row, _, err := rd.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				var rowErr *analyzer.RowError
				if errors.As(err, &rowErr) || idx >= len(row) {
					continue // a row the loader would quarantine anyway
				}
				if err != nil {
					return err
				}
				if _, cerr := analyzer.Cast(row[idx], &cast); cerr != nil && !slices.Contains(bad, strconv.Quote(row[idx])) {
					bad = append(bad, strconv.Quote(row[idx]))
				}
			}
			return errStopWalk
		}); err != nil {
			return nil, err
		}
	}
	return bad, nil
}
