package qlustertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
)

// RunBackupTests checks that a qluster.Backup keeps the contract written on
// the interface: put, get, overwrite, delete, a missing key, keys with
// slashes, a large object streamed without holding it in memory, and puts
// that fail or are cancelled halfway leaving nothing behind.
//
// newBackup returns a Backup for one subtest; it may be shared between
// subtests (each uses its own keys) or fresh each time. Cleanup belongs in
// t.Cleanup. Subtests run in parallel.
func RunBackupTests(t *testing.T, newBackup func(t *testing.T) qluster.Backup) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, b qluster.Backup)
	}{
		{"PutGet", testBackupPutGet},
		{"EmptyObject", testBackupEmptyObject},
		{"Overwrite", testBackupOverwrite},
		{"Delete", testBackupDelete},
		{"MissingKey", testBackupMissingKey},
		{"KeysWithSlashes", testBackupKeysWithSlashes},
		{"LargeStreamingObject", testBackupLargeStreamingObject},
		{"FailedPutLeavesNothing", testBackupFailedPutLeavesNothing},
		{"CancelledPut", testBackupCancelledPut},
		{"NotVisibleUntilComplete", testBackupNotVisibleUntilComplete},
		{"ConcurrentPuts", testBackupConcurrentPuts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newBackup(t))
		})
	}
}

// backupKey makes the keys of one subtest distinct from those of the others,
// for backups shared between subtests.
func backupKey(t *testing.T, suffix string) string {
	t.Helper()
	return "qlustertest/" + t.Name() + "/" + suffix
}

// readBackup reads the whole object at key.
func readBackup(t *testing.T, b qluster.Backup, key string) []byte {
	t.Helper()
	rc, err := b.Get(t.Context(), key)
	require.NoError(t, err, "Get %q", key)
	defer func() { require.NoError(t, rc.Close()) }()
	data, err := io.ReadAll(rc)
	require.NoError(t, err, "reading %q", key)
	return data
}

// putBackup stores data at key and checks the count Put returns.
func putBackup(t *testing.T, b qluster.Backup, key string, data []byte) {
	t.Helper()
	n, err := b.Put(t.Context(), key, bytes.NewReader(data))
	require.NoError(t, err, "Put %q", key)
	require.Equal(t, int64(len(data)), n, "Put %q returned a wrong byte count", key)
}

// requireNotFound checks that Get of key fails with ErrNotFound.
func requireNotFound(t *testing.T, b qluster.Backup, key string) {
	t.Helper()
	rc, err := b.Get(t.Context(), key)
	if err == nil {
		_ = rc.Close()
	}
	require.ErrorIs(t, err, qluster.ErrNotFound, "Get %q of a missing key", key)
}

func testBackupPutGet(t *testing.T, b qluster.Backup) {
	key := backupKey(t, "hello.txt")
	want := []byte("hello, backup\n\x00\xff binary too")
	putBackup(t, b, key, want)
	require.Equal(t, want, readBackup(t, b, key))
	// Reading twice gives the same bytes.
	require.Equal(t, want, readBackup(t, b, key))
}

func testBackupEmptyObject(t *testing.T, b qluster.Backup) {
	key := backupKey(t, "empty")
	putBackup(t, b, key, nil)
	require.Empty(t, readBackup(t, b, key))
}

func testBackupOverwrite(t *testing.T, b qluster.Backup) {
	key := backupKey(t, "file.csv")
	putBackup(t, b, key, bytes.Repeat([]byte("a much longer first version\n"), 100))
	putBackup(t, b, key, []byte("short\n"))
	require.Equal(t, []byte("short\n"), readBackup(t, b, key), "an overwrite must replace, not patch, the object")
}

func testBackupDelete(t *testing.T, b qluster.Backup) {
	ctx := t.Context()
	key, other := backupKey(t, "gone"), backupKey(t, "stays")
	putBackup(t, b, key, []byte("x"))
	putBackup(t, b, other, []byte("y"))
	require.NoError(t, b.Delete(ctx, key))
	requireNotFound(t, b, key)
	require.Equal(t, []byte("y"), readBackup(t, b, other), "Delete removed another key")
	// Deleting again, or deleting what never existed, is not an error.
	require.NoError(t, b.Delete(ctx, key))
	require.NoError(t, b.Delete(ctx, backupKey(t, "never/existed")))
	// A deleted key can be written again.
	putBackup(t, b, key, []byte("back"))
	require.Equal(t, []byte("back"), readBackup(t, b, key))
}

func testBackupMissingKey(t *testing.T, b qluster.Backup) {
	requireNotFound(t, b, backupKey(t, "missing"))
	requireNotFound(t, b, backupKey(t, "missing/deeper/file.csv"))
	// A key whose "parent" is an object is missing too.
	parent := backupKey(t, "file")
	putBackup(t, b, parent, []byte("x"))
	requireNotFound(t, b, parent+"/child")
}

func testBackupKeysWithSlashes(t *testing.T, b qluster.Backup) {
	keys := []string{
		backupKey(t, "a/b/c.csv"),
		backupKey(t, "a/b/d.csv"),
		backupKey(t, "a/e.csv"),
		backupKey(t, "f g/h-i_j.k l.csv.gz"),
	}
	for _, k := range keys {
		putBackup(t, b, k, []byte("content of "+k))
	}
	for _, k := range keys {
		require.Equal(t, []byte("content of "+k), readBackup(t, b, k))
	}
	// A prefix of a key is not an object.
	requireNotFound(t, b, backupKey(t, "a/b"))
	require.NoError(t, b.Delete(t.Context(), keys[0]))
	requireNotFound(t, b, keys[0])
	require.Equal(t, []byte("content of "+keys[1]), readBackup(t, b, keys[1]))
}

