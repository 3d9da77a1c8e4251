package testservers

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// VersityGWVersion is the version of versitygw that S3 runs.
const VersityGWVersion = "v1.8.0"

var versitygw = &program{
	name:    "versitygw",
	pkg:     "github.com/versity/versitygw/cmd/versitygw",
	version: VersityGWVersion,
	envPath: "QLUSTER_VERSITYGW",
}

// S3 starts versitygw (an S3 gateway storing buckets as directories) on a
// free port of 127.0.0.1 over a fresh temporary directory, and returns its
// endpoint ("http://127.0.0.1:PORT") and the root user's credentials, made
// up for this server. It has no buckets: create them through the S3 API.
// Clients must use path-style addressing and may use any region. The server
// stops when t ends. versitygw is installed on first use (see the package
// documentation); a failed install fails t.
func S3(t testing.TB) (endpoint, accessKey, secretKey string) {
	t.Helper()
	bin := versitygw.binary(t)
	dir := t.TempDir()
	accessKey, secretKey = "qluster"+randomHex(t, 6), randomHex(t, 20)
	addr := startServer(t, bin, func(port int) []string {
		return []string{
			"--access", accessKey, "--secret", secretKey,
			"--port", "127.0.0.1:" + strconv.Itoa(port),
			"posix", dir,
		}
	}, answersHTTP("/"))
	return "http://" + addr, accessKey, secretKey
}

// answersHTTP returns a readiness check: an HTTP GET of path gets any
// response at all (an S3 server refuses an unsigned request, and that is
// an answer).
func answersHTTP(path string) func(addr string) bool {
	client := &http.Client{Timeout: time.Second}
	return func(addr string) bool {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return true
	}
}
