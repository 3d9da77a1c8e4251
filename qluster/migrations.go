package qluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openqluster/qluster-go/analyzer"
)

// MigrationPlan is what a migration's model holds: the table it shapes and
// every column with how ingestion casts it.
type MigrationPlan struct {
	Table   TableRef        `json:"table"`
	Columns []PlannedColumn `json:"columns"`
}

// PlannedColumn is one column of a migration.
type PlannedColumn struct {
	ColumnSpec
	// Change is how the column relates to the migration before.
	Change ColumnChange `json:"change"`
	// Cast is the inferred column ingestion casts cells with (formats, null
	// markers, boolean words, number style).
	Cast *analyzer.Column `json:"cast,omitempty"`
}

// Schema is the table the plan describes.
func (p *MigrationPlan) Schema() *TableSchema {
	s := &TableSchema{}
	for _, c := range p.Columns {
		s.Columns = append(s.Columns, c.ColumnSpec)
	}
	return s
}

// PlanOf reads the plan a migration holds.
func PlanOf(m *MigrationModel) (*MigrationPlan, error) {
	b, err := json.Marshal(m.Model)
	if err != nil {
		return nil, err
	}
	p := &MigrationPlan{}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("migration %d: %w", m.ID, err)
	}
	return p, nil
}

// CurrentMigration returns the dataset's migration in force, or nil.
func (e *Engine) CurrentMigration(ctx context.Context, datasetID int64) (*MigrationModel, error) {
	cur, err := e.store.MigrationsInState(ctx, datasetID, MigrationStateCurrent)
	if err != nil || len(cur) == 0 {
		return nil, err
	}
	return &cur[0], nil
}

