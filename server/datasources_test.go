package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/api"
	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/internal/secrets"
	"github.com/openqluster/qluster-go/qluster"
)

// requireIssues checks that body is a validation answer ({"detail": [...]})
// with an issue, carrying a message, for each of fields (the last element of
// its loc).
func requireIssues(t *testing.T, body []byte, fields ...string) {
	t.Helper()
	var detail struct {
		Detail []struct {
			Loc []string `json:"loc"`
			Msg string   `json:"msg"`
		} `json:"detail"`
	}
	require.NoError(t, json.Unmarshal(body, &detail), string(body))
	require.NotEmpty(t, detail.Detail, string(body))
	for _, f := range fields {
		found := false
		for _, d := range detail.Detail {
			if len(d.Loc) > 0 && d.Loc[len(d.Loc)-1] == f {
				found = true
				require.NotEmpty(t, d.Msg, "the issue of %s says nothing: %s", f, body)
			}
		}
		require.True(t, found, "no issue names %s in %s", f, body)
	}
}

// as is the bundle for subtest t: helpers fail t, not the parent test.
func (b *bundle) as(t *testing.T) *bundle {
	c := *b
	c.t = t
	return &c
}

// adminUserID is the id of the superuser the bundle signs in as.
func (b *bundle) adminUserID() uuid.UUID {
	b.t.Helper()
	me, err := b.admin.ReadUsersMeWithResponse(b.ctx)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, me.StatusCode(), string(me.Body))
	return uuid.UUID(me.JSON200.Id)
}

// rawDoc is the stored document of row id of table, as the database holds it.
func (b *bundle) rawDoc(table string, id int) string {
	b.t.Helper()
	var doc string
	require.NoError(b.t, b.store.DB().GetContext(b.ctx, &doc, `SELECT doc::text FROM `+table+` WHERE id = $1`, id))
	return doc
}

// requireSealed checks that the stored document of row id of table holds
// none of the plaintexts and that each of fields is sealed.
func (b *bundle) requireSealed(table string, id int, fields []string, plaintexts ...string) {
	b.t.Helper()
	doc := b.rawDoc(table, id)
	for _, p := range plaintexts {
		require.NotContains(b.t, doc, p, "%s %d stores a secret in the clear", table, id)
	}
	var m map[string]any
	require.NoError(b.t, json.Unmarshal([]byte(doc), &m))
	for _, f := range fields {
		v, _ := m[f].(string)
		require.True(b.t, strings.HasPrefix(v, secrets.Prefix), "%s.%s is stored as %q, not sealed", table, f, v)
	}
}

func dataSourceIDs(ds []client.DataSource) []int {
	out := make([]int, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Id)
	}
	return out
}

// TestDataSources drives the data source operations over one server; each
// subtest works in datasets of its own.
func TestDataSources(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, b *bundle)
	}{
		{"new", testNewDataSourceForDataset},
		{"lifecycle", testDataSourceLifecycle},
		{"not found", testDataSourceNotFound},
		{"list", testDataSourceList},
		{"bad input", testDataSourceBadInput},
		{"secrets", testDataSourceSecrets},
		{"override cleared by null", testDataSourceOverrideClearedByNull},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, b.as(t)) })
	}
}

func testNewDataSourceForDataset(t *testing.T, b *bundle) {
	ds := b.dataset("new-orders")

	nw, err := b.admin.GetNewDataSourceForDatasetWithResponse(b.ctx, ds.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, nw.StatusCode(), string(nw.Body))
	d := nw.JSON200
	require.Equal(t, client.DataSourceTypeStream, *d.DataSourceType)
	require.Equal(t, client.DataSourceStateActive, *d.State)
	require.Equal(t, 30, *d.ConnectionTimeout)
	require.Equal(t, 50, *d.ChunkSizeToReadForHeader)
	require.Equal(t, 22, *d.SftpPort)
	require.Equal(t, 8<<20, *d.S3DefaultBufferSize)
	require.Equal(t, "us-east-1", *d.S3RegionName)
	require.Equal(t, ds.Id, *d.DatasetId)
	require.Equal(t, "new-orders", *d.DatasetName)
	require.Equal(t, ds.SettingsModel.Id, *d.SettingsModelId)
	require.Nil(t, d.NullValuesOverride, "overrides are unset: the dataset's settings apply")

	nf, err := b.admin.GetNewDataSourceForDatasetWithResponse(b.ctx, 987654)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, nf.StatusCode(), string(nf.Body))

	// A deleted dataset takes no new sources.
	del, err := b.admin.DeleteDatasetWithResponse(b.ctx, ds.Id, client.DeleteByNameRequest{Name: "new-orders"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, del.StatusCode(), string(del.Body))
	gone, err := b.admin.GetNewDataSourceForDatasetWithResponse(b.ctx, ds.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, gone.StatusCode(), string(gone.Body))
}

