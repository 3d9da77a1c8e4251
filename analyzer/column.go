package analyzer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Type is a Postgres column type chosen by inference.
type Type int

// The types inference chooses from, narrowest first within each family.
const (
	TypeText Type = iota // text, or varchar(n) when Column.Length > 0
	TypeBoolean
	TypeSmallInt
	TypeInteger
	TypeBigInt
	TypeNumeric
	TypeDouble
	TypeDate
	TypeTimestamp
	TypeTimestamptz
	TypeTime
	TypeJSONB
	TypeTextArray
)

var typeNames = [...]string{
	TypeText:        "text",
	TypeBoolean:     "boolean",
	TypeSmallInt:    "smallint",
	TypeInteger:     "integer",
	TypeBigInt:      "bigint",
	TypeNumeric:     "numeric",
	TypeDouble:      "double precision",
	TypeDate:        "date",
	TypeTimestamp:   "timestamp",
	TypeTimestamptz: "timestamptz",
	TypeTime:        "time",
	TypeJSONB:       "jsonb",
	TypeTextArray:   "text[]",
}

// String returns the Postgres name of the type ("varchar" is spelled by
// Column.PGType).
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// ParseType reads a Postgres type name as written by Column.PGType,
// returning the type and the varchar length (0 if none).
func ParseType(s string) (Type, int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.HasPrefix(s, "varchar(") && strings.HasSuffix(s, ")") {
		n, err := strconv.Atoi(s[len("varchar(") : len(s)-1])
		if err != nil || n <= 0 {
			return TypeText, 0, fmt.Errorf("bad type %q", s)
		}
		return TypeText, n, nil
	}
	switch s {
	case "int2":
		return TypeSmallInt, 0, nil
	case "int", "int4":
		return TypeInteger, 0, nil
	case "int8":
		return TypeBigInt, 0, nil
	case "float8", "double":
		return TypeDouble, 0, nil
	case "timestamp with time zone":
		return TypeTimestamptz, 0, nil
	case "timestamp without time zone":
		return TypeTimestamp, 0, nil
	case "bool":
		return TypeBoolean, 0, nil
	case "varchar", "string":
		return TypeText, 0, nil
	}
	for i, n := range typeNames {
		if n == s {
			return Type(i), 0, nil
		}
	}
	return TypeText, 0, fmt.Errorf("unknown type %q", s)
}

// Column is what inference found about one column, and what Cast needs to
// turn its cells into typed values. It marshals to the `columns` items of
// the --json output.
type Column struct {
	// Index is the 0-based position of the column in the file's rows
	// (before ignored columns are dropped), or -1 for a column expanded
	// from a JSON field.
	Index int
	// RawName is the header cell as read (or the JSON key).
	RawName string
	// Name is the normalised, unique Postgres identifier.
	Name string
	// Type is the inferred type.
	Type Type
	// Length is n of varchar(n) when Type is TypeText and strings are not
	// typed as text; 0 means text.
	Length int
	// IsEmail reports a text column whose every value is an e-mail address
	// (stored as text with a CHECK).
	IsEmail bool
	// DatetimeFormats are the strftime formats that together parse every
	// value (one unless the column mixes formats).
	DatetimeFormats []string
	// AmbiguousFormats holds the day-first and month-first candidates when
	// no value decided between them; DatetimeFormats then holds the one
	// chosen (month-first).
	AmbiguousFormats []string
	// Nullable reports whether a null marker was seen (or no value at all).
	Nullable bool
	// NullMarkers are the distinct null markers seen, as written.
	NullMarkers []string
	// TrueWords and FalseWords are the distinct boolean words seen, for
	// boolean columns.
	TrueWords, FalseWords []string
	// Examples are a few distinct non-null values, as written.
	Examples []string
	// Number is how numbers are written, for numeric types.
	Number NumberStyle
	// DollarToCent reports a money column stored as bigint cents.
	DollarToCent bool
	// ArrayDelimiter separates the items of a text[] column ("" for
	// Postgres array literals "{a,b}").
	ArrayDelimiter string
	// ExpandedFrom is the name of the JSON column this column was expanded
	// from, JSONKey its key in that column's objects.
	ExpandedFrom, JSONKey string
	// NonNull and Nulls count the values seen.
	NonNull, Nulls int64
	// MaxLength is the longest value seen, in characters.
	MaxLength int
	// Questionable explains why the inferred type deserves a look, if it
	// does.
	Questionable string
	// FailedToInfer reports a column without a single non-null value; its
	// type is text.
	FailedToInfer bool

	cc *compiledColumn
}

