package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
)

// alerts lists the alerts of a dataset, resolved or not.
func (b *bundle) alerts(datasetID int, resolved bool) []client.Alert {
	b.t.Helper()
	res, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DatasetId: &datasetID, Resolved: &resolved})
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200.Results
}

// migrationAlert returns the one unresolved alert of a dataset, checking it
// holds migration id and blocks the dataset's ingestion.
func (b *bundle) migrationAlert(datasetID int, typ client.AlertType, migrationID int) client.Alert {
	b.t.Helper()
	open := b.alerts(datasetID, false)
	require.Len(b.t, open, 1, "%+v", open)
	a := open[0]
	require.Equal(b.t, typ, *a.AlertType, *a.Msg)
	require.True(b.t, *a.BlocksIngestionForDataset)
	require.NotNil(b.t, a.MigrationModelId)
	require.Equal(b.t, migrationID, *a.MigrationModelId)
	require.False(b.t, *a.Resolved)
	return a
}

// migrationState reads the state of a migration.
func (b *bundle) migrationState(id int) client.MigrationState {
	b.t.Helper()
	res, err := b.admin.GetMigrationWithResponse(b.ctx, id)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return *res.JSON200.State
}

// resolve resolves an alert with action and returns the response.
func (b *bundle) resolve(alertID int, action client.AlertAction) *client.ResolveAlertResponse {
	b.t.Helper()
	res, err := b.admin.ResolveAlertWithResponse(b.ctx, alertID, client.ResolveAlertRequest{Action: &action})
	require.NoError(b.t, err)
	return res
}

// patchSettings PATCHes a dataset's settings model with the fields of settings.
func (b *bundle) patchSettings(datasetID int, settings map[string]any) *client.Dataset {
	b.t.Helper()
	got, err := b.admin.GetDatasetWithResponse(b.ctx, datasetID)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, got.StatusCode(), string(got.Body))
	settings["version_id"] = got.JSON200.SettingsModel.VersionId
	res, err := b.admin.PatchDatasetWithBodyWithResponse(b.ctx, "application/json", jsonReader(map[string]any{
		"id": datasetID, "version_id": *got.JSON200.VersionId, "settings_model": settings,
	}))
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

// trained uploads messyA to a new dataset with policy and waits for its
// training to end with a draft migration, whose id it returns.
func (b *bundle) trained(name string, policy client.MigrationPolicy, settings map[string]any) (*client.Dataset, int) {
	b.t.Helper()
	ds, src := b.trainedDataset(name, policy)
	if settings != nil {
		b.patchSettings(ds.Id, settings)
	}
	b.upload(b.admin, src.Id, name+".csv", messyA)
	job := b.trainingDone(ds.Id)
	require.Equal(b.t, client.TrainingJobStateFinished, *job.State, *job.Msg)
	require.NotNil(b.t, job.MigrationModelId, *job.Msg)
	return ds, *job.MigrationModelId
}

