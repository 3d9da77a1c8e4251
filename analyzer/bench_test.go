package analyzer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// messyCSV generates a 12-column CSV with quoting, embedded delimiters and
// newlines, currency, null markers, dates and timestamps, as an
// io.Reader of rows rows (or of at least size bytes when rows < 0).
type messyCSV struct {
	rng   *rand.Rand
	rows  int
	size  int64
	n     int
	out   int64
	buf   []byte
	start int
}

const messyColumns = 12

func newMessyCSV(rows int, size int64) *messyCSV {
	m := &messyCSV{rng: rand.New(rand.NewPCG(1, 2)), rows: rows, size: size}
	m.buf = append(m.buf, "id,name,email,amount,signup_date,last_seen,active,score,status,zip,notes,ratio\n"...)
	return m
}

var (
	messyNames    = []string{"Alice", "Bob", `"Smith, John"`, "Ça va", `"Said ""hi"""`, "Zoë", "O'Brien", "Lee"}
	messyStatuses = []string{"new", "active", "churned", "N/A", "", "paused"}
	messyNotes    = []string{"", "ok", `"multi` + "\n" + `line, note"`, "call back", `"a ""quoted"" word"`, "NULL"}
)

func (m *messyCSV) row() {
	r := m.rng
	i := m.n + 1
	b := m.buf
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, ',')
	b = append(b, messyNames[r.IntN(len(messyNames))]...)
	b = append(b, ',')
	b = append(b, "user"...)
	b = strconv.AppendInt(b, int64(r.IntN(100000)), 10)
	b = append(b, "@example.com,"...)
	if r.IntN(20) == 0 {
		b = append(b, "N/A"...)
	} else {
		c := r.IntN(500000)
		b = append(b, `"$`...)
		if c >= 100000 {
			b = strconv.AppendInt(b, int64(c/100000), 10)
			b = append(b, ',')
			b = appendPad(b, (c/100)%1000, 3)
		} else {
			b = strconv.AppendInt(b, int64(c/100), 10)
		}
		b = append(b, '.')
		b = append(b, byte('0'+c%100/10), byte('0'+c%10))
		b = append(b, '"')
	}
	b = append(b, ',')
	mo, d, y := 1+r.IntN(12), 1+r.IntN(28), 2000+r.IntN(25)
	b = appendPad(b, mo, 2)
	b = append(b, '/')
	b = appendPad(b, d, 2)
	b = append(b, '/')
	b = appendPad(b, y, 4)
	b = append(b, ',')
	b = appendPad(b, y, 4)
	b = append(b, '-')
	b = appendPad(b, mo, 2)
	b = append(b, '-')
	b = appendPad(b, d, 2)
	b = append(b, 'T')
	b = appendPad(b, r.IntN(24), 2)
	b = append(b, ':')
	b = appendPad(b, r.IntN(60), 2)
	b = append(b, ':')
	b = appendPad(b, r.IntN(60), 2)
	b = append(b, "Z,"...)
	if r.IntN(2) == 0 {
		b = append(b, "yes,"...)
	} else {
		b = append(b, "no,"...)
	}
	b = strconv.AppendFloat(b, r.Float64()*1000, 'e', 3, 64)
	b = append(b, ',')
	b = append(b, messyStatuses[r.IntN(len(messyStatuses))]...)
	b = append(b, ',')
	b = appendPad(b, r.IntN(99999), 5)
	b = append(b, ',')
	b = append(b, messyNotes[r.IntN(len(messyNotes))]...)
	b = append(b, ',')
	b = strconv.AppendFloat(b, r.Float64(), 'f', 4, 64)
	if r.IntN(3) == 0 {
		b = append(b, '\r')
	}
	b = append(b, '\n')
	m.buf = b
	m.n++
}

// appendPad appends n zero-padded to width digits.
func appendPad(b []byte, n, width int) []byte {
	var d [20]byte
	i := len(d)
	for n > 0 || i > len(d)-width {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[i:]...)
}

func (m *messyCSV) Read(p []byte) (int, error) {
	for m.start == len(m.buf) {
		if (m.rows >= 0 && m.n >= m.rows) || (m.rows < 0 && m.out >= m.size) {
			return 0, io.EOF
		}
		m.buf, m.start = m.buf[:0], 0
		for len(m.buf) < 64<<10 && !((m.rows >= 0 && m.n >= m.rows) || (m.rows < 0 && m.out+int64(len(m.buf)) >= m.size)) {
			m.row()
		}
	}
	n := copy(p, m.buf[m.start:])
	m.start += n
	m.out += int64(n)
	return n, nil
}

var (
	benchFileOnce sync.Once
	benchFile     string
	benchSize     int64
	benchDir      string
)

