package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/api"
	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// menu is the menu stats as plain numbers.
type menu struct{ datasets, sources, destinations, errors, alerts int }

func menuOf(t *testing.T, c *client.ClientWithResponses, b *bundle) menu {
	t.Helper()
	res, err := c.GetMenuStatsWithResponse(b.ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	m := res.JSON200
	return menu{*m.DatasetsCount, *m.DataSourceModelsCount, *m.DestinationsCount, *m.ErrorsCount, *m.UnresolvedAlertsCount}
}

// datasetOn creates a dataset whose destination is destinationID.
func (b *bundle) datasetOn(name string, destinationID int) *client.Dataset {
	b.t.Helper()
	res, err := b.admin.PostDatasetWithResponse(b.ctx, client.DatasetPostRequest{
		Name: name, DatabaseName: "postgres", SchemaName: "public", TableName: strings.ReplaceAll(name, "-", "_"),
		BackupSettingsId: b.backup(), DestinationId: &destinationID,
	})
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

func (m menu) plus(d menu) menu {
	return menu{m.datasets + d.datasets, m.sources + d.sources, m.destinations + d.destinations, m.errors + d.errors, m.alerts + d.alerts}
}

func TestMenuStats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// An installation may start with objects of its own (a default
	// destination): count from what is there.
	base := menuOf(t, b.admin, b)
	require.Equal(t, menu{destinations: base.destinations}, base)
	require.Equal(t, len(b.destinationIDs()), base.destinations)

	dst := b.postDestination("warehouse")
	require.Equal(t, base.plus(menu{destinations: 1}), menuOf(t, b.admin, b))
	dsA := b.datasetOn("ds-a", dst.Id)
	dsB := b.dataset("ds-b")
	require.Equal(t, base.plus(menu{datasets: 2, destinations: 1}), menuOf(t, b.admin, b))
	srcA := b.dataSource(dsA.Id, "feed-a")
	srcB := b.dataSource(dsB.Id, "feed-b")
	require.Equal(t, base.plus(menu{datasets: 2, sources: 2, destinations: 1}), menuOf(t, b.admin, b))

	errA := b.postFatalError(client.FatalErrorCreateRequest{JobName: ptr("sensor-a"), Error: "AccessDeniedError", Module: "sensor", Msg: "m", DataSourceModelId: &srcA.Id})
	b.postFatalError(client.FatalErrorCreateRequest{JobName: ptr("sensor-a"), Error: "AccessDeniedError", Module: "sensor", Msg: "m", DataSourceModelId: &srcA.Id})
	b.postFatalError(client.FatalErrorCreateRequest{JobName: ptr("sensor-b"), Error: "AccessDeniedError", Module: "sensor", Msg: "m", DataSourceModelId: &srcB.Id})
	b.postFatalError(client.FatalErrorCreateRequest{JobName: ptr("scheduler"), Error: "PanicError", Module: "worker", Msg: "m"})
	full := base.plus(menu{datasets: 2, sources: 2, destinations: 1, errors: 3})
	require.Equal(t, full, menuOf(t, b.admin, b), "an aggregated error counts once")

	// Every signed-in user may read them; a limited_to_source user counts
	// only what its sources reach: their datasets, the destinations of
	// those, their errors.
	editor, _ := b.user(qluster.UserTypeEditor, "editor@example.com")
	require.Equal(t, full, menuOf(t, editor, b))
	limA, _ := b.user(qluster.UserTypeLimitedToSource, "a@example.com", int64(srcA.Id))
	require.Equal(t, menu{datasets: 1, sources: 1, destinations: 1, errors: 1}, menuOf(t, limA, b))
	limB, _ := b.user(qluster.UserTypeLimitedToSource, "b@example.com", int64(srcB.Id))
	dstB := 0
	if dsB.DestinationId != nil {
		dstB = 1 // the installation's default destination
	}
	require.Equal(t, menu{datasets: 1, sources: 1, destinations: dstB, errors: 1}, menuOf(t, limB, b))
	limBoth, _ := b.user(qluster.UserTypeLimitedToSource, "both@example.com", int64(srcA.Id), int64(srcB.Id))
	require.Equal(t, menu{datasets: 2, sources: 2, destinations: 1 + dstB, errors: 2}, menuOf(t, limBoth, b))
	limNone, _ := b.user(qluster.UserTypeLimitedToSource, "none@example.com")
	require.Equal(t, menu{}, menuOf(t, limNone, b))

	// Deleted objects stop counting.
	del, err := b.admin.DeleteFatalErrorWithResponse(b.ctx, client.FatalErrorDeleteRequest{Id: &errA.Id})
	require.Equal(t, http.StatusOK, statusOf(t, del, err), string(del.Body))
	require.Equal(t, base.plus(menu{datasets: 2, sources: 2, destinations: 1, errors: 2}), menuOf(t, b.admin, b))
	require.Equal(t, menu{datasets: 1, sources: 1, destinations: 1}, menuOf(t, limA, b))

	dsrc, err := b.admin.DeleteDataSourceWithResponse(b.ctx, srcA.Id, client.DeleteByNameRequest{Name: "feed-a"})
	require.Equal(t, http.StatusOK, statusOf(t, dsrc, err), string(dsrc.Body))
	require.Equal(t, base.plus(menu{datasets: 2, sources: 1, destinations: 1, errors: 2}), menuOf(t, b.admin, b))
	require.Equal(t, menu{}, menuOf(t, limA, b), "a deleted source reaches nothing")

	dds, err := b.admin.DeleteDatasetWithResponse(b.ctx, dsB.Id, client.DeleteByNameRequest{Name: "ds-b"})
	require.Equal(t, http.StatusOK, statusOf(t, dds, err), string(dds.Body))
	require.Equal(t, base.plus(menu{datasets: 1, destinations: 1, errors: 2}), menuOf(t, b.admin, b), "a deleted dataset takes its sources along")
	require.Equal(t, menu{}, menuOf(t, limB, b))

	un, err := b.anon.GetMenuStatsWithResponse(b.ctx)
	require.Equal(t, http.StatusUnauthorized, statusOf(t, un, err))
}

// TestStatsAndMeta covers the figures of a dataset and what the server
// answers besides the seed's operations, over one server.
func TestStatsAndMeta(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, b *bundle)
	}{
		{"dataset stats", testDatasetStats},
		{"meta endpoints", testMetaEndpoints},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, b.as(t)) })
	}
}

