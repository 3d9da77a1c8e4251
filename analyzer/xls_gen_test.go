package analyzer

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"unicode/utf16"
)

// biffWriter writes BIFF8 records.
type biffWriter struct{ bytes.Buffer }

func (w *biffWriter) rec(typ uint16, data []byte) {
	var h [4]byte
	binary.LittleEndian.PutUint16(h[:], typ)
	binary.LittleEndian.PutUint16(h[2:], uint16(len(data)))
	w.Write(h[:])
	w.Write(data)
}

func le16(v int) []byte { b := make([]byte, 2); binary.LittleEndian.PutUint16(b, uint16(v)); return b }
func le32(v uint32) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, v)
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// xlsStr16 encodes an XLUnicodeString (UTF-16).
func xlsStr16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := cat(le16(len(u)), []byte{1})
	for _, c := range u {
		b = append(b, le16(int(c))...)
	}
	return b
}

type xlsCell struct {
	row, col int
	kind     byte // s string (SST), n number, r RK, b bool, f formula string, l label
	s        string
	n        float64
	xf       int
}

type xlsTestSheet struct {
	name  string
	cells []xlsCell
}

// xlsWorkbook builds a BIFF8 workbook stream: XF 0 general, XF 1 date
// (format 14), XF 2 custom "dd/mm/yyyy hh:mm" (164), XF 3 "0.00".
func xlsWorkbook(sheets []xlsTestSheet, date1904 bool) []byte {
	// Shared strings, in first-use order.
	var sst []string
	idx := map[string]int{}
	for _, sh := range sheets {
		for _, c := range sh.cells {
			if c.kind == 's' {
				if _, ok := idx[c.s]; !ok {
					idx[c.s] = len(sst)
					sst = append(sst, c.s)
				}
			}
		}
	}
	var g biffWriter
	g.rec(biffBOF, cat(le16(0x0600), le16(0x0005), make([]byte, 12)))
	g.rec(0x0042, le16(1200)) // CODEPAGE UTF-16
	mode := 0
	if date1904 {
		mode = 1
	}
	g.rec(biffDateMode, le16(mode))
	g.rec(biffFormat, cat(le16(164), xlsStr16("dd/mm/yyyy hh:mm")))
	for _, f := range []int{0, 14, 164, 2} {
		g.rec(biffXF, cat(le16(0), le16(f), make([]byte, 16)))
	}
	// SST, split into CONTINUE records every 200 bytes (a real limit is
	// 8224) so that strings straddle records.
	var body []byte
	body = append(body, le32(uint32(len(sst)))...)
	body = append(body, le32(uint32(len(sst)))...)
	var chunks [][]byte
	cur := body
	const limit = 200
	for _, s := range sst {
		u := utf16.Encode([]rune(s))
		hdr := cat(le16(len(u)), []byte{1})
		if len(cur)+len(hdr)+2 > limit {
			chunks = append(chunks, cur)
			cur = nil
		}
		cur = append(cur, hdr...)
		for _, c := range u {
			if len(cur)+2 > limit {
				chunks = append(chunks, cur)
				cur = []byte{1} // flags byte of the continued characters
			}
			cur = append(cur, le16(int(c))...)
		}
	}
	chunks = append(chunks, cur)
	g.rec(biffSST, chunks[0])
	for _, c := range chunks[1:] {
		g.rec(biffContinue, c)
	}
	// BOUNDSHEETs with placeholder offsets, patched below.
	var bsAt []int
	for _, sh := range sheets {
		bsAt = append(bsAt, g.Len()+4)
		u := utf16.Encode([]rune(sh.name))
		name := cat([]byte{byte(len(u)), 1})
		for _, c := range u {
			name = append(name, le16(int(c))...)
		}
		g.rec(biffBoundSheet, cat(le32(0), []byte{0, 0}, name))
	}
	g.rec(biffEOF, nil)
	out := g.Bytes()
	for i, sh := range sheets {
		binary.LittleEndian.PutUint32(out[bsAt[i]:], uint32(len(out)))
		var w biffWriter
		w.rec(biffBOF, cat(le16(0x0600), le16(0x0010), make([]byte, 12)))
		for _, c := range sh.cells {
			head := cat(le16(c.row), le16(c.col), le16(c.xf))
			switch c.kind {
			case 's':
				w.rec(biffLabelSST, cat(head, le32(uint32(idx[c.s]))))
			case 'l':
				w.rec(biffLabel, cat(head, xlsStr16(c.s)))
			case 'n':
				b := make([]byte, 8)
				binary.LittleEndian.PutUint64(b, math.Float64bits(c.n))
				w.rec(biffNumber, cat(head, b))
			case 'r': // integer RK
				w.rec(biffRK, cat(head, le32(uint32(int32(c.n))<<2|2)))
			case 'b':
				v := byte(0)
				if c.n != 0 {
					v = 1
				}
				w.rec(biffBoolErr, cat(head, []byte{v, 0}))
			case 'f':
				res := []byte{0, 0, 0, 0, 0, 0, 0xFF, 0xFF}
				w.rec(biffFormula, cat(head, res, le16(0), le32(0), le16(0)))
				w.rec(biffString, xlsStr16(c.s))
			}
		}
		w.rec(biffEOF, nil)
		out = append(out, w.Bytes()...)
	}
	return out
}

