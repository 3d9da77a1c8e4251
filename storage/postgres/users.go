package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/openqluster/qluster-go/qluster"
)

// keptLoginFailures is how many failed logins RecordLoginFailure keeps per
// user (the latest ones); more than any lockout rule needs.
const keptLoginFailures = 20

// userSelect reads users (alias u) with their creator's email. The array
// columns come back as JSON so database/sql can scan them.
const userSelect = `u.id, u.email, u.first_name, u.last_name, u.is_active, u.is_verified, u.user_type,
	u.created_at, u.updated_at, u.password_hash, u.seq, u.version_id,
	to_jsonb(u.last_failed_logins_at) AS last_failed_logins_at,
	to_jsonb(u.data_source_model_ids) AS data_source_model_ids,
	COALESCE(u.created_by_user_id::text, '') AS created_by_user_id,
	COALESCE(c.email, '') AS created_by_user_email`

// userFrom is the FROM clause that goes with userSelect.
const userFrom = `users u LEFT JOIN users c ON c.id = u.created_by_user_id`

// userRow is one row read with userSelect.
type userRow struct {
	ID                 uuid.UUID        `db:"id"`
	Email              string           `db:"email"`
	FirstName          string           `db:"first_name"`
	LastName           string           `db:"last_name"`
	IsActive           bool             `db:"is_active"`
	IsVerified         bool             `db:"is_verified"`
	UserType           qluster.UserType `db:"user_type"`
	CreatedAt          time.Time        `db:"created_at"`
	UpdatedAt          time.Time        `db:"updated_at"`
	PasswordHash       string           `db:"password_hash"`
	Seq                int64            `db:"seq"`
	VersionID          int64            `db:"version_id"`
	LastFailedLoginsAt []byte           `db:"last_failed_logins_at"`
	DataSourceModelIDs []byte           `db:"data_source_model_ids"`
	CreatedByUserID    string           `db:"created_by_user_id"`
	CreatedByUserEmail string           `db:"created_by_user_email"`
}

// user converts the row; Password is always qluster.Obfuscated.
func (r *userRow) user() (*qluster.User, error) {
	u := &qluster.User{
		ID:                 r.ID,
		Email:              r.Email,
		FirstName:          r.FirstName,
		LastName:           r.LastName,
		IsActive:           r.IsActive,
		IsVerified:         r.IsVerified,
		UserType:           r.UserType,
		CreatedAt:          r.CreatedAt,
		UpdatedAt:          r.UpdatedAt,
		Password:           qluster.Obfuscated,
		CreatedByUserID:    r.CreatedByUserID,
		CreatedByUserEmail: r.CreatedByUserEmail,
	}
	if err := json.Unmarshal(r.DataSourceModelIDs, &u.DataSourceModelIDs); err != nil {
		return nil, fmt.Errorf("user %s: data_source_model_ids: %w", r.ID, err)
	}
	failures, err := timesFromJSON(r.LastFailedLoginsAt)
	if err != nil {
		return nil, fmt.Errorf("user %s: last_failed_logins_at: %w", r.ID, err)
	}
	u.LastFailedLoginsAt = failures
	return u, nil
}

// timesFromJSON decodes a jsonb array of timestamps, in UTC; empty is nil.
func timesFromJSON(raw []byte) ([]time.Time, error) {
	var ts []time.Time
	if err := json.Unmarshal(raw, &ts); err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, nil
	}
	for i := range ts {
		ts[i] = ts[i].UTC()
	}
	return ts, nil
}

// historyDoc is the document of u recorded in history: its JSON with the
// password obfuscated and without the failed logins, which change outside
// history.
func historyDoc(u *qluster.User) ([]byte, error) {
	c := *u
	c.Password = qluster.Obfuscated
	c.LastFailedLoginsAt = nil
	return json.Marshal(c)
}

// validateUser checks what the users table cannot hold.
func validateUser(u *qluster.User) error {
	v := &qluster.ValidationError{}
	if u.Email == "" {
		v.Add([]string{"body", "email"}, "missing", "email is required")
	}
	if !u.UserType.Valid() {
		v.Add([]string{"body", "user_type"}, "enum", "user_type %q is not one of superuser, editor, limited_to_source, read_only, billing", u.UserType)
	}
	return v.Err()
}

// domainErr reports whether err is one of the typed errors of package
// qluster, which are returned as they are for callers to branch on.
func domainErr(err error) bool {
	var nf *qluster.NotFoundError
	var ce *qluster.ConflictError
	var ve *qluster.ValidationError
	return errors.As(err, &nf) || errors.As(err, &ce) || errors.As(err, &ve)
}

