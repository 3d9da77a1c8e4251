package qluster

import (
	"strconv"
	"time"
)

// fileVersion is what tells one version of a source's file from another:
// its ETag when the source gives one, else its size and modification time;
// "" when the source tells neither.
func fileVersion(f RemoteFile) string {
	switch {
	case f.ETag != "":
		return "etag:" + f.ETag
	case f.Size < 0 && f.ModTime.IsZero():
		return ""
	}
	return "size:" + strconv.FormatInt(f.Size, 10) + " modified:" + f.ModTime.UTC().Format(time.RFC3339Nano)
}

// alreadyTaken reports whether a sensor took f before and f has not
// changed since: a file rewritten under the same key is taken again (and
// is a duplicate when its bytes are the same). A file taken before versions
// were recorded counts as unchanged.
func alreadyTaken(taken map[string]string, f RemoteFile) bool {
	v, ok := taken[f.Key]
	return ok && (v == "" || v == fileVersion(f))
}