// benchCSV writes the 1,000,000-row file once per process.
func benchCSV(b *testing.B) (string, int64) {
	b.Helper()
	benchFileOnce.Do(func() {
		dir, err := os.MkdirTemp("", "analyzer-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		benchFile = filepath.Join(dir, "messy_1m.csv")
		f, err := os.Create(benchFile)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(f, newMessyCSV(1_000_000, 0))
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
		benchSize = n
	})
	return benchFile, benchSize
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func reportCells(b *testing.B, rows int64) {
	sec := b.Elapsed().Seconds()
	if sec > 0 {
		b.ReportMetric(float64(rows*messyColumns)*float64(b.N)/sec, "cells/s")
	}
}

// BenchmarkEncodingCSV is the baseline: encoding/csv reading the file.
func BenchmarkEncodingCSV(b *testing.B) {
	path, size := benchCSV(b)
	b.SetBytes(size)
	var rows int64
	for b.Loop() {
		f, _ := os.Open(path)
		r := csv.NewReader(f)
		r.ReuseRecord = true
		r.FieldsPerRecord = -1
		rows = 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		f.Close()
	}
	reportCells(b, rows)
}

// BenchmarkCSVReader reads the file with the analyzer's reader (UTF-8
// check included).
func BenchmarkCSVReader(b *testing.B) {
	path, size := benchCSV(b)
	b.SetBytes(size)
	var rows int64
	for b.Loop() {
		f, _ := os.Open(path)
		dr, _ := decodeReader(f, EncUTF8)
		r := NewCSVReader(dr, Dialect{Delimiter: ',', Quote: '"'})
		rows = 0
		for {
			_, _, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		f.Close()
	}
	reportCells(b, rows)
}

// BenchmarkAnalyze runs the full analysis (kind, encoding, dialect,
// header, inference of every cell) of the 1,000,000-row file.
func BenchmarkAnalyze(b *testing.B) {
	path, size := benchCSV(b)
	b.SetBytes(size)
	var res *Result
	for b.Loop() {
		f, _ := os.Open(path)
		var err error
		res, err = Analyze(context.Background(), f, path, nil)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	reportCells(b, res.DataRows)
	if b.N == 1 {
		for _, c := range res.Columns {
			b.Logf("%-12s %-18s %v", c.Name, c.PGType(), c.DatetimeFormats)
		}
	}
}

// BenchmarkCast reads the file as ingestion does and casts every cell
// with the inferred columns.
func BenchmarkCast(b *testing.B) {
	path, size := benchCSV(b)
	f, _ := os.Open(path)
	res, err := Analyze(context.Background(), f, path, nil)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	var cells int64
	for b.Loop() {
		f, _ := os.Open(path)
		cells = 0
		err := Walk(context.Background(), f, path, nil, func(t *Table) error {
			rd, err := NewReader(t, nil)
			if err != nil {
				return err
			}
			rc, err := NewRowCaster(res.Columns, rd)
			if err != nil {
				return err
			}
			var vals []any
			for {
				row, _, err := rd.Next()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					var re *RowError
					if errors.As(err, &re) {
						continue
					}
					return err
				}
				var errs []*CastError
				if vals, errs = rc.Cast(row, vals); errs != nil {
					return errs[0]
				}
				cells += int64(len(vals))
			}
		})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	if sec := b.Elapsed().Seconds(); sec > 0 {
		b.ReportMetric(float64(cells)*float64(b.N)/sec, "cells/s")
	}
}

// BenchmarkAnalyze1GB analyses a generated 1 GiB CSV streamed from
// memory and reports the peak heap, which must stay flat.
func BenchmarkAnalyze1GB(b *testing.B) {
	size := int64(1 << 30)
	if s := os.Getenv("ANALYZER_BENCH_BYTES"); s != "" {
		size, _ = strconv.ParseInt(s, 10, 64)
	}
	b.SetBytes(size)
	for b.Loop() {
		runtime.GC()
		var peak atomic.Uint64
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			// runtime/metrics reads the heap without stopping the world.
			sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
				select {
				case <-done:
					return
				case <-t.C:
				}
			}
		}()
		res, err := Analyze(context.Background(), newMessyCSV(-1, size), "gen.csv", nil)
		close(done)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(res.DataRows), "rows")
	}
}

// TestMessyCSVGenerator checks the benchmark data is well formed.
func TestMessyCSVGenerator(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	io.Copy(&buf, newMessyCSV(2000, 0))
	res, err := Analyze(context.Background(), &buf, "messy.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.DataRows != 2000 || len(res.Columns) != messyColumns || res.BadRowCount != 0 {
		t.Fatalf("rows %d, columns %d, bad %d", res.DataRows, len(res.Columns), res.BadRowCount)
	}
	want := map[string]string{"id": "smallint", "amount": "numeric", "signup_date": "date", "last_seen": "timestamptz", "active": "boolean", "score": "double precision", "zip": "varchar(5)", "ratio": "numeric"}
	for _, c := range res.Columns {
		if w, ok := want[c.Name]; ok && c.PGType() != w {
			t.Errorf("%s: %s, want %s", c.Name, c.PGType(), w)
		}
	}
}

// BenchmarkInfer measures inference alone: 200,000 rows of the messy
// data, already split into cells, fed to one Inferer per column.
func BenchmarkInfer(b *testing.B) {
	const rows = 200_000
	var data bytes.Buffer
	io.Copy(&data, newMessyCSV(rows, 0))
	r := NewCSVReader(bytes.NewReader(data.Bytes()), Dialect{Delimiter: ',', Quote: '"'})
	var cells [][]string
	for {
		rec, _, err := r.Next()
		if err != nil {
			break
		}
		cells = append(cells, append([]string(nil), rec...))
	}
	header, cells := cells[0], cells[1:]
	s, _ := (*Options)(nil).compile()
	b.SetBytes(int64(data.Len()))
	b.ResetTimer()
	for b.Loop() {
		infs := make([]*Inferer, len(header))
		for i, h := range header {
			infs[i] = newInferer(s, h, h, i)
		}
		for _, row := range cells {
			for i, v := range row {
				infs[i].Observe(v)
			}
		}
		for _, in := range infs {
			in.Column()
		}
	}
	if sec := b.Elapsed().Seconds(); sec > 0 {
		b.ReportMetric(float64(len(cells)*messyColumns)*float64(b.N)/sec, "cells/s")
	}
}
