package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/openqluster/qluster-go/api"
	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
)

// Files of the resolve tests: a dataset trains on trainCSV (id smallint,
// day a date written %d/%m/%Y, paid boolean, note text), then a second
// file has one good row and one row that raises the alert under test.
const (
	trainCSV    = "id,day,paid,note\n1,01/02/2024,yes,a\n2,02/02/2024,no,b\n3,15/02/2024,yes,c\n"
	nullBadCSV  = "id,day,paid,note\n4,03/02/2024,yes,ok\n5,TBD,no,later\n"
	isoBadCSV   = "id,day,paid,note\n4,03/02/2024,yes,ok\n5,2024-02-20,no,iso\n"
	trueBadCSV  = "id,day,paid,note\n4,03/02/2024,yes,ok\n5,04/02/2024,oui,french\n"
	falseBadCSV = "id,day,paid,note\n4,03/02/2024,yes,ok\n5,04/02/2024,non,french\n"
)

// scene is a dataset whose second file raised an alert.
type scene struct {
	ds    *client.Dataset
	src   *client.DataSource
	item  *client.StoredItem // the file that raised the alert
	job   client.IngestionJob
	alert client.Alert
}

// scene makes a dataset, trains it on train, loads bad and returns the one
// unresolved alert of type typ the file raised.
func (b *bundle) scene(name, train, bad string, typ client.AlertType) *scene {
	b.t.Helper()
	s := b.trainScene(name, train, client.ApplyAsap)
	b.raise(s, bad, typ)
	return s
}

// trainScene makes a dataset with policy and trains it on train; with
// apply_asap it waits for the training file to load.
func (b *bundle) trainScene(name, train string, policy client.MigrationPolicy) *scene {
	b.t.Helper()
	ds, src := b.trainedDataset(name, policy)
	b.upload(b.admin, src.Id, name+"-train.csv", train)
	job := b.trainingDone(ds.Id)
	require.Equal(b.t, client.TrainingJobStateFinished, *job.State, *job.Msg)
	if policy == client.ApplyAsap {
		b.ingested(ds.Id, 1)
	}
	return &scene{ds: ds, src: src}
}

// raise loads bad into a trained scene and finds the alert of type typ it raised.
func (b *bundle) raise(s *scene, bad string, typ client.AlertType) {
	b.t.Helper()
	s.item = b.upload(b.admin, s.src.Id, fmt.Sprintf("bad-%d%s", s.ds.Id, extOf(bad)), bad)
	s.job = b.fileJob(s.ds.Id, s.item.Id, 2)
	open := b.openAlerts(s.ds.Id)
	for _, a := range open {
		if *a.AlertType == typ {
			s.alert = a
		}
	}
	require.NotZero(b.t, s.alert.Id, "no %s alert among %s", typ, alertSummary(open))
}

func extOf(content string) string {
	if strings.HasPrefix(content, "PK") {
		return ".xlsx"
	}
	return ".csv"
}

func alertSummary(as []client.Alert) string {
	var s []string
	for _, a := range as {
		s = append(s, fmt.Sprintf("%d %s %s %q", a.Id, *a.AlertType, valueOf(a.FieldName), valueOf(a.Msg)))
	}
	return strings.Join(s, "; ")
}

func valueOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// jobOf waits until the dataset has want ingestion jobs, all ended, and
// returns the one of stored item itemID.
func (b *bundle) fileJob(datasetID, itemID, want int) client.IngestionJob {
	b.t.Helper()
	for _, j := range b.ingested(datasetID, want) {
		if *j.StoredItemId == itemID {
			return j
		}
	}
	b.t.Fatalf("stored item %d has no ingestion job", itemID)
	return client.IngestionJob{}
}

// rerun waits until ingestion job id has run tries times and ended.
func (b *bundle) waitTries(id, tries int) client.IngestionJob {
	b.t.Helper()
	var j client.IngestionJob
	b.eventually(fmt.Sprintf("ingestion job %d to run %d times", id, tries), func() bool {
		res, err := b.admin.GetIngestionJobWithResponse(b.ctx, id)
		require.NoError(b.t, err)
		j = *res.JSON200
		switch *j.State {
		case client.IngestionJobStateCreated, client.IngestionJobStateRunning, client.IngestionJobStateRequeued:
			return false
		}
		return *j.TryCount >= tries
	})
	return j
}

// unresolved lists a dataset's unresolved alerts, muted or not.
func (b *bundle) openAlerts(datasetID int) []client.Alert {
	b.t.Helper()
	var out []client.Alert
	for _, muted := range []bool{false, true} {
		res, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DatasetId: &datasetID, IsMuted: &muted, Limit: ptr(100)})
		require.NoError(b.t, err)
		require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
		out = append(out, res.JSON200.Results...)
	}
	return out
}

// alert reads one alert.
func (b *bundle) getAlert(id int) client.Alert {
	b.t.Helper()
	res, err := b.admin.GetAlertWithResponse(b.ctx, id)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return *res.JSON200
}

// resolveAs resolves an alert with req as c.
func (b *bundle) resolveWith(c *client.ClientWithResponses, alertID int, req client.ResolveAlertRequest) *client.ResolveAlertResponse {
	b.t.Helper()
	res, err := c.ResolveAlertWithResponse(b.ctx, alertID, req)
	require.NoError(b.t, err)
	return res
}

// counts are the rows of a dataset's table and quarantine.
func (b *bundle) rowCounts(datasetID int) (table, quarantine int) {
	b.t.Helper()
	return *b.data(datasetID, client.GetDataParams{}).TotalRows, *b.data(datasetID, client.GetDataParams{IsBadData: ptr(true)}).TotalRows
}

// lastSettingsChange is the newest history row of a dataset's settings model.
func (b *bundle) lastSettingsChange(datasetID int) client.HistoryRecord {
	b.t.Helper()
	res, err := b.admin.GetDatasetHistoryWithResponse(b.ctx, datasetID)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	h := res.JSON200.SettingsModelHistory
	require.NotEmpty(b.t, h)
	return h[len(h)-1]
}

