package streamsource

import (
	"context"
	"fmt"
	"io"

	"github.com/openqluster/qluster-go/qluster"
)

// Source is the Source of a stream data source: it lists nothing and opens
// nothing (see the package documentation). The zero value is ready to use
// and safe for concurrent use.
type Source struct{}

var _ qluster.Source = (*Source)(nil)

// New returns the Source of a stream data source.
func New() *Source { return &Source{} }

// List returns no files: those of a stream data source are uploaded, not
// listed. It fails only when ctx is done.
func (*Source) List(ctx context.Context) ([]qluster.RemoteFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("streamsource.List: %w", err)
	}
	return nil, nil
}

// Open returns an error matching qluster.ErrNotFound (or ctx's error when ctx
// is done): the files of a stream data source arrive through
// POST /api/data-sources/{id}/upload and are read from the backup.
func (*Source) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("streamsource.Open %q: %w", key, err)
	}
	return nil, fmt.Errorf("streamsource.Open %q: %w: the files of a stream data source arrive through POST /api/data-sources/{id}/upload and are read from the backup",
		key, qluster.ErrNotFound)
}

// Close does nothing.
func (*Source) Close() error { return nil }