// userErr names the operation on errors that are not typed domain errors.
func userErr(op string, err error) error {
	if err == nil || domainErr(err) {
		return err
	}
	return fmt.Errorf("postgres.%s: %w", op, err)
}

// getUserRow reads one user by the condition cond (SQL on alias u with $1),
// locking it when lock is true.
func getUserRow(ctx context.Context, q sqlx.QueryerContext, cond string, arg any, lock bool) (*userRow, error) {
	query := `SELECT ` + userSelect + ` FROM ` + userFrom + ` WHERE ` + cond
	if lock {
		query += ` FOR UPDATE OF u`
	}
	var r userRow
	if err := sqlx.GetContext(ctx, q, &r, query, arg); err != nil {
		return nil, notFoundKey(translate(err, "user"), arg)
	}
	return &r, nil
}

// CreateUser inserts u with a new random id and the given password hash (made
// by the caller, for example with auth.HashPassword), created by the user by
// (nil for the system, such as the first superuser). It stores Email,
// FirstName, LastName, IsActive, IsVerified, UserType and DataSourceModelIDs;
// the other fields of u are ignored. Note that IsActive is stored as given:
// a zero User is inactive.
//
// An email already used by another user, in any letter case, is a
// *qluster.ConflictError; a missing email or an unknown user type a
// *qluster.ValidationError. The insert is recorded in history, without the
// hash. It returns the stored user.
func (s *Store) CreateUser(ctx context.Context, u *qluster.User, passwordHash string, by *uuid.UUID) (*qluster.User, error) {
	if err := validateUser(u); err != nil {
		return nil, err
	}
	if passwordHash == "" {
		return nil, errors.New("postgres.CreateUser: password hash is empty")
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return nil, fmt.Errorf("postgres.CreateUser: %w", err)
	}
	ids := u.DataSourceModelIDs
	if ids == nil {
		ids = []int64{}
	}
	var out *qluster.User
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, password_hash, first_name, last_name,
			is_active, is_verified, user_type, data_source_model_ids, created_by_user_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			id, u.Email, passwordHash, u.FirstName, u.LastName, u.IsActive, u.IsVerified, string(u.UserType), ids, by)
		if err != nil {
			return translate(err, "user")
		}
		r, err := getUserRow(ctx, tx, `u.id = $1`, id, false)
		if err != nil {
			return err
		}
		if out, err = r.user(); err != nil {
			return err
		}
		after, err := historyDoc(out)
		if err != nil {
			return err
		}
		return writeHistory(ctx, tx, "users", id.String(), r.VersionID, "insert", by, nil, after)
	})
	if err != nil {
		return nil, userErr("CreateUser", err)
	}
	return out, nil
}

// GetUser reads the user with the given id; a missing one is a
// *qluster.NotFoundError.
func (s *Store) GetUser(ctx context.Context, id uuid.UUID) (*qluster.User, error) {
	r, err := getUserRow(ctx, s.db, `u.id = $1`, id, false)
	if err != nil {
		return nil, userErr("GetUser", err)
	}
	u, err := r.user()
	return u, userErr("GetUser", err)
}

// GetUserByEmail reads the user whose email matches email in any letter case,
// and its password hash, for signing in. This is the only way the hash leaves
// the store. A missing user is a *qluster.NotFoundError.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*qluster.User, string, error) {
	r, err := getUserRow(ctx, s.db, `lower(u.email) = lower($1)`, email, false)
	if err != nil {
		return nil, "", userErr("GetUserByEmail", err)
	}
	u, err := r.user()
	if err != nil {
		return nil, "", userErr("GetUserByEmail", err)
	}
	return u, r.PasswordHash, nil
}

// ListUsers reads one page of users ordered by creation. Users have uuid
// ids, so the cursors of the page (and p.Start and p.End) are the users'
// creation sequence numbers, not ids.
func (s *Store) ListUsers(ctx context.Context, p qluster.ListParams) (qluster.Page[qluster.User], error) {
	page, err := listPage(ctx, s.db, userFrom, userSelect, "u.seq", nil, p, func(rows *sqlx.Rows) (qluster.User, int64, error) {
		var r userRow
		if err := rows.StructScan(&r); err != nil {
			return qluster.User{}, 0, err
		}
		u, err := r.user()
		if err != nil {
			return qluster.User{}, 0, err
		}
		return *u, r.Seq, nil
	})
	return page, userErr("ListUsers", err)
}

