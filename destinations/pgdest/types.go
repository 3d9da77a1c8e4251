package pgdest

import (
	"regexp"
	"strconv"
	"strings"
)

// pgType is a PostgreSQL type parsed into its canonical parts.
type pgType struct {
	// base is the canonical name: "integer", "varchar", "timestamptz", ...
	// For a type outside the vocabulary it is the cleaned input.
	base string
	// mods are the type modifiers: varchar(n) → [n], numeric(p,s) → [p s],
	// timestamp(p) → [p].
	mods []int
	// array is true for a one-dimensional array of base.
	array bool
	// known is true when base is in the vocabulary below and mods fit it, so
	// the type may be written into DDL.
	known bool
}

// aliases maps every spelling of a supported type, including those of
// format_type, to its canonical name.
var aliases = map[string]string{
	"boolean": "boolean", "bool": "boolean",
	"smallint": "smallint", "int2": "smallint",
	"integer": "integer", "int": "integer", "int4": "integer",
	"bigint": "bigint", "int8": "bigint",
	"numeric": "numeric", "decimal": "numeric",
	"real": "real", "float4": "real",
	"double precision": "double precision", "float8": "double precision", "float": "double precision",
	"date":                        "date",
	"timestamp":                   "timestamp",
	"timestamp without time zone": "timestamp",
	"timestamptz":                 "timestamptz",
	"timestamp with time zone":    "timestamptz",
	"time":                        "time",
	"time without time zone":      "time",
	"timetz":                      "timetz",
	"time with time zone":         "timetz",
	"interval":                    "interval",
	"json":                        "json",
	"jsonb":                       "jsonb",
	"text":                        "text",
	"varchar":                     "varchar", "character varying": "varchar",
	"char": "char", "character": "char", "bpchar": "char",
	"uuid":  "uuid",
	"bytea": "bytea",
}

// maxMods is how many modifiers each canonical type takes; absent means none.
var maxMods = map[string]int{
	"numeric": 2, "varchar": 1, "char": 1,
	"timestamp": 1, "timestamptz": 1, "time": 1, "timetz": 1,
}

// typeRE splits a cleaned type into a name, optional modifiers in
// parentheses and an optional trailing name part, as in format_type's
// "timestamp(3) without time zone".
var typeRE = regexp.MustCompile(`^([a-z][a-z0-9_ ]*?)(?: ?\(([0-9 ,]+)\)( [a-z ]+)?)?$`)

// parseType parses s. It never fails: a type it does not recognise comes
// back with known false and base set to the cleaned input.
func parseType(s string) pgType {
	clean := strings.Join(strings.Fields(s), " ")
	if !strings.Contains(clean, `"`) {
		clean = strings.ToLower(clean)
	}
	t := pgType{base: clean}
	rest := clean
	if r, ok := strings.CutSuffix(rest, "[]"); ok {
		t.array = true
		rest = strings.TrimSpace(r)
	}
	m := typeRE.FindStringSubmatch(rest)
	if m == nil {
		return t
	}
	name := strings.TrimSpace(strings.TrimSpace(m[1]) + " " + strings.TrimSpace(m[3]))
	base, ok := aliases[name]
	if !ok {
		return t
	}
	var mods []int
	if m[2] != "" {
		for _, f := range strings.Split(m[2], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return t
			}
			mods = append(mods, n)
		}
	}
	if !modsFit(base, mods) {
		return t
	}
	return pgType{base: base, mods: mods, array: t.array, known: true}
}

// modsFit reports whether mods are valid modifiers of base.
func modsFit(base string, mods []int) bool {
	if len(mods) > maxMods[base] {
		return false
	}
	if len(mods) == 0 {
		return true
	}
	switch base {
	case "numeric":
		p := mods[0]
		s := 0
		if len(mods) == 2 {
			s = mods[1]
		}
		return p >= 1 && p <= 1000 && s >= 0 && s <= p
	case "varchar", "char":
		return mods[0] >= 1 && mods[0] <= 10485760
	default: // time and timestamp precision
		return mods[0] >= 0 && mods[0] <= 6
	}
}

// String returns the canonical spelling, which PostgreSQL accepts in DDL
// when t is known.
func (t pgType) String() string {
	if !t.known {
		return t.base
	}
	s := t.base
	if len(t.mods) > 0 {
		parts := make([]string, len(t.mods))
		for i, m := range t.mods {
			parts[i] = strconv.Itoa(m)
		}
		s += "(" + strings.Join(parts, ",") + ")"
	}
	if t.array {
		s += "[]"
	}
	return s
}

