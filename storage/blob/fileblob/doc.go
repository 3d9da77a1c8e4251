// Package fileblob is a [qluster.Backup] on the local filesystem: each object
// is one file under a directory, named by its key.
//
//	b, err := fileblob.Open("/var/lib/qluster/backups", &fileblob.Options{CreateDir: true})
//	if err != nil { ... }
//	defer b.Close()
//	n, err := b.Put(ctx, "datasets/7/2024-05-01/orders.csv", r)
//
// Open gives a [*Bucket]; it stores bytes as given. Compression and OpenPGP
// encryption are layered on top by package storage/blob ([github.com/openqluster/qluster-go/storage/blob.PutEncoded]).
//
// # Keys
//
// A key is a slash-separated path relative to the bucket's directory, such as
// "datasets/7/orders.csv". Keys must stay inside the directory: an empty key,
// an absolute key ("/x"), an empty segment ("a//b", "a/"), a "." or ".."
// segment, a backslash or a NUL byte is rejected with an error naming the key
// and the rule. Segments may not begin with ".qluster-tmp-", which is kept for
// in-flight writes. All file access goes through an [os.Root], so even a
// symbolic link planted inside the directory cannot lead outside it.
//
// Parent directories are created by Put as needed and are left in place by
// Delete. A key cannot be both an object and the parent of other objects
// ("a" and "a/b"): the second Put fails.
//
// # Atomic writes
//
// Put streams into a temporary file (".qluster-tmp-<random>") in the
// destination's own directory, syncs it to disk and renames it over the
// final name. A reader therefore sees either the previous object or the new
// one, never a half-written file; a Put that fails (a reader error, a
// cancelled context, a full disk) removes its temporary file and leaves the
// previous object, if any, untouched. A crash of the whole process may leave
// a temporary file behind; such files are never returned by Get and may be
// removed by hand.
//
// Get of a missing key returns a [*qluster.NotFoundError] (errors.Is
// [qluster.ErrNotFound]); Delete of a missing key returns nil.
//
// # Signed uploads
//
// [Bucket.SignUpload] implements [qluster.SignedUploader] for local storage:
// the URL is Options.BaseURL + "/api/uploads/" + token, to be called with PUT,
// where the server (the putUpload operation of api/openapi.yaml) checks the
// token with [Bucket.VerifyUploadToken] and then calls [Bucket.Put] with the
// request body. The token is the URL-safe base64 of a small JSON document
// holding the key and the expiry, a ".", and the URL-safe base64 of its
// HMAC-SHA256 under Options.SigningKey. It is not encrypted: the key is
// readable by whoever holds the URL, but cannot be changed without the
// signing key. An expired, malformed or tampered token is refused with an
// error matching [qluster.ErrUnauthenticated] (the API answers 401).
package fileblob
