// Package secrets encrypts the secret fields Qluster keeps at rest (passwords
// of destinations, keys of sources and backups) with AES-256-GCM.
//
// # Sealed form
//
// A sealed value is the text "enc:v1:" followed by the standard base64 of
// nonce||ciphertext||tag. [Cipher.Open] returns a value without that prefix
// unchanged, so plaintext written before encryption was turned on still reads.
//
// # Keys
//
// A key is 32 random bytes. [LoadOrCreateKey] keeps one in a file (base64,
// mode 0600); [KeyFromString] takes one from configuration, either as base64
// or as any passphrase, which it hashes with SHA-256.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Prefix starts every sealed value; its version names the algorithm
// (AES-256-GCM with a 12-byte random nonce).
const Prefix = "enc:v1:"

// KeySize is the length of a key in bytes.
const KeySize = 32

// Cipher seals and opens strings with one AES-256-GCM key. It is safe for
// concurrent use.
type Cipher struct {
	aead cipher.AEAD
}

// New returns a Cipher for key, which must be KeySize bytes long.
func New(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets.New: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets.New: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets.New: %w", err)
	}
	return &Cipher{aead: aead}, nil
}

// Seal encrypts plain with a fresh random nonce and returns its sealed form.
// Sealing the same value twice gives different results.
func (c *Cipher) Seal(plain string) (string, error) {
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(plain)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secrets.Seal: %w", err)
	}
	out := c.aead.Seal(nonce, nonce, []byte(plain), nil)
	return Prefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal. A value that does not start with Prefix
// is returned unchanged (plaintext stored before encryption). A sealed value
// that is malformed, or was sealed with another key, is an error.
func (c *Cipher) Open(sealed string) (string, error) {
	enc, ok := strings.CutPrefix(sealed, Prefix)
	if !ok {
		return sealed, nil
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("secrets.Open: %w", err)
	}
	n := c.aead.NonceSize()
	if len(raw) < n+c.aead.Overhead() {
		return "", errors.New("secrets.Open: sealed value is too short")
	}
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", fmt.Errorf("secrets.Open: wrong key or corrupted value: %w", err)
	}
	return string(plain), nil
}

// IsSealed reports whether s is in sealed form.
func IsSealed(s string) bool { return strings.HasPrefix(s, Prefix) }

// LoadOrCreateKey reads the base64 key in the file at path. When the file does
// not exist it creates it with a new random key, mode 0600, creating its
// parent directory with mode 0700 when missing. A file that exists but does
// not hold a base64 key of KeySize bytes is an error: it is never replaced.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := decodeKey(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("secrets.LoadOrCreateKey: %s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("secrets.LoadOrCreateKey: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secrets.LoadOrCreateKey: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secrets.LoadOrCreateKey: %w", err)
	}
	// Write the key to a temporary file and link it into place, so that a
	// reader never sees a half-written key and, when another process created
	// the file meanwhile, its key wins.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return nil, fmt.Errorf("secrets.LoadOrCreateKey: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // the link, if made, keeps the content
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("secrets.LoadOrCreateKey: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateKey(path)
		}
		return nil, fmt.Errorf("secrets.LoadOrCreateKey: %w", err)
	}
	return key, nil
}

// KeyFromString turns configuration into a key: the standard base64 of
// KeySize bytes is decoded; any other non-empty string is a passphrase whose
// SHA-256 digest is the key.
func KeyFromString(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("secrets.KeyFromString: key is empty")
	}
	if key, err := decodeKey(s); err == nil {
		return key, nil
	}
	sum := sha256.Sum256([]byte(s))
	return sum[:], nil
}

func decodeKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("key is not base64: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(key), KeySize)
	}
	return key, nil
}
