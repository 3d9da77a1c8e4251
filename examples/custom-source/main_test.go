package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// folder is a web directory index served on 127.0.0.1 under /exports/, as
// http.FileServer lists it, that counts the downloads of each file.
type folder struct {
	dir string
	url string

	mu   sync.Mutex
	gets map[string]int
}

// serveFolder serves an empty folder of its own until t ends.
func serveFolder(t *testing.T) *folder {
	t.Helper()
	f := &folder{dir: t.TempDir(), gets: map[string]int{}}
	files := http.StripPrefix("/exports/", http.FileServer(http.Dir(f.dir)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			f.mu.Lock()
			f.gets[r.URL.Path]++
			f.mu.Unlock()
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/exports" // the source adds the folder's slash
	return f
}

// put writes a file holding content into the folder.
func (f *folder) put(t *testing.T, key, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, key), []byte(content), 0o644))
}

// downloads counts the GETs of the file at key.
func (f *folder) downloads(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets["/exports/"+key]
}

// loaded is a stored item's key and counts.
type loaded struct {
	Key               string
	Rows, Quarantined int64
}

// summary is the keys and counts of items.
func summary(items []qluster.StoredItem) []loaded {
	out := make([]loaded, len(items))
	for i, it := range items {
		out[i] = loaded{Key: it.Key, Rows: it.SuccessfulRowsCount, Quarantined: it.BadRowsCount}
	}
	return out
}

// TestCustomSource runs the example twice over a served folder holding the
// example data: the sensor takes the two CSV files (not the TSV, which the
// pattern leaves out), trains on them and loads their 40 and 35 rows. A
// file dropped in the folder before the second run is taken by its poll,
// with its bad row quarantined, while the files taken before are not
// downloaded again.
func TestCustomSource(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := serveFolder(t)
	for _, name := range []string{"orders_2024-05.csv", "orders_2024-06.csv", "orders_2024-07.tsv"} {
		b, err := os.ReadFile(filepath.Join("..", "data", name))
		require.NoError(t, err)
		f.put(t, name, string(b))
	}
	dbURL, dir := pgtest.NewDatabase(t), t.TempDir()

	first, err := run(ctx, dbURL, dir, f.url)
	require.NoError(t, err)
	require.Equal(t, []loaded{{Key: "orders_2024-05.csv", Rows: 40}, {Key: "orders_2024-06.csv", Rows: 35}}, summary(first))
	require.Equal(t, 75, tableRows(t, dbURL, "custom_source.orders"))
	require.Equal(t, 0, f.downloads("orders_2024-07.tsv"), "the pattern leaves the TSV out")

	f.put(t, "orders_2024-08.csv", "order_id,amount,order_date,paid,region,note\n"+
		"1100,$12.50,01/08/2024,yes,EU,\n1101,$7.25,02/08/2024,no,US,repeat\n1102,$3.00,not a date,Y,APAC,\n")
	second, err := run(ctx, dbURL, dir, f.url)
	require.NoError(t, err)
	require.Equal(t, []loaded{{Key: "orders_2024-05.csv", Rows: 40}, {Key: "orders_2024-06.csv", Rows: 35},
		{Key: "orders_2024-08.csv", Rows: 2, Quarantined: 1}}, summary(second))
	require.Equal(t, first[0].ID, second[0].ID, "taken once")
	require.Equal(t, first[1].ID, second[1].ID, "taken once")
	require.Equal(t, 77, tableRows(t, dbURL, "custom_source.orders"))
	require.Equal(t, 1, tableRows(t, dbURL, "custom_source.orders_quarantine"))
	for _, key := range []string{"orders_2024-05.csv", "orders_2024-06.csv", "orders_2024-08.csv"} {
		require.Equal(t, 1, f.downloads(key), "downloads of %s", key)
	}
}

