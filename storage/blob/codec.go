package blob

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/golang/snappy"
	"github.com/klauspost/compress/gzip"

	"github.com/openqluster/qluster-go/qluster"
)

// DefaultZipMemberName is the member name Encode gives a zip archive when
// EncodeOptions.Name is empty.
const DefaultZipMemberName = "data"

// EncodeOptions says how Encode transforms the bytes written to it.
type EncodeOptions struct {
	// Compression is applied first. Default "": none.
	Compression qluster.CompressionType
	// RecipientPublicKey is an armored OpenPGP public key (block); the
	// compressed bytes are encrypted to it (to every key in the block).
	// Default "": no encryption.
	RecipientPublicKey string
	// Name is the member name inside a zip archive, and the file name
	// recorded inside the OpenPGP message. Default "": DefaultZipMemberName
	// for zip, none in OpenPGP.
	Name string
}

// DecodeOptions says how Decode undoes Encode. They must match the
// EncodeOptions the bytes were written with.
type DecodeOptions struct {
	// Compression is what Encode applied. Default "": none.
	Compression qluster.CompressionType
	// Encrypted says the bytes are an OpenPGP message; PrivateKey is then
	// required. Default false.
	Encrypted bool
	// PrivateKey is the armored OpenPGP private key (block) matching the
	// public key the bytes were encrypted to.
	PrivateKey string
	// Passphrase unlocks PrivateKey when it is protected. Default "": the
	// key is not protected.
	Passphrase string
	// TempDir is where zip archives are spooled (see Decode). Default "":
	// os.TempDir().
	TempDir string
}

// pgpConfig is the OpenPGP configuration of Encode: the data is compressed
// (or deliberately not) before it gets here, so OpenPGP adds none.
var pgpConfig = &packet.Config{
	DefaultCipher:          packet.CipherAES256,
	DefaultCompressionAlgo: packet.CompressionNone,
}

// Encode returns a writer that compresses what is written to it, per
// opts.Compression, then encrypts it to opts.RecipientPublicKey when one is
// given, and writes the result to w. It streams: memory use does not grow
// with the data. Close flushes everything and writes the trailers (gzip
// footer, zip central directory, OpenPGP integrity check); it does not
// close w. A write or Close error means the output is unusable.
func Encode(w io.Writer, opts EncodeOptions) (io.WriteCloser, error) {
	if opts.Compression != "" && !opts.Compression.Valid() {
		return nil, fmt.Errorf("blob.Encode: unknown compression %q (want gzip, zip, snappy_stream or none)", opts.Compression)
	}
	var closers []io.Closer // innermost (first written) last
	out := w
	if opts.RecipientPublicKey != "" {
		to, err := openpgp.ReadArmoredKeyRing(strings.NewReader(opts.RecipientPublicKey))
		if err != nil {
			return nil, fmt.Errorf("blob.Encode: reading the recipient's public key: %w", err)
		}
		hints := &openpgp.FileHints{IsBinary: true, FileName: opts.Name, ModTime: time.Now()}
		enc, err := openpgp.Encrypt(w, to, nil, hints, pgpConfig)
		if err != nil {
			return nil, fmt.Errorf("blob.Encode: encrypting to the recipient's public key: %w", err)
		}
		out, closers = enc, append(closers, enc)
	}
	switch opts.Compression {
	case qluster.CompressionTypeGzip:
		zw := gzip.NewWriter(out)
		zw.Name = opts.Name
		out, closers = zw, append(closers, zw)
	case qluster.CompressionTypeZip:
		zw := zip.NewWriter(out)
		name := opts.Name
		if name == "" {
			name = DefaultZipMemberName
		}
		member, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Now()})
		if err != nil {
			return nil, fmt.Errorf("blob.Encode: %w", err)
		}
		out, closers = member, append(closers, zw)
	case qluster.CompressionTypeSnappyStream:
		sw := snappy.NewBufferedWriter(out)
		out, closers = sw, append(closers, sw)
	}
	return &encoder{w: out, closers: closers}, nil
}

// encoder writes to the outermost layer and closes the layers from the
// outermost in.
type encoder struct {
	w       io.Writer
	closers []io.Closer
	closed  bool
}

func (e *encoder) Write(p []byte) (int, error) {
	if e.closed {
		return 0, errors.New("blob.Encode: write after Close")
	}
	return e.w.Write(p)
}

func (e *encoder) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	for i := len(e.closers) - 1; i >= 0; i-- {
		if err := e.closers[i].Close(); err != nil {
			return fmt.Errorf("blob.Encode: closing: %w", err)
		}
	}
	return nil
}

