package qlustertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
)

// sourceClockSlack is how far a source's modification times may be from
// the test's clock.
const sourceClockSlack = time.Hour

// RunSourceTests checks that a qluster.Source keeps the contract written on
// the interface and the one every source of this module shares:
//
//   - List returns each file of the folder once, under the key put gave it,
//     with its size (or -1) and a plausible modification time (or zero);
//     a fresh folder lists nothing, and no error.
//   - Open streams exactly the bytes put wrote, for empty and large files
//     and for keys with spaces, punctuation and non-ASCII letters; Open of a
//     key that names no file fails with an error matching qluster.ErrNotFound.
//   - A context already cancelled makes List, Open (and Delete) fail with an
//     error matching context.Canceled.
//   - Several files may be opened and read at once, from several goroutines.
//   - When the source is a qluster.SourceDeleter, Delete removes the file
//     (List no longer shows it, Open fails with ErrNotFound), leaves the
//     others, and deleting a missing key is not an error.
//
// open is called once per subtest and returns a Source over a folder of its
// own that is empty, and put, which writes a file holding content into that
// folder so that List reports it under key. Keys are plain file names (no
// slashes). put is nil for a source whose files cannot be placed there by
// a test, such as a source of pushed files: the suite then checks only that
// it lists nothing, opens nothing and honours cancellation. put fails the
// test itself on error. Cleanup, closing the Source included, belongs in
// t.Cleanup. Subtests run in parallel.
func RunSourceTests(t *testing.T, open func(t *testing.T) (qluster.Source, func(key, content string))) {
	t.Helper()
	tests := []struct {
		name     string
		fn       func(t *testing.T, s qluster.Source, put func(key, content string))
		needsPut bool
	}{
		{"EmptyFolder", testSourceEmptyFolder, false},
		{"OpenMissing", testSourceOpenMissing, false},
		{"Cancelled", testSourceCancelled, false},
		{"ListAfterPut", testSourceListAfterPut, true},
		{"OpenReadsContent", testSourceOpenReadsContent, true},
		{"EmptyFile", testSourceEmptyFile, true},
		{"LargeFile", testSourceLargeFile, true},
		{"Overwrite", testSourceOverwrite, true},
		{"SpecialKeys", testSourceSpecialKeys, true},
		{"ConcurrentOpens", testSourceConcurrentOpens, true},
		{"Delete", testSourceDelete, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, put := open(t)
			if tt.needsPut && put == nil {
				t.Skip("the source's files cannot be put by a test")
			}
			tt.fn(t, s, put)
		})
	}
}