func testDatasetStats(t *testing.T, b *bundle) {
	dst := b.postDestination("stats-warehouse")
	onDst := b.datasetOn("stats-orders", dst.Id)
	plain := b.dataset("stats-refunds")

	st, err := b.admin.GetDatasetStatsWithResponse(b.ctx, onDst.Id)
	require.Equal(t, http.StatusOK, statusOf(t, st, err), string(st.Body))
	require.Equal(t, 0, *st.JSON200.BadRowsCount)

	ex, err := b.admin.GetDatasetExtraDetailsWithResponse(b.ctx, onDst.Id)
	require.Equal(t, http.StatusOK, statusOf(t, ex, err), string(ex.Body))
	require.Equal(t, onDst.Id, ex.JSON200.Id)
	require.Equal(t, "stats-orders", *ex.JSON200.Name)
	require.Equal(t, dst.Id, *ex.JSON200.DestinationId)
	require.NotNil(t, ex.JSON200.DestinationName)
	require.Equal(t, "stats-warehouse", *ex.JSON200.DestinationName)
	require.Nil(t, ex.JSON200.CurrentMigrationModelId, "no migration yet")
	require.Equal(t, 0, *ex.JSON200.UnresolvedAlerts)
	require.NotNil(t, ex.JSON200.SettingsModel)
	require.Equal(t, onDst.SettingsModel.Id, ex.JSON200.SettingsModel.Id)

	// The destination's new name shows at once.
	p, err := b.admin.PatchDestinationModelWithResponse(b.ctx, client.DestinationPatchRequest{Id: dst.Id, Name: ptr("stats-warehouse-eu")})
	require.Equal(t, http.StatusOK, statusOf(t, p, err), string(p.Body))
	ex, err = b.admin.GetDatasetExtraDetailsWithResponse(b.ctx, onDst.Id)
	require.Equal(t, http.StatusOK, statusOf(t, ex, err), string(ex.Body))
	require.Equal(t, "stats-warehouse-eu", *ex.JSON200.DestinationName)

	def, err := b.admin.GetDatasetExtraDetailsWithResponse(b.ctx, plain.Id)
	require.Equal(t, http.StatusOK, statusOf(t, def, err), string(def.Body))
	require.Equal(t, b.destinationNameOf(plain), def.JSON200.DestinationName)
	require.Nil(t, def.JSON200.CurrentMigrationModelId)

	run, err := b.admin.GetDatasetAnyTrainingJobRunningWithResponse(b.ctx, onDst.Id)
	require.Equal(t, http.StatusOK, statusOf(t, run, err), string(run.Body))
	require.False(t, run.JSON200.Result)

	// Read-only users read them too.
	ro, _ := b.user(qluster.UserTypeReadOnly, "stats-ro@example.com")
	rst, err := ro.GetDatasetStatsWithResponse(b.ctx, plain.Id)
	require.Equal(t, http.StatusOK, statusOf(t, rst, err))

	const missing = 432109
	for name, call := range map[string]func() (interface{ StatusCode() int }, error){
		"stats": func() (interface{ StatusCode() int }, error) {
			return b.admin.GetDatasetStatsWithResponse(b.ctx, missing)
		},
		"details": func() (interface{ StatusCode() int }, error) {
			return b.admin.GetDatasetExtraDetailsWithResponse(b.ctx, missing)
		},
		"training": func() (interface{ StatusCode() int }, error) {
			return b.admin.GetDatasetAnyTrainingJobRunningWithResponse(b.ctx, missing)
		},
	} {
		res, err := call()
		require.Equal(t, http.StatusNotFound, statusOf(t, res, err), name)
	}
}