// lastDatasetChange is the newest history row of a dataset itself.
func (b *bundle) lastDatasetChange(datasetID int) client.HistoryRecord {
	b.t.Helper()
	res, err := b.admin.GetDatasetHistoryWithResponse(b.ctx, datasetID)
	require.NoError(b.t, err)
	h := res.JSON200.DatasetHistory
	require.NotEmpty(b.t, h)
	return h[len(h)-1]
}

// lastSourceChange is the newest history row of a data source.
func (b *bundle) lastSourceChange(sourceID int) client.HistoryRecord {
	b.t.Helper()
	res, err := b.admin.GetDataSourceHistoryWithResponse(b.ctx, sourceID)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	h := *res.JSON200
	require.NotEmpty(b.t, h)
	return h[len(h)-1]
}

// requireResolvedBy checks an alert is resolved, when and by whom.
func (b *bundle) requireResolvedBy(alertID int, user string) {
	b.t.Helper()
	a := b.getAlert(alertID)
	require.True(b.t, *a.Resolved, "alert %d is not resolved", alertID)
	require.NotNil(b.t, a.ResolvedAt)
	require.NotNil(b.t, a.WhodunitId)
	require.Equal(b.t, user, a.WhodunitId.String())
}

// settingsCase is a resolve action that changes settings: check sees the
// dataset and its data source after it.
type settingsCase struct {
	action client.AlertAction
	bad    string
	alert  client.AlertType
	req    client.ResolveAlertRequest
	// source says the change is the data source's (else the settings model's).
	source bool
	// datasetToo says the dataset itself changed too.
	datasetToo bool
	check      func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource)
	// table and quarantine are the rows after the files load again.
	table, quarantine int
}

func nullValuesHave(v string) func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource) {
	return func(t *testing.T, ds *qluster.Dataset, _ *qluster.DataSource) {
		require.Contains(t, ds.SettingsModel.NullValues, v)
	}
}

// settingsCases are the actions that change the settings model or a data
// source's overrides, each from a file with one good row and one it frees.
var settingsCases = []settingsCase{
	{action: client.SetValueToNull, bad: nullBadCSV, alert: client.AlertTypeDateCasting, check: nullValuesHave("TBD"), table: 5},
	{action: client.SetValueToNullForField, bad: nullBadCSV, alert: client.AlertTypeDateCasting, table: 5,
		check: func(t *testing.T, ds *qluster.Dataset, _ *qluster.DataSource) {
			require.Equal(t, []string{"TBD"}, ds.SettingsModel.NullValuesPerColumn["day"])
			require.NotContains(t, ds.SettingsModel.NullValues, "TBD")
		}},
	{action: client.SetValueToNullForSource, bad: nullBadCSV, alert: client.AlertTypeDateCasting, source: true, table: 5,
		check: func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource) {
			require.Contains(t, src.NullValuesOverride, "TBD")
			require.Contains(t, src.NullValuesOverride, "N/A", "the override starts from the dataset's values")
			require.NotContains(t, ds.SettingsModel.NullValues, "TBD")
		}},
	{action: client.SetValueToNullForFieldForSource, bad: nullBadCSV, alert: client.AlertTypeDateCasting, source: true, table: 5,
		check: func(t *testing.T, _ *qluster.Dataset, src *qluster.DataSource) {
			require.Equal(t, []string{"TBD"}, src.NullValuesPerColumnOverride["day"])
		}},

	// Boolean words: the settings model has no words per column, so a word
	// for a field joins the dataset's (or the source's) words.
	{action: client.SetValueToTrue, bad: trueBadCSV, alert: client.AlertTypeBooleanCasting, table: 5, check: trueWordsHave("oui", false)},
	{action: client.SetValueToTrueForField, bad: trueBadCSV, alert: client.AlertTypeBooleanCasting, table: 5, check: trueWordsHave("oui", false)},
	{action: client.SetValueToTrueForSource, bad: trueBadCSV, alert: client.AlertTypeBooleanCasting, source: true, table: 5, check: trueWordsHave("oui", true)},
	{action: client.SetValueToTrueForFieldForSource, bad: trueBadCSV, alert: client.AlertTypeBooleanCasting, source: true, table: 5, check: trueWordsHave("oui", true)},
	{action: client.SetValueToFalse, bad: falseBadCSV, alert: client.AlertTypeBooleanCasting, table: 5, check: falseWordsHave("non", false)},
	{action: client.SetValueToFalseForField, bad: falseBadCSV, alert: client.AlertTypeBooleanCasting, table: 5, check: falseWordsHave("non", false)},
	{action: client.SetValueToFalseForSource, bad: falseBadCSV, alert: client.AlertTypeBooleanCasting, source: true, table: 5, check: falseWordsHave("non", true)},
	{action: client.SetValueToFalseForFieldForSource, bad: falseBadCSV, alert: client.AlertTypeBooleanCasting, source: true, table: 5, check: falseWordsHave("non", true)},

	// Datetime formats: the sent one (checked), or the inferred one.
	{action: client.DefineDatetimeFormat, bad: isoBadCSV, alert: client.AlertTypeDateCasting, req: withFormat("%Y-%m-%d"), table: 5,
		check: func(t *testing.T, ds *qluster.Dataset, _ *qluster.DataSource) {
			require.Equal(t, []string{"%Y-%m-%d"}, ds.SettingsModel.DatetimeFormats)
		}},
	{action: client.DefineDatetimeFormatForField, bad: isoBadCSV, alert: client.AlertTypeDateCasting, req: withFormat("%Y-%m-%d"), table: 5, check: dayFormats(false, false)},
	{action: client.DefineDatetimeFormatForSource, bad: isoBadCSV, alert: client.AlertTypeDateCasting, req: withFormat("%Y-%m-%d"), source: true, table: 5,
		check: func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource) {
			require.Equal(t, []string{"%Y-%m-%d"}, src.DatetimeFormatsOverride)
			require.Empty(t, ds.SettingsModel.DatetimeFormats)
		}},
	{action: client.DefineDatetimeFormatForFieldForSource, bad: isoBadCSV, alert: client.AlertTypeDateCasting, req: withFormat("%Y-%m-%d"), source: true, table: 5, check: dayFormats(true, false)},
	{action: client.InferDatetimeFormatForField, bad: isoBadCSV, alert: client.AlertTypeDateCasting, table: 5, check: dayFormats(false, false)},
	{action: client.InferDatetimeFormatForFieldForSource, bad: isoBadCSV, alert: client.AlertTypeDateCasting, source: true, table: 5, check: dayFormats(true, false)},
	{action: client.AllowMultiDatetimeFormats, bad: isoBadCSV, alert: client.AlertTypeDateCasting, datasetToo: true, table: 5,
		check: func(t *testing.T, ds *qluster.Dataset, _ *qluster.DataSource) {
			require.False(t, ds.StrictlyOneDatetimeFormatInAColumn)
			require.Equal(t, []string{"%Y-%m-%d"}, ds.SettingsModel.DatetimeFormats, "inferred from the values")
		}},
	{action: client.AllowMultiFormatsNDefineDatetimeFormat, bad: isoBadCSV, alert: client.AlertTypeDateCasting, req: withFormat("%Y-%m-%d"), datasetToo: true, table: 5,
		check: func(t *testing.T, ds *qluster.Dataset, _ *qluster.DataSource) {
			require.False(t, ds.StrictlyOneDatetimeFormatInAColumn)
			require.Equal(t, []string{"%Y-%m-%d"}, ds.SettingsModel.DatetimeFormats)
		}},
	{action: client.AllowMultiFormatsNDefineDatetimeFormatForField, bad: isoBadCSV, alert: client.AlertTypeDateCasting, req: withFormat("%Y-%m-%d"), datasetToo: true, table: 5, check: dayFormats(false, true)},
	{action: client.AllowMultiFormatsNDefineDatetimeFormatForSource, bad: isoBadCSV, alert: client.AlertTypeDateCasting, req: withFormat("%Y-%m-%d"), source: true, datasetToo: true, table: 5,
		check: func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource) {
			require.False(t, ds.StrictlyOneDatetimeFormatInAColumn)
			require.Equal(t, []string{"%Y-%m-%d"}, src.DatetimeFormatsOverride)
		}},
	{action: client.AllowMultiFormatsNDefineDatetimeFormatForFieldForSource, bad: isoBadCSV, alert: client.AlertTypeDateCasting, req: withFormat("%Y-%m-%d"), source: true, datasetToo: true, table: 5, check: dayFormats(true, true)},
}

