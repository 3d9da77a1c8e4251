package blob_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob"
	"github.com/openqluster/qluster-go/storage/blob/fileblob"
)

const testPassphrase = "correct horse battery staple"

// testKey is an armored OpenPGP key pair.
type testKey struct {
	public, private string
}

// newTestKey generates a curve25519 key pair (EdDSA primary key, ECDH
// encryption subkey), fast to make and use, whose private half is protected
// by passphrase when it is not empty.
func newTestKey(t testing.TB, passphrase string) testKey {
	t.Helper()
	e, err := openpgp.NewEntity("Qluster Test", "", "test@qluster.invalid", &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA,
		Curve:     packet.Curve25519,
	})
	require.NoError(t, err)
	var pub, priv bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, e.Serialize(w))
	require.NoError(t, w.Close())
	if passphrase != "" {
		require.NoError(t, e.EncryptPrivateKeys([]byte(passphrase), nil))
	}
	w, err = armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, e.SerializePrivateWithoutSigning(w, nil))
	require.NoError(t, w.Close())
	return testKey{public: pub.String(), private: priv.String()}
}

var (
	keyOnce   sync.Once
	sharedKey testKey
)

// protectedKey is one passphrase-protected key pair shared by the tests.
func protectedKey(t testing.TB) testKey {
	t.Helper()
	keyOnce.Do(func() { sharedKey = newTestKey(t, testPassphrase) })
	require.NotEmpty(t, sharedKey.private)
	return sharedKey
}

// plaintextMarker is in the test data; it must not be in encrypted output.
const plaintextMarker = "qluster-plaintext-marker"

// testDataSize is the size of testData: a few MB, less under the race
// detector, which slows compress/flate and OpenPGP tenfold.
var testDataSize = map[bool]int{false: 3 << 20, true: 384 << 10}[raceEnabled]

// testData returns testDataSize bytes: random bytes, then CSV text, then
// random bytes again.
func testData() []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	random := make([]byte, testDataSize/3)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	buf.Write(random)
	buf.WriteString("id,name,amount," + plaintextMarker + "\n")
	for i := buf.Len(); buf.Len() < testDataSize-12345; i++ {
		fmt.Fprintf(&buf, "%d,name %d,%d.%02d,%s\n", i, rng.IntN(1000), rng.IntN(1e6), rng.IntN(100), plaintextMarker)
	}
	buf.Write(random[:12345])
	if testDataSize >= 1<<20 && len(buf.Bytes()) < 1<<20 {
		panic("testData is too small")
	}
	return buf.Bytes()
}

// codecBundle is a bucket with the directory it stores in.
type codecBundle struct {
	bucket *fileblob.Bucket
	dir    string
}

func setup(t *testing.T) *codecBundle {
	t.Helper()
	return setupBench(t, t.TempDir())
}

func setupBench(t testing.TB, dir string) *codecBundle {
	t.Helper()
	b, err := fileblob.Open(dir, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	return &codecBundle{bucket: b, dir: dir}
}

func (cb *codecBundle) stored(t *testing.T, key string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cb.dir, filepath.FromSlash(key)))
	require.NoError(t, err)
	return data
}

func readAllAndClose(t *testing.T, rc io.ReadCloser) ([]byte, error) {
	t.Helper()
	data, err := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	return data, err
}

var compressions = []qluster.CompressionType{"", qluster.CompressionTypeGzip, qluster.CompressionTypeZip, qluster.CompressionTypeSnappyStream}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	key := protectedKey(t)
	inputs := map[string][]byte{"empty": {}, "mixed": testData()}
	for _, comp := range compressions {
		for _, encrypted := range []bool{false, true} {
			for inputName, input := range inputs {
				name := fmt.Sprintf("%s/encrypted=%t/%s", cmpName(comp), encrypted, inputName)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					cb := setup(t)
					ctx := t.Context()
					enc := blob.EncodeOptions{Compression: comp, Name: "orders.csv"}
					dec := blob.DecodeOptions{Compression: comp, Encrypted: encrypted, TempDir: t.TempDir()}
					if encrypted {
						enc.RecipientPublicKey = key.public
						dec.PrivateKey, dec.Passphrase = key.private, testPassphrase
					}
					objKey := "datasets/1/" + inputName
					n, err := blob.PutEncoded(ctx, cb.bucket, objKey, bytes.NewReader(input), enc)
					require.NoError(t, err)
					stored := cb.stored(t, objKey)
					require.Equal(t, int64(len(stored)), n, "written is the stored size")
					requireEncoded(t, stored, input, comp, encrypted)

					rc, err := blob.GetDecoded(ctx, cb.bucket, objKey, dec)
					require.NoError(t, err)
					got, err := readAllAndClose(t, rc)
					require.NoError(t, err)
					require.True(t, bytes.Equal(input, got), "round trip changed the bytes: %d in, %d out", len(input), len(got))
					entries, err := os.ReadDir(dec.TempDir)
					require.NoError(t, err)
					require.Empty(t, entries, "Decode must leave no temporary file")
				})
			}
		}
	}
}