// proposeMigration turns merged columns into a draft migration against the
// table in force. It returns nil when the table in force already fits.
func (e *Engine) proposeMigration(ctx context.Context, ds *Dataset, job *TrainingJob, merged []mergedColumn) (*MigrationModel, error) {
	ref := TableRef{Schema: ds.SchemaName, Table: ds.TableName}
	proposed := &TableSchema{}
	casts := map[string]*analyzer.Column{}
	for _, c := range merged {
		proposed.Columns = append(proposed.Columns, c.spec)
		casts[c.spec.Name] = c.cast
	}
	var curPlan *MigrationPlan
	cur, err := e.CurrentMigration(ctx, ds.ID)
	if err != nil {
		return nil, err
	}
	if cur != nil {
		if curPlan, err = PlanOf(cur); err != nil {
			return nil, err
		}
	}
	var curSchema *TableSchema
	if curPlan != nil {
		curSchema = curPlan.Schema()
	}
	evolved, changes := EvolveSchema(curSchema, proposed)
	plan := &MigrationPlan{Table: ref}
	changed := cur == nil
	display := []any{}
	formatInfo := map[string]any{}
	for _, c := range evolved.Columns {
		pc := PlannedColumn{ColumnSpec: c, Change: changes[c.Name]}
		var old *analyzer.Column
		if curPlan != nil {
			for _, oc := range curPlan.Columns {
				if oc.Name == c.Name {
					old = oc.Cast
				}
			}
		}
		switch nc := casts[c.Name]; {
		case nc != nil && old != nil:
			merged := mergeAnalyses([][]*analyzer.Column{{old}, {nc}})[0].cast
			if len(merged.DatetimeFormats) != len(old.DatetimeFormats) || len(merged.NullMarkers) != len(old.NullMarkers) ||
				len(merged.TrueWords) != len(old.TrueWords) || len(merged.FalseWords) != len(old.FalseWords) {
				changed = true
			}
			pc.Cast = merged
		case nc != nil:
			pc.Cast = nc
		default:
			pc.Cast = old
		}
		if pc.Cast != nil {
			if t, n, err := analyzer.ParseType(c.Type); err == nil {
				pc.Cast.Type, pc.Cast.Length = t, n
			}
		}
		if pc.Change == ColumnNew || pc.Change == ColumnWidened {
			changed = true
		}
		plan.Columns = append(plan.Columns, pc)
		entry := map[string]any{"name": c.Name, "type": c.Type, "nullable": c.Nullable, "change": pc.Change}
		if pc.Cast != nil {
			entry["original_name"] = pc.Cast.RawName
			entry["datetime_formats"] = nonNilStrings(pc.Cast.DatetimeFormats)
			entry["examples"] = nonNilStrings(pc.Cast.Examples)
			entry["null_markers"] = nonNilStrings(pc.Cast.NullMarkers)
			if len(pc.Cast.DatetimeFormats) > 0 || len(pc.Cast.AmbiguousFormats) > 0 {
				formatInfo[c.Name] = map[string]any{"datetime_formats": nonNilStrings(pc.Cast.DatetimeFormats), "ambiguous_formats": nonNilStrings(pc.Cast.AmbiguousFormats)}
			}
		}
		if curSchema != nil {
			if oc := curSchema.Column(c.Name); oc != nil {
				entry["previous_type"] = oc.Type
			}
		}
		display = append(display, entry)
	}
	if !changed {
		return nil, nil
	}
	// A new draft supersedes the ones before it.
	drafts, err := e.store.MigrationsInState(ctx, ds.ID, MigrationStateDraft)
	if err != nil {
		return nil, err
	}
	for _, d := range drafts {
		if _, err := e.DiscardMigration(ctx, d.ID, nil); err != nil {
			return nil, err
		}
	}
	var model map[string]any
	b, _ := json.Marshal(plan)
	if err := json.Unmarshal(b, &model); err != nil {
		return nil, err
	}
	return e.store.CreateMigration(ctx, &MigrationModel{State: MigrationStateDraft, SettingsModelID: &ds.SettingsModel.ID, DatasetID: &ds.ID,
		DatasetName: ds.Name, Model: model, DisplayModel: display, ColumnOverridesInfo: map[string]any{}, FormatInfo: formatInfo})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// followPolicy does with a new draft what the dataset's migration_policy says.
func (e *Engine) followPolicy(ctx context.Context, ds *Dataset, m *MigrationModel) error {
	switch ds.MigrationPolicy {
	case MigrationPolicyApplyAsap, "":
		_, err := e.ApplyMigration(ctx, m.ID, nil)
		return err
	case MigrationPolicyMigrationWindow:
		at, err := NextWindow(ds.SettingsModel.MigrationWindow, e.now())
		if err != nil {
			return e.raiseMigrationAlert(ctx, ds, m, AlertTypeBadDataSourceSettings,
				fmt.Sprintf("migration %d waits for a migration window, but the dataset's migration_window is invalid: %v", m.ID, err))
		}
		return e.put(ctx, QueueMigrations, "migration:"+strconv.FormatInt(ds.ID, 10),
			map[string]int64{"dataset_id": ds.ID, "migration_id": m.ID}, at, nil)
	case MigrationPolicyLocked:
		return e.raiseMigrationAlert(ctx, ds, m, AlertTypeIncompatibleSchema,
			fmt.Sprintf("dataset %q is locked, but its files need table changes (%s); ingestion waits until you apply or discard migration %d, or change the policy",
				ds.Name, summarize(m), m.ID))
	default: // ask_user
		return e.raiseMigrationAlert(ctx, ds, m, AlertTypeNeedsReviewMigration,
			fmt.Sprintf("migration %d of dataset %q is ready for review: %s; ingestion waits until you apply or discard it", m.ID, ds.Name, summarize(m)))
	}
}

// summarize counts what a migration changes, for people.
func summarize(m *MigrationModel) string {
	counts := map[string]int{}
	var names []string
	for _, d := range m.DisplayModel {
		if e, ok := d.(map[string]any); ok {
			ch := fmt.Sprint(e["change"])
			counts[ch]++
			if ch == string(ColumnNew) || ch == string(ColumnWidened) {
				names = append(names, fmt.Sprintf("%v %s %v", e["name"], ch, e["type"]))
			}
		}
	}
	s := fmt.Sprintf("%d new and %d widened column(s)", counts[string(ColumnNew)], counts[string(ColumnWidened)])
	if len(names) > 0 && len(names) <= 8 {
		s += ": " + strings.Join(names, ", ")
	}
	return s
}

// raiseMigrationAlert raises the blocking alert of a draft migration,
// resolving the one raised for an earlier draft.
func (e *Engine) raiseMigrationAlert(ctx context.Context, ds *Dataset, m *MigrationModel, t AlertType, msg string) error {
	if err := e.resolveMigrationAlerts(ctx, ds.ID, nil, "superseded by migration "+strconv.FormatInt(m.ID, 10)); err != nil {
		return err
	}
	_, err := e.store.RaiseAlert(ctx, &AlertItem{SettingsModelID: &ds.SettingsModel.ID, DatasetName: ds.Name, DatasetID: &ds.ID,
		Msg: msg, AlertType: t, BlocksIngestionForDataset: true, MigrationModelID: &m.ID, ResolvableByUser: true,
		AlertActions:          []AlertAction{AlertActionApplyMigration, AlertActionDiscardMigration, AlertActionRerunTraining},
		AlertSecondaryActions: map[string]any{"go_to_migration_review": "/api/migrations/" + strconv.FormatInt(m.ID, 10)},
		SubmitButtonText:      "Apply migration", RowValue: []any{}, PreviousValues: []string{},
	}, string(t)+":dataset:"+strconv.FormatInt(ds.ID, 10))
	return err
}

// migrationAlertTypes are the alerts that hold a draft migration (a
// bad_data_source_settings alert does when the migration window is invalid).
var migrationAlertTypes = []AlertType{AlertTypeNeedsReviewMigration, AlertTypeIncompatibleSchema, AlertTypeMigrationReadyToRun,
	AlertTypeBadDataSourceSettings}

// resolveMigrationAlerts resolves the dataset's unresolved alerts that hold
// a migration (migration id, or any when id is nil).
func (e *Engine) resolveMigrationAlerts(ctx context.Context, datasetID int64, id *int64, why string) (err error) {
	alerts, err := e.store.UnresolvedAlerts(ctx, datasetID, migrationAlertTypes...)
	if err != nil {
		return err
	}
	now := e.now()
	for _, a := range alerts {
		if a.MigrationModelID == nil || (id != nil && *a.MigrationModelID != *id) {
			continue
		}
		if _, err := e.store.UpdateAlert(ctx, a.ID, func(x *AlertItem) error {
			x.Resolved, x.ResolvedAt = true, &now
			x.Body = map[string]any{"resolution": why}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// ApplyMigration runs a draft migration's DDL on the dataset's destination in
// one transaction, makes it the current migration (the one before becomes
// applied, linked by down_id), resolves the alerts that held it, and queues
// the dataset's files that wait for a table.
func (e *Engine) ApplyMigration(ctx context.Context, id int64, by *uuid.UUID) (*MigrationModel, error) {
	m, err := e.store.GetMigration(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.State != MigrationStateDraft {
		return nil, &ConflictError{Msg: fmt.Sprintf("migration %d is %s, not a draft: only a draft can be applied", id, m.State)}
	}
	ds, err := e.store.GetDataset(ctx, *m.DatasetID)
	if err != nil {
		return nil, err
	}
	plan, err := PlanOf(m)
	if err != nil {
		return nil, err
	}
	dest, err := e.destinationOf(ctx, ds)
	if err != nil {
		return nil, err
	}
	defer dest.Close()
	if err := dest.Apply(ctx, plan.Table, plan.Schema()); err != nil {
		return nil, fmt.Errorf("apply migration %d to %s.%s: %w", id, plan.Table.Schema, plan.Table.Table, err)
	}
	m, err = e.store.MakeMigrationCurrent(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.resolveMigrationAlerts(ctx, ds.ID, nil, "migration "+strconv.FormatInt(id, 10)+" applied"); err != nil {
		return nil, err
	}
	return m, e.queueWaitingFiles(ctx, ds)
}

// DiscardMigration drops a draft migration and resolves the alerts that held it.
func (e *Engine) DiscardMigration(ctx context.Context, id int64, by *uuid.UUID) (*MigrationModel, error) {
	m, err := e.store.UpdateMigration(ctx, id, func(m *MigrationModel) error {
		if m.State != MigrationStateDraft {
			return &ConflictError{Msg: fmt.Sprintf("migration %d is %s, not a draft: only a draft can be discarded", m.ID, m.State)}
		}
		m.State = MigrationStateDeleted
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := e.resolveMigrationAlerts(ctx, *m.DatasetID, &m.ID, "migration "+strconv.FormatInt(id, 10)+" discarded"); err != nil {
		return nil, err
	}
	return m, e.ResumeBlocked(ctx, *m.DatasetID)
}

// handleMigration applies a migration whose window has come.
func (e *Engine) handleMigration(ctx context.Context, data json.RawMessage) error {
	var ref struct {
		MigrationID int64 `json:"migration_id"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		return err
	}
	m, err := e.store.GetMigration(ctx, ref.MigrationID)
	if err != nil {
		return err
	}
	if m.State != MigrationStateDraft {
		return nil
	}
	ds, err := e.store.GetDataset(ctx, *m.DatasetID)
	if err != nil {
		return err
	}
	switch ds.MigrationPolicy {
	case MigrationPolicyMigrationWindow, MigrationPolicyApplyAsap:
		_, err = e.ApplyMigration(ctx, m.ID, nil)
		return err
	}
	// The policy changed while the migration waited: follow the new one.
	return e.followPolicy(ctx, ds, m)
}

// destinationOf connects to a dataset's destination.
func (e *Engine) destinationOf(ctx context.Context, ds *Dataset) (Destination, error) {
	if ds.DestinationID == nil {
		return nil, &ConflictError{Msg: fmt.Sprintf("dataset %d has no destination: set destination_id", ds.ID)}
	}
	dm, err := e.store.GetDestination(ctx, *ds.DestinationID)
	if err != nil {
		return nil, err
	}
	return e.cfg.OpenDestination(ctx, dm)
}

// queueWaitingFiles queues the dataset's files that have no ingestion job yet.
func (e *Engine) queueWaitingFiles(ctx context.Context, ds *Dataset) error {
	items, err := e.store.StoredItemsToIngest(ctx, ds.ID)
	if err != nil {
		return err
	}
	for i := range items {
		if err := e.queueIngestion(ctx, ds, &items[i]); err != nil {
			return err
		}
	}
	return nil
}

// NextWindow is when a migration may next run in window "HH:MM-HH:MM" (UTC;
// an end before the start spans midnight): now when now is inside it.
func NextWindow(window string, now time.Time) (time.Time, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(window), "-")
	if !ok {
		return time.Time{}, fmt.Errorf("%q is not HH:MM-HH:MM", window)
	}
	start, err := time.Parse("15:04", strings.TrimSpace(a))
	if err != nil {
		return time.Time{}, fmt.Errorf("window start %q: use HH:MM", a)
	}
	end, err := time.Parse("15:04", strings.TrimSpace(b))
	if err != nil {
		return time.Time{}, fmt.Errorf("window end %q: use HH:MM", b)
	}
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	s := day.Add(time.Duration(start.Hour())*time.Hour + time.Duration(start.Minute())*time.Minute)
	en := day.Add(time.Duration(end.Hour())*time.Hour + time.Duration(end.Minute())*time.Minute)
	if !en.After(s) {
		en = en.Add(24 * time.Hour)
		if now.Before(s) && now.Add(24*time.Hour).Before(en) {
			return now, nil // inside yesterday's window, past midnight
		}
	}
	switch {
	case !now.Before(s) && now.Before(en):
		return now, nil
	case now.Before(s):
		return s, nil
	}
	return s.Add(24 * time.Hour), nil
}
