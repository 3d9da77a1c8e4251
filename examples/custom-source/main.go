// Command custom-source registers a qluster.Source of its own for data
// sources of type custom and lets the engine's sensor pull files from it:
// here a plain web directory index (an http.FileServer, nginx autoindex or
// "python3 -m http.server" listing), whose linked files are downloaded by
// GET. The metadata store, queue and destination are on PostgreSQL, backups
// on the local filesystem.
//
//	go run ./examples/custom-source http://127.0.0.1:8000/exports/
//	go run ./examples/custom-source examples/data
//
// Given a folder instead of a URL, it serves the folder itself on
// 127.0.0.1. It creates (once) a dataset "custom_source_orders" landing in
// custom_source.orders and a data source of type custom taking the
// folder's *.csv files every 5 seconds, polls it at once, waits until every
// such file is trained on and loaded, and prints the counts of each.
//
// A custom data source carries no settings of its own: the program decides
// what it opens (here the URL it was given; one serving several data
// sources would choose by name or id). A server embedding the engine passes
// the same function as server.EngineOptions.CustomSource.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/openqluster/qluster-go/destinations/pgdest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob"
	"github.com/openqluster/qluster-go/storage/blob/fileblob"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// httpDir is a Source over a web directory index. List reads the links of
// the index page that name files (not subfolders, parents, other sites or
// sort orders) and asks each file's size, modification time and ETag with
// HEAD, so that a file rewritten under the same name is taken again. Open
// streams a file by GET. Both honour ctx.
type httpDir struct {
	base   *url.URL // the folder, ending in "/"
	client *http.Client
}

var _ qluster.Source = (*httpDir)(nil)

// linkRE finds the targets of the links of an index page.
var linkRE = regexp.MustCompile(`(?i)<a\s[^>]*href\s*=\s*"([^"]*)"`)

// newHTTPDir returns a Source over the directory index at folderURL, with
// connections of its own. It makes no request.
func newHTTPDir(folderURL string) (*httpDir, error) {
	u, err := url.Parse(folderURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("newHTTPDir: %q is not the http(s) URL of a folder", folderURL)
	}
	return &httpDir{base: u.JoinPath("/"), client: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}, nil
}

// List returns the files the index links to.
func (d *httpDir) List(ctx context.Context) ([]qluster.RemoteFile, error) {
	res, err := d.do(ctx, http.MethodGet, d.base.String())
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if err := statusError(res, qluster.ErrPathNotFound); err != nil {
		return nil, err
	}
	page, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the index %s: %w", qluster.ErrConnection, d.base.Redacted(), err)
	}
	files, seen := []qluster.RemoteFile{}, map[string]bool{}
	for _, m := range linkRE.FindAllStringSubmatch(string(page), -1) {
		key, ok := fileKey(m[1])
		if !ok || seen[key] {
			continue
		}
		seen[key] = true
		f, err := d.stat(ctx, key)
		if errors.Is(err, qluster.ErrNotFound) {
			continue // deleted since the index was read
		}
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// fileKey returns the name of the file a link of the index points at, and
// false for a link to anything else.
func fileKey(href string) (string, bool) {
	u, err := url.Parse(html.UnescapeString(href))
	if err != nil || u.Scheme != "" || u.Host != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	key := strings.TrimPrefix(u.Path, "./") // http.FileServer writes "./a:b" for "a:b"
	return key, key != "" && key != "." && key != ".." && !strings.Contains(key, "/")
}

// stat asks the size, modification time and ETag of the file at key.
func (d *httpDir) stat(ctx context.Context, key string) (qluster.RemoteFile, error) {
	res, err := d.do(ctx, http.MethodHead, d.fileURL(key))
	if err != nil {
		return qluster.RemoteFile{}, err
	}
	res.Body.Close()
	if err := statusError(res, qluster.ErrNotFound); err != nil {
		return qluster.RemoteFile{}, err
	}
	f := qluster.RemoteFile{Key: key, Size: res.ContentLength, ETag: res.Header.Get("ETag")}
	f.ModTime, _ = http.ParseTime(res.Header.Get("Last-Modified")) // zero when not given
	return f, nil
}

// Open streams the file at key; reading it stops when ctx ends.
func (d *httpDir) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	res, err := d.do(ctx, http.MethodGet, d.fileURL(key))
	if err != nil {
		return nil, err
	}
	if err := statusError(res, qluster.ErrNotFound); err != nil {
		res.Body.Close()
		return nil, err
	}
	return res.Body, nil
}

// Close closes the source's idle connections.
func (d *httpDir) Close() error {
	d.client.CloseIdleConnections()
	return nil
}

// fileURL is the URL of the file at key in the folder.
func (d *httpDir) fileURL(key string) string { return d.base.JoinPath(url.PathEscape(key)).String() }

// do sends a request; a server that cannot be reached is ErrConnection, a
// context that ends is its own error.
func (d *httpDir) do(ctx context.Context, method, target string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return nil, err
	}
	res, err := d.client.Do(req)
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("%w: %w", qluster.ErrConnection, err)
	}
	return res, err
}

// statusError maps a response other than 200 OK to the error the sensor
// raises its alert by; a 404 is notFound.
func statusError(res *http.Response, notFound error) error {
	var kind error
	switch res.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized, http.StatusForbidden:
		kind = qluster.ErrAccessDenied
	case http.StatusNotFound:
		kind = notFound
	default:
		kind = qluster.ErrConnection
	}
	return fmt.Errorf("%w: %s %s: %s", kind, res.Request.Method, res.Request.URL.Redacted(), res.Status)
}

// The example's dataset, table and data source.
const (
	datasetName, sourceName = "custom_source_orders", "custom_source_feed"
	schemaName, tableName   = "custom_source", "orders"
	pattern, schedule       = "*.csv", "*/5 * * * * *"
)