func withFormat(f string) client.ResolveAlertRequest {
	return client.ResolveAlertRequest{NewDatetimeFormat: &f}
}

func trueWordsHave(w string, source bool) func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource) {
	return func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource) {
		if source {
			require.Contains(t, src.BooleanTrueOverride, w)
			require.Contains(t, src.BooleanTrueOverride, "yes", "the override starts from the dataset's words")
			require.NotContains(t, ds.SettingsModel.BooleanTrue, w)
			return
		}
		require.Contains(t, ds.SettingsModel.BooleanTrue, w)
		require.Contains(t, ds.SettingsModel.BooleanTrue, "yes")
	}
}

func falseWordsHave(w string, source bool) func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource) {
	return func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource) {
		if source {
			require.Contains(t, src.BooleanFalseOverride, w)
			require.NotContains(t, ds.SettingsModel.BooleanFalse, w)
			return
		}
		require.Contains(t, ds.SettingsModel.BooleanFalse, w)
		require.Contains(t, ds.SettingsModel.BooleanFalse, "no")
	}
}

// dayFormats checks the day column's formats at the field's scope: the
// column's own first, then the new one.
func dayFormats(source, multi bool) func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource) {
	return func(t *testing.T, ds *qluster.Dataset, src *qluster.DataSource) {
		want := []string{"%d/%m/%Y", "%Y-%m-%d"}
		if source {
			require.Equal(t, want, src.DatetimeFormatsPerColumnOverride["day"])
			require.Empty(t, ds.SettingsModel.DatetimeFormatsPerColumn["day"])
		} else {
			require.Equal(t, want, ds.SettingsModel.DatetimeFormatsPerColumn["day"])
		}
		require.Equal(t, !multi, ds.StrictlyOneDatetimeFormatInAColumn)
	}
}

