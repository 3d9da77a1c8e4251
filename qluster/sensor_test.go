package qluster_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// pollRecorder is a custom Source that lists nothing (or fails), each List
// taking delay, and records when every List began and whether it began
// while another ran.
type pollRecorder struct {
	delay time.Duration
	fail  error

	mu       sync.Mutex
	starts   []time.Time
	running  int
	overlaps int
}

var _ qluster.Source = (*pollRecorder)(nil)

func (r *pollRecorder) List(ctx context.Context) ([]qluster.RemoteFile, error) {
	r.mu.Lock()
	r.starts = append(r.starts, time.Now())
	r.running++
	if r.running > 1 {
		r.overlaps++
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running--
		r.mu.Unlock()
	}()
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, r.fail
}

func (r *pollRecorder) Open(context.Context, string) (io.ReadCloser, error) {
	return nil, errors.New("pollRecorder lists no file to open")
}

func (r *pollRecorder) Close() error { return nil }

// polls are the times the polls that began in [from, to) began.
func (r *pollRecorder) polls(from, to time.Time) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Time
	for _, s := range r.starts {
		if !s.Before(from) && s.Before(to) {
			out = append(out, s)
		}
	}
	return out
}

func (r *pollRecorder) overlapping() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.overlaps
}

// ticks counts the ticks of "* * * * * *" (whole seconds) in (from, to].
func ticks(from, to time.Time) int {
	return int(to.Truncate(time.Second).Sub(from.Truncate(time.Second)) / time.Second)
}

// sensorBundle is a store with one dataset, the custom data sources made on
// it and the recorders that serve them.
type sensorBundle struct {
	t       *testing.T
	ctx     context.Context
	store   *postgres.Store
	dataset *qluster.Dataset
	sources map[int64]*pollRecorder
}

func setupSensors(t *testing.T) *sensorBundle {
	t.Helper()
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.NewDatabase(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	_, err = store.Migrate(ctx)
	require.NoError(t, err)
	require.NoError(t, server.EnsureDefaults(ctx, store, nil))
	bs, _, err := store.Default(ctx, postgres.DefaultBackupSettings)
	require.NoError(t, err)
	d := qluster.NewDataset()
	d.Name, d.TableName, d.BackupSettingsID = "polled", "polled", &bs
	ds, err := store.CreateDataset(ctx, &d, nil)
	require.NoError(t, err)
	return &sensorBundle{t: t, ctx: ctx, store: store, dataset: ds, sources: map[int64]*pollRecorder{}}
}

// source makes an active custom data source on schedule served by r. Make
// every source before starting an engine.
func (b *sensorBundle) source(name, schedule string, r *pollRecorder) *qluster.DataSource {
	b.t.Helper()
	d := qluster.NewDataSource(b.dataset)
	d.Name, d.DataSourceType, d.Schedule = name, qluster.DataSourceTypeCustom, schedule
	src, err := b.store.CreateDataSource(b.ctx, &d, nil)
	require.NoError(b.t, err)
	b.sources[src.ID] = r
	return src
}

// engine starts an engine of workers over the bundle's store whose clock
// is off by skew.
func (b *sensorBundle) engine(workers int, skew time.Duration) *qluster.Engine {
	b.t.Helper()
	e, err := server.NewEngine(server.EngineOptions{Store: b.store, DataDir: b.t.TempDir(), Workers: workers,
		PollInterval: 25 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Test: qluster.TestConfig{Now: func() time.Time { return time.Now().Add(skew) }},
		CustomSource: func(_ context.Context, d *qluster.DataSource) (qluster.Source, error) {
			if r, ok := b.sources[d.ID]; ok {
				return r, nil
			}
			return nil, fmt.Errorf("%w: no recorder serves data source %d", qluster.ErrConnection, d.ID)
		}})
	require.NoError(b.t, err)
	require.NoError(b.t, e.Start(b.ctx))
	b.t.Cleanup(func() { e.StopAndCancel(context.Background()) }) //nolint:errcheck
	return e
}

// stop stops engines together, letting the polls in flight finish.
func (b *sensorBundle) stop(engines ...*qluster.Engine) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(engines))
	for i, e := range engines {
		wg.Go(func() { errs[i] = e.Stop(ctx) })
	}
	wg.Wait()
	require.NoError(b.t, errors.Join(errs...))
}

// pendingPolls counts a data source's pending sensor messages.
func (b *sensorBundle) pendingPolls(id int64) int {
	b.t.Helper()
	no, q := false, qluster.QueueSensors
	page, err := b.store.ListQueueMessages(b.ctx, postgres.ListQueueMessagesParams{ListParams: qluster.ListParams{Limit: 10},
		Acknowledged: &no, QName: &q, DataSourceModelID: &id})
	require.NoError(b.t, err)
	return len(page.Items)
}

