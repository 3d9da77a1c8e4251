package analyzer

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// RowError reports a data row that does not fit the header: too many or
// too few fields, or an unterminated quoted field. It is not terminal:
// Reader.Next can be called again.
type RowError struct {
	// Line is the physical line (or row number) where the row starts.
	Line int
	// Fields is how many fields the row has; Want how many the header has.
	Fields, Want int
	// Reason says what is wrong.
	Reason string
	// Row is the row as read (valid until the next call to Next).
	Row []string
}

// Error implements error.
func (e *RowError) Error() string {
	return fmt.Sprintf("analyzer: line %d: %s", e.Line, e.Reason)
}

// headerBufferBytes bounds the rows kept while looking for the header.
const headerBufferBytes = 8 << 20

type bufRow struct {
	cells []string
	line  int
	bad   bool
}

// Reader reads the data rows of a table: it finds the header past any
// preamble, skips ignorable lines (blank, rules such as "-----", words such
// as "Total", ignore matchers, repeated headers), drops ignored columns
// and checks each row's width.
type Reader struct {
	t          *Table
	s          *settings
	buf        []bufRow
	bi         int
	headerLine int
	rawNames   []string
	names      []string
	keep       []int
	width      int
	out        []string
	header     []string
	colMatch   []colMatcher
	jr         *jsonRows
	lenient    bool
	skipped    int
	preamble   int
	noHeader   bool
}

type colMatcher struct {
	idx int
	re  interface{ MatchString(string) bool }
}

// NewReader finds the header of t and returns a reader of its data rows.
// opts must be the options given to Walk (nil means defaults).
func NewReader(t *Table, opts *Options) (*Reader, error) {
	s, err := opts.compile()
	if err != nil {
		return nil, err
	}
	return newReader(t, s)
}

func newReader(t *Table, s *settings) (*Reader, error) {
	r := &Reader{t: t, s: s, lenient: t.Kind == KindXLSX || t.Kind == KindXLS}
	if jr, ok := t.src.(*jsonRows); ok {
		r.jr = jr
	}
	// Buffer the first rows (at most headerBufferBytes of them).
	size := 0
	for len(r.buf) < s.o.ChunkSizeToReadForHeader && size < headerBufferBytes {
		cells, line, err := t.src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		bad := false
		if c, ok := t.src.(*CSVReader); ok && c.Unterminated {
			bad = true
		}
		r.buf = append(r.buf, bufRow{cells: cloneStrings(cells), line: line, bad: bad})
		for _, c := range cells {
			size += len(c) + 16
		}
		if r.jr != nil && r.jr.mode == 1 {
			break
		}
	}
	if r.jr != nil && r.jr.mode == 1 {
		r.setHeader(r.jr.Keys(), 0)
		return r, nil
	}
	r.findHeader()
	return r, nil
}

func cloneStrings(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.Clone(x)
	}
	return out
}

// effLen is the row length, not counting trailing empty cells for
// workbooks.
func (r *Reader) effLen(cells []string) int {
	n := len(cells)
	if r.lenient {
		for n > 0 && trimSpace(cells[n-1]) == "" {
			n--
		}
	}
	return n
}

func (r *Reader) findHeader() {
	s := r.s
	var cands []int
	for i, b := range r.buf {
		if !r.ignorable(b.cells) {
			cands = append(cands, i)
		}
	}
	if len(s.o.RawHeaders) > 0 {
		r.setHeader(s.o.RawHeaders, 0)
		r.noHeader = true
		return
	}
	if len(s.o.IdentifyHeaderByColumnNames) > 0 {
		want := map[string]bool{}
		for _, n := range s.o.IdentifyHeaderByColumnNames {
			want[NormalizeName(n)] = true
		}
		for _, i := range cands {
			have := map[string]bool{}
			for _, c := range r.buf[i].cells {
				have[NormalizeName(c)] = true
			}
			all := true
			for n := range want {
				if !have[n] {
					all = false
					break
				}
			}
			if all {
				r.preamble = i
				r.setHeader(r.buf[i].cells, r.buf[i].line)
				r.bi = i + 1
				return
			}
		}
	}
	if len(cands) == 0 {
		r.setHeader(nil, 0)
		r.bi = len(r.buf)
		return
	}
	// The most common width (ties go to the wider) among the rows read.
	counts := map[int]int{}
	for _, i := range cands {
		counts[r.effLen(r.buf[i].cells)]++
	}
	width, best := 0, 0
	for w, n := range counts {
		if w > 0 && (n > best || n == best && w > width) {
			width, best = w, n
		}
	}
	hi := cands[0]
	for _, i := range cands {
		cells := r.buf[i].cells
		n := r.effLen(cells)
		if n < width || (!r.lenient && n != width) {
			continue
		}
		nonEmpty := 0
		for _, c := range cells {
			if trimSpace(c) != "" {
				nonEmpty++
			}
		}
		if nonEmpty*2 >= n {
			hi = i
			break
		}
	}
	r.preamble = hi
	if looksLikeData(r.buf[hi].cells) {
		names := make([]string, width)
		for i := range names {
			names[i] = "column_" + strconv.Itoa(i+1)
		}
		r.setHeader(names, 0)
		r.noHeader = true
		r.width = width
		r.bi = hi
		return
	}
	r.setHeader(r.buf[hi].cells, r.buf[hi].line)
	if r.lenient {
		r.header = r.header[:r.effLen(r.header)]
		if width > len(r.header) {
			r.width = width
			r.extendNames()
		}
	}
	r.bi = hi + 1
}

