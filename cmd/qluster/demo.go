package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// demoDataset is the dataset `serve --demo-data DIR` feeds.
const demoDataset = "demo_orders"

// runDemo creates (once) a dataset and a data source, uploads every file of
// dir, waits for training, migration and ingestion, and prints the counts,
// the alerts and where the rows are.
func runDemo(ctx context.Context, store *postgres.Store, engine *qluster.Engine, dir string, out io.Writer) error {
	page, err := store.ListDatasets(ctx, postgres.ListDatasetsParams{ListParams: qluster.ListParams{Limit: qluster.MaxLimit}})
	if err != nil {
		return err
	}
	for _, d := range page.Items {
		if d.Name == demoDataset {
			fmt.Fprintf(out, "Demo: dataset %q exists already (id %d); its rows are in %s.%s of the default destination\n", demoDataset, d.ID, d.SchemaName, d.TableName)
			return nil
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	if len(files) == 0 {
		return fmt.Errorf("demo: no files in %s", dir)
	}
	bs, okB, err := store.Default(ctx, postgres.DefaultBackupSettings)
	if err != nil {
		return err
	}
	dst, okD, err := store.Default(ctx, postgres.DefaultDestination)
	if err != nil {
		return err
	}
	if !okB || !okD {
		return fmt.Errorf("demo: the default backup settings or destination are missing")
	}
	d := qluster.NewDataset()
	d.Name, d.SchemaName, d.TableName, d.BackupSettingsID, d.DestinationID = demoDataset, "demo", "orders", &bs, &dst
	ds, err := store.CreateDataset(ctx, &d, nil)
	if err != nil {
		return err
	}
	s := qluster.NewDataSource(ds)
	s.Name = "examples"
	src, err := store.CreateDataSource(ctx, &s, nil)
	if err != nil {
		return err
	}
	// The first files teach the dataset its shape; the last arrives once the
	// table exists, like tomorrow's delivery, and is cast against it.
	var ids []int64
	for i, f := range files {
		if i == len(files)-1 && len(files) > 1 {
			fmt.Fprintln(out, "Demo: waiting for training and the migration...")
			if err := waitForTable(ctx, store, ds.ID); err != nil {
				return err
			}
		}
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		it, err := engine.AddFile(ctx, qluster.AddFileParams{DataSourceID: src.ID, Name: filepath.Base(f), Body: fh})
		fh.Close()
		if err != nil {
			return err
		}
		ids = append(ids, it.ID)
		fmt.Fprintf(out, "Demo: uploaded %s as stored item %d\n", filepath.Base(f), it.ID)
	}
	fmt.Fprintln(out, "Demo: waiting for ingestion...")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		done := 0
		for _, id := range ids {
			it, err := store.GetStoredItem(ctx, id)
			if err != nil {
				return err
			}
			if it.IsIngested || it.DuplicateOfID != nil {
				done++
			}
		}
		if done == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(out, "Demo: %d of %d files loaded so far; see GET /api/ingestion-jobs and /api/alerts\n", done, len(ids))
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	var good, bad int64
	for _, id := range ids {
		it, err := store.GetStoredItem(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-22s %5d rows loaded, %3d quarantined, %d ignored\n", it.Key, it.SuccessfulRowsCount, it.BadRowsCount, it.IgnoredRowsCount)
		good += it.SuccessfulRowsCount
		bad += it.BadRowsCount
	}
	alerts, err := store.UnresolvedAlerts(ctx, ds.ID)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		fmt.Fprintf(out, "  alert %d (%s): %s\n", a.ID, a.AlertType, a.Msg)
	}
	dm, err := store.GetDestination(ctx, dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Demo: %d rows are in table demo.orders and %d in demo.orders_quarantine of database %q (host %s, port %s); GET /api/datasets/%d/data pages them\n",
		good, bad, dm.DatabaseName, dm.Host, dm.Port, ds.ID)
	return nil
}

// waitForTable waits until the dataset has a current migration.
func waitForTable(ctx context.Context, store *postgres.Store, datasetID int64) error {
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); {
		cur, err := store.MigrationsInState(ctx, datasetID, qluster.MigrationStateCurrent)
		if err != nil || len(cur) > 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("demo: no migration was applied in time; see GET /api/training-jobs and /api/alerts")
}
