package pgdest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/qluster"
)

// benchRowCount is the number of rows BenchmarkLoad and
// BenchmarkPsqlCopyCeiling load per op.
const benchRowCount = 1_000_000

// benchSchema is the table both benchmarks load: 12 data columns of the
// types the engine produces, after the 5 metadata columns.
var benchSchema = schemaOf(
	"c_int", "integer",
	"c_bigint", "bigint",
	"c_numeric", "numeric",
	"c_double", "double precision",
	"c_date", "date",
	"c_ts", "timestamptz",
	"c_bool", "boolean",
	"c_name", "text",
	"c_email", "text",
	"c_note", "text",
	"c_tags", "text[]",
	"c_doc", "jsonb",
)

// benchData holds pools of values that rows cycle through, so that making
// a row costs little beside encoding it.
type benchData struct {
	decimals, names, emails, notes, docs [][]byte
	tags                                 [][][]byte
}

// benchBase is the first row's timestamp; row i is i×1.000003 s later.
var benchBase = time.Date(2019, 6, 1, 12, 0, 0, 0, time.UTC)

func newBenchData() *benchData {
	rng := rand.New(rand.NewPCG(1, 2))
	d := &benchData{}
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima"}
	word := func() string { return words[rng.IntN(len(words))] }
	for i := range 1024 {
		d.decimals = append(d.decimals, fmt.Appendf(nil, "%s%d.%0*d", []string{"", "-"}[rng.IntN(2)], rng.IntN(1_000_000), 1+i%4, rng.IntN(10000)%[]int{10, 100, 1000, 10000}[i%4]))
		d.names = append(d.names, []byte(strings.ToUpper(word()[:1])+word()[1:]+" "+word()))
		d.emails = append(d.emails, fmt.Appendf(nil, "%s.%s%d@example.com", word(), word(), rng.IntN(1000)))
		d.notes = append(d.notes, fmt.Appendf(nil, `Order %d for %s, "%s" delivery; note: %s %s %s`, rng.IntN(100000), word(), word(), word(), word(), word()))
		var tags [][]byte
		for range rng.IntN(4) {
			tags = append(tags, []byte(word()))
		}
		if i%7 == 0 {
			tags = append(tags, []byte("two words"))
		}
		d.tags = append(d.tags, tags)
		d.docs = append(d.docs, fmt.Appendf(nil, `{"source": "%s", "score": %d, "flags": [%t, null], "ref": "%s-%d"}`, word(), rng.IntN(100), rng.IntN(2) == 0, word(), i))
	}
	return d
}

// benchRow is row i's values that are not taken from the pools.
type benchRow struct {
	line   int64
	sig    [32]byte
	i32    int32
	i64    int64
	double float64
	days   int32
	micros int64
	flag   bool
	pool   int // index into the pools
	noNote bool
}

func makeBenchRow(i int) benchRow {
	x := uint64(i)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e5
	x ^= x >> 29
	var h [16]byte
	binary.BigEndian.PutUint64(h[:], x)
	binary.BigEndian.PutUint64(h[8:], x*0xbf58476d1ce4e5b9)
	r := benchRow{
		line:   int64(i) + 2,
		i32:    int32(i),
		i64:    int64(i) * 1_000_003,
		double: float64(i) * 0.125,
		days:   int32(i%20000) - 5000,
		micros: TimestampFromTime(benchBase) + int64(i)*1_000_003,
		flag:   i%3 == 0,
		pool:   int(x % 1024),
		noNote: i%10 == 0,
	}
	hex.Encode(r.sig[:], h[:])
	return r
}

// benchIngestedAt is every bench row's _ingested_at.
var benchIngestedAt = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// writeBinary writes row i of stored item item.
func (d *benchData) writeBinary(w *RowWriter, item int64, i int) {
	r := makeBenchRow(i)
	w.StartRow(5 + 12)
	w.Int64(item)
	w.Int64(1)
	w.Int64(r.line)
	w.Text(r.sig[:])
	w.Timestamp(TimestampFromTime(benchIngestedAt))
	w.Int32(r.i32)
	w.Int64(r.i64)
	if err := w.Numeric(d.decimals[r.pool]); err != nil {
		panic(err)
	}
	w.Float64(r.double)
	w.Date(r.days)
	w.Timestamp(r.micros)
	w.Bool(r.flag)
	w.Text(d.names[r.pool])
	w.Text(d.emails[r.pool])
	if r.noNote {
		w.Null()
	} else {
		w.Text(d.notes[r.pool])
	}
	w.TextArray(d.tags[r.pool])
	w.JSONB(d.docs[r.pool])
}

