package qluster_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/destinations/pgdest"
	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob"
	"github.com/openqluster/qluster-go/storage/blob/fileblob"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// changingDestination changes the dataset's settings during the first load,
// as a user saving the settings page while a file loads would.
type changingDestination struct {
	*pgdest.Destination
	change func(ctx context.Context)
	loads  *atomic.Int32
}

func (d changingDestination) LoadRows(ctx context.Context, t qluster.TableRef, p qluster.LoadParams, rows qluster.RowSource) (qluster.LoadResult, error) {
	if d.loads.Add(1) == 1 {
		d.change(ctx)
	}
	return d.Destination.LoadRows(ctx, t, p, rows)
}

// TestIngestionRequeuedWhenSettingsChange: a load that finds the settings'
// version changed under it rolls back, ends version_id_mismatch and is
// queued again, and the next run loads the file with the new settings.
func TestIngestionRequeuedWhenSettingsChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.NewDatabase(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	_, err = store.Migrate(ctx)
	require.NoError(t, err)
	destURL := pgtest.NewDatabase(t)
	var loads atomic.Int32
	var dsID int64
	dir := t.TempDir()
	eng, err := qluster.New(&qluster.Config{
		Store: store, Queue: store.Queue(), Codec: blob.Codec{},
		OpenBackup: func(context.Context, *qluster.BackupSettings) (qluster.Backup, error) {
			return fileblob.Open(dir, &fileblob.Options{CreateDir: true})
		},
		OpenDestination: func(ctx context.Context, _ *qluster.DestinationModel) (qluster.Destination, error) {
			d, err := pgdest.OpenURL(ctx, destURL, nil)
			if err != nil {
				return nil, err
			}
			return changingDestination{Destination: d, loads: &loads, change: func(ctx context.Context) {
				_, err := store.UpdateDataset(ctx, postgres.UpdateDatasetParams{ID: dsID, MutateSettings: func(s *qluster.Settings) error {
					s.NullValues = append(s.NullValues, "missing")
					return nil
				}})
				require.NoError(t, err)
			}}, nil
		},
		TrainingDelay: time.Millisecond,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	bsm := qluster.NewBackupSettings()
	bs, err := store.CreateBackupSettings(ctx, &bsm, nil)
	require.NoError(t, err)
	dm, err := pgdest.ModelFromURL("dest", destURL)
	require.NoError(t, err)
	dest, err := store.CreateDestination(ctx, dm, nil)
	require.NoError(t, err)
	d := qluster.NewDataset()
	d.Name, d.TableName, d.BackupSettingsID, d.DestinationID = "changing", "changing", &bs.ID, &dest.ID
	ds, err := store.CreateDataset(ctx, &d, nil)
	require.NoError(t, err)
	dsID = ds.ID
	s := qluster.NewDataSource(ds)
	s.Name = "feed"
	src, err := store.CreateDataSource(ctx, &s, nil)
	require.NoError(t, err)

	it, err := eng.AddFile(ctx, qluster.AddFileParams{DataSourceID: src.ID, Name: "a.csv", Body: strings.NewReader("id,qty\n1,5\n2,7\n3,9\n")})
	require.NoError(t, err)
	drain := func(q string) {
		for {
			ok, err := eng.RunOne(ctx, q)
			require.NoError(t, err)
			if !ok {
				return
			}
		}
	}
	drain(qluster.QueueFiles)
	time.Sleep(5 * time.Millisecond)
	drain(qluster.QueueTraining)

	// The first load sees the settings change under it.
	ran, err := eng.RunOne(ctx, qluster.QueueIngestion)
	require.NoError(t, err)
	require.True(t, ran)
	jobs, err := store.IngestionJobsInState(ctx, ds.ID, qluster.IngestionJobStateVersionIdMismatch)
	require.NoError(t, err)
	require.Len(t, jobs, 1, "the job ends version_id_mismatch")
	got, err := store.GetStoredItem(ctx, it.ID)
	require.NoError(t, err)
	require.False(t, got.IsIngested, "nothing was committed")

	// It was queued again and now loads with the new settings.
	drain(qluster.QueueIngestion)
	job, err := store.GetIngestionJob(ctx, jobs[0].ID)
	require.NoError(t, err)
	require.Equal(t, qluster.IngestionJobStateFinished, job.State, job.Msg)
	require.EqualValues(t, 3, job.SuccessfulRowsCount)
	require.EqualValues(t, 2, loads.Load())
}
