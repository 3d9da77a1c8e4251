package qluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// TestFailingJobsAreRecordedAndRetried: a failure (or a panic) that escapes
// a job becomes a fatal error aggregated by job name and error, with its
// stack trace, and the message is retried with backoff until the dataset's
// max_retry_count, then given up.
func TestFailingJobsAreRecordedAndRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.NewDatabase(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	_, err = store.Migrate(ctx)
	require.NoError(t, err)
	eng, err := server.NewEngine(server.EngineOptions{Store: store, DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, server.EnsureDefaults(ctx, store, nil))
	bs, _, _ := store.Default(ctx, postgres.DefaultBackupSettings)
	d := qluster.NewDataset()
	d.Name, d.TableName, d.BackupSettingsID, d.MaxRetryCount = "retry", "retry", &bs, 2
	ds, err := store.CreateDataset(ctx, &d, nil)
	require.NoError(t, err)

	calls := 0
	eng.Handle("flaky", func(ctx context.Context, data json.RawMessage) error {
		calls++
		if calls == 1 {
			panic("kaboom")
		}
		return errors.New("still failing")
	})
	q := store.Queue()
	msg, err := q.Put(ctx, qluster.PutParams{QName: "flaky", Data: map[string]any{"dataset_id": ds.ID}})
	require.NoError(t, err)

	ran, err := eng.RunOne(ctx, "flaky")
	require.NoError(t, err)
	require.True(t, ran)
	errs, err := store.ListFatalErrors(ctx, postgres.ListFatalErrorsParams{ListParams: qluster.ListParams{Limit: 10, Reverse: true}})
	require.NoError(t, err)
	require.Len(t, errs.Items, 1)
	require.Equal(t, "flaky", errs.Items[0].JobName)
	require.Contains(t, errs.Items[0].Error, "kaboom")
	require.Contains(t, errs.Items[0].StackTrace, "goroutine", "the stack of the panic is kept")

	m, err := store.GetQueueMessage(ctx, msg.ID)
	require.NoError(t, err)
	require.False(t, m.Acknowledged, "retried, not dropped")
	require.True(t, m.ScheduleAt.After(time.Now()), "with a backoff")

	// Make it due again twice: the second failure is aggregated by error text,
	// the third exceeds max_retry_count (2) and the message is given up.
	for try := 2; try <= 3; try++ {
		_, err := store.RescheduleQueueMessages(ctx, []int64{msg.ID})
		require.NoError(t, err)
		ran, err := eng.RunOne(ctx, "flaky")
		require.NoError(t, err)
		require.True(t, ran, "try %d", try)
	}
	errs, err = store.ListFatalErrors(ctx, postgres.ListFatalErrorsParams{ListParams: qluster.ListParams{Limit: 10, Reverse: true}})
	require.NoError(t, err)
	require.Len(t, errs.Items, 2, "one row per distinct error")
	for _, e := range errs.Items {
		if e.Error == "still failing" {
			require.EqualValues(t, 2, e.Count)
		}
	}
	m, err = store.GetQueueMessage(ctx, msg.ID)
	require.NoError(t, err)
	require.True(t, m.Acknowledged, "given up after max_retry_count")
	require.Equal(t, 3, calls)
}
