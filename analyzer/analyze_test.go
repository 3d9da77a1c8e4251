package analyzer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestAnalyzeCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Analyze(ctx, strings.NewReader("a,b\n1,2\n"), "x.csv", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// Cancelled in the middle of a long file.
	ctx, cancel = context.WithCancel(context.Background())
	r := &cancelAfter{r: newMessyCSV(200000, 0), n: 1 << 20, cancel: cancel}
	_, err = Analyze(ctx, r, "big.csv", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n -= n
	if c.n <= 0 {
		c.cancel()
	}
	return n, err
}

func TestTablesIterator(t *testing.T) {
	t.Parallel()
	z := zipBytes(t, map[string][]byte{"a.csv": []byte("x\n1\n"), "b.csv": []byte("y\n2\n"), "c.csv": []byte("z\n3\n")}, "", 0)
	var names []string
	for tb, err := range Tables(context.Background(), bytes.NewReader(z), "t.zip", nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tb.Name)
		if len(names) == 2 {
			break
		}
	}
	if strings.Join(names, ",") != "t.zip/a.csv,t.zip/b.csv" {
		t.Fatalf("%v", names)
	}
	for _, err := range Tables(context.Background(), strings.NewReader("\x00\x01\x02binary"), "x.bin", nil) {
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("got %v, want ErrUnsupported", err)
		}
	}
}

func TestMaxRowsAndBadRowCap(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a,b\n")
	for i := 0; i < 5000; i++ {
		b.WriteString("1,2\n3\n")
	}
	res, err := Analyze(context.Background(), strings.NewReader(b.String()), "x.csv", &Options{MaxBadRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.DataRows != 5000 || res.BadRowCount != 5000 || len(res.BadRows) != 3 || res.BadRows[2].Line != 7 {
		t.Fatalf("rows %d bad %d kept %d %+v", res.DataRows, res.BadRowCount, len(res.BadRows), res.BadRows)
	}
	res, err = Analyze(context.Background(), strings.NewReader(b.String()), "x.csv", &Options{MaxRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.DataRows != 10 {
		t.Fatalf("rows %d, want 10", res.DataRows)
	}
}

func TestZipSkipsMembersWithoutTables(t *testing.T) {
	t.Parallel()
	z := zipBytes(t, map[string][]byte{"a.csv": []byte("x\n1\n"), "img.png": {0x89, 'P', 'N', 'G', 0, 0, 0, 0, 1, 2, 0, 0}}, "", 0)
	res, err := AnalyzeAll(context.Background(), bytes.NewReader(z), "a.zip", nil)
	if err != nil || len(res) != 1 || res[0].Name != "a.zip/a.csv" {
		t.Fatalf("%v %v", res, err)
	}
}

func TestReaderForIngestion(t *testing.T) {
	t.Parallel()
	data := "title\n\nid,secret,meta\n1,x,\"{\"\"k\"\": 5}\"\n2,y,\"{\"\"k\"\": 7}\"\n"
	opts := &Options{IgnoreColumnNames: []string{"secret"}, FieldsToExpand: []string{"meta"}}
	res, err := Analyze(context.Background(), strings.NewReader(data), "x.csv", opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = Walk(context.Background(), strings.NewReader(data), "x.csv", opts, func(tb *Table) error {
		rd, err := NewReader(tb, opts)
		if err != nil {
			return err
		}
		if rd.HeaderLine() != 3 || strings.Join(rd.Names(), ",") != "id,meta" {
			t.Fatalf("header line %d names %v", rd.HeaderLine(), rd.Names())
		}
		for {
			row, _, err := rd.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			for _, c := range res.Columns {
				v := ""
				if c.ExpandedFrom != "" {
					v, _ = JSONField(row[1], c.JSONKey)
				} else {
					v = row[indexOf(rd.Indexes(), c.Index)]
				}
				x, err := Cast(v, c)
				if err != nil {
					return err
				}
				got = append(got, c.Name+"="+strings.TrimSpace(strings.ReplaceAll(toString(x), "\n", "")))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `id=1 meta={"k": 5} meta_k=5 id=2 meta={"k": 7} meta_k=7`
	if strings.Join(got, " ") != want {
		t.Fatalf("got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestRowCaster(t *testing.T) {
	t.Parallel()
	data := "id,secret,meta,when\n1,x,\"{\"\"k\"\": 5}\",01/02/2021\n2,y,\"{\"\"k\"\": 7}\",25/02/2021\n"
	opts := &Options{IgnoreColumnIDs: []string{"1"}, FieldsToExpand: []string{"meta"}}
	res, err := Analyze(context.Background(), strings.NewReader(data), "x.csv", opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for tb, err := range Tables(context.Background(), strings.NewReader(data+"oops,z,{},31/31/2021\n"), "x.csv", opts) {
		if err != nil {
			t.Fatal(err)
		}
		rd, err := NewReader(tb, opts)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := NewRowCaster(res.Columns, rd)
		if err != nil {
			t.Fatal(err)
		}
		var vals []any
		for {
			row, line, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			var errs []*CastError
			vals, errs = rc.Cast(row, vals)
			out = append(out, fmt.Sprint(line, len(vals), len(errs)))
			if line == 4 && (len(errs) != 2 || errs[0].Column != "id" || errs[1].Column != "when") {
				t.Fatalf("line 4 errors: %v", errs)
			}
		}
	}
	if got := strings.Join(out, " "); got != "2 4 0 3 4 0 4 4 2" {
		t.Fatalf("got %s", got)
	}
}

func indexOf(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func toString(v any) string {
	switch x := v.(type) {
	case int16:
		return itoa(int64(x))
	case int32:
		return itoa(int64(x))
	case int64:
		return itoa(x)
	case []byte:
		return string(x)
	case string:
		return x
	}
	if s, ok := v.(interface{ MarshalJSON() ([]byte, error) }); ok {
		b, _ := s.MarshalJSON()
		return string(b)
	}
	return "?"
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
