package analyzer

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func col(t *testing.T, c Column, opts *Options) *Column {
	t.Helper()
	if c.Name == "" {
		c.Name = "c"
	}
	if err := c.Compile(opts); err != nil {
		t.Fatal(err)
	}
	return &c
}

func num(s string) pgtype.Numeric {
	var n pgtype.Numeric
	if err := n.Scan(s); err != nil {
		panic(err)
	}
	return n
}

func TestCast(t *testing.T) {
	t.Parallel()
	d := func(y, m, dd, h, mi, s, ns int) time.Time {
		return time.Date(y, time.Month(m), dd, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		name  string
		col   Column
		opts  *Options
		value string
		want  any
	}{
		{"bool true", Column{Type: TypeBoolean}, nil, " Yes ", true},
		{"bool false custom", Column{Type: TypeBoolean}, &Options{BooleanFalse: []string{"nein"}}, "NEIN", false},
		{"null default", Column{Type: TypeInteger}, nil, "N/A", nil},
		{"null per column", Column{Type: TypeInteger, RawName: "Score"}, &Options{NullValuesPerColumn: map[string][]string{"Score": {"unknown"}}}, "unknown", nil},
		{"smallint", Column{Type: TypeSmallInt}, nil, "-32768", int16(-32768)},
		{"integer", Column{Type: TypeInteger}, nil, "+2147483647", int32(2147483647)},
		{"bigint", Column{Type: TypeBigInt}, nil, "9223372036854775807", int64(9223372036854775807)},
		{"integer thousands", Column{Type: TypeInteger, Number: NumberStyle{Thousands: ","}}, nil, "1,234,567", int32(1234567)},
		{"integer eu thousands", Column{Type: TypeInteger, Number: NumberStyle{Decimal: ",", Thousands: "."}}, nil, "1.234", int32(1234)},
		{"cents", Column{Type: TypeBigInt, DollarToCent: true, Number: NumberStyle{Thousands: ",", Currency: true}}, nil, "$1,234.5", int64(123450)},
		{"cents parens", Column{Type: TypeBigInt, DollarToCent: true, Number: NumberStyle{Currency: true, Parens: true}}, nil, "($0.05)", int64(-5)},
		{"numeric", Column{Type: TypeNumeric}, nil, "-12.50", num("-12.50")},
		{"numeric currency", Column{Type: TypeNumeric, Number: NumberStyle{Thousands: ",", Currency: true}}, nil, "€1,234.56", num("1234.56")},
		{"numeric eu", Column{Type: TypeNumeric, Number: NumberStyle{Decimal: ",", Thousands: "."}}, nil, "1.234.567,891", num("1234567.891")},
		{"numeric big", Column{Type: TypeNumeric}, nil, "123456789012345678901234.5", num("123456789012345678901234.5")},
		{"double", Column{Type: TypeDouble}, nil, "1.5e3", 1500.0},
		{"double plain", Column{Type: TypeDouble}, nil, "-0.25", -0.25},
		{"date", Column{Type: TypeDate, DatetimeFormats: []string{"%d/%m/%Y"}}, nil, "31/12/2021", d(2021, 12, 31, 0, 0, 0, 0)},
		{"date second format", Column{Type: TypeDate, DatetimeFormats: []string{"%Y-%m-%d", "%d-%b-%Y"}}, nil, "05-Jan-2021", d(2021, 1, 5, 0, 0, 0, 0)},
		{"timestamp", Column{Type: TypeTimestamp, DatetimeFormats: []string{"%m/%d/%Y %I:%M %p"}}, nil, "03/15/2021 2:30 PM", d(2021, 3, 15, 14, 30, 0, 0)},
		{"timestamptz offset", Column{Type: TypeTimestamptz, DatetimeFormats: []string{"%Y-%m-%dT%H:%M:%S.%f%z"}}, nil, "2021-03-15T14:30:00.5+02:00", d(2021, 3, 15, 12, 30, 0, 500000000)},
		{"timestamptz epoch", Column{Type: TypeTimestamptz, DatetimeFormats: []string{"%s"}}, nil, "1609459200", d(2021, 1, 1, 0, 0, 0, 0)},
		{"time", Column{Type: TypeTime, DatetimeFormats: []string{"%H:%M:%S"}}, nil, "01:02:03", pgtype.Time{Microseconds: 3723e6, Valid: true}},
		{"jsonb", Column{Type: TypeJSONB}, nil, `{"a":1}`, json.RawMessage(`{"a":1}`)},
		{"jsonb fixed", Column{Type: TypeJSONB}, &Options{MaxTriesToFixJSON: 2}, `{'a': True}`, json.RawMessage(`{"a": true}`)},
		{"array literal", Column{Type: TypeTextArray}, nil, `{a,"b c",d}`, []string{"a", "b c", "d"}},
		{"array delimiter", Column{Type: TypeTextArray, ArrayDelimiter: "|"}, nil, "x | y", []string{"x", "y"}},
		{"text kept as written", Column{Type: TypeText}, nil, " spaced ", " spaced "},
		{"varchar trim", Column{Type: TypeText, Length: 3}, &Options{TrimStringInsteadOfRaisingErr: true}, "héllo", "hél"},
		{"email", Column{Type: TypeText, IsEmail: true}, nil, "a@b.io", "a@b.io"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := col(t, tt.col, tt.opts)
			got, err := Cast(tt.value, c)
			if err != nil {
				t.Fatal(err)
			}
			if gn, ok := got.(pgtype.Numeric); ok {
				wn := tt.want.(pgtype.Numeric)
				if gb, wb := numRat(gn), numRat(wn); gb.Cmp(wb) != 0 {
					t.Fatalf("got %v, want %v", gb, wb)
				}
				return
			}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(tt.want)
			if string(gj) != string(wj) || (got == nil) != (tt.want == nil) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
			if tt.want != nil {
				if gt, wt := typeName(got), typeName(tt.want); gt != wt {
					t.Fatalf("got a %s, want a %s", gt, wt)
				}
			}
		})
	}
}