// testMetaEndpoints covers what is served besides the operations of the
// seed: the contract, its reference page and health; and the order of the
// checks: authentication and roles before the operation's own answer.
func testMetaEndpoints(t *testing.T, b *bundle) {
	// A data source without a schedule has no scheduled poll to run: 409, saying why.
	ds := b.dataset("meta-orders")
	src := b.dataSource(ds.Id, "feed")
	cron, err := b.admin.RunSensorCronjobNowWithResponse(b.ctx, src.Id)
	require.Equal(t, http.StatusConflict, statusOf(t, cron, err), string(cron.Body))
	require.Contains(t, string(cron.Body), "no active schedule")
	// Authentication and roles come first.
	anonCron, err := b.anon.RunSensorCronjobNowWithResponse(b.ctx, src.Id)
	require.Equal(t, http.StatusUnauthorized, statusOf(t, anonCron, err))
	ro, _ := b.user(qluster.UserTypeReadOnly, "meta-ro@example.com")
	roCron, err := ro.RunSensorCronjobNowWithResponse(b.ctx, src.Id)
	require.Equal(t, http.StatusForbidden, statusOf(t, roCron, err))

	// The contract, with no token.
	// (Fetched by hand: the generated client cannot decode a YAML body.)
	yamlRes, err := http.Get(b.url + "/api/openapi.yaml")
	require.NoError(t, err)
	yamlBody, err := io.ReadAll(yamlRes.Body)
	require.NoError(t, err)
	require.NoError(t, yamlRes.Body.Close())
	require.Equal(t, http.StatusOK, yamlRes.StatusCode)
	require.Contains(t, yamlRes.Header.Get("Content-Type"), "yaml")
	require.Equal(t, string(api.OpenAPIYAML), string(yamlBody))

	// The reference page lists every operation.
	page, err := b.anon.GetAPIDocsWithResponse(b.ctx)
	require.Equal(t, http.StatusOK, statusOf(t, page, err))
	require.Contains(t, page.HTTPResponse.Header.Get("Content-Type"), "text/html")
	html := string(page.Body)
	require.True(t, strings.HasPrefix(html, "<!doctype html>"), html[:min(len(html), 80)])
	contract, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	require.NoError(t, err)
	n := 0
	for path, item := range contract.Paths.Map() {
		for method, op := range item.Operations() {
			require.Contains(t, html, fmt.Sprintf(`id="%s"`, op.OperationID), "%s %s", method, path)
			require.Contains(t, html, fmt.Sprintf(`<code>%s</code>`, path))
			n++
		}
	}
	require.Equal(t, n, strings.Count(html, `<h2 id="`), "one section per operation")
	require.Contains(t, html, `href="/api/openapi.yaml"`)

	health, err := b.anon.GetHealthzWithResponse(b.ctx)
	require.Equal(t, http.StatusOK, statusOf(t, health, err))
	require.Equal(t, "ok", health.JSON200.Status)
	ready, err := b.anon.GetReadyzWithResponse(b.ctx)
	require.Equal(t, http.StatusOK, statusOf(t, ready, err))
	require.Equal(t, "ok", ready.JSON200.Status)

	// A server whose store does not answer is alive but not ready.
	closed, err := postgres.Open(b.ctx, pgtest.AdminURL(), nil)
	require.NoError(t, err)
	require.NoError(t, closed.Close())
	srv, err := server.New(server.Options{Store: closed, TokenKey: []byte("test-signing-key-of-at-least-32-bytes!"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	c, err := client.NewClientWithResponses(hs.URL)
	require.NoError(t, err)
	down, err := c.GetReadyzWithResponse(b.ctx)
	require.Equal(t, http.StatusServiceUnavailable, statusOf(t, down, err), string(down.Body))
	require.Contains(t, down.JSON503.Status, "metadata store unreachable")
	alive, err := c.GetHealthzWithResponse(b.ctx)
	require.Equal(t, http.StatusOK, statusOf(t, alive, err))
	require.Equal(t, "ok", alive.JSON200.Status)
}
