package analyzer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unsafe"
)

// ErrRecordTooLong is returned when one record exceeds MaxRecordSize
// (usually an unbalanced quote swallowing the rest of the file).
var ErrRecordTooLong = errors.New("record too long (unbalanced quote?)")

// MaxRecordSize bounds one CSV record, so that memory stays flat.
const MaxRecordSize = 16 << 20

// ParseError is a terminal error of the CSV reader, with the physical line
// where the record started.
type ParseError struct {
	Line int
	Err  error
}

// Error implements error.
func (e *ParseError) Error() string { return fmt.Sprintf("analyzer: line %d: %v", e.Line, e.Err) }

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// Dialect is how a delimited text file is written.
type Dialect struct {
	// Delimiter separates fields; 0 means none (one column per line).
	Delimiter byte
	// Quote opens and closes quoted fields; 0 means none.
	Quote byte
	// Escape makes the next character literal; 0 means none (quotes are
	// doubled inside quoted fields).
	Escape byte
	// LineTerminator is the most common line end: "\n", "\r\n" or "\r".
	// The reader accepts all three anywhere.
	LineTerminator string
}

// CSVReader reads delimited records from UTF-8 text. It accepts "\n",
// "\r\n" and "\r" line ends (mixed), quoted fields with embedded
// delimiters, line ends and doubled quotes, and an optional escape
// character. Blank lines are skipped. It allocates one string per record.
type CSVReader struct {
	r       io.Reader
	buf     []byte
	pos     int
	end     int
	err     error
	d       Dialect
	special [256]bool // bytes that stop an unquoted run
	inQ     [256]bool // bytes that stop a quoted run
	rec     []byte
	ends    []int
	fields  []string
	line    int // physical line at pos, 1-based
	// Unterminated is set when the last record ended inside a quoted field.
	Unterminated bool
	// transient makes records point into a reused buffer (valid until the
	// next call) instead of allocating; for the analyzer's own pipeline.
	transient bool
}

// recString returns rec as a string: a copy, or a view when transient.
func (c *CSVReader) recString(rec []byte) string {
	if c.transient {
		if len(rec) == 0 {
			return ""
		}
		return unsafe.String(unsafe.SliceData(rec), len(rec))
	}
	return string(rec)
}

// NewCSVReader returns a reader of r with dialect d.
func NewCSVReader(r io.Reader, d Dialect) *CSVReader {
	c := &CSVReader{r: r, buf: make([]byte, 128<<10), d: d, line: 1}
	if d.Delimiter != 0 {
		c.special[d.Delimiter] = true
	}
	c.special['\n'], c.special['\r'] = true, true
	c.inQ['\n'], c.inQ['\r'] = true, true
	if d.Escape != 0 {
		c.special[d.Escape] = true
		c.inQ[d.Escape] = true
	}
	if d.Quote != 0 {
		c.inQ[d.Quote] = true
	}
	return c
}

// Line returns the physical line the reader is at (1-based).
func (c *CSVReader) Line() int { return c.line }

