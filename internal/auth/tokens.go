package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/openqluster/qluster-go/qluster"
)

// MinKeySize is the shortest signing key NewTokens accepts, in bytes: as long
// as the SHA-256 output, as RFC 7518 asks for HS256.
const MinKeySize = 32

// Claims is what a verified token says.
type Claims struct {
	// UserID is the user the token was issued to (the "sub" claim).
	UserID uuid.UUID
	// UserType is the user's type when the token was issued (the "typ"
	// claim); callers that must honour a role change at once read the user.
	UserType string
	// IssuedAt is when the token was issued ("iat"), to the second.
	IssuedAt time.Time
	// ExpiresAt is when the token stops being valid ("exp"), to the second.
	ExpiresAt time.Time
}

// TokenError is a token that Verify refused. It matches
// qluster.ErrUnauthenticated with errors.Is, and unwraps to the cause (for
// example jwt.ErrTokenExpired or jwt.ErrTokenSignatureInvalid).
type TokenError struct {
	// Expired is true when the token was valid but its time is over, so the
	// client should sign in again rather than suspect its credentials.
	Expired bool
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *TokenError) Error() string {
	if e.Expired {
		return "token expired"
	}
	return "invalid token: " + e.Err.Error()
}

// Is makes errors.Is(err, qluster.ErrUnauthenticated) true.
func (e *TokenError) Is(target error) bool { return target == qluster.ErrUnauthenticated }

// Unwrap returns the cause.
func (e *TokenError) Unwrap() error { return e.Err }

// Tokens issues and verifies bearer tokens signed with one HS256 key. It is
// safe for concurrent use.
type Tokens struct {
	key []byte
	ttl time.Duration
}

// NewTokens returns Tokens that sign with key (at least MinKeySize bytes; it
// is copied) and issue tokens valid for ttl (positive).
func NewTokens(key []byte, ttl time.Duration) (*Tokens, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("auth.NewTokens: key is %d bytes, want at least %d", len(key), MinKeySize)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("auth.NewTokens: ttl must be positive, got %v", ttl)
	}
	return &Tokens{
		key: append([]byte(nil), key...),
		ttl: ttl,
	}, nil
}

// tokenClaims is the payload of a token.
type tokenClaims struct {
	Type string `json:"typ"`
	jwt.RegisteredClaims
}

// Issue signs a token for the user, valid from now for the Tokens' ttl. It
// returns the token and when it expires (to the second, as in the token).
func (t *Tokens) Issue(userID uuid.UUID, userType string, now time.Time) (token string, expires time.Time, err error) {
	if userID == uuid.Nil {
		return "", time.Time{}, errors.New("auth.Issue: user id is nil")
	}
	if userType == "" {
		return "", time.Time{}, errors.New("auth.Issue: user type is empty")
	}
	iat := now.Truncate(time.Second)
	expires = now.Add(t.ttl).Truncate(time.Second)
	c := tokenClaims{
		Type: userType,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID.String(),
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(expires),
		},
	}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth.Issue: %w", err)
	}
	return token, expires, nil
}

// Verify checks token's signature and expiry at now and returns its claims.
// Any failure is a *TokenError; Expired is set when only the time is over.
func (t *Tokens) Verify(token string, now time.Time) (Claims, error) {
	var c tokenClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	_, err := parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.key, nil })
	if err != nil {
		return Claims{}, &TokenError{Expired: errors.Is(err, jwt.ErrTokenExpired), Err: err}
	}
	id, err := uuid.Parse(c.Subject)
	if err != nil || id == uuid.Nil {
		return Claims{}, &TokenError{Err: fmt.Errorf("%w: subject %q is not a user id", jwt.ErrTokenInvalidSubject, c.Subject)}
	}
	if c.Type == "" {
		return Claims{}, &TokenError{Err: fmt.Errorf("%w: typ", jwt.ErrTokenRequiredClaimMissing)}
	}
	out := Claims{UserID: id, UserType: c.Type, ExpiresAt: c.ExpiresAt.Time}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time
	}
	return out, nil
}
