package server_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
)

// badRows reads a dataset's quarantined rows.
func (b *bundle) badRows(datasetID int) []map[string]any {
	b.t.Helper()
	var out []map[string]any
	for _, r := range *b.data(datasetID, client.GetDataParams{IsBadData: ptr(true)}).Results {
		out = append(out, r.(map[string]any))
	}
	return out
}

// testIgnoreLineSignature: rows ignored by signature leave the quarantine
// and are counted as ignored; a source of another dataset is refused.
func testIgnoreLineSignature(t *testing.T, b *bundle) {
	s := b.scene("ignoresig", trainCSV, nullBadCSV, client.AlertTypeDateCasting)
	other := b.trainScene("othersig", trainCSV, client.ApplyAsap)
	bad := b.badRows(s.ds.Id)
	require.Len(t, bad, 1)
	sig := bad[0]["_signature"].(string)

	ignore := func(body [][]any) *client.IgnoreLineSignatureForDatasetResponse {
		t.Helper()
		res, err := b.admin.IgnoreLineSignatureForDatasetWithResponse(b.ctx, s.ds.Id, client.IgnoreLineSignatureRequest{DataSourceModelToLineSignatures: body})
		require.NoError(t, err)
		return res
	}
	res := ignore([][]any{{other.src.Id, []any{sig}}})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	require.Contains(t, string(res.Body), "is not a data source of dataset")
	res = ignore([][]any{{s.src.Id}})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))

	res = ignore([][]any{{s.src.Id, []any{sig, "0123"}}, {s.src.Id, "4567"}})
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Contains(t, res.JSON200.Result, "3 signature(s) of 1 data source(s)")
	b.waitTries(s.job.Id, 2)
	table, quarantine := b.rowCounts(s.ds.Id)
	require.Equal(t, 4, table)
	require.Zero(t, quarantine)
	it, err := b.admin.GetStoredItemWithResponse(b.ctx, s.item.Id)
	require.NoError(t, err)
	require.Equal(t, 1, *it.JSON200.IgnoredRowsCount)
	require.Equal(t, map[string]any{"3": sig}, *it.JSON200.IgnoredRowsLineNumberToSignature)

	// Future files skip the row too.
	later := b.upload(b.admin, s.src.Id, "later.csv", "id,day,paid,note\n5,TBD,no,later\n")
	j := b.fileJob(s.ds.Id, later.Id, 3)
	require.Equal(t, 1, *j.IgnoredRowsCount)
	require.Zero(t, *j.BadRowsCount)
}

// testReprocessBadRows: quarantined rows, by id, load again with the
// settings of now.
func testReprocessBadRows(t *testing.T, b *bundle) {
	s := b.scene("reprocess", trainCSV, nullBadCSV, client.AlertTypeDateCasting)
	bad := b.badRows(s.ds.Id)
	require.Len(t, bad, 1)
	id := int(bad[0]["_id"].(float64))

	res, err := b.admin.ReprocessBadRowsForDatasetWithResponse(b.ctx, s.ds.Id, client.IdsRequest{Ids: []int{id, id + 100}})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	require.Contains(t, string(res.Body), strconv.Itoa(id+100))

	// Fix the settings by hand, then ask for the row again.
	got, err := b.admin.GetDatasetWithResponse(b.ctx, s.ds.Id)
	require.NoError(t, err)
	p, err := b.admin.PatchDatasetWithBodyWithResponse(b.ctx, "application/json", jsonReader(map[string]any{"id": s.ds.Id, "version_id": *got.JSON200.VersionId,
		"settings_model": map[string]any{"version_id": got.JSON200.SettingsModel.VersionId, "null_values_per_column": map[string][]string{"day": {"TBD"}}}}))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	res, err = b.admin.ReprocessBadRowsForDatasetWithResponse(b.ctx, s.ds.Id, client.IdsRequest{Ids: []int{id}})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, "1 row(s) of 1 file(s) are queued to load again", res.JSON200.Result)
	b.waitTries(s.job.Id, 2)
	table, quarantine := b.rowCounts(s.ds.Id)
	require.Equal(t, 5, table)
	require.Zero(t, quarantine)
}