// looksLikeData reports a header candidate that is rather a data row: at
// least half of its cells are numbers or dates.
func looksLikeData(cells []string) bool {
	nonEmpty, typed := 0, 0
	for _, c := range cells {
		c = trimSpace(c)
		if c == "" {
			continue
		}
		nonEmpty++
		if _, ok := scanNumber(c, '.', ','); ok || looksLikeDate(c) {
			typed++
		}
	}
	return nonEmpty > 0 && typed*2 >= nonEmpty && typed > 0
}

func looksLikeDate(c string) bool {
	if len(c) < 6 || len(c) > 40 {
		return false
	}
	for _, f := range compiledBuiltins() {
		if _, ok := f.Parse(c); ok {
			return true
		}
	}
	return false
}

func (r *Reader) setHeader(cells []string, line int) {
	r.header = cloneStrings(cells)
	r.headerLine = line
	r.width = len(cells)
	r.computeNames()
}

func (r *Reader) extendNames() {
	for len(r.header) < r.width {
		r.header = append(r.header, "")
	}
	r.computeNames()
}

func (r *Reader) computeNames() {
	s := r.s
	all := FieldNames(r.header, s.o.FieldNameFullConversion, s.o.FieldNamePartConversion)
	r.keep = r.keep[:0]
	r.rawNames = r.rawNames[:0]
	var kept []string
	for i, raw := range r.header {
		if s.ignoreIDs[i] || s.ignoreNames[raw] || s.ignoreNames[all[i]] || (raw != "" && s.ignoreNames[NormalizeName(raw)]) {
			continue
		}
		r.keep = append(r.keep, i)
		r.rawNames = append(r.rawNames, raw)
		kept = append(kept, all[i])
	}
	r.names = kept
	r.colMatch = r.colMatch[:0]
	for k, re := range s.colMatchers {
		for i, raw := range r.header {
			if raw == k || all[i] == k {
				r.colMatch = append(r.colMatch, colMatcher{idx: i, re: re})
			}
		}
	}
}

// HeaderLine returns the 1-based physical line of the header row, or 0
// when the table has no header row (raw_headers, generated names, JSON
// objects).
func (r *Reader) HeaderLine() int { return r.headerLine }

// RawNames returns the raw names of the kept columns, in file order. For
// JSON objects it grows as new keys appear.
func (r *Reader) RawNames() []string { return r.rawNames }

// Names returns the normalised unique names of the kept columns.
func (r *Reader) Names() []string { return r.names }

// Indexes returns the position of each kept column in the file's rows.
func (r *Reader) Indexes() []int { return r.keep }

// Skipped returns how many rows after the header were skipped as
// ignorable (blank, rules, ignore words or matchers, repeated headers).
func (r *Reader) Skipped() int { return r.skipped }

// Preamble returns how many rows came before the header row.
func (r *Reader) Preamble() int { return r.preamble }

