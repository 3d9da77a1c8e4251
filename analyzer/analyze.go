package analyzer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"
)

// BadRow is a row that did not fit the header.
type BadRow struct {
	// Line is the physical line (1-based) where the row starts.
	Line int `json:"line"`
	// Columns is how many fields the row has.
	Columns int `json:"columns"`
	// Reason says what is wrong.
	Reason string `json:"reason"`
}

// Result is the analysis of one table. It marshals to the object printed
// by `qluster analyze --json`.
type Result struct {
	// Name is the table's path (see Table.Name).
	Name string `json:"name"`
	// Kind is csv, tsv, text, json, ndjson, xlsx or xls.
	Kind string `json:"kind"`
	// Containers lists the wrappings removed, outermost first.
	Containers []string `json:"containers"`
	// Encoding is the text encoding (utf-8, utf-16le, utf-16be,
	// windows-1252, iso-8859-1); null for workbooks.
	Encoding *string `json:"encoding"`
	// BOM reports a byte-order mark.
	BOM bool `json:"bom"`
	// Delimiter, Quotechar, Escapechar and LineTerminator are the dialect
	// of delimited text; null when not applicable (Escapechar is null when
	// quotes are doubled).
	Delimiter      *string `json:"delimiter"`
	Quotechar      *string `json:"quotechar"`
	Escapechar     *string `json:"escapechar"`
	LineTerminator *string `json:"line_terminator"`
	// HeaderLine is the 1-based physical line of the header row (0: none).
	HeaderLine int `json:"header_line"`
	// PreambleRows counts rows before the header; SkippedRows ignorable
	// rows after it.
	PreambleRows int `json:"preamble_rows"`
	SkippedRows  int `json:"skipped_rows"`
	// DataRows counts the rows analysed (bad rows excluded).
	DataRows int64 `json:"data_rows"`
	// Columns are the columns in file order (expanded JSON fields follow
	// their source column).
	Columns []*Column `json:"columns"`
	// BadRows are the first Options.MaxBadRows rows that did not fit;
	// BadRowCount counts them all.
	BadRows     []BadRow `json:"bad_rows"`
	BadRowCount int64    `json:"bad_row_count"`
	// Sheet is the sheet analysed and Sheets all sheets, for workbooks.
	Sheet  string   `json:"sheet,omitempty"`
	Sheets []string `json:"sheets,omitempty"`
	// Tables names every table found in the file when there are several
	// (zip members, sheets); set on the first result of Analyze.
	Tables []string `json:"tables,omitempty"`

	// AnalyzedContent is the API's analyzed_content: a JSON-schema-like
	// object keyed by field name.
	AnalyzedContent map[string]AnalyzedField `json:"analyzed_content"`
	// DisplayAnalyzedContent is the API's display_analyzed_content: one
	// entry per field, in file order, for people.
	DisplayAnalyzedContent []DisplayField `json:"display_analyzed_content"`
	// QuestionableFields maps a field name to why its type deserves a look.
	QuestionableFields map[string]string `json:"questionable_fields"`
	// FailedToInferFields lists fields without any non-null value.
	FailedToInferFields []string `json:"failed_to_infer_fields"`
}

// AnalyzedField is one field of analyzed_content.
type AnalyzedField struct {
	// Type is the JSON-schema type: string, integer, number, boolean,
	// array or object.
	Type string `json:"type"`
	// Format is the JSON-schema format: date, date-time, time or email.
	Format string `json:"format,omitempty"`
	// PGType is the Postgres type.
	PGType          string   `json:"pg_type"`
	Nullable        bool     `json:"nullable"`
	MaxLength       int      `json:"max_length,omitempty"`
	DatetimeFormats []string `json:"datetime_formats,omitempty"`
	OriginalName    string   `json:"original_field_name"`
}

