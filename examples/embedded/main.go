// Command embedded ingests a file into PostgreSQL from a Go program, with the
// engine's default parts and no server: the metadata store, queue and
// destination on one PostgreSQL, backups on the local filesystem.
//
//	go run ./examples/embedded -database-url postgres://postgres@127.0.0.1:5432/postgres examples/data/orders_2024-05.csv
//
// It creates (once) a dataset "embedded_orders" whose table lands in schema
// "embedded", trains it on the file, loads it, and prints the counts.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/openqluster/qluster-go/destinations/pgdest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob"
	"github.com/openqluster/qluster-go/storage/blob/fileblob"
	"github.com/openqluster/qluster-go/storage/postgres"
)

func main() {
	url := flag.String("database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL for metadata, queue and the table")
	dir := flag.String("data-dir", filepath.Join(os.TempDir(), "qluster-embedded"), "where backups of the raw files go")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: embedded [flags] FILE")
	}
	ctx := context.Background()
	if err := run(ctx, *url, *dir, flag.Arg(0)); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, url, dir, file string) error {
	store, err := postgres.Open(ctx, url, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return err
	}
	engine, err := qluster.New(&qluster.Config{
		Store: store,
		Queue: store.Queue(),
		Codec: blob.Codec{},
		OpenBackup: func(ctx context.Context, _ *qluster.BackupSettings) (qluster.Backup, error) {
			return fileblob.Open(filepath.Join(dir, "backups"), &fileblob.Options{CreateDir: true})
		},
		OpenDestination: func(ctx context.Context, d *qluster.DestinationModel) (qluster.Destination, error) {
			return pgdest.Open(ctx, d, nil)
		},
		TrainingDelay: time.Millisecond,
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	src, ds, err := ensureDataset(ctx, store, url)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	it, err := engine.AddFile(ctx, qluster.AddFileParams{DataSourceID: src.ID, Name: filepath.Base(file), Body: f})
	if err != nil {
		return err
	}
	if err := engine.Start(ctx); err != nil {
		return err
	}
	defer engine.Stop(ctx) //nolint:errcheck
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got, err := store.GetStoredItem(ctx, it.ID)
		if err != nil {
			return err
		}
		if got.IsIngested || got.DuplicateOfID != nil {
			fmt.Printf("%s: %d rows loaded into %s.%s, %d quarantined, %d ignored\n",
				got.Key, got.SuccessfulRowsCount, ds.SchemaName, ds.TableName, got.BadRowsCount, got.IgnoredRowsCount)
			return nil
		}
	}
	return fmt.Errorf("%s was not loaded in time: see GET /api/ingestion-jobs or the alerts", file)
}

// ensureDataset returns the example's data source and dataset, creating them
// (with local backups and the same database as destination) the first time.
func ensureDataset(ctx context.Context, store *postgres.Store, url string) (*qluster.DataSource, *qluster.Dataset, error) {
	page, err := store.ListDataSources(ctx, postgres.ListDataSourcesParams{ListParams: qluster.ListParams{Limit: 1000}})
	if err != nil {
		return nil, nil, err
	}
	for _, s := range page.Items {
		if s.Name == "embedded_feed" {
			ds, err := store.GetDataset(ctx, *s.DatasetID)
			return &s, ds, err
		}
	}
	bs := qluster.NewBackupSettings()
	backup, err := store.CreateBackupSettings(ctx, &bs, nil)
	if err != nil {
		return nil, nil, err
	}
	dest, err := pgdest.ModelFromURL("embedded", url)
	if err != nil {
		return nil, nil, err
	}
	if dest, err = store.CreateDestination(ctx, dest, nil); err != nil {
		return nil, nil, err
	}
	d := qluster.NewDataset()
	d.Name, d.SchemaName, d.TableName = "embedded_orders", "embedded", "orders"
	d.BackupSettingsID, d.DestinationID = &backup.ID, &dest.ID
	ds, err := store.CreateDataset(ctx, &d, nil)
	if err != nil {
		return nil, nil, err
	}
	s := qluster.NewDataSource(ds)
	s.Name = "embedded_feed"
	src, err := store.CreateDataSource(ctx, &s, nil)
	return src, ds, err
}
