package qluster_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// benchRows is the size of the generated messy file (make bench: 1,000,000).
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("QLUSTER_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// writeMessy writes n rows of a 12-column messy CSV (currency with thousands
// separators and parenthesised negatives, day-first dates, yes/no booleans,
// null markers, padded cells, a few bad rows) and, beside it, the same rows
// clean for psql's \copy.
func writeMessy(b *testing.B, dir string, n int) (messy, clean string, bad int) {
	b.Helper()
	messy, clean = filepath.Join(dir, "messy.csv"), filepath.Join(dir, "clean.csv")
	mf, err := os.Create(messy)
	if err != nil {
		b.Fatal(err)
	}
	cf, err := os.Create(clean)
	if err != nil {
		b.Fatal(err)
	}
	mw, cw := bufio.NewWriterSize(mf, 1<<20), bufio.NewWriterSize(cf, 1<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	fmt.Fprintln(mw, "Export of orders")
	fmt.Fprintln(mw, "")
	fmt.Fprintln(mw, "Order ID,Customer,Amount,Order Date,Shipped At,Paid,Qty,Rate,Region,Email,Note,Code")
	regions := []string{"EU", "US", "APAC", "LATAM"}
	for i := range n {
		id := 100000 + i
		cents := rng.IntN(9_999_999)
		neg := i%17 == 0
		day, month, year := 1+i%28, 1+i%12, 2020+i%5
		h, mi, s := i%24, i%60, (i*7)%60
		paid := i%3 != 0
		qty := rng.IntN(500)
		rate := rng.Float64() * 100
		region := regions[i%4]
		amount := fmt.Sprintf("$%s.%02d", thousands(cents/100), cents%100)
		cleanAmount := fmt.Sprintf("%d.%02d", cents/100, cents%100)
		if neg {
			amount = "(" + amount + ")"
			cleanAmount = "-" + cleanAmount
		}
		note, cleanNote := "note "+strconv.Itoa(i%1000), "note "+strconv.Itoa(i%1000)
		if i%11 == 0 {
			note, cleanNote = "N/A", ""
		}
		dateS := fmt.Sprintf("%02d/%02d/%d", day, month, year)
		if i%50_000 == 49_999 {
			dateS = "31/02/2021" // a few bad rows
			bad++
		}
		yes := "yes"
		if !paid {
			yes = "no"
		}
		fmt.Fprintf(mw, "%d, Customer %d ,\"%s\",%s,%d-%02d-%02d %02d:%02d:%02d,%s,%d,%.4f,%s,user%d@example.com,%s,C-%05d\n",
			id, i%5000, amount, dateS, year, month, day, h, mi, s, yes, qty, rate, region, i%10000, note, i%99999)
		fmt.Fprintf(cw, "%d,Customer %d,%s,%d-%02d-%02d,%d-%02d-%02d %02d:%02d:%02d,%v,%d,%.4f,%s,user%d@example.com,%s,C-%05d\n",
			id, i%5000, cleanAmount, year, month, day, year, month, day, h, mi, s, paid, qty, rate, region, i%10000, cleanNote, i%99999)
	}
	if err := mw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := cw.Flush(); err != nil {
		b.Fatal(err)
	}
	mf.Close()
	cf.Close()
	return messy, clean, bad
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// BenchmarkIngest ingests a generated messy CSV end to end (read back from
// backup, sniff, cast every cell, binary COPY, quarantine) and, in the same
// run, loads the same rows already clean with psql's \copy: the ceiling.
// It reports both rates, their ratio, and the peak heap of the ingestion.
func BenchmarkIngest(b *testing.B) {
	n := benchRows()
	dir := b.TempDir()
	messy, clean, bad := writeMessy(b, dir, n)
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.NewDatabase(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	destURL := pgtest.NewDatabase(b)
	dest, err := server.DestinationFromURL("bench", destURL)
	if err != nil {
		b.Fatal(err)
	}
	if err := server.EnsureDefaults(ctx, store, dest); err != nil {
		b.Fatal(err)
	}
	eng, err := server.NewEngine(server.EngineOptions{Store: store, DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TrainingDelay: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	bs, _, _ := store.Default(ctx, postgres.DefaultBackupSettings)
	dst, _, _ := store.Default(ctx, postgres.DefaultDestination)
	d := qluster.NewDataset()
	d.Name, d.TableName, d.BackupSettingsID, d.DestinationID = "bench", "orders", &bs, &dst
	ds, err := store.CreateDataset(ctx, &d, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := qluster.NewDataSource(ds)
	s.Name = "bench"
	src, err := store.CreateDataSource(ctx, &s, nil)
	if err != nil {
		b.Fatal(err)
	}
	// Train on the file's first 5,000 lines, then send the whole file.
	sample, err := head(messy, 5000)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eng.AddFile(ctx, qluster.AddFileParams{DataSourceID: src.ID, Name: "sample.csv", Body: strings.NewReader(sample)}); err != nil {
		b.Fatal(err)
	}
	drain := func(q string) {
		for {
			ok, err := eng.RunOne(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				return
			}
		}
	}
	drain(qluster.QueueFiles)
	time.Sleep(5 * time.Millisecond)
	drain(qluster.QueueTraining)
	drain(qluster.QueueIngestion) // the sample itself
	f, err := os.Open(messy)
	if err != nil {
		b.Fatal(err)
	}
	full, err := eng.AddFile(ctx, qluster.AddFileParams{DataSourceID: src.ID, Name: "messy.csv", Body: f})
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	drain(qluster.QueueFiles)

	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	runtime.GC()
	b.ResetTimer()
	start := time.Now()
	drain(qluster.QueueIngestion)
	ingest := time.Since(start)
	b.StopTimer()
	close(done)
	it, err := store.GetStoredItem(ctx, full.ID)
	if err != nil {
		b.Fatal(err)
	}
	if it.SuccessfulRowsCount+it.BadRowsCount != int64(n) || it.BadRowsCount != int64(bad) {
		b.Fatalf("loaded %d good and %d bad rows of %d (%d bad expected)", it.SuccessfulRowsCount, it.BadRowsCount, n, bad)
	}

	// The ceiling: psql \copy of the same rows, clean, into a typed table.
	conn, err := pgx.Connect(ctx, destURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE ceiling (order_id integer, customer text, amount numeric, order_date date,
		shipped_at timestamp, paid boolean, qty smallint, rate double precision, region text, email text, note text, code text)`); err != nil {
		b.Fatal(err)
	}
	cstart := time.Now()
	out, err := exec.Command("psql", destURL, "-c", `\copy ceiling FROM '`+clean+`' CSV`).CombinedOutput()
	if err != nil {
		b.Fatalf("psql \\copy: %v: %s", err, out)
	}
	ceiling := time.Since(cstart)
	ingestRate := float64(n) / ingest.Seconds()
	ceilingRate := float64(n) / ceiling.Seconds()
	b.ReportMetric(ingestRate, "rows/s")
	b.ReportMetric(ceilingRate, "copy-rows/s")
	b.ReportMetric(100*ingestRate/ceilingRate, "%-of-copy")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.Logf("%d messy rows: ingestion %.0f rows/s (%s), psql \\copy of the clean rows %.0f rows/s (%s): %.0f%%; peak heap %.1f MiB; %s",
		n, ingestRate, ingest.Round(time.Millisecond), ceilingRate, ceiling.Round(time.Millisecond), 100*ingestRate/ceilingRate,
		float64(peak.Load())/(1<<20), strings.TrimSpace(string(out)))
}

// head returns the first n lines of a file.
func head(path string, n int) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(f)
	for i := 0; i < n && sc.Scan(); i++ {
		sb.WriteString(sc.Text())
		sb.WriteByte('\n')
	}
	return sb.String(), sc.Err()
}
