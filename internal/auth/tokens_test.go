package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/auth"
	"github.com/openqluster/qluster-go/qluster"
)

var (
	testKey  = []byte(strings.Repeat("k", 32))
	otherKey = []byte(strings.Repeat("o", 32))
	t0       = time.Date(2025, 3, 1, 12, 0, 0, 500_000_000, time.UTC)
)

func newTokens(t *testing.T, key []byte) *auth.Tokens {
	t.Helper()
	tk, err := auth.NewTokens(key, time.Hour)
	require.NoError(t, err)
	return tk
}

func TestNewTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		key     []byte
		ttl     time.Duration
		wantErr string
	}{
		{"ok", testKey, time.Minute, ""},
		{"short key", testKey[:31], time.Minute, "key is 31 bytes"},
		{"no key", nil, time.Minute, "key is 0 bytes"},
		{"zero ttl", testKey, 0, "ttl must be positive"},
		{"negative ttl", testKey, -time.Second, "ttl must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tk, err := auth.NewTokens(tt.key, tt.ttl)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Nil(t, tk)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, tk)
		})
	}
}

func TestIssueVerify(t *testing.T) {
	t.Parallel()
	tk := newTokens(t, testKey)
	id := uuid.New()
	token, expires, err := tk.Issue(id, "editor", t0)
	require.NoError(t, err)
	require.Equal(t, time.Date(2025, 3, 1, 13, 0, 0, 0, time.UTC), expires.UTC())

	// The payload carries sub, iat, exp and typ.
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(payload, &raw))
	require.Equal(t, map[string]any{
		"sub": id.String(), "typ": "editor",
		"iat": float64(t0.Unix()), "exp": float64(expires.Unix()),
	}, raw)

	got, err := tk.Verify(token, t0.Add(59*time.Minute))
	require.NoError(t, err)
	require.Equal(t, id, got.UserID)
	require.Equal(t, "editor", got.UserType)
	require.True(t, got.IssuedAt.Equal(t0.Truncate(time.Second)))
	require.True(t, got.ExpiresAt.Equal(expires))

	// A second Tokens with the same key verifies it too.
	_, err = newTokens(t, append([]byte(nil), testKey...)).Verify(token, t0)
	require.NoError(t, err)
}

func TestIssueRefuses(t *testing.T) {
	t.Parallel()
	tk := newTokens(t, testKey)
	_, _, err := tk.Issue(uuid.Nil, "editor", t0)
	require.ErrorContains(t, err, "user id is nil")
	_, _, err = tk.Issue(uuid.New(), "", t0)
	require.ErrorContains(t, err, "user type is empty")
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	tk := newTokens(t, testKey)
	id := uuid.New()
	good, expires, err := tk.Issue(id, "editor", t0)
	require.NoError(t, err)
	forged, _, err := newTokens(t, otherKey).Issue(id, "superuser", t0)
	require.NoError(t, err)

	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		require.NoError(t, err)
		return s
	}
	exp := t0.Add(time.Hour).Unix()
	parts := strings.Split(good, ".")
	// Raise the user type without re-signing.
	tamperedPayload := base64.RawURLEncoding.EncodeToString([]byte(
		`{"sub":"` + id.String() + `","typ":"superuser","exp":` + jsonNum(exp) + `}`))

	tests := []struct {
		name        string
		token       string
		now         time.Time
		wantExpired bool
		wantCause   error
	}{
		{"expired exactly at exp", good, expires, true, jwt.ErrTokenExpired},
		{"expired later", good, expires.Add(time.Hour), true, jwt.ErrTokenExpired},
		{"other key", forged, t0, false, jwt.ErrTokenSignatureInvalid},
		{"tampered payload", parts[0] + "." + tamperedPayload + "." + parts[2], t0, false, jwt.ErrTokenSignatureInvalid},
		{"garbage", "not.a.token", t0, false, jwt.ErrTokenMalformed},
		{"empty", "", t0, false, jwt.ErrTokenMalformed},
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType,
			jwt.MapClaims{"sub": id.String(), "typ": "editor", "exp": exp}), t0, false, jwt.ErrTokenSignatureInvalid},
		{"HS512", sign(jwt.SigningMethodHS512, testKey,
			jwt.MapClaims{"sub": id.String(), "typ": "editor", "exp": exp}), t0, false, jwt.ErrTokenSignatureInvalid},
		{"no exp", sign(jwt.SigningMethodHS256, testKey,
			jwt.MapClaims{"sub": id.String(), "typ": "editor"}), t0, false, jwt.ErrTokenRequiredClaimMissing},
		{"no typ", sign(jwt.SigningMethodHS256, testKey,
			jwt.MapClaims{"sub": id.String(), "exp": exp}), t0, false, jwt.ErrTokenRequiredClaimMissing},
		{"sub not a uuid", sign(jwt.SigningMethodHS256, testKey,
			jwt.MapClaims{"sub": "admin", "typ": "editor", "exp": exp}), t0, false, jwt.ErrTokenInvalidSubject},
		{"nil sub", sign(jwt.SigningMethodHS256, testKey,
			jwt.MapClaims{"sub": uuid.Nil.String(), "typ": "editor", "exp": exp}), t0, false, jwt.ErrTokenInvalidSubject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tk.Verify(tt.token, tt.now)
			require.Error(t, err)
			require.Equal(t, auth.Claims{}, got)
			require.ErrorIs(t, err, qluster.ErrUnauthenticated)
			require.ErrorIs(t, err, tt.wantCause)
			var te *auth.TokenError
			require.ErrorAs(t, err, &te)
			require.Equal(t, tt.wantExpired, te.Expired)
		})
	}
}

func jsonNum(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
