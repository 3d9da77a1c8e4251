package pgdest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

// copyIn runs sql, a COPY ... FROM STDIN, with data as its input, on a
// connection of the bundle's pool.
func (b *testBundle) copyIn(t *testing.T, sql string, data []byte) (pgconn.CommandTag, error) {
	t.Helper()
	conn, err := b.dest.Pool().Acquire(b.ctx)
	require.NoError(t, err)
	defer conn.Release()
	return conn.Conn().PgConn().CopyFrom(b.ctx, bytes.NewReader(data), sql)
}

// roundTrip is one value of a round trip: how to write it and its text form
// as PostgreSQL gives it back in UTC (nil for NULL).
type roundTrip struct {
	write func(w *RowWriter)
	want  *string
}

// rt is a roundTrip of a value that reads back as want.
func rt(want string, write func(w *RowWriter)) roundTrip { return roundTrip{write: write, want: &want} }

// rtNull is a roundTrip of NULL.
var rtNull = roundTrip{write: (*RowWriter).Null}

func TestRowWriterRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	numeric := func(dec, want string) roundTrip {
		return rt(want, func(w *RowWriter) { require.NoError(t, w.Numeric([]byte(dec))) })
	}
	date := func(tm time.Time, want string) roundTrip {
		return rt(want, func(w *RowWriter) { w.Date(DateFromTime(tm)) })
	}
	ts := func(tm time.Time, want string) roundTrip {
		return rt(want, func(w *RowWriter) { w.Timestamp(TimestampFromTime(tm)) })
	}
	text := func(s string) roundTrip {
		return rt(s, func(w *RowWriter) { w.Text([]byte(s)) })
	}
	textString := func(s string) roundTrip {
		return rt(s, func(w *RowWriter) { w.TextString(s) })
	}
	textArray := func(want string, elems ...string) roundTrip {
		return rt(want, func(w *RowWriter) {
			var bs [][]byte
			for _, e := range elems {
				bs = append(bs, []byte(e))
			}
			w.TextArray(bs)
		})
	}
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}

	for typ, fields := range map[string][]roundTrip{
		"boolean": {
			rt("true", func(w *RowWriter) { w.Bool(true) }),
			rt("false", func(w *RowWriter) { w.Bool(false) }),
			rtNull,
		},
		"smallint": {
			rt("-32768", func(w *RowWriter) { w.Int16(math.MinInt16) }),
			rt("32767", func(w *RowWriter) { w.Int16(math.MaxInt16) }),
			rt("0", func(w *RowWriter) { w.Int16(0) }),
			rtNull,
		},
		"integer": {
			rt("-2147483648", func(w *RowWriter) { w.Int32(math.MinInt32) }),
			rt("2147483647", func(w *RowWriter) { w.Int32(math.MaxInt32) }),
			rt("-1", func(w *RowWriter) { w.Int32(-1) }),
			rtNull,
		},
		"bigint": {
			rt("-9223372036854775808", func(w *RowWriter) { w.Int64(math.MinInt64) }),
			rt("9223372036854775807", func(w *RowWriter) { w.Int64(math.MaxInt64) }),
			rt("42", func(w *RowWriter) { w.Int64(42) }),
			rtNull,
		},
		"real": {
			rt("1.5", func(w *RowWriter) { w.Float32(1.5) }),
			rt("0.1", func(w *RowWriter) { w.Float32(0.1) }),
			rt("-Infinity", func(w *RowWriter) { w.Float32(float32(math.Inf(-1))) }),
			rtNull,
		},
		"double precision": {
			rt("0.1", func(w *RowWriter) { w.Float64(0.1) }),
			rt("-1e+300", func(w *RowWriter) { w.Float64(-1e300) }),
			rt("-0", func(w *RowWriter) { w.Float64(math.Copysign(0, -1)) }),
			rt("NaN", func(w *RowWriter) { w.Float64(math.NaN()) }),
			rt("Infinity", func(w *RowWriter) { w.Float64(math.Inf(1)) }),
			rt("5e-324", func(w *RowWriter) { w.Float64(5e-324) }),
			rtNull,
		},
		"numeric": {
			numeric("0", "0"),
			numeric("-0.5", "-0.5"),
			numeric("0.000001", "0.000001"),
			numeric("0.000123", "0.000123"),
			numeric("0.00001", "0.00001"),
			numeric("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"),
			numeric("-1234.50", "-1234.50"),
			numeric("-42", "-42"),
			numeric("1.50", "1.50"),
			numeric("100.000", "100.000"),
			numeric("-0.00", "0.00"),
			numeric("0.0", "0.0"),
			numeric("10000", "10000"),
			numeric("100000000", "100000000"),
			numeric("9999", "9999"),
			numeric("00012.3400", "12.3400"),
			numeric("-000", "0"),
			numeric("0.10000000", "0.10000000"),
			numeric("12345678.87654321", "12345678.87654321"),
			numeric("1"+strings.Repeat("0", 1000), "1"+strings.Repeat("0", 1000)),
			numeric("-0."+strings.Repeat("0", 999)+"1", "-0."+strings.Repeat("0", 999)+"1"),
			rtNull,
		},
		"numeric(6,2)": {
			numeric("1.005", "1.01"), // rounded by the column's typmod, as text input is
			numeric("-1234.5", "-1234.50"),
		},
		"date": {
			date(utc(2000, 1, 1, 0, 0, 0, 0), "2000-01-01"),
			date(utc(1999, 12, 31, 23, 59, 0, 0), "1999-12-31"),
			date(utc(1970, 1, 1, 0, 0, 0, 0), "1970-01-01"),
			date(utc(1600, 2, 29, 0, 0, 0, 0), "1600-02-29"),
			date(utc(1, 1, 1, 0, 0, 0, 0), "0001-01-01"),
			date(utc(2024, 2, 29, 0, 0, 0, 0), "2024-02-29"),
			date(utc(9999, 12, 31, 0, 0, 0, 0), "9999-12-31"),
			date(time.Date(2024, 3, 1, 1, 0, 0, 0, tokyo), "2024-03-01"), // the date in t's location
			rtNull,
		},
		"timestamptz": {
			ts(utc(2000, 1, 1, 0, 0, 0, 0), "2000-01-01 00:00:00+00"),
			ts(utc(2024, 3, 5, 6, 7, 8, 123456789), "2024-03-05 06:07:08.123456+00"),
			ts(utc(1969, 12, 31, 23, 59, 59, 999999000), "1969-12-31 23:59:59.999999+00"),
			ts(utc(1999, 12, 31, 23, 59, 59, 999999999), "1999-12-31 23:59:59.999999+00"),
			ts(time.Date(2024, 3, 1, 1, 0, 0, 500000000, tokyo), "2024-02-29 16:00:00.5+00"),
			ts(utc(1, 1, 1, 0, 0, 0, 1000), "0001-01-01 00:00:00.000001+00"),
			rtNull,
		},
		"timestamp": {
			ts(utc(2024, 3, 5, 6, 7, 8, 120000000), "2024-03-05 06:07:08.12"),
			ts(utc(1900, 1, 1, 0, 0, 0, 0), "1900-01-01 00:00:00"),
			rtNull,
		},
		"time": {
			rt("00:00:00", func(w *RowWriter) { w.Time(0) }),
			rt("12:34:56.5", func(w *RowWriter) { w.Time(((12*60+34)*60+56)*1e6 + 5e5) }),
			rt("23:59:59.999999", func(w *RowWriter) { w.Time(86400e6 - 1) }),
			rt("24:00:00", func(w *RowWriter) { w.Time(86400e6) }),
			rtNull,
		},
		"text": {
			text(""),
			text("héllo ✓"),
			text("a,b \"c\"\nd\\e\t"),
			textString(""),
			textString("plain"),
			rtNull,
		},
		"varchar(5)": {text("abcde"), rtNull},
		"json":       {text(`{"b": 1, "a": [1,2]}`), rtNull},
		"jsonb": {
			rt(`{"a": [1, 2], "b": "x"}`, func(w *RowWriter) { w.JSONB([]byte(`{"b":"x","a":[1,2]}`)) }),
			rt(`{}`, func(w *RowWriter) { w.JSONB([]byte(`{}`)) }),
			rt(`"é"`, func(w *RowWriter) { w.JSONB([]byte(`"é"`)) }),
			rtNull,
		},
		"text[]": {
			textArray("{}"),
			textArray("{a}", "a"),
			textArray(`{a,"b c","",NULLX,"NULL","q\"d","b\\s","{x}",é}`, "a", "b c", "", "NULLX", "NULL", `q"d`, `b\s`, "{x}", "é"),
			rt(`{""}`, func(w *RowWriter) { w.TextArray([][]byte{nil}) }),
			rtNull,
		},
	} {
		t.Run(typ, func(t *testing.T) {
			table := `"` + strings.NewReplacer(" ", "_", "(", "_", ")", "", ",", "_", "[]", "_array").Replace(typ) + `"`
			b.exec(t, "CREATE TABLE "+table+" (i integer, v "+typ+")")
			var w RowWriter
			w.Header()
			var want []*string
			for i, f := range fields {
				w.StartRow(2)
				w.Int32(int32(i))
				f.write(&w)
				want = append(want, f.want)
			}
			w.Trailer()
			tag, err := b.copyIn(t, "COPY "+table+" (i, v) FROM STDIN (FORMAT binary)", w.Bytes())
			require.NoError(t, err)
			require.Equal(t, int64(len(fields)), tag.RowsAffected())
			require.Equal(t, want, b.strings(t, "SELECT v::text FROM "+table+" ORDER BY i"))
		})
	}
}

