package testservers

import (
	"strconv"
	"testing"
)

// FakeGCSServerVersion is the version of fake-gcs-server that GCS runs.
const FakeGCSServerVersion = "v1.56.1"

var fakeGCSServer = &program{
	name:    "fake-gcs-server",
	pkg:     "github.com/fsouza/fake-gcs-server",
	version: FakeGCSServerVersion,
	envPath: "QLUSTER_FAKE_GCS_SERVER",
}

// GCS starts fake-gcs-server (an emulator of the Google Cloud Storage JSON
// and XML APIs, keeping objects in memory) on a free port of 127.0.0.1 and
// returns its endpoint ("http://127.0.0.1:PORT"); the JSON API is under
// /storage/v1/ and uploads under /upload/storage/v1/. It has no buckets and
// checks no credentials. The server stops when t ends. fake-gcs-server is
// installed on first use (see the package documentation); a failed install
// fails t.
func GCS(t testing.TB) (endpoint string) {
	t.Helper()
	bin := fakeGCSServer.binary(t)
	addr := startServer(t, bin, func(port int) []string {
		return []string{
			"-scheme", "http", "-host", "127.0.0.1", "-port", strconv.Itoa(port),
			"-backend", "memory", "-log-level", "warn",
		}
	}, answersHTTP("/storage/v1/b"))
	return "http://" + addr
}
