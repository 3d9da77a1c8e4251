package s3blob

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/openqluster/qluster-go/qluster"
)

// accessDeniedCodes are the S3 error codes that mean the credentials were
// refused or lack a permission.
var accessDeniedCodes = map[string]bool{
	"AccessDenied":          true,
	"AllAccessDisabled":     true,
	"AccountProblem":        true,
	"ExpiredToken":          true,
	"InvalidAccessKeyId":    true,
	"InvalidSecurity":       true,
	"InvalidToken":          true,
	"SignatureDoesNotMatch": true,
	// versitygw's answer (with 404) to an access key it does not know.
	"XAdminUserNotFound": true,
}

// Classify returns the qluster sentinel that an error of the S3 SDK means:
// qluster.ErrNotFound (NoSuchKey), qluster.ErrBucketNotFound (NoSuchBucket),
// qluster.ErrAccessDenied (AccessDenied, InvalidAccessKeyId,
// SignatureDoesNotMatch, expired tokens, any other 401 or 403),
// qluster.ErrConnection (the server could not be reached: a refused or
// timed-out connection, an unknown host, a TLS failure), or nil for any
// other error. A cancelled or expired ctx is not a connection failure: it
// returns nil, and the error still matches ctx.Err().
func Classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch code := apiErr.ErrorCode(); {
		case code == "NoSuchKey":
			return qluster.ErrNotFound
		case code == "NoSuchBucket":
			return qluster.ErrBucketNotFound
		case accessDeniedCodes[code]:
			return qluster.ErrAccessDenied
		}
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		switch respErr.HTTPStatusCode() {
		case http.StatusUnauthorized, http.StatusForbidden:
			return qluster.ErrAccessDenied
		case 0: // no response: the request was not sent
		default:
			return nil
		}
	}
	var sendErr *smithyhttp.RequestSendError
	var netErr net.Error
	if errors.As(err, &sendErr) || errors.As(err, &netErr) {
		return qluster.ErrConnection
	}
	return nil
}

// isNotFound reports whether err says the object (not the bucket) is missing.
func isNotFound(err error) bool {
	if errors.Is(Classify(err), qluster.ErrNotFound) {
		return true
	}
	// HeadObject and some servers answer a bare 404 without a code.
	var respErr *awshttp.ResponseError
	var apiErr smithy.APIError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusNotFound &&
		(!errors.As(err, &apiErr) || apiErr.ErrorCode() == "NotFound")
}

// wrapError names the operation and the object (as s3://bucket/key, prefix
// included), and makes err match the sentinel Classify finds, keeping the
// SDK's error in the chain.
func (b *Bucket) wrapError(op, key string, err error) error {
	where := "s3://" + b.name + "/" + b.prefix + key
	if sentinel := Classify(err); sentinel != nil {
		return fmt.Errorf("%s %q: %w: %w", op, where, sentinel, err)
	}
	return fmt.Errorf("%s %q: %w", op, where, err)
}
