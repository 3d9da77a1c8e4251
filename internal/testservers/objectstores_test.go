package testservers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/testservers"
)

func TestS3(t *testing.T) {
	t.Parallel()
	var endpoint string
	t.Run("running", func(t *testing.T) {
		var accessKey, secretKey string
		endpoint, accessKey, secretKey = testservers.S3(t)
		require.True(t, strings.HasPrefix(endpoint, "http://127.0.0.1:"), endpoint)
		require.NotEmpty(t, accessKey)
		require.NotEmpty(t, secretKey)
		// An unsigned request is refused, by S3 itself.
		resp, err := http.Get(endpoint + "/")
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		// Each call starts a server of its own.
		other, otherKey, _ := testservers.S3(t)
		require.NotEqual(t, endpoint, other)
		require.NotEqual(t, accessKey, otherKey)
	})
	requireStopped(t, endpoint)
}

func TestGCS(t *testing.T) {
	t.Parallel()
	var endpoint string
	t.Run("running", func(t *testing.T) {
		endpoint = testservers.GCS(t)
		require.True(t, strings.HasPrefix(endpoint, "http://127.0.0.1:"), endpoint)
		resp, err := http.Get(endpoint + "/storage/v1/b")
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode)
	})
	requireStopped(t, endpoint)
}

// requireStopped checks that nothing answers at endpoint any more.
func requireStopped(t *testing.T, endpoint string) {
	t.Helper()
	resp, err := http.Get(endpoint + "/")
	if err == nil {
		_ = resp.Body.Close()
	}
	require.Error(t, err, "the server must stop when its test ends")
}