// largeObjectSize is big enough to span many reads and buffers, small enough
// to keep the suite quick.
const largeObjectSize = 32 << 20

func testBackupLargeStreamingObject(t *testing.T, b qluster.Backup) {
	key := backupKey(t, "large.bin")
	src := &patternReader{remaining: largeObjectSize}
	n, err := b.Put(t.Context(), key, src)
	require.NoError(t, err)
	require.Equal(t, int64(largeObjectSize), n)

	rc, err := b.Get(t.Context(), key)
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	got := sha256.New()
	m, err := io.Copy(got, rc)
	require.NoError(t, err)
	require.Equal(t, int64(largeObjectSize), m)
	want := sha256.New()
	_, err = io.Copy(want, &patternReader{remaining: largeObjectSize})
	require.NoError(t, err)
	require.Equal(t, want.Sum(nil), got.Sum(nil), "the object read back differs from what was put")
}

func testBackupFailedPutLeavesNothing(t *testing.T, b qluster.Backup) {
	ctx := t.Context()
	errBoom := errors.New("qlustertest: source failed")

	// A new key: nothing appears.
	key := backupKey(t, "new")
	_, err := b.Put(ctx, key, io.MultiReader(&patternReader{remaining: 1 << 20}, failingReader{errBoom}))
	require.Error(t, err, "Put must fail when its reader fails")
	requireNotFound(t, b, key)

	// An existing key: the old object stays whole.
	key = backupKey(t, "existing")
	putBackup(t, b, key, []byte("old"))
	_, err = b.Put(ctx, key, io.MultiReader(&patternReader{remaining: 1 << 20}, failingReader{errBoom}))
	require.Error(t, err)
	require.Equal(t, []byte("old"), readBackup(t, b, key), "a failed Put must not touch the previous object")
}

func testBackupCancelledPut(t *testing.T, b qluster.Backup) {
	key := backupKey(t, "cancelled")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The reader cancels the Put halfway and then keeps yielding bytes.
	src := io.MultiReader(
		&patternReader{remaining: 1 << 20},
		&funcReader{fn: cancel},
		&patternReader{remaining: 8 << 20},
	)
	_, err := b.Put(ctx, key, src)
	require.ErrorIs(t, err, context.Canceled)
	requireNotFound(t, b, key)
}

func testBackupConcurrentPuts(t *testing.T, b qluster.Backup) {
	key := backupKey(t, "contended")
	const writers = 4
	contents := make([][]byte, writers)
	for i := range contents {
		contents[i] = bytes.Repeat([]byte(fmt.Sprintf("writer %d\n", i)), 50_000)
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = b.Put(t.Context(), key, bytes.NewReader(contents[i]))
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	got := readBackup(t, b, key)
	whole := false
	for _, c := range contents {
		whole = whole || bytes.Equal(c, got)
	}
	require.True(t, whole, "concurrent puts must leave exactly one writer's bytes, not a mix (got %d bytes)", len(got))
}

func testBackupNotVisibleUntilComplete(t *testing.T, b qluster.Backup) {
	key, existing := backupKey(t, "new"), backupKey(t, "existing")
	putBackup(t, b, existing, []byte("old"))
	requireHiddenWhilePut(t, b, key, func() { requireNotFound(t, b, key) })
	requireHiddenWhilePut(t, b, existing, func() {
		require.Equal(t, []byte("old"), readBackup(t, b, existing), "a Put in progress must not show")
	})
}

// requireHiddenWhilePut starts a 2 MiB Put of key, runs check when it is
// halfway, lets it finish and checks the object is then whole.
func requireHiddenWhilePut(t *testing.T, b qluster.Backup, key string, check func()) {
	t.Helper()
	reached, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseAll() // also when check fails, so the Put can end
	src := io.MultiReader(
		&patternReader{remaining: 1 << 20},
		&funcReader{fn: func() { close(reached); <-release }},
		&patternReader{remaining: 1 << 20},
	)
	done := make(chan error, 1)
	go func() {
		_, err := b.Put(t.Context(), key, src)
		done <- err
	}()
	select {
	case <-reached:
	case err := <-done:
		require.Fail(t, "Put returned before reading its whole reader", "err: %v", err)
	}
	check()
	releaseAll()
	require.NoError(t, <-done)
	require.Len(t, readBackup(t, b, key), 2<<20)
}

// patternBlock is the pseudo-random block patternReader repeats; its odd
// length keeps the period out of step with any power-of-two buffer.
var patternBlock = sync.OnceValue(func() []byte {
	block := make([]byte, 1<<20+7)
	x := uint64(0x9E3779B97F4A7C15)
	for i := range block {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		block[i] = byte(x)
	}
	return block
})

// patternReader yields remaining bytes of patternBlock, repeated, without
// allocating them.
type patternReader struct {
	remaining int64
	off       int
}

func (p *patternReader) Read(buf []byte) (int, error) {
	if p.remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(buf)) > p.remaining {
		buf = buf[:p.remaining]
	}
	block := patternBlock()
	n := copy(buf, block[p.off:])
	p.off = (p.off + n) % len(block)
	p.remaining -= int64(n)
	return n, nil
}

// failingReader fails every read with err.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// funcReader calls fn once, at its first read, then is at EOF.
type funcReader struct {
	fn   func()
	done bool
}

func (f *funcReader) Read([]byte) (int, error) {
	if !f.done {
		f.done = true
		f.fn()
	}
	return 0, io.EOF
}