// cfbFile wraps a stream named name in a minimal compound file (version 3,
// 512-byte sectors, one FAT sector, the stream padded past the 4096-byte
// mini-stream cutoff).
func cfbFile(name string, stream []byte) []byte {
	for len(stream) < 4096 {
		stream = append(stream, 0)
	}
	const sec = 512
	nData := (len(stream) + sec - 1) / sec
	if nData+2 > 128 {
		panic("test workbook too large for one FAT sector")
	}
	dirSec, fatSec := nData, nData+1
	hdr := make([]byte, sec)
	copy(hdr, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	binary.LittleEndian.PutUint16(hdr[24:], 0x003E)
	binary.LittleEndian.PutUint16(hdr[26:], 3)
	binary.LittleEndian.PutUint16(hdr[28:], 0xFFFE)
	binary.LittleEndian.PutUint16(hdr[30:], 9)
	binary.LittleEndian.PutUint16(hdr[32:], 6)
	binary.LittleEndian.PutUint32(hdr[44:], 1) // FAT sectors
	binary.LittleEndian.PutUint32(hdr[48:], uint32(dirSec))
	binary.LittleEndian.PutUint32(hdr[56:], 4096)
	binary.LittleEndian.PutUint32(hdr[60:], 0xFFFFFFFE)
	binary.LittleEndian.PutUint32(hdr[68:], 0xFFFFFFFE)
	for i := 0; i < 109; i++ {
		binary.LittleEndian.PutUint32(hdr[76+4*i:], 0xFFFFFFFF)
	}
	binary.LittleEndian.PutUint32(hdr[76:], uint32(fatSec))
	data := make([]byte, nData*sec)
	copy(data, stream)
	dir := make([]byte, sec)
	entry := func(i int, name string, typ byte, child uint32, start uint32, size uint32) {
		e := dir[i*128 : (i+1)*128]
		u := utf16.Encode([]rune(name))
		for k, c := range u {
			binary.LittleEndian.PutUint16(e[2*k:], c)
		}
		binary.LittleEndian.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66] = typ
		e[67] = 1 // black
		binary.LittleEndian.PutUint32(e[68:], 0xFFFFFFFF)
		binary.LittleEndian.PutUint32(e[72:], 0xFFFFFFFF)
		binary.LittleEndian.PutUint32(e[76:], child)
		binary.LittleEndian.PutUint32(e[116:], start)
		binary.LittleEndian.PutUint32(e[120:], size)
	}
	entry(0, "Root Entry", 5, 1, 0xFFFFFFFE, 0)
	entry(1, name, 2, 0xFFFFFFFF, 0, uint32(len(stream)))
	for i := 2; i < 4; i++ {
		e := dir[i*128 : (i+1)*128]
		binary.LittleEndian.PutUint32(e[68:], 0xFFFFFFFF)
		binary.LittleEndian.PutUint32(e[72:], 0xFFFFFFFF)
		binary.LittleEndian.PutUint32(e[76:], 0xFFFFFFFF)
	}
	fat := make([]byte, sec)
	for i := 0; i < 128; i++ {
		v := uint32(0xFFFFFFFF)
		switch {
		case i < nData-1:
			v = uint32(i + 1)
		case i == nData-1, i == dirSec:
			v = 0xFFFFFFFE
		case i == fatSec:
			v = 0xFFFFFFFD
		}
		binary.LittleEndian.PutUint32(fat[4*i:], v)
	}
	return cat(hdr, data, dir, fat)
}

// xlsBytes builds the book.xls test workbook: a "Notes" sheet and an
// "Orders" sheet with a preamble, shared strings (some straddling
// CONTINUE records), RK and NUMBER cells, dates, a custom date-time
// format, booleans and a string formula.
func xlsBytes(t *testing.T, date1904 bool) []byte {
	t.Helper()
	long := strings.Repeat("long customer name ", 12)
	orders := []xlsCell{
		{0, 0, 's', "Orders export", 0, 0},
		{2, 0, 's', "Order ID", 0, 0}, {2, 1, 's', "Customer", 0, 0}, {2, 2, 's', "Ordered", 0, 0},
		{2, 3, 's', "Amount", 0, 0}, {2, 4, 's', "Paid", 0, 0}, {2, 5, 's', "At", 0, 0}, {2, 6, 's', "Label", 0, 0},
	}
	custs := []string{"Ann", long + "Bob", "Zoë"}
	for i := 0; i < 3; i++ {
		r := 3 + i
		orders = append(orders,
			xlsCell{r, 0, 'r', "", float64(1001 + i), 0},
			xlsCell{r, 1, 's', custs[i], 0, 0},
			xlsCell{r, 2, 'n', "", float64(44197 + 31*i), 1},
			xlsCell{r, 3, 'n', "", 10.5 * float64(i+1), 3},
			xlsCell{r, 4, 'b', "", float64(i % 2), 0},
			xlsCell{r, 5, 'n', "", 44197.5 + float64(i), 2},
			xlsCell{r, 6, 'f', "L" + string(rune('A'+i)), 0, 0},
		)
	}
	notes := []xlsCell{
		{0, 0, 'l', "topic", 0, 0}, {0, 1, 'l', "note", 0, 0},
		{1, 0, 'l', "a", 0, 0}, {1, 1, 'l', "first", 0, 0},
	}
	return cfbFile("Workbook", xlsWorkbook([]xlsTestSheet{{"Notes", notes}, {"Orders", orders}}, date1904))
}
