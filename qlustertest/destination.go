package qlustertest

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
)

// RunDestinationTests checks that a qluster.Destination keeps the contract
// written on the interface: a missing table describes as nil, Apply creates a
// table (and its quarantine table) that Describe reads back column for
// column, re-applying changes nothing, columns are added at the end and kept
// when left out, types are widened, narrowing is refused with
// qluster.ErrConflict and changes nothing, names needing quotes work, and
// concurrent Apply calls of one schema on a new table all succeed.
//
// Describe must report each type in the spelling of qluster.ColumnSpec.Type
// ("varchar(20)", "timestamptz", "text[]"). Nullable is not checked: a
// destination may create every data column nullable.
//
// open returns a Destination for one subtest; it may be shared between
// subtests (each uses its own tables, in the schema "qlustertest") or fresh
// each time. Closing it belongs in t.Cleanup. Subtests run in parallel.
func RunDestinationTests(t *testing.T, open func(t *testing.T) qluster.Destination) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, d qluster.Destination)
	}{
		{"DescribeMissing", testDestinationDescribeMissing},
		{"Create", testDestinationCreate},
		{"ReapplyChangesNothing", testDestinationReapply},
		{"AddColumns", testDestinationAddColumns},
		{"Widen", testDestinationWiden},
		{"RefuseNarrowing", testDestinationRefuseNarrowing},
		{"QuotedNames", testDestinationQuotedNames},
		{"ConcurrentCreate", testDestinationConcurrentCreate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// destinationSchema is the schema the suite's tables live in.
const destinationSchema = "qlustertest"

// destinationTable returns a table of its own for the calling subtest, named
// prefix plus a random suffix so that destinations shared between subtests
// or runs do not collide. prefix must leave room for 9 more bytes within 52.
func destinationTable(t *testing.T, prefix string) qluster.TableRef {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return qluster.TableRef{Schema: destinationSchema, Table: prefix + "_" + hex.EncodeToString(b[:])}
}

// columns returns a TableSchema of name, type pairs.
func columns(nameTypes ...string) *qluster.TableSchema {
	s := &qluster.TableSchema{Columns: []qluster.ColumnSpec{}}
	for i := 0; i+1 < len(nameTypes); i += 2 {
		s.Columns = append(s.Columns, qluster.ColumnSpec{Name: nameTypes[i], Type: nameTypes[i+1]})
	}
	return s
}

// columnList returns "name type" for each column of s.
func columnList(s *qluster.TableSchema) []string {
	out := make([]string, 0, len(s.Columns))
	for _, c := range s.Columns {
		out = append(out, c.Name+" "+c.Type)
	}
	return out
}

// requireDescribes checks that Describe of ref gives want's names and types, in order.
func requireDescribes(t *testing.T, d qluster.Destination, ref qluster.TableRef, want *qluster.TableSchema) {
	t.Helper()
	got, err := d.Describe(t.Context(), ref)
	require.NoError(t, err, "Describe %v", ref)
	require.NotNil(t, got, "Describe %v: the table does not exist", ref)
	require.Equal(t, columnList(want), columnList(got), "Describe %v", ref)
}

// applySchema applies want to ref and requires success.
func applySchema(t *testing.T, d qluster.Destination, ref qluster.TableRef, want *qluster.TableSchema) {
	t.Helper()
	require.NoError(t, d.Apply(t.Context(), ref, want), "Apply %v %v", ref, columnList(want))
}

func testDestinationDescribeMissing(t *testing.T, d qluster.Destination) {
	got, err := d.Describe(t.Context(), destinationTable(t, "missing"))
	require.NoError(t, err)
	require.Nil(t, got, "a table that does not exist describes as nil")
	got, err = d.Describe(t.Context(), qluster.TableRef{Schema: "qlustertest_no_such_schema", Table: "missing"})
	require.NoError(t, err)
	require.Nil(t, got, "a table in a schema that does not exist describes as nil")
}

func testDestinationCreate(t *testing.T, d qluster.Destination) {
	ref := destinationTable(t, "create")
	want := columns(
		"flag", "boolean",
		"small", "smallint",
		"count", "integer",
		"id", "bigint",
		"amount", "numeric",
		"ratio", "double precision",
		"day", "date",
		"local_at", "timestamp",
		"at", "timestamptz",
		"clock", "time",
		"payload", "jsonb",
		"tags", "text[]",
		"note", "text",
		"code", "varchar(20)",
	)
	applySchema(t, d, ref, want)
	requireDescribes(t, d, ref, want)

	q, err := d.Describe(t.Context(), ref.QuarantineTable())
	require.NoError(t, err)
	require.NotNil(t, q, "Apply must create the quarantine table %v", ref.QuarantineTable())

	// The metadata columns are in the table but not in its description.
	got, err := d.Describe(t.Context(), ref)
	require.NoError(t, err)
	for _, c := range got.Columns {
		require.False(t, strings.HasPrefix(c.Name, "_"), "Describe must leave metadata column %q out", c.Name)
	}

	// A schema without columns makes a table of metadata columns only.
	empty := destinationTable(t, "empty")
	applySchema(t, d, empty, columns())
	requireDescribes(t, d, empty, columns())
}

func testDestinationReapply(t *testing.T, d qluster.Destination) {
	ref := destinationTable(t, "reapply")
	want := columns("id", "bigint", "name", "varchar(20)", "at", "timestamptz", "tags", "text[]")
	applySchema(t, d, ref, want)
	applySchema(t, d, ref, want)
	applySchema(t, d, ref, want)
	requireDescribes(t, d, ref, want)
}

func testDestinationAddColumns(t *testing.T, d qluster.Destination) {
	ref := destinationTable(t, "add")
	applySchema(t, d, ref, columns("id", "bigint", "name", "text"))
	// New columns go at the end in the wanted order; a column left out is kept.
	applySchema(t, d, ref, columns("id", "bigint", "born", "date", "score", "numeric"))
	requireDescribes(t, d, ref, columns("id", "bigint", "name", "text", "born", "date", "score", "numeric"))
	// Applying an earlier, smaller schema changes nothing.
	applySchema(t, d, ref, columns("id", "bigint"))
	requireDescribes(t, d, ref, columns("id", "bigint", "name", "text", "born", "date", "score", "numeric"))
}

func testDestinationWiden(t *testing.T, d qluster.Destination) {
	ref := destinationTable(t, "widen")
	applySchema(t, d, ref, columns(
		"a", "smallint", "b", "integer", "c", "bigint", "d", "varchar(10)", "e", "varchar(10)",
		"f", "date", "g", "timestamp", "h", "boolean", "i", "integer",
	))
	wider := columns(
		"a", "integer", "b", "bigint", "c", "numeric", "d", "varchar(20)", "e", "text",
		"f", "timestamp", "g", "timestamptz", "h", "text", "i", "text",
	)
	applySchema(t, d, ref, wider)
	requireDescribes(t, d, ref, wider)
	// And further along the same ladders.
	widest := columns(
		"a", "bigint", "b", "numeric", "c", "text", "d", "text", "e", "text",
		"f", "timestamptz", "g", "text", "h", "text", "i", "text",
	)
	applySchema(t, d, ref, widest)
	requireDescribes(t, d, ref, widest)
}

func testDestinationRefuseNarrowing(t *testing.T, d qluster.Destination) {
	ref := destinationTable(t, "narrow")
	base := []string{"a", "bigint", "b", "text", "c", "timestamptz", "d", "numeric", "e", "varchar(20)", "f", "integer"}
	applySchema(t, d, ref, columns(base...))
	for _, tc := range []struct{ column, to string }{
		{"a", "integer"},
		{"a", "smallint"},
		{"b", "integer"},
		{"b", "varchar(10)"},
		{"c", "date"},
		{"c", "timestamp"},
		{"d", "integer"},
		{"e", "varchar(10)"},
		{"f", "boolean"},
	} {
		want := columns(base...)
		want.Column(tc.column).Type = tc.to
		// The column that would also be added must not be.
		want.Columns = append(want.Columns, qluster.ColumnSpec{Name: "added", Type: "text"})
		err := d.Apply(t.Context(), ref, want)
		require.ErrorIs(t, err, qluster.ErrConflict, "changing column %s to %s must be refused", tc.column, tc.to)
		require.ErrorContains(t, err, tc.column, "the error must name the column")
		requireDescribes(t, d, ref, columns(base...))
	}
}

func testDestinationQuotedNames(t *testing.T, d qluster.Destination) {
	ref := destinationTable(t, "Mixed Case order")
	want := columns("select", "integer", "Total Amount", "numeric", "CamelCase", "text", "order", "date", "naïve", "boolean")
	applySchema(t, d, ref, want)
	requireDescribes(t, d, ref, want)
	want.Column("select").Type = "bigint"
	want.Columns = append(want.Columns, qluster.ColumnSpec{Name: "From", Type: "text"}, qluster.ColumnSpec{Name: "from", Type: "integer"})
	applySchema(t, d, ref, want)
	requireDescribes(t, d, ref, want)

	// Names differing only in case are different tables.
	lower := qluster.TableRef{Schema: ref.Schema, Table: strings.ToLower(ref.Table)}
	got, err := d.Describe(t.Context(), lower)
	require.NoError(t, err)
	require.Nil(t, got, "%v must be a different table from %v", lower, ref)
}

func testDestinationConcurrentCreate(t *testing.T, d qluster.Destination) {
	ref := destinationTable(t, "concurrent")
	want := columns("id", "bigint", "name", "text")
	const n = 4
	var (
		wg   sync.WaitGroup
		errs = make([]error, n)
	)
	for i := range n {
		wg.Go(func() { errs[i] = d.Apply(t.Context(), ref, want) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "concurrent Apply %d of the same schema on a new table", i)
	}
	requireDescribes(t, d, ref, want)
}