// TestAskUser: a draft waits behind a needs_review_migration alert until a
// user applies or discards it.
func TestAskUser(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ds, mig := b.trained("reviewed", client.AskUser, nil)
	require.Equal(t, client.MigrationStateDraft, b.migrationState(mig))
	a := b.migrationAlert(ds.Id, client.AlertTypeNeedsReviewMigration, mig)
	require.Contains(t, *a.AlertActions, client.ApplyMigration)
	require.Empty(t, b.destColumns("sales", "reviewed"), "no table before the review")

	res := b.resolve(a.Id, client.ApplyMigration)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, "/api/migrations/"+strconv.Itoa(mig), *res.JSON200.RedirectPostSubmitTo)
	require.Equal(t, client.MigrationStateCurrent, b.migrationState(mig), b.fatalErrors())
	require.Equal(t, "smallint", b.destColumns("sales", "reviewed")["order_id"])
	require.Empty(t, b.alerts(ds.Id, false))
	resolved := b.alerts(ds.Id, true)
	require.Len(t, resolved, 1)
	require.Equal(t, a.Id, resolved[0].Id)
	require.NotNil(t, resolved[0].ResolvedAt)

	// A resolved alert cannot be resolved again.
	again := b.resolve(a.Id, client.ApplyMigration)
	require.Equal(t, http.StatusConflict, again.StatusCode(), string(again.Body))
	again = b.resolve(a.Id, client.DiscardMigration)
	require.Equal(t, http.StatusConflict, again.StatusCode(), string(again.Body))
	require.Equal(t, client.MigrationStateCurrent, b.migrationState(mig))

	// Discarding drops the draft and makes no table.
	ds2, mig2 := b.trained("discarded", client.AskUser, nil)
	a2 := b.migrationAlert(ds2.Id, client.AlertTypeNeedsReviewMigration, mig2)
	res = b.resolve(a2.Id, client.DiscardMigration)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, client.MigrationStateDeleted, b.migrationState(mig2))
	require.Empty(t, b.destColumns("sales", "discarded"))
	require.Empty(t, b.alerts(ds2.Id, false))
	require.Len(t, b.alerts(ds2.Id, true), 1)

	// An alert that holds no migration cannot apply one.
	other, err := b.store.RaiseAlert(b.ctx, &qluster.AlertItem{DatasetID: ptr(int64(ds2.Id)), AlertType: qluster.AlertTypeBadDataSourceSettings,
		Msg: "something else", ResolvableByUser: true, AlertActions: []qluster.AlertAction{qluster.AlertActionEditSettings}}, "")
	require.NoError(t, err)
	for _, action := range []client.AlertAction{client.ApplyMigration, client.DiscardMigration} {
		res = b.resolve(int(other.ID), action)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	}
	res = b.resolve(int(other.ID), client.EditSettings)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, "/api/datasets/"+strconv.Itoa(ds2.Id), *res.JSON200.RedirectPostSubmitTo)
	require.Len(t, b.alerts(ds2.Id, false), 1, "a navigation action does not resolve the alert")

	// No action at all, and an alert that does not exist.
	noAction, err := b.admin.ResolveAlertWithResponse(b.ctx, int(other.ID), client.ResolveAlertRequest{})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, noAction.StatusCode(), string(noAction.Body))
	require.Equal(t, http.StatusNotFound, b.resolve(int(other.ID)+1000, client.ApplyMigration).StatusCode())
}

// windowAround formats "HH:MM-HH:MM" (UTC) from start to end.
func windowAround(start, end time.Time) string {
	start, end = start.UTC(), end.UTC()
	return fmt.Sprintf("%02d:%02d-%02d:%02d", start.Hour(), start.Minute(), end.Hour(), end.Minute())
}

