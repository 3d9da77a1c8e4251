package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgtest"
)

// TestCustomDestination runs the example: the file's rows land in CSV files.
func TestCustomDestination(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	require.NoError(t, run(context.Background(), pgtest.NewDatabase(t), out, "../data/orders_2024-06.csv"))
	files, err := filepath.Glob(filepath.Join(out, "csv", "*", "*.csv"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	require.Equal(t, 36, strings.Count(string(b), "\n"), "the header and the file's 35 rows")
}
