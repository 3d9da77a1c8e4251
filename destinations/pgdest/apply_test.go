package pgdest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
)

// schemaOf returns a TableSchema of name, type pairs, all columns not nullable.
func schemaOf(nameTypes ...string) *qluster.TableSchema {
	s := &qluster.TableSchema{Columns: []qluster.ColumnSpec{}}
	for i := 0; i < len(nameTypes); i += 2 {
		s.Columns = append(s.Columns, qluster.ColumnSpec{Name: nameTypes[i], Type: nameTypes[i+1]})
	}
	return s
}

// columnsOf returns "name type" for each column of s.
func columnsOf(s *qluster.TableSchema) []string {
	if s == nil {
		return nil
	}
	out := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = c.Name + " " + c.Type
	}
	return out
}

// requireDescribes checks that t's data columns are want's, by name and normalised type.
func (b *testBundle) requireDescribes(t *testing.T, ref qluster.TableRef, want *qluster.TableSchema) {
	t.Helper()
	got, err := b.dest.Describe(b.ctx, ref)
	require.NoError(t, err)
	require.NotNil(t, got, "%v does not exist", ref)
	wantCols := make([]string, len(want.Columns))
	for i, c := range want.Columns {
		wantCols[i] = c.Name + " " + NormalizeType(c.Type)
	}
	require.Equal(t, wantCols, columnsOf(got))
}

