// Package dropboxsource is the qluster.Source (and qluster.SourceDeleter) of
// `dropbox` data sources: the files of one Dropbox folder, read through the
// Dropbox HTTP API v2 with net/http (no SDK).
//
//	src, err := dropboxsource.New(ctx, accessToken, &dropboxsource.Options{Folder: "/exports"})
//
// NewFromDataSource does the same from a qluster.DataSource's
// dropbox_access_token, dropbox_folder and connection_timeout.
//
// # Endpoints
//
// List calls files/list_folder on Options.BaseURL (default
// https://api.dropboxapi.com/2), then files/list_folder/continue while
// has_more is true, starting over once if Dropbox resets the cursor. Open
// calls files/download on Options.ContentURL (default
// https://content.dropboxapi.com/2) with its argument in the
// Dropbox-API-Arg header (JSON made HTTP-header safe: non-ASCII characters
// and DEL escaped as \uXXXX) and streams the response body. Delete calls
// files/delete_v2. Every request carries the access token as a bearer
// token. Delete may also call files/get_metadata (see Deleting).
// Short-lived tokens are not refreshed: the caller gives a valid one.
//
// # Files and keys
//
// The folder (Options.Folder: "/a/b", "a/b", or "" and "/" for the root,
// which for an app with the App folder permission is the app's folder) is
// listed without descending into subfolders: a file's key is its name.
// Files Dropbox cannot download (Google Docs and other cloud documents)
// are left out, as are folders. RemoteFile.ModTime is the file's
// server_modified time; RemoteFile.ETag is its content_hash (Dropbox's hash
// of the content), or its rev when Dropbox gives no hash. Open and Delete
// take the same keys; a key may also be a relative path below the folder,
// but not one leading out of it. Dropbox compares paths without regard to
// case.
//
// # Timeouts and cancellation
//
// Options.Timeout (the data source's connection_timeout, default 30s)
// bounds each request: each page of a listing, each delete, and for a
// download the wait for the response headers and then every wait for
// body bytes (not the whole download, which may be large). A request that
// times out fails with an error matching qluster.ErrConnection and
// context.DeadlineExceeded. Cancelling a call's context fails it with an
// error matching context.Canceled; Open's context also governs the body.
//
// # Reading
//
// Open streams the body as it arrives. The download's metadata (the
// Dropbox-API-Result header) gives the file's size; a body that ends
// before it (a cut connection) is an error matching qluster.ErrConnection
// and io.ErrUnexpectedEOF, never a silent short file.
//
// # Errors
//
// Dropbox answers errors as documented: 400 with a text body (a bad
// request, which is a bug here), 401 (bad or expired token), 403 (no
// permission), 409 with a JSON body whose error_summary and tagged error
// say what failed (path/not_found, path/not_folder, path_lookup/not_found,
// ...), 429 (rate limited, with Retry-After) and 5xx. They come back as
// *APIError, which keeps the status, the tags and the summary, and match:
//
//   - 401, 403, and path/restricted_content or no_write_permission:
//     qluster.ErrAccessDenied
//   - the folder missing or not a folder (List): qluster.ErrPathNotFound
//   - the key naming no file (Open): qluster.ErrNotFound; Delete of a
//     missing key is not an error
//   - 429, 5xx, transport failures and timeouts: qluster.ErrConnection;
//     *APIError's Retryable reports 429, 5xx and too_many_write_operations
//
// # Deleting
//
// Delete sends delete_v2 the file's rev as parent_rev, so that Dropbox
// deletes the file only if it is still that version, and never a folder
// (delete_v2 of a folder deletes everything in it; parent_rev does not
// apply to folders). The rev is the one this Source saw when it last
// listed or opened the file: if the file changed since, Dropbox refuses
// and Delete returns an error matching qluster.ErrConflict, leaving the
// changed (not backed up) content in place. For a key this Source has not
// seen, Delete first asks files/get_metadata for the current rev, and
// refuses keys that name a folder.
package dropboxsource
