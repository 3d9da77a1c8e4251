package testservers_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
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

func TestGCSServiceAccount(t *testing.T) {
	t.Parallel()
	for _, grant := range []bool{true, false} {
		key, public := testservers.GCSServiceAccount(t, grant)
		require.NotNil(t, public)
		var fields map[string]string
		require.NoError(t, json.Unmarshal([]byte(key), &fields))
		require.Equal(t, "service_account", fields["type"])
		require.Equal(t, testservers.GCSServiceAccountEmail, fields["client_email"])
		require.Contains(t, fields["private_key"], "-----BEGIN PRIVATE KEY-----")

		resp, err := http.PostForm(fields["token_uri"], url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion":  {"a.signed.jwt"},
		})
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		if grant {
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Contains(t, string(body), `"access_token"`)
		} else {
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			require.Contains(t, string(body), `"invalid_grant"`)
		}
	}
}

func TestClosedAddr(t *testing.T) {
	t.Parallel()
	addr := testservers.ClosedAddr(t)
	require.True(t, strings.HasPrefix(addr, "127.0.0.1:"), addr)
	_, err := net.Dial("tcp", addr)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
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