// Decode returns a reader of the original bytes of r, which Encode wrote
// with options matching opts: it decrypts (when opts.Encrypted) and then
// decompresses, streaming. Close releases what Decode holds; it does not
// close r.
//
// A wrong private key or passphrase fails at once with an error saying which.
// The integrity of an encrypted message (its OpenPGP modification detection
// code or AEAD tags), and the checksums of gzip and snappy, are verified as
// the data is read: a tampered or truncated object surfaces as an error from
// Read, at the latest in place of io.EOF, so a caller must treat the bytes
// as valid only once Read has returned io.EOF.
//
// # Zip
//
// A zip archive is read from its central directory at the end, so it needs
// random access: Decode first copies the (decrypted) archive to a temporary
// file in opts.TempDir, never to memory, and Close removes it (on Unix the
// file is unlinked at once and only the open handle keeps it). That copy
// also verifies the encryption's integrity before any byte is returned. The
// archive must hold exactly one file, which is what the reader yields.
func Decode(r io.Reader, opts DecodeOptions) (io.ReadCloser, error) {
	if opts.Compression != "" && !opts.Compression.Valid() {
		return nil, fmt.Errorf("blob.Decode: unknown compression %q (want gzip, zip, snappy_stream or none)", opts.Compression)
	}
	if opts.Encrypted {
		var err error
		if r, err = decrypt(r, opts); err != nil {
			return nil, err
		}
	}
	switch opts.Compression {
	case qluster.CompressionTypeGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("blob.Decode: reading gzip: %w", err)
		}
		return zr, nil
	case qluster.CompressionTypeZip:
		return openZip(r, opts.TempDir)
	case qluster.CompressionTypeSnappyStream:
		return io.NopCloser(snappy.NewReader(r)), nil
	}
	return io.NopCloser(r), nil
}

// decrypt returns the plaintext of the OpenPGP message r.
func decrypt(r io.Reader, opts DecodeOptions) (io.Reader, error) {
	if opts.PrivateKey == "" {
		return nil, errors.New("blob.Decode: the backup is encrypted and no PrivateKey was given")
	}
	keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(opts.PrivateKey))
	if err != nil {
		return nil, fmt.Errorf("blob.Decode: reading the private key: %w", err)
	}
	if len(keys.DecryptionKeys()) == 0 {
		return nil, errors.New("blob.Decode: PrivateKey holds no private decryption key (is it the public key?)")
	}
	for _, e := range keys {
		if !hasEncryptedKey(e) {
			continue
		}
		if opts.Passphrase == "" {
			return nil, errors.New("blob.Decode: the private key is protected by a passphrase and no Passphrase was given")
		}
		if err := e.DecryptPrivateKeys([]byte(opts.Passphrase)); err != nil {
			return nil, fmt.Errorf("blob.Decode: the passphrase does not unlock the private key: %w", err)
		}
	}
	md, err := openpgp.ReadMessage(r, keys, nil, pgpConfig)
	if errors.Is(err, pgperrors.ErrKeyIncorrect) {
		return nil, errors.New("blob.Decode: the private key does not match the key the backup was encrypted to")
	}
	if err != nil {
		return nil, fmt.Errorf("blob.Decode: reading the OpenPGP message: %w", err)
	}
	if !md.IsEncrypted {
		return nil, errors.New("blob.Decode: the backup is not encrypted, but DecodeOptions.Encrypted is set")
	}
	return md.UnverifiedBody, nil
}

