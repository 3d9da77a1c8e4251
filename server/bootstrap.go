package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/openqluster/qluster-go/internal/auth"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// DefaultAdminEmail is the email of the superuser created on first start.
const DefaultAdminEmail = "admin@qluster.local"

// EnsureAdmin creates a superuser with a random password when the store has
// no user at all, and returns that password (empty when users existed).
func EnsureAdmin(ctx context.Context, store *postgres.Store, email string) (password string, err error) {
	n, err := store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	password, err = RandomPassword(20)
	if err != nil {
		return "", err
	}
	if _, err := CreateUser(ctx, store, email, qluster.UserTypeSuperuser, password); err != nil {
		return "", err
	}
	return password, nil
}

// CreateUser adds an active, verified user with the given password, as
// `qluster user create` does.
func CreateUser(ctx context.Context, store *postgres.Store, email string, t qluster.UserType, password string) (*qluster.User, error) {
	if !t.Valid() {
		return nil, qluster.Invalid("user_type", "enum", "%q is not a user type; use superuser, editor, limited_to_source, read_only or billing", t)
	}
	if len([]rune(password)) < MinPasswordLength {
		return nil, qluster.Invalid("password", "value_error", "the password must have at least %d characters", MinPasswordLength)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	u := &qluster.User{Email: email, UserType: t, IsActive: true, IsVerified: true}
	return store.CreateUser(ctx, u, hash, nil)
}

// RandomPassword returns n characters drawn from letters and digits.
func RandomPassword(n int) (string, error) {
	const chars = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		if err != nil {
			return "", fmt.Errorf("random password: %w", err)
		}
		b[i] = chars[k.Int64()]
	}
	return string(b), nil
}
