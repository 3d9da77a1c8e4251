package gcssource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/sources/internal/objects"
	"github.com/openqluster/qluster-go/storage/blob/gcsblob"
)

var (
	_ qluster.Source        = (*Source)(nil)
	_ qluster.SourceDeleter = (*Source)(nil)
)

// DefaultConnectionTimeout applies when a data source's connection_timeout
// is 0.
const DefaultConnectionTimeout = 30 * time.Second

// Options configures a Source beyond its data source. A nil *Options means
// defaults.
type Options struct {
	// Endpoint is the base URL of another server speaking the Cloud Storage
	// APIs, such as fake-gcs-server in tests (see gcsblob.Options.Endpoint).
	// Default "": Cloud Storage.
	Endpoint string
	// PageSize is how many objects each List request asks for, at most
	// 1000. Default 1000.
	PageSize int
}

// Source lists and reads the files of a Cloud Storage bucket under a
// folder. It is safe for concurrent use.
type Source struct {
	bucket *gcsblob.Bucket
}

// New returns the Source of d, a gs data source, from its gs_bucket
// (required), gs_prefix, gs_service_account_key (the JSON key; "" for
// Application Default Credentials) and connection_timeout. It checks the
// key but does not contact the server: refused credentials or a missing
// bucket show in the first List. A nil opts means defaults.
func New(ctx context.Context, d *qluster.DataSource, opts *Options) (*Source, error) {
	if opts == nil {
		opts = &Options{}
	}
	switch {
	case d == nil:
		return nil, errors.New("gcssource.New: the data source is required")
	case d.DataSourceType != qluster.DataSourceTypeGs && d.DataSourceType != "":
		return nil, fmt.Errorf("gcssource.New: data_source_type is %q; want %q", d.DataSourceType, qluster.DataSourceTypeGs)
	case d.GSBucket == "":
		return nil, errors.New("gcssource.New: gs_bucket is required")
	case d.ConnectionTimeout < 0:
		return nil, fmt.Errorf("gcssource.New: connection_timeout is %d; it must be a positive number of seconds", d.ConnectionTimeout)
	}
	timeout := DefaultConnectionTimeout
	if d.ConnectionTimeout > 0 {
		timeout = time.Duration(d.ConnectionTimeout) * time.Second
	}
	b, err := gcsblob.Open(ctx, d.GSBucket, &gcsblob.Options{
		ServiceAccountKey: d.GSServiceAccountKey,
		Endpoint:          opts.Endpoint,
		Prefix:            objects.Folder(d.GSPrefix),
		ConnectTimeout:    timeout,
		ListPageSize:      opts.PageSize,
	})
	if err != nil {
		return nil, fmt.Errorf("gcssource.New: %w", err)
	}
	return &Source{bucket: b}, nil
}

// List returns every file under the folder, subfolders included, keyed by
// its path below the folder ("a.csv", "2024/05/b.csv"). Empty "folder"
// objects (names ending in "/") are skipped. A bucket with no file under
// the folder lists nothing, without error: Cloud Storage has no folders to
// be missing.
func (s *Source) List(ctx context.Context) ([]qluster.RemoteFile, error) {
	return objects.ListAll(ctx, s.bucket)
}

// Open streams the file at key (a key List returned). The caller closes it,
// and keeps ctx alive until then. A missing key returns a
// *qluster.NotFoundError.
func (s *Source) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.bucket.Get(ctx, key)
}

// Delete removes the file at key; a missing key is not an error.
func (s *Source) Delete(ctx context.Context, key string) error {
	return s.bucket.Delete(ctx, key)
}

// Close closes the Source's client and connections.
func (s *Source) Close() error { return s.bucket.Close() }
