package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// TestMain lets the test binary stand in for the qluster binary: with
// QLUSTER_TEST_AS_MAIN=1 it runs the command line it was given, so tests can
// start real worker processes and kill them.
func TestMain(m *testing.M) {
	if os.Getenv("QLUSTER_TEST_AS_MAIN") == "1" {
		ctx, stop := signalContext()
		code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// workerEnv is a metadata store with a trained-to-be dataset, and what a
// worker process needs to join it.
type workerEnv struct {
	t       *testing.T
	ctx     context.Context
	url     string
	dataDir string
	store   *postgres.Store
	engine  *qluster.Engine // no workers: only takes files in
}

func newWorkerEnv(t *testing.T) *workerEnv {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(ctx, []string{"migrate", "--database-url", url, "--data-dir", dir}, nil, &out, &errb), errb.String())
	cfg := &config{DatabaseURL: url, DataDir: dir}
	be, err := cfg.open(ctx, discardLog())
	require.NoError(t, err)
	t.Cleanup(func() { be.Close(context.Background(), false) })
	dest, err := server.DestinationFromURL("default", pgtest.NewDatabase(t))
	require.NoError(t, err)
	require.NoError(t, server.EnsureDefaults(ctx, be.Store, dest))
	eng, err := server.NewEngine(server.EngineOptions{Store: be.Store, DataDir: dir, Workers: 1, Logger: discardLog(), TrainingDelay: time.Millisecond})
	require.NoError(t, err)
	return &workerEnv{t: t, ctx: ctx, url: url, dataDir: dir, store: be.Store, engine: eng}
}

// dataset makes a dataset with one data source and returns the source's id.
func (w *workerEnv) dataset(name string) (int64, int64) {
	w.t.Helper()
	bs, _, err := w.store.Default(w.ctx, postgres.DefaultBackupSettings)
	require.NoError(w.t, err)
	dst, _, err := w.store.Default(w.ctx, postgres.DefaultDestination)
	require.NoError(w.t, err)
	d := qluster.NewDataset()
	d.Name, d.TableName, d.BackupSettingsID, d.DestinationID = name, name, &bs, &dst
	ds, err := w.store.CreateDataset(w.ctx, &d, nil)
	require.NoError(w.t, err)
	src := qluster.NewDataSource(ds)
	src.Name = name + "_feed"
	s, err := w.store.CreateDataSource(w.ctx, &src, nil)
	require.NoError(w.t, err)
	return ds.ID, s.ID
}

// startWorker runs `qluster worker` as a real process.
func (w *workerEnv) startWorker(lease time.Duration) (*exec.Cmd, *syncBuffer) {
	w.t.Helper()
	cmd := exec.Command(os.Args[0], "worker", "--database-url", w.url, "--data-dir", w.dataDir, "--workers", "1", "--lease", lease.String(), "--grace", "5s")
	cmd.Env = append(os.Environ(), "QLUSTER_TEST_AS_MAIN=1")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(w.t, cmd.Start())
	w.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill() //nolint:errcheck
			cmd.Wait()         //nolint:errcheck
		}
	})
	return cmd, logs
}

func (w *workerEnv) waitFor(what string, limit time.Duration, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.t.Fatalf("timed out waiting for %s", what)
}

func csvFile(rows int, seed int) string {
	var b strings.Builder
	b.WriteString("id,amount,day,flag,label\n")
	for i := range rows {
		fmt.Fprintf(&b, "%d,%d.%02d,2024-%02d-%02d,%s,item %d\n", i+seed, i%1000, i%100, i%12+1, i%28+1, []string{"yes", "no"}[i%2], i)
	}
	return b.String()
}

