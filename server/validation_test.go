package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
)

// testValidationRules: a field's rule is read (the default one first), set
// (checked against the column's type, recorded in the settings history),
// shown in the data source's validation model, and checked during
// ingestion: a row that breaks it is quarantined with a validation alert
// that names the rule and the value.
func testValidationRules(t *testing.T, b *bundle) {
	s := b.trainScene("rules", trainStatusCSV, client.ApplyAsap)

	got, err := b.admin.GetDatasetValidationInfoWithResponse(b.ctx, s.ds.Id, "score")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), string(got.Body))
	require.Equal(t, client.Integer, *got.JSON200.JsonSchemaFieldType)
	require.Equal(t, []client.JsonSchemaFieldType{client.Integer, client.Number}, *got.JSON200.AllowedJsonSchemaFieldType)
	require.True(t, *got.JSON200.ToInclude)
	require.False(t, *got.JSON200.IsRequired)
	require.Nil(t, got.JSON200.Maximum)

	nf, err := b.admin.GetDatasetValidationInfoWithResponse(b.ctx, s.ds.Id, "nope")
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, nf.StatusCode(), string(nf.Body))

	post := func(field, body string) *client.UpdateDatasetValidationInfoResponse {
		t.Helper()
		res, err := b.admin.UpdateDatasetValidationInfoWithBodyWithResponse(b.ctx, s.ds.Id, field, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		return res
	}
	for body, says := range map[string]string{
		`{"json_schema_field_type": "boolean"}`:                             `can be checked as [integer number], not \"boolean\"`,
		`{"json_schema_field_type": "integer", "minimum": 5, "maximum": 1}`: "maximum 1 is below minimum 5",
		`{"json_schema_field_type": "string", "maximum": 1}`:                "minimum and maximum bound numbers",
	} {
		res := post("score", body)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
		require.Contains(t, string(res.Body), says)
	}
	res := post("score", `{"json_schema_field_type": "integer", "is_required": true, "minimum": 0, "maximum": 10}`)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, b.adminUserID().String(), b.lastSettingsChange(s.ds.Id).WhodunitId.String())
	res = post("status", `{"json_schema_field_type": "email", "to_include": false}`)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))

	got, err = b.admin.GetDatasetValidationInfoWithResponse(b.ctx, s.ds.Id, "score")
	require.NoError(t, err)
	require.True(t, *got.JSON200.IsRequired)
	require.EqualValues(t, 10, *got.JSON200.Maximum)
	require.EqualValues(t, 0, *got.JSON200.Minimum)

	model, err := b.admin.GetDataSourceValidationModelWithResponse(b.ctx, s.src.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, model.StatusCode(), string(model.Body))
	require.Equal(t, [][]any{
		{"field_name", "field_type_in_db", "validation_type", "is_required", "minimum", "maximum", "the_only_acceptable_values"},
		{"id", "smallint", nil, false, nil, nil, nil},
		{"status", "text", nil, false, nil, nil, nil}, // its rule is not included
		{"score", "smallint", "integer", true, float64(0), float64(10), nil},
	}, *model.JSON200)

	// A missing value and a value out of range are quarantined, each under
	// the validation alert of its field.
	b.raise(s, "id,status,score\n3,active,8\n4,closed,\n5,closed,-2\n6,active,11\n", client.AlertTypeValidation)
	table, quarantine := b.rowCounts(s.ds.Id)
	require.Equal(t, 3, table)
	require.Equal(t, 3, quarantine)
	open := b.openAlerts(s.ds.Id)
	require.Len(t, open, 1, alertSummary(open))
	a := open[0]
	require.Equal(t, "score", *a.FieldName)
	require.Equal(t, 3, *a.Count)
	require.Contains(t, *a.Msg, "the validation rule of score requires a value (is_required)")
	require.ElementsMatch(t, []string{"-2", "11"}, *a.PreviousValues)
	require.Equal(t, map[string]any{"field": "score", "minimum": float64(0), "maximum": float64(10)}, *a.BoundaryData)
	q := b.data(s.ds.Id, client.GetDataParams{IsBadData: ptr(true), OrderBy: &[]string{"_line_number"}})
	errs, _ := (*q.Results)[2].(map[string]any)["_errors"].([]any)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].(map[string]any)["msg"], `"11" is above the maximum 10 of the validation rule of score`)
}
