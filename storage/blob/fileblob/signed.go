package fileblob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/openqluster/qluster-go/qluster"
)

// UploadPath is the path of the API operation that accepts signed uploads;
// SignUpload's URL is Options.BaseURL + UploadPath + token.
const UploadPath = "/api/uploads/"

// maxTokenLen bounds the tokens VerifyUploadToken will look at.
const maxTokenLen = 4096

// tokenMACContext separates upload-token MACs from any other use of the key.
const tokenMACContext = "qluster fileblob upload token v1\n"

// uploadClaims is what an upload token carries.
type uploadClaims struct {
	// Key is the object key the upload is stored under.
	Key string `json:"k"`
	// Exp is the expiry, in Unix seconds; the token is valid before it.
	Exp int64 `json:"e"`
}

var b64 = base64.RawURLEncoding

// SignUpload returns a URL that accepts, with PUT, the bytes of key until
// expires (truncated to the second, as reported in ExpiresAt). It requires
// Options.SigningKey; expires must be in the future.
func (b *Bucket) SignUpload(ctx context.Context, key string, expires time.Time) (*qluster.SignedUpload, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("fileblob.SignUpload: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fileblob.SignUpload: %w", err)
	}
	if b.signingKey == nil {
		return nil, errors.New("fileblob.SignUpload: Options.SigningKey is required to sign uploads")
	}
	exp := expires.Truncate(time.Second)
	if !exp.After(time.Now()) {
		return nil, fmt.Errorf("fileblob.SignUpload: expires (%s) is not in the future", expires.Format(time.RFC3339))
	}
	payload, err := json.Marshal(uploadClaims{Key: key, Exp: exp.Unix()})
	if err != nil {
		return nil, fmt.Errorf("fileblob.SignUpload: %w", err)
	}
	body := b64.EncodeToString(payload)
	token := body + "." + b64.EncodeToString(b.mac(body))
	return &qluster.SignedUpload{
		URL:        b.baseURL + UploadPath + url.PathEscape(token),
		HTTPMethod: "PUT",
		Fields:     map[string]string{},
		ExpiresAt:  time.Unix(exp.Unix(), 0).UTC(),
	}, nil
}

// VerifyUploadToken checks a token made by SignUpload (the last segment of
// its URL) at time now and returns the key the upload must be stored under.
//
// A malformed, tampered or expired token, or one signed with another key,
// returns an error matching qluster.ErrUnauthenticated: the token is the
// upload's only credential, so an invalid one means no valid credentials
// (HTTP 401), not a known caller lacking a right (ErrForbidden, 403). A
// Bucket without Options.SigningKey returns a configuration error that
// matches neither.
func (b *Bucket) VerifyUploadToken(token string, now time.Time) (key string, err error) {
	if b.signingKey == nil {
		return "", errors.New("fileblob.VerifyUploadToken: Options.SigningKey is required to verify uploads")
	}
	invalid := func(why string) error {
		return fmt.Errorf("fileblob.VerifyUploadToken: invalid upload token (%s): %w", why, qluster.ErrUnauthenticated)
	}
	if len(token) > maxTokenLen {
		return "", invalid("too long")
	}
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", invalid("malformed")
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, b.mac(body)) {
		return "", invalid("bad signature")
	}
	payload, err := b64.DecodeString(body)
	if err != nil {
		return "", invalid("malformed")
	}
	var c uploadClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", invalid("malformed")
	}
	if ValidateKey(c.Key) != nil {
		return "", invalid("bad key")
	}
	if exp := time.Unix(c.Exp, 0); !now.Before(exp) {
		return "", fmt.Errorf("fileblob.VerifyUploadToken: upload token expired at %s: %w", exp.UTC().Format(time.RFC3339), qluster.ErrUnauthenticated)
	}
	return c.Key, nil
}

// mac is the HMAC-SHA256 of an encoded token body.
func (b *Bucket) mac(body string) []byte {
	m := hmac.New(sha256.New, b.signingKey)
	m.Write([]byte(tokenMACContext))
	m.Write([]byte(body))
	return m.Sum(nil)
}