func (c *CSVReader) fill() bool {
	if c.err != nil {
		return false
	}
	for {
		n, err := c.r.Read(c.buf)
		c.pos, c.end = 0, n
		if err != nil {
			c.err = err
		}
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// peek returns the next byte without consuming it.
func (c *CSVReader) peek() (byte, bool) {
	if c.pos >= c.end && !c.fill() {
		return 0, false
	}
	return c.buf[c.pos], true
}

// Next returns the next record and the physical line it starts on. The
// slice is reused by the next call; the strings stay valid. At the end it
// returns io.EOF; a read error or a record over MaxRecordSize is a
// *ParseError.
func (c *CSVReader) Next() ([]string, int, error) {
	for {
		rec, line, ok := c.fast()
		if !ok {
			break
		}
		if rec != nil {
			return rec, line, nil
		}
	}
	return c.slow()
}

// fast reads a record that lies on one line of the buffer (quoted fields
// included, as long as they hold no line break) and holds no escape
// character. ok is false when the slow path must read the next record; a
// nil record with ok skips a blank line.
func (c *CSVReader) fast() ([]string, int, bool) {
	if c.end-c.pos < 1<<12 && c.err == nil {
		c.compact()
	}
	seg := c.buf[c.pos:c.end]
	i := bytes.IndexByte(seg, '\n')
	if i < 0 {
		return nil, 0, false
	}
	seg = seg[:i]
	n := len(seg)
	if n > 0 && seg[n-1] == '\r' {
		n--
	}
	seg = seg[:n]
	if bytes.IndexByte(seg, '\r') >= 0 || (c.d.Escape != 0 && bytes.IndexByte(seg, c.d.Escape) >= 0) {
		return nil, 0, false
	}
	if n == 0 {
		line := c.line
		c.line++
		c.pos += i + 1
		return nil, line, true
	}
	rec, ends := c.rec[:0], c.ends[:0]
	q, delim := c.d.Quote, c.d.Delimiter
	p := 0
	for {
		if q != 0 && p < n && seg[p] == q {
			p++
			for {
				j := bytes.IndexByte(seg[p:], q)
				if j < 0 {
					return nil, 0, false // the field goes on past the line
				}
				rec = append(rec, seg[p:p+j]...)
				p += j + 1
				if p < n && seg[p] == q {
					rec = append(rec, q)
					p++
					continue
				}
				break
			}
			ends = append(ends, len(rec))
			if p == n {
				break
			}
			if delim == 0 || seg[p] != delim {
				return nil, 0, false // text after a closing quote
			}
			p++
			if p == n {
				ends = append(ends, len(rec))
				break
			}
			continue
		}
		j := -1
		if delim != 0 {
			j = bytes.IndexByte(seg[p:], delim)
		}
		if j < 0 {
			rec = append(rec, seg[p:]...)
			ends = append(ends, len(rec))
			break
		}
		rec = append(rec, seg[p:p+j]...)
		ends = append(ends, len(rec))
		p += j + 1
		if p == n {
			ends = append(ends, len(rec))
			break
		}
	}
	c.rec, c.ends = rec, ends
	line := c.line
	c.line++
	c.pos += i + 1
	c.Unterminated = false
	s := c.recString(rec)
	c.fields = c.fields[:0]
	prev := 0
	for _, e := range ends {
		c.fields = append(c.fields, s[prev:e])
		prev = e
	}
	return c.fields, line, true
}

// compact moves the unread bytes to the front of the buffer and reads
// more after them.
func (c *CSVReader) compact() {
	if c.pos > 0 {
		n := copy(c.buf, c.buf[c.pos:c.end])
		c.pos, c.end = 0, n
	}
	for c.end < len(c.buf) && c.err == nil {
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		if err != nil {
			c.err = err
		}
		if n == 0 && err == nil {
			continue
		}
		if c.end >= 1<<14 {
			break
		}
	}
}

func (c *CSVReader) slow() ([]string, int, error) {
	const (
		fieldStart = iota
		inField
		inQuoted
	)
	c.rec = c.rec[:0]
	c.ends = c.ends[:0]
	c.Unterminated = false
	state := fieldStart
	started := false
	startLine := c.line
	for {
		if c.pos >= c.end && !c.fill() {
			if c.err != nil && c.err != io.EOF {
				return nil, startLine, &ParseError{Line: startLine, Err: c.err}
			}
			if !started {
				return nil, startLine, io.EOF
			}
			if state == inQuoted {
				c.Unterminated = true
			}
			return c.finish(), startLine, nil
		}
		if len(c.rec) > MaxRecordSize {
			return nil, startLine, &ParseError{Line: startLine, Err: ErrRecordTooLong}
		}
		switch state {
		case fieldStart:
			ch := c.buf[c.pos]
			if !started {
				// Skip blank lines.
				if ch == '\n' || ch == '\r' {
					c.pos++
					if ch == '\r' {
						if b, ok := c.peek(); ok && b == '\n' {
							c.pos++
						}
					}
					c.line++
					startLine = c.line
					continue
				}
				started = true
			}
			if c.d.Quote != 0 && ch == c.d.Quote {
				c.pos++
				state = inQuoted
				continue
			}
			state = inField
		case inField:
			j := c.pos
			buf := c.buf[:c.end]
			for j < len(buf) && !c.special[buf[j]] {
				j++
			}
			c.rec = append(c.rec, buf[c.pos:j]...)
			c.pos = j
			if j == len(buf) {
				continue
			}
			ch := buf[j]
			c.pos++
			switch {
			case ch == c.d.Delimiter && c.d.Delimiter != 0:
				c.ends = append(c.ends, len(c.rec))
				state = fieldStart
			case ch == '\n':
				c.line++
				return c.finish(), startLine, nil
			case ch == '\r':
				if b, ok := c.peek(); ok && b == '\n' {
					c.pos++
				}
				c.line++
				return c.finish(), startLine, nil
			default: // escape
				b, ok := c.peek()
				if !ok {
					c.rec = append(c.rec, ch)
					continue
				}
				c.pos++
				if b == '\n' || b == '\r' && !c.nextIsLF() {
					c.line++
				}
				c.rec = append(c.rec, b)
			}
		case inQuoted:
			j := c.pos
			buf := c.buf[:c.end]
			for j < len(buf) && !c.inQ[buf[j]] {
				j++
			}
			c.rec = append(c.rec, buf[c.pos:j]...)
			c.pos = j
			if j == len(buf) {
				continue
			}
			ch := buf[j]
			c.pos++
			switch {
			case ch == '\n':
				c.line++
				c.rec = append(c.rec, ch)
			case ch == '\r':
				c.rec = append(c.rec, ch)
				if !c.nextIsLF() {
					c.line++
				}
			case ch == c.d.Quote && c.d.Quote != c.d.Escape:
				if b, ok := c.peek(); ok && b == c.d.Quote {
					c.pos++
					c.rec = append(c.rec, ch)
					continue
				}
				state = inField
			default: // escape (possibly equal to the quote)
				b, ok := c.peek()
				if !ok {
					if ch != c.d.Quote {
						c.rec = append(c.rec, ch)
					}
					state = inField
					continue
				}
				if ch == c.d.Quote && b != c.d.Quote {
					state = inField // closing quote
					continue
				}
				c.pos++
				if b == '\n' {
					c.line++
				}
				c.rec = append(c.rec, b)
			}
		}
	}
}

func (c *CSVReader) nextIsLF() bool {
	b, ok := c.peek()
	return ok && b == '\n'
}

func (c *CSVReader) finish() []string {
	c.ends = append(c.ends, len(c.rec))
	s := c.recString(c.rec)
	c.fields = c.fields[:0]
	prev := 0
	for _, e := range c.ends {
		c.fields = append(c.fields, s[prev:e])
		prev = e
	}
	return c.fields
}
