package analyzer

import (
	"context"
	"fmt"
	"io"
)

func walkXLS(ctx context.Context, s *settings, ra io.ReaderAt, size int64, name string, containers []string, fn func(*Table) error) error {
	return fmt.Errorf("%w: %s: xls is not supported yet", ErrUnsupported, name)
}