func typeName(v any) string {
	b, _ := json.Marshal(struct{ T string }{strings.Split(strings.TrimPrefix(strings.TrimPrefix(typeOf(v), "*"), "[]"), ".")[0]})
	return string(b)
}

func typeOf(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case int16:
		return "int16"
	case int32:
		return "int32"
	case int64:
		return "int64"
	case float64:
		return "float64"
	case time.Time:
		return "time"
	case string:
		return "string"
	case []string:
		return "strings"
	case json.RawMessage:
		return "json"
	case pgtype.Time:
		return "pgtime"
	}
	return "other"
}

func numRat(n pgtype.Numeric) *big.Rat {
	r := new(big.Rat).SetInt(n.Int)
	e := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(int(n.Exp)))), nil)
	if n.Exp < 0 {
		r.Quo(r, new(big.Rat).SetInt(e))
	} else {
		r.Mul(r, new(big.Rat).SetInt(e))
	}
	return r
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func TestCastErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		col      Column
		value    string
		wantHint string
	}{
		{"smallint range", Column{Type: TypeSmallInt}, "40000", "out of range"},
		{"integer text", Column{Type: TypeInteger}, "abc", "null_values"},
		{"integer fraction", Column{Type: TypeInteger}, "1.5", "numeric"},
		{"leading zero", Column{Type: TypeInteger}, "007", "whole number"},
		{"bool", Column{Type: TypeBoolean}, "maybe", "boolean_true"},
		{"date format", Column{Type: TypeDate, DatetimeFormats: []string{"%d/%m/%Y"}}, "2021-31-12", "datetime_formats"},
		{"impossible date", Column{Type: TypeDate, DatetimeFormats: []string{"%Y-%m-%d"}}, "2021-02-30", "datetime_formats"},
		{"json", Column{Type: TypeJSONB}, "{nope", "max_tries_to_fix_json"},
		{"varchar", Column{Type: TypeText, Length: 2}, "abc", "trim_string_instead_of_raising_err"},
		{"email", Column{Type: TypeText, IsEmail: true}, "not-an-email", "e-mail"},
		{"cents", Column{Type: TypeBigInt, DollarToCent: true, Number: NumberStyle{Currency: true}}, "$1.234", "two decimals"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := col(t, tt.col, nil)
			c.Name = "amount"
			_, err := Cast(tt.value, c)
			var ce *CastError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *CastError", err)
			}
			if ce.Column != "amount" || ce.Value != tt.value || ce.Want == "" || !strings.Contains(ce.Hint, tt.wantHint) {
				t.Fatalf("got %+v, want hint containing %q", ce, tt.wantHint)
			}
			if !strings.Contains(ce.Error(), tt.value) {
				t.Fatalf("message %q does not name the value", ce.Error())
			}
		})
	}
}

