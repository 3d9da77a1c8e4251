package qluster

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/analyzer"
)

// navigationActions only tell a client where to go: the server answers them.
var navigationActions = map[AlertAction]bool{AlertActionEditSettings: true, AlertActionEditDataSourceModelSettings: true,
	AlertActionEditDestinationSettings: true, AlertActionGoToMigrationReview: true, AlertActionCheckLearningJobs: true}

func TestEveryActionHasAResolver(t *testing.T) {
	t.Parallel()
	require.Len(t, resolvers, 43)
	for a := range resolvers {
		require.True(t, a.Valid(), "%s is not an action of the contract", a)
		require.False(t, navigationActions[a], "%s is a navigation action", a)
	}
}

func TestScopeOf(t *testing.T) {
	t.Parallel()
	require.Equal(t, scope{}, scopeOf(AlertActionSetValueToNull))
	require.Equal(t, scope{field: true}, scopeOf(AlertActionDefineDatetimeFormatForField))
	require.Equal(t, scope{source: true}, scopeOf(AlertActionSetValueToTrueForSource))
	require.Equal(t, scope{field: true, source: true}, scopeOf(AlertActionAllowMultiFormatsNDefineDatetimeFormatForFieldForSource))
}

func TestFittingActions(t *testing.T) {
	t.Parallel()
	ds, src, item := int64(1), int64(2), int64(3)
	date := &AlertItem{AlertType: AlertTypeDateCasting, FieldName: "day", FieldValue: "x", DatasetID: &ds, DataSourceModelID: &src,
		StoredItemID: &item, Body: map[string]any{"line_signature": "abc"}}
	got := FittingActions(date)
	for _, a := range []AlertAction{AlertActionSetValueToNullForFieldForSource, AlertActionDefineDatetimeFormatForField,
		AlertActionInferDatetimeFormatForField, AlertActionNotADatetimeField, AlertActionIgnoreRow, AlertActionIgnoreFile, AlertActionHide} {
		require.Contains(t, got, a)
	}
	for _, a := range []AlertAction{AlertActionSetValueToTrue, AlertActionApplyMigration, AlertActionProceedWithSheetName, AlertActionMarkDataAsValid} {
		require.NotContains(t, got, a)
	}
	noSource := *date
	noSource.DataSourceModelID = nil
	require.NotContains(t, FittingActions(&noSource), AlertActionSetValueToNullForSource)

	err := notFitting(&AlertItem{ID: 7, AlertType: AlertTypeDateCasting, AlertActions: []AlertAction{AlertActionHide}}, AlertActionApplyMigration)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, []string{"body", "action"}, ve.Fields[0].Loc)
	require.Contains(t, ve.Fields[0].Msg, "apply_migration does not fit alert 7 (date_casting); it offers [hide]")
}

func TestCheckDatetimeFormat(t *testing.T) {
	t.Parallel()
	require.NoError(t, CheckDatetimeFormat("%Y-%m-%d", []string{"2024-02-20", " 2024-03-01 "}))
	err := CheckDatetimeFormat("%d/%m/%Y", []string{"2024-02-20", "01/02/2024", "31/02/2024"})
	require.ErrorContains(t, err, `"%d/%m/%Y" does not parse "2024-02-20", "31/02/2024"`)
	require.ErrorContains(t, CheckDatetimeFormat("%Q", nil), "is not a strftime format")
}

func TestInferDatetimeFormats(t *testing.T) {
	t.Parallel()
	got, err := InferDatetimeFormats("day", []string{"2024-02-20", "2024-02-21"}, &analyzer.Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"%Y-%m-%d"}, got)
	_, err = InferDatetimeFormats("day", []string{"TBD"}, &analyzer.Options{})
	require.ErrorContains(t, err, "no datetime format reads TBD")
}

func TestAlertFilesAndValues(t *testing.T) {
	t.Parallel()
	item := int64(4)
	a := &AlertItem{StoredItemID: &item, StoredItemsToAlerts: []any{float64(4), float64(9)}, FieldValue: " x ", PreviousValues: []string{"x", "y", ""}}
	require.Equal(t, []int64{4, 9}, alertFiles(a))
	require.Equal(t, []string{"x", "y"}, alertValues(a))
}

func TestClosestKeyword(t *testing.T) {
	t.Parallel()
	require.Equal(t, "active", closestKeyword("actve", []any{"closed", "active", "pending"}))
	require.Equal(t, "Closed", closestKeyword("closd", []any{"Closed", "open"}))
	require.Equal(t, 3, editDistance("kitten", "sitting"))
}

func TestReviseDisplay(t *testing.T) {
	t.Parallel()
	p := &MigrationPlan{Columns: []PlannedColumn{{ColumnSpec: ColumnSpec{Name: "day", Type: "text"}, Change: ColumnWidened,
		Cast: &analyzer.Column{RawName: "Day", DatetimeFormats: nil}}}}
	d := displayOf(p, &TableSchema{Columns: []ColumnSpec{{Name: "day", Type: "date"}}})
	require.Equal(t, "date", d[0].(map[string]any)["previous_type"])
	require.Equal(t, []string{}, d[0].(map[string]any)["datetime_formats"])
	require.Empty(t, formatInfoOf(p))
}
