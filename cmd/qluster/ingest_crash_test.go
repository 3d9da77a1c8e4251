package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/destinations/pgdest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// raceDetector reports whether the test binary was built with -race.
func raceDetector() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// genCSV is a generated CSV file and what ingesting it must leave behind.
type genCSV struct {
	name     string
	body     string
	rows     int64   // data rows
	badLines []int64 // physical lines of the rows with an invalid date
	item     int64   // its stored item, once added
}

func (g *genCSV) good() int64 { return g.rows - int64(len(g.badLines)) }

// makeCSV generates rows rows with ids from firstID on; with badEvery > 0
// every badEvery-th row has a date that does not exist (2024-02-30).
func makeCSV(name string, rows, firstID, badEvery int) *genCSV {
	g := &genCSV{name: name, rows: int64(rows)}
	var b strings.Builder
	b.Grow(rows * 48)
	b.WriteString("id,amount,day,flag,label\n")
	for i := range rows {
		day := fmt.Sprintf("2024-%02d-%02d", i%12+1, i%28+1)
		if badEvery > 0 && i%badEvery == badEvery-1 {
			day = "2024-02-30"
			g.badLines = append(g.badLines, int64(i+2)) // the header is line 1
		}
		fmt.Fprintf(&b, "%d,%d.%02d,%s,%s,item %d\n", firstID+i, i%1000, i%100, day, []string{"yes", "no"}[i%2], i)
	}
	g.body = b.String()
	return g
}

// snappyBackups makes a dataset keep its files as snappy streams: gzip
// under the race detector costs seconds per file, snappy milliseconds.
func (w *workerEnv) snappyBackups(dsID int64) {
	w.t.Helper()
	_, err := w.store.UpdateDataset(w.ctx, postgres.UpdateDatasetParams{ID: dsID, Mutate: func(d *qluster.Dataset) error {
		d.CompressionTypeOfBackupData = qluster.CompressionTypeSnappyStream
		return nil
	}})
	require.NoError(w.t, err)
}

// add takes the file into the data source.
func (w *workerEnv) add(srcID int64, g *genCSV) {
	w.t.Helper()
	it, err := w.engine.AddFile(w.ctx, qluster.AddFileParams{DataSourceID: srcID, Name: g.name, Body: strings.NewReader(g.body)})
	require.NoError(w.t, err)
	g.item = it.ID
}

// drain runs the due messages of queue q in this process until none is left.
func (w *workerEnv) drain(q string) {
	w.t.Helper()
	for {
		ok, err := w.engine.RunOne(w.ctx, q)
		require.NoError(w.t, err)
		if !ok {
			return
		}
	}
}

// trainOn trains dataset dsID on g in this process; the dataset applies its
// migration at once, which queues g for ingestion.
func (w *workerEnv) trainOn(dsID, srcID int64, g *genCSV) {
	w.t.Helper()
	w.add(srcID, g)
	w.drain(qluster.QueueFiles)
	w.waitFor("the training to apply a migration", 60*time.Second, func() bool {
		w.drain(qluster.QueueTraining)
		cur, err := w.store.MigrationsInState(w.ctx, dsID, qluster.MigrationStateCurrent)
		require.NoError(w.t, err)
		return len(cur) == 1
	})
}

// spawnWorker runs `qluster worker --workers n` as a real process whose
// log goes to a file that is printed if the test fails.
func (w *workerEnv) spawnWorker(n int, lease time.Duration) *exec.Cmd {
	w.t.Helper()
	cmd := exec.Command(os.Args[0], "worker", "--database-url", w.url, "--data-dir", w.dataDir,
		"--workers", strconv.Itoa(n), "--lease", lease.String(), "--grace", "5s")
	cmd.Env = append(os.Environ(), "QLUSTER_TEST_AS_MAIN=1")
	logs, err := os.CreateTemp(w.t.TempDir(), "worker-*.log")
	require.NoError(w.t, err)
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(w.t, cmd.Start())
	w.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill() //nolint:errcheck
			cmd.Wait()         //nolint:errcheck
		}
		logs.Close()
		if w.t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			w.t.Logf("worker %d log:\n%s", cmd.Process.Pid, b)
		}
	})
	return cmd
}

