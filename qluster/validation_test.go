package qluster

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/analyzer"
)

func TestAllowedJSONSchemaTypes(t *testing.T) {
	t.Parallel()
	for pg, want := range map[string][]JSONSchemaFieldType{
		"smallint": {JSONSchemaInteger, JSONSchemaNumber}, "numeric": {JSONSchemaNumber}, "boolean": {JSONSchemaBoolean},
		"text": {JSONSchemaString, JSONSchemaEmail}, "varchar(12)": {JSONSchemaString, JSONSchemaEmail}, "jsonb": {JSONSchemaObject, JSONSchemaArray},
		"text[]": {JSONSchemaArray}, "date": {JSONSchemaString},
	} {
		require.Equal(t, want, AllowedJSONSchemaTypes(pg), pg)
	}
	require.Equal(t, ValidationRule{ToInclude: true, JSONSchemaFieldType: JSONSchemaNumber, AllowedJSONSchemaFieldType: []JSONSchemaFieldType{JSONSchemaNumber},
		LimitToValues: []any{}}, DefaultValidationRule("numeric"))
}

func TestCheckValidationRule(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	require.NoError(t, CheckValidationRule(&ValidationRule{JSONSchemaFieldType: JSONSchemaInteger, Minimum: f(1), Maximum: f(2)}, "integer"))
	require.ErrorContains(t, CheckValidationRule(&ValidationRule{JSONSchemaFieldType: JSONSchemaBoolean}, "integer"), `not "boolean"`)
	require.ErrorContains(t, CheckValidationRule(&ValidationRule{JSONSchemaFieldType: JSONSchemaInteger, Minimum: f(3), Maximum: f(2)}, "integer"), "below minimum")
	require.ErrorContains(t, CheckValidationRule(&ValidationRule{JSONSchemaFieldType: JSONSchemaString, LimitToValues: []any{"a"},
		Aliases: map[string]string{"b": "c"}}, "text"), `"c" is not one of limit_to_values`)
}

// TestRowRules checks cast cells against rules: each broken rule is an
// issue naming the rule and the raw value, aliases read as their keyword.
func TestRowRules(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	st := &Settings{ID: 1, VersionID: 1, ValidationRules: map[string]ValidationRule{
		"score":  {ToInclude: true, IsRequired: true, JSONSchemaFieldType: JSONSchemaInteger, Minimum: f(0), Maximum: f(10)},
		"status": {ToInclude: true, JSONSchemaFieldType: JSONSchemaString, LimitToValues: []any{"active", "closed"}, Aliases: map[string]string{"actve": "active"}},
		"mail":   {ToInclude: true, JSONSchemaFieldType: JSONSchemaEmail},
		"note":   {ToInclude: false, IsRequired: true, JSONSchemaFieldType: JSONSchemaString},
	}}
	plan := &MigrationPlan{Columns: []PlannedColumn{{ColumnSpec: ColumnSpec{Name: "score", Type: "smallint"}}, {ColumnSpec: ColumnSpec{Name: "status", Type: "text"}},
		{ColumnSpec: ColumnSpec{Name: "mail", Type: "text"}}, {ColumnSpec: ColumnSpec{Name: "note", Type: "text"}}}}
	rr, err := rulesFor(st, plan)
	require.NoError(t, err)
	require.Len(t, rr.cols, 3, "a rule not included is not checked")
	mapping := []int{0, 1, 2, 3}

	cells := []analyzer.Cell{{Int: 5}, {Text: "actve"}, {Text: "a@example.com"}, {Null: true}}
	require.Empty(t, rr.check(cells, []string{"5", "actve", "a@example.com", ""}, mapping))
	require.Equal(t, "active", cells[1].Text, "the alias is read as its keyword")

	cells = []analyzer.Cell{{Int: 11}, {Text: "gone"}, {Text: "nope"}, {Null: true}}
	issues := rr.check(cells, []string{"11", "gone", "nope", ""}, mapping)
	byField := map[string]RowIssue{}
	for _, is := range issues {
		require.Equal(t, AlertTypeValidation, is.AlertType)
		byField[is.Field] = is
	}
	require.Equal(t, `"11" is above the maximum 10 of the validation rule of score`, byField["score"].Msg)
	require.Equal(t, "11", byField["score"].Value)
	require.Contains(t, byField["status"].Msg, `"gone" is not one of the values the validation rule of status allows`)
	require.Contains(t, byField["mail"].Msg, `"nope" is not a valid email`)

	cells = []analyzer.Cell{{Null: true}, {Text: "closed"}, {Null: true}, {Null: true}}
	issues = rr.check(cells, []string{"", "closed", "", ""}, mapping)
	require.Len(t, issues, 1)
	require.Equal(t, "the validation rule of score requires a value (is_required) and the row has none", issues[0].Msg)

	// No rule included: nothing to check.
	none, err := rulesFor(&Settings{ValidationRules: map[string]ValidationRule{"score": {ToInclude: false}}}, plan)
	require.NoError(t, err)
	require.Nil(t, none)
}

func TestSchemaOfCachesByRules(t *testing.T) {
	t.Parallel()
	a := &Settings{ID: 42, VersionID: 1, ValidationRules: map[string]ValidationRule{"x": {ToInclude: true, JSONSchemaFieldType: JSONSchemaInteger}}}
	b := &Settings{ID: 42, VersionID: 1, ValidationRules: map[string]ValidationRule{"x": {ToInclude: true, JSONSchemaFieldType: JSONSchemaString}}}
	sa, err := schemaOf(a)
	require.NoError(t, err)
	sb, err := schemaOf(b)
	require.NoError(t, err)
	require.NotSame(t, sa, sb, "the same id and version in two stores may hold other rules")
	again, err := schemaOf(a)
	require.NoError(t, err)
	require.Same(t, sa, again)
}

func TestBoundaryData(t *testing.T) {
	t.Parallel()
	top := 10.0
	ds := &Dataset{SettingsModel: &Settings{ValidationRules: map[string]ValidationRule{"score": {Maximum: &top}, "status": {}}}}
	require.Equal(t, map[string]any{"field": "score", "minimum": (*float64)(nil), "maximum": &top}, boundaryData(ds, "score", AlertTypeValidation))
	require.Nil(t, boundaryData(ds, "status", AlertTypeValidation))
	require.Nil(t, boundaryData(ds, "score", AlertTypeDateCasting))
}