// writeStream writes rows [0, n) of stored item item as a binary COPY
// stream to out, flushing every 256 KiB as a loader would.
func (d *benchData) writeStream(out io.Writer, item int64, n int) error {
	var w RowWriter
	w.Header()
	for i := range n {
		d.writeBinary(&w, item, i)
		if w.Len() >= 256<<10 {
			if _, err := out.Write(w.Bytes()); err != nil {
				return err
			}
			w.Reset()
		}
	}
	w.Trailer()
	_, err := out.Write(w.Bytes())
	return err
}

// appendCSV appends row i of stored item item as a CSV line with the same
// values as writeBinary's.
func (d *benchData) appendCSV(b []byte, item int64, i int) []byte {
	r := makeBenchRow(i)
	b = strconv.AppendInt(b, item, 10)
	b = append(b, ",1,"...)
	b = strconv.AppendInt(b, r.line, 10)
	b = append(b, ',')
	b = append(b, r.sig[:]...)
	b = benchIngestedAt.AppendFormat(append(b, ','), "2006-01-02 15:04:05.999999Z07:00")
	b = strconv.AppendInt(append(b, ','), int64(r.i32), 10)
	b = strconv.AppendInt(append(b, ','), r.i64, 10)
	b = append(append(b, ','), d.decimals[r.pool]...)
	b = strconv.AppendFloat(append(b, ','), r.double, 'g', -1, 64)
	b = time.Unix(int64(r.days+pgEpochDays)*86400, 0).UTC().AppendFormat(append(b, ','), "2006-01-02")
	b = time.UnixMicro(r.micros+pgEpochMicros).UTC().AppendFormat(append(b, ','), "2006-01-02 15:04:05.999999Z07:00")
	b = strconv.AppendBool(append(b, ','), r.flag)
	b = appendCSVField(append(b, ','), d.names[r.pool])
	b = appendCSVField(append(b, ','), d.emails[r.pool])
	b = append(b, ',')
	if !r.noNote {
		b = appendCSVField(b, d.notes[r.pool])
	}
	b = appendCSVField(append(b, ','), arrayLiteral(d.tags[r.pool]))
	b = appendCSVField(append(b, ','), d.docs[r.pool])
	return append(b, '\n')
}

// appendCSVField appends v as a CSV field, quoted when it must be (an
// unquoted empty field is NULL).
func appendCSVField(b, v []byte) []byte {
	if len(v) > 0 && !bytes.ContainsAny(v, ",\"\r\n") {
		return append(b, v...)
	}
	b = append(b, '"')
	for _, c := range v {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

// arrayLiteral returns elems as a text[] literal, quoting every element.
func arrayLiteral(elems [][]byte) []byte {
	b := []byte{'{'}
	for i, e := range elems {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		for _, c := range e {
			if c == '"' || c == '\\' {
				b = append(b, '\\')
			}
			b = append(b, c)
		}
		b = append(b, '"')
	}
	return append(b, '}')
}

// benchTable is the table the benchmarks load.
var benchTable = qluster.TableRef{Schema: "bench", Table: "rows"}

// benchColumns are benchSchema's column names.
func benchColumns() []string {
	cols := make([]string, len(benchSchema.Columns))
	for i, c := range benchSchema.Columns {
		cols[i] = c.Name
	}
	return cols
}

// benchDestination opens a Destination on a fresh database holding
// benchTable, and returns it with the database's URL.
func benchDestination(tb testing.TB) (*Destination, string) {
	tb.Helper()
	u := pgtest.NewDatabase(tb)
	d, err := OpenURL(tb.Context(), u, nil)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, d.Close()) })
	require.NoError(tb, d.Apply(tb.Context(), benchTable, benchSchema))
	return d, u
}

