// Package gcsblob is a [qluster.Backup] and [qluster.SignedUploader] in a
// Google Cloud Storage bucket, over cloud.google.com/go/storage.
//
//	b, err := gcsblob.Open(ctx, settings.BackupGSBucket, &gcsblob.Options{
//		ServiceAccountKey: settings.BackupGSServiceAccountKey, // the JSON key
//	})
//	if err != nil { ... }
//	defer b.Close()
//	n, err := b.Put(ctx, "datasets/7/2024-05-01/orders.csv", r)
//
// Open gives a [*Bucket]; it stores bytes as given. Compression and OpenPGP
// encryption are layered on top by package storage/blob. Open checks the
// key but does not contact the server.
//
// # Credentials
//
// Options.ServiceAccountKey is a service account's JSON key: its private
// key signs the JWT exchanged for access tokens at the key's token_uri, and
// signs upload URLs. Without it, Application Default Credentials are used.
// Options.Endpoint points the client at another server speaking the Cloud
// Storage APIs, such as fake-gcs-server in tests (without a key, it is
// called without credentials).
//
// # Keys
//
// A key is stored as Options.Prefix + key. Any non-empty UTF-8 key up to
// 1024 bytes (prefix included), without carriage return or line feed, is
// accepted.
//
// # Streaming uploads
//
// Put copies r into a storage Writer, which holds one chunk
// (Options.ChunkSize, 16 MiB by default) in memory: an object that fits in
// one chunk is sent in a single request, a larger one as a resumable upload,
// chunk by chunk. Cloud Storage shows the object only once the upload is
// finalized, so a reader sees the previous object or the new one, never a
// part of it. A Put that fails (r fails, the server refuses a chunk, ctx is
// cancelled) cancels the Writer, which abandons the upload, and returns an
// error that matches ctx.Err() when ctx was the cause.
//
// # Signed uploads
//
// [Bucket.SignUpload] makes a V4 signed URL (GOOG4-RSA-SHA256) for an HTTP
// PUT of one key, valid at most 7 days, signed locally with the key's
// private key (or, with Application Default Credentials, by the IAM
// signBlob API). Changing the key or the expiry breaks the signature.
//
// # Errors
//
// Errors are translated at the boundary ([Classify]) and keep the client's
// error in their chain:
//
//   - A missing object: Get returns a [*qluster.NotFoundError] (errors.Is
//     [qluster.ErrNotFound]); Delete of a missing key returns nil.
//   - A missing bucket: [qluster.ErrBucketNotFound] from List and Put. Get
//     and Delete cannot tell it from a missing object (Cloud Storage answers
//     both with a bare 404), and treat it as one.
//   - A 401 or 403 from the API, or an access token refused by the token
//     endpoint (a deleted or disabled key): [qluster.ErrAccessDenied].
//   - The server or the token endpoint could not be reached (connection
//     refused or timed out, unknown host, TLS failure), after the client's
//     retries: [qluster.ErrConnection].
//
// A cancelled or expired ctx is reported as such (errors.Is
// context.Canceled), not as a connection failure.
//
// # Retries and timeouts
//
// The client retries transient failures (refused or reset connections, 408,
// 429, 5xx) of idempotent calls; gcsblob bounds that to 5 attempts over a
// few seconds, where the client would otherwise retry until ctx ends.
// Options.ConnectTimeout (default 30 s) bounds dialling, the TLS handshake,
// fetching a token and the wait for each response's headers. Streaming a
// body is bounded by ctx alone; the reader Get returns reads under ctx,
// which must stay alive until it is closed.
package gcsblob
