package secrets_test

import (
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/secrets"
)

func newCipher(t *testing.T) *secrets.Cipher {
	t.Helper()
	c, err := secrets.New(make([]byte, secrets.KeySize))
	require.NoError(t, err)
	return c
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		keyLen  int
		wantErr string
	}{
		{"32 bytes", 32, ""},
		{"empty", 0, "key is 0 bytes, want 32"},
		{"16 bytes", 16, "key is 16 bytes, want 32"},
		{"33 bytes", 33, "key is 33 bytes, want 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := secrets.New(make([]byte, tt.keyLen))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Nil(t, c)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, c)
		})
	}
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	c := newCipher(t)
	tests := []struct {
		name  string
		plain string
	}{
		{"empty", ""},
		{"ascii", "hunter2"},
		{"unicode", "pässwörd ✓"},
		{"looks sealed", secrets.Prefix + "abc"},
		{"long", strings.Repeat("x", 10_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sealed, err := c.Seal(tt.plain)
			require.NoError(t, err)
			require.True(t, secrets.IsSealed(sealed))
			if tt.plain != "" {
				require.NotContains(t, sealed, tt.plain)
			}
			got, err := c.Open(sealed)
			require.NoError(t, err)
			require.Equal(t, tt.plain, got)
		})
	}
}

func TestSealIsRandomized(t *testing.T) {
	t.Parallel()
	c := newCipher(t)
	a, err := c.Seal("same")
	require.NoError(t, err)
	b, err := c.Seal("same")
	require.NoError(t, err)
	require.NotEqual(t, a, b)
}

func TestOpen(t *testing.T) {
	t.Parallel()
	c := newCipher(t)
	other, err := secrets.New([]byte(strings.Repeat("k", secrets.KeySize)))
	require.NoError(t, err)
	sealedByOther, err := other.Seal("secret")
	require.NoError(t, err)
	sealed, err := c.Seal("secret")
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, secrets.Prefix))
	require.NoError(t, err)
	raw[len(raw)-1] ^= 1
	tampered := secrets.Prefix + base64.StdEncoding.EncodeToString(raw)

	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{"plaintext passes through", "legacy plain", "legacy plain", ""},
		{"empty passes through", "", "", ""},
		{"other prefix passes through", "enc:v2:abc", "enc:v2:abc", ""},
		{"bad base64", secrets.Prefix + "!!!", "", "illegal base64"},
		{"too short", secrets.Prefix + base64.StdEncoding.EncodeToString([]byte("short")), "", "too short"},
		{"wrong key", sealedByOther, "", "wrong key or corrupted value"},
		{"tampered", tampered, "", "wrong key or corrupted value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Open(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestKeyFromString(t *testing.T) {
	t.Parallel()
	raw := []byte(strings.Repeat("\x01", secrets.KeySize))
	b64 := base64.StdEncoding.EncodeToString(raw)
	short := base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))
	sum := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr string
	}{
		{"base64 of 32 bytes", b64, raw, ""},
		{"passphrase", "correct horse battery staple", sum("correct horse battery staple"), ""},
		{"base64 of 16 bytes is a passphrase", short, sum(short), ""},
		{"empty", "", nil, "key is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := secrets.KeyFromString(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Len(t, got, secrets.KeySize)
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	t.Parallel()

	t.Run("creates then loads", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "a", "b")
		path := filepath.Join(dir, "secret.key")
		key, err := secrets.LoadOrCreateKey(path)
		require.NoError(t, err)
		require.Len(t, key, secrets.KeySize)

		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		di, err := os.Stat(dir)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o700), di.Mode().Perm())
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1, "no temporary file is left behind")

		again, err := secrets.LoadOrCreateKey(path)
		require.NoError(t, err)
		require.Equal(t, key, again)
	})

	t.Run("reads an existing key", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "k")
		want := []byte(strings.Repeat("z", secrets.KeySize))
		require.NoError(t, os.WriteFile(path, []byte(" "+base64.StdEncoding.EncodeToString(want)+"\n"), 0o600))
		got, err := secrets.LoadOrCreateKey(path)
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("refuses a bad file", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name, content, wantErr string
		}{
			{"not base64", "not a key!", "not base64"},
			{"wrong length", base64.StdEncoding.EncodeToString([]byte("short")), "key is 5 bytes"},
			{"empty", "", "key is 0 bytes"},
		}
		for _, tt := range tests {
			path := filepath.Join(t.TempDir(), "k")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			_, err := secrets.LoadOrCreateKey(path)
			require.ErrorContains(t, err, tt.wantErr, tt.name)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, tt.content, string(b), "%s: the file is left alone", tt.name)
		}
	})

	t.Run("concurrent creators agree", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "k")
		const n = 8
		keys := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { keys[i], errs[i] = secrets.LoadOrCreateKey(path) })
		}
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			require.Equal(t, keys[0], keys[i])
		}
	})
}