// TestResolveSettingsActions: each action that changes settings, from a
// file that raises its alert to the freed rows in the table.
func TestResolveSettingsActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.adminUserID().String()
	for i, c := range settingsCases {
		t.Run(string(c.action), func(t *testing.T) {
			t.Parallel()
			b := b.as(t)
			s := b.scene(fmt.Sprintf("set%d", i), trainCSV, c.bad, c.alert)
			table, quarantine := b.rowCounts(s.ds.Id)
			require.Equal(t, 4, table)
			require.Equal(t, 1, quarantine)
			req := c.req
			req.Action = &c.action
			res := b.resolveWith(b.admin, s.alert.Id, req)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			b.waitTries(s.job.Id, 2)

			ds, err := b.store.GetDataset(b.ctx, int64(s.ds.Id))
			require.NoError(t, err)
			src, err := b.store.GetDataSource(b.ctx, int64(s.src.Id))
			require.NoError(t, err)
			c.check(t, ds, src)
			if c.source {
				require.Equal(t, "/api/data-sources/"+strconv.Itoa(s.src.Id), *res.JSON200.RedirectPostSubmitTo)
				require.Equal(t, admin, b.lastSourceChange(s.src.Id).WhodunitId.String())
				require.Equal(t, *s.src.VersionId+1, int(src.VersionID))
			} else {
				require.Equal(t, "/api/datasets/"+strconv.Itoa(s.ds.Id), *res.JSON200.RedirectPostSubmitTo)
				h := b.lastSettingsChange(s.ds.Id)
				require.Equal(t, admin, h.WhodunitId.String())
				require.Equal(t, s.ds.SettingsModel.VersionId+1, int(ds.SettingsModel.VersionID))
			}
			if c.datasetToo {
				require.Equal(t, admin, b.lastDatasetChange(s.ds.Id).WhodunitId.String())
			}
			b.requireResolvedBy(s.alert.Id, admin)
			require.Empty(t, b.openAlerts(s.ds.Id), "no alert is left")
			table, quarantine = b.rowCounts(s.ds.Id)
			require.Equal(t, c.table, table)
			require.Equal(t, c.quarantine, quarantine)
			it, err := b.admin.GetStoredItemWithResponse(b.ctx, s.item.Id)
			require.NoError(t, err)
			require.Equal(t, c.table-3, *it.JSON200.SuccessfulRowsCount)
			require.Equal(t, c.quarantine, *it.JSON200.BadRowsCount)
			d, err := b.admin.GetDatasetWithResponse(b.ctx, s.ds.Id)
			require.NoError(t, err)
			require.Equal(t, c.table, *d.JSON200.SuccessfulRowsCount)
			require.Equal(t, c.quarantine, *d.JSON200.BadRowsCount)
		})
	}
}

// fileCase is a resolve action on a file or its rows.
type fileCase struct {
	action client.AlertAction
	bad    string
	alert  client.AlertType
	req    client.ResolveAlertRequest
	// as resolves as this user type (superuser when empty).
	as client.UserType
	// status is the answer (200 when 0); the alert stays unresolved otherwise.
	status int
	// redirect is the answer's target; {ds}, {src} and {item} are replaced.
	redirect string
	// unresolved says the alert stays unresolved; rerun that the file loads again.
	unresolved, rerun bool
	check             func(b *bundle, s *scene)
	table, quarantine int
}

const (
	extraFieldCSV  = "id,day,paid,note,extra\n4,03/02/2024,yes,x,zzz\n"
	remarkFieldCSV = "id,day,paid,remark\n4,03/02/2024,yes,hello\n"
)

var fileCases = []fileCase{
	{action: client.IgnoreRow, bad: nullBadCSV, alert: client.AlertTypeDateCasting, redirect: "/api/datasets/{ds}/data?is_bad_data=true", rerun: true, table: 4,
		check: func(b *bundle, s *scene) { b.requireIgnoredRow(s, false) }},
	{action: client.IgnoreRowForFile, bad: nullBadCSV, alert: client.AlertTypeDateCasting, redirect: "/api/datasets/{ds}/data?is_bad_data=true", rerun: true, table: 4,
		check: func(b *bundle, s *scene) { b.requireIgnoredRow(s, true) }},
	{action: client.IgnoreFile, bad: nullBadCSV, alert: client.AlertTypeDateCasting, redirect: "/api/stored-items/{item}", table: 3,
		check: func(b *bundle, s *scene) { b.requireIgnoredFile(s) }},
	{action: client.IgnoreAlertAssociatedFiles, bad: nullBadCSV, alert: client.AlertTypeDateCasting, redirect: "/api/stored-items/{item}", table: 3,
		check: func(b *bundle, s *scene) { b.requireIgnoredFile(s) }},
	{action: client.Hide, bad: nullBadCSV, alert: client.AlertTypeDateCasting, redirect: "/api/datasets/{ds}", table: 4, quarantine: 1},
	// Loading the file again as it is quarantines the row again, under a new alert.
	{action: client.TryAgain, bad: nullBadCSV, alert: client.AlertTypeDateCasting, redirect: "/api/stored-items/{item}", rerun: true, table: 4, quarantine: 1,
		check: func(b *bundle, s *scene) { b.requireAlertAgain(s) }},
	{action: client.ReprocessFile, bad: nullBadCSV, alert: client.AlertTypeDateCasting, redirect: "/api/stored-items/{item}", rerun: true, table: 4, quarantine: 1,
		check: func(b *bundle, s *scene) { b.requireAlertAgain(s) }},
	// There is no operation serving a file's bytes: the link is the stored item.
	{action: client.DownloadFile, bad: nullBadCSV, alert: client.AlertTypeDateCasting, redirect: "/api/stored-items/{item}/download", unresolved: true, table: 4, quarantine: 1},
	{action: client.NotADatetimeField, bad: isoBadCSV, alert: client.AlertTypeDateCasting, rerun: true, table: 5,
		check: func(b *bundle, s *scene) {
			require.Equal(b.t, "text", b.destColumns("sales", tableOf(s))["day"])
			page := b.data(s.ds.Id, client.GetDataParams{OrderBy: &[]string{"id"}})
			require.Equal(b.t, "2024-02-01", (*page.Results)[0].(map[string]any)["day"], "rows loaded as dates keep their value as text")
			require.Equal(b.t, "2024-02-20", (*page.Results)[4].(map[string]any)["day"])
		}},
	{action: client.PutFileForLearning, bad: extraFieldCSV, alert: client.AlertTypeUnexpectedFieldName, redirect: "/api/training-jobs/", rerun: true, table: 4,
		check: func(b *bundle, s *scene) {
			require.Equal(b.t, "text", b.destColumns("sales", tableOf(s))["extra"])
		}},
	// new_fields_actions: rename to a column, ignore, add (superusers only).
	{action: client.OverrideModel, bad: remarkFieldCSV, alert: client.AlertTypeUnexpectedFieldName, redirect: "/api/stored-items/{item}", rerun: true, table: 4,
		req: client.ResolveAlertRequest{NewFieldsActions: &map[string]string{"action__remark": "rename", "new__remark": "note", "scope__remark": "dataset"}},
		check: func(b *bundle, s *scene) {
			ds, err := b.store.GetDataset(b.ctx, int64(s.ds.Id))
			require.NoError(b.t, err)
			require.Equal(b.t, "note", ds.SettingsModel.FieldNameFullConversion["remark"])
			require.Equal(b.t, b.adminUserID().String(), b.lastSettingsChange(s.ds.Id).WhodunitId.String())
			page := b.data(s.ds.Id, client.GetDataParams{StoredItemId: &s.item.Id})
			require.Equal(b.t, "hello", (*page.Results)[0].(map[string]any)["note"])
		}},
	{action: client.OverrideModel, bad: extraFieldCSV, alert: client.AlertTypeUnexpectedFieldName, redirect: "/api/stored-items/{item}", rerun: true, table: 4,
		req: client.ResolveAlertRequest{NewFieldsActions: &map[string]string{"action__extra": "ignore", "scope__extra": "source"}},
		check: func(b *bundle, s *scene) {
			src, err := b.store.GetDataSource(b.ctx, int64(s.src.Id))
			require.NoError(b.t, err)
			require.Contains(b.t, src.IgnoreColumnNamesOverride, "extra")
			require.Equal(b.t, b.adminUserID().String(), b.lastSourceChange(s.src.Id).WhodunitId.String())
			require.NotContains(b.t, b.destColumns("sales", tableOf(s)), "extra")
		}},
	{action: client.OverrideModel, bad: extraFieldCSV, alert: client.AlertTypeUnexpectedFieldName, redirect: "/api/stored-items/{item}", rerun: true, table: 4,
		req: client.ResolveAlertRequest{NewFieldsActions: &map[string]string{"action__extra": "add"}},
		check: func(b *bundle, s *scene) {
			require.Equal(b.t, "text", b.destColumns("sales", tableOf(s))["extra"])
			page := b.data(s.ds.Id, client.GetDataParams{StoredItemId: &s.item.Id})
			require.Equal(b.t, "zzz", (*page.Results)[0].(map[string]any)["extra"])
		}},
	{action: client.OverrideModel, bad: extraFieldCSV, alert: client.AlertTypeUnexpectedFieldName, as: client.Editor, status: http.StatusForbidden, table: 3,
		req: client.ResolveAlertRequest{NewFieldsActions: &map[string]string{"action__extra": "add"}}},
}

