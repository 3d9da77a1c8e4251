package gcssource_test

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/testservers"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
	"github.com/openqluster/qluster-go/sources/gcssource"
	"github.com/openqluster/qluster-go/storage/blob/gcsblob"
)

// testBundle is a running fake-gcs-server with one bucket, and a data
// source reading it.
type testBundle struct {
	endpoint string
	// bucket writes into the bucket, without prefix.
	bucket *gcsblob.Bucket
	// source is a gs data source on the bucket with no prefix, whose key's
	// token endpoint grants tokens.
	source *qluster.DataSource
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	endpoint := testservers.GCS(t)
	key, _ := testservers.GCSServiceAccount(t, true)
	b := newBucket(t, endpoint, "incoming")
	return &testBundle{
		endpoint: endpoint,
		bucket:   b,
		source: &qluster.DataSource{
			DataSourceType:      qluster.DataSourceTypeGs,
			GSServiceAccountKey: key,
			GSBucket:            "incoming",
			ConnectionTimeout:   5,
		},
	}
}

// newBucket creates a bucket on the server at endpoint and opens it,
// without credentials, until t ends.
func newBucket(t *testing.T, endpoint, name string) *gcsblob.Bucket {
	t.Helper()
	b, err := gcsblob.Open(t.Context(), name, &gcsblob.Options{Endpoint: endpoint})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	require.NoError(t, b.Client().Bucket(name).Create(t.Context(), "qluster-test", nil))
	return b
}

// with returns a copy of the bundle's data source changed by edit.
func (tb *testBundle) with(edit func(d *qluster.DataSource)) *qluster.DataSource {
	d := *tb.source
	edit(&d)
	return &d
}

// open returns the Source of d on the bundle's server, closed when t ends.
func (tb *testBundle) open(t *testing.T, d *qluster.DataSource, opts *gcssource.Options) *gcssource.Source {
	t.Helper()
	if opts == nil {
		opts = &gcssource.Options{}
	}
	if opts.Endpoint == "" {
		opts.Endpoint = tb.endpoint
	}
	s, err := gcssource.New(t.Context(), d, opts)
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
		s := tb.open(t, tb.with(func(d *qluster.DataSource) { d.GSPrefix = folder }), nil)
		return s, func(key, content string) { tb.put(t, folder+"/"+key, content) }
	})
}

func TestSourceConformanceWholeBucketSmallPages(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	var n atomic.Int64
	qlustertest.RunSourceTests(t, func(t *testing.T) (qluster.Source, func(key, content string)) {
		// A bucket per subtest, read from its root, two objects per request.
		name := fmt.Sprintf("bucket-%d", n.Add(1))
		b := newBucket(t, tb.endpoint, name)
		s := tb.open(t, tb.with(func(d *qluster.DataSource) { d.GSBucket = name }), &gcssource.Options{PageSize: 2})
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
		s := tb.open(t, tb.with(func(d *qluster.DataSource) { d.GSPrefix = prefix }), &gcssource.Options{PageSize: 1})
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
	files, err := tb.open(t, tb.source, nil).List(t.Context())
	require.NoError(t, err)
	require.Len(t, files, 6)

	// A prefix with nothing under it lists nothing.
	files, err = tb.open(t, tb.with(func(d *qluster.DataSource) { d.GSPrefix = "nothing-here" }), nil).List(t.Context())
	require.NoError(t, err)
	require.Empty(t, files)

	// Delete removes the file under the prefix only.
	s := tb.open(t, tb.with(func(d *qluster.DataSource) { d.GSPrefix = "in" }), nil)
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
	refused, _ := testservers.GCSServiceAccount(t, false)

	// every runs each operation of the Source of d and returns their errors.
	every := func(t *testing.T, d *qluster.DataSource, opts *gcssource.Options) map[string]error {
		s := tb.open(t, d, opts)
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

	t.Run("bad credentials", func(t *testing.T) {
		t.Parallel()
		for op, err := range every(t, tb.with(func(d *qluster.DataSource) { d.GSServiceAccountKey = refused }), nil) {
			require.ErrorIs(t, err, qluster.ErrAccessDenied, op)
		}
	})
	t.Run("closed port", func(t *testing.T) {
		t.Parallel()
		for op, err := range every(t, tb.source, &gcssource.Options{Endpoint: "http://" + testservers.ClosedAddr(t)}) {
			require.ErrorIs(t, err, qluster.ErrConnection, op)
		}
	})
	t.Run("missing bucket", func(t *testing.T) {
		t.Parallel()
		s := tb.open(t, tb.with(func(d *qluster.DataSource) { d.GSBucket = "no-such-bucket" }), nil)
		_, err := s.List(t.Context())
		require.ErrorIs(t, err, qluster.ErrBucketNotFound)
		// Reads cannot tell a missing bucket from a missing file.
		_, err = s.Open(t.Context(), "a.csv")
		require.ErrorIs(t, err, qluster.ErrNotFound)
	})
	// The file is still there: no failed Delete removed it.
	rc, err := tb.bucket.Get(t.Context(), "a.csv")
	require.NoError(t, err)
	require.NoError(t, rc.Close())
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	key, _ := testservers.GCSServiceAccount(t, true)
	ok := &qluster.DataSource{DataSourceType: qluster.DataSourceTypeGs, GSBucket: "b", GSServiceAccountKey: key}
	with := func(edit func(d *qluster.DataSource)) *qluster.DataSource {
		d := *ok
		edit(&d)
		return &d
	}
	var notServiceAccount map[string]string
	require.NoError(t, json.Unmarshal([]byte(key), &notServiceAccount))
	notServiceAccount["type"] = "authorized_user"
	wrongType, err := json.Marshal(notServiceAccount)
	require.NoError(t, err)
	for want, d := range map[string]*qluster.DataSource{
		"the data source is required": nil,
		"gs_bucket is required":       with(func(d *qluster.DataSource) { d.GSBucket = "" }),
		`data_source_type is "s3"`:    with(func(d *qluster.DataSource) { d.DataSourceType = qluster.DataSourceTypeS3 }),
		"connection_timeout is -1":    with(func(d *qluster.DataSource) { d.ConnectionTimeout = -1 }),
		"service account key is not JSON": with(func(d *qluster.DataSource) {
			d.GSServiceAccountKey = "not json"
		}),
		`"type": "authorized_user"`: with(func(d *qluster.DataSource) { d.GSServiceAccountKey = string(wrongType) }),
	} {
		_, err := gcssource.New(ctx, d, nil)
		require.ErrorContains(t, err, want)
		require.ErrorContains(t, err, "gcssource.New: ")
	}
	s, err := gcssource.New(ctx, ok, &gcssource.Options{Endpoint: "http://127.0.0.1:1"})
	require.NoError(t, err)
	require.NoError(t, s.Close())
}
