package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/openqluster/qluster-go/internal/auth"
	"github.com/openqluster/qluster-go/qluster"
)

// MinPasswordLength is the shortest password a user may set.
const MinPasswordLength = 8

// errBadLogin is the one answer to a wrong email or password: it does not say which.
var errBadLogin = fmt.Errorf("%w: incorrect email or password", qluster.ErrUnauthenticated)

// LoginForAccessToken checks an email and password (OAuth2 password form) and
// answers a signed bearer token. Five failures within 15 minutes lock the
// account for a while; every failure is recorded in last_failed_logins_at.
func (s *Server) LoginForAccessToken(ctx context.Context, req LoginForAccessTokenRequestObject) (LoginForAccessTokenResponseObject, error) {
	now := s.now()
	u, hash, err := s.store.GetUserByEmail(ctx, strings.TrimSpace(req.Body.Username))
	if errors.Is(err, qluster.ErrNotFound) {
		// Spend the time a real check takes, so timing does not tell which emails exist.
		auth.CheckPassword(dummyHash, req.Body.Password) //nolint:errcheck
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	if locked, until := auth.Locked(u.LastFailedLoginsAt, now); locked {
		return nil, fmt.Errorf("%w: too many failed logins; try again after %s", qluster.ErrAccountLocked, until.UTC().Format("2006-01-02 15:04:05 MST"))
	}
	ok, err := auth.CheckPassword(hash, req.Body.Password)
	if err != nil {
		return nil, err
	}
	if !ok {
		failures, err := s.store.RecordLoginFailure(ctx, u.ID, now)
		if err != nil {
			return nil, err
		}
		if locked, until := auth.Locked(failures, now); locked {
			return nil, fmt.Errorf("%w: too many failed logins; the account is locked until %s", qluster.ErrAccountLocked, until.UTC().Format("2006-01-02 15:04:05 MST"))
		}
		return nil, errBadLogin
	}
	if !u.IsActive {
		return nil, fmt.Errorf("%w: the account is deactivated; ask a superuser to activate it", qluster.ErrUnauthenticated)
	}
	if len(u.LastFailedLoginsAt) > 0 {
		if err := s.store.ClearLoginFailures(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	tok, _, err := s.tokens.Issue(u.ID, string(u.UserType), now)
	if err != nil {
		return nil, err
	}
	return LoginForAccessToken200JSONResponse{AccessToken: &tok, TokenType: ptr("bearer"), RedirectPostSubmitTo: ptr("/")}, nil
}

// dummyHash is checked against when the email is unknown.
var dummyHash = func() string {
	h, err := auth.HashPassword("not a real password")
	if err != nil {
		panic(err)
	}
	return h
}()

// ReadUsersMe answers the acting user.
func (s *Server) ReadUsersMe(ctx context.Context, _ ReadUsersMeRequestObject) (ReadUsersMeResponseObject, error) {
	u := principal(ctx).User
	return convert[ReadUsersMe200JSONResponse](publicUser(&u))
}

// GetUser answers one user: any user to a superuser, only themselves to the others.
func (s *Server) GetUser(ctx context.Context, req GetUserRequestObject) (GetUserResponseObject, error) {
	id, err := uuid.Parse(req.UserId)
	if err != nil {
		return nil, (&qluster.ValidationError{}).Add([]string{"path", "user_id"}, "uuid_parsing", "%q is not a user id (a UUID)", req.UserId)
	}
	if err := mayManageUser(ctx, id); err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	return convert[GetUser200JSONResponse](publicUser(u))
}

// GetUsers answers a page of users: every user to a superuser, only themselves to the others.
func (s *Server) GetUsers(ctx context.Context, req GetUsersRequestObject) (GetUsersResponseObject, error) {
	p := principal(ctx)
	if p.User.UserType != qluster.UserTypeSuperuser {
		return convert[GetUsers200JSONResponse](envelope[qluster.User]{Results: []qluster.User{*publicUser(&p.User)}, Filters: map[string]any{"id": p.User.ID}, Title: "Users"})
	}
	page, err := s.store.ListUsers(ctx, listParams(req.Params.Start, req.Params.End, req.Params.Limit, req.Params.Reverse))
	if err != nil {
		return nil, err
	}
	return toList[GetUsers200JSONResponse](page, nil, "Users", func(u *qluster.User) { *u = *publicUser(u) })
}

// CreateUser adds a user. Only a superuser may; the two passwords must match.
func (s *Server) CreateUser(ctx context.Context, req CreateUserRequestObject) (CreateUserResponseObject, error) {
	b := req.Body
	v := &qluster.ValidationError{}
	s.checkPassword(v, b.RawPassword, b.RawPassword2)
	u := qluster.User{
		Email: strings.TrimSpace(string(b.Email)), FirstName: b.FirstName, LastName: b.LastName,
		IsActive: b.IsActive, IsVerified: b.IsVerified, UserType: qluster.UserType(b.UserType),
	}
	if b.DataSourceModelIds != nil {
		for _, id := range *b.DataSourceModelIds {
			u.DataSourceModelIDs = append(u.DataSourceModelIDs, int64(id))
		}
	}
	s.checkUser(ctx, v, &u)
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(b.RawPassword)
	if err != nil {
		return nil, err
	}
	by := actor(ctx)
	u.CreatedByUserID = by.String()
	created, err := s.store.CreateUser(ctx, &u, hash, by)
	if err != nil {
		return nil, err
	}
	return convert[CreateUser200JSONResponse](publicUser(created))
}

// PatchUser changes the fields sent of a user. Users may change their own
// names, email and password; only a superuser changes other users, roles,
// activation and the data sources a limited_to_source user may see.
func (s *Server) PatchUser(ctx context.Context, req PatchUserRequestObject) (PatchUserResponseObject, error) {
	b := req.Body
	id := uuid.UUID(b.Id)
	if err := mayManageUser(ctx, id); err != nil {
		return nil, err
	}
	p := principal(ctx)
	if p.User.UserType != qluster.UserTypeSuperuser {
		for name, sent := range map[string]bool{"user_type": b.UserType != nil, "is_active": b.IsActive != nil,
			"is_verified": b.IsVerified != nil, "data_source_model_ids": b.DataSourceModelIds != nil} {
			if sent {
				return nil, fmt.Errorf("%w: only a superuser may change %s", qluster.ErrForbidden, name)
			}
		}
	}
	v := &qluster.ValidationError{}
	var newHash *string
	if b.RawPassword != nil || b.RawPassword2 != nil {
		pw1, pw2 := deref(b.RawPassword), deref(b.RawPassword2)
		s.checkPassword(v, pw1, pw2)
		if v.Err() == nil {
			h, err := auth.HashPassword(pw1)
			if err != nil {
				return nil, err
			}
			newHash = &h
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	u, err := s.store.PatchUser(ctx, id, func(u *qluster.User) error {
		if err := overlay(u, rawBody(ctx), nil, "id", "raw_password", "raw_password2", "password", "created_at", "updated_at",
			"last_failed_logins_at", "created_by_user_id", "created_by_user_email"); err != nil {
			return err
		}
		u.Email = strings.TrimSpace(u.Email)
		s.checkUser(ctx, v, u)
		return v.Err()
	}, newHash, actor(ctx))
	if err != nil {
		return nil, err
	}
	return convert[PatchUser200JSONResponse](publicUser(u))
}

// checkPassword records what is wrong with a new password pair.
func (s *Server) checkPassword(v *qluster.ValidationError, pw, pw2 string) {
	if pw != pw2 {
		v.Add([]string{"body", "raw_password2"}, "value_error", "the two passwords do not match")
	}
	if len([]rune(pw)) < MinPasswordLength {
		v.Add([]string{"body", "raw_password"}, "value_error", "the password must have at least %d characters", MinPasswordLength)
	}
}

// checkUser records what is wrong with a user about to be written.
func (s *Server) checkUser(ctx context.Context, v *qluster.ValidationError, u *qluster.User) {
	if err := s.validate.Var(u.Email, "required,email"); err != nil {
		v.Add([]string{"body", "email"}, "value_error", "%q is not a valid email address", u.Email)
	}
	if !u.UserType.Valid() {
		v.Add([]string{"body", "user_type"}, "enum", "%q is not a user type; use superuser, editor, limited_to_source, read_only or billing", u.UserType)
	}
	for i, id := range u.DataSourceModelIDs {
		if _, err := s.store.GetDataSource(ctx, id); err != nil {
			v.Add([]string{"body", "data_source_model_ids", fmt.Sprint(i)}, "not_found", "no data source has id %d", id)
		}
	}
}

// mayManageUser allows superusers to act on any user and others on themselves only.
func mayManageUser(ctx context.Context, id uuid.UUID) error {
	p := principal(ctx)
	if p.User.UserType == qluster.UserTypeSuperuser || p.User.ID == id {
		return nil
	}
	return fmt.Errorf("%w: only a superuser may read or change another user", qluster.ErrForbidden)
}

// publicUser is a user as the API shows it: the password never leaves the server.
func publicUser(u *qluster.User) *qluster.User {
	c := *u
	c.Password = qluster.Obfuscated
	if c.DataSourceModelIDs == nil {
		c.DataSourceModelIDs = []int64{}
	}
	return &c
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
