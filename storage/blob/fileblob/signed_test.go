package fileblob_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob/fileblob"
)

var testSigningKey = bytes.Repeat([]byte("k"), 32)

func signedSetup(t *testing.T) *testBundle {
	t.Helper()
	return setup(t, &fileblob.Options{BaseURL: "https://qluster.example.com/", SigningKey: testSigningKey})
}

// tokenOf returns the token at the end of a signed URL.
func tokenOf(t *testing.T, u *qluster.SignedUpload) string {
	t.Helper()
	token, ok := strings.CutPrefix(u.URL, "https://qluster.example.com/api/uploads/")
	require.True(t, ok, u.URL)
	return token
}

func TestSignUploadRoundTrip(t *testing.T) {
	t.Parallel()
	tb := signedSetup(t)
	expires := time.Now().Add(time.Hour)
	u, err := tb.bucket.SignUpload(t.Context(), "datasets/7/orders.csv", expires)
	require.NoError(t, err)
	require.Equal(t, "PUT", u.HTTPMethod)
	require.Equal(t, expires.Truncate(time.Second).Unix(), u.ExpiresAt.Unix())
	require.NotNil(t, u.Fields)
	token := tokenOf(t, u)
	require.NotContains(t, token, "/")

	key, err := tb.bucket.VerifyUploadToken(token, time.Now())
	require.NoError(t, err)
	require.Equal(t, "datasets/7/orders.csv", key)

	// Another bucket with the same key accepts it (a restarted server).
	other := setup(t, &fileblob.Options{SigningKey: testSigningKey})
	key, err = other.bucket.VerifyUploadToken(token, time.Now())
	require.NoError(t, err)
	require.Equal(t, "datasets/7/orders.csv", key)

	// Without BaseURL the URL is relative.
	u, err = other.bucket.SignUpload(t.Context(), "k", expires)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(u.URL, "/api/uploads/"), u.URL)
}

func TestUploadTokenExpiry(t *testing.T) {
	t.Parallel()
	tb := signedSetup(t)
	expires := time.Now().Add(time.Minute).Truncate(time.Second)
	u, err := tb.bucket.SignUpload(t.Context(), "k", expires)
	require.NoError(t, err)
	token := tokenOf(t, u)

	_, err = tb.bucket.VerifyUploadToken(token, expires.Add(-time.Nanosecond))
	require.NoError(t, err)
	for _, now := range []time.Time{expires, expires.Add(time.Hour)} {
		_, err = tb.bucket.VerifyUploadToken(token, now)
		require.ErrorIs(t, err, qluster.ErrUnauthenticated)
		require.ErrorContains(t, err, "expired")
	}

	_, err = tb.bucket.SignUpload(t.Context(), "k", time.Now().Add(-time.Second))
	require.ErrorContains(t, err, "not in the future")
}

func TestUploadTokenTampering(t *testing.T) {
	t.Parallel()
	tb := signedSetup(t)
	now := time.Now()
	u, err := tb.bucket.SignUpload(t.Context(), "datasets/7/orders.csv", now.Add(time.Hour))
	require.NoError(t, err)
	token := tokenOf(t, u)
	body, sig, ok := strings.Cut(token, ".")
	require.True(t, ok)

	// A body naming another key, re-encoded, with the original signature.
	payload, err := base64.RawURLEncoding.DecodeString(body)
	require.NoError(t, err)
	forged := base64.RawURLEncoding.EncodeToString(bytes.Replace(payload, []byte("orders"), []byte("hacked"), 1))
	// A longer expiry, with the original signature.
	later := base64.RawURLEncoding.EncodeToString(bytes.Replace(payload, []byte(`"e":1`), []byte(`"e":9`), 1))

	// A token signed with another key.
	stranger := setup(t, &fileblob.Options{SigningKey: bytes.Repeat([]byte("x"), 32)})
	su, err := stranger.bucket.SignUpload(t.Context(), "datasets/7/orders.csv", now.Add(time.Hour))
	require.NoError(t, err)
	strangerToken := strings.TrimPrefix(su.URL, "/api/uploads/")

	flip := func(s string) string {
		c := byte('A')
		if s[len(s)/2] == 'A' {
			c = 'B'
		}
		return s[:len(s)/2] + string(c) + s[len(s)/2+1:]
	}
	for name, bad := range map[string]string{
		"forged key":        forged + "." + sig,
		"later expiry":      later + "." + sig,
		"flipped body":      flip(body) + "." + sig,
		"flipped sig":       body + "." + flip(sig),
		"no sig":            body,
		"empty sig":         body + ".",
		"empty":             "",
		"garbage":           "not-a-token",
		"other signing key": strangerToken,
		"too long":          strings.Repeat("a", 5000) + "." + sig,
	} {
		_, err := tb.bucket.VerifyUploadToken(bad, now)
		require.ErrorIs(t, err, qluster.ErrUnauthenticated, name)
		require.NotErrorIs(t, err, qluster.ErrForbidden, name)
	}
}

func TestSignUploadNeedsSigningKey(t *testing.T) {
	t.Parallel()
	tb := setup(t, nil)
	_, err := tb.bucket.SignUpload(t.Context(), "k", time.Now().Add(time.Hour))
	require.ErrorContains(t, err, "SigningKey is required")
	_, err = tb.bucket.VerifyUploadToken("x.y", time.Now())
	require.ErrorContains(t, err, "SigningKey is required")
	require.NotErrorIs(t, err, qluster.ErrUnauthenticated)

	tb = signedSetup(t)
	_, err = tb.bucket.SignUpload(t.Context(), "../x", time.Now().Add(time.Hour))
	require.ErrorContains(t, err, "invalid key")
}
