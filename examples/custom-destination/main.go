// Command custom-destination plugs a Destination of its own into the engine:
// instead of PostgreSQL tables, every file's clean rows land in a CSV file
// per table under an output folder (and the bad rows beside them). The
// metadata store and the queue stay on PostgreSQL.
//
//	go run ./examples/custom-destination -out /tmp/qluster-csv examples/data/orders_2024-05.csv
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob"
	"github.com/openqluster/qluster-go/storage/blob/fileblob"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// csvDestination keeps each table as a folder of CSV files, one per stored
// item, so loading a file again replaces its own rows.
type csvDestination struct {
	dir string
	mu  sync.Mutex
}

var (
	_ qluster.Destination = (*csvDestination)(nil)
	_ qluster.Loader      = (*csvDestination)(nil)
)

func (d *csvDestination) schemaPath(t qluster.TableRef) string {
	return filepath.Join(d.dir, t.Schema, t.Table, "schema.json")
}

// Describe reads the table's columns from its schema file.
func (d *csvDestination) Describe(_ context.Context, t qluster.TableRef) (*qluster.TableSchema, error) {
	b, err := os.ReadFile(d.schemaPath(t))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s := &qluster.TableSchema{}
	return s, json.Unmarshal(b, s)
}

// Apply writes the wanted columns, keeping every column already there.
func (d *csvDestination) Apply(ctx context.Context, t qluster.TableRef, want *qluster.TableSchema) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur, err := d.Describe(ctx, t)
	if err != nil {
		return err
	}
	next, _ := qluster.EvolveSchema(cur, want)
	if err := os.MkdirAll(filepath.Dir(d.schemaPath(t)), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(next, "", "  ")
	return os.WriteFile(d.schemaPath(t), b, 0o644)
}

// LoadRows writes a file's good rows to <table>/<stored item>.csv and its bad
// rows to <table>/<stored item>.bad.jsonl, replacing what that file wrote before.
func (d *csvDestination) LoadRows(ctx context.Context, t qluster.TableRef, p qluster.LoadParams, rows qluster.RowSource) (qluster.LoadResult, error) {
	base := filepath.Join(d.dir, t.Schema, t.Table, strconv.FormatInt(p.StoredItemID, 10))
	tmp := base + ".csv.tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return qluster.LoadResult{}, err
	}
	defer os.Remove(tmp)
	w := csv.NewWriter(f)
	header := []string{"_line_number", "_signature"}
	for _, c := range p.Columns {
		header = append(header, c.Name)
	}
	w.Write(header) //nolint:errcheck
	var res qluster.LoadResult
	rec := make([]string, len(header))
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			f.Close()
			return res, err
		}
		rec[0], rec[1] = strconv.FormatInt(rows.Line(), 10), string(rows.Signature())
		for i, c := range rows.Cells() {
			switch {
			case c.Null:
				rec[i+2] = ""
			case c.Num != nil:
				rec[i+2] = string(c.Num)
			case !c.Time.IsZero():
				rec[i+2] = c.Time.Format(time.RFC3339)
			case c.Text != "":
				rec[i+2] = c.Text
			default:
				rec[i+2] = fmt.Sprint(c.Int, c.Bool, c.Float)
			}
		}
		w.Write(rec) //nolint:errcheck
		res.Rows++
	}
	w.Flush()
	if err := f.Close(); err != nil {
		return res, err
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	bad, err := os.Create(base + ".bad.jsonl")
	if err != nil {
		return res, err
	}
	defer bad.Close()
	enc := json.NewEncoder(bad)
	for b := rows.Bad(); b.Next(); {
		enc.Encode(b.Row()) //nolint:errcheck
		res.BadRows++
	}
	if p.BeforeCommit != nil {
		if err := p.BeforeCommit(ctx); err != nil {
			return res, err
		}
	}
	return res, os.Rename(tmp, base+".csv")
}

// Close releases nothing.
func (d *csvDestination) Close() error { return nil }

func main() {
	url := flag.String("database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL for metadata and the queue")
	out := flag.String("out", filepath.Join(os.TempDir(), "qluster-csv"), "where the CSV tables go")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: custom-destination [flags] FILE")
	}
	if err := run(context.Background(), *url, *out, flag.Arg(0)); err != nil {
		log.Fatal(err)
	}
}

// run loads file through a csvDestination under out.
func run(ctx context.Context, url, out, file string) error {
	store, err := postgres.Open(ctx, url, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return err
	}
	dest := &csvDestination{dir: out}
	engine, err := qluster.New(&qluster.Config{
		Store: store, Queue: store.Queue(), Codec: blob.Codec{},
		OpenBackup: func(context.Context, *qluster.BackupSettings) (qluster.Backup, error) {
			return fileblob.Open(filepath.Join(out, "backups"), &fileblob.Options{CreateDir: true})
		},
		OpenDestination: func(context.Context, *qluster.DestinationModel) (qluster.Destination, error) { return dest, nil },
		TrainingDelay:   time.Millisecond,
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	bs := qluster.NewBackupSettings()
	backup, err := store.CreateBackupSettings(ctx, &bs, nil)
	if err != nil {
		return err
	}
	dm := qluster.NewDestination()
	dm.Name, dm.DatabaseName = "csv-"+strconv.FormatInt(time.Now().UnixNano(), 36), "unused"
	dmod, err := store.CreateDestination(ctx, &dm, nil)
	if err != nil {
		return err
	}
	d := qluster.NewDataset()
	d.Name, d.SchemaName, d.TableName = dm.Name, "csv", "orders_"+strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	d.BackupSettingsID, d.DestinationID = &backup.ID, &dmod.ID
	ds, err := store.CreateDataset(ctx, &d, nil)
	if err != nil {
		return err
	}
	s := qluster.NewDataSource(ds)
	s.Name = "files"
	src, err := store.CreateDataSource(ctx, &s, nil)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	it, err := engine.AddFile(ctx, qluster.AddFileParams{DataSourceID: src.ID, Name: filepath.Base(file), Body: f})
	f.Close()
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
		if got.IsIngested {
			fmt.Printf("%d rows written to %s, %d bad rows beside them\n", got.SuccessfulRowsCount,
				filepath.Join(out, ds.SchemaName, ds.TableName), got.BadRowsCount)
			return nil
		}
	}
	return fmt.Errorf("the file was not loaded in time")
}