// destPool connects to the dataset's destination database.
func (w *workerEnv) destPool(dsID int64) *pgxpool.Pool {
	w.t.Helper()
	ds, err := w.store.GetDataset(w.ctx, dsID)
	require.NoError(w.t, err)
	dm, err := w.store.GetDestination(w.ctx, *ds.DestinationID)
	require.NoError(w.t, err)
	d, err := pgdest.Open(w.ctx, dm, &pgdest.Options{MaxConns: 2})
	require.NoError(w.t, err)
	w.t.Cleanup(func() { d.Close() })
	return d.Pool()
}

// jobsNotFinished lists the ingestion jobs of files that are not finished yet.
func (w *workerEnv) jobsNotFinished(files []*genCSV) []string {
	w.t.Helper()
	var out []string
	for _, g := range files {
		j, err := w.store.IngestionJobOfStoredItem(w.ctx, g.item)
		require.NoError(w.t, err)
		if j == nil {
			out = append(out, g.name+": no job")
		} else if j.State != qluster.IngestionJobStateFinished {
			out = append(out, fmt.Sprintf("%s: %s (%s)", g.name, j.State, j.Msg))
		}
	}
	return out
}

// timeline logs when the last try of each file's ingestion job ran and
// returns the jobs.
func (w *workerEnv) timeline(files []*genCSV, start time.Time) []*qluster.IngestionJob {
	w.t.Helper()
	var jobs []*qluster.IngestionJob
	for _, g := range files {
		j, err := w.store.IngestionJobOfStoredItem(w.ctx, g.item)
		require.NoError(w.t, err)
		require.NotNil(w.t, j, g.name)
		jobs = append(jobs, j)
		if j.StartedAt != nil && j.FinishedAt != nil {
			w.t.Logf("%s: %d rows, try %d from %s to %s", g.name, g.rows, j.TryCount,
				j.StartedAt.Sub(start).Round(time.Millisecond), j.FinishedAt.Sub(start).Round(time.Millisecond))
		}
	}
	return jobs
}

// requireLoadedOnce checks that the table holds exactly the good rows of
// every file once, the quarantine exactly its bad rows once, and that every
// count (file, job, dataset) is exact.
func (w *workerEnv) requireLoadedOnce(dsID int64, files []*genCSV) {
	t := w.t
	t.Helper()
	ds, err := w.store.GetDataset(w.ctx, dsID)
	require.NoError(t, err)
	tbl := qluster.TableRef{Schema: ds.SchemaName, Table: ds.TableName}
	name := pgx.Identifier{tbl.Schema, tbl.Table}.Sanitize()
	qname := pgx.Identifier{tbl.Schema, tbl.QuarantineTable().Table}.Sanitize()
	pool := w.destPool(dsID)

	var dups int
	require.NoError(t, pool.QueryRow(w.ctx, `SELECT count(*) FROM (SELECT 1 FROM `+name+
		` GROUP BY _stored_item_id, _line_number HAVING count(*) > 1) d`).Scan(&dups))
	require.Zero(t, dups, "rows loaded twice")
	require.NoError(t, pool.QueryRow(w.ctx, `SELECT count(*) FROM (SELECT 1 FROM `+qname+
		` GROUP BY _stored_item_id, _line_number HAVING count(*) > 1) d`).Scan(&dups))
	require.Zero(t, dups, "rows quarantined twice")

	var sumGood, sumBad int64
	for _, g := range files {
		var n, ids int64
		require.NoError(t, pool.QueryRow(w.ctx, `SELECT count(*), count(DISTINCT id) FROM `+name+` WHERE _stored_item_id = $1`, g.item).Scan(&n, &ids))
		require.Equal(t, g.good(), n, "good rows of %s in the table", g.name)
		require.Equal(t, g.good(), ids, "distinct ids of %s in the table", g.name)
		var lines []int64
		rows, err := pool.Query(w.ctx, `SELECT _line_number FROM `+qname+` WHERE _stored_item_id = $1 ORDER BY 1`, g.item)
		require.NoError(t, err)
		lines, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		require.NoError(t, err)
		require.Equal(t, len(g.badLines), len(lines), "bad rows of %s in the quarantine", g.name)
		if len(g.badLines) > 0 {
			require.Equal(t, g.badLines, lines, "the quarantined lines of %s", g.name)
		}

		it, err := w.store.GetStoredItem(w.ctx, g.item)
		require.NoError(t, err)
		require.True(t, it.IsIngested, g.name)
		require.Equal(t, g.good(), it.SuccessfulRowsCount, g.name)
		require.Equal(t, int64(len(g.badLines)), it.BadRowsCount, g.name)
		require.Equal(t, g.rows, it.SuccessfulRowsCount+it.BadRowsCount+it.IgnoredRowsCount, "good+bad+ignored of %s", g.name)
		j, err := w.store.IngestionJobOfStoredItem(w.ctx, g.item)
		require.NoError(t, err)
		require.Equal(t, g.good(), j.SuccessfulRowsCount, g.name)
		require.Equal(t, int64(len(g.badLines)), j.BadRowsCount, g.name)
		sumGood += g.good()
		sumBad += int64(len(g.badLines))
	}
	var total, totalBad int64
	require.NoError(t, pool.QueryRow(w.ctx, `SELECT count(*) FROM `+name).Scan(&total))
	require.NoError(t, pool.QueryRow(w.ctx, `SELECT count(*) FROM `+qname).Scan(&totalBad))
	require.Equal(t, sumGood, total, "no rows of other files")
	require.Equal(t, sumBad, totalBad)
	ds, err = w.store.GetDataset(w.ctx, dsID)
	require.NoError(t, err)
	require.Equal(t, sumGood, ds.SuccessfulRowsCount, "the dataset's successful_rows_count")
	require.Equal(t, sumBad, ds.BadRowsCount, "the dataset's bad_rows_count")
}