// PatchUser changes the user with the given id in one transaction: it reads
// and locks the user, calls mutate on it, and stores Email, FirstName,
// LastName, IsActive, IsVerified, UserType and DataSourceModelIDs as mutate
// left them (changes to other fields, Password included, are ignored). A
// non-nil newPasswordHash replaces the password hash. The version is bumped
// and the change recorded in history as made by by, with the documents
// before and after, without the hash.
//
// An error from mutate is returned as it is and nothing changes. A missing
// user is a *qluster.NotFoundError, an email taken by another user a
// *qluster.ConflictError, an invalid result a *qluster.ValidationError.
func (s *Store) PatchUser(ctx context.Context, id uuid.UUID, mutate func(u *qluster.User) error, newPasswordHash *string, by *uuid.UUID) (*qluster.User, error) {
	if newPasswordHash != nil && *newPasswordHash == "" {
		return nil, errors.New("postgres.PatchUser: new password hash is empty")
	}
	var out *qluster.User
	var mutateErr error
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := getUserRow(ctx, tx, `u.id = $1`, id, true)
		if err != nil {
			return err
		}
		cur, err := r.user()
		if err != nil {
			return err
		}
		before, err := historyDoc(cur)
		if err != nil {
			return err
		}
		if mutate != nil {
			if err := mutate(cur); err != nil {
				mutateErr = err
				return err
			}
		}
		if err := validateUser(cur); err != nil {
			return err
		}
		ids := cur.DataSourceModelIDs
		if ids == nil {
			ids = []int64{}
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET email = $2, first_name = $3, last_name = $4,
			is_active = $5, is_verified = $6, user_type = $7, data_source_model_ids = $8,
			password_hash = COALESCE($9, password_hash),
			version_id = version_id + 1, updated_at = now()
			WHERE id = $1`,
			id, cur.Email, cur.FirstName, cur.LastName, cur.IsActive, cur.IsVerified, string(cur.UserType), ids, newPasswordHash)
		if err != nil {
			return translate(err, "user")
		}
		r, err = getUserRow(ctx, tx, `u.id = $1`, id, false)
		if err != nil {
			return err
		}
		if out, err = r.user(); err != nil {
			return err
		}
		after, err := historyDoc(out)
		if err != nil {
			return err
		}
		return writeHistory(ctx, tx, "users", id.String(), r.VersionID, "update", by, before, after)
	})
	if mutateErr != nil {
		return nil, mutateErr
	}
	if err != nil {
		return nil, userErr("PatchUser", err)
	}
	return out, nil
}

// RecordLoginFailure adds a failed login at time at to the user's
// last_failed_logins_at, keeps only the latest 20, and returns them oldest
// first, for auth.Locked. It is not an edit of the user: neither the version
// nor updated_at change and no history is written. Concurrent calls for the
// same user all count. A missing user is a *qluster.NotFoundError.
func (s *Store) RecordLoginFailure(ctx context.Context, id uuid.UUID, at time.Time) ([]time.Time, error) {
	var raw []byte
	err := s.db.GetContext(ctx, &raw, `UPDATE users SET last_failed_logins_at = ARRAY(
			SELECT t FROM (
				SELECT t FROM unnest(last_failed_logins_at || $2::timestamptz) AS t ORDER BY t DESC LIMIT $3
			) AS latest ORDER BY t)
		WHERE id = $1
		RETURNING to_jsonb(last_failed_logins_at)`, id, at, keptLoginFailures)
	if err != nil {
		return nil, userErr("RecordLoginFailure", notFoundKey(translate(err, "user"), id))
	}
	failures, err := timesFromJSON(raw)
	return failures, userErr("RecordLoginFailure", err)
}

// ClearLoginFailures forgets the user's failed logins, after a successful
// login or when an administrator unlocks the account. Like
// RecordLoginFailure it is not recorded in history. A missing user is a
// *qluster.NotFoundError.
func (s *Store) ClearLoginFailures(ctx context.Context, id uuid.UUID) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET last_failed_logins_at = '{}' WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres.ClearLoginFailures: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("postgres.ClearLoginFailures: %w", err)
	}
	if n == 0 {
		return &qluster.NotFoundError{Kind: "user", Key: id}
	}
	return nil
}

// CountUsers returns how many users exist (the server creates the first
// superuser when there are none).
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM users`); err != nil {
		return 0, fmt.Errorf("postgres.CountUsers: %w", err)
	}
	return n, nil
}
