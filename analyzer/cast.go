package analyzer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

// CastError reports a cell that does not fit its column. It carries what
// an alert shows: the value, the column, what was expected and a
// suggested fix.
type CastError struct {
	// Column is the column's name.
	Column string
	// Value is the cell as read.
	Value string
	// Want is the expected type, with the format(s) for datetimes.
	Want string
	// Hint suggests a fix, e.g. adding a null value or a datetime format.
	Hint string
}

// Error implements error.
func (e *CastError) Error() string {
	s := fmt.Sprintf("analyzer: column %q: cannot cast %q to %s", e.Column, e.Value, e.Want)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// ErrNull is returned by the typed Cast functions for a null marker; Cast
// itself returns (nil, nil) instead.
var ErrNull = errors.New("analyzer: value is null")

// compiledColumn is what casting needs, resolved once per column.
type compiledColumn struct {
	nulls     nullSet
	trueW     nullSet
	falseW    nullSet
	formats   []*Format
	dec, thou byte
	trim      bool
	jsonTries int
}

// Compile prepares the column for Cast with the settings in opts (nil
// means defaults): null values (global and for this column), boolean
// words, datetime formats. Analyze returns compiled columns; call Compile
// on columns read back from JSON before casting. Compile must not race
// with Cast.
func (c *Column) Compile(opts *Options) error {
	s, err := opts.compile()
	if err != nil {
		return err
	}
	return c.compileWith(s)
}

func (c *Column) compileWith(s *settings) error {
	cc := &compiledColumn{
		nulls:     s.nullsFor(c.RawName, c.Name),
		trueW:     s.trueWords,
		falseW:    s.falseWords,
		dec:       c.Number.dec(),
		thou:      c.Number.thou(),
		trim:      s.o.TrimStringInsteadOfRaisingErr,
		jsonTries: s.o.MaxTriesToFixJSON,
	}
	for _, f := range c.DatetimeFormats {
		cf, err := CompileFormat(f)
		if err != nil {
			return fmt.Errorf("analyzer: column %q: %w", c.Name, err)
		}
		cc.formats = append(cc.formats, cf)
	}
	c.cc = cc
	return nil
}

func (s *settings) nullsFor(raw, name string) nullSet {
	if ns, ok := s.nullPerCol[raw]; ok {
		return ns
	}
	if ns, ok := s.nullPerCol[name]; ok {
		return ns
	}
	return s.null
}

func (c *Column) compiled() *compiledColumn {
	if c.cc == nil {
		if err := c.Compile(nil); err != nil {
			c.cc = &compiledColumn{}
		}
	}
	return c.cc
}

// IsNull reports whether value is a null marker for the column.
func (c *Column) IsNull(value string) bool {
	cc := c.compiled()
	return cc.nulls.has(trimSpace(value))
}

// Cast turns a cell into the Go value for the column's type, ready for
// pgx (binary COPY included):
//
//	boolean          bool
//	smallint         int16
//	integer          int32
//	bigint           int64 (cents when DollarToCent)
//	numeric          pgtype.Numeric
//	double precision float64
//	date, timestamp  time.Time (UTC wall clock)
//	timestamptz      time.Time (UTC)
//	time             pgtype.Time
//	jsonb            json.RawMessage
//	text[]           []string
//	text, varchar    string
//
// A null marker gives (nil, nil). A value that does not fit gives a
// *CastError.
func Cast(value string, col *Column) (any, error) {
	cc := col.compiled()
	v := trimSpace(value)
	if cc.nulls.has(v) {
		return nil, nil
	}
	switch col.Type {
	case TypeBoolean:
		return castBool(v, value, col, cc)
	case TypeSmallInt, TypeInteger, TypeBigInt:
		n, err := castInt(v, value, col, cc)
		if err != nil {
			return nil, err
		}
		switch col.Type {
		case TypeSmallInt:
			return int16(n), nil
		case TypeInteger:
			return int32(n), nil
		}
		return n, nil
	case TypeNumeric:
		return castNumeric(v, value, col, cc)
	case TypeDouble:
		return castFloat(v, value, col, cc)
	case TypeDate, TypeTimestamp, TypeTimestamptz:
		return castTime(v, value, col, cc)
	case TypeTime:
		t, err := castTime(v, value, col, cc)
		if err != nil {
			return nil, err
		}
		us := int64(t.Hour())*3600e6 + int64(t.Minute())*60e6 + int64(t.Second())*1e6 + int64(t.Nanosecond())/1e3
		return pgtype.Time{Microseconds: us, Valid: true}, nil
	case TypeJSONB:
		return castJSON(v, value, col, cc)
	case TypeTextArray:
		return castArray(v, value, col, cc)
	}
	return castText(value, col, cc)
}

// CastBool casts a boolean cell. A null marker gives ErrNull.
func CastBool(value string, col *Column) (bool, error) {
	cc := col.compiled()
	v := trimSpace(value)
	if cc.nulls.has(v) {
		return false, ErrNull
	}
	return castBool(v, value, col, cc)
}

// CastInt casts an integer cell (smallint, integer or bigint, checking the
// column's range; bigint cents for DollarToCent columns). A null marker
// gives ErrNull.
func CastInt(value string, col *Column) (int64, error) {
	cc := col.compiled()
	v := trimSpace(value)
	if cc.nulls.has(v) {
		return 0, ErrNull
	}
	return castInt(v, value, col, cc)
}

// CastNumeric casts a numeric cell. A null marker gives ErrNull.
func CastNumeric(value string, col *Column) (pgtype.Numeric, error) {
	cc := col.compiled()
	v := trimSpace(value)
	if cc.nulls.has(v) {
		return pgtype.Numeric{}, ErrNull
	}
	return castNumeric(v, value, col, cc)
}

// CastFloat casts a double precision cell. A null marker gives ErrNull.
func CastFloat(value string, col *Column) (float64, error) {
	cc := col.compiled()
	v := trimSpace(value)
	if cc.nulls.has(v) {
		return 0, ErrNull
	}
	return castFloat(v, value, col, cc)
}

// CastTime casts a date, timestamp, timestamptz or time cell with the
// column's datetime formats (the first that parses wins). A null marker
// gives ErrNull.
func CastTime(value string, col *Column) (time.Time, error) {
	cc := col.compiled()
	v := trimSpace(value)
	if cc.nulls.has(v) {
		return time.Time{}, ErrNull
	}
	return castTime(v, value, col, cc)
}

// CastText casts a text or varchar(n) cell; the value is kept as written.
// A null marker gives ErrNull.
func CastText(value string, col *Column) (string, error) {
	cc := col.compiled()
	if cc.nulls.has(trimSpace(value)) {
		return "", ErrNull
	}
	return castText(value, col, cc)
}

func (c *Column) castErr(value, hint string) *CastError {
	want := c.PGType()
	if len(c.DatetimeFormats) > 0 {
		want += " in format " + strings.Join(c.DatetimeFormats, " or ")
	}
	return &CastError{Column: c.Name, Value: value, Want: want, Hint: hint}
}

const nullHint = "if this value means no value, add it to null_values for this column"

func castBool(v, raw string, col *Column, cc *compiledColumn) (bool, error) {
	if cc.trueW.has(v) {
		return true, nil
	}
	if cc.falseW.has(v) {
		return false, nil
	}
	return false, col.castErr(raw, "add it to boolean_true or boolean_false, or "+nullHint)
}

func castInt(v, raw string, col *Column, cc *compiledColumn) (int64, error) {
	var n int64
	if isPlainInt(v) && !col.DollarToCent {
		var ok bool
		if n, ok = parsePlainInt(v); !ok {
			return 0, col.castErr(raw, "the number is too large for "+col.PGType())
		}
	} else {
		ns, ok := scanNumber(v, cc.dec, cc.thou)
		if !ok || ns.lead0 && !col.DollarToCent {
			return 0, col.castErr(raw, "expected a whole number; "+nullHint)
		}
		if ns.big {
			return 0, col.castErr(raw, "the number is too large for "+col.PGType())
		}
		n = ns.mant
		scale := int(ns.scale)
		if col.DollarToCent {
			if scale > 2 {
				return 0, col.castErr(raw, "more than two decimals in a money column")
			}
			for ; scale < 2; scale++ {
				if n > math.MaxInt64/10 || n < math.MinInt64/10 {
					return 0, col.castErr(raw, "the amount is too large")
				}
				n *= 10
			}
		} else if scale > 0 {
			return 0, col.castErr(raw, "expected a whole number, the column may need type numeric")
		}
	}
	switch col.Type {
	case TypeSmallInt:
		if n < math.MinInt16 || n > math.MaxInt16 {
			return 0, col.castErr(raw, "out of range for smallint; the column needs a wider type")
		}
	case TypeInteger:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return 0, col.castErr(raw, "out of range for integer; the column needs type bigint")
		}
	}
	return n, nil
}

