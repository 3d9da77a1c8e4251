package pgdest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// RowWriter encodes rows in PostgreSQL's binary COPY format into a buffer
// that it reuses, without allocating once the buffer has grown to the size
// it is flushed at. A stream is Header, then for each row StartRow followed
// by exactly nfields field methods (Null, Int64, Text, ...), then Trailer.
// The caller sends Bytes and calls Reset whenever it likes, typically every
// few tens of KiB:
//
//	var w pgdest.RowWriter
//	w.Header()
//	for _, r := range rows {
//		w.StartRow(2)
//		w.Int64(r.ID)
//		w.TextString(r.Name)
//		if w.Len() >= 64<<10 {
//			if _, err := out.Write(w.Bytes()); err != nil { ... }
//			w.Reset()
//		}
//	}
//	w.Trailer()
//	_, err := out.Write(w.Bytes())
//
// Each field method must match the column's type exactly, as the server
// reads binary values by the column's type: Int16 for smallint, Int32 for
// integer, Int64 for bigint, Float32 for real, Float64 for double precision,
// Timestamp for both timestamp and timestamptz, Text for text, varchar,
// char and json, and so on. A mismatch fails the COPY ("incorrect binary
// data format"). The writer does not count fields; a row with the wrong
// number of fields fails the COPY too.
//
// The zero RowWriter is ready to use. A RowWriter is not safe for
// concurrent use.
type RowWriter struct {
	buf []byte
}

// copySignature starts every binary COPY stream; flags and the header
// extension length (both zero) follow it.
const copySignature = "PGCOPY\n\xff\r\n\x00"

// PostgreSQL's epoch, 2000-01-01 00:00:00 UTC, from the Unix epoch.
const (
	pgEpochDays   = 10957
	pgEpochMicros = pgEpochDays * 86400 * 1000000
)

// Header writes the stream header: the signature, flags 0 (no OIDs) and an
// empty header extension.
func (w *RowWriter) Header() {
	w.buf = append(w.buf, copySignature...)
	w.buf = append(w.buf, 0, 0, 0, 0, 0, 0, 0, 0)
}

// Trailer writes the end-of-data marker that ends the stream.
func (w *RowWriter) Trailer() { w.buf = binary.BigEndian.AppendUint16(w.buf, 0xffff) }

// StartRow starts a row of nfields fields.
func (w *RowWriter) StartRow(nfields int16) {
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(nfields))
}

// Null writes a NULL field, valid for a column of any type.
func (w *RowWriter) Null() { w.buf = binary.BigEndian.AppendUint32(w.buf, 0xffffffff) }

// Bool writes a boolean field.
func (w *RowWriter) Bool(v bool) {
	var b byte
	if v {
		b = 1
	}
	w.buf = append(w.buf, 0, 0, 0, 1, b)
}

// Int16 writes a smallint field.
func (w *RowWriter) Int16(v int16) {
	w.buf = binary.BigEndian.AppendUint16(append(w.buf, 0, 0, 0, 2), uint16(v))
}

// Int32 writes an integer field.
func (w *RowWriter) Int32(v int32) {
	w.buf = binary.BigEndian.AppendUint32(append(w.buf, 0, 0, 0, 4), uint32(v))
}

// Int64 writes a bigint field.
func (w *RowWriter) Int64(v int64) {
	w.buf = binary.BigEndian.AppendUint64(append(w.buf, 0, 0, 0, 8), uint64(v))
}

// Float32 writes a real field.
func (w *RowWriter) Float32(v float32) {
	w.buf = binary.BigEndian.AppendUint32(append(w.buf, 0, 0, 0, 4), math.Float32bits(v))
}

// Float64 writes a double precision field. NaN and the infinities are
// PostgreSQL's NaN, Infinity and -Infinity.
func (w *RowWriter) Float64(v float64) {
	w.buf = binary.BigEndian.AppendUint64(append(w.buf, 0, 0, 0, 8), math.Float64bits(v))
}

// Text writes a text, varchar, char or json field holding v, which must be
// valid UTF-8 without NUL bytes (in a UTF-8 database) or the COPY fails. An
// empty v is the empty string, not NULL.
func (w *RowWriter) Text(v []byte) {
	w.buf = append(binary.BigEndian.AppendUint32(w.buf, uint32(len(v))), v...)
}

// TextString is Text for a string.
func (w *RowWriter) TextString(v string) {
	w.buf = append(binary.BigEndian.AppendUint32(w.buf, uint32(len(v))), v...)
}