// NormalizeType returns the canonical spelling of the PostgreSQL type s, the
// one used by qluster.ColumnSpec.Type: lower case, short names, no spaces in
// modifiers. It maps format_type's output and the common aliases:
//
//	character varying(20)          → varchar(20)
//	timestamp without time zone    → timestamp
//	timestamp(3) with time zone    → timestamptz(3)
//	time without time zone         → time
//	int4, int                      → integer
//	float8                         → double precision
//	decimal(10, 2)                 → numeric(10,2)
//	text []                        → text[]
//
// A type it does not know comes back trimmed, with runs of spaces made one
// and, unless it holds a quoted name, lower-cased.
func NormalizeType(s string) string { return parseType(s).String() }

// intDigits is how many decimal digits each integer type needs; its order is
// the widening order smallint → integer → bigint.
var intDigits = map[string]int{"smallint": 5, "integer": 10, "bigint": 19}

// defaultTimePrecision is the precision of time and timestamp types written
// without one.
const defaultTimePrecision = 6

// CanWiden reports whether Apply may change a column of type from to type to
// in place, keeping every value. Both are normalised first; the same type
// gives true (there is nothing to change). The widenings are:
//
//	smallint → integer → bigint → numeric   (and numeric(p,s) wide enough for the integers)
//	numeric(p,s) → numeric(p',s')           (when s' ≥ s and p'-s' ≥ p-s) → numeric
//	date → timestamp → timestamptz          (timestamps read as UTC), date → timestamptz
//	timestamp(p) → timestamp(p'), time(p) → time(p')   (p' ≥ p; no precision means 6)
//	varchar(n) → varchar(m)                 (m > n) → varchar → text
//	any type → text                         (the value's text form, as col::text gives it)
//
// Everything else, in particular integers or numeric to double precision,
// real or double precision to numeric, and any narrowing, gives false.
func CanWiden(from, to string) bool {
	f, t := parseType(from), parseType(to)
	return canWiden(f, t)
}

func canWiden(f, t pgType) bool {
	if f.String() == t.String() {
		return true
	}
	if !t.known {
		return false
	}
	if t.base == "text" && !t.array {
		return true
	}
	if !f.known || f.array || t.array {
		return false
	}
	switch {
	case intDigits[f.base] > 0 && intDigits[t.base] > 0:
		return intDigits[f.base] < intDigits[t.base]
	case intDigits[f.base] > 0 && t.base == "numeric":
		if len(t.mods) == 0 {
			return true
		}
		p, s := numericMods(t)
		return p-s >= intDigits[f.base]
	case f.base == "numeric" && t.base == "numeric":
		if len(t.mods) == 0 {
			return true
		}
		if len(f.mods) == 0 {
			return false
		}
		p1, s1 := numericMods(f)
		p2, s2 := numericMods(t)
		return s2 >= s1 && p2-s2 >= p1-s1
	case f.base == "date" && (t.base == "timestamp" || t.base == "timestamptz"):
		return true
	case (f.base == "timestamp" && (t.base == "timestamp" || t.base == "timestamptz")) ||
		(f.base == "timestamptz" && t.base == "timestamptz") ||
		(f.base == "time" && t.base == "time"):
		return timePrecision(f) <= timePrecision(t)
	case f.base == "varchar" && t.base == "varchar":
		if len(t.mods) == 0 {
			return true
		}
		return len(f.mods) == 1 && f.mods[0] < t.mods[0]
	}
	return false
}

// numericMods returns the precision and scale of a numeric with modifiers.
func numericMods(t pgType) (p, s int) {
	p = t.mods[0]
	if len(t.mods) == 2 {
		s = t.mods[1]
	}
	return p, s
}

// timePrecision returns the fractional-second digits of a time or timestamp type.
func timePrecision(t pgType) int {
	if len(t.mods) == 0 {
		return defaultTimePrecision
	}
	return t.mods[0]
}

// usingExpr returns the USING expression that converts column col (already
// quoted) from f to t, for a change canWiden allows. Timestamps without time
// zone are read as UTC.
func usingExpr(col string, f, t pgType) string {
	switch {
	case t.base == "text" && !t.array:
		return col + "::text"
	case f.base == "timestamp" && t.base == "timestamptz":
		return "(" + col + " AT TIME ZONE 'UTC')::" + t.String()
	case f.base == "date" && t.base == "timestamptz":
		return "(" + col + "::timestamp AT TIME ZONE 'UTC')::" + t.String()
	default:
		return col + "::" + t.String()
	}
}
