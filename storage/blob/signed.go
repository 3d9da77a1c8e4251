package blob

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// MaxSignedUploadExpiry is the longest validity of a Signature Version 4
// signed URL, for S3 and Cloud Storage alike.
const MaxSignedUploadExpiry = 7 * 24 * time.Hour

// SignedUploadTTL checks that a signed upload URL may expire at expires (in
// the future, at most MaxSignedUploadExpiry away) and returns how long from
// now that is, whole seconds, as V4 signing counts it.
func SignedUploadTTL(expires time.Time) (time.Duration, error) {
	ttl := time.Until(expires).Truncate(time.Second)
	switch {
	case ttl <= 0:
		return 0, fmt.Errorf("expires (%s) is not in the future", expires.Format(time.RFC3339))
	case ttl > MaxSignedUploadExpiry:
		return 0, fmt.Errorf("expires (%s) is more than 7 days away, the most a signed URL allows", expires.Format(time.RFC3339))
	}
	return ttl, nil
}

// SignedURLExpiry reads when a Signature Version 4 signed URL expires: its
// <vendor>-Date plus <vendor>-Expires seconds, vendor being "X-Amz" for S3
// and "X-Goog" for Cloud Storage.
func SignedURLExpiry(rawURL, vendor string) (time.Time, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return time.Time{}, err
	}
	q := u.Query()
	date, err := time.Parse("20060102T150405Z", q.Get(vendor+"-Date"))
	if err != nil {
		return time.Time{}, fmt.Errorf("the signed URL has no valid %s-Date: %w", vendor, err)
	}
	secs, err := strconv.ParseInt(q.Get(vendor+"-Expires"), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("the signed URL has no valid %s-Expires: %w", vendor, err)
	}
	return date.Add(time.Duration(secs) * time.Second).UTC(), nil
}