func testDataSourceLifecycle(t *testing.T, b *bundle) {
	admin := b.adminUserID()
	ds := b.dataset("life-orders")
	other := b.dataset("life-refunds")

	body := fmt.Sprintf(`{"name":"feed","dataset_id":%d,"settings_model_id":%d,"schedule":"*/15 * * * *",
		"null_values_override":["-","n.a."]}`, ds.Id, ds.SettingsModel.Id)
	created, err := b.admin.PostDataSourceModelWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, created.StatusCode(), string(created.Body))
	src := created.JSON200
	require.Equal(t, 1, *src.VersionId)
	require.Equal(t, "feed", *src.Name)
	require.Equal(t, "life-orders", *src.DatasetName)
	require.Equal(t, ds.Id, *src.DatasetId)
	require.Equal(t, client.DataSourceStateActive, *src.State)
	require.Equal(t, 30, *src.ConnectionTimeout, "defaults fill what is not sent")
	require.Equal(t, []string{"-", "n.a."}, *src.NullValuesOverride)

	got, err := b.admin.GetDataSourceWithResponse(b.ctx, src.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), string(got.Body))
	require.Equal(t, "*/15 * * * *", *got.JSON200.Schedule)

	// The settings model alone names the dataset.
	bySettings, err := b.admin.PostDataSourceModelWithResponse(b.ctx, client.DataSourcePostRequest{Name: "refund-feed", SettingsModelId: other.SettingsModel.Id})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, bySettings.StatusCode(), string(bySettings.Body))
	require.Equal(t, other.Id, *bySettings.JSON200.DatasetId)

	// A name is unique within its dataset.
	dup, err := b.admin.PostDataSourceModelWithResponse(b.ctx, client.DataSourcePostRequest{Name: "feed", SettingsModelId: ds.SettingsModel.Id, DatasetId: &ds.Id})
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, dup.StatusCode(), string(dup.Body))

	// PATCH on the version read: accepted, version bumped, other fields kept.
	patch := func(body string) *client.PatchDataSourceModelResponse {
		res, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		return res
	}
	p := patch(fmt.Sprintf(`{"id":%d,"version_id":1,"name":"feed-2","schedule":"0 * * * *"}`, src.Id))
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	require.Equal(t, 2, *p.JSON200.VersionId)
	require.Equal(t, "feed-2", *p.JSON200.Name)
	require.Equal(t, "0 * * * *", *p.JSON200.Schedule)
	require.Equal(t, []string{"-", "n.a."}, *p.JSON200.NullValuesOverride, "fields not sent are kept")

	// The same version again is stale: 409 and nothing changes.
	stale := patch(fmt.Sprintf(`{"id":%d,"version_id":1,"name":"other"}`, src.Id))
	require.Equal(t, http.StatusConflict, stale.StatusCode(), string(stale.Body))
	require.Contains(t, string(stale.Body), "version_id")
	again, err := b.admin.GetDataSourceWithResponse(b.ctx, src.Id)
	require.NoError(t, err)
	require.Equal(t, "feed-2", *again.JSON200.Name)
	require.Equal(t, 2, *again.JSON200.VersionId)

	// The body's id must be the path's.
	mismatch := patch(fmt.Sprintf(`{"id":%d,"version_id":2,"name":"other"}`, src.Id+1000))
	require.Equal(t, http.StatusUnprocessableEntity, mismatch.StatusCode(), string(mismatch.Body))
	requireIssues(t, mismatch.Body, "id")

	// History: the insert and each update, with the acting user.
	h, err := b.admin.GetDataSourceHistoryWithResponse(b.ctx, src.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, h.StatusCode(), string(h.Body))
	hist := *h.JSON200
	require.Len(t, hist, 2)
	require.Equal(t, client.Insert, hist[0].Operation)
	require.Equal(t, client.Update, hist[1].Operation)
	require.Equal(t, []int{1, 2}, []int{hist[0].VersionId, hist[1].VersionId})
	for _, r := range hist {
		require.Equal(t, fmt.Sprint(src.Id), r.ObjectId)
		require.NotNil(t, r.WhodunitId)
		require.Equal(t, admin, uuid.UUID(*r.WhodunitId))
	}
	require.Equal(t, "feed", (*hist[1].Before)["name"])
	require.Equal(t, "feed-2", (*hist[1].After)["name"])

	// Tiny: the summary.
	tiny, err := b.admin.GetDataSourceTinyWithResponse(b.ctx, src.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, tiny.StatusCode(), string(tiny.Body))
	require.Equal(t, src.Id, tiny.JSON200.Id)
	require.Equal(t, "feed-2", *tiny.JSON200.Name)
	require.Equal(t, "life-orders", *tiny.JSON200.DatasetName)
	require.Equal(t, ds.Id, *tiny.JSON200.DatasetId)
	require.Equal(t, client.DataSourceTypeStream, *tiny.JSON200.DataSourceType)
	require.Equal(t, "0 * * * *", *tiny.JSON200.Schedule)
	require.Equal(t, client.DataSourceStateActive, *tiny.JSON200.State)
	require.Equal(t, 0, *tiny.JSON200.UnresolvedAlerts)
	require.Equal(t, b.destinationNameOf(ds), tiny.JSON200.DestinationName)

	// The dataset's name is read from the dataset: a rename shows at once.
	rn, err := b.admin.PatchDatasetWithBodyWithResponse(b.ctx, "application/json",
		strings.NewReader(fmt.Sprintf(`{"id":%d,"version_id":%d,"name":"life-orders-2"}`, ds.Id, *ds.VersionId)))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rn.StatusCode(), string(rn.Body))
	renamed, err := b.admin.GetDataSourceWithResponse(b.ctx, src.Id)
	require.NoError(t, err)
	require.Equal(t, "life-orders-2", *renamed.JSON200.DatasetName)
	tiny, err = b.admin.GetDataSourceTinyWithResponse(b.ctx, src.Id)
	require.NoError(t, err)
	require.Equal(t, "life-orders-2", *tiny.JSON200.DatasetName)

	// Copy for another dataset: the configuration, in that dataset, no id.
	cp, err := b.admin.GetDataSourceCopyForDatasetWithResponse(b.ctx, other.Id, src.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, cp.StatusCode(), string(cp.Body))
	require.Zero(t, cp.JSON200.Id)
	require.Equal(t, "feed-2 (copy)", *cp.JSON200.Name)
	require.Equal(t, other.Id, *cp.JSON200.DatasetId)
	require.Equal(t, "life-refunds", *cp.JSON200.DatasetName)
	require.Equal(t, other.SettingsModel.Id, *cp.JSON200.SettingsModelId)
	require.Equal(t, "0 * * * *", *cp.JSON200.Schedule)

	// POST copy: the configuration of the source overlaid with the body.
	pc, err := b.admin.PostCopyDataSourceModelWithResponse(b.ctx, src.Id, client.DataSourcePostRequest{
		Name: "feed-eu", SettingsModelId: other.SettingsModel.Id, DatasetId: &other.Id,
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, pc.StatusCode(), string(pc.Body))
	require.NotEqual(t, src.Id, pc.JSON200.Id)
	require.Equal(t, 1, *pc.JSON200.VersionId)
	require.Equal(t, "feed-eu", *pc.JSON200.Name)
	require.Equal(t, other.Id, *pc.JSON200.DatasetId)
	require.Equal(t, "0 * * * *", *pc.JSON200.Schedule, "the copy keeps the configuration")
	orig, err := b.admin.GetDataSourceWithResponse(b.ctx, src.Id)
	require.NoError(t, err)
	require.Equal(t, 2, *orig.JSON200.VersionId, "copying leaves the original")

	// Delete needs the exact name.
	wrong, err := b.admin.DeleteDataSourceWithResponse(b.ctx, src.Id, client.DeleteByNameRequest{Name: "feed"})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, wrong.StatusCode(), string(wrong.Body))
	requireIssues(t, wrong.Body, "name")
	del, err := b.admin.DeleteDataSourceWithResponse(b.ctx, src.Id, client.DeleteByNameRequest{Name: "feed-2"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, del.StatusCode(), string(del.Body))
	list, err := b.admin.GetDataSourcesWithResponse(b.ctx, &client.GetDataSourcesParams{DatasetId: &ds.Id})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
	require.Empty(t, list.JSON200.Results, "deleted sources leave the default list")
	deleted, err := b.admin.GetDataSourcesWithResponse(b.ctx, &client.GetDataSourcesParams{DatasetId: &ds.Id, States: &[]string{"deleted"}})
	require.NoError(t, err)
	require.Equal(t, []int{src.Id}, dataSourceIDs(deleted.JSON200.Results))
	twice, err := b.admin.DeleteDataSourceWithResponse(b.ctx, src.Id, client.DeleteByNameRequest{Name: "feed-2"})
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, twice.StatusCode(), string(twice.Body))
	frozen := patch(fmt.Sprintf(`{"id":%d,"version_id":3,"name":"revived"}`, src.Id))
	require.Equal(t, http.StatusConflict, frozen.StatusCode(), "a deleted source cannot change: %s", frozen.Body)

	// The name of a deleted source is free again.
	reuse, err := b.admin.PostDataSourceModelWithResponse(b.ctx, client.DataSourcePostRequest{Name: "feed-2", SettingsModelId: ds.SettingsModel.Id, DatasetId: &ds.Id})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, reuse.StatusCode(), string(reuse.Body))
}

