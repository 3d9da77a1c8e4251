package pgdest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/openqluster/qluster-go/qluster"
)

// Columns of a quarantine table beside the metadata columns.
const (
	// ColQuarantineID is the quarantine table's bigserial primary key.
	ColQuarantineID = "_id"
	// ColRaw holds the row's raw values as a JSON object keyed by column name.
	ColRaw = "_raw"
	// ColHeader holds the file's header as read, when it had one.
	ColHeader = "_header"
	// ColErrors holds why the row was refused, as JSON.
	ColErrors = "_errors"
)

// lockClass is the first key of Apply's two-key advisory locks ("qlst"). The
// two-key space does not overlap the single bigint keys other code uses.
const lockClass = 0x716c7374

// supportedTypes lists the types a want may name, for errors.
const supportedTypes = "boolean, smallint, integer, bigint, numeric, numeric(p,s), real, double precision, " +
	"date, timestamp, timestamptz, time, timetz, interval, json, jsonb, text, varchar, varchar(n), char(n), uuid, bytea, " +
	"or an array of one of them such as text[]"

// wantColumn is a checked column of a want.
type wantColumn struct {
	name string
	typ  pgType
}

// checkWant returns the columns of want with parsed types, or an error naming
// every column that cannot be created.
func checkWant(want *qluster.TableSchema) ([]wantColumn, error) {
	if want == nil {
		return nil, errors.New("the wanted schema is nil")
	}
	var (
		cols = make([]wantColumn, 0, len(want.Columns))
		seen = make(map[string]bool, len(want.Columns))
		errs []error
	)
	for i, c := range want.Columns {
		if err := checkIdent("column", c.Name); err != nil {
			errs = append(errs, fmt.Errorf("column %d: %w", i+1, err))
			continue
		}
		if isMetadata(c.Name) {
			errs = append(errs, fmt.Errorf("column %q has the name of a metadata column; rename it", c.Name))
			continue
		}
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("column %q appears twice", c.Name))
			continue
		}
		seen[c.Name] = true
		typ := parseType(c.Type)
		if !typ.known {
			errs = append(errs, fmt.Errorf("column %q: type %q is not supported; use %s", c.Name, c.Type, supportedTypes))
			continue
		}
		cols = append(cols, wantColumn{name: c.Name, typ: typ})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cols, nil
}

// Apply changes table t to want in one transaction, under an advisory lock
// on t so that concurrent appliers of the same table take turns:
//
//   - when t does not exist it creates the schema if needed, then t with the
//     metadata columns followed by want's columns, all nullable, and an index
//     on _stored_item_id;
//   - when t exists it adds the columns of want that t lacks (at the end, in
//     want's order) and widens those whose type differs when CanWiden allows
//     it, keeping every row; columns of t not in want are kept;
//   - either way it creates t's quarantine table if it does not exist.
//
// When a column's type differs and cannot be widened it returns an error
// matching qluster.ErrConflict naming each such column, its type and the
// wanted type, and changes nothing; it does the same when t is a view or a
// table without the metadata columns. Names that PostgreSQL cannot hold
// (empty or over 63 bytes), metadata column names, duplicate columns and
// unsupported types are refused before anything is touched.
func (d *Destination) Apply(ctx context.Context, t qluster.TableRef, want *qluster.TableSchema) error {
	if err := checkTable(t); err != nil {
		return fmt.Errorf("pgdest.Apply: %w", err)
	}
	name := quoteTable(t)
	cols, err := checkWant(want)
	if err != nil {
		return fmt.Errorf("pgdest.Apply %s: %w", name, err)
	}
	var ch changes
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		ch = changes{}
		return apply(ctx, tx, t, cols, &ch)
	})
	if err != nil {
		return fmt.Errorf("pgdest.Apply %s: %w", name, err)
	}
	ch.log(ctx, d, name)
	return nil
}

// changes records what apply did, for the log.
type changes struct {
	created    bool
	quarantine bool
	added      []string
	widened    []string
}

func (c *changes) log(ctx context.Context, d *Destination, name string) {
	if c.created {
		d.log.InfoContext(ctx, "pgdest: created table", "table", name, "columns", len(c.added))
	} else if len(c.added)+len(c.widened) > 0 {
		d.log.InfoContext(ctx, "pgdest: altered table", "table", name, "added", c.added, "widened", c.widened)
	}
	if c.quarantine {
		d.log.InfoContext(ctx, "pgdest: created quarantine table", "table", name)
	}
}

