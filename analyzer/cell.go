package analyzer

import (
	"math"
	"strconv"
	"time"
)

// Cell is one cast cell, held without allocation so a loader can reuse one
// Cell per column for every row. Which field is set depends on the column's
// type:
//
//	boolean                      Bool
//	smallint, integer, bigint    Int (cents for DollarToCent columns)
//	numeric                      Num: canonical decimal text, [-]digits[.digits]
//	double precision             Float
//	date, timestamp, timestamptz Time (UTC)
//	time                         Micros since midnight
//	jsonb                        Text: the JSON document
//	text[]                       Items
//	text, varchar                Text
//
// Text may point into the row it was cast from: use it before the reader
// moves to the next row.
type Cell struct {
	// Null is true when the value is a null marker; the other fields are then unset.
	Null   bool
	Bool   bool
	Int    int64
	Float  float64
	Time   time.Time
	Micros int64
	Text   string
	Num    []byte
	Items  []string
}

// CastInto casts value for col into c, reusing c's buffers: the
// allocation-free counterpart of Cast that ingestion runs for every cell. A
// null marker sets c.Null; a value that does not fit returns a *CastError.
func CastInto(c *Cell, value string, col *Column) error {
	cc := col.compiled()
	v := trimSpace(value)
	c.Null = false
	if cc.nulls.has(v) {
		c.Null = true
		return nil
	}
	var err error
	switch col.Type {
	case TypeBoolean:
		c.Bool, err = castBool(v, value, col, cc)
	case TypeSmallInt, TypeInteger, TypeBigInt:
		c.Int, err = castInt(v, value, col, cc)
	case TypeNumeric:
		err = castNumInto(c, v, value, col, cc)
	case TypeDouble:
		c.Float, err = castFloat(v, value, col, cc)
	case TypeDate, TypeTimestamp, TypeTimestamptz:
		c.Time, err = castTime(v, value, col, cc)
	case TypeTime:
		var t time.Time
		if t, err = castTime(v, value, col, cc); err == nil {
			c.Micros = int64(t.Hour())*3600e6 + int64(t.Minute())*60e6 + int64(t.Second())*1e6 + int64(t.Nanosecond())/1e3
		}
	case TypeJSONB:
		var raw []byte
		if raw, err = castJSON(v, value, col, cc); err == nil {
			c.Text = string(raw)
		}
	case TypeTextArray:
		c.Items, err = castArray(v, value, col, cc)
	default:
		c.Text, err = castText(value, col, cc)
	}
	return err
}

// castNumInto writes the canonical decimal text of a numeric cell into c.Num.
func castNumInto(c *Cell, v, raw string, col *Column, cc *compiledColumn) error {
	ns, ok := scanNumber(v, cc.dec, cc.thou)
	buf := c.Num[:0]
	if !ok {
		if isFloatText(v) {
			if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				c.Num = strconv.AppendFloat(buf, f, 'f', -1, 64)
				return nil
			}
		}
		return col.castErr(raw, "expected a number; "+nullHint)
	}
	neg := ns.neg
	var digits []byte
	start := len(buf)
	if neg {
		buf = append(buf, '-')
		start++
	}
	if ns.big {
		buf = append(buf, digitsOf(v)...)
	} else {
		m := ns.mant
		if m < 0 {
			if !neg {
				buf = append(buf[:start], '-')
				start++
			}
			m = -m
		}
		buf = strconv.AppendInt(buf, m, 10)
	}
	digits = buf[start:]
	scale := int(ns.scale)
	if scale > 0 {
		// Pad to at least scale+1 digits, then put the point before the last scale digits.
		for len(digits) <= scale {
			buf = append(buf[:start], append([]byte{'0'}, buf[start:]...)...)
			digits = buf[start:]
		}
		buf = append(buf, 0)
		point := len(buf) - 1 - scale
		copy(buf[point+1:], buf[point:len(buf)-1])
		buf[point] = '.'
	}
	c.Num = buf
	return nil
}