// testDataSourceOverrideClearedByNull sets an override and clears it again
// by sending null: the dataset's value applies again.
func testDataSourceOverrideClearedByNull(t *testing.T, b *bundle) {
	// The contract marks the overrides nullable: null means "use the dataset's".
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	require.NoError(t, err)
	for _, f := range []string{"null_values_override", "should_reprocess_override", "xls_date_mode_override"} {
		p := doc.Components.Schemas["DataSourcePatchRequest"].Value.Properties[f]
		require.True(t, p != nil && p.Value.Nullable, "DataSourcePatchRequest.%s must be nullable", f)
	}
	ds := b.dataset("null-orders")
	res, err := b.admin.PostDataSourceModelWithResponse(b.ctx, client.DataSourcePostRequest{
		Name: "feed", SettingsModelId: ds.SettingsModel.Id, DatasetId: &ds.Id,
		NullValuesOverride: &[]string{"-"}, ShouldReprocessOverride: ptr(true), XlsDateModeOverride: ptr(client.Mode1),
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	src := res.JSON200
	require.Equal(t, []string{"-"}, *src.NullValuesOverride)
	require.True(t, *src.ShouldReprocessOverride)

	cleared, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json", strings.NewReader(fmt.Sprintf(
		`{"id":%d,"version_id":1,"null_values_override":null,"should_reprocess_override":null,"xls_date_mode_override":null}`, src.Id)))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, cleared.StatusCode(), string(cleared.Body))
	require.Equal(t, 2, *cleared.JSON200.VersionId)
	require.Nil(t, cleared.JSON200.NullValuesOverride)
	require.Nil(t, cleared.JSON200.ShouldReprocessOverride)
	require.Nil(t, cleared.JSON200.XlsDateModeOverride)
	stored, err := b.store.GetDataSource(b.ctx, int64(src.Id))
	require.NoError(t, err)
	require.Nil(t, stored.NullValuesOverride)
	require.Nil(t, stored.ShouldReprocessOverride)
	require.Nil(t, stored.XLSDateModeOverride)
	require.Equal(t, "feed", stored.Name, "fields not sent are kept")

	h, err := b.admin.GetDataSourceHistoryWithResponse(b.ctx, src.Id)
	require.NoError(t, err)
	require.Len(t, *h.JSON200, 2)
	upd := (*h.JSON200)[1]
	require.Equal(t, []any{"-"}, (*upd.Before)["null_values_override"])
	require.Nil(t, (*upd.After)["null_values_override"])
}

