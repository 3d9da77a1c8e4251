package blob

import (
	"io"

	"github.com/openqluster/qluster-go/qluster"
)

// Codec is the qluster.Codec of this package: Encode and Decode with the
// options of a qluster.BackupEncoding.
type Codec struct {
	// TempDir is where zip archives are spooled while decoding. Default
	// os.TempDir().
	TempDir string
}

var _ qluster.Codec = Codec{}

// Encode wraps what is written to the returned writer into w.
func (Codec) Encode(w io.Writer, e qluster.BackupEncoding) (io.WriteCloser, error) {
	return Encode(w, EncodeOptions{Compression: e.Compression, RecipientPublicKey: e.RecipientPublicKey, Name: e.Name})
}

// Decode returns the original bytes of r.
func (c Codec) Decode(r io.Reader, e qluster.BackupEncoding) (io.ReadCloser, error) {
	return Decode(r, DecodeOptions{Compression: e.Compression, Encrypted: e.Encrypted, PrivateKey: e.PrivateKey,
		Passphrase: e.Passphrase, TempDir: c.TempDir})
}
