package auth_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/auth"
)

func TestHashPassword(t *testing.T) {
	t.Parallel()
	h, err := auth.HashPassword("correct horse")
	require.NoError(t, err)
	require.Regexp(t, `^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`, h)

	again, err := auth.HashPassword("correct horse")
	require.NoError(t, err)
	require.NotEqual(t, h, again, "each hash has its own salt")

	_, err = auth.HashPassword("")
	require.ErrorContains(t, err, "password is empty")
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	h, err := auth.HashPassword("correct horse")
	require.NoError(t, err)
	// Vectors of the argon2 reference implementation (phc-winner-argon2
	// src/test.c): hashes made elsewhere, with other parameters, verify.
	ref1 := "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	ref2 := "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"

	tests := []struct {
		name    string
		hash    string
		pw      string
		want    bool
		wantErr string
	}{
		{"right password", h, "correct horse", true, ""},
		{"wrong password", h, "correct horse ", false, ""},
		{"empty password", h, "", false, ""},
		{"reference, one lane", ref1, "password", true, ""},
		{"reference, two lanes", ref2, "password", true, ""},
		{"reference, wrong password", ref1, "Password", false, ""},
		{"empty hash", "", "x", false, "malformed password hash"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "x", false, "malformed password hash"},
		{"argon2i", strings.Replace(h, "argon2id", "argon2i", 1), "x", false, "algorithm"},
		{"old version", strings.Replace(h, "v=19", "v=16", 1), "x", false, "version"},
		{"bad parameters", strings.Replace(h, "m=19456,t=2,p=1", "m=19456,t=2", 1), "x", false, "parameters"},
		{"trailing junk in parameters", strings.Replace(h, "p=1", "p=1x", 1), "x", false, "parameters"},
		{"huge memory", strings.Replace(h, "m=19456", "m=99999999", 1), "x", false, "out of range"},
		{"zero time", strings.Replace(h, "t=2", "t=0", 1), "x", false, "out of range"},
		{"zero lanes", strings.Replace(h, "p=1", "p=0", 1), "x", false, "out of range"},
		{"bad salt", "$argon2id$v=19$m=256,t=2,p=1$!!$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", "x", false, "bad salt"},
		{"short hash", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$AAAA", "x", false, "bad hash"},
		{"extra field", h + "$x", "x", false, "malformed password hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := auth.CheckPassword(tt.hash, tt.pw)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, auth.ErrMalformedHash)
				require.ErrorContains(t, err, tt.wantErr)
				require.False(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
