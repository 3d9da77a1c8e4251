package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunAnalyzeJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "people.csv")
	data := "Report\n\nid;Name;Born;Paid\n1;Ann;31/01/2020;\"1.234,50\"\n2;Bo;01/02/2020;12,00\n3;Cy;;7\n"
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := runAnalyze(context.Background(), []string{p, "--json", "--null-values", ",NA"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, k := range []string{"kind", "encoding", "delimiter", "quotechar", "escapechar", "line_terminator", "header_line", "data_rows", "columns", "bad_rows"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	if got["delimiter"] != ";" || got["header_line"].(float64) != 3 || got["data_rows"].(float64) != 3 {
		t.Errorf("unexpected: %s", out.String())
	}
	cols := got["columns"].([]any)
	want := []string{"smallint", "text", "date", "numeric"} // a new dataset types strings as text (use_text_instead_of_string)
	for i, w := range want {
		c := cols[i].(map[string]any)
		if c["type"] != w {
			t.Errorf("column %d: type %v, want %s", i, c["type"], w)
		}
		for _, k := range []string{"raw_name", "name", "is_email", "datetime_formats", "ambiguous_formats", "nullable", "null_markers", "true_words", "false_words", "examples"} {
			if _, ok := c[k]; !ok {
				t.Errorf("column %d: missing key %q", i, k)
			}
		}
	}
}

func TestRunAnalyzeText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(p, []byte("a,b\n1,x\n2,y,z\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := runAnalyze(context.Background(), []string{"--delimiter", ",", p}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"kind:        csv", "header line: 1", "line 3: too many fields"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunAnalyzeOptionsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(p, []byte("flag,n,d\nsi,x,01/02/2021\nno,7,03/04/2021\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := filepath.Join(dir, "settings.json")
	settings := `{"boolean_true":["si"],"null_values":["x"],"datetime_formats_override":["%m/%d/%Y"]}`
	if err := os.WriteFile(o, []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := runAnalyze(context.Background(), []string{"--json", "--options", o, "--datetime-formats", "%d/%m/%Y", p}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct {
		Columns []struct {
			Type            string   `json:"type"`
			DatetimeFormats []string `json:"datetime_formats"`
		} `json:"columns"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Columns[0].Type != "boolean" || got.Columns[1].Type != "smallint" || got.Columns[2].DatetimeFormats[0] != "%d/%m/%Y" {
		t.Fatalf("%s", out.String())
	}
}

func TestRunAnalyzeUsage(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := runAnalyze(context.Background(), nil, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if code := runAnalyze(context.Background(), []string{"/nonexistent/file.csv"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
}

// TestManual analyses $QLUSTER_ANALYZE_FILE and prints the result; a
// developer's aid, skipped otherwise.
func TestManual(t *testing.T) {
	f := os.Getenv("QLUSTER_ANALYZE_FILE")
	if f == "" {
		t.Skip("QLUSTER_ANALYZE_FILE not set")
	}
	args := append([]string{f}, strings.Fields(os.Getenv("QLUSTER_ANALYZE_ARGS"))...)
	var out, errb bytes.Buffer
	code := runAnalyze(context.Background(), args, &out, &errb)
	t.Logf("exit %d\n%s%s", code, out.String(), errb.String())
}
