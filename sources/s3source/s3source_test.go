package s3source_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/testservers"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
	"github.com/openqluster/qluster-go/sources/s3source"
	"github.com/openqluster/qluster-go/storage/blob/s3blob"
)

// testBundle is a running S3 server with one bucket, and a data source
// reading it.
type testBundle struct {
	endpoint, accessKey, secretKey string
	// bucket writes into the bucket, without prefix.
	bucket *s3blob.Bucket
	// source is a minio data source on the bucket with no prefix.
	source *qluster.DataSource
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	endpoint, accessKey, secretKey := testservers.S3(t)
	b, err := s3blob.Open(t.Context(), "incoming", &s3blob.Options{
		Endpoint: endpoint, AccessKey: accessKey, SecretKey: secretKey,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	_, err = b.Client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("incoming")})
	require.NoError(t, err)
	return &testBundle{
		endpoint: endpoint, accessKey: accessKey, secretKey: secretKey,
		bucket: b,
		source: &qluster.DataSource{
			DataSourceType:    qluster.DataSourceTypeMinio,
			S3EndpointURL:     endpoint,
			S3AccessKey:       accessKey,
			S3SecretKey:       secretKey,
			S3Bucket:          "incoming",
			ConnectionTimeout: 5,
		},
	}
}

// with returns a copy of the bundle's data source changed by edit.
func (tb *testBundle) with(edit func(d *qluster.DataSource)) *qluster.DataSource {
	d := *tb.source
	edit(&d)
	return &d
}

// open returns the Source of d, closed when t ends.
func open(t *testing.T, d *qluster.DataSource, opts *s3source.Options) *s3source.Source {
	t.Helper()
	s, err := s3source.New(t.Context(), d, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// put writes content at the bucket's key.
func (tb *testBundle) put(t *testing.T, key, content string) {
	t.Helper()
	_, err := tb.bucket.Put(t.Context(), key, strings.NewReader(content))
	require.NoError(t, err)
}

func TestSourceConformance(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	var n atomic.Int64
	qlustertest.RunSourceTests(t, func(t *testing.T) (qluster.Source, func(key, content string)) {
		folder := fmt.Sprintf("sources/%d", n.Add(1))
		// An odd, small read buffer (s3_default_buffer_size), so reads
		// straddle its refills.
		s := open(t, tb.with(func(d *qluster.DataSource) { d.S3Prefix, d.S3DefaultBufferSize = folder, 4093 }), nil)
		return s, func(key, content string) { tb.put(t, folder+"/"+key, content) }
	})
}

func TestSourceConformanceWholeBucketSmallPages(t *testing.T) {
	t.Parallel()
	endpoint, accessKey, secretKey := testservers.S3(t)
	var n atomic.Int64
	qlustertest.RunSourceTests(t, func(t *testing.T) (qluster.Source, func(key, content string)) {
		// A bucket per subtest, read from its root, two keys per request.
		bucket := fmt.Sprintf("bucket-%d", n.Add(1))
		b, err := s3blob.Open(t.Context(), bucket, &s3blob.Options{Endpoint: endpoint, AccessKey: accessKey, SecretKey: secretKey})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, b.Close()) })
		_, err = b.Client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		require.NoError(t, err)
		s := open(t, &qluster.DataSource{
			DataSourceType: qluster.DataSourceTypeS3,
			S3EndpointURL:  endpoint, S3AccessKey: accessKey, S3SecretKey: secretKey,
			S3Bucket: bucket,
		}, &s3source.Options{PageSize: 2})
		return s, func(key, content string) {
			_, err := b.Put(t.Context(), key, strings.NewReader(content))
			require.NoError(t, err)
		}
	})
}