func testDataSourceNotFound(t *testing.T, b *bundle) {
	ds := b.dataset("nf-orders")
	const missing = 876543
	cases := []struct {
		name string
		call func() (interface{ StatusCode() int }, error)
	}{
		{"get", func() (interface{ StatusCode() int }, error) {
			return b.admin.GetDataSourceWithResponse(b.ctx, missing)
		}},
		{"tiny", func() (interface{ StatusCode() int }, error) {
			return b.admin.GetDataSourceTinyWithResponse(b.ctx, missing)
		}},
		{"history", func() (interface{ StatusCode() int }, error) {
			return b.admin.GetDataSourceHistoryWithResponse(b.ctx, missing)
		}},
		{"patch", func() (interface{ StatusCode() int }, error) {
			return b.admin.PatchDataSourceModelWithResponse(b.ctx, missing, client.DataSourcePatchRequest{Id: missing, VersionId: 1, Name: ptr("x")})
		}},
		{"delete", func() (interface{ StatusCode() int }, error) {
			return b.admin.DeleteDataSourceWithResponse(b.ctx, missing, client.DeleteByNameRequest{Name: "x"})
		}},
		{"copy for dataset", func() (interface{ StatusCode() int }, error) {
			return b.admin.GetDataSourceCopyForDatasetWithResponse(b.ctx, ds.Id, missing)
		}},
		{"post copy", func() (interface{ StatusCode() int }, error) {
			return b.admin.PostCopyDataSourceModelWithResponse(b.ctx, missing, client.DataSourcePostRequest{Name: "x", SettingsModelId: ds.SettingsModel.Id})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tc.call()
			require.Equal(t, http.StatusNotFound, statusOf(t, res, err))
			require.Contains(t, string(res.(interface{ GetBody() []byte }).GetBody()), fmt.Sprint(missing), "the 404 names the id")
		})
	}
}

