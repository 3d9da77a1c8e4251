package qluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// QueueSensors holds the polls of data sources: the scheduled message of
// each data source with an active schedule (key "sensor-cron:<id>") and the
// polls asked for now of the others ("sensor-now:<id>").
//
// # Schedules
//
// A data source's schedule runs as one queue message that is received once
// per tick and carries the schedule on: its data names the tick the schedule
// waits for. The worker that receives it at that tick first puts the next
// tick, cron.Next of the later of its own clock and the tick, into the same
// key. The queue folds that put into the message the worker holds, so once
// the poll is done the message is pending again for the next tick. Hence:
//
//   - Each tick is polled once however many engines and workers share the
//     queue: the message is leased while its poll runs, and there is only
//     one. Polls of a data source never overlap: a poll that outlasts a tick
//     is followed at once by one poll for the ticks it overran.
//   - A worker whose clock lags the database never puts a tick already
//     polled: the next tick is always after the one received.
//   - Ticks missed while no worker ran are polled once, late, and the
//     schedule goes on from now: they are not replayed one by one.
//     ScheduleSensor, which Start calls for every scheduled data source,
//     keeps that catch-up poll: it reschedules from the last time the
//     message was received, not from now. (Engines that start together
//     right after a missed tick may poll it twice; never more.)
//   - A message due before its tick (a retry, a poll asked for now, a poll
//     cut short by a stopping engine) polls without using the tick up: the
//     schedule still waits for it.
//   - A poll that fails raises its alert on the data source (a source's
//     error) and a fatal error, and is tried again with backoff (2s, 4s,
//     8s, ... by failures in a row, at most about 17 minutes) but never
//     later than the next tick. The sensor retries it itself, not the
//     queue's retry of failed jobs, which knows nothing of ticks and would
//     give the schedule up after max retries.
//   - A data source saved with another schedule is rescheduled at once: to
//     the first tick of the new schedule after its last poll, polled at
//     once when that has passed. One made draft, disabled or deleted, or
//     whose schedule is cleared, is not polled any more: its pending message
//     (even a poll asked for now), when it comes, finds it so and ends; a
//     poll already running finishes. Made active again, or given a schedule
//     again, it is scheduled anew.
//
// Schedules are read in UTC. A poll asked for now of a data source with an
// active schedule goes through its scheduled message too, so it never
// overlaps a scheduled poll, and the schedule goes on after it.
const QueueSensors = "sensors"

// sensorRef is the data of a sensor message.
type sensorRef struct {
	DataSourceID int64 `json:"data_source_model_id"`
	// Cron marks the scheduled message of a data source.
	Cron bool `json:"cron,omitempty"`
	// Tick is the tick the schedule waits for; zero (a message queued
	// before ticks were kept) is now.
	Tick time.Time `json:"tick,omitzero"`
	// Early marks a message due before its Tick: its poll does not use the
	// tick up.
	Early bool `json:"early,omitempty"`
	// At is when an early retry was made due, so that the next backoff
	// counts from it even on a worker whose clock lags.
	At time.Time `json:"at,omitzero"`
	// Failures counts the polls in a row that failed, for the backoff.
	Failures int `json:"failures,omitempty"`
}

// scheduleParser reads schedules: 5 cron fields (minute hour day-of-month
// month day-of-week) or 6 with a leading seconds field.
var scheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// CheckSchedule reports why expr is not a schedule a data source can be
// polled on, and how to write one, or nil. A schedule is a cron expression
// of 5 fields (minute hour day-of-month month day-of-week, e.g.
// "*/15 * * * *") or of 6 with a leading seconds field (e.g.
// "*/2 * * * * *"), read in UTC, that comes at least once in the next five
// years; blank is no schedule.
func CheckSchedule(expr string) error {
	_, err := parseSchedule(expr)
	return err
}

// parseSchedule reads a data source's schedule; a blank one is nil.
func parseSchedule(expr string) (cron.Schedule, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	s, err := scheduleParser.Parse(expr)
	if err == nil && s.Next(time.Now().UTC()).IsZero() {
		err = errors.New("it never comes")
	}
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron schedule (%v): %s", expr, err, scheduleHint)
	}
	return s, nil
}

// nextTick is the first tick of s after t, in UTC.
func nextTick(s cron.Schedule, t time.Time) time.Time { return s.Next(t.UTC()) }

// activeSchedule is the schedule a data source is polled on: nil when it
// has none or is not active.
func activeSchedule(src *DataSource) (cron.Schedule, error) {
	if src.State != DataSourceStateActive {
		return nil, nil
	}
	s, err := parseSchedule(src.Schedule)
	if err != nil {
		return nil, Invalid("schedule", "value_error", "data source %d: %v", src.ID, err)
	}
	return s, nil
}