// hasEncryptedKey reports whether any private key of e is locked.
func hasEncryptedKey(e *openpgp.Entity) bool {
	if e.PrivateKey != nil && e.PrivateKey.Encrypted {
		return true
	}
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

// openZip spools the zip archive r to a temporary file and opens its only
// member.
func openZip(r io.Reader, dir string) (_ io.ReadCloser, err error) {
	f, err := os.CreateTemp(dir, "qluster-zip-*")
	if err != nil {
		return nil, fmt.Errorf("blob.Decode: spooling zip: %w", err)
	}
	zr := &zipReader{f: f, removed: os.Remove(f.Name()) == nil}
	defer func() {
		if err != nil {
			_ = zr.Close()
		}
	}()
	size, err := io.Copy(f, r)
	if err != nil {
		return nil, fmt.Errorf("blob.Decode: spooling zip: %w", err)
	}
	arch, err := zip.NewReader(f, size)
	if err != nil {
		return nil, fmt.Errorf("blob.Decode: reading zip: %w", err)
	}
	var files []*zip.File
	for _, m := range arch.File {
		if !m.FileInfo().IsDir() {
			files = append(files, m)
		}
	}
	if len(files) != 1 {
		return nil, fmt.Errorf("blob.Decode: the zip archive holds %d files; want exactly 1", len(files))
	}
	if zr.member, err = files[0].Open(); err != nil {
		return nil, fmt.Errorf("blob.Decode: opening %q in the zip archive: %w", files[0].Name, err)
	}
	return zr, nil
}

// zipReader reads the member of a spooled zip and removes the spool on Close.
type zipReader struct {
	f       *os.File
	removed bool
	member  io.ReadCloser
}

func (z *zipReader) Read(p []byte) (int, error) { return z.member.Read(p) }

func (z *zipReader) Close() error {
	var errs []error
	if z.member != nil {
		errs = append(errs, z.member.Close())
	}
	errs = append(errs, z.f.Close())
	if !z.removed {
		errs = append(errs, os.Remove(z.f.Name()))
	}
	return errors.Join(errs...)
}

// errPutAborted ends the encoding side of PutEncoded when Put has stopped
// reading.
var errPutAborted = errors.New("the backup stopped reading")

// PutEncoded stores r under key in b, encoded per opts (compressed, then
// encrypted). It streams r through Encode into b.Put over an io.Pipe, so
// memory use does not grow with the data; the object appears only if all of
// r was encoded and stored. written is the number of stored (encoded) bytes,
// as b.Put reports them.
//
// When r or the encoding fails, that error is returned (not the Put failure
// it causes); when b.Put fails, its error is. PutEncoded returns only once
// it no longer reads r.
func PutEncoded(ctx context.Context, b qluster.Backup, key string, r io.Reader, opts EncodeOptions) (written int64, err error) {
	pr, pw := io.Pipe()
	sink := &recordingWriter{w: pw}
	encErr := make(chan error, 1)
	go func() {
		err := encodeTo(sink, r, opts)
		_ = pw.CloseWithError(err) // Put sees err in place of io.EOF
		encErr <- err
	}()
	written, err = b.Put(ctx, key, pr)
	// Unblock the encoder if Put stopped early; a no-op once it is done.
	_ = pr.CloseWithError(errPutAborted)
	eerr := <-encErr
	switch {
	case eerr != nil && sink.err == nil:
		return 0, eerr // the cause: the source or the encoder failed
	case err != nil:
		return 0, err
	case eerr != nil:
		return 0, fmt.Errorf("blob.PutEncoded %q: the backup returned before reading everything", key)
	}
	return written, nil
}

// encodeTo copies r through Encode into w.
func encodeTo(w io.Writer, r io.Reader, opts EncodeOptions) error {
	enc, err := Encode(w, opts)
	if err != nil {
		return err
	}
	src := &recordingReader{r: r}
	if _, err := io.Copy(enc, src); err != nil {
		// No Close: the trailers would only make a broken object look whole.
		if src.err != nil {
			return fmt.Errorf("blob.PutEncoded: reading the source: %w", err)
		}
		return fmt.Errorf("blob.PutEncoded: encoding: %w", err)
	}
	return enc.Close()
}

// recordingWriter remembers the last error of w.
type recordingWriter struct {
	w   io.Writer
	err error
}

func (rw *recordingWriter) Write(p []byte) (int, error) {
	n, err := rw.w.Write(p)
	if err != nil {
		rw.err = err
	}
	return n, err
}

// recordingReader remembers the last error, other than io.EOF, of r.
type recordingReader struct {
	r   io.Reader
	err error
}

func (rr *recordingReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		rr.err = err
	}
	return n, err
}

// GetDecoded opens the object at key in b and returns a reader of its
// original bytes, decoded per opts (see Decode). Closing the reader closes
// the object. A missing key returns b.Get's error (matching
// qluster.ErrNotFound).
func GetDecoded(ctx context.Context, b qluster.Backup, key string, opts DecodeOptions) (io.ReadCloser, error) {
	obj, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	dec, err := Decode(obj, opts)
	if err != nil {
		_ = obj.Close()
		return nil, err
	}
	return &decodedObject{ReadCloser: dec, obj: obj}, nil
}

// decodedObject closes the decoder and then the object under it.
type decodedObject struct {
	io.ReadCloser
	obj io.Closer
}

func (d *decodedObject) Close() error {
	return errors.Join(d.ReadCloser.Close(), d.obj.Close())
}