// testDataSourceList filters by dataset and state and walks the pages.
func testDataSourceList(t *testing.T, b *bundle) {
	a := b.dataset("list-a")
	c := b.dataset("list-b")
	post := func(ds *client.Dataset, name string, state client.DataSourceState) int {
		res, err := b.admin.PostDataSourceModelWithResponse(b.ctx, client.DataSourcePostRequest{
			Name: name, SettingsModelId: ds.SettingsModel.Id, DatasetId: &ds.Id, State: &state,
		})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return res.JSON200.Id
	}
	a1 := post(a, "a1", client.DataSourceStateActive)
	a2 := post(a, "a2", client.DataSourceStateDraft)
	c1 := post(c, "c1", client.DataSourceStateActive)
	a3 := post(a, "a3", client.DataSourceStateDisabled)
	a4 := post(a, "a4", client.DataSourceStateActive)
	c2 := post(c, "c2", client.DataSourceStateActive)
	a5 := post(a, "a5", client.DataSourceStateActive)
	gone := post(a, "gone", client.DataSourceStateActive)
	del, err := b.admin.DeleteDataSourceWithResponse(b.ctx, gone, client.DeleteByNameRequest{Name: "gone"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, del.StatusCode(), string(del.Body))

	list := func(p *client.GetDataSourcesParams) *client.DataSourceList {
		res, err := b.admin.GetDataSourcesWithResponse(b.ctx, p)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return res.JSON200
	}
	// Newest first by default; active, disabled and draft, not deleted.
	def := list(&client.GetDataSourcesParams{DatasetId: &a.Id})
	require.Equal(t, []int{a5, a4, a3, a2, a1}, dataSourceIDs(def.Results))
	require.ElementsMatch(t, []any{"active", "disabled", "draft"}, def.Filters["states"])
	require.EqualValues(t, a.Id, def.Filters["dataset_id"])
	require.Equal(t, "Data Sources", def.Title)
	require.Nil(t, def.Next)
	require.Nil(t, def.Previous)
	for _, d := range def.Results {
		require.Equal(t, "list-a", *d.DatasetName)
	}
	ofC := list(&client.GetDataSourcesParams{DatasetId: &c.Id, Reverse: ptr(false)})
	require.Equal(t, []int{c1, c2}, dataSourceIDs(ofC.Results))

	drafts := list(&client.GetDataSourcesParams{DatasetId: &a.Id, States: &[]string{"draft", "disabled"}})
	require.Equal(t, []int{a3, a2}, dataSourceIDs(drafts.Results))
	require.ElementsMatch(t, []any{"draft", "disabled"}, drafts.Filters["states"])
	deleted := list(&client.GetDataSourcesParams{DatasetId: &a.Id, States: &[]string{"deleted"}})
	require.Equal(t, []int{gone}, dataSourceIDs(deleted.Results))
	every := list(&client.GetDataSourcesParams{DatasetId: &a.Id, States: &[]string{"active", "disabled", "draft", "deleted"}})
	require.Equal(t, []int{gone, a5, a4, a3, a2, a1}, dataSourceIDs(every.Results))
	none := list(&client.GetDataSourcesParams{DatasetId: ptr(999999)})
	require.Empty(t, none.Results)

	// Walk the pages both ways with the cursors: no gaps, no repeats, and
	// the other dataset's sources (ids in between) never show.
	walk := func(limit int, reverse bool, states *[]string) []int {
		var seen []int
		params := &client.GetDataSourcesParams{DatasetId: &a.Id, Limit: &limit, Reverse: &reverse, States: states}
		for range 10 {
			page := list(params)
			require.LessOrEqual(t, len(page.Results), limit)
			seen = append(seen, dataSourceIDs(page.Results)...)
			if page.Next == nil {
				return seen
			}
			params = &client.GetDataSourcesParams{DatasetId: &a.Id, Limit: &limit, Reverse: &reverse, States: states}
			if reverse {
				params.End = &page.Next.End
			} else {
				params.Start = &page.Next.Start
			}
		}
		t.Fatalf("the walk did not end: %v", seen)
		return nil
	}
	require.Equal(t, []int{a5, a4, a3, a2, a1}, walk(2, true, nil))
	require.Equal(t, []int{a1, a2, a3, a4, a5}, walk(2, false, nil))
	require.Equal(t, []int{a1, a4, a5}, walk(1, false, &[]string{"active"}))
	require.Equal(t, []int{a5, a4, a1}, walk(2, true, &[]string{"active"}))

	// A page in the middle points both ways.
	mid := list(&client.GetDataSourcesParams{DatasetId: &a.Id, Limit: ptr(2), Reverse: ptr(false), Start: &a2})
	require.Equal(t, []int{a2, a3}, dataSourceIDs(mid.Results))
	require.NotNil(t, mid.Previous)
	require.Equal(t, a1, mid.Previous.Start)
	require.NotNil(t, mid.Next)
	require.Equal(t, a4, mid.Next.Start)

	bad, err := b.admin.GetDataSourcesWithResponse(b.ctx, &client.GetDataSourcesParams{Start: &a1, End: &a5})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, bad.StatusCode(), string(bad.Body))
}

