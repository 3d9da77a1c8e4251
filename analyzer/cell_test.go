package analyzer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCastInto(t *testing.T) {
	t.Parallel()
	money := &Column{Name: "amount", Type: TypeNumeric, Number: NumberStyle{Currency: true, Thousands: ",", Parens: true}}
	require.NoError(t, money.Compile(nil))
	for _, tc := range []struct{ in, want string }{
		{"$1,234.50", "1234.50"}, {"($5.25)", "-5.25"}, {"-0.5", "-0.5"}, {"12", "12"}, {"0.001", "0.001"},
		{"123456789012345678901234567890.25", "123456789012345678901234567890.25"}, {"1e3", "1000"},
	} {
		var c Cell
		require.NoError(t, CastInto(&c, tc.in, money), tc.in)
		require.Equal(t, tc.want, string(c.Num), tc.in)
	}
	var c Cell
	require.NoError(t, CastInto(&c, "N/A", money))
	require.True(t, c.Null)
	require.Error(t, CastInto(&c, "abc", money))

	day := &Column{Name: "day", Type: TypeDate, DatetimeFormats: []string{"%d/%m/%Y"}}
	require.NoError(t, day.Compile(nil))
	require.NoError(t, CastInto(&c, "13/04/2024", day))
	require.Equal(t, time.Date(2024, 4, 13, 0, 0, 0, 0, time.UTC), c.Time)
	var ce *CastError
	require.ErrorAs(t, CastInto(&c, "2024-13-45", day), &ce)
	require.Equal(t, "day", ce.Column)

	id := &Column{Name: "id", Type: TypeSmallInt}
	require.NoError(t, id.Compile(nil))
	require.NoError(t, CastInto(&c, " 42 ", id))
	require.Equal(t, int64(42), c.Int)
	require.Error(t, CastInto(&c, "70000", id))
}

func BenchmarkCastInto(b *testing.B) {
	money := &Column{Name: "amount", Type: TypeNumeric, Number: NumberStyle{Currency: true, Thousands: ",", Parens: true}}
	day := &Column{Name: "day", Type: TypeDate, DatetimeFormats: []string{"%m/%d/%Y"}}
	id := &Column{Name: "id", Type: TypeBigInt}
	for _, c := range []*Column{money, day, id} {
		if err := c.Compile(nil); err != nil {
			b.Fatal(err)
		}
	}
	var cells [3]Cell
	b.ReportAllocs()
	for b.Loop() {
		if CastInto(&cells[0], "$1,234.50", money) != nil || CastInto(&cells[1], "04/13/2024", day) != nil || CastInto(&cells[2], "123456", id) != nil {
			b.Fatal("cast failed")
		}
	}
}