// TestKilledWorkerHandsBackItsJob kills a worker process in the middle of a
// training job: another worker takes the job once its lease lapses and ends
// it with no double effect (one analysis task per file, one migration).
func TestKilledWorkerHandsBackItsJob(t *testing.T) {
	t.Parallel()
	w := newWorkerEnv(t)
	dsID, srcID := w.dataset("killed")
	const files = 10
	for i := range files {
		_, err := w.engine.AddFile(w.ctx, qluster.AddFileParams{DataSourceID: srcID, Name: fmt.Sprintf("part-%d.csv", i), Body: strings.NewReader(csvFile(20000, i*20000))})
		require.NoError(t, err)
	}
	// The file messages route the files to training; run them here.
	for {
		ok, err := w.engine.RunOne(w.ctx, qluster.QueueFiles)
		require.NoError(t, err)
		if !ok {
			break
		}
	}
	a, logsA := w.startWorker(3 * time.Second)
	w.waitFor("the first analysis task", 60*time.Second, func() bool {
		jobs, err := w.store.TrainingJobsInState(w.ctx, dsID, qluster.TrainingJobStateRunning)
		require.NoError(t, err)
		if len(jobs) == 0 {
			return false
		}
		tasks, err := w.store.AnalysisTasks(w.ctx, jobs[0].ID, nil)
		require.NoError(t, err)
		return len(tasks) >= 1 && len(tasks) < files
	})
	require.NoError(t, a.Process.Signal(syscall.SIGKILL))
	a.Wait() //nolint:errcheck
	jobs, err := w.store.TrainingJobsInState(w.ctx, dsID, qluster.TrainingJobStateRunning)
	require.NoError(t, err)
	require.Len(t, jobs, 1, "killed mid-job: %s", logsA)

	_, logsB := w.startWorker(3 * time.Second)
	w.waitFor("the training to finish on the second worker", 120*time.Second, func() bool {
		j, err := w.store.GetTrainingJob(w.ctx, jobs[0].ID)
		require.NoError(t, err)
		return j.State != qluster.TrainingJobStateRunning && j.State != qluster.TrainingJobStateCreated
	})
	j, err := w.store.GetTrainingJob(w.ctx, jobs[0].ID)
	require.NoError(t, err)
	require.Equal(t, qluster.TrainingJobStateFinished, j.State, "%s\n%s", j.Msg, logsB)
	tasks, err := w.store.AnalysisTasks(w.ctx, j.ID, nil)
	require.NoError(t, err)
	require.Len(t, tasks, files, "one analysis task per file, however often it ran")
	cur, err := w.store.MigrationsInState(w.ctx, dsID, qluster.MigrationStateCurrent, qluster.MigrationStateDraft, qluster.MigrationStateApplied)
	require.NoError(t, err)
	require.Len(t, cur, 1, "one migration")
	require.Equal(t, qluster.MigrationStateCurrent, cur[0].State)
}

// TestTwoWorkersNeverRunOneMessageTwice runs two worker processes over many
// datasets' training jobs: every message is received exactly once.
func TestTwoWorkersNeverRunOneMessageTwice(t *testing.T) {
	t.Parallel()
	w := newWorkerEnv(t)
	const datasets = 12
	var ids []int64
	for i := range datasets {
		dsID, srcID := w.dataset(fmt.Sprintf("ds_%d", i))
		ids = append(ids, dsID)
		_, err := w.engine.AddFile(w.ctx, qluster.AddFileParams{DataSourceID: srcID, Name: "f.csv", Body: strings.NewReader(csvFile(200, i))})
		require.NoError(t, err)
	}
	w.startWorker(time.Minute)
	w.startWorker(time.Minute)
	w.waitFor("every dataset to have its table and its jobs acknowledged", 120*time.Second, func() bool {
		for _, id := range ids {
			cur, err := w.store.MigrationsInState(w.ctx, id, qluster.MigrationStateCurrent)
			require.NoError(t, err)
			if len(cur) == 0 {
				return false
			}
		}
		for _, q := range []string{qluster.QueueFiles, qluster.QueueTraining} {
			pending, err := w.store.ListQueueMessages(w.ctx, postgres.ListQueueMessagesParams{ListParams: qluster.ListParams{Limit: 1000},
				QName: &q, Acknowledged: new(bool)})
			require.NoError(t, err)
			if len(pending.Items) > 0 {
				return false
			}
		}
		return true
	})
	msgs, err := w.store.ListQueueMessages(w.ctx, postgres.ListQueueMessagesParams{ListParams: qluster.ListParams{Limit: 1000}})
	require.NoError(t, err)
	routed := 0
	for _, m := range msgs.Items {
		require.LessOrEqual(t, m.ReceiveCount, 1, "message %d (%s) was received more than once", m.ID, m.QName)
		if m.QName == qluster.QueueFiles || m.QName == qluster.QueueTraining {
			routed++
			require.Equal(t, 1, m.ReceiveCount, "message %d (%s)", m.ID, m.QName)
			require.True(t, m.Acknowledged, "message %d (%s)", m.ID, m.QName)
		}
	}
	require.Equal(t, 2*datasets, routed, "a file message and a training message per dataset")
	for _, id := range ids {
		jobs, err := w.store.TrainingJobsInState(w.ctx, id, qluster.TrainingJobStateFinished)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		tasks, err := w.store.AnalysisTasks(w.ctx, jobs[0].ID, nil)
		require.NoError(t, err)
		require.Len(t, tasks, 1)
	}
}

// syncBuffer is a bytes.Buffer that a process's output goroutine may write
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