func TestListWithPrefix(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	for _, k := range []string{"in/a.csv", "in/2024/05/b.csv", "in/c.json", "inbox/x.csv", "out/y.csv", "root.csv"} {
		tb.put(t, k, "content of "+k)
	}
	// An empty "folder" object, as consoles create, is not a file.
	tb.put(t, "in/empty-folder/", "")

	want := []string{"2024/05/b.csv", "a.csv", "c.json"}
	for _, prefix := range []string{"in", "in/", "/in/", "/in"} {
		s := open(t, tb.with(func(d *qluster.DataSource) { d.S3Prefix = prefix }), &s3source.Options{PageSize: 1})
		files, err := s.List(t.Context())
		require.NoError(t, err)
		var keys []string
		for _, f := range files {
			keys = append(keys, f.Key)
			require.EqualValues(t, len("content of in/"+f.Key), f.Size, f.Key)
			require.NotEmpty(t, f.ETag, f.Key)
			require.False(t, f.ModTime.IsZero(), f.Key)
		}
		require.Equal(t, want, keys, "prefix %q", prefix)

		rc, err := s.Open(t.Context(), "2024/05/b.csv")
		require.NoError(t, err)
		got, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		require.Equal(t, "content of in/2024/05/b.csv", string(got))
	}

	// No prefix: the whole bucket.
	files, err := open(t, tb.source, nil).List(t.Context())
	require.NoError(t, err)
	require.Len(t, files, 6)

	// A prefix with nothing under it lists nothing.
	files, err = open(t, tb.with(func(d *qluster.DataSource) { d.S3Prefix = "nothing-here" }), nil).List(t.Context())
	require.NoError(t, err)
	require.Empty(t, files)

	// Delete removes the file under the prefix only.
	s := open(t, tb.with(func(d *qluster.DataSource) { d.S3Prefix = "in" }), nil)
	require.NoError(t, s.Delete(t.Context(), "a.csv"))
	_, err = tb.bucket.Get(t.Context(), "in/a.csv")
	require.ErrorIs(t, err, qluster.ErrNotFound)
	rc, err := tb.bucket.Get(t.Context(), "root.csv")
	require.NoError(t, err)
	require.NoError(t, rc.Close())
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.put(t, "a.csv", "a")

	// every runs each operation of the Source of d and returns their errors.
	every := func(t *testing.T, d *qluster.DataSource) map[string]error {
		s := open(t, d, nil)
		errs := map[string]error{}
		_, errs["List"] = s.List(t.Context())
		rc, err := s.Open(t.Context(), "a.csv")
		if err == nil {
			_ = rc.Close()
		}
		errs["Open"] = err
		errs["Delete"] = s.Delete(t.Context(), "a.csv")
		return errs
	}
	for name, tc := range map[string]struct {
		edit func(d *qluster.DataSource)
		want error
	}{
		"wrong secret":   {func(d *qluster.DataSource) { d.S3SecretKey = "wrong" }, qluster.ErrAccessDenied},
		"unknown key":    {func(d *qluster.DataSource) { d.S3AccessKey = "nobody" }, qluster.ErrAccessDenied},
		"missing bucket": {func(d *qluster.DataSource) { d.S3Bucket = "no-such-bucket" }, qluster.ErrBucketNotFound},
		"closed port":    {func(d *qluster.DataSource) { d.S3EndpointURL = "http://" + testservers.ClosedAddr(t) }, qluster.ErrConnection},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for op, err := range every(t, tb.with(tc.edit)) {
				require.ErrorIs(t, err, tc.want, op)
			}
		})
	}
	// The file is still there: no failed Delete removed it.
	rc, err := tb.bucket.Get(t.Context(), "a.csv")
	require.NoError(t, err)
	require.NoError(t, rc.Close())
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ok := &qluster.DataSource{DataSourceType: qluster.DataSourceTypeS3, S3Bucket: "b"}
	with := func(edit func(d *qluster.DataSource)) *qluster.DataSource {
		d := *ok
		edit(&d)
		return &d
	}
	for want, d := range map[string]*qluster.DataSource{
		"the data source is required":       nil,
		"s3_bucket is required":             with(func(d *qluster.DataSource) { d.S3Bucket = "" }),
		`data_source_type is "gs"`:          with(func(d *qluster.DataSource) { d.DataSourceType = qluster.DataSourceTypeGs }),
		"s3_endpoint_url is required":       with(func(d *qluster.DataSource) { d.DataSourceType = qluster.DataSourceTypeMinio }),
		"s3_endpoint_url \"minio:9000\"":    with(func(d *qluster.DataSource) { d.S3EndpointURL = "minio:9000" }),
		"must be set together":              with(func(d *qluster.DataSource) { d.S3AccessKey = "k" }),
		"connection_timeout is -1":          with(func(d *qluster.DataSource) { d.ConnectionTimeout = -1 }),
		"s3blob.Open: Options.ListPageSize": ok, // with PageSize 2000 below
	} {
		opts := &s3source.Options{}
		if d == ok {
			opts.PageSize = 2000
		}
		_, err := s3source.New(ctx, d, opts)
		require.ErrorContains(t, err, want)
		require.ErrorContains(t, err, "s3source.New: ")
	}
	s, err := s3source.New(ctx, ok, nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
}