func TestTypedCasts(t *testing.T) {
	t.Parallel()
	c := col(t, Column{Type: TypeInteger, Number: NumberStyle{Thousands: ","}}, nil)
	if n, err := CastInt("1,000", c); err != nil || n != 1000 {
		t.Fatalf("CastInt: %v %v", n, err)
	}
	if _, err := CastInt("NULL", c); !errors.Is(err, ErrNull) {
		t.Fatalf("CastInt null: %v", err)
	}
	f := col(t, Column{Type: TypeDouble}, nil)
	if v, err := CastFloat("2.5", f); err != nil || v != 2.5 {
		t.Fatalf("CastFloat: %v %v", v, err)
	}
	b := col(t, Column{Type: TypeBoolean}, nil)
	if v, err := CastBool("F", b); err != nil || v {
		t.Fatalf("CastBool: %v %v", v, err)
	}
	dt := col(t, Column{Type: TypeDate, DatetimeFormats: []string{"%d.%m.%Y"}}, nil)
	if v, err := CastTime("24.12.2020", dt); err != nil || v.Day() != 24 {
		t.Fatalf("CastTime: %v %v", v, err)
	}
	n := col(t, Column{Type: TypeNumeric}, nil)
	if v, err := CastNumeric("0.05", n); err != nil || v.Int.Int64() != 5 || v.Exp != -2 {
		t.Fatalf("CastNumeric: %v %v", v, err)
	}
	tx := col(t, Column{Type: TypeText, Length: 5}, nil)
	if v, err := CastText("hello", tx); err != nil || v != "hello" {
		t.Fatalf("CastText: %v %v", v, err)
	}
}

// TestCastHotPathAllocs checks that casting the common types does not
// allocate per cell.
func TestCastHotPathAllocs(t *testing.T) {
	cases := []struct {
		c Column
		v string
	}{
		{Column{Type: TypeInteger, Number: NumberStyle{Thousands: ","}}, "1,234"},
		{Column{Type: TypeDouble}, "1.5e3"},
		{Column{Type: TypeBoolean}, "yes"},
		{Column{Type: TypeTimestamptz, DatetimeFormats: []string{"%Y-%m-%dT%H:%M:%S%z"}}, "2021-03-15T14:30:00+02:00"},
		{Column{Type: TypeText, Length: 10}, "hello"},
	}
	for _, tc := range cases {
		c := col(t, tc.c, nil)
		var sink any
		n := testing.AllocsPerRun(200, func() {
			switch c.Type {
			case TypeInteger:
				v, _ := CastInt(tc.v, c)
				sink = v != 0
			case TypeDouble:
				v, _ := CastFloat(tc.v, c)
				sink = v != 0
			case TypeBoolean:
				v, _ := CastBool(tc.v, c)
				sink = v
			case TypeTimestamptz:
				v, _ := CastTime(tc.v, c)
				sink = v.IsZero()
			default:
				v, _ := CastText(tc.v, c)
				sink = v == ""
			}
		})
		_ = sink
		if n != 0 {
			t.Errorf("%s: %v allocations per cast", c.PGType(), n)
		}
	}
}

