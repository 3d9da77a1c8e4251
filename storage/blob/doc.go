// Package blob turns raw files into backup objects and back: it compresses
// and OpenPGP-encrypts them on the way into a [qluster.Backup], and decrypts
// and decompresses them on the way out, streaming all the way, so files of
// any size pass through a small, fixed amount of memory.
//
// The Backup implementations store bytes as given; they live in the
// packages below this one (storage/blob/fileblob for the local filesystem).
//
//	n, err := blob.PutEncoded(ctx, backup, "datasets/7/orders.csv.gz.gpg", file, blob.EncodeOptions{
//		Compression:        qluster.CompressionTypeGzip,
//		RecipientPublicKey: settings.BackupGPGPublicKey,
//	})
//	...
//	rc, err := blob.GetDecoded(ctx, backup, "datasets/7/orders.csv.gz.gpg", blob.DecodeOptions{
//		Compression: qluster.CompressionTypeGzip,
//		Encrypted:   true,
//		PrivateKey:  settings.BackupGPGPrivateKey,
//		Passphrase:  settings.BackupGPGPassphrase,
//	})
//	defer rc.Close()
//
// # Encoding
//
// [Encode] wraps a writer: what is written to it is compressed first and
// encrypted second (compressing ciphertext gains nothing). The compressions
// are the values of [qluster.CompressionType]:
//
//   - gzip: an RFC 1952 stream (compress/gzip).
//   - zip: an archive holding one member, named EncodeOptions.Name
//     (archive/zip, deflate).
//   - snappy_stream: the Snappy framing format (github.com/golang/snappy),
//     fast and splittable, with a checksum per chunk.
//   - "" (empty): none.
//
// Encryption is a binary (not armored) OpenPGP message to the recipient's
// public key (github.com/ProtonMail/go-crypto/openpgp), AES-256, integrity
// protected, with no further OpenPGP compression, so standard OpenPGP tools
// can decrypt a backup too.
//
// [Decode] undoes it given the same compression, the private key and its
// passphrase. A wrong private key or passphrase fails at once, with an error
// saying which. Corruption and tampering are detected as the data is read
// (OpenPGP's integrity check, the compressions' checksums) and surface as an
// error from Read, at the latest in place of io.EOF: treat the bytes as
// valid only once the reader has reached io.EOF.
//
// # Zip and temporary files
//
// A zip archive's directory is at its end, so reading one needs random
// access. Decode therefore copies a zip archive (after decryption) to a
// temporary file in DecodeOptions.TempDir (default os.TempDir()) before
// returning, never to memory; Close removes it, and on Unix the file is
// unlinked at once so that not even a crash leaves it behind. Make sure that
// directory can hold the largest archive. The other compressions stream
// without temporary files.
//
// # Streaming into a Backup
//
// [PutEncoded] runs Encode in a goroutine that writes into an io.Pipe whose
// other end is the Backup's Put, so no whole file is ever held in memory. If
// the source or the encoding fails, the pipe carries the error to Put, which
// then stores nothing (the Backup contract: an object appears only once it
// is complete), and PutEncoded returns that first error rather than the Put
// failure it caused. [GetDecoded] is Get followed by Decode; closing its
// reader closes the object too.
package blob
