package analyzer

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding names reported in Result.Encoding.
const (
	EncUTF8        = "utf-8"
	EncUTF8BOM     = "utf-8-sig"
	EncUTF16LE     = "utf-16le"
	EncUTF16BE     = "utf-16be"
	EncWindows1252 = "windows-1252"
	EncISO88591    = "iso-8859-1"
)

// normEncoding maps common spellings to the names above ("" if unknown).
func normEncoding(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("_", "-", " ", "-").Replace(s)
	switch s {
	case "utf-8", "utf8", "ascii", "us-ascii":
		return EncUTF8
	case "utf-8-sig", "utf8-sig":
		return EncUTF8BOM
	case "utf-16", "utf-16le", "utf16le", "utf16":
		return EncUTF16LE
	case "utf-16be", "utf16be":
		return EncUTF16BE
	case "windows-1252", "cp1252", "win1252", "1252":
		return EncWindows1252
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1", "l1", "8859-1":
		return EncISO88591
	}
	return ""
}

// detectEncoding decides the encoding from the first bytes of a text
// file (sample may end in the middle of a character). hint is
// Options.EncodingProbably.
func detectEncoding(sample []byte, hint string) string {
	h := normEncoding(hint)
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		return EncUTF8BOM
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}):
		return EncUTF16LE
	case bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return EncUTF16BE
	}
	if e := utf16NoBOM(sample); e != "" {
		return e
	}
	if h == EncUTF16LE || h == EncUTF16BE {
		return h
	}
	if validUTF8Prefix(sample) {
		// Valid UTF-8 with non-ASCII characters is almost never
		// single-byte text, whatever the hint says; pure ASCII reads the
		// same in every candidate. Late windows-1252 bytes are caught by
		// the UTF-8 reader.
		return EncUTF8
	}
	if h == EncISO88591 {
		return h
	}
	for _, b := range sample {
		switch b {
		case 0x81, 0x8D, 0x8F, 0x90, 0x9D: // undefined in windows-1252
			return EncISO88591
		}
	}
	return EncWindows1252
}

func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a truncated
// character at the end.
func validUTF8Prefix(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	for k := 1; k <= 3 && k <= len(b); k++ {
		if utf8.Valid(b[:len(b)-k]) && !utf8.FullRune(b[len(b)-k:]) {
			return true
		}
	}
	return false
}

// utf16NoBOM spots UTF-16 text without a byte-order mark by its zero
// bytes.
func utf16NoBOM(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	if len(b) < 4 {
		return ""
	}
	var even, odd int
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	pairs := len(b) / 2
	switch {
	case odd*10 > pairs*4 && even*10 < pairs:
		return EncUTF16LE
	case even*10 > pairs*4 && odd*10 < pairs:
		return EncUTF16BE
	}
	return ""
}

// decodeReader returns r transcoded to UTF-8 (byte-order marks dropped).
func decodeReader(r io.Reader, enc string) (io.Reader, *utf8Reader) {
	switch enc {
	case EncUTF16LE:
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()), nil
	case EncUTF16BE:
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()), nil
	case EncWindows1252:
		return transform.NewReader(r, charmap.Windows1252.NewDecoder()), nil
	case EncISO88591:
		return transform.NewReader(r, charmap.ISO8859_1.NewDecoder()), nil
	}
	u := &utf8Reader{r: r, buf: make([]byte, 256<<10), first: true}
	return u, u
}

// utf8Reader passes UTF-8 through, drops a leading BOM and decodes any
// byte that is not valid UTF-8 as windows-1252, counting them.
type utf8Reader struct {
	r       io.Reader
	buf     []byte
	out     []byte
	pend    [4]byte
	npend   int
	first   bool
	err     error
	invalid int64
	multi   bool // valid non-ASCII characters were seen
	conv    []byte
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			if u.npend > 0 {
				u.out = u.decodeSlow(u.pend[:u.npend])
				u.npend = 0
				continue
			}
			return 0, u.err
		}
		u.fill()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

func (u *utf8Reader) fill() {
	copy(u.buf, u.pend[:u.npend])
	k := u.npend
	u.npend = 0
	n, err := u.r.Read(u.buf[k:])
	if err != nil {
		u.err = err
	}
	chunk := u.buf[:k+n]
	if u.first {
		if len(chunk) < 3 && err == nil && bytes.HasPrefix([]byte{0xEF, 0xBB, 0xBF}, chunk) {
			u.npend = copy(u.pend[:], chunk)
			return
		}
		u.first = false
		chunk = bytes.TrimPrefix(chunk, []byte{0xEF, 0xBB, 0xBF})
	}
	if err == nil {
		// Hold back an incomplete character at the end.
		cut := len(chunk)
		for i := len(chunk) - 1; i >= 0 && i >= len(chunk)-3; i-- {
			c := chunk[i]
			if c < 0x80 {
				break
			}
			if c >= 0xC0 {
				if !utf8.FullRune(chunk[i:]) {
					cut = i
				}
				break
			}
		}
		u.npend = copy(u.pend[:], chunk[cut:])
		chunk = chunk[:cut]
	}
	if utf8.Valid(chunk) {
		if !u.multi && !isASCII(chunk) {
			u.multi = true
		}
		u.out = chunk
		return
	}
	u.out = u.decodeSlow(chunk)
}

var cp1252High = func() [32]rune {
	var t [32]rune
	d := charmap.Windows1252
	for i := range t {
		t[i] = d.DecodeByte(byte(0x80 + i))
	}
	return t
}()

func (u *utf8Reader) decodeSlow(b []byte) []byte {
	out := u.conv[:0]
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			c := b[0]
			u.invalid++
			if c >= 0x80 && c < 0xA0 {
				out = utf8.AppendRune(out, cp1252High[c-0x80])
			} else {
				out = utf8.AppendRune(out, rune(c))
			}
			b = b[1:]
			continue
		}
		if n > 1 {
			u.multi = true
		}
		out = append(out, b[:n]...)
		b = b[n:]
	}
	u.conv = out
	return out
}