func TestFormatParse(t *testing.T) {
	tests := []struct {
		format, value string
		ok            bool
		want          time.Time
	}{
		{"%Y-%m-%d", "2020-02-29", true, time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"%Y-%m-%d", "2021-02-29", false, time.Time{}},
		{"%d/%m/%y", "1/2/69", true, time.Date(1969, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"%d/%m/%y", "1/2/68", true, time.Date(2068, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"%B %d, %Y", "september 5, 2021", true, time.Date(2021, 9, 5, 0, 0, 0, 0, time.UTC)},
		{"%b %d, %Y", "Sept 5, 2021", true, time.Date(2021, 9, 5, 0, 0, 0, 0, time.UTC)},
		{"%I:%M %p", "12:05 am", true, time.Date(1970, 1, 1, 0, 5, 0, 0, time.UTC)},
		{"%I:%M %p", "13:05 pm", false, time.Time{}},
		{"%Y-%m-%dT%H:%M:%S%z", "2021-01-01T00:00:00Z", true, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"%Y-%m-%dT%H:%M:%S%z", "2021-01-01T00:00:00-0130", true, time.Date(2021, 1, 1, 1, 30, 0, 0, time.UTC)},
		{"%Y-%m-%d %H:%M:%S.%f", "2021-01-01 00:00:00.000001", true, time.Date(2021, 1, 1, 0, 0, 0, 1000, time.UTC)},
		{"%j %Y", "060 2020", true, time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"%s", "-1.5", true, time.Unix(-1, -500000000).UTC()},
		{"%a, %d %b %Y %H:%M:%S %z", "Mon, 15 Mar 2021 14:30:00 +0000", true, time.Date(2021, 3, 15, 14, 30, 0, 0, time.UTC)},
		{"%Y%m%d", "20210315", true, time.Date(2021, 3, 15, 0, 0, 0, 0, time.UTC)},
		{"%d-%m-%Y", "05-01-2021 ", false, time.Time{}},
	}
	for _, tt := range tests {
		f, err := CompileFormat(tt.format)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := f.Parse(tt.value)
		if ok != tt.ok {
			t.Errorf("%s %q: ok %v, want %v", tt.format, tt.value, ok, tt.ok)
			continue
		}
		if ok && !p.Time().Equal(tt.want) {
			t.Errorf("%s %q: %v, want %v", tt.format, tt.value, p.Time(), tt.want)
		}
		if n := testing.AllocsPerRun(100, func() { f.Parse(tt.value) }); n != 0 {
			t.Errorf("%s: Parse allocates %v times", tt.format, n)
		}
	}
	for _, bad := range []string{"", "%", "%Q", "plain"} {
		if _, err := CompileFormat(bad); err == nil {
			t.Errorf("CompileFormat(%q) succeeded", bad)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"First Name":            "first_name",
		"createdAt":             "created_at",
		"HTTPServerError":       "http_server_error",
		"2019 Sales":            "_2019_sales",
		"  Café Größe ":         "cafe_grosse",
		"e-mail":                "e_mail",
		"___":                   "",
		"Amount ($)":            "amount",
		"ID":                    "id",
		"userID2":               "user_id2",
		strings.Repeat("x", 70): strings.Repeat("x", 63),
	}
	for in, want := range tests {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
	got := FieldNames([]string{"a", "A", "", "a_2", "#"}, nil, nil)
	want := []string{"a", "a_2", "column_3", "a_2_2", "number"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("FieldNames = %v, want %v", got, want)
	}
}

func TestColumnJSONRoundTrip(t *testing.T) {
	t.Parallel()
	in := Column{Index: 2, RawName: "Amount", Name: "amount", Type: TypeBigInt, DollarToCent: true,
		Number: NumberStyle{Thousands: ",", Currency: true}, Nullable: true, NullMarkers: []string{"N/A"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Column
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if err := out.Compile(nil); err != nil {
		t.Fatal(err)
	}
	v, err := Cast("$1,000.10", &out)
	if err != nil || v != int64(100010) {
		t.Fatalf("after round trip: %v %v (%s)", v, err, b)
	}
	for _, s := range []string{"varchar(12)", "double precision", "text[]", "timestamptz"} {
		typ, n, err := ParseType(s)
		c := Column{Type: typ, Length: n}
		if err != nil || c.PGType() != s {
			t.Errorf("ParseType(%q) → %s, %v", s, c.PGType(), err)
		}
	}
}

func TestOptionsJSON(t *testing.T) {
	t.Parallel()
	var o Options
	in := `{"null_values":["x"],"null_values_override":["y"],"boolean_true":["si"],"use_text_instead_of_string":true,
		"csv_delimiter":";","xls_date_mode_override":"mode_1","datetime_formats_per_column":{"a":["%Y"]}}`
	if err := json.Unmarshal([]byte(in), &o); err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.NullValues, ",") != "y" || strings.Join(o.BooleanTrue, ",") != "si" || !o.UseTextInsteadOfString ||
		o.CSVDelimiter != ";" || o.XLSDateMode != "mode_1" || len(o.DatetimeFormatsPerColumn["a"]) != 1 {
		t.Fatalf("%+v", o)
	}
	if _, err := o.compile(); err != nil {
		t.Fatal(err)
	}
	bad := Options{DatetimeFormats: []string{"%Q"}}
	if _, err := bad.compile(); err == nil || !strings.Contains(err.Error(), "datetime_formats") {
		t.Fatalf("got %v, want an error naming datetime_formats", err)
	}
}