func tableOf(s *scene) string { return *s.ds.TableName }

// requireIgnoredRow checks the alert's row is skipped by the file's data
// source (and by the others unless forFile).
func (b *bundle) requireIgnoredRow(s *scene, forFile bool) {
	b.t.Helper()
	sig, _ := (*s.alert.Body)["line_signature"].(string)
	require.NotEmpty(b.t, sig)
	mine, err := b.store.IgnoredSignatures(b.ctx, int64(s.ds.Id), int64(s.src.Id))
	require.NoError(b.t, err)
	require.True(b.t, mine[sig])
	other, err := b.store.IgnoredSignatures(b.ctx, int64(s.ds.Id), int64(s.src.Id)+1000)
	require.NoError(b.t, err)
	require.Equal(b.t, !forFile, other[sig])
	it, err := b.admin.GetStoredItemWithResponse(b.ctx, s.item.Id)
	require.NoError(b.t, err)
	require.Equal(b.t, 1, *it.JSON200.IgnoredRowsCount)
	require.Equal(b.t, 0, *it.JSON200.BadRowsCount)
}

// requireIgnoredFile checks a file is ignored and its rows counted out.
func (b *bundle) requireIgnoredFile(s *scene) {
	b.t.Helper()
	it, err := b.admin.GetStoredItemWithResponse(b.ctx, s.item.Id)
	require.NoError(b.t, err)
	require.True(b.t, *it.JSON200.IgnoreFile)
	require.Equal(b.t, 0, *it.JSON200.SuccessfulRowsCount)
	require.Equal(b.t, 0, *it.JSON200.BadRowsCount)
	d, err := b.admin.GetDatasetWithResponse(b.ctx, s.ds.Id)
	require.NoError(b.t, err)
	require.Equal(b.t, 3, *d.JSON200.SuccessfulRowsCount)
	require.Equal(b.t, 0, *d.JSON200.BadRowsCount)
}

// requireAlertAgain checks the file raised its alert again, as a new one.
func (b *bundle) requireAlertAgain(s *scene) {
	b.t.Helper()
	open := b.openAlerts(s.ds.Id)
	require.Len(b.t, open, 1, alertSummary(open))
	require.NotEqual(b.t, s.alert.Id, open[0].Id)
	require.Equal(b.t, *s.alert.AlertType, *open[0].AlertType)
}

// TestResolveFileActions: each action on a file or its rows, from the file
// that raises the alert to the rows in the table, skipped or quarantined again.
func TestResolveFileActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.adminUserID().String()
	editor, _ := b.user(qluster.UserTypeEditor, "editor@example.com")
	for i, c := range fileCases {
		t.Run(fmt.Sprintf("%s_%d", c.action, i), func(t *testing.T) {
			t.Parallel()
			b := b.as(t)
			s := b.scene(fmt.Sprintf("file%d", i), trainCSV, c.bad, c.alert)
			req := c.req
			req.Action = &c.action
			as := b.admin
			if c.as == client.Editor {
				as = editor
			}
			res := b.resolveWith(as, s.alert.Id, req)
			if c.status != 0 {
				require.Equal(t, c.status, res.StatusCode(), string(res.Body))
				require.False(t, *b.getAlert(s.alert.Id).Resolved)
			} else {
				require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
				to := strings.NewReplacer("{ds}", strconv.Itoa(s.ds.Id), "{src}", strconv.Itoa(s.src.Id), "{item}", strconv.Itoa(s.item.Id)).Replace(c.redirect)
				require.True(t, strings.HasPrefix(*res.JSON200.RedirectPostSubmitTo, to), "%s, not %s", *res.JSON200.RedirectPostSubmitTo, to)
				if c.unresolved {
					require.False(t, *b.getAlert(s.alert.Id).Resolved)
				} else {
					b.requireResolvedBy(s.alert.Id, admin)
				}
			}
			if c.rerun {
				b.waitTries(s.job.Id, 2)
			} else {
				require.Equal(t, 1, *b.waitTries(s.job.Id, 1).TryCount, "the file is not loaded again")
			}
			if c.check != nil {
				c.check(b, s)
			}
			table, quarantine := b.rowCounts(s.ds.Id)
			require.Equal(t, c.table, table)
			require.Equal(t, c.quarantine, quarantine)
		})
	}
}

