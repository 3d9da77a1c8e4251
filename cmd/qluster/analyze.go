package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/openqluster/qluster-go/qluster"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/openqluster/qluster-go/analyzer"
)

// listFlag is a repeatable flag whose values may also be comma-separated
// (unless sep is empty).
type listFlag struct {
	dst *[]string
	sep string
}

func (l listFlag) String() string {
	if l.dst == nil {
		return ""
	}
	return strings.Join(*l.dst, l.sep)
}

func (l listFlag) Set(v string) error {
	if l.sep == "" {
		*l.dst = append(*l.dst, v)
		return nil
	}
	*l.dst = append(*l.dst, strings.Split(v, l.sep)...)
	return nil
}

// mapFlag is a repeatable KEY=VALUE flag.
type mapFlag struct{ dst *map[string]string }

func (m mapFlag) String() string { return "" }

func (m mapFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	if *m.dst == nil {
		*m.dst = map[string]string{}
	}
	(*m.dst)[k] = val
	return nil
}

// multiMapFlag is a repeatable COLUMN=VALUE flag collecting lists.
type multiMapFlag struct {
	dst *map[string][]string
	sep string
}

func (m multiMapFlag) String() string { return "" }

func (m multiMapFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want COLUMN=VALUE, got %q", v)
	}
	if *m.dst == nil {
		*m.dst = map[string][]string{}
	}
	vals := []string{val}
	if m.sep != "" {
		vals = strings.Split(val, m.sep)
	}
	(*m.dst)[k] = append((*m.dst)[k], vals...)
	return nil
}

