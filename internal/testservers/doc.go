// Package testservers starts real servers on loopback for tests: each
// helper listens on 127.0.0.1:0, serves what the test prepared, and stops
// (closing every connection it accepted) when the test ends.
//
// # SFTP
//
// SFTP and StartSFTP run an SSH server (password and public-key auth)
// whose sftp subsystem serves a temporary directory as "/": a client sees
// only that directory, as on a chrooted SFTP host.
//
// # S3 and GCS
//
// S3 runs versitygw (an S3 gateway storing buckets as directories) and GCS
// runs fake-gcs-server (the Cloud Storage JSON and XML APIs, in memory), each
// as a child process on a free port of 127.0.0.1, waiting at most 30
// seconds until it answers HTTP and killing it when the test ends. A server
// that exits first fails the test with the end of its output; a port taken
// between choosing and binding it is retried on another.
//
//	endpoint, accessKey, secretKey := testservers.S3(t) // versitygw posix over t.TempDir()
//	gcsEndpoint := testservers.GCS(t)                   // checks no credentials
//
// Both programs are pinned (VersityGWVersion, FakeGCSServerVersion) and
// built on first use with `go install module@version` into
// $QLUSTER_TESTSERVERS_DIR, by default <user cache dir>/qluster/testservers
// (~/.cache/qluster/testservers), one directory per program and version;
// later runs and other test packages reuse the binary, and a file lock makes
// test packages running at once build it once. The first build needs the go
// command on $PATH (go test puts it there) and the Go module proxy, and
// takes minutes on a 2-CPU machine: with the module cache empty and other
// builds running, versitygw took 8.5 minutes (2.7 minutes of CPU) and
// fake-gcs-server 8 minutes (2 minutes of CPU); with the modules already
// downloaded, 6 minutes and 36 seconds respectively. make test's 15-minute timeout
// covers it; a plain go test of one package (10 minutes) may not on a
// loaded machine, so run the package once first. A failed build fails the
// test with the go command's output: nothing is skipped. $QLUSTER_VERSITYGW
// and $QLUSTER_FAKE_GCS_SERVER may name binaries built elsewhere instead.
//
// versitygw's posix backend keeps object metadata in extended attributes,
// which the temporary directory's filesystem must support (ext4, xfs,
// btrfs and tmpfs do).
//
// # Dropbox
//
// Dropbox fakes the part of the Dropbox API v2 that sources/dropboxsource
// calls, in process and in memory: the RPC host (files/list_folder, with
// files/list_folder/continue, files/get_metadata, files/delete_v2) and the
// content host (files/download), two HTTP servers on 127.0.0.1:0. Point
// dropboxsource.Options.BaseURL and ContentURL (or the server's
// EngineOptions.DropboxBaseURL and DropboxContentURL) at BaseURL and
// ContentURL, and use Token as the access token:
//
//	dbx := testservers.Dropbox(t)
//	dbx.Put("/in/a.csv", "id,qty\n1,5\n") // creates /in
//	src, err := dropboxsource.New(ctx, dbx.Token(), &dropboxsource.Options{
//		Folder: "/in", BaseURL: dbx.BaseURL(), ContentURL: dbx.ContentURL()})
//
// It is strict about requests: each must have the method, path, headers
// (a bearer token; Content-Type application/json and a JSON body for RPC
// endpoints; for a download no body and the argument in an
// HTTP-header-safe Dropbox-API-Arg header) and JSON argument (documented
// fields only, paths matching the documented pattern) that the API
// documents; anything else is answered 400 with a text body, as Dropbox
// does, and fails the test. Well-formed requests are answered with the
// documented shapes: FileMetadata and FolderMetadata entries (with rev,
// content_hash and server_modified), pages with a cursor (SetPageSize),
// Dropbox-API-Result on downloads, 401 invalid_access_token for any token
// but Token, and 409 endpoint errors such as path/not_found (a missing
// folder or file), path/not_folder, path/not_file, path_lookup/not_found
// and a conflict when delete_v2's parent_rev is not the file's rev. Paths
// compare without case and may be ids; folders keep the case they were
// made with. Tests inspect the requests with Calls, Endpoints and LastArg,
// and script failures with FailNext (DropboxEndpointError,
// DropboxTooManyRequests, DropboxServerError), ResetCursors and
// SetDownloadFunc; DropboxBehind puts the content host behind a Proxy to
// cut downloads mid-way. It does not list recursively, keep old revisions,
// upload, or know namespaces.
package testservers
