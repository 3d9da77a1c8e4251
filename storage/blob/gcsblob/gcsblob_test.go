package gcsblob_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/testservers"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
	"github.com/openqluster/qluster-go/storage/blob/gcsblob"
)

const testAccount = testservers.GCSServiceAccountEmail

// server is a running fake-gcs-server, and a key of a service account
// whose token endpoint grants tokens.
type server struct {
	endpoint, key string
	public        *rsa.PublicKey
}

func startServer(t *testing.T) *server {
	t.Helper()
	key, public := testservers.GCSServiceAccount(t, true)
	return &server{endpoint: testservers.GCS(t), key: key, public: public}
}

func (s *server) options() *gcsblob.Options {
	return &gcsblob.Options{Endpoint: s.endpoint, ServiceAccountKey: s.key}
}

// open opens bucket on s with opts (nil: s.options()), closed when t ends.
func (s *server) open(t *testing.T, bucket string, opts *gcsblob.Options) *gcsblob.Bucket {
	t.Helper()
	if opts == nil {
		opts = s.options()
	}
	b, err := gcsblob.Open(t.Context(), bucket, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	return b
}

// newBucket creates a bucket on s and opens it with opts (nil: s.options()).
func (s *server) newBucket(t *testing.T, name string, opts *gcsblob.Options) *gcsblob.Bucket {
	t.Helper()
	b := s.open(t, name, opts)
	require.NoError(t, b.Client().Bucket(name).Create(t.Context(), "qluster-test", nil))
	return b
}

func TestBackupConformance(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.newBucket(t, "conformance", nil)
	qlustertest.RunBackupTests(t, func(*testing.T) qluster.Backup { return b })
}

func TestBackupConformanceWithoutCredentialsSmallChunks(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.newBucket(t, "anonymous", &gcsblob.Options{
		Endpoint:  s.endpoint,
		Prefix:    "qluster/backups/",
		ChunkSize: 1 << 20,
	})
	qlustertest.RunBackupTests(t, func(*testing.T) qluster.Backup { return b })
	for f, err := range s.open(t, "anonymous", nil).List(t.Context(), "") {
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(f.Key, "qluster/backups/qlustertest/"), "object %q is outside the prefix", f.Key)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	opts := s.options()
	opts.Prefix = "p/"
	opts.ListPageSize = 2 // five keys take three requests
	b := s.newBucket(t, "listing", opts)
	ctx := t.Context()
	before := time.Now().Add(-time.Minute)
	for _, k := range []string{"in/a.csv", "in/b.csv", "in/sub/c.csv", "in/d.csv", "in/e.csv", "out/f.csv", "in/folder/"} {
		_, err := b.Put(ctx, k, strings.NewReader("content of "+k))
		require.NoError(t, err)
	}

	var keys []string
	generations := map[string]string{}
	for f, err := range b.List(ctx, "in/") {
		require.NoError(t, err)
		keys = append(keys, f.Key)
		require.EqualValues(t, len("content of ")+len(f.Key), f.Size, f.Key)
		require.WithinRange(t, f.ModTime, before, time.Now().Add(time.Minute), f.Key)
		require.NotEmpty(t, f.ETag, f.Key)
		generations[f.Key] = f.ETag
	}
	require.Equal(t, []string{"in/a.csv", "in/b.csv", "in/d.csv", "in/e.csv", "in/sub/c.csv"}, keys)

	// Rewriting an object changes its ETag.
	_, err := b.Put(ctx, "in/a.csv", strings.NewReader("new"))
	require.NoError(t, err)
	for f, err := range b.List(ctx, "in/a") {
		require.NoError(t, err)
		require.NotEqual(t, generations["in/a.csv"], f.ETag)
	}
}

func TestSignUpload(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	opts := s.options()
	opts.Prefix = "uploads/"
	b := s.newBucket(t, "signed", opts)
	ctx := t.Context()
	expires := time.Now().Add(time.Hour)

	u, err := b.SignUpload(ctx, "datasets/7/orders 2024.csv", expires)
	require.NoError(t, err)
	require.Equal(t, http.MethodPut, u.HTTPMethod)
	require.Empty(t, u.Fields)
	require.WithinDuration(t, expires, u.ExpiresAt, 2*time.Second)
	require.False(t, u.ExpiresAt.After(expires), "the URL may not outlive what was asked")
	endpoint, err := url.Parse(s.endpoint)
	require.NoError(t, err)
	parsed := verifyV4(t, u.URL, s.public)
	require.Equal(t, endpoint.Host, parsed.Host)
	require.Equal(t, "/signed/uploads/datasets/7/orders%202024.csv", parsed.EscapedPath())

	// The signature covers the key and the expiry.
	for _, forged := range []string{
		strings.Replace(u.URL, "orders%202024.csv", "hacked.csv", 1),
		strings.Replace(u.URL, "X-Goog-Expires=", "X-Goog-Expires=9", 1),
	} {
		f, err := url.Parse(forged)
		require.NoError(t, err)
		require.NotEqual(t, u.URL, forged)
		require.Error(t, checkV4(f, s.public), forged)
	}

	// fake-gcs-server checks no signature, but takes the upload.
	body := []byte("id,total\n1,9.99\n")
	require.Equal(t, http.StatusOK, put(t, u.URL, body))
	rc, err := b.Get(ctx, "datasets/7/orders 2024.csv")
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, body, got)

	_, err = b.SignUpload(ctx, "k", time.Now().Add(-time.Second))
	require.ErrorContains(t, err, "not in the future")
	_, err = b.SignUpload(ctx, "k", time.Now().Add(8*24*time.Hour))
	require.ErrorContains(t, err, "more than 7 days")
	_, err = b.SignUpload(ctx, "", time.Now().Add(time.Hour))
	require.ErrorContains(t, err, "invalid key")
}