var migrationCases = []struct {
	action client.AlertAction
	policy client.MigrationPolicy
	alert  client.AlertType
	// state is the draft's after; table the rows then (-1: no table).
	state    client.MigrationState
	table    int
	redirect string
	check    func(b *bundle, s *scene, mig int)
}{
	{action: client.ApplyMigration, policy: client.AskUser, alert: client.AlertTypeNeedsReviewMigration, state: client.MigrationStateCurrent, table: 3, redirect: "/api/migrations/"},
	{action: client.DiscardMigration, policy: client.AskUser, alert: client.AlertTypeNeedsReviewMigration, state: client.MigrationStateDeleted, table: -1, redirect: "/api/migrations/"},
	{action: client.OverrideModel, policy: client.Locked, alert: client.AlertTypeIncompatibleSchema, state: client.MigrationStateCurrent, table: 3, redirect: "/api/migrations/"},
	{action: client.ReviewMigrationAgain, policy: client.Locked, alert: client.AlertTypeIncompatibleSchema, state: client.MigrationStateDraft, table: -1, redirect: "/api/migrations/",
		check: func(b *bundle, s *scene, mig int) {
			open := b.openAlerts(s.ds.Id)
			require.Len(b.t, open, 1, alertSummary(open))
			require.Equal(b.t, client.AlertTypeNeedsReviewMigration, *open[0].AlertType)
			require.Equal(b.t, mig, *open[0].MigrationModelId)
		}},
	{action: client.RerunTraining, policy: client.AskUser, alert: client.AlertTypeNeedsReviewMigration, table: -1, redirect: "/api/training-jobs/"},
}

// TestResolveMigrationActions: each action on a draft migration's alert, from
// training to the table (or none).
func TestResolveMigrationActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.adminUserID().String()
	for i, c := range migrationCases {
		t.Run(string(c.action), func(t *testing.T) {
			t.Parallel()
			b := b.as(t)
			s := b.trainScene(fmt.Sprintf("mig%d", i), trainCSV, c.policy)
			open := b.openAlerts(s.ds.Id)
			require.Len(t, open, 1, alertSummary(open))
			s.alert = open[0]
			require.Equal(t, c.alert, *s.alert.AlertType)
			mig := *s.alert.MigrationModelId
			res := b.resolveWith(b.admin, s.alert.Id, client.ResolveAlertRequest{Action: &c.action})
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			require.True(t, strings.HasPrefix(*res.JSON200.RedirectPostSubmitTo, c.redirect), *res.JSON200.RedirectPostSubmitTo)
			b.requireResolvedBy(s.alert.Id, admin)
			if c.state != "" {
				m, err := b.admin.GetMigrationWithResponse(b.ctx, mig)
				require.NoError(t, err)
				require.Equal(t, c.state, *m.JSON200.State)
			}
			if c.table < 0 {
				require.Empty(t, b.destColumns("sales", tableOf(s)))
			} else {
				b.ingested(s.ds.Id, 1)
				table, quarantine := b.rowCounts(s.ds.Id)
				require.Equal(t, c.table, table)
				require.Zero(t, quarantine)
			}
			if c.check != nil {
				c.check(b, s, mig)
			}
		})
	}
}

// workbook is an xlsx with a Notes sheet and a Data sheet holding rows.
func workbook(t *testing.T, rows [][]any) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetName("Sheet1", "Notes"))
	require.NoError(t, f.SetSheetRow("Notes", "A1", &[]any{"exported by", "someone"}))
	_, err := f.NewSheet("Data")
	require.NoError(t, err)
	for i, r := range rows {
		require.NoError(t, f.SetSheetRow("Data", "A"+strconv.Itoa(i+1), &r))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.String()
}

// testProceedWithSheetName: a workbook with two sheets waits behind
// an alert until a user names the sheet; a sheet it lacks is refused with
// the ones it has.
func testProceedWithSheetName(t *testing.T, b *bundle) {
	book := workbook(t, [][]any{{"id", "day", "paid", "note"}, {"4", "03/02/2024", "yes", "x"}, {"5", "04/02/2024", "no", "y"}})
	s := b.scene("sheets", trainCSV, book, client.AlertTypeMultipleSheetsFound)
	require.Equal(t, client.IngestionJobStateBlocked, *s.job.State, *s.job.Msg)

	action := client.ProceedWithSheetName
	res := b.resolveWith(b.admin, s.alert.Id, client.ResolveAlertRequest{Action: &action, SheetName: ptr("Summary")})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	require.Contains(t, string(res.Body), "Notes, Data")
	res = b.resolveWith(b.admin, s.alert.Id, client.ResolveAlertRequest{Action: &action})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))

	res = b.resolveWith(b.admin, s.alert.Id, client.ResolveAlertRequest{Action: &action, SheetName: ptr("data")})
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, "/api/data-sources/"+strconv.Itoa(s.src.Id), *res.JSON200.RedirectPostSubmitTo)
	src, err := b.store.GetDataSource(b.ctx, int64(s.src.Id))
	require.NoError(t, err)
	require.Equal(t, "Data", src.ExcelSheetName)
	require.Equal(t, b.adminUserID().String(), b.lastSourceChange(s.src.Id).WhodunitId.String())
	b.requireResolvedBy(s.alert.Id, b.adminUserID().String())
	j := b.waitTries(s.job.Id, 2)
	require.Equal(t, client.IngestionJobStateFinished, *j.State, *j.Msg)
	table, quarantine := b.rowCounts(s.ds.Id)
	require.Equal(t, 5, table)
	require.Zero(t, quarantine)
	require.Empty(t, b.openAlerts(s.ds.Id))
}