// DisplayField is one entry of display_analyzed_content.
type DisplayField struct {
	FieldName         string   `json:"field_name"`
	OriginalFieldName string   `json:"original_field_name"`
	Type              string   `json:"type"`
	Nullable          bool     `json:"nullable"`
	Formats           []string `json:"formats"`
	NullMarkers       []string `json:"null_markers"`
	Examples          []string `json:"examples"`
}

// Analyze reads the first table of r (see Walk) and infers its columns.
// When r holds several tables, Result.Tables names them all; use
// AnalyzeAll to analyse each.
func Analyze(ctx context.Context, r io.Reader, name string, opts *Options) (*Result, error) {
	var first *Result
	var names []string
	s, err := opts.compile()
	if err != nil {
		return nil, err
	}
	err = walk(ctx, s, &ctxReader{ctx: ctx, r: r}, name, nil, 0, func(t *Table) error {
		names = append(names, t.Name)
		if first != nil {
			return nil
		}
		res, err := analyzeTable(ctx, s, t)
		first = res
		return err
	})
	if err != nil {
		return nil, err
	}
	if first == nil {
		return nil, errors.New("analyzer: " + name + ": no table found")
	}
	if len(names) > 1 {
		first.Tables = names
	}
	return first, nil
}

// AnalyzeAll analyses every table of r (zip members, sheets) in order.
func AnalyzeAll(ctx context.Context, r io.Reader, name string, opts *Options) ([]*Result, error) {
	s, err := opts.compile()
	if err != nil {
		return nil, err
	}
	var out []*Result
	err = walk(ctx, s, &ctxReader{ctx: ctx, r: r}, name, nil, 0, func(t *Table) error {
		res, err := analyzeTable(ctx, s, t)
		if err != nil {
			return err
		}
		out = append(out, res)
		return nil
	})
	return out, err
}

// AnalyzeTable infers the columns of one table found by Walk, with the
// options given to Walk.
func AnalyzeTable(ctx context.Context, t *Table, opts *Options) (*Result, error) {
	s, err := opts.compile()
	if err != nil {
		return nil, err
	}
	return analyzeTable(ctx, s, t)
}

func strp(s string) *string { return &s }

func analyzeTable(ctx context.Context, s *settings, t *Table) (*Result, error) {
	rd, err := newReader(t, s)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Name: t.Name, Kind: t.Kind, Containers: t.Containers,
		Sheet: t.Sheet, Sheets: t.Sheets, BOM: t.BOM,
	}
	if res.Containers == nil {
		res.Containers = []string{}
	}
	var infs []*Inferer
	addInferers := func() {
		raw, names, idx := rd.RawNames(), rd.Names(), rd.Indexes()
		for i := len(infs); i < len(names); i++ {
			in := newInferer(s, raw[i], names[i], idx[i])
			in.rows, in.nullCnt = res.DataRows, res.DataRows
			infs = append(infs, in)
		}
	}
	addInferers()
	if rd.jr == nil {
		// Fixed columns: read in one goroutine, infer in this one.
		if err := inferPipelined(ctx, s, rd, infs, res); err != nil {
			return nil, err
		}
	}
	for rd.jr != nil {
		row, line, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *RowError
			if errors.As(err, &re) {
				res.addBadRow(BadRow{Line: re.Line, Columns: re.Fields, Reason: re.Reason}, s.o.MaxBadRows)
				continue
			}
			return nil, err
		}
		_ = line
		if len(row) > len(infs) {
			addInferers()
		}
		for i, v := range row {
			infs[i].Observe(v)
		}
		res.DataRows++
		if res.DataRows&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if s.o.MaxRows > 0 && res.DataRows >= int64(s.o.MaxRows) {
			break
		}
	}
	res.HeaderLine = rd.HeaderLine()
	res.PreambleRows = rd.Preamble()
	res.SkippedRows = rd.Skipped()
	if t.Kind == KindCSV || t.Kind == KindTSV || t.Kind == KindText {
		d := t.Dialect
		if d.Delimiter != 0 {
			res.Delimiter = strp(string(d.Delimiter))
		}
		if d.Quote != 0 {
			res.Quotechar = strp(string(d.Quote))
		}
		if d.Escape != 0 {
			res.Escapechar = strp(string(d.Escape))
		}
		res.LineTerminator = strp(d.LineTerminator)
	}
	if t.Encoding != "" {
		enc := t.Encoding
		if t.utf8 != nil && t.utf8.invalid > 0 && !t.utf8.multi {
			enc = EncWindows1252
			if normEncoding(s.o.EncodingProbably) == EncISO88591 {
				enc = EncISO88591
			}
		}
		res.Encoding = strp(enc)
	}
	// A column that only reads with decimal commas decides the others.
	for _, in := range infs {
		if in.commaOnly() {
			for _, o := range infs {
				o.preferComma = true
			}
			break
		}
	}
	// Columns, with expansions, and names unique across them.
	used := map[string]bool{}
	for _, in := range infs {
		for _, c := range in.columns() {
			base := c.Name
			for n := 2; used[c.Name]; n++ {
				suf := "_" + strconv.Itoa(n)
				c.Name = truncateIdent(base, MaxIdentifierLength-len(suf)) + suf
			}
			used[c.Name] = true
			res.Columns = append(res.Columns, c)
		}
	}
	res.fillAPI()
	if res.BadRows == nil {
		res.BadRows = []BadRow{}
	}
	if res.Columns == nil {
		res.Columns = []*Column{}
	}
	return res, nil
}