// TestCrashedIngestionLoadsEveryRowOnce SIGKILLs worker processes at random
// points while they ingest files of tens of thousands of rows (some bad):
// once a worker finishes, every file's good rows are in the table exactly
// once, its bad rows in the quarantine exactly once, and every count is exact.
func TestCrashedIngestionLoadsEveryRowOnce(t *testing.T) {
	t.Parallel()
	w := newWorkerEnv(t)
	dsID, srcID := w.dataset("crashed")
	w.snappyBackups(dsID)
	start := time.Now()
	train := makeCSV("train.csv", 300, 90_000_000, 0)
	w.trainOn(dsID, srcID, train)
	t.Logf("trained in %s", time.Since(start).Round(time.Millisecond))

	// Loads take a second or two each under the race detector, where the
	// kills below land; without it they are several times faster.
	scale := 1
	if !raceDetector() {
		scale = 5
	}
	files := []*genCSV{
		makeCSV("a.csv", 30_000*scale, 1_000_000, 0),
		makeCSV("b.csv", 25_000*scale, 2_000_000, 997),
		makeCSV("c.csv", 35_000*scale, 3_000_000, 0),
		makeCSV("d.csv", 20_000*scale, 4_000_000, 211),
	}
	for _, g := range files {
		w.add(srcID, g)
	}
	w.drain(qluster.QueueFiles) // creates and queues their ingestion jobs
	files = append(files, train)
	t.Logf("added the files at %s", time.Since(start).Round(time.Millisecond))

	seed := uint64(time.Now().UnixNano())
	t.Logf("kill delays seeded with %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	const lease = 2 * time.Second
	interrupted := 0
	for k := range 3 {
		spawned := time.Now()
		cmd := w.spawnWorker(1, lease)
		done := false
		w.waitFor(fmt.Sprintf("worker %d to start a load", k), 60*time.Second, func() bool {
			jobs, err := w.store.IngestionJobsInState(w.ctx, dsID, qluster.IngestionJobStateRunning)
			require.NoError(t, err)
			for _, j := range jobs {
				if j.StartedAt != nil && j.StartedAt.After(spawned) {
					return true
				}
			}
			done = len(w.jobsNotFinished(files)) == 0
			return done
		})
		if done {
			t.Logf("every file was loaded before kill %d", k)
			break
		}
		t.Logf("worker %d started a load %s after it was spawned", k, time.Since(spawned).Round(time.Millisecond))
		delay := 100*time.Millisecond + time.Duration(rng.Int64N(int64(1400*time.Millisecond)))
		time.Sleep(delay)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		cmd.Wait() //nolint:errcheck
		jobs, err := w.store.IngestionJobsInState(w.ctx, dsID, qluster.IngestionJobStateRunning)
		require.NoError(t, err)
		for _, j := range jobs {
			if j.StartedAt != nil && j.StartedAt.After(spawned) {
				interrupted++
				t.Logf("kill %d after %s interrupted %s (try %d)", k, delay, j.Key, j.TryCount)
			}
		}
	}
	require.Positive(t, interrupted, "at least one kill must land in the middle of a load")

	t.Logf("the last worker starts at %s", time.Since(start).Round(time.Millisecond))
	w.spawnWorker(1, lease)
	w.waitFor("every file to be ingested", 90*time.Second, func() bool { return len(w.jobsNotFinished(files)) == 0 })
	t.Logf("ingested in %s", time.Since(start).Round(time.Millisecond))
	w.requireLoadedOnce(dsID, files)
	tries := 0
	for _, j := range w.timeline(files, start) {
		tries += int(j.TryCount)
	}
	require.GreaterOrEqual(t, tries, len(files)+interrupted, "every interrupted load ran again")
}

// TestConcurrentIngestionOfOneDataset runs two worker processes of two
// workers each over four files of one dataset at once: every file is loaded
// once, and the counts stay exact although the four loads recount the
// dataset together (the test holds the dataset's row until all four wait
// to write their counts).
func TestConcurrentIngestionOfOneDataset(t *testing.T) {
	t.Parallel()
	w := newWorkerEnv(t)
	dsID, srcID := w.dataset("concurrent")
	w.snappyBackups(dsID)
	start := time.Now()
	train := makeCSV("train.csv", 300, 90_000_000, 0)
	w.trainOn(dsID, srcID, train)
	w.drain(qluster.QueueIngestion) // train.csv, in this process
	files := []*genCSV{train}
	for i := range 4 {
		bad := 0
		if i%2 == 1 {
			bad = 101 + i
		}
		g := makeCSV(fmt.Sprintf("part-%d.csv", i), 6_000+2_000*i, (i+1)*1_000_000, bad)
		w.add(srcID, g)
		files = append(files, g)
	}
	w.drain(qluster.QueueFiles)
	t.Logf("added the files at %s", time.Since(start).Round(time.Millisecond))

	// Hold the dataset's row the way an update does, so that every load
	// waits to write its counts until all four have loaded.
	hold, err := pgx.Connect(w.ctx, w.url)
	require.NoError(t, err)
	defer hold.Close(context.Background())
	watch, err := pgx.Connect(w.ctx, w.url)
	require.NoError(t, err)
	defer watch.Close(context.Background())
	tx, err := hold.Begin(w.ctx)
	require.NoError(t, err)
	_, err = tx.Exec(w.ctx, `SELECT 1 FROM datasets WHERE id = $1 FOR NO KEY UPDATE`, dsID)
	require.NoError(t, err)

	w.spawnWorker(2, 30*time.Second)
	w.spawnWorker(2, 30*time.Second)
	w.waitFor("the four loads to wait to write their counts", 60*time.Second, func() bool {
		for _, g := range files {
			it, err := w.store.GetStoredItem(w.ctx, g.item)
			require.NoError(t, err)
			if !it.IsIngested {
				return false
			}
		}
		var waiting int
		require.NoError(t, watch.QueryRow(w.ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting))
		return waiting >= 4
	})
	t.Logf("loaded at %s; the counts wait", time.Since(start).Round(time.Millisecond))
	require.NoError(t, tx.Rollback(w.ctx))

	w.waitFor("every file to be ingested", 60*time.Second, func() bool { return len(w.jobsNotFinished(files)) == 0 })
	t.Logf("ingested at %s", time.Since(start).Round(time.Millisecond))
	w.requireLoadedOnce(dsID, files)
	var bad int64
	for _, g := range files {
		bad += int64(len(g.badLines))
	}
	src, err := w.store.GetDataSource(w.ctx, srcID)
	require.NoError(t, err)
	require.Equal(t, bad, src.BadRowsCount, "the data source's bad_rows_count")
	for _, j := range w.timeline(files, start) {
		require.EqualValues(t, 1, j.TryCount, "%s ran once", j.Key)
	}

	msgs, err := w.store.ListQueueMessages(w.ctx, postgres.ListQueueMessagesParams{ListParams: qluster.ListParams{Limit: 1000}})
	require.NoError(t, err)
	ingest := 0
	for _, m := range msgs.Items {
		if m.QName == qluster.QueueIngestion {
			ingest++
			require.Equal(t, 1, m.ReceiveCount, "message %d was received more than once", m.ID)
			require.True(t, m.Acknowledged, "message %d", m.ID)
		}
	}
	require.Equal(t, len(files), ingest, "one ingestion message per file")
}