// testExpandFields: a JSON column's keys become columns: the field
// joins fields_to_expand and the dataset trains again.
func testExpandFields(t *testing.T, b *bundle) {
	s := b.scene("expand", "id,attrs\n1,\"{\"\"a\"\": 1}\"\n2,\"{\"\"a\"\": 2}\"\n", "id,attrs\n3,\"{\"\"a\"\": 3}\"\n4,{{{\n", client.AlertTypeJsonCasting)
	action := client.ExpandFields
	res := b.resolveWith(b.admin, s.alert.Id, client.ResolveAlertRequest{Action: &action})
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.True(t, strings.HasPrefix(*res.JSON200.RedirectPostSubmitTo, "/api/training-jobs/"), *res.JSON200.RedirectPostSubmitTo)
	ds, err := b.store.GetDataset(b.ctx, int64(s.ds.Id))
	require.NoError(t, err)
	require.Equal(t, []string{"attrs"}, ds.SettingsModel.FieldsToExpand)
	require.Equal(t, b.adminUserID().String(), b.lastSettingsChange(s.ds.Id).WhodunitId.String())
	b.requireResolvedBy(s.alert.Id, b.adminUserID().String())
	job := b.trainingDone(s.ds.Id)
	require.Equal(t, client.TrainingJobStateFinished, *job.State, *job.Msg)
	table, quarantine := b.rowCounts(s.ds.Id)
	require.Equal(t, 3, table)
	require.Equal(t, 1, quarantine, "a value that is not JSON stays in quarantine")
}

const trainStatusCSV = "id,status,score\n1,active,5\n2,closed,7\n"

// ruled trains a dataset on trainStatusCSV with rules: score an integer
// of at most 10, status active or closed.
func (b *bundle) ruled(name string) *scene {
	b.t.Helper()
	s := b.trainScene(name, trainStatusCSV, client.ApplyAsap)
	b.setRule(s.ds.Id, "score", client.ValidationInfoUpdateRequest{JsonSchemaFieldType: client.Integer, Maximum: ptr(float32(10))})
	b.setRule(s.ds.Id, "status", client.ValidationInfoUpdateRequest{JsonSchemaFieldType: client.String, LimitToValues: &[]any{"active", "closed"}})
	return s
}

// setRule sets a field's validation rule.
func (b *bundle) setRule(datasetID int, field string, r client.ValidationInfoUpdateRequest) {
	b.t.Helper()
	res, err := b.admin.UpdateDatasetValidationInfoWithResponse(b.ctx, datasetID, field, r)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
}

// rule reads a field's validation rule from the settings model.
func (b *bundle) rule(datasetID int, field string) qluster.ValidationRule {
	b.t.Helper()
	ds, err := b.store.GetDataset(b.ctx, int64(datasetID))
	require.NoError(b.t, err)
	r, ok := ds.SettingsModel.ValidationRules[field]
	require.True(b.t, ok, "no rule for %s", field)
	return r
}

var validationCases = []struct {
	action client.AlertAction
	bad    string
	field  string
	req    client.ResolveAlertRequest
	check  func(b *bundle, s *scene)
}{
	{action: client.MarkDataAsValid, bad: "id,status,score\n3,active,8\n4,closed,42\n", field: "score",
		check: func(b *bundle, s *scene) {
			require.Contains(b.t, *s.alert.Msg, `"42" is above the maximum 10 of the validation rule of score`)
			require.Equal(b.t, map[string]any{"field": "score", "maximum": float64(10), "minimum": nil}, *s.alert.BoundaryData)
			require.Equal(b.t, 42.0, *b.rule(s.ds.Id, "score").Maximum)
		}},
	{action: client.ValidationAddANewKeyword, bad: "id,status,score\n3,active,8\n4,pending,9\n", field: "status",
		check: func(b *bundle, s *scene) {
			require.Contains(b.t, *s.alert.Msg, `"pending" is not one of the values the validation rule of status allows`)
			require.Equal(b.t, []any{"active", "closed", "pending"}, b.rule(s.ds.Id, "status").LimitToValues)
		}},
	{action: client.ValidationRenameToExistingKeyword, bad: "id,status,score\n3,active,8\n4,actve,9\n", field: "status",
		check: func(b *bundle, s *scene) {
			require.Equal(b.t, map[string]string{"actve": "active"}, b.rule(s.ds.Id, "status").Aliases)
			page := b.data(s.ds.Id, client.GetDataParams{StoredItemId: &s.item.Id, OrderBy: &[]string{"id"}})
			require.Equal(b.t, "active", (*page.Results)[1].(map[string]any)["status"], "the value is read as the keyword")
		}},
}