// apply does Apply's work in tx.
func apply(ctx context.Context, tx pgx.Tx, t qluster.TableRef, cols []wantColumn, ch *changes) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(lockClass), quoteTable(t)); err != nil {
		return err
	}
	// USING casts to text depend on these; fix them so that the result
	// does not depend on the pool's session settings.
	if _, err := tx.Exec(ctx, `SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
		set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true)`); err != nil {
		return err
	}
	rel, err := lookup(ctx, tx, t)
	if err != nil {
		return err
	}
	if rel == nil {
		if err := ensureSchema(ctx, tx, t.Schema); err != nil {
			return err
		}
		if err := createTable(ctx, tx, t, cols); err != nil {
			return err
		}
		ch.created = true
		for _, c := range cols {
			ch.added = append(ch.added, c.name)
		}
	} else if err := alterTable(ctx, tx, t, rel, cols, ch); err != nil {
		return err
	}

	qt := t.QuarantineTable()
	qrel, err := lookup(ctx, tx, qt)
	switch {
	case err != nil:
		return err
	case qrel == nil:
		ch.quarantine = true
		return createQuarantine(ctx, tx, qt)
	case !qrel.isTable():
		return notTableError(qt, qrel)
	}
	return nil
}

// ensureSchema creates schema unless it exists. Appliers of different tables
// in one new schema take turns on a lock of their own, so that only the
// first creates it. Checking first spares roles without the CREATE privilege
// on the database, which CREATE SCHEMA IF NOT EXISTS requires even when the
// schema exists.
func ensureSchema(ctx context.Context, tx pgx.Tx, schema string) error {
	exists := func() (bool, error) {
		var ok bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1)`, schema).Scan(&ok)
		return ok, err
	}
	ok, err := exists()
	if err != nil || ok {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(lockClass), "schema "+quoteIdent(schema)); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(schema))
	return err
}

// createTable creates t with the metadata columns, then cols, all nullable.
func createTable(ctx context.Context, tx pgx.Tx, t qluster.TableRef, cols []wantColumn) error {
	defs := make([]string, 0, len(metadataColumns)+len(cols))
	for _, m := range metadataColumns {
		defs = append(defs, quoteIdent(m.name)+" "+m.def)
	}
	for _, c := range cols {
		defs = append(defs, quoteIdent(c.name)+" "+c.typ.String())
	}
	name := quoteTable(t)
	if _, err := tx.Exec(ctx, "CREATE TABLE "+name+" (\n\t"+strings.Join(defs, ",\n\t")+"\n)"); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "CREATE INDEX ON "+name+" ("+quoteIdent(qluster.ColStoredItemID)+")")
	return err
}

// createQuarantine creates the quarantine table qt and its index.
func createQuarantine(ctx context.Context, tx pgx.Tx, qt qluster.TableRef) error {
	defs := []string{quoteIdent(ColQuarantineID) + " bigserial PRIMARY KEY"}
	for _, m := range metadataColumns {
		defs = append(defs, quoteIdent(m.name)+" "+m.def)
	}
	defs = append(defs,
		quoteIdent(ColRaw)+" jsonb NOT NULL",
		quoteIdent(ColHeader)+" text[]",
		quoteIdent(ColErrors)+" jsonb NOT NULL",
	)
	name := quoteTable(qt)
	if _, err := tx.Exec(ctx, "CREATE TABLE "+name+" (\n\t"+strings.Join(defs, ",\n\t")+"\n)"); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "CREATE INDEX ON "+name+" ("+quoteIdent(qluster.ColStoredItemID)+")")
	return err
}

// alterTable adds and widens the columns of the existing table t (described
// by rel) to match cols, in one ALTER TABLE, or returns a
// *qluster.ConflictError and changes nothing.
func alterTable(ctx context.Context, tx pgx.Tx, t qluster.TableRef, rel *relation, cols []wantColumn, ch *changes) error {
	if !rel.isTable() {
		return notTableError(t, rel)
	}
	var missing []string
	for _, m := range metadataColumns {
		if rel.column(m.name) == nil {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return &qluster.ConflictError{Msg: fmt.Sprintf(
			"%s exists but is not a Qluster table: it lacks the metadata columns %s; choose another table name",
			quoteTable(t), strings.Join(missing, ", "))}
	}

	var actions, conflicts []string
	for _, w := range cols {
		c := rel.column(w.name)
		switch {
		case c == nil:
			actions = append(actions, "ADD COLUMN "+quoteIdent(w.name)+" "+w.typ.String())
			ch.added = append(ch.added, w.name)
		case c.typ.String() == w.typ.String():
		case canWiden(c.typ, w.typ):
			col := quoteIdent(w.name)
			actions = append(actions, "ALTER COLUMN "+col+" TYPE "+w.typ.String()+" USING "+usingExpr(col, c.typ, w.typ))
			ch.widened = append(ch.widened, w.name+" "+c.typ.String()+" → "+w.typ.String())
		default:
			conflicts = append(conflicts, fmt.Sprintf("column %s is %s and cannot become %s", quoteIdent(w.name), c.typ, w.typ))
		}
	}
	if len(conflicts) > 0 {
		ch.added, ch.widened = nil, nil
		return &qluster.ConflictError{Msg: strings.Join(conflicts, "; ") +
			" (only widening is allowed, see pgdest.CanWiden); nothing was changed: keep the table's type in the dataset's schema or migrate the table by hand"}
	}
	if len(actions) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, "ALTER TABLE "+quoteTable(t)+"\n\t"+strings.Join(actions, ",\n\t"))
	return err
}
