package testservers

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
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
	return "http://" + startGCS(t, func(addr string) string { return addr })
}

// GCSBehind is GCS reached through p: it starts fake-gcs-server, points p
// at it and returns p's endpoint, which is also the server's public host (so
// that the XML API answers requests sent to p). Cutting p's connections
// then cuts the client's downloads.
func GCSBehind(t testing.TB, p *Proxy) (endpoint string) {
	t.Helper()
	p.SetTarget(startGCS(t, func(string) string { return p.Addr() }))
	return "http://" + p.Addr()
}

// startGCS starts fake-gcs-server and returns its address; publicHost
// gives its public host from that address.
func startGCS(t testing.TB, publicHost func(addr string) string) (addr string) {
	t.Helper()
	bin := fakeGCSServer.binary(t)
	return startServer(t, bin, func(port int) []string {
		return []string{
			"-scheme", "http", "-host", "127.0.0.1", "-port", strconv.Itoa(port),
			"-backend", "memory", "-log-level", "warn",
			// XML API requests (reads, signed URLs) are told apart by their
			// Host; the default is storage.googleapis.com.
			"-public-host", publicHost("127.0.0.1:" + strconv.Itoa(port)),
		}
	}, answersHTTP("/storage/v1/b"))
}

// GCSServiceAccountEmail is the client_email of the keys GCSServiceAccount
// makes.
const GCSServiceAccountEmail = "qluster-test@qluster-test.iam.gserviceaccount.com"

// gcsRSAKey is the private key of GCSServiceAccount's keys, made once per
// test binary (an RSA key takes a while to generate under the race
// detector).
var gcsRSAKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// GCSServiceAccount returns a service account JSON key, as the Cloud
// console downloads it, for the account GCSServiceAccountEmail, and the
// public half of its RSA key (to check signed URLs). Its token_uri is an
// OAuth 2.0 token endpoint on loopback, stopped when t ends, that answers
// the JWT grant with an access token when grant is true, and refuses it
// as Google does for a deleted key (400 invalid_grant) when it is false.
// fake-gcs-server accepts any token.
func GCSServiceAccount(t testing.TB, grant bool) (key string, public *rsa.PublicKey) {
	t.Helper()
	priv, err := gcsRSAKey()
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.ParseForm() != nil || r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || r.Form.Get("assertion") == "":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"unsupported_grant_type"}`)
		case !grant:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`)
		default:
			_, _ = io.WriteString(w, `{"access_token":"testservers-token","token_type":"Bearer","expires_in":3600}`)
		}
	}))
	t.Cleanup(tokens.Close)
	b, err := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "qluster-test",
		"private_key_id": "0123456789abcdef",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   GCSServiceAccountEmail,
		"client_id":      "1234567890",
		"token_uri":      tokens.URL + "/token",
	})
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	return string(b), &priv.PublicKey
}
