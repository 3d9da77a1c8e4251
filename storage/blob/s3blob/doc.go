// Package s3blob is a [qluster.Backup] and [qluster.SignedUploader] in an
// Amazon S3 bucket, or in a bucket of any S3-compatible server (MinIO,
// versitygw, Ceph, Backblaze B2, ...), over aws-sdk-go-v2.
//
//	b, err := s3blob.Open(ctx, settings.BackupS3Bucket, &s3blob.Options{
//		Region:    settings.BackupS3RegionName,
//		Endpoint:  settings.BackupS3EndpointURL, // "" for Amazon S3
//		AccessKey: settings.BackupS3AccessKey,
//		SecretKey: settings.BackupS3SecretKey,
//		PartSize:  settings.BackupS3DefaultBufferSize, // 0: 8 MiB
//	})
//	if err != nil { ... }
//	defer b.Close()
//	n, err := b.Put(ctx, "datasets/7/2024-05-01/orders.csv", r)
//
// Open gives a [*Bucket]; it stores bytes as given. Compression and OpenPGP
// encryption are layered on top by package storage/blob. Open does not
// contact the server.
//
// # Keys
//
// A key is stored as Options.Prefix + key. Any non-empty UTF-8 key up to
// 1024 bytes (prefix included) is accepted; slashes are just characters to
// S3, shown as folders by consoles.
//
// # Streaming uploads
//
// Put streams r through the SDK's transfer manager
// (github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager, the successor of
// the deprecated feature/s3/manager): an object up to Options.PartSize goes
// in one PutObject, a larger one in a multipart upload whose parts are read
// from r as they are sent, Options.Concurrency at a time, so a Put holds at
// most (Concurrency+1) × PartSize bytes, never the whole object. S3 shows an
// object only once its PutObject or CompleteMultipartUpload succeeds, so a
// reader sees the previous object or the new one, never a part of it. A Put
// that fails (r fails, the server refuses a part, ctx is cancelled) aborts
// its multipart upload, on a fresh context bounded to 30 seconds so that a
// cancelled Put still releases the parts already stored, and returns an
// error that matches ctx.Err() when ctx was the cause.
//
// # Pre-signed uploads
//
// [Bucket.SignUpload] signs a PutObject URL locally (Signature Version 4,
// the SDK's presign client): whoever holds it can PUT the bytes of that one
// key until it expires, at most 7 days on. Changing the key, or using it
// late, makes S3 refuse it with 403. The URL carries no checksum, so any
// body is accepted.
//
// # Errors
//
// Errors are translated at the boundary ([Classify]) and keep the SDK's
// error in their chain:
//
//   - NoSuchKey: Get returns a [*qluster.NotFoundError] (errors.Is
//     [qluster.ErrNotFound]); Delete of a missing key returns nil.
//   - NoSuchBucket: [qluster.ErrBucketNotFound], from every operation.
//   - AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, expired or
//     invalid tokens, any other 401 or 403: [qluster.ErrAccessDenied].
//   - A request that could not be sent (connection refused or timed out,
//     unknown host, TLS failure), after the SDK's retries:
//     [qluster.ErrConnection].
//
// A cancelled or expired ctx is reported as such (errors.Is
// context.Canceled), not as a connection failure.
//
// # S3-compatible servers
//
// Setting Options.Endpoint selects path-style addressing
// (http://host/bucket/key), which MinIO and versitygw expect, and makes the
// SDK send checksums only where an operation requires one: since early 2025
// the SDK adds CRC32 checksums to every upload by default, which several
// S3-compatible servers refuse. Credentials are static when
// Options.AccessKey is set, and otherwise come from the environment's chain
// (AWS_ACCESS_KEY_ID, shared files, SSO, an instance or task role).
// AWS_CA_BUNDLE and the other TLS settings of the environment apply.
//
// # Timeouts
//
// Options.ConnectTimeout (default 30 s) bounds dialling, the TLS handshake
// and the wait for each response's headers. Streaming a body is bounded by
// ctx alone, so a large Get may take as long as it needs; the reader Get
// returns reads under ctx, which must stay alive until it is closed.
package s3blob