// TestResolveValidationActions: a row that breaks a validation rule is
// quarantined with a validation alert naming the rule and the value; each
// validation action relaxes the rule so the row loads.
func TestResolveValidationActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.adminUserID().String()
	for i, c := range validationCases {
		t.Run(string(c.action), func(t *testing.T) {
			t.Parallel()
			b := b.as(t)
			s := b.ruled(fmt.Sprintf("valid%d", i))
			b.raise(s, c.bad, client.AlertTypeValidation)
			require.Equal(t, c.field, *s.alert.FieldName)
			require.True(t, *s.alert.IsMuted)
			table, quarantine := b.rowCounts(s.ds.Id)
			require.Equal(t, 3, table)
			require.Equal(t, 1, quarantine)
			req := c.req
			req.Action = &c.action
			res := b.resolveWith(b.admin, s.alert.Id, req)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			require.Equal(t, "/api/datasets/"+strconv.Itoa(s.ds.Id), *res.JSON200.RedirectPostSubmitTo)
			b.waitTries(s.job.Id, 2)
			c.check(b, s)
			require.Equal(t, admin, b.lastSettingsChange(s.ds.Id).WhodunitId.String())
			b.requireResolvedBy(s.alert.Id, admin)
			require.Empty(t, b.openAlerts(s.ds.Id))
			table, quarantine = b.rowCounts(s.ds.Id)
			require.Equal(t, 4, table)
			require.Zero(t, quarantine)
		})
	}
}

// testRefusals: an action that does not fit the alert, or whose input does
// not fit the alert's values, changes nothing and says why.
func testRefusals(t *testing.T, b *bundle) {
	s := b.scene("refused", trainCSV, isoBadCSV, client.AlertTypeDateCasting)
	try := func(c *client.ClientWithResponses, action client.AlertAction, req client.ResolveAlertRequest, status int, says ...string) {
		t.Helper()
		req.Action = &action
		res := b.resolveWith(c, s.alert.Id, req)
		require.Equal(t, status, res.StatusCode(), string(res.Body))
		for _, x := range says {
			require.Contains(t, string(res.Body), x)
		}
	}
	try(b.admin, client.SetValueToTrue, client.ResolveAlertRequest{}, http.StatusUnprocessableEntity, "set_value_to_true does not fit", "define_datetime_format_for_field")
	try(b.admin, client.ApplyMigration, client.ResolveAlertRequest{}, http.StatusUnprocessableEntity, "apply_migration does not fit")
	try(b.admin, client.DefineDatetimeFormatForField, withFormat("%m/%d/%Y"), http.StatusUnprocessableEntity, `does not parse \"2024-02-20\"`)
	try(b.admin, client.DefineDatetimeFormatForField, withFormat("%Q"), http.StatusUnprocessableEntity, "not a strftime format")
	try(b.admin, client.DefineDatetimeFormatForField, client.ResolveAlertRequest{}, http.StatusUnprocessableEntity, "needs new_datetime_format")
	limited, _ := b.user(qluster.UserTypeLimitedToSource, "limited@example.com", int64(s.src.Id))
	try(limited, client.SetValueToNull, client.ResolveAlertRequest{}, http.StatusForbidden, "changes more than your data sources")
	require.False(t, *b.getAlert(s.alert.Id).Resolved)
	require.Equal(t, s.ds.SettingsModel.VersionId, b.lastSettingsChange(s.ds.Id).VersionId, "no settings changed")

	// Values no format reads cannot be inferred.
	n := b.scene("uninferred", trainCSV, nullBadCSV, client.AlertTypeDateCasting)
	action := client.InferDatetimeFormatForField
	res := b.resolveWith(b.admin, n.alert.Id, client.ResolveAlertRequest{Action: &action})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	require.Contains(t, string(res.Body), "no datetime format reads TBD")

	// Navigation actions answer where to go and leave the alert as it is.
	for action, to := range map[client.AlertAction]string{
		client.EditSettings: "/api/datasets/" + strconv.Itoa(n.ds.Id), client.EditDataSourceModelSettings: "/api/data-sources/" + strconv.Itoa(n.src.Id),
		client.EditDestinationSettings: "/api/destinations?dataset_id=" + strconv.Itoa(n.ds.Id), client.GoToMigrationReview: "/api/migrations/",
		client.CheckLearningJobs: "/api/training-jobs?dataset_id=" + strconv.Itoa(n.ds.Id),
	} {
		res := b.resolveWith(b.admin, n.alert.Id, client.ResolveAlertRequest{Action: &action})
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, to, *res.JSON200.RedirectPostSubmitTo)
	}
	require.False(t, *b.getAlert(n.alert.Id).Resolved)

	// A limited_to_source user may change its own data source.
	try(limited, client.DefineDatetimeFormatForFieldForSource, withFormat("%Y-%m-%d"), http.StatusOK)
	b.waitTries(s.job.Id, 2)
	b.requireResolvedBy(s.alert.Id, b.lastSourceChange(s.src.Id).WhodunitId.String())
	// A resolved alert cannot be resolved again.
	try(b.admin, client.Hide, client.ResolveAlertRequest{}, http.StatusConflict, "already resolved")
}

// TestResolveOtherActions: the actions with scenes of their own, and the refusals.
func TestResolveOtherActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, f := range map[string]func(*testing.T, *bundle){
		"proceed_with_sheet_name": testProceedWithSheetName, "expand_fields": testExpandFields, "refusals": testRefusals,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, b.as(t))
		})
	}
}

// TestResolveCoversEveryAction: every value of the contract's action enum
// has a test above (or is a navigation action, tested with the alerts).
func TestResolveCoversEveryAction(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	require.NoError(t, err)
	tested := map[string]bool{"proceed_with_sheet_name": true, "expand_fields": true}
	for _, c := range settingsCases {
		tested[string(c.action)] = true
	}
	for _, c := range fileCases {
		tested[string(c.action)] = true
	}
	for _, c := range migrationCases {
		tested[string(c.action)] = true
	}
	for _, c := range validationCases {
		tested[string(c.action)] = true
	}
	navigation := map[string]bool{"edit_settings": true, "edit_data_source_model_settings": true, "edit_destination_settings": true,
		"go_to_migration_review": true, "check_learning_jobs": true}
	enum := doc.Components.Schemas["AlertAction"].Value.Enum
	require.Len(t, enum, 48)
	for _, v := range enum {
		a := v.(string)
		require.True(t, tested[a] || navigation[a], "no test resolves an alert with %s", a)
	}
}