// scheduleHint says how to write a schedule.
const scheduleHint = `write 5 cron fields (minute hour day-of-month month day-of-week, e.g. "*/15 * * * *"), or 6 with a leading seconds field (e.g. "*/2 * * * * *"), or leave it empty for no schedule`

func cronKey(id int64) string { return "sensor-cron:" + strconv.FormatInt(id, 10) }

// PollNow queues a poll of a data source now. The poll of a data source
// with an active schedule goes through its scheduled message (ScheduleSensor
// with now), so it never overlaps a scheduled poll; any other data source
// gets a message of its own, folded with a poll already asked for. A data
// source that is not active when the poll runs is not polled.
func (e *Engine) PollNow(ctx context.Context, sourceID int64) error {
	src, err := e.store.GetDataSource(ctx, sourceID)
	if err != nil {
		return err
	}
	if s, err := activeSchedule(src); err == nil && s != nil {
		return e.ScheduleSensor(ctx, sourceID, true)
	}
	return e.put(ctx, QueueSensors, "sensor-now:"+strconv.FormatInt(sourceID, 10), sensorRef{DataSourceID: sourceID}, time.Time{}, &sourceID)
}

// ScheduleSensor makes sure the data source's schedule runs: its scheduled
// message is put (or replaced, never doubled) for the first tick after the
// source was last polled on it, or after now when it never was. So a data
// source saved with another schedule moves to it at once, one whose
// schedule is unchanged keeps its pending tick, and a tick missed while no
// worker ran is polled once, at once. With now set, the message is due now
// instead and polls without using that tick up. A data source without a
// schedule, or not active, gets nothing (see QueueSensors).
//
// A poll asked for now that no worker has taken yet is replaced (the
// schedule goes on as if it had run).
func (e *Engine) ScheduleSensor(ctx context.Context, sourceID int64, now bool) error {
	src, err := e.store.GetDataSource(ctx, sourceID)
	if err != nil {
		return err
	}
	sched, err := activeSchedule(src)
	if err != nil || sched == nil {
		return err
	}
	// Hold the message (due later than this call takes, so that no worker
	// receives it meanwhile) to learn when it was last received: the
	// database's clock, as every worker sees it. Should the second put fail,
	// the hold lapses into a poll that reschedules from then.
	id := src.ID
	m, err := e.queue.Put(ctx, PutParams{QName: QueueSensors, Key: cronKey(id), Data: sensorRef{DataSourceID: id, Cron: true},
		ScheduleAt: e.now().Add(e.cfg.Lease), DataSourceModelID: &id})
	if err != nil {
		return err
	}
	last := m.EnqueuedAt
	if m.DequeuedAt != nil && m.DequeuedAt.After(last) {
		last = *m.DequeuedAt
	}
	ref := sensorRef{DataSourceID: id, Cron: true, Tick: nextTick(sched, last)}
	at := ref.Tick
	if now {
		ref.Early, at = true, time.Time{} // due at the queue's now
	}
	return e.put(ctx, QueueSensors, cronKey(id), ref, at, &id)
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

// handleSensor runs a sensor message: a poll asked for now, or a tick of a
// schedule (see QueueSensors). A data source that is deleted or not active
// is not polled, and its schedule ends.
func (e *Engine) handleSensor(ctx context.Context, data json.RawMessage) error {
	var ref sensorRef
	if err := json.Unmarshal(data, &ref); err != nil {
		return err
	}
	src, ds, err := e.sourceAndDataset(ctx, ref.DataSourceID)
	switch {
	case errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict):
		return nil // deleted, or its dataset is
	case err != nil && ref.Cron:
		return e.retryTick(ctx, ref, time.Time{}, later(e.now(), ref.At), err)
	case err != nil:
		return err
	case src.State != DataSourceStateActive:
		return nil
	case !ref.Cron:
		return e.poll(ctx, src, ds)
	}
	sched, err := activeSchedule(src)
	if err != nil || sched == nil {
		return err // its schedule was cleared (or is not one): it ends here
	}
	// since is a time the database has reached: a lagging clock counts
	// from the tick received, or from when an early retry was due.
	now := e.now()
	next, since := ref.Tick, later(now, ref.At)
	if !ref.Early || !now.Before(ref.Tick) {
		// This poll is the tick's (or comes after it): the schedule moves on.
		since = later(now, ref.Tick)
		next = nextTick(sched, since)
		if next.IsZero() {
			return nil // a schedule that no longer comes
		}
	}
	// The next tick first, so that the schedule goes on whatever happens
	// to this poll.
	if err := e.put(ctx, QueueSensors, cronKey(src.ID), sensorRef{DataSourceID: src.ID, Cron: true, Tick: next}, next, &src.ID); err != nil {
		return e.retryTick(ctx, ref, time.Time{}, since, err)
	}
	// A save that ran since the source was read may have put its tick
	// before ours: read it again and, when it changed, reschedule from it.
	now2, err := e.store.GetDataSource(ctx, src.ID)
	if err != nil {
		return e.retryTick(ctx, ref, next, since, err)
	}
	if now2.State != src.State || now2.Schedule != src.Schedule {
		if err := e.ScheduleSensor(ctx, src.ID, false); err != nil {
			return e.retryTick(ctx, ref, next, since, err)
		}
		if s, err := activeSchedule(now2); err != nil || s == nil {
			return err // made inactive, or its schedule cleared: no poll
		}
	}
	if err := e.poll(ctx, now2, ds); err != nil {
		return e.retryTick(ctx, ref, next, since, err)
	}
	return nil
}