// testPatchStoredItem: an ignored file's rows leave the table and the
// quarantine and its alert is resolved; taken back, it loads again.
func testPatchStoredItem(t *testing.T, b *bundle) {
	s := b.scene("ignored", trainCSV, nullBadCSV, client.AlertTypeDateCasting)
	patch := func(ignore bool) {
		t.Helper()
		res, err := b.admin.PatchStoredItemWithResponse(b.ctx, client.StoredItemPatchRequest{Id: s.item.Id, IgnoreFile: ignore})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, ignore, *res.JSON200.IgnoreFile)
	}
	patch(true)
	table, quarantine := b.rowCounts(s.ds.Id)
	require.Equal(t, 3, table)
	require.Zero(t, quarantine)
	b.requireIgnoredFile(s)
	b.requireResolvedBy(s.alert.Id, b.adminUserID().String())

	patch(false)
	b.waitTries(s.job.Id, 2)
	table, quarantine = b.rowCounts(s.ds.Id)
	require.Equal(t, 4, table)
	require.Equal(t, 1, quarantine)
	require.Len(t, b.openAlerts(s.ds.Id), 1, "the row raises its alert again")

	res, err := b.admin.PatchStoredItemWithResponse(b.ctx, client.StoredItemPatchRequest{Id: s.item.Id + 1000, IgnoreFile: true})
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, res.StatusCode(), string(res.Body))
}

// testDraftReview: a dataset whose table is in force gets a draft copy of
// it under a review alert, the same one every time.
func testDraftReview(t *testing.T, b *bundle) {
	s := b.trainScene("reviewme", trainCSV, client.ApplyAsap)
	res, err := b.admin.GetOrCreateDraftMigrationAndReviewAlertWithResponse(b.ctx, s.ds.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	a := b.getAlert(*res.JSON200.AlertItemId)
	require.Equal(t, client.AlertTypeNeedsReviewMigration, *a.AlertType)
	m, err := b.admin.GetMigrationWithResponse(b.ctx, *a.MigrationModelId)
	require.NoError(t, err)
	require.Equal(t, client.MigrationStateDraft, *m.JSON200.State)
	again, err := b.admin.GetOrCreateDraftMigrationAndReviewAlertWithResponse(b.ctx, s.ds.Id)
	require.NoError(t, err)
	require.Equal(t, *res.JSON200.AlertItemId, *again.JSON200.AlertItemId)

	none := b.dataset("untrained")
	res, err = b.admin.GetOrCreateDraftMigrationAndReviewAlertWithResponse(b.ctx, none.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, res.StatusCode(), string(res.Body))
}

// testFieldsModification: renames and type suggestions change the draft;
// a type the training values do not fit is refused with the values.
func testFieldsModification(t *testing.T, b *bundle) {
	s := b.trainScene("modified", trainCSV, client.AskUser)
	open := b.openAlerts(s.ds.Id)
	require.Len(t, open, 1)
	modify := func(body client.FieldsModificationRequest) *client.PatchFieldsModificationResponse {
		t.Helper()
		res, err := b.admin.PatchFieldsModificationWithResponse(b.ctx, s.ds.Id, body)
		require.NoError(t, err)
		return res
	}
	res := modify(client.FieldsModificationRequest{FieldNameToTypeSuggestion: &map[string]string{"note": "integer", "paid": "text"}, Renames: &map[string]string{"nope": "x"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	require.Contains(t, string(res.Body), `integer does not hold these values of the training files: \"a\", \"b\", \"c\"`)
	require.Contains(t, string(res.Body), "the draft has no column nope")

	res = modify(client.FieldsModificationRequest{FieldNameToTypeSuggestion: &map[string]string{"id": "bigint"}, Renames: &map[string]string{"note": "remark"}})
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, b.adminUserID().String(), b.lastSettingsChange(s.ds.Id).WhodunitId.String())

	action := client.ApplyMigration
	r := b.resolveWith(b.admin, open[0].Id, client.ResolveAlertRequest{Action: &action})
	require.Equal(t, http.StatusOK, r.StatusCode(), string(r.Body))
	cols := b.destColumns("sales", tableOf(s))
	require.Equal(t, "bigint", cols["id"])
	require.Equal(t, "text", cols["remark"])
	require.NotContains(t, cols, "note")
	b.ingested(s.ds.Id, 1)
	page := b.data(s.ds.Id, client.GetDataParams{OrderBy: &[]string{"id"}})
	require.Equal(t, 3, *page.TotalRows)
	require.Equal(t, "a", (*page.Results)[0].(map[string]any)["remark"], "the file's note is read as remark")

	// Without a draft there is nothing to modify.
	res = modify(client.FieldsModificationRequest{Renames: &map[string]string{"remark": "x"}})
	require.Equal(t, http.StatusConflict, res.StatusCode(), string(res.Body))
}

// TestDatasetActions: the dataset operations beside resolve, validation rules included.
func TestDatasetActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, f := range map[string]func(*testing.T, *bundle){
		"ignore_line_signature": testIgnoreLineSignature, "reprocess_bad_rows": testReprocessBadRows,
		"patch_stored_item": testPatchStoredItem, "draft_migration_review": testDraftReview, "fields_modification": testFieldsModification,
		"validation_rules": testValidationRules,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, b.as(t))
		})
	}
}