// TestBenchRowsMatch checks that the two benchmarks load the same rows:
// BenchmarkLoad's binary stream and BenchmarkPsqlCopyCeiling's CSV give
// equal tables.
func TestBenchRowsMatch(t *testing.T) {
	t.Parallel()
	d, _ := benchDestination(t)
	data := newBenchData()
	const n = 3000
	var stream bytes.Buffer
	require.NoError(t, data.writeStream(&stream, 1, n))
	res, err := d.Load(t.Context(), benchTable, LoadParams{StoredItemID: 1, Columns: benchColumns()}, &stream, nil)
	require.NoError(t, err)
	require.Equal(t, int64(n), res.Rows)

	csvTable := qluster.TableRef{Schema: "bench", Table: "csv"}
	require.NoError(t, d.Apply(t.Context(), csvTable, benchSchema))
	var csv []byte
	for i := range n {
		csv = data.appendCSV(csv, 1, i)
	}
	conn, err := d.Pool().Acquire(t.Context())
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Conn().PgConn().CopyFrom(t.Context(), bytes.NewReader(csv), "COPY bench.csv FROM STDIN (FORMAT csv)")
	require.NoError(t, err)

	sum := func(table string) (nulls int, digest string) {
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE c_note IS NULL),
			md5(string_agg(x::text, E'\n' ORDER BY _line_number)) FROM `+table+` x`).Scan(&nulls, &digest))
		return nulls, digest
	}
	binNulls, binDigest := sum("bench.rows")
	csvNulls, csvDigest := sum("bench.csv")
	require.Equal(t, n/10, binNulls)
	require.Equal(t, csvNulls, binNulls)
	require.Equal(t, csvDigest, binDigest)
}

// BenchmarkLoad loads benchRowCount rows per op with Load, end to end:
// a goroutine encodes them with RowWriter into an io.Pipe while Load
// streams the pipe to the server. Compare its rows/s with
// BenchmarkPsqlCopyCeiling's.
func BenchmarkLoad(b *testing.B) {
	d, _ := benchDestination(b)
	data := newBenchData()
	cols := benchColumns()
	b.ReportAllocs()
	var rows int64
	item := int64(0)
	for b.Loop() {
		item++
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(data.writeStream(pw, item, benchRowCount)) }()
		res, err := d.Load(b.Context(), benchTable, LoadParams{StoredItemID: item, DataSourceModelID: 1, Columns: cols}, pr, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows += res.Rows
	}
	if rows != int64(b.N)*benchRowCount {
		b.Fatalf("loaded %d rows, want %d", rows, int64(b.N)*benchRowCount)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPsqlCopyCeiling loads the same rows as BenchmarkLoad into the
// same table shape with psql's \copy of a clean CSV file (written before
// the timer starts): the speed Load is measured against.
func BenchmarkPsqlCopyCeiling(b *testing.B) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		b.Skip("psql is not installed")
	}
	_, dbURL := benchDestination(b)
	u, err := url.Parse(dbURL)
	require.NoError(b, err)

	data := newBenchData()
	file := filepath.Join(b.TempDir(), "rows.csv")
	f, err := os.Create(file)
	require.NoError(b, err)
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	for i := range benchRowCount {
		line = data.appendCSV(line[:0], 1, i)
		_, err := w.Write(line)
		require.NoError(b, err)
	}
	require.NoError(b, w.Flush())
	require.NoError(b, f.Close())

	copyCmd := `\copy ` + quoteTable(benchTable) + ` FROM '` + file + `' CSV`
	args := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", u.Hostname(), "-U", u.User.Username(), "-d", strings.TrimPrefix(u.Path, "/"), "-c", copyCmd}
	if p := u.Port(); p != "" {
		args = append(args, "-p", p)
	}
	env := os.Environ()
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
	}
	b.ReportAllocs()
	for b.Loop() {
		cmd := exec.CommandContext(b.Context(), psql, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", copyCmd, err, out)
		}
	}
	b.ReportMetric(float64(b.N)*benchRowCount/b.Elapsed().Seconds(), "rows/s")
}