// TestScheduleTicksOncePerTick: three engines of three workers share one
// queue, two of them with clocks 2.5s and 1.2s behind the database's. A data
// source scheduled every second is polled once per tick, never twice at
// once; one whose List outlasts a tick (and that is also polled on demand
// meanwhile) is never polled twice at once; one whose List fails is polled
// once per tick all the same (its retries never beat the next tick), with a
// connection_issue alert. Each keeps exactly one pending message. After
// every engine stops, ticks pass, and a new engine starts, the missed ticks
// are polled once, at once, and the schedule goes on once per tick.
func TestScheduleTicksOncePerTick(t *testing.T) {
	t.Parallel()
	b := setupSensors(t)
	fast, slow := &pollRecorder{}, &pollRecorder{delay: 2500 * time.Millisecond}
	failing := &pollRecorder{fail: fmt.Errorf("%w: the source refuses connections", qluster.ErrConnection)}
	fastSrc := b.source("fast", "* * * * * *", fast)
	slowSrc := b.source("slow", "* * * * * *", slow)
	failingSrc := b.source("failing", "* * * * * *", failing)

	t0 := time.Now()
	engines := []*qluster.Engine{b.engine(3, -2500*time.Millisecond), b.engine(3, 0), b.engine(3, -1200*time.Millisecond)}
	time.Sleep(1600 * time.Millisecond)
	require.NoError(t, engines[1].PollNow(b.ctx, slowSrc.ID), "a poll on demand joins the schedule")
	time.Sleep(2900 * time.Millisecond)
	t1 := time.Now()
	b.stop(engines...)
	stopped := time.Now()

	n := ticks(t0, t1)
	t.Logf("phase 1: %d ticks, fast %d, failing %d, slow %d", n, len(fast.polls(t0, t1)), len(failing.polls(t0, t1)), len(slow.polls(t0, t1)))
	for name, r := range map[string]*pollRecorder{"fast": fast, "failing": failing} {
		polls := len(r.polls(t0, t1))
		require.LessOrEqual(t, polls, n+1, "%s: at most one poll per tick (%d ticks)", name, n)
		require.GreaterOrEqual(t, polls, n-2, "%s: a poll per tick (%d ticks)", name, n)
		require.Zero(t, r.overlapping(), "%s: polls never overlap", name)
	}
	require.Zero(t, slow.overlapping(), "a poll longer than a tick is never run twice at once")
	require.NotEmpty(t, slow.polls(t0, t1))
	alerts, err := b.store.UnresolvedAlerts(b.ctx, b.dataset.ID, qluster.AlertTypeConnectionIssue)
	require.NoError(t, err)
	require.Len(t, alerts, 1, "the failing source's alert, raised once and aggregated")
	require.Equal(t, failingSrc.ID, *alerts[0].DataSourceModelID)
	for _, id := range []int64{fastSrc.ID, slowSrc.ID, failingSrc.ID} {
		require.Equal(t, 1, b.pendingPolls(id), "one pending message per scheduled data source")
	}

	// No engine runs for more than a tick; start a new one at x.3s, so the
	// next tick is 0.7s away.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(2300 * time.Millisecond)))
	t2 := time.Now()
	require.Empty(t, fast.polls(stopped, t2), "nothing polls while every engine is stopped")
	e := b.engine(3, 0)
	time.Sleep(2500 * time.Millisecond)
	t3 := time.Now()
	b.stop(e)

	next := t2.Truncate(time.Second).Add(time.Second)
	t.Logf("phase 2: %d ticks, fast %d, failing %d, slow %d", ticks(t2, t3), len(fast.polls(t2, t3)), len(failing.polls(t2, t3)), len(slow.polls(t2, t3)))
	for name, r := range map[string]*pollRecorder{"fast": fast, "failing": failing} {
		require.Len(t, r.polls(t2, next), 1, "%s: the missed ticks are polled once, at once", name)
		polls := len(r.polls(t2, t3))
		n := ticks(t2, t3)
		require.LessOrEqual(t, polls, n+1, "%s: the catch-up, then one poll per tick (%d ticks)", name, n)
		require.GreaterOrEqual(t, polls, n-1, "%s: the schedule goes on (%d ticks)", name, n)
		require.Zero(t, r.overlapping(), name)
	}
	require.Zero(t, slow.overlapping())
	for _, id := range []int64{fastSrc.ID, slowSrc.ID, failingSrc.ID} {
		require.Equal(t, 1, b.pendingPolls(id))
	}
}