// rowBatch carries rows from the reading goroutine to the inferring one.
type rowBatch struct {
	arena   []byte // cell bytes, back to back
	ends    []int  // end of each cell in arena
	rowEnds []int  // end of each row in ends
	bad     []BadRow
	err     error
}

const batchRows = 512

// inferPipelined reads rows in one goroutine, in batches, and infers in
// others (each owning a share of the columns), so that reading and
// inference overlap and use every core.
func inferPipelined(ctx context.Context, s *settings, rd *Reader, infs []*Inferer, res *Result) error {
	const nBatches = 8
	full := make(chan *rowBatch, 4)
	free := make(chan *rowBatch, nBatches)
	for i := 0; i < nBatches; i++ {
		free <- &rowBatch{}
	}
	if c, ok := rd.t.src.(*CSVReader); ok {
		c.transient = true // rows are copied into batches
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(full)
		for {
			var b *rowBatch
			select {
			case b = <-free:
			case <-done:
				return
			}
			b.arena, b.ends, b.rowEnds, b.bad, b.err = b.arena[:0], b.ends[:0], b.rowEnds[:0], b.bad[:0], nil
			for len(b.rowEnds) < batchRows {
				row, _, err := rd.Next()
				if err != nil {
					var re *RowError
					if errors.As(err, &re) {
						b.bad = append(b.bad, BadRow{Line: re.Line, Columns: re.Fields, Reason: re.Reason})
						continue
					}
					b.err = err
					break
				}
				for _, v := range row {
					b.arena = append(b.arena, v...)
					b.ends = append(b.ends, len(b.arena))
				}
				b.rowEnds = append(b.rowEnds, len(b.ends))
			}
			select {
			case full <- b:
			case <-done:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	// Workers: worker w infers the columns i with i%workers == w.
	workers := min(runtime.GOMAXPROCS(0), len(infs), 4)
	workers = max(workers, 1)
	type job struct {
		b    *rowBatch
		left *atomic.Int32
	}
	jobs := make([]chan job, workers)
	var wwg sync.WaitGroup
	for w := 0; w < workers; w++ {
		jobs[w] = make(chan job, 4)
		wwg.Add(1)
		go func(w int, in <-chan job) {
			defer wwg.Done()
			for j := range in {
				observeBatch(j.b, infs, w, workers)
				if j.left.Add(-1) == 0 {
					free <- j.b
				}
			}
		}(w, jobs[w])
	}
	stop := func() {
		for _, c := range jobs {
			close(c)
		}
		wwg.Wait()
		close(done)
		wg.Wait()
	}
	for b := range full {
		for _, br := range b.bad {
			res.addBadRow(br, s.o.MaxBadRows)
		}
		last := false
		if s.o.MaxRows > 0 && res.DataRows+int64(len(b.rowEnds)) >= int64(s.o.MaxRows) {
			b.rowEnds = b.rowEnds[:int64(s.o.MaxRows)-res.DataRows]
			last = true
		}
		res.DataRows += int64(len(b.rowEnds))
		err := b.err
		left := new(atomic.Int32)
		left.Store(int32(workers))
		for _, c := range jobs {
			c <- job{b, left}
		}
		if last {
			break
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil && err != io.EOF {
			stop()
			return err
		}
	}
	stop()
	return nil
}

// observeBatch feeds the cells of columns i%workers == w of a batch. Cells
// are views of the batch's arena, valid until the batch is recycled;
// Observe copies what it keeps.
func observeBatch(b *rowBatch, infs []*Inferer, w, workers int) {
	n := len(infs)
	ci := 0
	for _, re := range b.rowEnds {
		start := 0
		if ci > 0 {
			start = b.ends[ci-1]
		}
		for i := 0; ci < re; i, ci = i+1, ci+1 {
			end := b.ends[ci]
			if i < n && i%workers == w {
				v := ""
				if end > start {
					v = unsafe.String(&b.arena[start], end-start)
				}
				infs[i].Observe(v)
			}
			start = end
		}
	}
}

// addBadRow counts a bad row and keeps it while fewer than max are kept.
func (r *Result) addBadRow(b BadRow, max int) {
	r.BadRowCount++
	if len(r.BadRows) < max {
		r.BadRows = append(r.BadRows, b)
	}
}

func (r *Result) fillAPI() {
	r.AnalyzedContent = map[string]AnalyzedField{}
	r.DisplayAnalyzedContent = []DisplayField{}
	r.QuestionableFields = map[string]string{}
	r.FailedToInferFields = []string{}
	for _, c := range r.Columns {
		f := AnalyzedField{PGType: c.PGType(), Nullable: c.Nullable, DatetimeFormats: c.DatetimeFormats, OriginalName: c.RawName}
		switch c.Type {
		case TypeBoolean:
			f.Type = "boolean"
		case TypeSmallInt, TypeInteger, TypeBigInt:
			f.Type = "integer"
		case TypeNumeric, TypeDouble:
			f.Type = "number"
		case TypeDate:
			f.Type, f.Format = "string", "date"
		case TypeTimestamp, TypeTimestamptz:
			f.Type, f.Format = "string", "date-time"
		case TypeTime:
			f.Type, f.Format = "string", "time"
		case TypeJSONB:
			f.Type = "object"
		case TypeTextArray:
			f.Type = "array"
		default:
			f.Type, f.MaxLength = "string", c.Length
			if c.IsEmail {
				f.Format = "email"
			}
		}
		r.AnalyzedContent[c.Name] = f
		r.DisplayAnalyzedContent = append(r.DisplayAnalyzedContent, DisplayField{
			FieldName: c.Name, OriginalFieldName: c.RawName, Type: c.PGType(), Nullable: c.Nullable,
			Formats: nz(c.DatetimeFormats), NullMarkers: nz(c.NullMarkers), Examples: nz(c.Examples),
		})
		if c.Questionable != "" {
			r.QuestionableFields[c.Name] = c.Questionable
		}
		if c.FailedToInfer {
			r.FailedToInferFields = append(r.FailedToInferFields, c.Name)
		}
	}
}

// JSON returns the result as indented JSON (the --json output).
func (r *Result) JSON() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}