func cmpName(c qluster.CompressionType) string {
	if c == "" {
		return "none"
	}
	return string(c)
}

// requireEncoded checks that stored is input transformed as asked.
func requireEncoded(t *testing.T, stored, input []byte, comp qluster.CompressionType, encrypted bool) {
	t.Helper()
	if encrypted {
		require.NotEmpty(t, stored)
		require.NotContains(t, string(stored), plaintextMarker)
		require.Equal(t, byte(0x80), stored[0]&0x80, "an OpenPGP packet")
		return
	}
	switch comp {
	case "":
		require.True(t, bytes.Equal(input, stored), "no compression, no encryption: stored as is")
	case qluster.CompressionTypeGzip:
		require.Equal(t, []byte{0x1f, 0x8b}, stored[:2])
	case qluster.CompressionTypeZip:
		zr, err := zip.NewReader(bytes.NewReader(stored), int64(len(stored)))
		require.NoError(t, err)
		require.Len(t, zr.File, 1)
		require.Equal(t, "orders.csv", zr.File[0].Name)
		require.Equal(t, uint64(len(input)), zr.File[0].UncompressedSize64)
	case qluster.CompressionTypeSnappyStream:
		if len(input) > 0 {
			require.Equal(t, "\xff\x06\x00\x00sNaPpY", string(stored[:10]))
		}
	}
	if comp != "" && len(input) > 0 {
		require.Less(t, len(stored), len(input), "%s must compress the text", comp)
	}
}

func TestDecodeKeyErrors(t *testing.T) {
	t.Parallel()
	key := protectedKey(t)
	other := newTestKey(t, "")
	for _, comp := range compressions {
		t.Run(cmpName(comp), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w, err := blob.Encode(&buf, blob.EncodeOptions{Compression: comp, RecipientPublicKey: key.public})
			require.NoError(t, err)
			_, err = w.Write([]byte("secret rows\n"))
			require.NoError(t, err)
			require.NoError(t, w.Close())
			ciphertext := buf.Bytes()

			for name, tc := range map[string]struct {
				opts blob.DecodeOptions
				want string
			}{
				"wrong passphrase": {blob.DecodeOptions{PrivateKey: key.private, Passphrase: "wrong"}, "the passphrase does not unlock the private key"},
				"no passphrase":    {blob.DecodeOptions{PrivateKey: key.private}, "the private key is protected by a passphrase and no Passphrase was given"},
				"no key":           {blob.DecodeOptions{}, "no PrivateKey was given"},
				"wrong key":        {blob.DecodeOptions{PrivateKey: other.private}, "does not match the key the backup was encrypted to"},
				"public key":       {blob.DecodeOptions{PrivateKey: key.public}, "holds no private decryption key"},
				"not a key":        {blob.DecodeOptions{PrivateKey: "hello"}, "reading the private key"},
			} {
				tc.opts.Compression, tc.opts.Encrypted = comp, true
				rc, err := blob.Decode(bytes.NewReader(ciphertext), tc.opts)
				require.ErrorContains(t, err, "blob.Decode: ", name)
				require.ErrorContains(t, err, tc.want, name)
				require.Nil(t, rc)
			}

			rc, err := blob.Decode(bytes.NewReader(ciphertext), blob.DecodeOptions{
				Compression: comp, Encrypted: true, PrivateKey: key.private, Passphrase: testPassphrase,
			})
			require.NoError(t, err)
			got, err := readAllAndClose(t, rc)
			require.NoError(t, err)
			require.Equal(t, "secret rows\n", string(got))
		})
	}
}

func TestDecodeTampered(t *testing.T) {
	t.Parallel()
	key := protectedKey(t)
	input := testData()
	for _, comp := range compressions {
		t.Run(cmpName(comp), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w, err := blob.Encode(&buf, blob.EncodeOptions{Compression: comp, RecipientPublicKey: key.public})
			require.NoError(t, err)
			_, err = w.Write(input)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			ciphertext := buf.Bytes()
			ciphertext[len(ciphertext)/2] ^= 0x01

			rc, err := blob.Decode(bytes.NewReader(ciphertext), blob.DecodeOptions{
				Compression: comp, Encrypted: true, PrivateKey: key.private, Passphrase: testPassphrase,
			})
			if err == nil {
				_, err = readAllAndClose(t, rc)
			}
			require.Error(t, err, "a modified ciphertext must fail to decode")
		})
	}
}

