package gcsblob

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"

	"github.com/openqluster/qluster-go/qluster"
)

// Classify returns the qluster sentinel that an error of the Cloud Storage
// client means: qluster.ErrNotFound (storage.ErrObjectNotExist),
// qluster.ErrBucketNotFound (storage.ErrBucketNotExist),
// qluster.ErrAccessDenied (a 401 or 403 from the API, or an access token
// refused by the token endpoint: a deleted or disabled key, a wrong
// signature), qluster.ErrConnection (the server or the token endpoint could
// not be reached: a refused or timed-out connection, an unknown host, a TLS
// failure), or nil for any other error. A cancelled or expired ctx is not a
// connection failure: it returns nil, and the error still matches ctx.Err().
func Classify(err error) error {
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil
	case errors.Is(err, storage.ErrBucketNotExist):
		return qluster.ErrBucketNotFound
	case errors.Is(err, storage.ErrObjectNotExist):
		return qluster.ErrNotFound
	}
	var apiErr *googleapi.Error
	if errors.As(err, &apiErr) {
		switch apiErr.Code {
		case http.StatusUnauthorized, http.StatusForbidden:
			return qluster.ErrAccessDenied
		}
	}
	var authErr *auth.Error
	if errors.As(err, &authErr) && authErr.Response != nil {
		// The token endpoint answers 400 invalid_grant for a deleted key or
		// a bad signature, 401 for an unknown client.
		if c := authErr.Response.StatusCode; c >= 400 && c < 500 {
			return qluster.ErrAccessDenied
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return qluster.ErrConnection
	}
	return nil
}

// wrapError names the operation and the object (as gs://bucket/key, prefix
// included), and makes err match the sentinel Classify finds, keeping the
// client's error in the chain. on404 is what a 404 Classify cannot place
// means for this operation (nil: nothing).
func (b *Bucket) wrapError(op, key string, err, on404 error) error {
	sentinel := Classify(err)
	var apiErr *googleapi.Error
	if sentinel == nil && on404 != nil && errors.As(err, &apiErr) && apiErr.Code == http.StatusNotFound {
		sentinel = on404
	}
	if sentinel != nil {
		return fmt.Errorf("%s %q: %w: %w", op, b.location(key), sentinel, err)
	}
	return fmt.Errorf("%s %q: %w", op, b.location(key), err)
}