func testDataSourceBadInput(t *testing.T, b *bundle) {
	ds := b.dataset("bad-orders")
	other := b.dataset("bad-refunds")
	base := func(extra string) string {
		return fmt.Sprintf(`{"name":"feed","dataset_id":%d,"settings_model_id":%d%s}`, ds.Id, ds.SettingsModel.Id, extra)
	}
	cases := []struct {
		name   string
		body   string
		fields []string
	}{
		{"missing required", `{"schedule":""}`, []string{"name", "settings_model_id"}},
		{"bad schedule", base(`,"schedule":"every monday"`), []string{"schedule"}},
		{"seven-field schedule", base(`,"schedule":"0 0 0 * * * *"`), []string{"schedule"}},
		{"sftp port too big", base(`,"sftp_port":70000`), []string{"sftp_port"}},
		{"sftp port zero", base(`,"sftp_port":0`), []string{"sftp_port"}},
		{"sftp port not a number", base(`,"sftp_port":"twenty-two"`), []string{"sftp_port"}},
		{"unknown type", base(`,"data_source_type":"ftp"`), []string{"data_source_type"}},
		{"unknown state", base(`,"state":"archived"`), []string{"state"}},
		{"deleted state", base(`,"state":"deleted"`), []string{"state"}},
		{"unknown xls mode", base(`,"xls_date_mode_override":"mode_9"`), []string{"xls_date_mode_override"}},
		{"active s3 without bucket", base(`,"data_source_type":"s3"`), []string{"s3_bucket"}},
		{"active sftp without host", base(`,"data_source_type":"sftp"`), []string{"sftp_host", "sftp_user", "sftp_password"}},
		{"two-character delimiter", base(`,"csv_delimiter":";;"`), []string{"csv_delimiter"}},
		{"bad glob", base(`,"pattern":"[a-"`), []string{"pattern"}},
		{"bad endpoint", base(`,"s3_endpoint_url":"minio:9000"`), []string{"s3_endpoint_url"}},
		{"not a private key", base(`,"gpg_private_key":"hello"`), []string{"gpg_private_key"}},
		{"settings model of another dataset", fmt.Sprintf(`{"name":"feed","dataset_id":%d,"settings_model_id":%d}`, ds.Id, other.SettingsModel.Id), []string{"settings_model_id"}},
		{"unknown dataset", fmt.Sprintf(`{"name":"feed","dataset_id":999999,"settings_model_id":%d}`, ds.SettingsModel.Id), []string{"dataset_id"}},
		{"unknown settings model", `{"name":"feed","settings_model_id":999999}`, []string{"settings_model_id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := b.admin.PostDataSourceModelWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(tc.body))
			require.NoError(t, err)
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
			requireIssues(t, res.Body, tc.fields...)
		})
	}
	// A draft may be saved incomplete.
	draft, err := b.admin.PostDataSourceModelWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(base(`,"data_source_type":"s3","state":"draft"`)))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, draft.StatusCode(), string(draft.Body))
	none, err := b.admin.GetDataSourcesWithResponse(b.ctx, &client.GetDataSourcesParams{DatasetId: &ds.Id})
	require.NoError(t, err)
	require.Len(t, none.JSON200.Results, 1, "rejected sources are not stored")

	// A PATCH that fails validation changes nothing.
	id := draft.JSON200.Id
	for _, body := range []string{
		fmt.Sprintf(`{"id":%d,"version_id":1,"schedule":"sometimes"}`, id),
		fmt.Sprintf(`{"id":%d,"version_id":1,"state":"active"}`, id),
		fmt.Sprintf(`{"id":%d,"version_id":1,"sftp_port":-1}`, id),
	} {
		res, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, id, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), "%s: %s", body, res.Body)
	}
	bad, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, id, "application/json", strings.NewReader(fmt.Sprintf(`{"id":%d,"version_id":1,"schedule":"sometimes"}`, id)))
	require.NoError(t, err)
	requireIssues(t, bad.Body, "schedule")
	got, err := b.store.GetDataSource(b.ctx, int64(id))
	require.NoError(t, err)
	require.EqualValues(t, 1, got.VersionID)
	require.Equal(t, qluster.DataSourceStateDraft, got.State)
	require.Empty(t, got.Schedule)
}