func castNumeric(v, raw string, col *Column, cc *compiledColumn) (pgtype.Numeric, error) {
	ns, ok := scanNumber(v, cc.dec, cc.thou)
	if !ok {
		if isFloatText(v) {
			if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				var num pgtype.Numeric
				if err := num.Scan(strconv.FormatFloat(f, 'f', -1, 64)); err == nil {
					return num, nil
				}
			}
		}
		return pgtype.Numeric{}, col.castErr(raw, "expected a number; "+nullHint)
	}
	var i *big.Int
	if ns.big {
		i, _ = new(big.Int).SetString(digitsOf(v), 10)
		if ns.neg {
			i.Neg(i)
		}
	} else {
		i = big.NewInt(ns.mant)
	}
	return pgtype.Numeric{Int: i, Exp: int32(-ns.scale), Valid: true}, nil
}

func castFloat(v, raw string, col *Column, cc *compiledColumn) (float64, error) {
	if isFloatText(v) {
		if f, err := strconv.ParseFloat(v, 64); err == nil || errors.Is(err, strconv.ErrRange) {
			return f, nil // out of range reads as ±Inf or 0, as Postgres would round
		}
	}
	ns, ok := scanNumber(v, cc.dec, cc.thou)
	if !ok {
		return 0, col.castErr(raw, "expected a number; "+nullHint)
	}
	if !ns.big {
		f := float64(ns.mant)
		if ns.scale > 0 {
			f /= math.Pow10(int(ns.scale))
		}
		return f, nil
	}
	f, err := strconv.ParseFloat(digitsOf(v), 64)
	if err != nil {
		return 0, col.castErr(raw, "expected a number")
	}
	f /= math.Pow10(int(ns.scale))
	if ns.neg {
		f = -f
	}
	return f, nil
}

