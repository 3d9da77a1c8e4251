package qluster

import (
	"context"
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

// sourceAlertTypes are the alerts a data source's failures raise.
var sourceAlertTypes = []AlertType{AlertTypeAccessDenied, AlertTypeBucketNotFound, AlertTypePathNotFound, AlertTypeConnectionIssue}

// sourceRecovered resolves the data source's unresolved source alerts once
// a poll of it succeeded: the cause is gone, whoever fixed it.
func (e *Engine) sourceRecovered(ctx context.Context, ds *Dataset, src *DataSource) error {
	alerts, err := e.store.UnresolvedAlerts(ctx, ds.ID, sourceAlertTypes...)
	if err != nil {
		return err
	}
	var ids []int64
	for _, a := range alerts {
		if a.DataSourceModelID != nil && *a.DataSourceModelID == src.ID {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return e.resolveAlertIDs(ctx, ids, nil, "the data source answered again: a poll at "+e.now().UTC().Format(time.RFC3339)+" succeeded")
}
