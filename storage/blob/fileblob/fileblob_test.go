package fileblob_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
	"github.com/openqluster/qluster-go/storage/blob/fileblob"
)

// testBundle is what a test needs: a bucket and the directory it stores in.
type testBundle struct {
	bucket *fileblob.Bucket
	dir    string
}

func setup(t *testing.T, opts *fileblob.Options) *testBundle {
	t.Helper()
	dir := t.TempDir()
	b, err := fileblob.Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	return &testBundle{bucket: b, dir: dir}
}

// files lists the regular files under dir, slash-separated and relative.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	require.NoError(t, err)
	return out
}

func TestBackupConformance(t *testing.T) {
	t.Parallel()
	qlustertest.RunBackupTests(t, func(t *testing.T) qluster.Backup {
		t.Helper()
		return setup(t, nil).bucket
	})
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	_, err := fileblob.Open("", nil)
	require.ErrorContains(t, err, "dir is required")

	missing := filepath.Join(dir, "a", "b")
	_, err = fileblob.Open(missing, nil)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "CreateDir")

	b, err := fileblob.Open(missing, &fileblob.Options{CreateDir: true})
	require.NoError(t, err)
	require.Equal(t, missing, b.Dir())
	require.NoError(t, b.Close())

	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = fileblob.Open(file, nil)
	require.ErrorContains(t, err, "not a directory")

	_, err = fileblob.Open(dir, &fileblob.Options{SigningKey: []byte("short")})
	require.ErrorContains(t, err, "at least 32")
}

func TestKeys(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"":                      "empty",
		"/etc/passwd":           "relative",
		"../outside":            ".. segment",
		"a/../../outside":       ".. segment",
		"a/..":                  ".. segment",
		"./a":                   ". segment",
		"a//b":                  "empty segment",
		"a/":                    "empty segment",
		`a\..\..\outside`:       "backslash",
		"a\x00b":                "NUL",
		".qluster-tmp-abc":      "reserved",
		"a/.qluster-tmp-abc/b":  "reserved",
		"datasets/7/../../../x": ".. segment",
	}
	for key, why := range bad {
		t.Run("bad "+key, func(t *testing.T) {
			t.Parallel()
			tb := setup(t, nil)
			ctx := t.Context()
			_, err := tb.bucket.Put(ctx, key, strings.NewReader("x"))
			require.ErrorContains(t, err, "fileblob.Put: invalid key")
			require.ErrorContains(t, err, why)
			_, err = tb.bucket.Get(ctx, key)
			require.ErrorContains(t, err, "fileblob.Get: invalid key")
			require.NotErrorIs(t, err, qluster.ErrNotFound)
			require.ErrorContains(t, tb.bucket.Delete(ctx, key), "fileblob.Delete: invalid key")
			require.Empty(t, files(t, filepath.Dir(tb.dir)), "nothing may be written")
		})
	}
	for _, key := range []string{"a", "..a", "a..b/c.", "datasets/7/2024-05-01/orders.csv", "sp ace/ü.csv"} {
		require.NoError(t, fileblob.ValidateKey(key), key)
	}
}

func TestSymlinkCannotEscape(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	ctx := t.Context()
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600))
	require.NoError(t, os.Symlink(outside, filepath.Join(tb.dir, "link")))

	_, err := tb.bucket.Get(ctx, "link/secret")
	require.Error(t, err)
	_, err = tb.bucket.Put(ctx, "link/planted", strings.NewReader("x"))
	require.Error(t, err)
	require.Error(t, tb.bucket.Delete(ctx, "link/secret"))
	require.Equal(t, []string{"secret"}, files(t, outside))
}

func TestGetMissing(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	_, err := tb.bucket.Get(t.Context(), "datasets/7/missing.csv")
	require.ErrorIs(t, err, qluster.ErrNotFound)
	var nf *qluster.NotFoundError
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "datasets/7/missing.csv", nf.Key)

	// A directory of other objects is not an object.
	_, err = tb.bucket.Put(t.Context(), "dir/file", strings.NewReader("x"))
	require.NoError(t, err)
	_, err = tb.bucket.Get(t.Context(), "dir")
	require.ErrorIs(t, err, qluster.ErrNotFound)
	require.NoError(t, tb.bucket.Delete(t.Context(), "dir"))
	require.Equal(t, []string{"dir/file"}, files(t, tb.dir))
}

func TestPutIsAtomic(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	ctx := t.Context()
	errBoom := errors.New("boom")
	src := io.MultiReader(bytes.NewReader(make([]byte, 3<<20)), iotestErrReader{errBoom})

	_, err := tb.bucket.Put(ctx, "a/b/c.csv", src)
	require.ErrorIs(t, err, errBoom)
	require.ErrorContains(t, err, `fileblob.Put "a/b/c.csv"`)
	require.Empty(t, files(t, tb.dir), "no object and no temporary file may remain")

	_, err = tb.bucket.Put(ctx, "a/b/c.csv", strings.NewReader("whole"))
	require.NoError(t, err)
	_, err = tb.bucket.Put(ctx, "a/b/c.csv", io.MultiReader(strings.NewReader("part"), iotestErrReader{errBoom}))
	require.ErrorIs(t, err, errBoom)
	require.Equal(t, []string{"a/b/c.csv"}, files(t, tb.dir))
	got, err := os.ReadFile(filepath.Join(tb.dir, "a", "b", "c.csv"))
	require.NoError(t, err)
	require.Equal(t, "whole", string(got))

	info, err := os.Stat(filepath.Join(tb.dir, "a", "b", "c.csv"))
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), info.Mode().Perm())
}

func TestKeyUnderAnObject(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	ctx := t.Context()
	_, err := tb.bucket.Put(ctx, "a", strings.NewReader("x"))
	require.NoError(t, err)
	_, err = tb.bucket.Put(ctx, "a/b", strings.NewReader("y"))
	require.ErrorContains(t, err, `fileblob.Put "a/b": creating its directory`)
	_, err = tb.bucket.Get(ctx, "a/b")
	require.ErrorIs(t, err, qluster.ErrNotFound)
	require.NoError(t, tb.bucket.Delete(ctx, "a/b"))
}

// iotestErrReader fails every read with err.
type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }
