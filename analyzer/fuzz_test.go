package analyzer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Fuzz targets run their seed corpus as normal tests; explore with e.g.
// go test ./analyzer -run XXX -fuzz FuzzCSVReader -fuzztime 60s

func seedFiles(f *testing.F, max int) {
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasSuffix(n, ".json") && strings.Contains(n, ".golden") || strings.HasSuffix(n, ".options.json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err == nil && len(b) <= max {
			f.Add(b)
		}
	}
}

func FuzzSniffDialect(f *testing.F) {
	seedFiles(f, 4096)
	f.Add([]byte("a;b;c\n1;2;3\n"))
	f.Add([]byte("'x','y'\n'1','2'\n"))
	f.Add([]byte(`"a\"b",c` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := SniffDialect(string(data))
		if d.Delimiter != 0 && bytes.IndexByte(delimiterCandidates, d.Delimiter) < 0 {
			t.Fatalf("delimiter %q is no candidate", d.Delimiter)
		}
		switch d.LineTerminator {
		case "\n", "\r\n", "\r":
		default:
			t.Fatalf("line terminator %q", d.LineTerminator)
		}
	})
}

// readAll reads every record, failing on a hang (more records than bytes).
func readAll(t *testing.T, data []byte, d Dialect) [][]string {
	r := NewCSVReader(bytes.NewReader(data), d)
	var out [][]string
	for i := 0; ; i++ {
		if i > len(data)+1 {
			t.Fatalf("more records than bytes: the reader does not advance")
		}
		rec, line, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return out
		}
		if line < 1 {
			t.Fatalf("line %d", line)
		}
		out = append(out, append([]string(nil), rec...))
	}
}

func FuzzCSVReader(f *testing.F) {
	seedFiles(f, 4096)
	f.Add([]byte("a,b\n\"x,\"\"y\"\"\nz\",2\n"))
	f.Add([]byte("a,b\r\n1,2\r3,4"))
	f.Add([]byte(`"unterminated`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range []Dialect{
			{Delimiter: ',', Quote: '"'},
			{Delimiter: ';', Quote: '\'', Escape: '\\'},
			{Delimiter: '\t'},
			{Quote: '"', Escape: '"'},
		} {
			readAll(t, data, d)
		}
		// Where encoding/csv reads the input without error (and there is
		// no CR, which it treats differently), both must agree.
		if bytes.IndexByte(data, '\r') >= 0 {
			return
		}
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		want, err := cr.ReadAll()
		if err != nil {
			return
		}
		got := readAll(t, data, Dialect{Delimiter: ',', Quote: '"'})
		if len(got) != len(want) {
			t.Fatalf("%d records, encoding/csv %d\n%q\n%q", len(got), len(want), got, want)
		}
		for i := range want {
			if strings.Join(got[i], "\x00") != strings.Join(want[i], "\x00") {
				t.Fatalf("record %d: %q, encoding/csv %q", i, got[i], want[i])
			}
		}
	})
}

func FuzzFormatParse(f *testing.F) {
	f.Add("%Y-%m-%dT%H:%M:%S.%f%z", "2021-03-15T14:30:00.123+02:00")
	f.Add("%d-%b-%Y", "05-Jan-2021")
	f.Add("%I:%M %p", "12:30 AM")
	f.Add("%s", "1609459200.5")
	f.Add("%j/%y", "366/20")
	f.Add("%a, %d %B %Y %Z", "Mon, 05 September 2021 GMT")
	f.Fuzz(func(t *testing.T, format, value string) {
		fm, err := CompileFormat(format)
		if err != nil {
			return
		}
		if p, ok := fm.Parse(value); ok {
			_ = p.Time()
		}
	})
}

func FuzzCast(f *testing.F) {
	for _, v := range []string{"", "1", "-32768", "99999999999999999999", "$1,234.56", "(12.00)", "1.234,5", "1e308", "NaN",
		"2021-01-02", "13/01/2021", "10:30 PM", "{'a': True}", "{a,\"b c\"}", "x|y", "a@b.co", "yes", "N/A", "€ 12", "USD 5"} {
		for typ := 0; typ <= int(TypeTextArray); typ++ {
			f.Add(v, uint8(typ))
		}
	}
	f.Fuzz(func(t *testing.T, value string, typ uint8) {
		c := &Column{Name: "c", Type: Type(int(typ) % (int(TypeTextArray) + 1)), Length: 8,
			DatetimeFormats: []string{"%Y-%m-%d", "%d/%m/%Y", "%I:%M %p", "%Y-%m-%dT%H:%M:%S%z"},
			Number:          NumberStyle{Thousands: ",", Currency: true, Parens: true}, ArrayDelimiter: "|"}
		if typ&0x80 != 0 {
			c.Number = NumberStyle{Decimal: ",", Thousands: "."}
			c.DollarToCent = c.Type == TypeBigInt
			c.IsEmail = c.Type == TypeText
		}
		if err := c.Compile(&Options{MaxTriesToFixJSON: 4}); err != nil {
			t.Fatal(err)
		}
		v, err := Cast(value, c)
		if err != nil {
			var ce *CastError
			if !errors.As(err, &ce) || ce.Value != value || ce.Column != "c" || ce.Want == "" {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if v == nil && !c.IsNull(value) {
			t.Fatalf("nil for non-null %q", value)
		}
	})
}

// FuzzInfer checks the central property: every non-null value of a column
// casts with the type and formats inferred for it.
func FuzzInfer(f *testing.F) {
	f.Add("1\n2\n3")
	f.Add("01/02/2021\n25/12/2021\n")
	f.Add("$1,234.50\n(3.00)\n")
	f.Add("1.234,5\n12,5")
	f.Add("2021-01-05\n25/01/2021\n10:00")
	f.Add("{\"a\":1}\n[1]")
	f.Add("yes\nno\nN/A")
	f.Add("1e5\n2.5\ninf")
	f.Add("1609459200\n1612137600")
	f.Add("1e5\nabc")
	f.Add("10,0000\n0.")
	f.Fuzz(func(t *testing.T, col string) {
		values := strings.Split(col, "\n")
		for _, strict := range []bool{false, true} {
			opts := &Options{StrictlyOneDatetimeFormatInAColumn: strict, ArrayDelimiters: []string{"|"},
				InferDatetimeForColumns: []string{"c"}, MaxTriesToFixJSON: 4, DollarToCent: len(values)%2 == 0}
			if len(values)%3 == 0 {
				opts.DatetimeFormats = []string{"%Y%m%d", "%d/%m/%Y"}
			}
			in, err := NewInferer("c", 0, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range values {
				in.Observe(v)
			}
			c := in.Column()
			for _, v := range values {
				if _, err := Cast(v, c); err != nil {
					t.Fatalf("strict=%v: inferred %s %v but: %v", strict, c.PGType(), c.DatetimeFormats, err)
				}
			}
		}
	})
}

// FuzzAnalyze feeds arbitrary bytes to Analyze: errors are fine, panics
// and hangs are not.
func FuzzAnalyze(f *testing.F) {
	seedFiles(f, 8192)
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = AnalyzeAll(ctx, bytes.NewReader(data), "fuzz", &Options{FilePassword: "s3cret", GPGPassphrase: testPassphrase})
		if ctx.Err() != nil {
			t.Fatal("analysis did not finish in time")
		}
	})
}
