package qluster

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWidestType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ a, b, want string }{
		{"integer", "integer", "integer"},
		{"smallint", "bigint", "bigint"},
		{"bigint", "integer", "bigint"},
		{"integer", "numeric", "numeric"},
		{"integer", "double precision", "numeric"},
		{"double precision", "double precision", "double precision"},
		{"double precision", "numeric", "numeric"},
		{"date", "timestamp", "timestamp"},
		{"timestamptz", "date", "timestamptz"},
		{"varchar(10)", "varchar(30)", "varchar(30)"},
		{"varchar(10)", "text", "text"},
		{"boolean", "integer", "text"},
		{"date", "integer", "text"},
		{"time", "timestamp", "text"},
		{"jsonb", "jsonb", "jsonb"},
		{"", "date", "date"},
	} {
		require.Equal(t, tc.want, WidestType(tc.a, tc.b), "%s + %s", tc.a, tc.b)
		require.Equal(t, tc.want, WidestType(tc.b, tc.a), "%s + %s", tc.b, tc.a)
	}
}

func TestEvolveSchema(t *testing.T) {
	t.Parallel()
	cur := &TableSchema{Columns: []ColumnSpec{{Name: "id", Type: "integer"}, {Name: "day", Type: "date"}, {Name: "note", Type: "text", Nullable: true}}}
	proposed := &TableSchema{Columns: []ColumnSpec{{Name: "day", Type: "timestamp"}, {Name: "id", Type: "smallint"}, {Name: "amount", Type: "numeric", Nullable: true}}}
	got, changes := EvolveSchema(cur, proposed)
	require.Equal(t, []ColumnSpec{
		{Name: "id", Type: "integer"}, {Name: "day", Type: "timestamp"}, {Name: "note", Type: "text", Nullable: true},
		{Name: "amount", Type: "numeric", Nullable: true},
	}, got.Columns)
	require.Equal(t, map[string]ColumnChange{"id": ColumnUnchanged, "day": ColumnWidened, "note": ColumnKept, "amount": ColumnNew}, changes)

	fresh, changes := EvolveSchema(nil, proposed)
	require.Equal(t, proposed.Columns, fresh.Columns)
	require.Equal(t, ColumnNew, changes["day"])
}