// verifyV4 checks that rawURL is a V4 signed PUT URL for testAccount,
// signed with the private key of pub, and returns it parsed.
func verifyV4(t *testing.T, rawURL string, pub *rsa.PublicKey) *url.URL {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	require.NoError(t, checkV4(u, pub), "the signature does not verify with the service account's public key")
	return u
}

// checkV4 checks the signature of a V4 signed PUT URL of testAccount as
// Cloud Storage would
// (https://cloud.google.com/storage/docs/authentication/signatures).
func checkV4(u *url.URL, pub *rsa.PublicKey) error {
	q := u.Query()
	credential := q.Get("X-Goog-Credential")
	switch {
	case q.Get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256":
		return fmt.Errorf("X-Goog-Algorithm is %q", q.Get("X-Goog-Algorithm"))
	case q.Get("X-Goog-SignedHeaders") != "host":
		return fmt.Errorf("X-Goog-SignedHeaders is %q", q.Get("X-Goog-SignedHeaders"))
	case !strings.HasPrefix(credential, testAccount+"/"):
		return fmt.Errorf("X-Goog-Credential is %q", credential)
	}
	signature, err := hex.DecodeString(q.Get("X-Goog-Signature"))
	if err != nil {
		return err
	}
	escape := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var query []string
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if name != "X-Goog-Signature" {
			query = append(query, escape(name)+"="+escape(q.Get(name)))
		}
	}
	canonical := strings.Join([]string{
		http.MethodPut,
		u.EscapedPath(),
		strings.Join(query, "&"),
		// The client signs the host without its port, as GCS (on 443) sees it.
		"host:" + u.Hostname() + "\n",
		"host",
		"UNSIGNED-PAYLOAD",
	}, "\n")
	digest := sha256.Sum256([]byte(canonical))
	toSign := strings.Join([]string{
		"GOOG4-RSA-SHA256",
		q.Get("X-Goog-Date"),
		strings.TrimPrefix(credential, testAccount+"/"),
		hex.EncodeToString(digest[:]),
	}, "\n")
	hashed := sha256.Sum256([]byte(toSign))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, hashed[:], signature)
}

// put sends body to a signed URL with plain net/http and returns the status.
func put(t *testing.T, rawURL string, body []byte) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, rawURL, bytes.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

func TestErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.newBucket(t, "exists", nil)
	ctx := t.Context()

	// every runs the operations of b named in ops and returns their errors.
	every := func(b *gcsblob.Bucket, ops ...string) map[string]error {
		errs := map[string]error{}
		for _, op := range ops {
			switch op {
			case "Put":
				_, errs[op] = b.Put(ctx, "k", strings.NewReader("x"))
			case "Get":
				_, errs[op] = b.Get(ctx, "k")
			case "Delete":
				errs[op] = b.Delete(ctx, "k")
			case "List":
				for _, err := range b.List(ctx, "") {
					errs[op] = err
				}
			}
		}
		return errs
	}
	all := []string{"Put", "Get", "Delete", "List"}

	t.Run("token refused", func(t *testing.T) {
		t.Parallel()
		opts := s.options()
		opts.ServiceAccountKey, _ = testservers.GCSServiceAccount(t, false)
		for op, err := range every(s.open(t, "exists", opts), all...) {
			require.ErrorIs(t, err, qluster.ErrAccessDenied, op)
			require.ErrorContains(t, err, "gcsblob."+op, op)
		}
	})

	t.Run("API refuses", func(t *testing.T) {
		t.Parallel()
		// Cloud Storage's answer to a token without access to the bucket.
		forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"error":{"code":403,"message":"`+testAccount+` does not have storage.objects.get access.","errors":[{"reason":"forbidden"}]}}`)
		}))
		t.Cleanup(forbidden.Close)
		opts := s.options()
		opts.Endpoint = forbidden.URL
		for op, err := range every(s.open(t, "exists", opts), all...) {
			require.ErrorIs(t, err, qluster.ErrAccessDenied, op)
		}
	})

	t.Run("missing bucket", func(t *testing.T) {
		t.Parallel()
		b := s.open(t, "does-not-exist", nil)
		for op, err := range every(b, "Put", "List") {
			require.ErrorIs(t, err, qluster.ErrBucketNotFound, op)
		}
		// Reads cannot tell a missing bucket from a missing object.
		_, err := b.Get(ctx, "k")
		require.ErrorIs(t, err, qluster.ErrNotFound)
	})

	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		opts := s.options()
		opts.Endpoint = "http://" + testservers.ClosedAddr(t)
		opts.ConnectTimeout = 2 * time.Second
		for op, err := range every(s.open(t, "exists", opts), all...) {
			require.ErrorIs(t, err, qluster.ErrConnection, op)
		}
	})

	t.Run("token endpoint unreachable", func(t *testing.T) {
		t.Parallel()
		opts := s.options()
		opts.ServiceAccountKey = withTokenURI(t, s.key, "http://"+testservers.ClosedAddr(t)+"/token")
		for op, err := range every(s.open(t, "exists", opts), all...) {
			require.ErrorIs(t, err, qluster.ErrConnection, op)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.open(t, "exists", nil).Get(cctx, "k")
		require.ErrorIs(t, err, context.Canceled)
		require.NotErrorIs(t, err, qluster.ErrConnection)
	})
}

// withTokenURI returns the service account key with another token_uri.
func withTokenURI(t *testing.T, key, uri string) string {
	t.Helper()
	var fields map[string]string
	require.NoError(t, json.Unmarshal([]byte(key), &fields))
	fields["token_uri"] = uri
	b, err := json.Marshal(fields)
	require.NoError(t, err)
	return string(b)
}

func TestOpenValidates(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for want, opts := range map[string]*gcsblob.Options{
		"bucket is required":             nil,
		"is not JSON":                    {ServiceAccountKey: "not json"},
		`"type": "authorized_user"`:      {ServiceAccountKey: `{"type":"authorized_user"}`},
		"lacks client_email":             {ServiceAccountKey: `{"type":"service_account","private_key":"x"}`},
		"not an http(s) URL":             {Endpoint: "127.0.0.1:4443"},
		"ChunkSize is -1":                {ChunkSize: -1},
		"ConnectTimeout is -1s":          {ConnectTimeout: -time.Second},
		"ListPageSize is 1001":           {ListPageSize: 1001},
		"private_key is not a PEM block": {ServiceAccountKey: `{"type":"service_account","client_email":"a@b","private_key":"not a key"}`},
		"private_key does not parse":     {ServiceAccountKey: `{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}`},
		"not an http(s) URL such as ht":  {Endpoint: "ftp://x"},
	} {
		bucket := "b"
		if opts == nil {
			bucket = ""
		}
		_, err := gcsblob.Open(ctx, bucket, opts)
		require.ErrorContains(t, err, want)
		require.ErrorContains(t, err, "gcsblob.Open: ")
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	b, err := gcsblob.Open(t.Context(), "b", &gcsblob.Options{Endpoint: "http://127.0.0.1:1", Prefix: strings.Repeat("p", 1000)})
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()
	for _, key := range []string{"", "\xff", "a\nb", strings.Repeat("k", 25)} {
		_, err := b.Put(t.Context(), key, strings.NewReader("x"))
		require.ErrorContains(t, err, "gcsblob.Put: invalid key", "%q", key)
		_, err = b.Get(t.Context(), key)
		require.ErrorContains(t, err, "gcsblob.Get: invalid key", "%q", key)
		require.ErrorContains(t, b.Delete(t.Context(), key), "gcsblob.Delete: invalid key", "%q", key)
	}
}
