// Package streamsource is the qluster.Source of `stream` data sources,
// whose files are pushed to Qluster rather than fetched by it.
//
// # Where the files come from
//
// A client uploads each file through
//
//	POST /api/data-sources/{id}/upload
//
// (the multipart part named `file`). The upload becomes a stored item of the
// data source and is read back from the backup like any fetched file, so the
// Source has nothing to fetch: List returns no files and Open returns an
// error matching qluster.ErrNotFound. The Source does not implement
// qluster.SourceDeleter; there is no original to delete after backup.
package streamsource