func TestDecodeNotEncrypted(t *testing.T) {
	t.Parallel()
	key := protectedKey(t)
	var buf bytes.Buffer
	w, err := blob.Encode(&buf, blob.EncodeOptions{})
	require.NoError(t, err)
	_, err = w.Write([]byte("plain"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	_, err = blob.Decode(&buf, blob.DecodeOptions{Encrypted: true, PrivateKey: key.private, Passphrase: testPassphrase})
	require.ErrorContains(t, err, "blob.Decode")
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	_, err := blob.Encode(io.Discard, blob.EncodeOptions{Compression: "lz4"})
	require.ErrorContains(t, err, `blob.Encode: unknown compression "lz4"`)
	_, err = blob.Decode(strings.NewReader(""), blob.DecodeOptions{Compression: "lz4"})
	require.ErrorContains(t, err, `blob.Decode: unknown compression "lz4"`)
	_, err = blob.Encode(io.Discard, blob.EncodeOptions{RecipientPublicKey: "not a key"})
	require.ErrorContains(t, err, "blob.Encode: reading the recipient's public key")

	cb := setup(t)
	_, err = blob.PutEncoded(t.Context(), cb.bucket, "k", strings.NewReader("x"), blob.EncodeOptions{RecipientPublicKey: "not a key"})
	require.ErrorContains(t, err, "blob.Encode: reading the recipient's public key")
	require.NotContains(t, err.Error(), "fileblob", "the cause, not the Put failure it causes")
	require.Empty(t, listFiles(t, cb.dir))
}

func TestZipDecodeErrors(t *testing.T) {
	t.Parallel()
	_, err := blob.Decode(strings.NewReader("not a zip"), blob.DecodeOptions{Compression: qluster.CompressionTypeZip})
	require.ErrorContains(t, err, "blob.Decode: reading zip")

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"a.csv", "b.csv"} {
		_, err := zw.Create(name)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	tmp := t.TempDir()
	_, err = blob.Decode(&buf, blob.DecodeOptions{Compression: qluster.CompressionTypeZip, TempDir: tmp})
	require.ErrorContains(t, err, "holds 2 files; want exactly 1")
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, entries, "a failed Decode must leave no temporary file")

	// Default member name.
	buf.Reset()
	w, err := blob.Encode(&buf, blob.EncodeOptions{Compression: qluster.CompressionTypeZip})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	require.Equal(t, blob.DefaultZipMemberName, zr.File[0].Name)
}

// listFiles lists the regular files under dir.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	}))
	return out
}

func TestPutEncodedFailingSource(t *testing.T) {
	t.Parallel()
	key := protectedKey(t)
	errBoom := errors.New("boom")
	for _, comp := range compressions {
		for _, encrypted := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/encrypted=%t", cmpName(comp), encrypted), func(t *testing.T) {
				t.Parallel()
				cb := setup(t)
				opts := blob.EncodeOptions{Compression: comp}
				if encrypted {
					opts.RecipientPublicKey = key.public
				}
				src := io.MultiReader(bytes.NewReader(make([]byte, 2<<20)), failReader{errBoom})
				_, err := blob.PutEncoded(t.Context(), cb.bucket, "a/b.csv", src, opts)
				require.ErrorIs(t, err, errBoom)
				require.ErrorContains(t, err, "blob.PutEncoded: reading the source")
				require.Empty(t, listFiles(t, cb.dir), "no object and no temporary file")
			})
		}
	}
}

func TestPutEncodedPutFails(t *testing.T) {
	t.Parallel()
	cb := setup(t)
	_, err := blob.PutEncoded(t.Context(), cb.bucket, "../escape", strings.NewReader("x"), blob.EncodeOptions{Compression: qluster.CompressionTypeGzip})
	require.ErrorContains(t, err, "fileblob.Put: invalid key")

	_, err = blob.GetDecoded(t.Context(), cb.bucket, "missing", blob.DecodeOptions{})
	require.ErrorIs(t, err, qluster.ErrNotFound)
}

func TestPutEncodedCancelled(t *testing.T) {
	t.Parallel()
	cb := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	src := io.MultiReader(
		bytes.NewReader(make([]byte, 1<<20)),
		cancelReader{cancel},
		bytes.NewReader(make([]byte, 4<<20)),
	)
	_, err := blob.PutEncoded(ctx, cb.bucket, "a/cancelled.csv", src, blob.EncodeOptions{Compression: qluster.CompressionTypeGzip})
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, listFiles(t, cb.dir), "no object and no temporary file")
}

// cancelReader cancels a context when read, and is at EOF.
type cancelReader struct{ cancel context.CancelFunc }

func (c cancelReader) Read([]byte) (int, error) {
	c.cancel()
	return 0, io.EOF
}

type failReader struct{ err error }

func (f failReader) Read([]byte) (int, error) { return 0, f.err }
