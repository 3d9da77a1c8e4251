package analyzer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// ErrPassword is returned when an encrypted member cannot be opened:
// no file_password, or a wrong one.
var ErrPassword = errors.New("analyzer: wrong or missing file_password")

// openZipMember opens a zip member, decrypting it with password when it
// is encrypted (traditional PKWARE ZipCrypto or WinZip AES).
func openZipMember(f *zip.File, password string) (io.ReadCloser, error) {
	if f.Flags&1 == 0 {
		return f.Open()
	}
	if password == "" {
		return nil, fmt.Errorf("%w: %s is encrypted", ErrPassword, f.Name)
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, err
	}
	if f.Method == 99 {
		return openAESMember(f, raw, password)
	}
	z := newZipCrypto(password)
	var hdr [12]byte
	if _, err := io.ReadFull(raw, hdr[:]); err != nil {
		return nil, err
	}
	z.decrypt(hdr[:])
	check := byte(f.CRC32 >> 24)
	if f.Flags&0x8 != 0 {
		check = byte(f.ModifiedTime >> 8)
	}
	if hdr[11] != check {
		return nil, fmt.Errorf("%w: %s", ErrPassword, f.Name)
	}
	dec := &zipCryptoReader{r: raw, z: z}
	return decompressMember(f.Method, dec, f.CRC32)
}

func decompressMember(method uint16, r io.Reader, crc uint32) (io.ReadCloser, error) {
	var rc io.ReadCloser
	switch method {
	case zip.Store:
		rc = io.NopCloser(r)
	case zip.Deflate:
		rc = flate.NewReader(r)
	default:
		return nil, fmt.Errorf("analyzer: zip compression method %d is not supported", method)
	}
	return &crcReader{rc: rc, h: crc32.NewIEEE(), want: crc, check: crc != 0}, nil
}

type crcReader struct {
	rc    io.ReadCloser
	h     hash.Hash32
	want  uint32
	check bool
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && c.check && c.h.Sum32() != c.want {
		return n, fmt.Errorf("analyzer: zip member checksum mismatch (wrong file_password?)")
	}
	return n, err
}

func (c *crcReader) Close() error { return c.rc.Close() }

// zipCrypto is the traditional PKWARE stream cipher.
type zipCrypto struct{ k0, k1, k2 uint32 }

func newZipCrypto(password string) *zipCrypto {
	z := &zipCrypto{0x12345678, 0x23456789, 0x34567890}
	for i := 0; i < len(password); i++ {
		z.update(password[i])
	}
	return z
}

func (z *zipCrypto) update(c byte) {
	z.k0 = crc32.IEEETable[byte(z.k0)^c] ^ (z.k0 >> 8)
	z.k1 = (z.k1+(z.k0&0xff))*134775813 + 1
	z.k2 = crc32.IEEETable[byte(z.k2)^byte(z.k1>>24)] ^ (z.k2 >> 8)
}

func (z *zipCrypto) stream() byte {
	t := uint16(z.k2 | 2)
	return byte((uint32(t) * uint32(t^1)) >> 8)
}

func (z *zipCrypto) decrypt(b []byte) {
	for i := range b {
		c := b[i] ^ z.stream()
		z.update(c)
		b[i] = c
	}
}

func (z *zipCrypto) encrypt(b []byte) {
	for i := range b {
		c := b[i]
		b[i] = c ^ z.stream()
		z.update(c)
	}
}

type zipCryptoReader struct {
	r io.Reader
	z *zipCrypto
}

func (r *zipCryptoReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.z.decrypt(p[:n])
	return n, err
}

// openAESMember decrypts a WinZip AES (AE-1/AE-2) member.
func openAESMember(f *zip.File, raw io.Reader, password string) (io.ReadCloser, error) {
	strength, method, vendor, ok := aesExtra(f.Extra)
	if !ok {
		return nil, fmt.Errorf("analyzer: %s: missing AES extra field", f.Name)
	}
	keyLen := 8 * (int(strength) + 1) // 16, 24, 32
	saltLen := keyLen / 2
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(raw, salt); err != nil {
		return nil, err
	}
	var pv [2]byte
	if _, err := io.ReadFull(raw, pv[:]); err != nil {
		return nil, err
	}
	dk, err := pbkdf2.Key(sha1.New, password, salt, 1000, 2*keyLen+2)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(dk[2*keyLen:], pv[:]) {
		return nil, fmt.Errorf("%w: %s", ErrPassword, f.Name)
	}
	block, err := aes.NewCipher(dk[:keyLen])
	if err != nil {
		return nil, err
	}
	dataLen := int64(f.CompressedSize64) - int64(saltLen) - 2 - 10
	if dataLen < 0 {
		return nil, fmt.Errorf("analyzer: %s: truncated AES member", f.Name)
	}
	mac := hmac.New(sha1.New, dk[keyLen:2*keyLen])
	ar := &aesCTRReader{r: io.LimitReader(raw, dataLen), raw: raw, block: block, mac: mac}
	crc := f.CRC32
	if vendor == 2 {
		crc = 0 // AE-2 stores no CRC
	}
	return decompressMember(method, ar, crc)
}

func aesExtra(extra []byte) (strength byte, method uint16, vendor uint16, ok bool) {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		if 4+n > len(extra) {
			break
		}
		if id == 0x9901 && n >= 7 {
			d := extra[4 : 4+n]
			return d[4], binary.LittleEndian.Uint16(d[5:]), binary.LittleEndian.Uint16(d), true
		}
		extra = extra[4+n:]
	}
	return 0, 0, 0, false
}

// aesCTRReader decrypts WinZip's AES-CTR (little-endian counter from 1)
// and checks the HMAC-SHA1 authentication code at the end.
type aesCTRReader struct {
	r       io.Reader
	raw     io.Reader
	block   cipher.Block
	mac     hash.Hash
	counter uint64
	ks      [16]byte
	ksPos   int
	done    bool
}

func (a *aesCTRReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	a.mac.Write(p[:n])
	for i := 0; i < n; i++ {
		if a.ksPos == 0 || a.ksPos == 16 {
			a.counter++
			var ctr [16]byte
			binary.LittleEndian.PutUint64(ctr[:], a.counter)
			a.block.Encrypt(a.ks[:], ctr[:])
			a.ksPos = 0
		}
		p[i] ^= a.ks[a.ksPos]
		a.ksPos++
	}
	if err == io.EOF && !a.done {
		a.done = true
		var code [10]byte
		if _, e := io.ReadFull(a.raw, code[:]); e != nil {
			return n, e
		}
		if !hmac.Equal(code[:], a.mac.Sum(nil)[:10]) {
			return n, fmt.Errorf("analyzer: AES zip member authentication failed")
		}
	}
	return n, err
}