// tableRows counts the rows of a table of the destination.
func tableRows(t *testing.T, dbURL, table string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var n int
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// TestHTTPDirConformance runs the conformance suite of every Source on an
// httpDir over a folder served by http.FileServer.
func TestHTTPDirConformance(t *testing.T) {
	t.Parallel()
	qlustertest.RunSourceTests(t, func(t *testing.T) (qluster.Source, func(key, content string)) {
		f := serveFolder(t)
		s, err := newHTTPDir(f.url)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s, func(key, content string) { f.put(t, key, content) }
	})
}

// nothingListens is the URL of a port that refuses connections.
const nothingListens = "http://127.0.0.1:1/"

// TestHTTPDirErrors checks the errors the sensor raises its alerts by.
func TestHTTPDirErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		status     int
		list, open error
	}{
		{http.StatusUnauthorized, qluster.ErrAccessDenied, qluster.ErrAccessDenied},
		{http.StatusForbidden, qluster.ErrAccessDenied, qluster.ErrAccessDenied},
		{http.StatusNotFound, qluster.ErrPathNotFound, qluster.ErrNotFound},
		{http.StatusInternalServerError, qluster.ErrConnection, qluster.ErrConnection},
		{http.StatusTooManyRequests, qluster.ErrConnection, qluster.ErrConnection},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(tt.status)
		}))
		t.Cleanup(srv.Close)
		s, err := newHTTPDir(srv.URL + "/exports/")
		require.NoError(t, err)
		_, err = s.List(t.Context())
		require.ErrorIs(t, err, tt.list, "List when the server answers %d", tt.status)
		_, err = s.Open(t.Context(), "a.csv")
		require.ErrorIs(t, err, tt.open, "Open when the server answers %d", tt.status)
	}
	s, err := newHTTPDir(nothingListens)
	require.NoError(t, err)
	_, err = s.List(t.Context())
	require.ErrorIs(t, err, qluster.ErrConnection, "List when nothing listens")
	_, err = s.Open(t.Context(), "a.csv")
	require.ErrorIs(t, err, qluster.ErrConnection, "Open when nothing listens")
}

// TestFileKey: the links of an index that name files are taken, the others
// (parents, subfolders, sort orders, other sites) are not.
func TestFileKey(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"orders.csv": "orders.csv", "a%20b.csv": "a b.csv", "./a:b.csv": "a:b.csv",
		"x&amp;y.csv": "x&y.csv", "%E6%95%B0%E6%8D%AE.csv": "数据.csv",
	}
	for href, want := range files {
		got, ok := fileKey(href)
		require.True(t, ok, "%q links to a file", href)
		require.Equal(t, want, got, "the key of %q", href)
	}
	for _, href := range []string{"../", "..", ".", "sub/", "/icons/back.gif", "?C=N;O=D", "#top",
		"https://example.com/a.csv", "//example.com/a.csv", "mailto:x@example.com"} {
		_, ok := fileKey(href)
		require.False(t, ok, "%q links to no file of the folder", href)
	}
}

// TestSensorAlerts: a poll of the data source whose folder answers 403, 404
// or cannot be reached raises access_denied, path_not_found or
// connection_issue on it.
func TestSensorAlerts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url  string
		want qluster.AlertType
	}{
		{deniedURL(t), qluster.AlertTypeAccessDenied},
		{serveFolder(t).url + "/missing", qluster.AlertTypePathNotFound},
		{nothingListens, qluster.AlertTypeConnectionIssue},
	} {
		t.Run(string(tt.want), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dbURL := pgtest.NewDatabase(t)
			store, err := postgres.Open(ctx, dbURL, nil)
			require.NoError(t, err)
			t.Cleanup(func() { store.Close() })
			_, err = store.Migrate(ctx)
			require.NoError(t, err)
			src, err := ensureSource(ctx, store, dbURL)
			require.NoError(t, err)
			engine, err := newEngine(store, t.TempDir(), tt.url)
			require.NoError(t, err)
			require.NoError(t, engine.Start(ctx))
			t.Cleanup(func() { engine.StopAndCancel(context.Background()) }) //nolint:errcheck
			require.NoError(t, engine.PollNow(ctx, src.ID))
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				page, err := store.ListAlerts(ctx, postgres.ListAlertsParams{DataSourceModelID: &src.ID, ListParams: qluster.ListParams{Limit: 10}})
				require.NoError(c, err)
				require.Len(c, page.Items, 1)
				require.Equal(c, tt.want, page.Items[0].AlertType)
			}, 30*time.Second, 50*time.Millisecond, "the alert of a poll of %s", tt.url)
		})
	}
}

// deniedURL is the URL of a server that refuses every request with 403.
func deniedURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
