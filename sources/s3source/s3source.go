package s3source

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/sources/internal/objects"
	"github.com/openqluster/qluster-go/storage/blob/s3blob"
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
	// PageSize is how many keys each List request asks for, at most 1000.
	// Default 1000.
	PageSize int32
}

// Source lists and reads the files of an S3 (or MinIO, or other
// S3-compatible) bucket under a folder. It is safe for concurrent use.
type Source struct {
	bucket  *s3blob.Bucket
	bufSize int
}

// maxBufferSize caps s3_default_buffer_size: a larger buffer only holds
// memory while the response streams in anyway.
const maxBufferSize = 64 << 20

// New returns the Source of d, an s3 or minio data source, from its s3_*
// fields (s3_bucket is required; s3_endpoint_url too for minio;
// s3_default_buffer_size sizes the read buffer of each download, at most
// 64 MiB, 0 for none) and its connection_timeout. It does not contact the server: refused credentials
// or a missing bucket show in the first List or Open. A nil opts means
// defaults.
func New(ctx context.Context, d *qluster.DataSource, opts *Options) (*Source, error) {
	if opts == nil {
		opts = &Options{}
	}
	if d == nil {
		return nil, errors.New("s3source.New: the data source is required")
	}
	switch d.DataSourceType {
	case qluster.DataSourceTypeS3, "":
	case qluster.DataSourceTypeMinio:
		if d.S3EndpointURL == "" {
			return nil, errors.New("s3source.New: s3_endpoint_url is required for a minio data source (such as http://minio.internal:9000)")
		}
	default:
		return nil, fmt.Errorf("s3source.New: data_source_type is %q; want %q or %q",
			d.DataSourceType, qluster.DataSourceTypeS3, qluster.DataSourceTypeMinio)
	}
	if d.S3Bucket == "" {
		return nil, errors.New("s3source.New: s3_bucket is required")
	}
	if (d.S3AccessKey == "") != (d.S3SecretKey == "") {
		return nil, errors.New("s3source.New: s3_access_key and s3_secret_key must be set together (or both left empty for the environment's credentials)")
	}
	if d.S3EndpointURL != "" {
		if u, err := url.Parse(d.S3EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("s3source.New: s3_endpoint_url %q is not an http(s) URL such as https://minio.internal:9000", d.S3EndpointURL)
		}
	}
	if d.ConnectionTimeout < 0 {
		return nil, fmt.Errorf("s3source.New: connection_timeout is %d; it must be a positive number of seconds", d.ConnectionTimeout)
	}
	timeout := DefaultConnectionTimeout
	if d.ConnectionTimeout > 0 {
		timeout = time.Duration(d.ConnectionTimeout) * time.Second
	}
	b, err := s3blob.Open(ctx, d.S3Bucket, &s3blob.Options{
		Region:         d.S3RegionName,
		Endpoint:       d.S3EndpointURL,
		AccessKey:      d.S3AccessKey,
		SecretKey:      d.S3SecretKey,
		Prefix:         objects.Folder(d.S3Prefix),
		ConnectTimeout: timeout,
		ListPageSize:   opts.PageSize,
	})
	if err != nil {
		return nil, fmt.Errorf("s3source.New: %w", err)
	}
	return &Source{bucket: b, bufSize: int(min(max(d.S3DefaultBufferSize, 0), maxBufferSize))}, nil
}

// List returns every file under the folder, subfolders included, keyed by
// its path below the folder ("a.csv", "2024/05/b.csv"). Empty "folder"
// objects (keys ending in "/") are skipped. A bucket with no file under the
// folder lists nothing, without error: S3 has no folders to be missing.
func (s *Source) List(ctx context.Context) ([]qluster.RemoteFile, error) {
	return objects.ListAll(ctx, s.bucket)
}

// Open streams the file at key (a key List returned). The caller closes it,
// and keeps ctx alive until then. A missing key returns a
// *qluster.NotFoundError.
func (s *Source) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.bucket.Get(ctx, key)
	if err != nil || s.bufSize <= 0 {
		return rc, err
	}
	return bufferedBody{bufio.NewReaderSize(rc, s.bufSize), rc}, nil
}

// bufferedBody reads a response body through a buffer of
// s3_default_buffer_size, so the parser's small reads do not each wait on
// the network.
type bufferedBody struct {
	*bufio.Reader
	io.Closer
}

// Delete removes the file at key; a missing key is not an error.
func (s *Source) Delete(ctx context.Context, key string) error {
	return s.bucket.Delete(ctx, key)
}

// Close releases the Source's idle connections.
func (s *Source) Close() error { return s.bucket.Close() }
