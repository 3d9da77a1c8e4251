package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgtest"
)

// TestEmbedded runs the example against a fresh database: the file is
// trained on and loaded without a server.
func TestEmbedded(t *testing.T) {
	t.Parallel()
	require.NoError(t, run(context.Background(), pgtest.NewDatabase(t), t.TempDir(), "../data/orders_2024-05.csv"))
}