func castTime(v, raw string, col *Column, cc *compiledColumn) (time.Time, error) {
	for _, f := range cc.formats {
		if p, ok := f.Parse(v); ok {
			return p.Time(), nil
		}
	}
	hint := "add its format to datetime_formats for this column"
	if len(cc.formats) == 0 {
		hint = "the column has no datetime format; " + hint
	}
	return time.Time{}, col.castErr(raw, hint+", or "+nullHint)
}

func castJSON(v, raw string, col *Column, cc *compiledColumn) (json.RawMessage, error) {
	if json.Valid([]byte(v)) {
		return json.RawMessage(v), nil
	}
	if fixed, ok := fixJSON(v, cc.jsonTries); ok {
		return json.RawMessage(fixed), nil
	}
	return nil, col.castErr(raw, "not valid JSON; raise max_tries_to_fix_json or "+nullHint)
}

func castArray(v, raw string, col *Column, cc *compiledColumn) ([]string, error) {
	items, ok := splitArray(v, col.ArrayDelimiter)
	if !ok {
		return nil, col.castErr(raw, "not a list")
	}
	return items, nil
}

func castText(value string, col *Column, cc *compiledColumn) (string, error) {
	if col.IsEmail && !isEmail(trimSpace(value)) {
		return "", col.castErr(value, "not an e-mail address; "+nullHint)
	}
	if col.Length > 0 && len(value) > col.Length {
		n := utf8.RuneCountInString(value)
		if n > col.Length {
			if !cc.trim {
				return "", col.castErr(value, fmt.Sprintf("%d characters, more than %d; set trim_string_instead_of_raising_err or use_text_instead_of_string", n, col.Length))
			}
			i, k := 0, 0
			for i = range value {
				if k == col.Length {
					break
				}
				k++
			}
			return value[:i], nil
		}
	}
	return value, nil
}

// splitArray reads a Postgres array literal {a,"b c"} when delim is "",
// else items separated by delim. Items are trimmed.
func splitArray(v, delim string) ([]string, bool) {
	if delim == "" {
		if len(v) < 2 || v[0] != '{' || v[len(v)-1] != '}' {
			return nil, false
		}
		body := v[1 : len(v)-1]
		items := []string{}
		if trimSpace(body) == "" {
			return items, true
		}
		var cur strings.Builder
		inQ, quoted := false, false
		for i := 0; i < len(body); i++ {
			c := body[i]
			switch {
			case inQ && c == '\\' && i+1 < len(body):
				i++
				cur.WriteByte(body[i])
			case c == '"':
				inQ = !inQ
				quoted = true
			case !inQ && c == ',':
				s := cur.String()
				if !quoted {
					s = trimSpace(s)
				}
				items = append(items, s)
				cur.Reset()
				quoted = false
			case !inQ && (c == '{' || c == '}'):
				return nil, false
			default:
				cur.WriteByte(c)
			}
		}
		if inQ {
			return nil, false
		}
		s := cur.String()
		if !quoted {
			s = trimSpace(s)
		}
		return append(items, s), true
	}
	parts := strings.Split(v, delim)
	for i := range parts {
		parts[i] = trimSpace(parts[i])
	}
	return parts, true
}

var emailBad = func() (t [256]bool) {
	for c := 0; c <= ' '; c++ {
		t[c] = true
	}
	for _, c := range "@,;<>()\"[]\\" {
		t[c] = true
	}
	return t
}()

// isEmail is a cheap check for local@domain.tld without spaces.
func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 254 {
		return false
	}
	dom := s[at+1:]
	dot := strings.LastIndexByte(dom, '.')
	if dot <= 0 || dot >= len(dom)-2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if emailBad[s[i]] && i != at {
			return false
		}
	}
	return !strings.Contains(dom, "..")
}
