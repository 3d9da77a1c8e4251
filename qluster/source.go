package qluster

import (
	"context"
	"io"
	"time"
)

// RemoteFile is one file a Source lists.
type RemoteFile struct {
	// Key names the file at the source (a path or object key).
	Key string
	// Size is its length in bytes, -1 when unknown.
	Size int64
	// ModTime is when it last changed, zero when unknown.
	ModTime time.Time
	// ETag is the source's version tag of the content, "" when unknown.
	ETag string
}

// Source is where a data source's files come from: an S3 or GCS bucket, an
// SFTP folder, a Dropbox folder, or files pushed to Qluster.
//
// List and Open honour ctx (the data source's connection_timeout bounds each
// call). Errors that callers act on match ErrAccessDenied, ErrBucketNotFound,
// ErrPathNotFound or ErrConnection, so the sensor raises the right alert.
type Source interface {
	// List returns every file under the source's folder or prefix, in any
	// order. Filtering by pattern is the caller's.
	List(ctx context.Context) ([]RemoteFile, error)
	// Open streams one file's bytes. The caller closes it.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Close releases the source's connections.
	Close() error
}

// SourceDeleter is a Source that can delete a file once it is backed up
// (delete_source_file_after_backup).
type SourceDeleter interface {
	Delete(ctx context.Context, key string) error
}
