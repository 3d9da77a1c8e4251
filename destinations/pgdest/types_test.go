package pgdest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizeType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"boolean", "boolean"},
		{"bool", "boolean"},
		{"int2", "smallint"},
		{"INTEGER", "integer"},
		{"int", "integer"},
		{"int8", "bigint"},
		{"decimal", "numeric"},
		{"numeric(10, 2)", "numeric(10,2)"},
		{"numeric(12)", "numeric(12)"},
		{"float8", "double precision"},
		{"double  precision", "double precision"},
		{"float4", "real"},
		{"date", "date"},
		{"timestamp without time zone", "timestamp"},
		{"timestamp(3) without time zone", "timestamp(3)"},
		{"timestamp with time zone", "timestamptz"},
		{"timestamp(0) with time zone", "timestamptz(0)"},
		{"timestamptz", "timestamptz"},
		{"time without time zone", "time"},
		{"time with time zone", "timetz"},
		{"jsonb", "jsonb"},
		{"text", "text"},
		{"text[]", "text[]"},
		{"text []", "text[]"},
		{"integer[]", "integer[]"},
		{"character varying(20)", "varchar(20)"},
		{"character varying", "varchar"},
		{"varchar(20)", "varchar(20)"},
		{"character(3)", "char(3)"},
		{"bpchar", "char"},
		{" Text ", "text"},
		// Outside the vocabulary: cleaned, not rewritten.
		{"inet", "inet"},
		{"Public.My  Type", "public.my type"},
		{`"MyType"`, `"MyType"`},
		{"varchar(0)", "varchar(0)"},
		{"integer(3)", "integer(3)"},
		{"", ""},
	} {
		require.Equal(t, tc.want, NormalizeType(tc.in), "NormalizeType(%q)", tc.in)
	}
}

func TestParseTypeKnown(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"boolean", "numeric(1000,1000)", "varchar(10485760)", "timestamp(6)", "text[]", "uuid"} {
		require.True(t, parseType(s).known, s)
	}
	for _, s := range []string{"", "inet", "varchar(0)", "numeric(5,6)", "timestamp(7)", "integer(3)", "text; DROP TABLE x", "text[][]x", "boolean)"} {
		require.False(t, parseType(s).known, s)
	}
}

func TestCanWiden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		// The same type, however spelled: nothing to change.
		{"integer", "integer", true},
		{"character varying(20)", "varchar(20)", true},
		{"timestamp with time zone", "timestamptz", true},

		// Integers.
		{"smallint", "integer", true},
		{"smallint", "bigint", true},
		{"smallint", "numeric", true},
		{"integer", "bigint", true},
		{"integer", "numeric", true},
		{"bigint", "numeric", true},
		{"bigint", "numeric(19)", true},
		{"bigint", "numeric(20,2)", false},
		{"integer", "numeric(12,2)", true},
		{"bigint", "integer", false},
		{"integer", "smallint", false},
		{"numeric", "bigint", false},
		{"integer", "double precision", false},
		{"bigint", "real", false},

		// Numeric.
		{"numeric(10,2)", "numeric", true},
		{"numeric(10,2)", "numeric(12,2)", true},
		{"numeric(10,2)", "numeric(12,4)", true},
		{"numeric(10,2)", "numeric(10,4)", false},
		{"numeric(10,2)", "numeric(12,0)", false},
		{"numeric", "numeric(10,2)", false},
		{"real", "numeric", false},
		{"double precision", "numeric", false},
		{"numeric", "double precision", false},
		{"real", "double precision", false},

		// Dates and times.
		{"date", "timestamp", true},
		{"date", "timestamptz", true},
		{"date", "timestamp(0)", true},
		{"timestamp", "timestamptz", true},
		{"timestamp(3)", "timestamp", true},
		{"timestamp(3)", "timestamptz(3)", true},
		{"timestamp", "timestamp(3)", false},
		{"timestamptz", "timestamp", false},
		{"timestamp", "date", false},
		{"timestamptz", "date", false},
		{"time(0)", "time", true},
		{"time", "time(0)", false},
		{"time", "timestamp", false},

		// Character types.
		{"varchar(5)", "varchar(10)", true},
		{"varchar(10)", "varchar(5)", false},
		{"varchar(5)", "varchar", true},
		{"varchar", "varchar(5)", false},
		{"varchar(5)", "text", true},
		{"varchar", "text", true},
		{"text", "varchar", false},
		{"text", "varchar(100)", false},

		// Anything becomes text, nothing else becomes from text.
		{"boolean", "text", true},
		{"time", "text", true},
		{"jsonb", "text", true},
		{"text[]", "text", true},
		{"integer", "text", true},
		{"timestamptz", "text", true},
		{"inet", "text", true},
		{"text", "integer", false},
		{"text", "jsonb", false},
		{"text", "boolean", false},
		{"text", "text[]", false},
		{"jsonb", "json", false},
		{"json", "jsonb", false},
		{"boolean", "integer", false},
		{"integer[]", "bigint[]", false},
		{"inet", "cidr", false},
		{"integer", "inet", false},
	} {
		require.Equal(t, tc.ok, CanWiden(tc.from, tc.to), "CanWiden(%q, %q)", tc.from, tc.to)
	}
}