// catalogColumns returns "name type [NOT NULL] [DEFAULT x]" for every column of
// ref, metadata included, in ordinal order.
func (b *testBundle) catalogColumns(t *testing.T, ref qluster.TableRef) []string {
	t.Helper()
	var out []string
	for _, s := range b.strings(t, `
		SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
			|| CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
			|| coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
		FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, quoteTable(ref)) {
		out = append(out, *s)
	}
	return out
}

// indexes returns the definitions of ref's indexes, sorted.
func (b *testBundle) indexes(t *testing.T, ref qluster.TableRef) []string {
	t.Helper()
	var out []string
	for _, s := range b.strings(t, `SELECT regexp_replace(indexdef, '^.* USING ', '') FROM pg_indexes
		WHERE schemaname = $1 AND tablename = $2 ORDER BY 1`, ref.Schema, ref.Table) {
		out = append(out, *s)
	}
	return out
}

// insertRow inserts one row into ref with line number line and the given
// data values (text cast to each column's type; nil is NULL).
func (b *testBundle) insertRow(t *testing.T, ref qluster.TableRef, line int, values map[string]*string) {
	t.Helper()
	cols := []string{quoteIdent(qluster.ColStoredItemID), quoteIdent(qluster.ColLineNumber), quoteIdent(qluster.ColSignature)}
	exprs := []string{"1", fmt.Sprint(line), "'sig'"}
	var args []any
	for _, name := range slices.Sorted(maps.Keys(values)) {
		// The cast needs the column's type in the SQL text.
		var typ string
		require.NoError(t, b.dest.Pool().QueryRow(b.ctx,
			`SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`,
			quoteTable(ref), name).Scan(&typ))
		args = append(args, values[name])
		cols = append(cols, quoteIdent(name))
		exprs = append(exprs, fmt.Sprintf("$%d::text::%s", len(args), typ))
	}
	b.exec(t, "INSERT INTO "+quoteTable(ref)+" ("+strings.Join(cols, ", ")+") VALUES ("+strings.Join(exprs, ", ")+")", args...)
}

// column returns the values of column col of ref as text read in UTC, by line number.
func (b *testBundle) column(t *testing.T, ref qluster.TableRef, col string) []*string {
	t.Helper()
	return b.strings(t, "SELECT "+quoteIdent(col)+"::text FROM "+quoteTable(ref)+" ORDER BY "+quoteIdent(qluster.ColLineNumber))
}

// relationState returns what changes when a table is altered or rewritten:
// the xmin of its pg_class row and its relfilenode.
func (b *testBundle) relationState(t *testing.T, ref qluster.TableRef) string {
	t.Helper()
	return *b.strings(t, `SELECT xmin::text || '/' || relfilenode::text FROM pg_class WHERE oid = $1::regclass`, quoteTable(ref))[0]
}

func ptr(s string) *string { return &s }

func TestDescribeMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	got, err := b.dest.Describe(b.ctx, qluster.TableRef{Schema: "public", Table: "nothing"})
	require.NoError(t, err)
	require.Nil(t, got)
	got, err = b.dest.Describe(b.ctx, qluster.TableRef{Schema: "no_schema", Table: "nothing"})
	require.NoError(t, err)
	require.Nil(t, got)
}

func TestApplyCreates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref := qluster.TableRef{Schema: "sales", Table: "orders"}
	want := schemaOf(
		"id", "bigint",
		"name", "varchar(20)",
		"amount", "numeric(10,2)",
		"ratio", "double precision",
		"sold_at", "timestamptz",
		"local_at", "timestamp",
		"day", "date",
		"at", "time",
		"paid", "boolean",
		"small", "smallint",
		"count", "integer",
		"payload", "jsonb",
		"tags", "text[]",
		"note", "text",
	)
	require.NoError(t, b.dest.Apply(b.ctx, ref, want))

	got, err := b.dest.Describe(b.ctx, ref)
	require.NoError(t, err)
	require.Len(t, got.Columns, len(want.Columns))
	for i, c := range got.Columns {
		require.Equal(t, want.Columns[i].Name, c.Name)
		require.Equal(t, want.Columns[i].Type, c.Type)
		require.True(t, c.Nullable, "data columns are nullable in the table: %s", c.Name)
	}

	require.Equal(t, []string{
		"_stored_item_id bigint NOT NULL",
		"_data_source_model_id bigint",
		"_line_number bigint NOT NULL",
		"_signature text NOT NULL",
		"_ingested_at timestamp with time zone NOT NULL DEFAULT now()",
		"id bigint",
		"name character varying(20)",
		"amount numeric(10,2)",
		"ratio double precision",
		"sold_at timestamp with time zone",
		"local_at timestamp without time zone",
		"day date",
		"at time without time zone",
		"paid boolean",
		"small smallint",
		"count integer",
		"payload jsonb",
		"tags text[]",
		"note text",
	}, b.catalogColumns(t, ref))
	require.Equal(t, []string{"btree (_stored_item_id)"}, b.indexes(t, ref))

	qt := ref.QuarantineTable()
	require.Equal(t, []string{
		`_id bigint NOT NULL DEFAULT nextval('sales.orders_quarantine__id_seq'::regclass)`,
		"_stored_item_id bigint NOT NULL",
		"_data_source_model_id bigint",
		"_line_number bigint NOT NULL",
		"_signature text NOT NULL",
		"_ingested_at timestamp with time zone NOT NULL DEFAULT now()",
		"_raw jsonb NOT NULL",
		"_header text[]",
		"_errors jsonb NOT NULL",
	}, b.catalogColumns(t, qt))
	require.Equal(t, []string{"btree (_id)", "btree (_stored_item_id)"}, b.indexes(t, qt))
	qs, err := b.dest.Describe(b.ctx, qt)
	require.NoError(t, err)
	require.Equal(t, []string{"_id bigint", "_raw jsonb", "_header text[]", "_errors jsonb"}, columnsOf(qs))

	// Data columns take NULL whatever the want said; _ingested_at fills itself.
	b.insertRow(t, ref, 1, map[string]*string{"id": nil, "name": ptr("x")})
	require.Equal(t, []*string{ptr("true")}, b.strings(t, "SELECT (_ingested_at IS NOT NULL AND id IS NULL)::text FROM sales.orders"))
	b.exec(t, `INSERT INTO sales.orders_quarantine (_stored_item_id, _line_number, _signature, _raw, _header, _errors)
		VALUES (1, 2, 'sig', '{"id": "x"}', '{id}', '[{"column": "id"}]')`)

	t.Run("EmptyWant", func(t *testing.T) {
		ref := qluster.TableRef{Schema: "public", Table: "empty"}
		require.NoError(t, b.dest.Apply(b.ctx, ref, schemaOf()))
		got, err := b.dest.Describe(b.ctx, ref)
		require.NoError(t, err)
		require.NotNil(t, got)
		require.Empty(t, got.Columns)
	})
}

func TestApplyIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref := qluster.TableRef{Schema: "public", Table: "events"}
	want := schemaOf("id", "bigint", "name", "varchar(20)", "at", "timestamptz", "tags", "text[]", "amount", "numeric(10,2)")
	require.NoError(t, b.dest.Apply(b.ctx, ref, want))
	b.insertRow(t, ref, 1, map[string]*string{"id": ptr("1")})
	before := b.relationState(t, ref)
	beforeQ := b.relationState(t, ref.QuarantineTable())
	columns := b.catalogColumns(t, ref)

	require.NoError(t, b.dest.Apply(b.ctx, ref, want))
	// The same types spelled as format_type spells them change nothing either.
	require.NoError(t, b.dest.Apply(b.ctx, ref, schemaOf("id", "int8", "name", "character varying(20)",
		"at", "timestamp with time zone", "tags", "text []", "amount", "decimal(10, 2)")))
	// Nor does a want that leaves columns out.
	require.NoError(t, b.dest.Apply(b.ctx, ref, schemaOf("id", "bigint")))

	require.Equal(t, before, b.relationState(t, ref))
	require.Equal(t, beforeQ, b.relationState(t, ref.QuarantineTable()))
	require.Equal(t, columns, b.catalogColumns(t, ref))
	b.requireDescribes(t, ref, want)
	require.Equal(t, []*string{ptr("1")}, b.column(t, ref, "id"))
}

func TestApplyAddsColumns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref := qluster.TableRef{Schema: "public", Table: "people"}
	require.NoError(t, b.dest.Apply(b.ctx, ref, schemaOf("id", "integer", "name", "text", "gone", "text")))
	b.insertRow(t, ref, 1, map[string]*string{"id": ptr("1"), "name": ptr("Ada"), "gone": ptr("kept")})
	b.insertRow(t, ref, 2, map[string]*string{"id": ptr("2"), "name": nil})

	// New columns come at the end in want's order; "gone" is not in want and
	// stays; "id" is widened in the same statement.
	require.NoError(t, b.dest.Apply(b.ctx, ref, schemaOf("id", "bigint", "born", "date", "name", "text", "score", "numeric")))
	b.requireDescribes(t, ref, schemaOf("id", "bigint", "name", "text", "gone", "text", "born", "date", "score", "numeric"))
	require.Equal(t, []*string{ptr("1"), ptr("2")}, b.column(t, ref, "id"))
	require.Equal(t, []*string{ptr("Ada"), nil}, b.column(t, ref, "name"))
	require.Equal(t, []*string{ptr("kept"), nil}, b.column(t, ref, "gone"))
	require.Equal(t, []*string{nil, nil}, b.column(t, ref, "born"))
	require.Equal(t, []*string{nil, nil}, b.column(t, ref, "score"))

	// A table whose quarantine table was dropped gets it back.
	b.exec(t, "DROP TABLE public.people_quarantine")
	require.NoError(t, b.dest.Apply(b.ctx, ref, schemaOf("id", "bigint")))
	got, err := b.dest.Describe(b.ctx, ref.QuarantineTable())
	require.NoError(t, err)
	require.NotNil(t, got)
}

func TestApplyWidens(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i, tc := range []struct {
		from, to string
		values   []string // inserted as text cast to from; "NULL" is NULL
		want     []string // read back as text in UTC; defaults to values
	}{
		{from: "smallint", to: "integer", values: []string{"7", "-32768", "32767"}},
		{from: "smallint", to: "bigint", values: []string{"-32768"}},
		{from: "smallint", to: "numeric", values: []string{"32767"}},
		{from: "integer", to: "bigint", values: []string{"2147483647", "-2147483648"}},
		{from: "integer", to: "numeric", values: []string{"2147483647"}},
		{from: "integer", to: "numeric(12,2)", values: []string{"42"}, want: []string{"42.00"}},
		{from: "bigint", to: "numeric", values: []string{"9223372036854775807", "-9223372036854775808"}},
		{from: "numeric(10,2)", to: "numeric(12,4)", values: []string{"12345678.91"}, want: []string{"12345678.9100"}},
		{from: "numeric(10,2)", to: "numeric", values: []string{"-0.01"}},
		{from: "date", to: "timestamp", values: []string{"2024-02-29"}, want: []string{"2024-02-29 00:00:00"}},
		{from: "date", to: "timestamptz", values: []string{"2024-02-29"}, want: []string{"2024-02-29 00:00:00+00"}},
		{
			from: "timestamp", to: "timestamptz", values: []string{"2024-02-29 13:14:15.123456", "1999-12-31 23:59:59"},
			want: []string{"2024-02-29 13:14:15.123456+00", "1999-12-31 23:59:59+00"},
		},
		{from: "timestamp(3)", to: "timestamp", values: []string{"2024-02-29 13:14:15.123"}},
		{from: "time(0)", to: "time", values: []string{"12:34:56"}},
		{from: "varchar(5)", to: "varchar(10)", values: []string{"abcde", ""}},
		{from: "varchar(5)", to: "varchar", values: []string{"abcde"}},
		{from: "varchar(5)", to: "text", values: []string{"abcde"}},
		{from: "varchar", to: "text", values: []string{"any length at all"}},
		{from: "integer", to: "text", values: []string{"42", "-1"}},
		{from: "numeric", to: "text", values: []string{"1.50"}},
		{from: "double precision", to: "text", values: []string{"0.1", "1e+100"}},
		{from: "boolean", to: "text", values: []string{"true", "false"}},
		{from: "date", to: "text", values: []string{"2024-02-29"}},
		{from: "time", to: "text", values: []string{"12:34:56.5"}},
		{from: "timestamptz", to: "text", values: []string{"2024-02-29 13:14:15+00"}},
		{from: "jsonb", to: "text", values: []string{`{"b":1,"a":[1,2]}`}, want: []string{`{"a": [1, 2], "b": 1}`}},
		{from: "text[]", to: "text", values: []string{`{a,"b c",NULL}`, "{}"}},
	} {
		t.Run(fmt.Sprintf("%s_to_%s", tc.from, tc.to), func(t *testing.T) {
			t.Parallel()
			ref := qluster.TableRef{Schema: "public", Table: fmt.Sprintf("widen_%02d", i)}
			require.NoError(t, b.dest.Apply(b.ctx, ref, schemaOf("c", tc.from, "other", "integer")))
			for line, v := range append(tc.values, "NULL") {
				val := &v
				if v == "NULL" {
					val = nil
				}
				b.insertRow(t, ref, line+1, map[string]*string{"c": val, "other": ptr(fmt.Sprint(line))})
			}
			want := tc.want
			if want == nil {
				want = tc.values
			}
			require.NoError(t, b.dest.Apply(b.ctx, ref, schemaOf("c", tc.to, "other", "integer")))
			b.requireDescribes(t, ref, schemaOf("c", tc.to, "other", "integer"))
			wantValues := make([]*string, 0, len(want)+1)
			for _, w := range want {
				wantValues = append(wantValues, ptr(w))
			}
			require.Equal(t, append(wantValues, nil), b.column(t, ref, "c"))
			require.Len(t, b.column(t, ref, "other"), len(want)+1)
		})
	}
}

func TestApplyRefusesNarrowing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref := qluster.TableRef{Schema: "public", Table: "facts"}
	base := []string{
		"a", "bigint", "b", "text", "c", "timestamptz", "d", "numeric", "e", "varchar(10)",
		"f", "jsonb", "g", "double precision", "h", "text[]", "i", "timestamp", "j", "numeric(10,2)",
	}
	require.NoError(t, b.dest.Apply(b.ctx, ref, schemaOf(base...)))
	b.insertRow(t, ref, 1, map[string]*string{"a": ptr("1"), "b": ptr("x"), "e": ptr("0123456789")})
	state := b.relationState(t, ref)
	columns := b.catalogColumns(t, ref)

	for _, tc := range []struct{ column, from, to string }{
		{"a", "bigint", "integer"},
		{"a", "bigint", "smallint"},
		{"a", "bigint", "double precision"},
		{"b", "text", "varchar(5)"},
		{"b", "text", "integer"},
		{"b", "text", "jsonb"},
		{"c", "timestamptz", "timestamp"},
		{"c", "timestamptz", "date"},
		{"d", "numeric", "bigint"},
		{"d", "numeric", "numeric(10,2)"},
		{"e", "varchar(10)", "varchar(5)"},
		{"f", "jsonb", "json"},
		{"g", "double precision", "numeric"},
		{"h", "text[]", "varchar[]"},
		{"i", "timestamp", "date"},
		{"j", "numeric(10,2)", "numeric(10,4)"},
	} {
		want := schemaOf(base...)
		want.Column(tc.column).Type = tc.to
		// A column to add alongside must not be added either.
		want.Columns = append(want.Columns, qluster.ColumnSpec{Name: "added", Type: "text"})
		err := b.dest.Apply(b.ctx, ref, want)
		require.ErrorIs(t, err, qluster.ErrConflict, "%s → %s", tc.from, tc.to)
		require.ErrorContains(t, err, fmt.Sprintf("column %q is %s and cannot become %s", tc.column, tc.from, NormalizeType(tc.to)))
	}

	// Every conflict is named at once.
	want := schemaOf(base...)
	want.Column("a").Type = "integer"
	want.Column("e").Type = "varchar(3)"
	err := b.dest.Apply(b.ctx, ref, want)
	require.ErrorIs(t, err, qluster.ErrConflict)
	require.ErrorContains(t, err, `column "a" is bigint and cannot become integer; column "e" is varchar(10) and cannot become varchar(3)`)
	var ce *qluster.ConflictError
	require.ErrorAs(t, err, &ce)

	require.Equal(t, state, b.relationState(t, ref))
	require.Equal(t, columns, b.catalogColumns(t, ref))
	b.requireDescribes(t, ref, schemaOf(base...))
	require.Equal(t, []*string{ptr("0123456789")}, b.column(t, ref, "e"))
}

func TestApplyForeignRelations(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.exec(t, "CREATE TABLE public.handmade (id integer)")
	b.exec(t, "CREATE VIEW public.seen AS SELECT 1 AS one")
	b.exec(t, "CREATE TABLE public.ok (_stored_item_id bigint, _data_source_model_id bigint, _line_number bigint, _signature text, _ingested_at timestamptz)")
	b.exec(t, "CREATE VIEW public.ok_quarantine AS SELECT 1 AS one")

	err := b.dest.Apply(b.ctx, qluster.TableRef{Schema: "public", Table: "handmade"}, schemaOf("id", "integer"))
	require.ErrorIs(t, err, qluster.ErrConflict)
	require.ErrorContains(t, err, "is not a Qluster table: it lacks the metadata columns _stored_item_id, _data_source_model_id, _line_number, _signature, _ingested_at")

	seen := qluster.TableRef{Schema: "public", Table: "seen"}
	err = b.dest.Apply(b.ctx, seen, schemaOf("one", "integer"))
	require.ErrorIs(t, err, qluster.ErrConflict)
	require.ErrorContains(t, err, `"public"."seen" is a view, not a table`)
	_, err = b.dest.Describe(b.ctx, seen)
	require.ErrorIs(t, err, qluster.ErrConflict)

	ok := qluster.TableRef{Schema: "public", Table: "ok"}
	err = b.dest.Apply(b.ctx, ok, schemaOf("x", "integer"))
	require.ErrorIs(t, err, qluster.ErrConflict)
	require.ErrorContains(t, err, `"public"."ok_quarantine" is a view`)
	b.requireDescribes(t, ok, schemaOf()) // the column was not added
}

func TestApplyQuotesIdentifiers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref := qluster.TableRef{Schema: "My Schema", Table: "order"}
	want := schemaOf(
		"select", "integer",
		"Total Amount", "numeric",
		"CamelCase", "text",
		"naïve", "date",
		`we"ird`, "boolean",
		"user", "text",
		"a;b--", "text",
	)
	require.NoError(t, b.dest.Apply(b.ctx, ref, want))
	b.requireDescribes(t, ref, want)
	b.insertRow(t, ref, 1, map[string]*string{"select": ptr("5"), "Total Amount": ptr("1.5"), `we"ird`: ptr("true")})

	// Widen and add, with names that need quoting.
	want.Column("select").Type = "bigint"
	want.Column(`we"ird`).Type = "text"
	want.Columns = append(want.Columns, qluster.ColumnSpec{Name: "from", Type: "text"}, qluster.ColumnSpec{Name: "From", Type: "integer"})
	require.NoError(t, b.dest.Apply(b.ctx, ref, want))
	b.requireDescribes(t, ref, want)
	require.Equal(t, []*string{ptr("5")}, b.column(t, ref, "select"))
	require.Equal(t, []*string{ptr("true")}, b.column(t, ref, `we"ird`))

	qs, err := b.dest.Describe(b.ctx, ref.QuarantineTable())
	require.NoError(t, err)
	require.NotNil(t, qs)

	// Names differing only in case are different tables.
	upper := qluster.TableRef{Schema: "My Schema", Table: "Order"}
	require.NoError(t, b.dest.Apply(b.ctx, upper, schemaOf("x", "text")))
	b.requireDescribes(t, upper, schemaOf("x", "text"))
	b.requireDescribes(t, ref, want)
}

func TestApplyRejectsBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ok := qluster.TableRef{Schema: "public", Table: "t"}
	long := strings.Repeat("x", 64)
	for _, tc := range []struct {
		name string
		ref  qluster.TableRef
		want *qluster.TableSchema
		err  string
	}{
		{"EmptySchema", qluster.TableRef{Table: "t"}, schemaOf(), "the schema name is empty"},
		{"EmptyTable", qluster.TableRef{Schema: "public"}, schemaOf(), "the table name is empty"},
		{"LongSchema", qluster.TableRef{Schema: long, Table: "t"}, schemaOf(), "is 64 bytes long; PostgreSQL allows at most 63"},
		{"LongTable", qluster.TableRef{Schema: "public", Table: long}, schemaOf(), "is 64 bytes long; PostgreSQL allows at most 63"},
		{"LongQuarantine", qluster.TableRef{Schema: "public", Table: long[:53]}, schemaOf(), "at most 52 are left for the table"},
		{"NUL", qluster.TableRef{Schema: "public", Table: "a\x00b"}, schemaOf(), "NUL byte"},
		{"NotUTF8", qluster.TableRef{Schema: "public", Table: "a\xffb"}, schemaOf(), "not valid UTF-8"},
		{"NilWant", ok, nil, "the wanted schema is nil"},
		{"EmptyColumn", ok, schemaOf("", "text"), "column 1: the column name is empty"},
		{"LongColumn", ok, schemaOf("a", "text", long, "text"), "column 2: the column name"},
		{"MetadataColumn", ok, schemaOf(qluster.ColSignature, "text"), `column "_signature" has the name of a metadata column`},
		{"Duplicate", ok, schemaOf("a", "text", "a", "integer"), `column "a" appears twice`},
		{"UnknownType", ok, schemaOf("a", "inet"), `column "a": type "inet" is not supported`},
		{"Injection", ok, schemaOf("a", "text); DROP TABLE x; --"), `is not supported`},
		{"BadModifier", ok, schemaOf("a", "varchar(0)"), `type "varchar(0)" is not supported`},
	} {
		err := b.dest.Apply(b.ctx, tc.ref, tc.want)
		require.ErrorContains(t, err, tc.err, tc.name)
		require.ErrorContains(t, err, "pgdest.Apply", tc.name)
		require.False(t, errors.Is(err, qluster.ErrConflict), tc.name)
	}
	require.Equal(t, []*string{ptr("0")}, b.strings(t, "SELECT count(*)::text FROM pg_class WHERE relnamespace = 'public'::regnamespace"))

	_, err := b.dest.Describe(b.ctx, qluster.TableRef{Schema: "public", Table: long})
	require.ErrorContains(t, err, "pgdest.Describe: the table name")

	// 52 bytes is the longest table name: its quarantine table takes 63.
	fits := qluster.TableRef{Schema: "public", Table: long[:52]}
	require.NoError(t, b.dest.Apply(b.ctx, fits, schemaOf("a", "text")))
	qs, err := b.dest.Describe(b.ctx, fits.QuarantineTable())
	require.NoError(t, err)
	require.NotNil(t, qs)
}

func TestApplyConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 6
	run := func(apply func(i int) error) {
		t.Helper()
		var (
			wg   sync.WaitGroup
			errs = make([]error, n)
		)
		for i := range n {
			wg.Go(func() { errs[i] = apply(i) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
	}

	// The same want on a new table in a new schema.
	ref := qluster.TableRef{Schema: "fresh", Table: "same"}
	want := schemaOf("id", "integer", "name", "varchar(10)")
	run(func(int) error { return b.dest.Apply(b.ctx, ref, want) })
	require.Equal(t, []*string{ptr("same"), ptr("same_quarantine")},
		b.strings(t, "SELECT relname::text FROM pg_class WHERE relnamespace = 'fresh'::regnamespace AND relkind = 'r' ORDER BY 1"))
	b.requireDescribes(t, ref, want)

	// The same widening and addition on it.
	b.insertRow(t, ref, 1, map[string]*string{"id": ptr("1"), "name": ptr("x")})
	wider := schemaOf("id", "bigint", "name", "text", "more", "date")
	run(func(int) error { return b.dest.Apply(b.ctx, ref, wider) })
	b.requireDescribes(t, ref, wider)
	require.Equal(t, []*string{ptr("1")}, b.column(t, ref, "id"))

	// Different new tables in one new schema.
	run(func(i int) error {
		return b.dest.Apply(b.ctx, qluster.TableRef{Schema: "Shared New", Table: fmt.Sprint("t", i)}, want)
	})
	require.Equal(t, []*string{ptr(fmt.Sprint(2 * n))},
		b.strings(t, `SELECT count(*)::text FROM pg_class WHERE relnamespace = '"Shared New"'::regnamespace AND relkind = 'r'`))
}

// TestApplyCanceled checks that a cancelled Apply surfaces context.Canceled
// and leaves nothing behind.
func TestApplyCanceled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref := qluster.TableRef{Schema: "public", Table: "blocked"}
	require.NoError(t, b.dest.Apply(b.ctx, ref, schemaOf("a", "integer")))

	// Hold the table's lock so that Apply waits until it is cancelled.
	tx, err := b.dest.Pool().Begin(b.ctx)
	require.NoError(t, err)
	defer tx.Rollback(b.ctx) //nolint:errcheck
	_, err = tx.Exec(b.ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(lockClass), quoteTable(ref))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	time.AfterFunc(200*time.Millisecond, cancel)
	err = b.dest.Apply(ctx, ref, schemaOf("a", "integer", "b", "text"))
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, tx.Rollback(b.ctx))
	b.requireDescribes(t, ref, schemaOf("a", "integer"))
}