// PGType returns the Postgres type as written in DDL: "varchar(n)" for a
// bounded string, else Type.String().
func (c *Column) PGType() string {
	if c.Type == TypeText && c.Length > 0 {
		return "varchar(" + strconv.Itoa(c.Length) + ")"
	}
	return c.Type.String()
}

type columnJSON struct {
	RawName          string       `json:"raw_name"`
	Name             string       `json:"name"`
	Type             string       `json:"type"`
	IsEmail          bool         `json:"is_email"`
	DatetimeFormats  []string     `json:"datetime_formats"`
	AmbiguousFormats []string     `json:"ambiguous_formats"`
	Nullable         bool         `json:"nullable"`
	NullMarkers      []string     `json:"null_markers"`
	TrueWords        []string     `json:"true_words"`
	FalseWords       []string     `json:"false_words"`
	Examples         []string     `json:"examples"`
	Index            int          `json:"index"`
	Number           *NumberStyle `json:"number_format,omitempty"`
	DollarToCent     bool         `json:"dollar_to_cent,omitempty"`
	ArrayDelimiter   *string      `json:"array_delimiter,omitempty"`
	ExpandedFrom     string       `json:"expanded_from,omitempty"`
	JSONKey          string       `json:"json_key,omitempty"`
	NonNull          int64        `json:"non_null"`
	Nulls            int64        `json:"nulls"`
	MaxLength        int          `json:"max_length"`
	Questionable     string       `json:"questionable,omitempty"`
	FailedToInfer    bool         `json:"failed_to_infer,omitempty"`
}

func nz(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// MarshalJSON writes the column in the --json shape.
func (c Column) MarshalJSON() ([]byte, error) {
	j := columnJSON{
		RawName: c.RawName, Name: c.Name, Type: c.PGType(), IsEmail: c.IsEmail,
		DatetimeFormats: nz(c.DatetimeFormats), AmbiguousFormats: nz(c.AmbiguousFormats),
		Nullable: c.Nullable, NullMarkers: nz(c.NullMarkers), TrueWords: nz(c.TrueWords),
		FalseWords: nz(c.FalseWords), Examples: nz(c.Examples), Index: c.Index,
		DollarToCent: c.DollarToCent, ExpandedFrom: c.ExpandedFrom, JSONKey: c.JSONKey,
		NonNull: c.NonNull, Nulls: c.Nulls, MaxLength: c.MaxLength,
		Questionable: c.Questionable, FailedToInfer: c.FailedToInfer,
	}
	if c.Number != (NumberStyle{}) {
		n := c.Number
		j.Number = &n
	}
	if c.Type == TypeTextArray {
		d := c.ArrayDelimiter
		j.ArrayDelimiter = &d
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a column written by MarshalJSON, so that a stored
// analysis can drive Cast.
func (c *Column) UnmarshalJSON(b []byte) error {
	var j columnJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	t, n, err := ParseType(j.Type)
	if err != nil {
		return err
	}
	*c = Column{
		Index: j.Index, RawName: j.RawName, Name: j.Name, Type: t, Length: n, IsEmail: j.IsEmail,
		DatetimeFormats: j.DatetimeFormats, AmbiguousFormats: j.AmbiguousFormats,
		Nullable: j.Nullable, NullMarkers: j.NullMarkers, TrueWords: j.TrueWords,
		FalseWords: j.FalseWords, Examples: j.Examples, DollarToCent: j.DollarToCent,
		ExpandedFrom: j.ExpandedFrom, JSONKey: j.JSONKey, NonNull: j.NonNull, Nulls: j.Nulls,
		MaxLength: j.MaxLength, Questionable: j.Questionable, FailedToInfer: j.FailedToInfer,
	}
	if j.Number != nil {
		c.Number = *j.Number
	}
	if j.ArrayDelimiter != nil {
		c.ArrayDelimiter = *j.ArrayDelimiter
	}
	return nil
}