// TestMigrationWindow: a draft is applied by the migrations queue inside the
// dataset's window and waits for the window's start outside it.
func TestMigrationWindow(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// Inside the window (which may span midnight): applied at once.
	now := time.Now()
	ds, mig := b.trained("windowed", client.MigrationWindow, map[string]any{"migration_window": windowAround(now.Add(-time.Hour), now.Add(time.Hour))})
	b.eventually("the migration applied in its window", func() bool { return b.migrationState(mig) == client.MigrationStateCurrent })
	require.Equal(t, "smallint", b.destColumns("sales", "windowed")["order_id"])
	require.Empty(t, b.alerts(ds.Id, false))

	// Outside the window: the draft waits for the window's next start.
	now = time.Now()
	start := now.Add(2 * time.Hour).UTC().Truncate(time.Minute)
	ds2, mig2 := b.trained("waiting", client.MigrationWindow, map[string]any{"migration_window": windowAround(start, start.Add(time.Hour))})
	q := qluster.QueueMigrations
	pending := false
	res, err := b.admin.GetQueueMsgsWithResponse(b.ctx, &client.GetQueueMsgsParams{QName: &q, Acknowledged: &pending})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	var found *client.QueueMsg
	for i, m := range res.JSON200.Results {
		if fmt.Sprint((*m.Data)["migration_id"]) == strconv.Itoa(mig2) {
			found = &res.JSON200.Results[i]
		}
	}
	require.NotNil(t, found, "a pending migrations message for migration %d: %s", mig2, res.Body)
	require.False(t, *found.Acknowledged)
	require.True(t, start.Equal(*found.ScheduleAt), "due at the window start %s, got %s", start, *found.ScheduleAt)
	require.Equal(t, float64(ds2.Id), (*found.Data)["dataset_id"])
	require.Equal(t, client.MigrationStateDraft, b.migrationState(mig2))
	require.Empty(t, b.destColumns("sales", "waiting"))

	// A window that does not parse holds the draft behind an alert, which
	// applying the draft resolves.
	ds3, mig3 := b.trained("unparsed", client.MigrationWindow, map[string]any{"migration_window": "after lunch"})
	a := b.migrationAlert(ds3.Id, client.AlertTypeBadDataSourceSettings, mig3)
	require.Contains(t, *a.Msg, "migration_window")
	require.Equal(t, client.MigrationStateDraft, b.migrationState(mig3))
	r := b.resolve(a.Id, client.ApplyMigration)
	require.Equal(t, http.StatusOK, r.StatusCode(), string(r.Body))
	require.Equal(t, client.MigrationStateCurrent, b.migrationState(mig3))
	require.Empty(t, b.alerts(ds3.Id, false), "the alert that held the applied migration is resolved")
}

// TestLocked: a locked dataset's training ends with a draft held by an
// incompatible_schema alert, and the table is not made.
func TestLocked(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ds, mig := b.trained("frozen", client.Locked, nil)
	require.Equal(t, client.MigrationStateDraft, b.migrationState(mig))
	a := b.migrationAlert(ds.Id, client.AlertTypeIncompatibleSchema, mig)
	require.Contains(t, *a.Msg, "locked")
	require.Empty(t, b.destColumns("sales", "frozen"))
	q := qluster.QueueMigrations
	res, err := b.admin.GetQueueMsgsWithResponse(b.ctx, &client.GetQueueMsgsParams{QName: &q})
	require.NoError(t, err)
	require.Empty(t, res.JSON200.Results, "nothing is scheduled for a locked dataset")
}

// TestResolveRerunTraining: rerun_training queues a new training job and
// answers where it is; the new job supersedes the draft and its alert.
func TestResolveRerunTraining(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ds, mig := b.trained("rerun", client.AskUser, nil)
	first := b.trainingDone(ds.Id)
	a := b.migrationAlert(ds.Id, client.AlertTypeNeedsReviewMigration, mig)

	res := b.resolve(a.Id, client.RerunTraining)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	to := *res.JSON200.RedirectPostSubmitTo
	require.True(t, strings.HasPrefix(to, "/api/training-jobs/"), to)
	jobID, err := strconv.Atoi(strings.TrimPrefix(to, "/api/training-jobs/"))
	require.NoError(t, err, to)
	require.NotEqual(t, first.Id, jobID)

	b.eventually("the new training job", func() bool {
		j, err := b.admin.GetTrainingJobWithResponse(b.ctx, jobID)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, j.StatusCode(), string(j.Body))
		return *j.JSON200.State == client.TrainingJobStateFinished
	})
	j, err := b.admin.GetTrainingJobWithResponse(b.ctx, jobID)
	require.NoError(t, err)
	require.NotNil(t, j.JSON200.MigrationModelId, *j.JSON200.Msg)
	newMig := *j.JSON200.MigrationModelId
	require.NotEqual(t, mig, newMig)
	require.Equal(t, client.MigrationStateDeleted, b.migrationState(mig), "the new draft supersedes the old one")
	b.migrationAlert(ds.Id, client.AlertTypeNeedsReviewMigration, newMig)
	require.Len(t, b.alerts(ds.Id, true), 1)

	// A resolved alert cannot rerun training again.
	again := b.resolve(a.Id, client.RerunTraining)
	require.Equal(t, http.StatusConflict, again.StatusCode(), string(again.Body))
}
