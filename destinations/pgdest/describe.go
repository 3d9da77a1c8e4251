package pgdest

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/openqluster/qluster-go/qluster"
)

// querier runs queries on a pool or in a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// column is one column of an existing table as the catalog has it.
type column struct {
	name     string
	typ      pgType // parsed from format_type
	nullable bool
}

// relation is an existing relation and its columns (metadata included), in
// ordinal order.
type relation struct {
	kind    string // pg_class.relkind
	columns []column
}

// column returns the column named name, or nil.
func (r *relation) column(name string) *column {
	for i := range r.columns {
		if r.columns[i].name == name {
			return &r.columns[i]
		}
	}
	return nil
}

// relkindNames names the kinds of relation that are not tables, for errors.
var relkindNames = map[string]string{
	"v": "a view", "m": "a materialized view", "f": "a foreign table",
	"S": "a sequence", "i": "an index", "I": "a partitioned index", "c": "a composite type", "t": "a TOAST table",
}

// isTable reports whether r is a table Apply can alter: ordinary or partitioned.
func (r *relation) isTable() bool { return r.kind == "r" || r.kind == "p" }

// notTableError is returned when t names a relation that is not a table.
func notTableError(t qluster.TableRef, r *relation) error {
	what := relkindNames[r.kind]
	if what == "" {
		what = "relation kind " + r.kind
	}
	return &qluster.ConflictError{Msg: fmt.Sprintf("%s is %s, not a table; choose another table name or drop it", quoteTable(t), what)}
}

// lookup reads relation t from the catalog; nil when it does not exist.
func lookup(ctx context.Context, q querier, t qluster.TableRef) (*relation, error) {
	rows, err := q.Query(ctx, `
		SELECT c.relkind::text, a.attname::text, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE n.nspname = $1 AND c.relname = $2
		ORDER BY a.attnum`, t.Schema, t.Table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rel *relation
	for rows.Next() {
		var (
			kind      string
			name, typ *string
			nullable  *bool
		)
		if err := rows.Scan(&kind, &name, &typ, &nullable); err != nil {
			return nil, err
		}
		if rel == nil {
			rel = &relation{kind: kind}
		}
		if name != nil {
			rel.columns = append(rel.columns, column{name: *name, typ: parseType(*typ), nullable: *nullable})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return rel, nil
}

// Describe returns the data columns of table t in ordinal order, leaving out
// the metadata columns, or nil and no error when t does not exist. Types are
// normalised with NormalizeType, so a table Apply made describes as the
// TableSchema it was made from, except that Nullable is the table's own
// nullability: true for every column Apply added (see the package
// documentation). An error matching qluster.ErrConflict means t names a view
// or another relation that is not a table.
func (d *Destination) Describe(ctx context.Context, t qluster.TableRef) (*qluster.TableSchema, error) {
	if err := checkIdent("schema", t.Schema); err != nil {
		return nil, fmt.Errorf("pgdest.Describe: %w", err)
	}
	if err := checkIdent("table", t.Table); err != nil {
		return nil, fmt.Errorf("pgdest.Describe: %w", err)
	}
	rel, err := lookup(ctx, d.pool, t)
	if err != nil {
		return nil, fmt.Errorf("pgdest.Describe %s: %w", quoteTable(t), err)
	}
	if rel == nil {
		return nil, nil
	}
	if !rel.isTable() {
		return nil, fmt.Errorf("pgdest.Describe: %w", notTableError(t, rel))
	}
	return dataSchema(rel), nil
}

// dataSchema returns the data columns of rel.
func dataSchema(rel *relation) *qluster.TableSchema {
	s := &qluster.TableSchema{Columns: []qluster.ColumnSpec{}}
	for _, c := range rel.columns {
		if isMetadata(c.name) {
			continue
		}
		s.Columns = append(s.Columns, qluster.ColumnSpec{Name: c.name, Type: c.typ.String(), Nullable: c.nullable})
	}
	return s
}
