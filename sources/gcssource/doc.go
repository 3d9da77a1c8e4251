// Package gcssource is the qluster.Source (and qluster.SourceDeleter) of
// `gs` data sources: the files under a folder of a Google Cloud Storage
// bucket, read with cloud.google.com/go/storage through package
// storage/blob/gcsblob.
//
//	src, err := gcssource.New(ctx, dataSource, nil)
//	if err != nil { ... }
//	defer src.Close()
//	files, err := src.List(ctx)
//	rc, err := src.Open(ctx, files[0].Key)
//
// # Fields
//
// New reads the data source's gs_bucket (required), gs_prefix,
// gs_service_account_key (a service account's JSON key, or "" for
// Application Default Credentials) and connection_timeout.
//
// # Folders and keys
//
// gs_prefix names a folder: "in", "in/", "/in" and "/in/" all mean the
// objects below "in/"; "" means the whole bucket. List returns every file
// below the folder, subfolders included, keyed by its path below the folder
// ("a.csv", "2024/05/b.csv"); Open and Delete take those keys. Names ending
// in "/" (the empty objects consoles create for folders) are not files.
// Cloud Storage has no folders of its own, so a folder with nothing in it
// lists nothing rather than failing with qluster.ErrPathNotFound. ETag is
// the object's generation, which changes whenever its content is replaced.
//
// # Errors
//
// Errors are those of gcsblob: refused credentials (by the API or the token
// endpoint) match qluster.ErrAccessDenied, a server or token endpoint that
// cannot be reached (after a few retries) qluster.ErrConnection, and a
// missing bucket qluster.ErrBucketNotFound from List. Open of a missing key
// returns a *qluster.NotFoundError; so does Open in a missing bucket, and
// Delete there returns nil, since Cloud Storage answers both with a bare 404:
// List first, as the sensor does, to tell them apart. A malformed
// gs_service_account_key fails New. A cancelled ctx is reported as such.
//
// # Timeouts
//
// connection_timeout (seconds; 0 means 30) bounds connecting to the server,
// fetching an access token and waiting for each response to begin: each
// List request, Open until the file starts to arrive, each Delete. Reading
// an opened file is bounded by ctx alone, however long the file.
package gcssource