// retryTick keeps a schedule whose tick failed with err: the poll is tried
// again with backoff from since (or from now, when later), or at once when
// the engine is stopping, but never later than the next tick, which a
// retry before it does not use up. next is the tick already put, zero when
// none was: the message is then tried again as it was. The failure is recorded as a fatal error (besides the
// alert a source's error raised) and the message handled: the queue's own
// retry of a failed job could make the tick due before its time.
func (e *Engine) retryTick(ctx context.Context, ref sensorRef, next, since time.Time, err error) error {
	retry := ref
	retry.Failures++
	at := later(e.now(), since).Add(time.Duration(1<<min(retry.Failures, 10)) * time.Second)
	stopping := ctx.Err() != nil
	if stopping {
		retry.Failures, at = ref.Failures, e.now()
	}
	if !next.IsZero() {
		retry.Tick, retry.Early, at = next, at.Before(next), earlier(at, next)
	}
	retry.At = time.Time{}
	if retry.Early {
		retry.At = at
	}
	bg := context.WithoutCancel(ctx)
	if perr := e.put(bg, QueueSensors, cronKey(ref.DataSourceID), retry, at, &ref.DataSourceID); perr != nil {
		return errors.Join(err, perr)
	}
	if stopping {
		return nil
	}
	e.log.Warn("a scheduled poll failed; trying again", "data_source_model_id", ref.DataSourceID, "failures", retry.Failures, "at", at, "err", err)
	if _, ferr := e.store.CreateFatalError(bg, &FatalError{JobName: QueueSensors, JobType: JobTypeJob, Error: err.Error(),
		Module: "qluster/" + QueueSensors, DataSourceModelID: &ref.DataSourceID,
		Msg: fmt.Sprintf("the scheduled poll of data source %d failed (%d in a row); it is tried again at %s", ref.DataSourceID, retry.Failures, at.UTC().Format(time.RFC3339))}); ferr != nil {
		e.log.Error("could not record a fatal error", "err", ferr, "job_err", err)
	}
	return nil
}

// poll lists a data source, keeps the files that match its pattern and
// that it has not taken yet (or that changed since), and takes each (a
// stored item, backed up, queued), deleting the original afterwards when the
// source says so. A poll that succeeds resolves the source's alerts.
func (e *Engine) poll(ctx context.Context, src *DataSource, ds *Dataset) error {
	if e.cfg.OpenSource == nil {
		return nil // no sources wired: data sources are fed by uploads
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
	return e.sourceRecovered(ctx, ds, src)
}

// later is the later of a and b; earlier the earlier.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
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
	msg := fmt.Sprintf("data source %q could not be read: %v", src.Name, err)
	a, aerr := e.store.RaiseAlert(ctx, &AlertItem{SettingsModelID: &ds.SettingsModel.ID, DatasetName: ds.Name, DatasetID: &ds.ID,
		DataSourceModelID: &src.ID, DataSourceModelName: src.Name, AlertType: t, ResolvableByUser: true,
		Msg: msg, AlertActions: actions,
		AlertSecondaryActions: secondary, RowValue: []any{}, PreviousValues: []string{}, SubmitButtonText: "Try again"},
		fmt.Sprintf("%s:source:%d", t, src.ID))
	if aerr != nil {
		return aerr
	}
	if a.Msg != msg {
		// An alert raised before counts this failure too; it tells the
		// latest cause, which is the one to fix now.
		if _, aerr := e.store.UpdateAlert(ctx, a.ID, func(x *AlertItem) error { x.Msg = msg; return nil }); aerr != nil {
			return aerr
		}
	}
	return err
}

// scheduleAll makes sure every active data source with a schedule has its
// scheduled message (ScheduleSensor); Start calls it, so a restart loses no
// schedule and polls a tick missed while no engine ran once.
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
