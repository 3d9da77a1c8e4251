// Package objects holds what the sources reading object stores (S3 and
// S3-compatible servers, Cloud Storage) share.
package objects

import (
	"context"
	"iter"
	"strings"

	"github.com/openqluster/qluster-go/qluster"
)

// Lister lists a bucket's objects under a prefix, as s3blob.Bucket and
// gcsblob.Bucket do.
type Lister interface {
	List(ctx context.Context, prefix string) iter.Seq2[qluster.RemoteFile, error]
}

// Folder turns a data source's prefix into the folder it names: without a
// leading "/", with a trailing one, "" for the whole bucket.
func Folder(prefix string) string {
	prefix = strings.TrimLeft(prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return prefix
}

// ListAll collects every file b lists under its own prefix.
func ListAll(ctx context.Context, b Lister) ([]qluster.RemoteFile, error) {
	var files []qluster.RemoteFile
	for f, err := range b.List(ctx, "") {
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}
