package qluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"
)

// QueueSensors holds the polls of data sources: one message per scheduled
// tick (key "sensor-cron:<id>") and the polls asked for now ("sensor-now:<id>").
const QueueSensors = "sensors"

// sensorRef is the data of a sensor message.
type sensorRef struct {
	DataSourceID int64 `json:"data_source_model_id"`
	Cron         bool  `json:"cron,omitempty"`
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// PollNow queues a poll of a data source now.
func (e *Engine) PollNow(ctx context.Context, sourceID int64) error {
	return e.put(ctx, QueueSensors, "sensor-now:"+strconv.FormatInt(sourceID, 10), sensorRef{DataSourceID: sourceID}, e.now(), &sourceID)
}

// ScheduleSensor makes sure the data source's next scheduled poll is queued
// (once: the pending message of its key is replaced, never doubled). A
// source without a schedule, or not active, gets none. With now set, the
// scheduled poll runs now (and the schedule goes on after it).
func (e *Engine) ScheduleSensor(ctx context.Context, sourceID int64, now bool) error {
	src, err := e.store.GetDataSource(ctx, sourceID)
	if err != nil {
		return err
	}
	if src.Schedule == "" || src.State != DataSourceStateActive {
		return nil
	}
	sched, err := cronParser.Parse(src.Schedule)
	if err != nil {
		return Invalid("schedule", "value_error", "%q is not a cron expression: %v", src.Schedule, err)
	}
	at := sched.Next(e.now())
	if now {
		at = e.now()
	}
	return e.put(ctx, QueueSensors, "sensor-cron:"+strconv.FormatInt(sourceID, 10), sensorRef{DataSourceID: sourceID, Cron: true}, at, &sourceID)
}

// sourceAlertType is the alert a source's error raises.
func sourceAlertType(err error) AlertType {
	switch {
	case errors.Is(err, ErrAccessDenied):
		return AlertTypeAccessDenied
	case errors.Is(err, ErrBucketNotFound):
		return AlertTypeBucketNotFound
	case errors.Is(err, ErrPathNotFound):
		return AlertTypePathNotFound
	}
	return AlertTypeConnectionIssue
}

// handleSensor polls a data source: it lists the source, keeps the files
// that match its pattern and that it has not taken yet, and takes each (a
// stored item, backed up, queued), deleting the original afterwards when the
// source says so. A cron poll queues the next tick before it returns.
func (e *Engine) handleSensor(ctx context.Context, data json.RawMessage) error {
	var ref sensorRef
	if err := json.Unmarshal(data, &ref); err != nil {
		return err
	}
	if ref.Cron {
		// The next tick replaces this message's data while it runs, so the
		// schedule goes on exactly once whatever happens to this poll.
		if err := e.ScheduleSensor(ctx, ref.DataSourceID, false); err != nil {
			return err
		}
	}
	src, ds, err := e.sourceAndDataset(ctx, ref.DataSourceID)
	if err != nil {
		return err
	}
	if src.State != DataSourceStateActive || e.cfg.OpenSource == nil || (ref.Cron && src.Schedule == "") {
		return nil // inactive, no sources wired, or its schedule was disabled
	}
	timeout := time.Duration(src.ConnectionTimeout) * time.Second
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	source, err := e.cfg.OpenSource(ctx, src)
	if err != nil {
		return e.sourceFailed(ctx, ds, src, err)
	}
	defer source.Close()
	lctx, cancel := context.WithTimeout(ctx, timeout)
	files, err := source.List(lctx)
	cancel()
	if err != nil {
		return e.sourceFailed(ctx, ds, src, err)
	}
	taken, err := e.store.TakenFiles(ctx, src.ID)
	if err != nil {
		return err
	}
	for _, f := range files {
		if alreadyTaken(taken, f) || !matches(src.Pattern, f.Key) {
			continue
		}
		if err := e.takeFile(ctx, src, source, f, timeout); err != nil {
			return e.sourceFailed(ctx, ds, src, fmt.Errorf("%s: %w", f.Key, err))
		}
	}
	return nil
}

// takeFile streams one file from the source into Qluster. timeout bounds
// opening the file and each read of it: a source that stops sending bytes
// fails the take (and the file is taken again whole next poll) instead of
// holding the worker.
func (e *Engine) takeFile(ctx context.Context, src *DataSource, source Source, f RemoteFile, timeout time.Duration) error {
	octx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stalled := fmt.Errorf("%w: %s sent nothing for %s (connection_timeout)", ErrConnection, f.Key, timeout)
	watch := time.AfterFunc(timeout, func() { cancel(stalled) })
	defer watch.Stop()
	rc, err := source.Open(octx, f.Key)
	watch.Stop()
	if err != nil {
		return causeOf(octx, err)
	}
	defer rc.Close()
	body := &guardedReader{r: rc, watch: watch, timeout: timeout}
	it, err := e.AddFile(ctx, AddFileParams{DataSourceID: src.ID, Name: f.Key, Body: body})
	if err != nil {
		return causeOf(octx, err)
	}
	if err := e.store.RecordTakenFile(ctx, src.ID, f.Key, fileVersion(f), it.ID); err != nil {
		return err
	}
	if src.DeleteSourceFileAfterBackup {
		if d, ok := source.(SourceDeleter); ok {
			dctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return d.Delete(dctx, f.Key)
		}
	}
	return nil
}

// causeOf returns err, joined with the reason ctx was cancelled when it was
// (a stalled download), so the alert says why.
func causeOf(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(err, c) {
		return fmt.Errorf("%w (%w)", c, err)
	}
	return err
}

// guardedReader arms watch for timeout around each Read, so a read that
// waits longer cancels the download.
type guardedReader struct {
	r       io.Reader
	watch   *time.Timer
	timeout time.Duration
}

func (g *guardedReader) Read(p []byte) (int, error) {
	g.watch.Reset(g.timeout)
	n, err := g.r.Read(p)
	g.watch.Stop()
	return n, err
}

// matches reports whether key (or its base name) matches a glob pattern; an empty pattern matches all.
func matches(pattern, key string) bool {
	if pattern == "" || pattern == "*" {
		return true
	}
	if ok, _ := path.Match(pattern, key); ok {
		return true
	}
	ok, _ := path.Match(pattern, path.Base(key))
	return ok
}

// sourceFailed raises the alert a source's error calls for on the data
// source and returns the error, so the poll is retried with backoff.
func (e *Engine) sourceFailed(ctx context.Context, ds *Dataset, src *DataSource, err error) error {
	t := sourceAlertType(err)
	actions, secondary := alertActions(t)
	actions = append([]AlertAction{AlertActionEditDataSourceModelSettings}, actions...)
	if _, aerr := e.store.RaiseAlert(ctx, &AlertItem{SettingsModelID: &ds.SettingsModel.ID, DatasetName: ds.Name, DatasetID: &ds.ID,
		DataSourceModelID: &src.ID, DataSourceModelName: src.Name, AlertType: t, ResolvableByUser: true,
		Msg: fmt.Sprintf("data source %q could not be read: %v", src.Name, err), AlertActions: actions,
		AlertSecondaryActions: secondary, RowValue: []any{}, PreviousValues: []string{}, SubmitButtonText: "Try again"},
		fmt.Sprintf("%s:source:%d", t, src.ID)); aerr != nil {
		return aerr
	}
	return err
}

// scheduleAll queues the next scheduled poll of every active data source
// with a schedule; Start calls it, so a restart loses no schedule.
func (e *Engine) scheduleAll(ctx context.Context) error {
	srcs, err := e.store.ScheduledSources(ctx)
	if err != nil {
		return err
	}
	for _, s := range srcs {
		if err := e.ScheduleSensor(ctx, s.ID, false); err != nil {
			e.log.Warn("could not schedule a data source", "data_source_model_id", s.ID, "err", err)
		}
	}
	return nil
}
