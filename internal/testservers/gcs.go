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
// /storage/v1/, uploads under /upload/storage/v1/, and the XML API (which
// the Go client reads objects with, and signed URLs use) at
// /BUCKET/OBJECT, its public host being the endpoint's. It has no buckets and
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
			// XML API requests (reads, signed URLs) are told apart by their
			// Host; the default is storage.googleapis.com.
			"-public-host", "127.0.0.1:" + strconv.Itoa(port),
		}
	}, answersHTTP("/storage/v1/b"))
	return "http://" + addr
}