func main() {
	dbURL := flag.String("database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL for metadata, queue and the table")
	dir := flag.String("data-dir", filepath.Join(os.TempDir(), "qluster-custom-source"), "where backups of the raw files go")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: custom-source [flags] FOLDER-URL|FOLDER")
	}
	folder := flag.Arg(0)
	if !strings.Contains(folder, "://") {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		go http.Serve(l, http.FileServer(http.Dir(folder))) //nolint:errcheck
		folder = "http://" + l.Addr().String() + "/"
	}
	files, err := run(context.Background(), *dbURL, *dir, folder)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Printf("%s: %d rows loaded into %s.%s, %d quarantined, %d ignored\n", f.Key, f.SuccessfulRowsCount, schemaName, tableName, f.BadRowsCount, f.IgnoredRowsCount)
	}
}

// run makes sure a custom data source polling the index at folderURL exists,
// runs the engine until every file of the folder matching the pattern is
// loaded, and returns the stored item of each, by key.
func run(ctx context.Context, dbURL, dir, folderURL string) ([]qluster.StoredItem, error) {
	store, err := postgres.Open(ctx, dbURL, nil)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return nil, err
	}
	engine, err := newEngine(store, dir, folderURL)
	if err != nil {
		return nil, err
	}
	src, err := ensureSource(ctx, store, dbURL)
	if err != nil {
		return nil, err
	}
	want, err := matching(ctx, folderURL)
	if err != nil {
		return nil, err
	}
	if err := engine.Start(ctx); err != nil {
		return nil, err
	}
	defer engine.Stop(ctx) //nolint:errcheck
	// Poll at once rather than at the first tick.
	if err := engine.PollNow(ctx, src.ID); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		page, err := store.ListStoredItems(ctx, postgres.ListStoredItemsParams{DataSourceModelID: &src.ID, ListParams: qluster.ListParams{Limit: 1000}})
		if err != nil {
			return nil, err
		}
		latest := map[string]qluster.StoredItem{}
		for _, it := range page.Items {
			if it.ParentID == nil && it.ID > latest[it.Key].ID {
				latest[it.Key] = it
			}
		}
		var done []qluster.StoredItem
		for _, key := range want {
			if it := latest[key]; it.IsIngested || it.DuplicateOfID != nil {
				done = append(done, it)
			}
		}
		if len(done) == len(want) {
			return done, nil
		}
	}
	return nil, fmt.Errorf("the files of %s were not all loaded in time: see GET /api/alerts", folderURL)
}

// newEngine makes an engine over store whose sensors poll data sources of
// type custom through the directory index at folderURL.
func newEngine(store *postgres.Store, dir, folderURL string) (*qluster.Engine, error) {
	return qluster.New(&qluster.Config{
		Store: store, Queue: store.Queue(), Codec: blob.Codec{},
		OpenBackup: func(context.Context, *qluster.BackupSettings) (qluster.Backup, error) {
			return fileblob.Open(filepath.Join(dir, "backups"), &fileblob.Options{CreateDir: true})
		},
		OpenDestination: func(ctx context.Context, d *qluster.DestinationModel) (qluster.Destination, error) {
			return pgdest.Open(ctx, d, nil)
		},
		// Every poll of a data source opens its Source here, and closes it.
		OpenSource: func(_ context.Context, d *qluster.DataSource) (qluster.Source, error) {
			if d.DataSourceType != qluster.DataSourceTypeCustom {
				return nil, fmt.Errorf("%w: data source %q is of type %s; this program opens custom ones only", qluster.ErrConnection, d.Name, d.DataSourceType)
			}
			return newHTTPDir(folderURL)
		},
		TrainingDelay: 500 * time.Millisecond, // the files of one poll are trained on together
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
}

// matching lists the folder as the sensor will and returns the keys of the
// files it takes, to know what to wait for.
func matching(ctx context.Context, folderURL string) ([]string, error) {
	source, err := newHTTPDir(folderURL)
	if err != nil {
		return nil, err
	}
	defer source.Close()
	files, err := source.List(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, f := range files {
		if ok, _ := path.Match(pattern, f.Key); ok {
			keys = append(keys, f.Key)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// ensureSource returns the example's data source, creating it the first
// time with its dataset, local backups and the same database as destination.
func ensureSource(ctx context.Context, store *postgres.Store, dbURL string) (*qluster.DataSource, error) {
	page, err := store.ListDataSources(ctx, postgres.ListDataSourcesParams{ListParams: qluster.ListParams{Limit: 1000}})
	if err != nil {
		return nil, err
	}
	for _, s := range page.Items {
		if s.Name == sourceName {
			return &s, nil
		}
	}
	bs := qluster.NewBackupSettings()
	backup, err := store.CreateBackupSettings(ctx, &bs, nil)
	if err != nil {
		return nil, err
	}
	dest, err := pgdest.ModelFromURL(schemaName, dbURL)
	if err == nil {
		dest, err = store.CreateDestination(ctx, dest, nil)
	}
	if err != nil {
		return nil, err
	}
	d := qluster.NewDataset()
	d.Name, d.SchemaName, d.TableName = datasetName, schemaName, tableName
	d.BackupSettingsID, d.DestinationID = &backup.ID, &dest.ID
	ds, err := store.CreateDataset(ctx, &d, nil)
	if err != nil {
		return nil, err
	}
	s := qluster.NewDataSource(ds)
	s.Name, s.DataSourceType, s.State = sourceName, qluster.DataSourceTypeCustom, qluster.DataSourceStateActive
	s.Pattern, s.Schedule = pattern, schedule
	return store.CreateDataSource(ctx, &s, nil)
}
