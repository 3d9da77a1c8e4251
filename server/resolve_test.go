package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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

// scene makes a dataset with policy, trains it on train, loads bad and
// returns the one unresolved alert of type typ the file raised.
func (b *bundle) scene(name, train, bad string, typ client.AlertType) *scene {
	b.t.Helper()
	ds, src := b.trainedDataset(name, client.ApplyAsap)
	b.upload(b.admin, src.Id, name+"-train.csv", train)
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 1)
	s := &scene{ds: ds, src: src}
	s.item = b.upload(b.admin, src.Id, name+"-bad"+extOf(bad), bad)
	s.job = b.fileJob(ds.Id, s.item.Id, 2)
	open := b.openAlerts(ds.Id)
	for _, a := range open {
		if *a.AlertType == typ {
			s.alert = a
		}
	}
	require.NotZero(b.t, s.alert.Id, "no %s alert among %s", typ, alertSummary(open))
	return s
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

