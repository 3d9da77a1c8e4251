package streamsource_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
	"github.com/openqluster/qluster-go/sources/streamsource"
)

func TestSourceConformance(t *testing.T) {
	t.Parallel()
	qlustertest.RunSourceTests(t, func(t *testing.T) (qluster.Source, func(key, content string)) {
		s := streamsource.New()
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		return s, nil // files are pushed by upload; a test cannot place them
	})
}

func TestOpenNamesTheUploadEndpoint(t *testing.T) {
	t.Parallel()
	_, err := streamsource.New().Open(t.Context(), "orders.csv")
	require.ErrorIs(t, err, qluster.ErrNotFound)
	require.ErrorContains(t, err, "POST /api/data-sources/{id}/upload")
}

func TestNotADeleter(t *testing.T) {
	t.Parallel()
	var s qluster.Source = streamsource.New()
	_, ok := s.(qluster.SourceDeleter)
	require.False(t, ok, "a stream source has no original to delete")
}