// ignorable reports rows to skip: blank, made only of the characters of
// one ignore set, or only of ignore words, or matched by an ignore
// matcher.
func (r *Reader) ignorable(cells []string) bool {
	s := r.s
	empty := true
	for _, c := range cells {
		if trimSpace(c) != "" {
			empty = false
			break
		}
	}
	if empty {
		return true
	}
	// A quick look at the first character rules out every set.
	first := byte(0)
	for _, c := range cells {
		if c = trimSpace(c); c != "" {
			first = c[0]
			break
		}
	}
	for ci := range s.charSets {
		if !s.charUnion[first] {
			break
		}
		set := &s.charSets[ci]
		ok, any := true, false
		for _, c := range cells {
			for i := 0; i < len(c) && ok; i++ {
				b := c[i]
				if b == ' ' || b == '\t' || b == '\r' || b == '\n' {
					continue
				}
				if !set[b] {
					ok = false
				}
				any = true
			}
			if !ok {
				break
			}
		}
		if ok && any {
			return true
		}
	}
	if len(s.words) > 0 {
		ok := true
		for _, c := range cells {
			c = strings.ToLower(trimSpace(c))
			if c == "" || s.words[c] {
				continue
			}
			if !onlyWords(c, s.words) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	if len(s.lineMatchers) > 0 {
		sep := ","
		if r.t.Dialect.Delimiter != 0 {
			sep = string(r.t.Dialect.Delimiter)
		}
		line := strings.Join(cells, sep)
		for _, re := range s.lineMatchers {
			if re.MatchString(line) {
				return true
			}
		}
	}
	for _, m := range r.colMatch {
		if m.idx < len(cells) && m.re.MatchString(cells[m.idx]) {
			return true
		}
	}
	return false
}

// onlyWords reports whether every word of c (split on white space, ":" and
// "." trimmed) is in words. ASCII text is split in place, without the
// slice strings.Fields allocates for every row.
func onlyWords(c string, words map[string]bool) bool {
	for i := 0; i < len(c); i++ {
		if c[i] >= utf8.RuneSelf {
			for _, w := range strings.Fields(c) {
				if !words[strings.Trim(w, ":.")] {
					return false
				}
			}
			return true
		}
	}
	for len(c) > 0 {
		i := 0
		for i < len(c) && asciiSpace(c[i]) {
			i++
		}
		c = c[i:]
		j := 0
		for j < len(c) && !asciiSpace(c[j]) {
			j++
		}
		if j > 0 && !words[strings.Trim(c[:j], ":.")] {
			return false
		}
		c = c[j:]
	}
	return true
}

// asciiSpace is unicode.IsSpace for an ASCII byte.
func asciiSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r'
}

func (r *Reader) nextRaw() ([]string, int, bool, error) {
	if r.bi < len(r.buf) {
		b := r.buf[r.bi]
		r.bi++
		return b.cells, b.line, b.bad, nil
	}
	if r.buf != nil {
		r.buf = nil
		r.bi = 0
	}
	cells, line, err := r.t.src.Next()
	bad := false
	if c, ok := r.t.src.(*CSVReader); ok && c.Unterminated {
		bad = true
	}
	return cells, line, bad, err
}

func (r *Reader) isHeaderRepeat(cells []string) bool {
	if r.noHeader || r.headerLine == 0 || len(cells) < len(r.header) {
		return false
	}
	for i, h := range r.header {
		if cells[i] != h {
			return false
		}
	}
	return true
}

// Next returns the next data row (the kept columns, in order) and the
// physical line it starts on. The slice is reused; the strings stay
// valid. A row that does not fit gives a *RowError, after which Next may
// be called again; io.EOF ends the table; other errors are terminal.
func (r *Reader) Next() ([]string, int, error) {
	for {
		cells, line, bad, err := r.nextRaw()
		if err != nil {
			return nil, line, err
		}
		if r.jr != nil && r.jr.mode == 1 {
			if keys := r.jr.Keys(); len(keys) != len(r.header) {
				r.header = cloneStrings(keys)
				r.width = len(keys)
				r.computeNames()
			}
		}
		if r.ignorable(cells) {
			r.skipped++
			continue
		}
		if r.isHeaderRepeat(cells) {
			r.skipped++
			continue
		}
		if bad {
			return nil, line, &RowError{Line: line, Fields: len(cells), Want: r.width, Reason: "unterminated quoted field", Row: cells}
		}
		n := len(cells)
		if n > r.width {
			extra := true
			for _, c := range cells[r.width:] {
				if trimSpace(c) != "" {
					extra = false
					break
				}
			}
			if !extra {
				return nil, line, &RowError{Line: line, Fields: n, Want: r.width, Reason: fmt.Sprintf("too many fields: %d, expected %d", n, r.width), Row: cells}
			}
		} else if n < r.width && !r.lenient && r.jr == nil {
			return nil, line, &RowError{Line: line, Fields: n, Want: r.width, Reason: fmt.Sprintf("too few fields: %d, expected %d", n, r.width), Row: cells}
		}
		r.out = r.out[:0]
		for _, i := range r.keep {
			if i < len(cells) {
				r.out = append(r.out, cells[i])
			} else {
				r.out = append(r.out, "")
			}
		}
		return r.out, line, nil
	}
}
