package analyzer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// BIFF8 record types read from .xls workbooks.
const (
	biffBOF        = 0x0809
	biffEOF        = 0x000A
	biffDateMode   = 0x0022
	biffBoundSheet = 0x0085
	biffSST        = 0x00FC
	biffContinue   = 0x003C
	biffFormat     = 0x041E
	biffXF         = 0x00E0
	biffNumber     = 0x0203
	biffRK         = 0x027E
	biffMulRK      = 0x00BD
	biffLabelSST   = 0x00FD
	biffLabel      = 0x0204
	biffBoolErr    = 0x0205
	biffFormula    = 0x0006
	biffString     = 0x0207
)

var errXLS = errors.New("malformed xls workbook")

type biffRecord struct {
	typ  uint16
	data []byte
}

// readBIFF splits a BIFF8 stream into records.
func readBIFF(b []byte) []biffRecord {
	var out []biffRecord
	for len(b) >= 4 {
		typ := binary.LittleEndian.Uint16(b)
		n := int(binary.LittleEndian.Uint16(b[2:]))
		if 4+n > len(b) {
			break
		}
		out = append(out, biffRecord{typ, b[4 : 4+n]})
		b = b[4+n:]
	}
	return out
}

type xlsSheet struct {
	name string
	pos  uint32
}

type xlsBook struct {
	stream   []byte
	date1904 bool
	sst      []string
	xfFmt    []uint16
	formats  map[uint16]string
	sheets   []xlsSheet
}

