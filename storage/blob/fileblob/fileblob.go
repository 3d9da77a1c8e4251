package fileblob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob"
)

var (
	_ qluster.Backup         = (*Bucket)(nil)
	_ qluster.SignedUploader = (*Bucket)(nil)
)

// tempPrefix begins the name of every in-flight file; keys may not use it.
const tempPrefix = ".qluster-tmp-"

// Permissions of what Put creates: backups hold raw customer data, so only
// the owner may read them.
const (
	dirPerm  fs.FileMode = 0o700
	filePerm fs.FileMode = 0o600
)

// minSigningKeyLen is the shortest Options.SigningKey accepted: HMAC-SHA256
// wants a key at least as long as its output.
const minSigningKeyLen = 32

// Options configures a Bucket. The zero value (or a nil *Options) is valid
// for a bucket that does not sign uploads.
type Options struct {
	// CreateDir makes Open create dir (and its parents) when it does not
	// exist. Default false: a missing dir is an error, so a typo in a
	// setting is not silently turned into a new empty backup.
	CreateDir bool
	// BaseURL is the server's external address, such as
	// "https://qluster.example.com", that SignUpload puts in front of
	// "/api/uploads/<token>". Default "": the URL is relative to the server.
	BaseURL string
	// SigningKey is the HMAC-SHA256 key of upload tokens; at least 32 bytes.
	// Required by SignUpload and VerifyUploadToken; default nil, and then
	// both return an error.
	SigningKey []byte
}

// Bucket is a Backup stored in a directory of the local filesystem. It is
// safe for concurrent use. Close releases the directory handle.
type Bucket struct {
	root       *os.Root
	baseURL    string
	signingKey []byte
}

// Open returns a Bucket storing objects under dir. dir must exist and be a
// directory unless opts.CreateDir is set. A nil opts means defaults.
func Open(dir string, opts *Options) (*Bucket, error) {
	if opts == nil {
		opts = &Options{}
	}
	if dir == "" {
		return nil, errors.New("fileblob.Open: dir is required")
	}
	if opts.SigningKey != nil && len(opts.SigningKey) < minSigningKeyLen {
		return nil, fmt.Errorf("fileblob.Open: Options.SigningKey is %d bytes; it must be at least %d (use 32 random bytes)", len(opts.SigningKey), minSigningKeyLen)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("fileblob.Open: %w", err)
	}
	if opts.CreateDir {
		if err := os.MkdirAll(abs, dirPerm); err != nil {
			return nil, fmt.Errorf("fileblob.Open: %w", err)
		}
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("fileblob.Open: %w (set Options.CreateDir to create it)", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("fileblob.Open: %s is not a directory", abs)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("fileblob.Open: %w", err)
	}
	return &Bucket{
		root:       root,
		baseURL:    strings.TrimRight(opts.BaseURL, "/"),
		signingKey: append([]byte(nil), opts.SigningKey...),
	}, nil
}

// Dir returns the absolute directory the bucket stores objects in.
func (b *Bucket) Dir() string { return b.root.Name() }

// Close releases the directory handle. The Bucket must not be used afterwards.
func (b *Bucket) Close() error { return b.root.Close() }

// Put stores everything r yields under key, replacing what was there, and
// returns the number of bytes written. The object appears, by an atomic
// rename, only once it is complete and synced; on any error nothing changes.
// A cancelled ctx stops the copy with an error matching ctx.Err().
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ValidateKey(key); err != nil {
		return 0, fmt.Errorf("fileblob.Put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("fileblob.Put %q: %w", key, err)
	}
	name := filepath.FromSlash(key)
	dir := filepath.Dir(name)
	if dir != "." {
		if err := b.root.MkdirAll(dir, dirPerm); err != nil {
			return 0, fmt.Errorf("fileblob.Put %q: creating its directory: %w", key, err)
		}
	}
	f, tmp, err := b.createTemp(dir)
	if err != nil {
		return 0, fmt.Errorf("fileblob.Put %q: %w", key, err)
	}
	n, err := b.fill(ctx, f, r)
	if err == nil {
		err = b.root.Rename(tmp, name)
	}
	if err != nil {
		_ = b.root.Remove(tmp)
		return 0, fmt.Errorf("fileblob.Put %q: %w", key, err)
	}
	syncDir(b.root, dir)
	return n, nil
}

// fill copies r into the temporary file f, syncs and closes it.
func (b *Bucket) fill(ctx context.Context, f *os.File, r io.Reader) (int64, error) {
	n, err := io.Copy(f, blob.ContextReader(ctx, r))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// createTemp creates a new, empty temporary file in dir (relative to the
// root) and returns it with its root-relative name.
func (b *Bucket) createTemp(dir string) (*os.File, string, error) {
	var buf [12]byte
	for range 100 {
		_, _ = rand.Read(buf[:])
		name := filepath.Join(dir, tempPrefix+hex.EncodeToString(buf[:]))
		f, err := b.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("creating temporary file: %w", err)
		}
		return f, name, nil
	}
	return nil, "", errors.New("creating temporary file: too many name collisions")
}

// syncDir makes a rename in dir durable. It is best effort: some platforms
// cannot sync a directory, and the object is already in place.
func syncDir(root *os.Root, dir string) {
	d, err := root.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// Get opens the object at key. The caller closes it. A missing key returns a
// *qluster.NotFoundError.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("fileblob.Get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fileblob.Get %q: %w", key, err)
	}
	f, err := b.root.Open(filepath.FromSlash(key))
	if isNotExist(err) {
		return nil, &qluster.NotFoundError{Kind: "backup object", Key: key}
	}
	if err != nil {
		return nil, fmt.Errorf("fileblob.Get %q: %w", key, err)
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("fileblob.Get %q: %w", key, err)
	}
	if !info.Mode().IsRegular() {
		_ = f.Close()
		return nil, &qluster.NotFoundError{Kind: "backup object", Key: key}
	}
	return f, nil
}

// Delete removes the object at key; deleting a missing key is not an error.
// The directories above it stay.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("fileblob.Delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fileblob.Delete %q: %w", key, err)
	}
	name := filepath.FromSlash(key)
	info, err := b.root.Lstat(name)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fileblob.Delete %q: %w", key, err)
	}
	if info.IsDir() {
		return nil // a directory of other objects, not an object
	}
	if err := b.root.Remove(name); err != nil && !isNotExist(err) {
		return fmt.Errorf("fileblob.Delete %q: %w", key, err)
	}
	return nil
}

// isNotExist reports whether err means the path (or one of its parents) is
// not there.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// ValidateKey returns an error when key is not a valid object key: it must be
// a non-empty, relative, slash-separated path whose segments are neither
// empty, "." nor "..", nor begin with ".qluster-tmp-", and it may not hold a
// backslash or a NUL byte.
func ValidateKey(key string) error {
	bad := func(why string) error { return fmt.Errorf("invalid key %q: %s", key, why) }
	switch {
	case key == "":
		return errors.New("invalid key: the key is empty")
	case path.IsAbs(key) || filepath.IsAbs(key) || filepath.VolumeName(key) != "":
		return bad("it must be relative, not begin with /")
	case strings.ContainsRune(key, '\\'):
		return bad("it may not contain a backslash; separate segments with /")
	case strings.ContainsRune(key, 0):
		return bad("it may not contain a NUL byte")
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return bad("it has an empty segment (a leading, trailing or doubled /)")
		case seg == "." || seg == "..":
			return bad("it may not have a . or .. segment")
		case strings.HasPrefix(seg, tempPrefix):
			return bad("segments beginning with " + tempPrefix + " are reserved for in-flight writes")
		}
	}
	return nil
}