// runAnalyze implements `qluster analyze FILE [--json] [flags]`: it prints
// the detected kind, encoding, dialect, header line and a table of the
// inferred columns, or with --json one object (analyzer.Result). It
// returns the process exit code: 0 on success, 1 when the file cannot be
// analysed, 2 on bad usage.
func runAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o analyzer.Options
	asJSON := fs.Bool("json", false, "print one JSON object (all tables as an array with --all)")
	all := fs.Bool("all", false, "analyse every table (zip members, sheets), not only the first")
	optsFile := fs.String("options", "", "read settings from a JSON `file` with the API's field names (flags override it)")
	fs.Var(listFlag{&o.NullValues, ","}, "null-values", "comma-separated null markers (repeatable)")
	fs.Var(multiMapFlag{&o.NullValuesPerColumn, ","}, "null-values-for", "COLUMN=v1,v2: null markers for one column (repeatable)")
	fs.Var(listFlag{&o.BooleanTrue, ","}, "boolean-true", "comma-separated words read as true")
	fs.Var(listFlag{&o.BooleanFalse, ","}, "boolean-false", "comma-separated words read as false")
	fs.Var(listFlag{&o.DatetimeFormats, ""}, "datetime-formats", "a strftime format to try first, e.g. '%d/%m/%Y' (repeatable)")
	fs.Var(multiMapFlag{&o.DatetimeFormatsPerColumn, ""}, "datetime-format-for", "COLUMN=FORMAT: the only format for a column (repeatable)")
	fs.StringVar(&o.DatetimeAllowedCharacters, "datetime-allowed-characters", "", "characters a datetime value may hold")
	fs.Var(listFlag{&o.InferDatetimeForColumns, ","}, "infer-datetime-for", "comma-separated columns tried as datetimes first (epoch seconds)")
	fs.BoolVar(&o.StrictlyOneDatetimeFormatInAColumn, "strict-datetime", false, "require one datetime format per column")
	fs.Var(listFlag{&o.ArrayDelimiters, ""}, "array-delimiter", "a list separator making a column text[] (repeatable)")
	fs.Var(listFlag{&o.FieldsToExpand, ","}, "expand", "comma-separated JSON columns to expand into columns")
	fs.IntVar(&o.MaxTriesToFixJSON, "max-tries-to-fix-json", 0, "repairs tried on almost-JSON values")
	fs.BoolVar(&o.DollarToCent, "dollar-to-cent", false, "store money columns as bigint cents")
	fs.BoolVar(&o.UseTextInsteadOfString, "use-text", false, "type strings as text instead of varchar(n)")
	fs.BoolVar(&o.TrimStringInsteadOfRaisingErr, "trim-strings", false, "cut too-long strings instead of failing")
	fs.Var(mapFlag{&o.FieldNameFullConversion}, "rename", "RAW=NEW: rename a field (repeatable)")
	fs.Var(mapFlag{&o.FieldNamePartConversion}, "rename-part", "PART=NEW: replace part of field names (repeatable)")
	fs.Var(listFlag{&o.IgnoreLinesThatIncludeOnlySubsetOfCharacters, ""}, "ignore-chars", "skip lines made only of these characters (repeatable)")
	fs.Var(listFlag{&o.IgnoreLinesThatIncludeOnlySubsetOfWords, ","}, "ignore-words", "comma-separated words; skip lines made only of them")
	fs.Var(mapFlag{&o.IgnoreMatchers}, "ignore-matcher", "COLUMN=REGEXP (or *=REGEXP for the whole line): skip matching rows (repeatable)")
	fs.Var(listFlag{&o.IgnoreColumnNames, ","}, "ignore-columns", "comma-separated column names to drop")
	fs.Var(listFlag{&o.IgnoreColumnIDs, ","}, "ignore-column-ids", "comma-separated 0-based column positions to drop")
	fs.Var(listFlag{&o.IdentifyHeaderByColumnNames, ","}, "header-names", "comma-separated names the header row contains")
	fs.Var(listFlag{&o.RawHeaders, ","}, "raw-headers", "comma-separated column names for a file without header")
	fs.IntVar(&o.ChunkSizeToReadForHeader, "header-rows", 0, "rows examined to find the header (default 100)")
	fs.StringVar(&o.EncodingProbably, "encoding", "", "encoding hint: utf-8, utf-16le, utf-16be, windows-1252, iso-8859-1")
	fs.StringVar(&o.CSVDelimiter, "delimiter", "", `field delimiter (e.g. ",", ";", "tab")`)
	fs.StringVar(&o.CSVQuotechar, "quotechar", "", "quote character")
	fs.StringVar(&o.CSVEscapechar, "escapechar", "", `escape character (e.g. "\"), or "none"`)
	fs.StringVar(&o.CSVLineterminator, "lineterminator", "", `line terminator: "\n", "\r\n" or "\r"`)
	fs.StringVar(&o.ExcelSheetName, "sheet", "", "workbook sheet to analyse")
	fs.StringVar(&o.XLSDateMode, "xls-date-mode", "", "mode_0 (1900) or mode_1 (1904)")
	fs.StringVar(&o.FilePassword, "password", "", "password of an encrypted zip")
	gpgKeyFile := fs.String("gpg-key", "", "`file` holding an OpenPGP private key")
	fs.StringVar(&o.GPGPassphrase, "gpg-passphrase", "", "passphrase of the key or of a symmetrically encrypted file")
	fs.IntVar(&o.MaxRows, "max-rows", 0, "stop after this many data rows (0: all)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: qluster analyze FILE [--json] [flags]")
		fs.PrintDefaults()
	}
	// Allow flags after the file name.
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return 2
	}
	// Start from a new dataset's settings, as the API does, then the
	// --options file, then the flags.
	base, err := defaultSettingsJSON()
	if err != nil {
		fmt.Fprintln(stderr, "qluster analyze:", err)
		return 2
	}
	if *optsFile != "" {
		b, err := os.ReadFile(*optsFile)
		if err != nil {
			fmt.Fprintln(stderr, "qluster analyze:", err)
			return 2
		}
		if base, err = overlayJSON(base, b); err != nil {
			fmt.Fprintf(stderr, "qluster analyze: %s: %v\n", *optsFile, err)
			return 2
		}
	}
	opts, err := mergeOptions(base, &o)
	if err != nil {
		fmt.Fprintln(stderr, "qluster analyze:", err)
		return 2
	}
	if *gpgKeyFile != "" {
		b, err := os.ReadFile(*gpgKeyFile)
		if err != nil {
			fmt.Fprintln(stderr, "qluster analyze:", err)
			return 2
		}
		opts.GPGPrivateKey = string(b)
	}
	f, err := os.Open(files[0])
	if err != nil {
		fmt.Fprintln(stderr, "qluster analyze:", err)
		return 1
	}
	defer f.Close()
	var results []*analyzer.Result
	if *all {
		results, err = analyzer.AnalyzeAll(ctx, f, files[0], opts)
	} else {
		var r *analyzer.Result
		if r, err = analyzer.Analyze(ctx, f, files[0], opts); err == nil {
			results = []*analyzer.Result{r}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "qluster analyze:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		var v any = results[0]
		if *all {
			v = results
		}
		if err := enc.Encode(v); err != nil {
			fmt.Fprintln(stderr, "qluster analyze:", err)
			return 1
		}
		return 0
	}
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		printResult(stdout, r)
	}
	return 0
}

// mergeOptions reads settings JSON (API field names) and applies the
// flags that were set on top.
func mergeOptions(settingsJSON []byte, flags *analyzer.Options) (*analyzer.Options, error) {
	var m map[string]any
	if err := json.Unmarshal(settingsJSON, &m); err != nil {
		return nil, err
	}
	b, err := json.Marshal(flags) // zero fields are omitted
	if err != nil {
		return nil, err
	}
	var set map[string]any
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, err
	}
	for k, v := range set {
		m[k] = v
	}
	if b, err = json.Marshal(m); err != nil {
		return nil, err
	}
	var out analyzer.Options
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	out.MaxRows = flags.MaxRows
	return &out, nil
}

