package s3blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/testservers"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
	"github.com/openqluster/qluster-go/storage/blob/s3blob"
)

// server is a running S3 server and how to reach it.
type server struct {
	endpoint, accessKey, secretKey string
}

func startServer(t *testing.T) *server {
	t.Helper()
	endpoint, accessKey, secretKey := testservers.S3(t)
	return &server{endpoint: endpoint, accessKey: accessKey, secretKey: secretKey}
}

// options returns Options reaching s with its credentials.
func (s *server) options() *s3blob.Options {
	return &s3blob.Options{Endpoint: s.endpoint, AccessKey: s.accessKey, SecretKey: s.secretKey}
}

// open opens bucket on s with opts (nil: s.options()) and closes it when t ends.
func (s *server) open(t *testing.T, bucket string, opts *s3blob.Options) *s3blob.Bucket {
	t.Helper()
	if opts == nil {
		opts = s.options()
	}
	b, err := s3blob.Open(t.Context(), bucket, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	return b
}

// newBucket creates a bucket on s and opens it with opts (nil: s.options()).
func (s *server) newBucket(t *testing.T, name string, opts *s3blob.Options) *s3blob.Bucket {
	t.Helper()
	b := s.open(t, name, opts)
	_, err := b.Client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	require.NoError(t, err)
	return b
}

// objectKeys lists the raw keys of bucket b, prefix included.
func objectKeys(t *testing.T, b *s3blob.Bucket) []string {
	t.Helper()
	out, err := b.Client().ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(b.Name())})
	require.NoError(t, err)
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func TestBackupConformance(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.newBucket(t, "conformance", nil)
	qlustertest.RunBackupTests(t, func(*testing.T) qluster.Backup { return b })
}

func TestBackupConformanceWithPrefixAndSmallParts(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	opts := s.options()
	opts.Prefix = "qluster/backups/"
	opts.PartSize = s3blob.MinPartSize
	opts.Concurrency = 2
	b := s.newBucket(t, "prefixed", opts)
	qlustertest.RunBackupTests(t, func(*testing.T) qluster.Backup { return b })
	for _, k := range objectKeys(t, b) {
		require.True(t, strings.HasPrefix(k, "qluster/backups/qlustertest/"), "object %q is outside the prefix", k)
	}
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	opts := s.options()
	opts.Prefix = "team/"
	b := s.newBucket(t, "shared", opts)
	plain := s.open(t, "shared", nil)
	ctx := t.Context()

	_, err := b.Put(ctx, "datasets/7/a.csv", strings.NewReader("a"))
	require.NoError(t, err)
	require.Equal(t, []string{"team/datasets/7/a.csv"}, objectKeys(t, b))
	rc, err := plain.Get(ctx, "team/datasets/7/a.csv")
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	_, err = plain.Get(ctx, "datasets/7/a.csv")
	require.ErrorIs(t, err, qluster.ErrNotFound)

	require.NoError(t, b.Delete(ctx, "datasets/7/a.csv"))
	require.Empty(t, objectKeys(t, b))
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
	for _, k := range []string{"in/a.csv", "in/b.csv", "in/sub/c.csv", "in/d.csv", "in/e.csv", "out/f.csv"} {
		_, err := b.Put(ctx, k, strings.NewReader("content of "+k))
		require.NoError(t, err)
	}
	// A console's empty "folder" object is not a file.
	_, err := b.Client().PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("listing"), Key: aws.String("p/in/folder/"), Body: bytes.NewReader(nil),
	})
	require.NoError(t, err)

	var files []qluster.RemoteFile
	for f, err := range b.List(ctx, "in/") {
		require.NoError(t, err)
		files = append(files, f)
	}
	var keys []string
	for _, f := range files {
		keys = append(keys, f.Key)
		require.EqualValues(t, len("content of ")+len(f.Key), f.Size, f.Key)
		require.WithinRange(t, f.ModTime, before, time.Now().Add(time.Minute), f.Key)
		require.NotEmpty(t, f.ETag, f.Key)
		require.NotContains(t, f.ETag, `"`, f.Key)
	}
	require.Equal(t, []string{"in/a.csv", "in/b.csv", "in/d.csv", "in/e.csv", "in/sub/c.csv"}, keys)

	// Stopping early stops listing.
	n := 0
	for range b.List(ctx, "") {
		n++
		break
	}
	require.Equal(t, 1, n)
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
	require.Empty(t, u.Fields, "nothing but the URL is needed")
	// Signature Version 4 counts whole seconds from a whole second.
	require.WithinDuration(t, expires, u.ExpiresAt, 2*time.Second)
	require.False(t, u.ExpiresAt.After(expires), "the URL may not outlive what was asked")
	parsed, err := url.Parse(u.URL)
	require.NoError(t, err)
	require.Equal(t, "AWS4-HMAC-SHA256", parsed.Query().Get("X-Amz-Algorithm"))
	require.Contains(t, parsed.Query().Get("X-Amz-Credential"), s.accessKey+"/")
	require.Empty(t, parsed.Query().Get("x-amz-checksum-crc32"), "a checksum of no body would refuse every upload")

	body := []byte("id,total\n1,9.99\n")
	require.Equal(t, http.StatusOK, put(t, u.URL, body))
	rc, err := b.Get(ctx, "datasets/7/orders 2024.csv")
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, body, got)

	// The signature covers the key: the same URL for another key is refused.
	forged := strings.Replace(u.URL, "orders%202024.csv", "hacked.csv", 1)
	require.NotEqual(t, u.URL, forged)
	require.Equal(t, http.StatusForbidden, put(t, forged, []byte("x")))
	_, err = b.Get(ctx, "datasets/7/hacked.csv")
	require.ErrorIs(t, err, qluster.ErrNotFound)
}

