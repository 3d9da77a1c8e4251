// Package s3source is the qluster.Source (and qluster.SourceDeleter) of `s3`
// and `minio` data sources: the files under a folder of an S3 bucket, or of a
// bucket on any S3-compatible server, read with aws-sdk-go-v2 through
// package storage/blob/s3blob.
//
//	src, err := s3source.New(ctx, dataSource, nil)
//	if err != nil { ... }
//	defer src.Close()
//	files, err := src.List(ctx)
//	rc, err := src.Open(ctx, files[0].Key)
//
// # Fields
//
// New reads the data source's s3_bucket (required), s3_prefix,
// s3_region_name, s3_endpoint_url (required for minio; "" for Amazon S3),
// s3_access_key and s3_secret_key (both, or neither for the environment's
// credential chain: AWS_ACCESS_KEY_ID, shared files, an instance role) and
// connection_timeout. s3_default_buffer_size is not used: reads stream.
// Setting s3_endpoint_url selects path-style addressing, as MinIO expects.
//
// # Folders and keys
//
// s3_prefix names a folder: "in", "in/", "/in" and "/in/" all mean the keys
// below "in/"; "" means the whole bucket. List returns every file below the
// folder, subfolders included, keyed by its path below the folder ("a.csv",
// "2024/05/b.csv"); Open and Delete take those keys. Keys ending in "/" (the
// empty objects consoles create for folders) are not files. S3 has no
// folders of its own, so a folder with nothing in it lists nothing rather
// than failing with qluster.ErrPathNotFound. ETag is S3's (without quotes),
// which changes whenever the content does.
//
// # Errors
//
// Errors are those of s3blob: refused credentials match
// qluster.ErrAccessDenied, a missing bucket qluster.ErrBucketNotFound, a
// server that cannot be reached (after the SDK's retries)
// qluster.ErrConnection, and Open of a missing key returns a
// *qluster.NotFoundError. A cancelled ctx is reported as such.
//
// # Timeouts
//
// connection_timeout (seconds; 0 means 30) bounds connecting to the server
// and waiting for each response to begin: each List request, Open until the
// file starts to arrive, each Delete. Reading an opened file is bounded by
// ctx alone, however long the file.
package s3source