// listSource lists s and returns its files sorted by key.
func listSource(t *testing.T, s qluster.Source) []qluster.RemoteFile {
	t.Helper()
	files, err := s.List(t.Context())
	require.NoError(t, err, "List")
	slices.SortFunc(files, func(a, b qluster.RemoteFile) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return files
}

// sourceKeys returns the keys of files, in order.
func sourceKeys(files []qluster.RemoteFile) []string {
	keys := make([]string, len(files))
	for i, f := range files {
		keys[i] = f.Key
	}
	return keys
}

// readSource reads the whole file at key.
func readSource(t *testing.T, s qluster.Source, key string) []byte {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	require.NoError(t, err, "Open %q", key)
	defer func() { require.NoError(t, rc.Close(), "closing %q", key) }()
	data, err := io.ReadAll(rc)
	require.NoError(t, err, "reading %q", key)
	return data
}

// requireSourceNotFound checks that Open of key fails with ErrNotFound.
func requireSourceNotFound(t *testing.T, s qluster.Source, key string) {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err == nil {
		_ = rc.Close()
	}
	require.ErrorIs(t, err, qluster.ErrNotFound, "Open of %q, which names no file", key)
}

func testSourceEmptyFolder(t *testing.T, s qluster.Source, _ func(key, content string)) {
	files, err := s.List(t.Context())
	require.NoError(t, err)
	require.Empty(t, files)
}

func testSourceOpenMissing(t *testing.T, s qluster.Source, put func(key, content string)) {
	requireSourceNotFound(t, s, "missing.csv")
	if put != nil {
		put("present.csv", "x")
		requireSourceNotFound(t, s, "Missing.csv")
	}
	if d, ok := s.(qluster.SourceDeleter); ok {
		// Deleting what never existed is not an error.
		require.NoError(t, d.Delete(t.Context(), "never-existed.csv"))
	}
}

func testSourceCancelled(t *testing.T, s qluster.Source, put func(key, content string)) {
	key := "missing.csv"
	if put != nil {
		key = "present.csv"
		put(key, "x")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.List(ctx)
	require.ErrorIs(t, err, context.Canceled, "List with a cancelled context")
	rc, err := s.Open(ctx, key)
	if err == nil {
		_ = rc.Close()
	}
	require.ErrorIs(t, err, context.Canceled, "Open with a cancelled context")
	if d, ok := s.(qluster.SourceDeleter); ok {
		require.ErrorIs(t, d.Delete(ctx, key), context.Canceled, "Delete with a cancelled context")
	}
	// The source still works with a live context.
	if put != nil {
		require.Equal(t, []byte("x"), readSource(t, s, key))
	}
}

func testSourceListAfterPut(t *testing.T, s qluster.Source, put func(key, content string)) {
	start := time.Now()
	want := map[string]string{"a.csv": "a,b\n1,2\n", "b.json": `{"x":1}`, "c.txt": "hello"}
	for k, v := range want {
		put(k, v)
	}
	files := listSource(t, s)
	require.Equal(t, []string{"a.csv", "b.json", "c.txt"}, sourceKeys(files))
	for _, f := range files {
		if f.Size != -1 {
			require.EqualValues(t, len(want[f.Key]), f.Size, "size of %q", f.Key)
		}
		if !f.ModTime.IsZero() {
			require.WithinRange(t, f.ModTime, start.Add(-sourceClockSlack), time.Now().Add(sourceClockSlack),
				"modification time of %q", f.Key)
		}
	}
	// Listing again gives the same files.
	require.Equal(t, sourceKeys(files), sourceKeys(listSource(t, s)))
}

func testSourceOpenReadsContent(t *testing.T, s qluster.Source, put func(key, content string)) {
	put("data.csv", "id,name\n1,Ada\n2,Grace\n")
	put("other.csv", "other")
	require.Equal(t, "id,name\n1,Ada\n2,Grace\n", string(readSource(t, s, "data.csv")))
	require.Equal(t, "other", string(readSource(t, s, "other.csv")))
}

func testSourceEmptyFile(t *testing.T, s qluster.Source, put func(key, content string)) {
	put("empty.csv", "")
	files := listSource(t, s)
	require.Equal(t, []string{"empty.csv"}, sourceKeys(files))
	require.Contains(t, []int64{0, -1}, files[0].Size)
	require.Empty(t, readSource(t, s, "empty.csv"))
}

func testSourceLargeFile(t *testing.T, s qluster.Source, put func(key, content string)) {
	// 5 MiB that no compression or chunk boundary can make look right by
	// accident: each 64-byte line carries its own number.
	var b bytes.Buffer
	for i := 0; b.Len() < 5<<20; i++ {
		fmt.Fprintf(&b, "%063d\n", i)
	}
	content := b.String()
	put("large.csv", content)

	rc, err := s.Open(t.Context(), "large.csv")
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	// Read in small, odd-sized pieces, as a parser would.
	h, n, buf := sha256.New(), 0, make([]byte, 1000)
	for {
		m, err := rc.Read(buf)
		h.Write(buf[:m])
		n += m
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
	}
	require.Equal(t, len(content), n, "bytes read")
	want := sha256.Sum256([]byte(content))
	require.Equal(t, want[:], h.Sum(nil), "content read differs from content put")
}

func testSourceOverwrite(t *testing.T, s qluster.Source, put func(key, content string)) {
	put("file.csv", "first version, longer than the second")
	put("file.csv", "second")
	require.Equal(t, []string{"file.csv"}, sourceKeys(listSource(t, s)))
	require.Equal(t, "second", string(readSource(t, s, "file.csv")))
}

func testSourceSpecialKeys(t *testing.T, s qluster.Source, put func(key, content string)) {
	keys := []string{
		"with space.csv",
		"ünïcødé — 数据.csv",
		"a+b=c&d%20e.csv",
		"quote's \"and\" (parens) [brackets].tsv",
		"no-extension",
	}
	for _, k := range keys {
		put(k, "content of "+k)
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	require.Equal(t, want, sourceKeys(listSource(t, s)))
	for _, k := range keys {
		require.Equal(t, "content of "+k, string(readSource(t, s, k)))
	}
}

func testSourceConcurrentOpens(t *testing.T, s qluster.Source, put func(key, content string)) {
	const n = 8
	content := func(i int) string { return string(bytes.Repeat([]byte{byte('a' + i)}, 100_000+i)) }
	for i := range n {
		put(fmt.Sprintf("f%d.csv", i), content(i))
	}
	// Open them all first, then read them all at once.
	readers := make([]io.ReadCloser, n)
	for i := range n {
		rc, err := s.Open(t.Context(), fmt.Sprintf("f%d.csv", i))
		require.NoError(t, err)
		readers[i] = rc
	}
	var wg sync.WaitGroup
	got := make([][]byte, n)
	errs := make([]error, n)
	for i, rc := range readers {
		wg.Go(func() {
			got[i], errs[i] = io.ReadAll(rc)
			if err := rc.Close(); errs[i] == nil {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "reading f%d.csv", i)
		require.Equal(t, content(i), string(got[i]), "content of f%d.csv", i)
	}
}

func testSourceDelete(t *testing.T, s qluster.Source, put func(key, content string)) {
	d, ok := s.(qluster.SourceDeleter)
	if !ok {
		t.Skip("the source does not implement qluster.SourceDeleter")
	}
	ctx := t.Context()
	put("gone.csv", "x")
	put("stays.csv", "y")
	require.Equal(t, []string{"gone.csv", "stays.csv"}, sourceKeys(listSource(t, s)))
	require.Equal(t, "x", string(readSource(t, s, "gone.csv")))
	require.NoError(t, d.Delete(ctx, "gone.csv"))
	require.Equal(t, []string{"stays.csv"}, sourceKeys(listSource(t, s)))
	requireSourceNotFound(t, s, "gone.csv")
	require.Equal(t, "y", string(readSource(t, s, "stays.csv")), "Delete touched another file")
	// Deleting again is not an error.
	require.NoError(t, d.Delete(ctx, "gone.csv"))
	// A deleted key can be put again.
	put("gone.csv", "back")
	require.Equal(t, "back", string(readSource(t, s, "gone.csv")))
}