func testDataSourceSecrets(t *testing.T, b *bundle) {
	ds := b.dataset("secret-orders")
	plain := map[string]string{
		"s3_secret_key":        "s3-plain-secret",
		"gpg_passphrase":       "gpg-plain-passphrase",
		"sftp_password":        "sftp-plain-password",
		"file_password":        "zip-plain-password",
		"dropbox_access_token": "dropbox-plain-token",
	}
	body := map[string]any{
		"name": "vault", "dataset_id": ds.Id, "settings_model_id": ds.SettingsModel.Id,
		"data_source_type": "s3", "s3_bucket": "raw-files", "s3_access_key": "AKIAEXAMPLE",
	}
	var fields, values []string
	for k, v := range plain {
		body[k] = v
		fields = append(fields, k)
		values = append(values, v)
	}
	created, err := b.admin.PostDataSourceModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(body))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, created.StatusCode(), string(created.Body))
	for _, v := range values {
		require.NotContains(t, string(created.Body), v, "a secret left the server")
	}
	src := created.JSON200
	require.Equal(t, qluster.Obfuscated, *src.S3SecretKey)
	require.Equal(t, qluster.Obfuscated, *src.GpgPassphrase)
	require.Equal(t, qluster.Obfuscated, *src.SftpPassword)
	require.Equal(t, qluster.Obfuscated, *src.FilePassword)
	require.Equal(t, qluster.Obfuscated, *src.DropboxAccessToken)
	require.Equal(t, "AKIAEXAMPLE", *src.S3AccessKey, "an access key id is not a secret")
	require.Empty(t, *src.SftpSshKey, "an unset secret reads empty, not obfuscated")

	// At rest: sealed, never the plaintext.
	b.requireSealed("data_source_models", src.Id, fields, values...)

	// Every read obfuscates.
	got, err := b.admin.GetDataSourceWithResponse(b.ctx, src.Id)
	require.NoError(t, err)
	require.Equal(t, qluster.Obfuscated, *got.JSON200.S3SecretKey)
	list, err := b.admin.GetDataSourcesWithResponse(b.ctx, &client.GetDataSourcesParams{DatasetId: &ds.Id})
	require.NoError(t, err)
	require.Equal(t, qluster.Obfuscated, *list.JSON200.Results[0].S3SecretKey)
	cp, err := b.admin.GetDataSourceCopyForDatasetWithResponse(b.ctx, ds.Id, src.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, cp.StatusCode(), string(cp.Body))
	require.Equal(t, qluster.Obfuscated, *cp.JSON200.S3SecretKey)
	for _, res := range [][]byte{got.Body, list.Body, cp.Body} {
		for _, v := range values {
			require.NotContains(t, string(res), v)
		}
	}

	// Sending back what was read keeps the secrets.
	read := map[string]any{}
	require.NoError(t, json.Unmarshal(got.Body, &read))
	read["name"] = "vault-2"
	p, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json", jsonReader(read))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	require.Equal(t, "vault-2", *p.JSON200.Name)
	require.Equal(t, qluster.Obfuscated, *p.JSON200.S3SecretKey)
	stored, err := b.store.GetDataSource(b.ctx, int64(src.Id))
	require.NoError(t, err)
	require.Equal(t, plain["s3_secret_key"], stored.S3SecretKey)
	require.Equal(t, plain["gpg_passphrase"], stored.GPGPassphrase)
	require.Equal(t, plain["sftp_password"], stored.SFTPPassword)
	require.Equal(t, plain["file_password"], stored.FilePassword)
	require.Equal(t, plain["dropbox_access_token"], stored.DropboxAccessToken)
	b.requireSealed("data_source_models", src.Id, fields, values...)

	// A new value replaces the secret; an empty one clears it.
	p, err = b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json", jsonReader(map[string]any{
		"id": src.Id, "version_id": 2, "s3_secret_key": "s3-rotated-secret", "file_password": "",
	}))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	require.Equal(t, qluster.Obfuscated, *p.JSON200.S3SecretKey)
	require.Empty(t, *p.JSON200.FilePassword)
	stored, err = b.store.GetDataSource(b.ctx, int64(src.Id))
	require.NoError(t, err)
	require.Equal(t, "s3-rotated-secret", stored.S3SecretKey)
	require.Empty(t, stored.FilePassword)
	require.Equal(t, plain["sftp_password"], stored.SFTPPassword)
	require.NotContains(t, b.rawDoc("data_source_models", src.Id), "s3-rotated-secret")

	// History shows neither the plaintexts nor the sealed values.
	h, err := b.admin.GetDataSourceHistoryWithResponse(b.ctx, src.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, h.StatusCode(), string(h.Body))
	require.Len(t, *h.JSON200, 3)
	require.NotContains(t, string(h.Body), secrets.Prefix)
	for _, v := range append(values, "s3-rotated-secret") {
		require.NotContains(t, string(h.Body), v)
	}
	require.Equal(t, qluster.Obfuscated, (*(*h.JSON200)[0].After)["s3_secret_key"])

	// A copy posted with the obfuscated secrets takes them from the original.
	pc, err := b.admin.PostCopyDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json", jsonReader(map[string]any{
		"name": "vault-copy", "settings_model_id": ds.SettingsModel.Id, "s3_secret_key": qluster.Obfuscated,
	}))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, pc.StatusCode(), string(pc.Body))
	require.Equal(t, qluster.Obfuscated, *pc.JSON200.S3SecretKey)
	copied, err := b.store.GetDataSource(b.ctx, int64(pc.JSON200.Id))
	require.NoError(t, err)
	require.Equal(t, "s3-rotated-secret", copied.S3SecretKey)
	require.Equal(t, plain["dropbox_access_token"], copied.DropboxAccessToken)
	b.requireSealed("data_source_models", pc.JSON200.Id, []string{"s3_secret_key", "dropbox_access_token"}, "s3-rotated-secret", plain["dropbox_access_token"])
}
