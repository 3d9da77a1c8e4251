package qluster

import (
	"context"
	"io"
	"time"
)

// Backup is where raw files are kept: every later step reads the backup,
// never the source. Implementations store bytes as given; compression and
// encryption are applied by the caller (see storage/blob).
//
// Get of a key that does not exist returns an error matching ErrNotFound.
type Backup interface {
	// Put stores everything r yields under key, replacing what was there,
	// and returns the number of bytes written. It streams: r is never held
	// in memory whole. The object appears only once it is complete.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Get opens the object at key. The caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the object at key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// SignedUpload is a URL a client may upload a file to directly.
type SignedUpload struct {
	URL        string            `json:"url"`
	HTTPMethod string            `json:"http_method"`
	Fields     map[string]string `json:"fields"`
	ExpiresAt  time.Time         `json:"expires_at"`
}

// SignedUploader is a Backup that can hand out pre-signed upload URLs.
type SignedUploader interface {
	// SignUpload returns a URL that accepts the bytes of key until expires.
	SignUpload(ctx context.Context, key string, expires time.Time) (*SignedUpload, error)
}