func show(p *string) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%q", *p)
}

func printResult(w io.Writer, r *analyzer.Result) {
	fmt.Fprintf(w, "file:        %s\n", r.Name)
	kind := r.Kind
	if len(r.Containers) > 0 {
		kind += " (in " + strings.Join(r.Containers, " → ") + ")"
	}
	fmt.Fprintf(w, "kind:        %s\n", kind)
	if r.Encoding != nil {
		fmt.Fprintf(w, "encoding:    %s\n", *r.Encoding)
	}
	if r.Delimiter != nil || r.LineTerminator != nil {
		fmt.Fprintf(w, "dialect:     delimiter %s, quote %s, escape %s, line end %s\n",
			show(r.Delimiter), show(r.Quotechar), show(r.Escapechar), show(r.LineTerminator))
	}
	if r.Sheet != "" {
		fmt.Fprintf(w, "sheet:       %s (of %s)\n", r.Sheet, strings.Join(r.Sheets, ", "))
	}
	if r.HeaderLine > 0 {
		fmt.Fprintf(w, "header line: %d\n", r.HeaderLine)
	} else {
		fmt.Fprintf(w, "header line: none\n")
	}
	fmt.Fprintf(w, "data rows:   %d (bad %d, skipped %d, preamble %d)\n", r.DataRows, r.BadRowCount, r.SkippedRows, r.PreambleRows)
	if len(r.Tables) > 1 {
		fmt.Fprintf(w, "tables:      %s (use --all to analyse each)\n", strings.Join(r.Tables, ", "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tNAME\tRAW NAME\tTYPE\tNULL\tFORMAT\tNULL MARKERS\tEXAMPLES")
	for i, c := range r.Columns {
		typ := c.PGType()
		if c.IsEmail {
			typ += " (email)"
		}
		null := "no"
		if c.Nullable {
			null = "yes"
		}
		format := strings.Join(c.DatetimeFormats, " | ")
		if len(c.AmbiguousFormats) > 0 {
			format = "ambiguous: " + strings.Join(c.AmbiguousFormats, " or ")
		}
		if c.Type == analyzer.TypeBoolean {
			format = "true: " + strings.Join(c.TrueWords, ",") + " false: " + strings.Join(c.FalseWords, ",")
		}
		if c.Number != (analyzer.NumberStyle{}) {
			format = fmt.Sprintf("decimal %q thousands %q", dflt(c.Number.Decimal, "."), c.Number.Thousands)
			if c.Number.Currency {
				format += " currency"
			}
			if c.Number.Parens {
				format += " (neg)"
			}
		}
		ex := make([]string, 0, len(c.Examples))
		for _, e := range c.Examples {
			if len(e) > 24 {
				e = e[:21] + "..."
			}
			ex = append(ex, e)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, c.Name, c.RawName, typ, null, format,
			strings.Join(quoteAll(c.NullMarkers), " "), strings.Join(ex, " | "))
	}
	tw.Flush()
	if len(r.QuestionableFields) > 0 {
		fmt.Fprintln(w, "\nquestionable:")
		for _, c := range r.Columns {
			if q := r.QuestionableFields[c.Name]; q != "" {
				fmt.Fprintf(w, "  %s: %s\n", c.Name, q)
			}
		}
	}
	if len(r.BadRows) > 0 {
		fmt.Fprintln(w, "\nbad rows:")
		for _, b := range r.BadRows {
			fmt.Fprintf(w, "  line %d: %s\n", b.Line, b.Reason)
		}
	}
}

func dflt(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func quoteAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// defaultSettingsJSON is a new dataset's settings model as the analyzer reads it.
func defaultSettingsJSON() ([]byte, error) {
	d := qluster.NewDataset()
	o, err := qluster.AnalyzerOptions(&d, nil)
	if err != nil {
		return nil, err
	}
	return json.Marshal(o)
}

// overlayJSON sets the top-level fields of patch on base (two JSON objects
// of analyzer options).
func overlayJSON(base, patch []byte) ([]byte, error) {
	var m, p map[string]json.RawMessage
	if err := json.Unmarshal(base, &m); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, err
	}
	for k, v := range p {
		// A field in either spelling (plain or _override) replaces both.
		delete(m, k+"_override")
		delete(m, strings.TrimSuffix(k, "_override"))
		m[k] = v
	}
	return json.Marshal(m)
}
