package postgres_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// newUserStore returns a migrated store on a fresh database.
func newUserStore(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgtest.NewDatabase(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	_, err = s.Migrate(t.Context())
	require.NoError(t, err)
	return s
}

func newUser(email string) *qluster.User {
	return &qluster.User{Email: email, FirstName: "Ada", LastName: "Lovelace", IsActive: true, UserType: qluster.UserTypeEditor}
}

func createUser(t *testing.T, s *postgres.Store, email string) *qluster.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), newUser(email), "hash-of-"+email, nil)
	require.NoError(t, err)
	return u
}

func ptr[T any](v T) *T { return &v }

func TestCreateUser(t *testing.T) {
	t.Parallel()
	s := newUserStore(t)
	ctx := t.Context()

	admin := createUser(t, s, "admin@example.com")
	require.NotEqual(t, uuid.Nil, admin.ID)
	require.Equal(t, uuid.Version(4), admin.ID.Version())
	require.Equal(t, qluster.Obfuscated, admin.Password)
	require.Empty(t, admin.CreatedByUserID)
	require.WithinDuration(t, time.Now(), admin.CreatedAt, time.Minute)

	in := newUser("Grace@Example.com")
	in.ID = uuid.New()    // ignored
	in.Password = "plain" // ignored
	in.IsVerified = true
	in.UserType = qluster.UserTypeLimitedToSource
	in.DataSourceModelIDs = []int64{3, 1}
	got, err := s.CreateUser(ctx, in, "argon-hash", &admin.ID)
	require.NoError(t, err)
	require.NotEqual(t, in.ID, got.ID)
	require.Equal(t, "Grace@Example.com", got.Email)
	require.True(t, got.IsVerified)
	require.True(t, got.IsActive)
	require.Equal(t, qluster.UserTypeLimitedToSource, got.UserType)
	require.Equal(t, []int64{3, 1}, got.DataSourceModelIDs)
	require.Equal(t, qluster.Obfuscated, got.Password)
	require.Equal(t, admin.ID.String(), got.CreatedByUserID)
	require.Equal(t, "admin@example.com", got.CreatedByUserEmail)
	require.Nil(t, got.LastFailedLoginsAt)

	hist, err := s.History(ctx, "users", got.ID.String())
	require.NoError(t, err)
	require.Len(t, hist, 1)
	require.Equal(t, "insert", hist[0].Operation)
	require.Equal(t, int64(1), hist[0].VersionID)
	require.Equal(t, &admin.ID, hist[0].WhodunitID)
	require.JSONEq(t, "null", string(hist[0].Before))
	require.NotContains(t, string(hist[0].After), "argon-hash")
	var after qluster.User
	require.NoError(t, json.Unmarshal(hist[0].After, &after))
	require.Equal(t, got.ID, after.ID)
	require.Equal(t, qluster.Obfuscated, after.Password)

	tests := []struct {
		name    string
		user    *qluster.User
		by      *uuid.UUID
		wantIs  error
		wantMsg string
	}{
		{"same email", newUser("admin@example.com"), nil, qluster.ErrConflict, "a user with the same email already exists"},
		{"same email, other case", newUser("ADMIN@example.COM"), nil, qluster.ErrConflict, "a user with the same email already exists"},
		{"creator does not exist", newUser("new@example.com"), ptr(uuid.New()), qluster.ErrConflict, "does not exist"},
		{"no email", newUser(""), nil, nil, "body.email: email is required"},
		{"bad type", &qluster.User{Email: "x@example.com", UserType: "admin"}, nil, nil, `body.user_type: user_type "admin" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateUser(ctx, tt.user, "h", tt.by)
			require.ErrorContains(t, err, tt.wantMsg)
			if tt.wantIs != nil {
				require.ErrorIs(t, err, tt.wantIs)
				var ce *qluster.ConflictError
				require.ErrorAs(t, err, &ce)
			} else {
				var ve *qluster.ValidationError
				require.ErrorAs(t, err, &ve)
			}
		})
	}

	_, err = s.CreateUser(ctx, newUser("nohash@example.com"), "", nil)
	require.ErrorContains(t, err, "password hash is empty")

	n, err := s.CountUsers(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(2), n, "failed creates leave nothing behind")
}

func TestGetUser(t *testing.T) {
	t.Parallel()
	s := newUserStore(t)
	ctx := t.Context()
	u := createUser(t, s, "Ada@Example.com")

	got, err := s.GetUser(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, u, got)

	missing := uuid.New()
	_, err = s.GetUser(ctx, missing)
	require.ErrorIs(t, err, qluster.ErrNotFound)
	var nf *qluster.NotFoundError
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "user", nf.Kind)
	require.Equal(t, missing, nf.Key)
}

func TestGetUserByEmail(t *testing.T) {
	t.Parallel()
	s := newUserStore(t)
	u := createUser(t, s, "Ada@Example.com")
	createUser(t, s, "other@example.com")

	tests := []struct {
		name    string
		email   string
		wantErr error
	}{
		{"exact", "Ada@Example.com", nil},
		{"lower case", "ada@example.com", nil},
		{"upper case", "ADA@EXAMPLE.COM", nil},
		{"missing", "nobody@example.com", qluster.ErrNotFound},
		{"prefix is not a match", "ada@example", qluster.ErrNotFound},
		{"no wildcards", "ada@%", qluster.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, hash, err := s.GetUserByEmail(t.Context(), tt.email)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Nil(t, got)
				require.Empty(t, hash)
				return
			}
			require.NoError(t, err)
			require.Equal(t, u, got)
			require.Equal(t, qluster.Obfuscated, got.Password)
			require.Equal(t, "hash-of-Ada@Example.com", hash)
		})
	}
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	s := newUserStore(t)
	ctx := t.Context()
	var emails []string
	for i := range 5 {
		emails = append(emails, createUser(t, s, fmt.Sprintf("u%d@example.com", i)).Email)
	}
	pageEmails := func(p qluster.Page[qluster.User]) []string {
		var out []string
		for _, u := range p.Items {
			require.Equal(t, qluster.Obfuscated, u.Password)
			out = append(out, u.Email)
		}
		return out
	}

	first, err := s.ListUsers(ctx, qluster.ListParams{Limit: 2})
	require.NoError(t, err)
	require.Equal(t, emails[0:2], pageEmails(first))
	require.Nil(t, first.Previous)
	require.NotNil(t, first.Next)

	second, err := s.ListUsers(ctx, qluster.ListParams{Limit: 2, Start: &first.Next.Start})
	require.NoError(t, err)
	require.Equal(t, emails[2:4], pageEmails(second))
	require.NotNil(t, second.Previous)

	back, err := s.ListUsers(ctx, qluster.ListParams{Limit: 2, Start: &second.Previous.Start})
	require.NoError(t, err)
	require.Equal(t, emails[0:2], pageEmails(back))

	last, err := s.ListUsers(ctx, qluster.ListParams{Limit: 2, Start: &second.Next.Start})
	require.NoError(t, err)
	require.Equal(t, emails[4:5], pageEmails(last))
	require.Nil(t, last.Next)

	newest, err := s.ListUsers(ctx, qluster.ListParams{Limit: 2, Reverse: true})
	require.NoError(t, err)
	require.Equal(t, []string{emails[4], emails[3]}, pageEmails(newest))
	require.Nil(t, newest.Previous)

	all, err := s.ListUsers(ctx, qluster.ListParams{})
	require.NoError(t, err)
	require.Equal(t, emails, pageEmails(all))

	_, err = s.ListUsers(ctx, qluster.ListParams{Limit: -1})
	var ve *qluster.ValidationError
	require.ErrorAs(t, err, &ve)
}

func TestListUsersEmpty(t *testing.T) {
	t.Parallel()
	s := newUserStore(t)
	page, err := s.ListUsers(t.Context(), qluster.ListParams{})
	require.NoError(t, err)
	require.Empty(t, page.Items)
	require.Nil(t, page.Next)
	require.Nil(t, page.Previous)
}

func TestPatchUser(t *testing.T) {
	t.Parallel()
	s := newUserStore(t)
	ctx := t.Context()
	admin := createUser(t, s, "admin@example.com")
	u := createUser(t, s, "ada@example.com")
	createUser(t, s, "taken@example.com")

	got, err := s.PatchUser(ctx, u.ID, func(cur *qluster.User) error {
		require.Equal(t, qluster.Obfuscated, cur.Password)
		cur.FirstName = "Augusta"
		cur.UserType = qluster.UserTypeReadOnly
		cur.DataSourceModelIDs = []int64{7}
		cur.Password = "ignored"
		cur.ID = uuid.New() // ignored
		return nil
	}, ptr("new-hash"), &admin.ID)
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)
	require.Equal(t, "Augusta", got.FirstName)
	require.Equal(t, "Lovelace", got.LastName)
	require.Equal(t, qluster.UserTypeReadOnly, got.UserType)
	require.Equal(t, []int64{7}, got.DataSourceModelIDs)
	require.Equal(t, qluster.Obfuscated, got.Password)
	require.True(t, got.UpdatedAt.After(u.UpdatedAt))
	require.True(t, got.CreatedAt.Equal(u.CreatedAt))

	_, hash, err := s.GetUserByEmail(ctx, "ada@example.com")
	require.NoError(t, err)
	require.Equal(t, "new-hash", hash)

	hist, err := s.History(ctx, "users", u.ID.String())
	require.NoError(t, err)
	require.Len(t, hist, 2)
	require.Equal(t, "update", hist[1].Operation)
	require.Equal(t, int64(2), hist[1].VersionID)
	require.Equal(t, &admin.ID, hist[1].WhodunitID)
	var before, after qluster.User
	require.NoError(t, json.Unmarshal(hist[1].Before, &before))
	require.NoError(t, json.Unmarshal(hist[1].After, &after))
	require.Equal(t, "Ada", before.FirstName)
	require.Equal(t, "Augusta", after.FirstName)
	require.NotContains(t, string(hist[1].Before)+string(hist[1].After), "hash")

	// Without a new hash the hash stays.
	_, err = s.PatchUser(ctx, u.ID, func(cur *qluster.User) error { cur.IsVerified = true; return nil }, nil, nil)
	require.NoError(t, err)
	_, hash, err = s.GetUserByEmail(ctx, "ada@example.com")
	require.NoError(t, err)
	require.Equal(t, "new-hash", hash)
	hist, err = s.History(ctx, "users", u.ID.String())
	require.NoError(t, err)
	require.Len(t, hist, 3)
	require.Equal(t, int64(3), hist[2].VersionID)
	require.Nil(t, hist[2].WhodunitID)

	errMutate := fmt.Errorf("refused")
	tests := []struct {
		name    string
		id      uuid.UUID
		mutate  func(*qluster.User) error
		hash    *string
		wantIs  error
		wantAs  any
		wantMsg string
	}{
		{"mutate fails", u.ID, func(cur *qluster.User) error { cur.FirstName = "X"; return errMutate }, ptr("x"), errMutate, nil, "refused"},
		{"missing user", uuid.New(), func(*qluster.User) error { return nil }, nil, qluster.ErrNotFound, new(*qluster.NotFoundError), "not found"},
		{"email taken", u.ID, func(cur *qluster.User) error { cur.Email = "TAKEN@example.com"; return nil }, nil, qluster.ErrConflict, new(*qluster.ConflictError), "same email"},
		{"email emptied", u.ID, func(cur *qluster.User) error { cur.Email = ""; return nil }, nil, nil, new(*qluster.ValidationError), "email is required"},
		{"empty hash", u.ID, nil, ptr(""), nil, nil, "new password hash is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.PatchUser(ctx, tt.id, tt.mutate, tt.hash, nil)
			require.ErrorContains(t, err, tt.wantMsg)
			if tt.wantIs != nil {
				require.ErrorIs(t, err, tt.wantIs)
			}
			if tt.wantAs != nil {
				require.ErrorAs(t, err, tt.wantAs)
			}
		})
	}

	// Nothing of the failed patches stuck.
	now, err := s.GetUser(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, "Augusta", now.FirstName)
	require.Equal(t, "ada@example.com", now.Email)
	_, hash, err = s.GetUserByEmail(ctx, "ada@example.com")
	require.NoError(t, err)
	require.Equal(t, "new-hash", hash)
	hist, err = s.History(ctx, "users", u.ID.String())
	require.NoError(t, err)
	require.Len(t, hist, 3)
}

func TestPatchUserConcurrent(t *testing.T) {
	t.Parallel()
	s := newUserStore(t)
	u := createUser(t, s, "ada@example.com")

	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.PatchUser(t.Context(), u.ID, func(cur *qluster.User) error {
				cur.DataSourceModelIDs = append(cur.DataSourceModelIDs, int64(i))
				return nil
			}, nil, nil)
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	got, err := s.GetUser(t.Context(), u.ID)
	require.NoError(t, err)
	require.ElementsMatch(t, []int64{0, 1, 2, 3, 4, 5, 6, 7}, got.DataSourceModelIDs, "no update is lost")
	hist, err := s.History(t.Context(), "users", u.ID.String())
	require.NoError(t, err)
	require.Len(t, hist, n+1)
	require.Equal(t, int64(n+1), hist[n].VersionID)
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	s := newUserStore(t)
	ctx := t.Context()
	u := createUser(t, s, "ada@example.com")
	other := createUser(t, s, "other@example.com")
	base := time.Date(2025, 3, 1, 10, 0, 0, 123_456_000, time.UTC)

	got, err := s.RecordLoginFailure(ctx, u.ID, base)
	require.NoError(t, err)
	require.Equal(t, []time.Time{base}, got)

	// 24 more, out of order: the latest 20 are kept, oldest first.
	var want []time.Time
	for i := 1; i <= 24; i++ {
		j := 25 - i // 24, 23, ..., 1
		got, err = s.RecordLoginFailure(ctx, u.ID, base.Add(time.Duration(j)*time.Minute))
		require.NoError(t, err)
	}
	for j := 5; j <= 24; j++ {
		want = append(want, base.Add(time.Duration(j)*time.Minute))
	}
	require.Equal(t, want, got)

	read, err := s.GetUser(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, want, read.LastFailedLoginsAt)
	require.True(t, read.UpdatedAt.Equal(u.UpdatedAt), "a failed login is not an edit")
	hist, err := s.History(ctx, "users", u.ID.String())
	require.NoError(t, err)
	require.Len(t, hist, 1)

	// Sub-microsecond precision is rounded by PostgreSQL.
	got, err = s.RecordLoginFailure(ctx, other.ID, base.Add(time.Nanosecond))
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.WithinDuration(t, base, got[0], time.Microsecond)

	require.NoError(t, s.ClearLoginFailures(ctx, u.ID))
	read, err = s.GetUser(ctx, u.ID)
	require.NoError(t, err)
	require.Nil(t, read.LastFailedLoginsAt)
	read, err = s.GetUser(ctx, other.ID)
	require.NoError(t, err)
	require.Len(t, read.LastFailedLoginsAt, 1, "other users keep theirs")

	missing := uuid.New()
	_, err = s.RecordLoginFailure(ctx, missing, base)
	require.ErrorIs(t, err, qluster.ErrNotFound)
	require.ErrorContains(t, err, missing.String())
	err = s.ClearLoginFailures(ctx, missing)
	require.ErrorIs(t, err, qluster.ErrNotFound)
}

func TestRecordLoginFailureConcurrent(t *testing.T) {
	t.Parallel()
	s := newUserStore(t)
	u := createUser(t, s, "ada@example.com")
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.RecordLoginFailure(t.Context(), u.ID, base.Add(time.Duration(i)*time.Second))
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	got, err := s.GetUser(t.Context(), u.ID)
	require.NoError(t, err)
	require.Len(t, got.LastFailedLoginsAt, n, "every failure counts")
}

func TestCountUsers(t *testing.T) {
	t.Parallel()
	s := newUserStore(t)
	for i := range 3 {
		n, err := s.CountUsers(t.Context())
		require.NoError(t, err)
		require.Equal(t, int64(i), n)
		createUser(t, s, strings.Repeat("a", i+1)+"@example.com")
	}
}