func TestSignUploadExpires(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.newBucket(t, "expiring", nil)
	ctx := t.Context()

	// Signature Version 4 counts whole seconds: two seconds ahead gives a
	// URL valid for one or two.
	u, err := b.SignUpload(ctx, "late.csv", time.Now().Add(2*time.Second))
	require.NoError(t, err)
	time.Sleep(time.Until(u.ExpiresAt) + 1100*time.Millisecond)
	require.Equal(t, http.StatusForbidden, put(t, u.URL, []byte("too late")))
	_, err = b.Get(ctx, "late.csv")
	require.ErrorIs(t, err, qluster.ErrNotFound)

	_, err = b.SignUpload(ctx, "k", time.Now().Add(-time.Second))
	require.ErrorContains(t, err, "not in the future")
	_, err = b.SignUpload(ctx, "k", time.Now().Add(8*24*time.Hour))
	require.ErrorContains(t, err, "more than 7 days")
	_, err = b.SignUpload(ctx, "", time.Now().Add(time.Hour))
	require.ErrorContains(t, err, "invalid key")
}

// put sends body to a pre-signed URL with plain net/http and returns the
// status code.
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

func TestCancelledMultipartPutReleasesParts(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	opts := s.options()
	opts.PartSize = s3blob.MinPartSize
	b := s.newBucket(t, "aborted", opts)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Three parts are read; the fourth read cancels the Put.
	src := io.MultiReader(
		bytes.NewReader(make([]byte, 3*s3blob.MinPartSize)),
		readerFunc(func([]byte) (int, error) { cancel(); return 0, io.EOF }),
		bytes.NewReader(make([]byte, s3blob.MinPartSize)),
	)
	_, err := b.Put(ctx, "big.bin", src)
	require.ErrorIs(t, err, context.Canceled)
	_, err = b.Get(t.Context(), "big.bin")
	require.ErrorIs(t, err, qluster.ErrNotFound)
	uploads, err := b.Client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String("aborted")})
	require.NoError(t, err)
	require.Empty(t, uploads.Uploads, "a cancelled Put must abort its multipart upload")
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.newBucket(t, "exists", nil)
	ctx := t.Context()

	// every runs each operation of b and returns their errors.
	every := func(b *s3blob.Bucket) map[string]error {
		errs := map[string]error{}
		_, errs["Put"] = b.Put(ctx, "k", strings.NewReader("x"))
		_, errs["Get"] = b.Get(ctx, "k")
		errs["Delete"] = b.Delete(ctx, "k")
		for _, err := range b.List(ctx, "") {
			errs["List"] = err
		}
		return errs
	}

	t.Run("bad credentials", func(t *testing.T) {
		t.Parallel()
		for name, opts := range map[string]*s3blob.Options{
			"wrong secret":     {Endpoint: s.endpoint, AccessKey: s.accessKey, SecretKey: "wrong"},
			"unknown key":      {Endpoint: s.endpoint, AccessKey: "nobody", SecretKey: s.secretKey},
			"wrong everything": {Endpoint: s.endpoint, AccessKey: "nobody", SecretKey: "wrong"},
		} {
			b := s.open(t, "exists", opts)
			for op, err := range every(b) {
				require.ErrorIs(t, err, qluster.ErrAccessDenied, "%s: %s", name, op)
				require.ErrorContains(t, err, "s3blob."+op, "%s: %s", name, op)
			}
		}
	})

	t.Run("missing bucket", func(t *testing.T) {
		t.Parallel()
		b := s.open(t, "does-not-exist", nil)
		for op, err := range every(b) {
			require.ErrorIs(t, err, qluster.ErrBucketNotFound, op)
			require.NotErrorIs(t, err, qluster.ErrNotFound, op)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		opts := s.options()
		opts.Endpoint = "http://" + testservers.ClosedAddr(t)
		opts.ConnectTimeout = 2 * time.Second
		b := s.open(t, "exists", opts)
		for op, err := range every(b) {
			require.ErrorIs(t, err, qluster.ErrConnection, op)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		b := s.open(t, "exists", nil)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := b.Get(cctx, "k")
		require.ErrorIs(t, err, context.Canceled)
		require.NotErrorIs(t, err, qluster.ErrConnection, "a cancelled call is not a connection failure")
	})
}

func TestClassify(t *testing.T) {
	t.Parallel()
	require.NoError(t, s3blob.Classify(nil))
	require.NoError(t, s3blob.Classify(errors.New("other")))
	require.NoError(t, s3blob.Classify(context.Canceled))
	require.ErrorIs(t, s3blob.Classify(&net.OpError{Op: "dial", Err: errors.New("refused")}), qluster.ErrConnection)
}

func TestOpenValidates(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for want, opts := range map[string]*s3blob.Options{
		"bucket is required":              nil,
		"must be set together":            {AccessKey: "a"},
		"not an http(s) URL":              {Endpoint: "minio:9000"},
		"at least 5242880":                {PartSize: 1 << 20},
		"Concurrency is -1":               {Concurrency: -1},
		"ConnectTimeout is -1s":           {ConnectTimeout: -time.Second},
		"ListPageSize is 1001":            {ListPageSize: 1001},
		"not an http(s) URL such as http": {Endpoint: "ftp://x"},
	} {
		bucket := "b"
		if opts == nil {
			bucket = ""
		}
		_, err := s3blob.Open(ctx, bucket, opts)
		require.ErrorContains(t, err, want)
		require.ErrorContains(t, err, "s3blob.Open: ")
	}
	b, err := s3blob.Open(ctx, "b", nil)
	require.NoError(t, err)
	require.Equal(t, "b", b.Name())
	require.NoError(t, b.Close())
}

func TestKeys(t *testing.T) {
	t.Parallel()
	b, err := s3blob.Open(t.Context(), "b", &s3blob.Options{Prefix: strings.Repeat("p", 1000)})
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()
	for _, key := range []string{"", "\xff", strings.Repeat("k", 25)} {
		_, err := b.Put(t.Context(), key, strings.NewReader("x"))
		require.ErrorContains(t, err, "s3blob.Put: invalid key", "%q", key)
		_, err = b.Get(t.Context(), key)
		require.ErrorContains(t, err, "s3blob.Get: invalid key", "%q", key)
		require.ErrorContains(t, b.Delete(t.Context(), key), "s3blob.Delete: invalid key", "%q", key)
	}
}
