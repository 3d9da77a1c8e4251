package qluster

import (
	"strconv"
	"strings"
)

// typeRank orders the types of one family from narrow to wide.
var typeRank = map[string][2]int{
	// family 1: whole numbers, then numeric
	"smallint": {1, 1}, "integer": {1, 2}, "bigint": {1, 3}, "numeric": {1, 5},
	// double precision joins the number family above bigint but below numeric:
	// an integer column that meets fractions becomes numeric, never a float.
	"double precision": {1, 4},
	// family 2: dates and times
	"date": {2, 1}, "timestamp": {2, 2}, "timestamptz": {2, 3},
}

// WidestType is the narrowest PostgreSQL type that holds every value of
// columns typed a and b: the wider of the two within a family (smallint <
// integer < bigint < numeric; date < timestamp < timestamptz; varchar(n) <
// varchar(m) for m > n < text), and text across families. Double precision
// meets whole numbers as numeric.
func WidestType(a, b string) string {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == b || b == "" {
		return a
	}
	if a == "" {
		return b
	}
	na, oka := varcharLen(a)
	nb, okb := varcharLen(b)
	switch {
	case oka && okb:
		return "varchar(" + strconv.Itoa(max(na, nb)) + ")"
	case (oka && b == "text") || (okb && a == "text"):
		return "text"
	}
	ra, oka2 := typeRank[a]
	rb, okb2 := typeRank[b]
	if oka2 && okb2 && ra[0] == rb[0] {
		if (a == "double precision") != (b == "double precision") && ra[0] == 1 {
			return "numeric"
		}
		if ra[1] >= rb[1] {
			return a
		}
		return b
	}
	return "text"
}

func varcharLen(t string) (int, bool) {
	rest, ok := strings.CutPrefix(t, "varchar(")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(rest, ")"))
	return n, err == nil
}

// ColumnChange says how a proposed column relates to the table in force.
type ColumnChange string

// The kinds of ColumnChange.
const (
	ColumnNew       ColumnChange = "new"
	ColumnWidened   ColumnChange = "widened"
	ColumnUnchanged ColumnChange = "unchanged"
	// ColumnKept is a column of the table that no file of this training has;
	// it stays in the table.
	ColumnKept ColumnChange = "kept"
)

// EvolveSchema merges a proposed schema into the one in force (nil for a new
// table): columns of cur keep their place and widen where proposed needs it,
// new columns are appended. It returns the result and, per column name, what
// changed.
func EvolveSchema(cur, proposed *TableSchema) (*TableSchema, map[string]ColumnChange) {
	out := &TableSchema{}
	changes := map[string]ColumnChange{}
	if cur != nil {
		for _, c := range cur.Columns {
			nc := c
			if p := proposed.Column(c.Name); p != nil {
				nc.Type = WidestType(c.Type, p.Type)
				nc.Nullable = c.Nullable || p.Nullable
				if nc.Type != c.Type {
					changes[c.Name] = ColumnWidened
				} else {
					changes[c.Name] = ColumnUnchanged
				}
			} else {
				changes[c.Name] = ColumnKept
			}
			out.Columns = append(out.Columns, nc)
		}
	}
	for _, p := range proposed.Columns {
		if cur.Column(p.Name) == nil {
			out.Columns = append(out.Columns, p)
			changes[p.Name] = ColumnNew
		}
	}
	return out, changes
}