func walkXLS(ctx context.Context, s *settings, ra io.ReaderAt, size int64, name string, containers []string, fn func(*Table) error) error {
	book, err := openXLS(ra)
	if err != nil {
		return fmt.Errorf("analyzer: %s: %w", name, err)
	}
	all := make([]string, len(book.sheets))
	for i, sh := range book.sheets {
		all[i] = sh.name
	}
	picked, err := pickSheets(s, name, all)
	if err != nil {
		return err
	}
	d1904 := dateMode(s, book.date1904)
	for _, sh := range book.sheets {
		if !contains(picked, sh.name) {
			continue
		}
		rows, err := book.sheetRows(sh, d1904)
		if err != nil {
			return fmt.Errorf("analyzer: %s#%s: %w", name, sh.name, err)
		}
		t := &Table{Name: name + "#" + sh.name, Kind: KindXLS, Containers: containers, Sheet: sh.name, Sheets: all, src: rows}
		if err := fn(t); err != nil {
			return err
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func openXLS(ra io.ReaderAt) (book *xlsBook, err error) {
	defer func() {
		if r := recover(); r != nil {
			book, err = nil, fmt.Errorf("%w: %v", errXLS, r)
		}
	}()
	doc, err := mscfb.New(ra)
	if err != nil {
		return nil, err
	}
	var stream []byte
	for f, err := doc.Next(); err == nil; f, err = doc.Next() {
		if f.Name == "Workbook" || f.Name == "Book" {
			if f.Size > 256<<20 {
				return nil, fmt.Errorf("%w: workbook stream too large", errXLS)
			}
			stream = make([]byte, f.Size)
			if _, err := io.ReadFull(f, stream); err != nil {
				return nil, err
			}
			break
		}
	}
	if stream == nil {
		return nil, fmt.Errorf("%w: no Workbook stream", errXLS)
	}
	book = &xlsBook{stream: stream, formats: map[uint16]string{}}
	recs := readBIFF(stream)
	if len(recs) == 0 || recs[0].typ != biffBOF {
		return nil, fmt.Errorf("%w: no BOF record", errXLS)
	}
	if len(recs[0].data) >= 2 && binary.LittleEndian.Uint16(recs[0].data) != 0x0600 {
		return nil, fmt.Errorf("%w: only BIFF8 (Excel 97–2003) workbooks are supported", errXLS)
	}
	for i := 0; i < len(recs); i++ {
		r := recs[i]
		d := r.data
		switch r.typ {
		case biffEOF:
			return book, nil
		case biffDateMode:
			if len(d) >= 2 {
				book.date1904 = binary.LittleEndian.Uint16(d) == 1
			}
		case biffBoundSheet:
			if len(d) < 8 {
				continue
			}
			nm, _ := xlsShortString(d[6:])
			if d[5] == 0 { // worksheet
				book.sheets = append(book.sheets, xlsSheet{name: nm, pos: binary.LittleEndian.Uint32(d)})
			}
		case biffFormat:
			if len(d) >= 2 {
				code, _ := xlsString16(d[2:])
				book.formats[binary.LittleEndian.Uint16(d)] = code
			}
		case biffXF:
			if len(d) >= 4 {
				book.xfFmt = append(book.xfFmt, binary.LittleEndian.Uint16(d[2:]))
			}
		case biffSST:
			chunks := [][]byte{d}
			for i+1 < len(recs) && recs[i+1].typ == biffContinue {
				i++
				chunks = append(chunks, recs[i].data)
			}
			book.sst = readSST(chunks)
		}
	}
	return book, nil
}

// xlsShortString reads a ShortXLUnicodeString (8-bit length).
func xlsShortString(b []byte) (string, int) {
	if len(b) < 2 {
		return "", len(b)
	}
	return xlsChars(b[2:], int(b[0]), b[1]&1 != 0, 2)
}

// xlsString16 reads an XLUnicodeString (16-bit length).
func xlsString16(b []byte) (string, int) {
	if len(b) < 3 {
		return "", len(b)
	}
	return xlsChars(b[3:], int(binary.LittleEndian.Uint16(b)), b[2]&1 != 0, 3)
}

func xlsChars(b []byte, n int, wide bool, hdr int) (string, int) {
	if !wide {
		n = min(n, len(b))
		r := make([]rune, n)
		for i := 0; i < n; i++ {
			r[i] = rune(b[i]) // Latin-1 compressed
		}
		return string(r), hdr + n
	}
	n = min(n, len(b)/2)
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), hdr + 2*n
}

// sstCursor reads the shared string table across CONTINUE records: a
// string's characters may go on in the next record, which then starts with
// a new flags byte.
type sstCursor struct {
	chunks [][]byte
	ci, i  int
}

func (c *sstCursor) avail() int {
	for c.ci < len(c.chunks) && c.i >= len(c.chunks[c.ci]) {
		c.ci++
		c.i = 0
	}
	if c.ci >= len(c.chunks) {
		return 0
	}
	return len(c.chunks[c.ci]) - c.i
}

func (c *sstCursor) bytes(n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n && c.avail() > 0 {
		k := min(n-len(out), c.avail())
		out = append(out, c.chunks[c.ci][c.i:c.i+k]...)
		c.i += k
	}
	return out
}

func (c *sstCursor) skip(n int) {
	for n > 0 && c.avail() > 0 {
		k := min(n, c.avail())
		c.i += k
		n -= k
	}
}

func readSST(chunks [][]byte) []string {
	c := &sstCursor{chunks: chunks}
	hdr := c.bytes(8)
	if len(hdr) < 8 {
		return nil
	}
	unique := int(binary.LittleEndian.Uint32(hdr[4:]))
	out := make([]string, 0, min(unique, 1<<16))
	for k := 0; k < unique && c.avail() > 0; k++ {
		h := c.bytes(3)
		if len(h) < 3 {
			break
		}
		cch := int(binary.LittleEndian.Uint16(h))
		flags := h[2]
		runs, ext := 0, 0
		if flags&0x08 != 0 {
			runs = int(binary.LittleEndian.Uint16(c.bytes(2)))
		}
		if flags&0x04 != 0 {
			ext = int(binary.LittleEndian.Uint32(c.bytes(4)))
		}
		wide := flags&1 != 0
		u := make([]uint16, 0, min(cch, 1<<15))
		for len(u) < cch && c.avail() > 0 {
			if c.i == 0 && len(u) > 0 {
				// The characters go on in a CONTINUE record, which starts
				// with its own flags byte.
				wide = c.chunks[c.ci][0]&1 != 0
				c.i++
				continue
			}
			ch := c.chunks[c.ci]
			if wide {
				if len(ch)-c.i < 2 {
					c.i = len(ch)
					continue
				}
				u = append(u, binary.LittleEndian.Uint16(ch[c.i:]))
				c.i += 2
			} else {
				u = append(u, uint16(ch[c.i]))
				c.i++
			}
		}
		out = append(out, string(utf16.Decode(u)))
		c.skip(4*runs + ext)
	}
	return out
}

// rkValue decodes an RK number.
func rkValue(rk uint32) float64 {
	var v float64
	if rk&2 != 0 {
		v = float64(int32(rk) >> 2)
	} else {
		v = math.Float64frombits(uint64(rk&^3) << 32)
	}
	if rk&1 != 0 {
		v /= 100
	}
	return v
}

func (b *xlsBook) isDateXF(ixfe uint16) bool {
	if int(ixfe) >= len(b.xfFmt) {
		return false
	}
	f := b.xfFmt[ixfe]
	if code, ok := b.formats[f]; ok && f >= 164 {
		return isDateFormatCode(code)
	}
	return f >= 14 && f <= 22 || f >= 27 && f <= 36 || f >= 45 && f <= 47 || f >= 50 && f <= 58
}

func (b *xlsBook) number(v float64, ixfe uint16, d1904 bool) string {
	if b.isDateXF(ixfe) {
		return excelSerialText(v, d1904)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// sheetRows reads one worksheet into rows (workbooks are bounded to
// 65,536 rows, so a sheet is read whole).
func (b *xlsBook) sheetRows(sh xlsSheet, d1904 bool) (rows *xlsRows, err error) {
	defer func() {
		if r := recover(); r != nil {
			rows, err = nil, fmt.Errorf("%w: %v", errXLS, r)
		}
	}()
	if int(sh.pos) >= len(b.stream) {
		return nil, fmt.Errorf("%w: sheet offset out of range", errXLS)
	}
	recs := readBIFF(b.stream[sh.pos:])
	cells := map[int]map[int]string{}
	maxRow := -1
	set := func(r, c int, v string) {
		if cells[r] == nil {
			cells[r] = map[int]string{}
		}
		cells[r][c] = v
		maxRow = max(maxRow, r)
	}
	cell := func(d []byte) (int, int, uint16, bool) {
		if len(d) < 6 {
			return 0, 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:])), binary.LittleEndian.Uint16(d[4:]), true
	}
	pendingString := [2]int{-1, -1}
	for i, r := range recs {
		d := r.data
		if i > 0 && r.typ == biffEOF {
			break
		}
		switch r.typ {
		case biffNumber:
			if row, col, x, ok := cell(d); ok && len(d) >= 14 {
				set(row, col, b.number(math.Float64frombits(binary.LittleEndian.Uint64(d[6:])), x, d1904))
			}
		case biffRK:
			if row, col, x, ok := cell(d); ok && len(d) >= 10 {
				set(row, col, b.number(rkValue(binary.LittleEndian.Uint32(d[6:])), x, d1904))
			}
		case biffMulRK:
			if len(d) < 6 {
				continue
			}
			row, first := int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:]))
			for k, p := 0, 4; p+6 <= len(d)-2; k, p = k+1, p+6 {
				x := binary.LittleEndian.Uint16(d[p:])
				set(row, first+k, b.number(rkValue(binary.LittleEndian.Uint32(d[p+2:])), x, d1904))
			}
		case biffLabelSST:
			if row, col, _, ok := cell(d); ok && len(d) >= 10 {
				if k := int(binary.LittleEndian.Uint32(d[6:])); k < len(b.sst) {
					set(row, col, b.sst[k])
				}
			}
		case biffLabel:
			if row, col, _, ok := cell(d); ok {
				s, _ := xlsString16(d[6:])
				set(row, col, s)
			}
		case biffBoolErr:
			if row, col, _, ok := cell(d); ok && len(d) >= 8 {
				switch {
				case d[7] == 1:
					set(row, col, "#ERROR")
				case d[6] != 0:
					set(row, col, "TRUE")
				default:
					set(row, col, "FALSE")
				}
			}
		case biffFormula:
			row, col, x, ok := cell(d)
			if !ok || len(d) < 14 {
				continue
			}
			res := d[6:14]
			if res[6] == 0xFF && res[7] == 0xFF {
				switch res[0] {
				case 0:
					pendingString = [2]int{row, col}
				case 1:
					if res[2] != 0 {
						set(row, col, "TRUE")
					} else {
						set(row, col, "FALSE")
					}
				case 2:
					set(row, col, "#ERROR")
				}
			} else {
				set(row, col, b.number(math.Float64frombits(binary.LittleEndian.Uint64(res)), x, d1904))
			}
		case biffString:
			if pendingString[0] >= 0 {
				s, _ := xlsString16(d)
				set(pendingString[0], pendingString[1], s)
				pendingString = [2]int{-1, -1}
			}
		}
	}
	return &xlsRows{rows: cells, maxRow: maxRow}, nil
}

type xlsRows struct {
	rows   map[int]map[int]string
	maxRow int
	r      int
	row    []string
}

func (x *xlsRows) Next() ([]string, int, error) {
	for x.r <= x.maxRow {
		cells := x.rows[x.r]
		x.r++
		if len(cells) == 0 {
			continue
		}
		width := 0
		for c := range cells {
			width = max(width, c+1)
		}
		x.row = x.row[:0]
		for c := 0; c < width; c++ {
			x.row = append(x.row, cells[c])
		}
		return x.row, x.r, nil
	}
	return nil, x.r + 1, io.EOF
}