// JSONB writes a jsonb field from the JSON text raw, which the server parses
// (and refuses, failing the COPY, if it is not JSON).
func (w *RowWriter) JSONB(raw []byte) {
	w.buf = append(binary.BigEndian.AppendUint32(w.buf, uint32(len(raw)+1)), 1)
	w.buf = append(w.buf, raw...)
}

// Date writes a date field: days since 2000-01-01, negative before.
func (w *RowWriter) Date(days int32) {
	w.buf = binary.BigEndian.AppendUint32(append(w.buf, 0, 0, 0, 4), uint32(days))
}

// DateFromTime returns the days from 2000-01-01 to t's calendar date in t's
// location, for Date.
func DateFromTime(t time.Time) int32 {
	_, offset := t.Zone()
	secs := t.Unix() + int64(offset) // t's wall clock, as seconds since 1970-01-01
	days := secs / 86400
	if secs%86400 < 0 {
		days-- // floor, for dates before 1970
	}
	return int32(days - pgEpochDays)
}

// Timestamp writes a timestamp or timestamptz field: microseconds since
// 2000-01-01 00:00:00, negative before. For timestamptz that is an instant
// counted from 2000-01-01 UTC, whatever the session's TimeZone; for
// timestamp (without time zone) it is the wall clock read as if it were UTC.
func (w *RowWriter) Timestamp(micros int64) {
	w.buf = binary.BigEndian.AppendUint64(append(w.buf, 0, 0, 0, 8), uint64(micros))
}

// TimestampFromTime returns t as microseconds since 2000-01-01 00:00:00 UTC,
// for Timestamp, truncating nanoseconds toward the past. For a timestamptz
// column pass any t; for a timestamp column pass the wall clock in UTC
// (time.Date(y, mo, d, h, mi, s, ns, time.UTC)).
func TimestampFromTime(t time.Time) int64 { return t.UnixMicro() - pgEpochMicros }

// Time writes a time (without time zone) field: microseconds since
// midnight, from 0 to 86,400,000,000 (24:00:00).
func (w *RowWriter) Time(micros int64) {
	w.buf = binary.BigEndian.AppendUint64(append(w.buf, 0, 0, 0, 8), uint64(micros))
}

// TextArray writes a one-dimensional text[] field with lower bound 1 and
// elems as its elements, none NULL (a nil element is the empty string). No
// elements is the empty array '{}'.
func (w *RowWriter) TextArray(elems [][]byte) {
	if len(elems) == 0 {
		// length 12: ndim 0, no nulls, element type text (OID 25).
		w.buf = append(w.buf, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25)
		return
	}
	size := 20
	for _, e := range elems {
		size += 4 + len(e)
	}
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(size))
	// ndim 1, no nulls, element type text (OID 25), then the dimension's
	// length and lower bound 1.
	w.buf = append(w.buf, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25)
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(len(elems)))
	w.buf = append(w.buf, 0, 0, 0, 1)
	for _, e := range elems {
		w.buf = append(binary.BigEndian.AppendUint32(w.buf, uint32(len(e))), e...)
	}
}

// PostgreSQL's limits on unconstrained numeric values.
const (
	numericMaxIntDigits   = 131072 // digits before the decimal point
	numericMaxScale       = 0x3fff // digits after it (NUMERIC_DSCALE_MASK)
	numericMaxGroups      = math.MaxInt16
	numericSignNeg        = 0x4000
	numericDigitsPerGroup = 4 // decimal digits per base-10000 digit
)

// errNumericSyntax is returned by Numeric for text that is not [-]digits[.digits].
var errNumericSyntax = errors.New("not a decimal number of the form [-]digits[.digits]")