// TestRowWriterNumericRandom checks Numeric against PostgreSQL's own reading
// of the same text, on random decimals with runs of zeros.
func TestRowWriterNumericRandom(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	digits := func(n int) string {
		var sb strings.Builder
		for range n {
			if rng.IntN(3) == 0 {
				sb.WriteByte('0') // zeros are the interesting digits
			} else {
				sb.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		return sb.String()
	}
	const n = 5000
	var w RowWriter
	w.Header()
	for i := range n {
		dec := digits(1 + rng.IntN(25))
		if rng.IntN(2) == 0 {
			dec += "." + digits(1+rng.IntN(25))
		}
		if rng.IntN(2) == 0 {
			dec = "-" + dec
		}
		w.StartRow(3)
		w.Int32(int32(i))
		require.NoError(t, w.Numeric([]byte(dec)))
		w.TextString(dec)
	}
	w.Trailer()
	b.exec(t, "CREATE TABLE r (i integer, v numeric, s text)")
	_, err := b.copyIn(t, "COPY r FROM STDIN (FORMAT binary)", w.Bytes())
	require.NoError(t, err)
	require.Empty(t, b.strings(t, "SELECT i || ': ' || s || ' read as ' || v::text FROM r WHERE v::text IS DISTINCT FROM s::numeric::text"))
	require.Equal(t, []*string{ptr(fmt.Sprint(n))}, b.strings(t, "SELECT count(*)::text FROM r"))
}

func TestRowWriterNumericRefuses(t *testing.T) {
	t.Parallel()
	for _, dec := range []string{"", "-", "+1", ".5", "-.5", "1.", "1.2.3", "1e3", "12e-3", " 1", "1 ", "NaN", "Infinity", "1,5", "0x10", "--1", "1-"} {
		var w RowWriter
		w.StartRow(1)
		err := w.Numeric([]byte(dec))
		require.ErrorIs(t, err, errNumericSyntax, "%q", dec)
		require.Equal(t, 2, w.Len(), "%q: nothing is written on error", dec)
	}
	var w RowWriter
	require.ErrorContains(t, w.Numeric([]byte("1"+strings.Repeat("0", numericMaxIntDigits))), "PostgreSQL allows")
	require.ErrorContains(t, w.Numeric([]byte("0."+strings.Repeat("1", numericMaxScale+1))), "PostgreSQL allows")
	require.NoError(t, w.Numeric([]byte("0."+strings.Repeat("1", numericMaxScale))))
}

func TestRowWriterBuffer(t *testing.T) {
	t.Parallel()
	var w RowWriter
	w.Header()
	require.Equal(t, []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00"), w.Bytes())
	n := w.Len()
	w.StartRow(2)
	w.Int64(1)
	w.Truncate(n)
	require.Equal(t, 19, w.Len())
	w.Trailer()
	require.Equal(t, []byte{0xff, 0xff}, w.Bytes()[19:])
	require.Panics(t, func() { w.Truncate(w.Len() + 1) })
	w.Reset()
	require.Zero(t, w.Len())
}

// benchRowFields are the values writeBenchRow writes.
var (
	benchDecimal = []byte("-1234567.8901")
	benchText    = []byte("Somewhere over the rainbow")
	benchJSON    = []byte(`{"a":1,"b":[true,null]}`)
	benchTags    = [][]byte{[]byte("red"), []byte("green"), []byte("blue")}
	benchTime    = time.Date(2024, 3, 5, 6, 7, 8, 9000, time.UTC)
)

// writeBenchRow writes one row of every type.
func writeBenchRow(w *RowWriter, i int) {
	w.StartRow(14)
	w.Null()
	w.Bool(i&1 == 0)
	w.Int16(int16(i))
	w.Int32(int32(i))
	w.Int64(int64(i))
	w.Float64(float64(i) / 3)
	if err := w.Numeric(benchDecimal); err != nil {
		panic(err)
	}
	w.Date(DateFromTime(benchTime))
	w.Timestamp(TimestampFromTime(benchTime))
	w.Time(int64(i))
	w.Text(benchText)
	w.TextString("short")
	w.JSONB(benchJSON)
	w.TextArray(benchTags)
}

// TestRowWriterDoesNotAllocate is not parallel: AllocsPerRun counts the
// allocations of the whole process.
func TestRowWriterDoesNotAllocate(t *testing.T) {
	var w RowWriter
	writeBenchRow(&w, 0) // grow the buffer
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		w.Reset()
		writeBenchRow(&w, i)
		i++
	})
	require.Zero(t, allocs)
}

// BenchmarkRowWriter writes rows of every type (one op is one row),
// flushing every 64 KiB as a loader would.
func BenchmarkRowWriter(b *testing.B) {
	var w RowWriter
	b.ReportAllocs()
	w.Header()
	i := 0
	for b.Loop() {
		writeBenchRow(&w, i)
		if w.Len() >= 64<<10 {
			w.Reset()
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