// Numeric writes a numeric field holding the decimal dec, exactly: dec must
// be [-]digits[.digits] ("0", "-0.5", "0.000001", "1234.50"); exponents,
// a leading + or ., spaces, NaN and Infinity are refused. Leading zeros
// are dropped and the digits after the point set the value's display scale,
// so "1.50" reads back as 1.50 and "-0.00" as 0.00. A column declared
// numeric(p,s) rounds the value to s digits as it does for text input.
//
// On error Numeric writes nothing, so the caller may write Null or
// Truncate the row instead.
func (w *RowWriter) Numeric(dec []byte) error {
	s := dec
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	ip, fp := s, s[len(s):]
	for i, c := range s {
		if c == '.' {
			ip, fp = s[:i], s[i+1:]
			if len(fp) == 0 {
				return fmt.Errorf("numeric %q: %w", dec, errNumericSyntax)
			}
			break
		}
	}
	if len(ip) == 0 || !allDigits(ip) || !allDigits(fp) {
		return fmt.Errorf("numeric %q: %w", dec, errNumericSyntax)
	}
	dscale := len(fp)
	for len(ip) > 0 && ip[0] == '0' {
		ip = ip[1:]
	}
	for len(fp) > 0 && fp[len(fp)-1] == '0' {
		fp = fp[:len(fp)-1]
	}
	if len(ip) > numericMaxIntDigits || dscale > numericMaxScale {
		return fmt.Errorf("numeric of %d digits before and %d after the point: PostgreSQL allows %d and %d",
			len(ip), dscale, numericMaxIntDigits, numericMaxScale)
	}

	// The value's decimal digits, from the first significant one, are
	// ip then fp, placed so that groups of four align on the point: lead
	// zeros pad ip to a multiple of four; when ip is empty the groups of
	// fp that hold only zeros are skipped, each lowering the weight.
	var (
		lead   int // zeros before the first digit in the first group
		weight int // power of 10000 of the first group
	)
	if len(ip) > 0 {
		lead = (numericDigitsPerGroup - len(ip)%numericDigitsPerGroup) % numericDigitsPerGroup
		weight = (lead+len(ip))/numericDigitsPerGroup - 1
	} else {
		z := 0
		for z < len(fp) && fp[z] == '0' {
			z++
		}
		skip := z / numericDigitsPerGroup
		fp = fp[skip*numericDigitsPerGroup:]
		weight = -1 - skip
	}
	if (lead+len(ip)+len(fp)+numericDigitsPerGroup-1)/numericDigitsPerGroup > numericMaxGroups {
		return fmt.Errorf("numeric of %d digits: too long for PostgreSQL", len(ip)+len(fp))
	}

	start := len(w.buf)
	ngroups := (lead + len(ip) + len(fp) + numericDigitsPerGroup - 1) / numericDigitsPerGroup
	w.buf = slices.Grow(w.buf, 12+2*ngroups)[:start+12+2*ngroups]
	// Field length, ndigits, weight, sign and dscale are set below.
	out := w.buf[start+12:]
	var (
		group uint16
		pos   = lead // position of the next digit from the start of the first group
	)
	for _, c := range ip {
		group = group*10 + uint16(c-'0')
		if pos++; pos%numericDigitsPerGroup == 0 {
			binary.BigEndian.PutUint16(out[pos/2-2:], group)
			group = 0
		}
	}
	for _, c := range fp {
		group = group*10 + uint16(c-'0')
		if pos++; pos%numericDigitsPerGroup == 0 {
			binary.BigEndian.PutUint16(out[pos/2-2:], group)
			group = 0
		}
	}
	if pos%numericDigitsPerGroup != 0 {
		for ; pos%numericDigitsPerGroup != 0; pos++ {
			group *= 10
		}
		binary.BigEndian.PutUint16(out[pos/2-2:], group)
	}
	// Trailing zero groups (from ip's trailing zeros) are left out.
	for len(w.buf) > start+12 && w.buf[len(w.buf)-1] == 0 && w.buf[len(w.buf)-2] == 0 {
		w.buf = w.buf[:len(w.buf)-2]
	}
	ndigits := (len(w.buf) - start - 12) / 2
	var sign uint16
	switch {
	case ndigits == 0:
		weight = 0
	case neg:
		sign = numericSignNeg
	}
	h := w.buf[start:]
	binary.BigEndian.PutUint32(h[0:], uint32(8+2*ndigits))
	binary.BigEndian.PutUint16(h[4:], uint16(ndigits))
	binary.BigEndian.PutUint16(h[6:], uint16(int16(weight)))
	binary.BigEndian.PutUint16(h[8:], sign)
	binary.BigEndian.PutUint16(h[10:], uint16(dscale))
	return nil
}

// allDigits reports whether b holds only ASCII digits.
func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Len returns the number of bytes written since the last Reset.
func (w *RowWriter) Len() int { return len(w.buf) }

// Bytes returns the bytes written since the last Reset. They are valid
// until the next write or Reset.
func (w *RowWriter) Bytes() []byte { return w.buf }

// Truncate drops all but the first n bytes written since the last Reset,
// typically to drop a half-written row: note Len before StartRow and
// Truncate to it. It panics if n is negative or greater than Len.
func (w *RowWriter) Truncate(n int) {
	if n < 0 || n > len(w.buf) {
		panic(fmt.Sprintf("pgdest.RowWriter.Truncate: %d out of range [0, %d]", n, len(w.buf)))
	}
	w.buf = w.buf[:n]
}

// Reset empties the buffer, keeping its memory for the next rows.
func (w *RowWriter) Reset() { w.buf = w.buf[:0] }
