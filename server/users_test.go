package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
)

func TestLoginAndLockout(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	b := setup(t, func(o *server.Options) { o.Test.Now = func() time.Time { return now } })
	_, u := b.user(qluster.UserTypeEditor, "ed@example.com")

	login := func(pw string) *client.LoginForAccessTokenResponse {
		res, err := b.anon.LoginForAccessTokenWithFormdataBodyWithResponse(b.ctx, client.LoginForAccessTokenFormdataRequestBody{Username: u.Email, Password: pw})
		require.NoError(t, err)
		return res
	}
	ok := login(testPassword)
	require.Equal(t, http.StatusOK, ok.StatusCode(), string(ok.Body))
	require.Equal(t, "bearer", *ok.JSON200.TokenType)

	for i := range 4 {
		res := login("wrong password")
		require.Equal(t, http.StatusUnauthorized, res.StatusCode(), "failure %d", i+1)
		require.Contains(t, string(res.Body), "incorrect email or password")
		now = now.Add(time.Minute)
	}
	got, err := b.store.GetUser(b.ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, got.LastFailedLoginsAt, 4)

	fifth := login("wrong password")
	require.Equal(t, http.StatusUnauthorized, fifth.StatusCode())
	require.Contains(t, string(fifth.Body), "locked")
	// Locked: even the right password is refused for a while.
	locked := login(testPassword)
	require.Equal(t, http.StatusUnauthorized, locked.StatusCode())
	require.Contains(t, string(locked.Body), "locked")
	now = now.Add(16 * time.Minute)
	again := login(testPassword)
	require.Equal(t, http.StatusOK, again.StatusCode(), string(again.Body))

	unknown, err := b.anon.LoginForAccessTokenWithFormdataBodyWithResponse(b.ctx, client.LoginForAccessTokenFormdataRequestBody{Username: "nobody@example.com", Password: "x"})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, unknown.StatusCode())

	bad, err := client.NewClientWithResponses(b.url, client.WithRequestEditorFn(client.BearerToken("not.a.token")))
	require.NoError(t, err)
	me, err := bad.ReadUsersMeWithResponse(b.ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, me.StatusCode())
}

func TestUsers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	me, err := b.admin.ReadUsersMeWithResponse(b.ctx)
	require.NoError(t, err)
	require.Equal(t, "admin@example.com", string(*me.JSON200.Email))
	require.Equal(t, qluster.Obfuscated, *me.JSON200.Password)

	create := func(body client.UserCreateRequest) *client.CreateUserResponse {
		res, err := b.admin.CreateUserWithResponse(b.ctx, body)
		require.NoError(t, err)
		return res
	}
	good := client.UserCreateRequest{Email: "new@example.com", FirstName: "New", LastName: "User", IsActive: true,
		UserType: client.Editor, RawPassword: "long enough pw", RawPassword2: "long enough pw"}
	res := create(good)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	created := res.JSON200
	require.Equal(t, client.Editor, *created.UserType)

	mismatch := good
	mismatch.Email, mismatch.RawPassword2 = "other@example.com", "something else"
	res = create(mismatch)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode())
	require.Contains(t, string(res.Body), "raw_password2")

	dup := create(good)
	require.Equal(t, http.StatusConflict, dup.StatusCode(), string(dup.Body))

	raw, err := b.admin.CreateUserWithBodyWithResponse(b.ctx, "application/json", jsonReader(map[string]any{
		"email": "not-an-email", "first_name": "a", "last_name": "b", "is_active": true, "is_verified": false,
		"user_type": "wizard", "raw_password": "long enough pw", "raw_password2": "long enough pw"}))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, raw.StatusCode())
	var detail struct {
		Detail []struct{ Loc []string } `json:"detail"`
	}
	require.NoError(t, json.Unmarshal(raw.Body, &detail))
	var locs []string
	for _, d := range detail.Detail {
		locs = append(locs, d.Loc[len(d.Loc)-1])
	}
	require.Contains(t, locs, "email")
	require.Contains(t, locs, "user_type")

	// A user changes their own name and password but not their role.
	c, err := client.Login(b.ctx, b.url, "new@example.com", "long enough pw")
	require.NoError(t, err)
	id := created.Id
	p, err := c.PatchUserWithResponse(b.ctx, client.UserPatchRequest{Id: uuid.UUID(id), FirstName: ptr("Renamed")})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	require.Equal(t, "Renamed", *p.JSON200.FirstName)
	role, err := c.PatchUserWithResponse(b.ctx, client.UserPatchRequest{Id: uuid.UUID(id), UserType: ptr(client.Superuser)})
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, role.StatusCode())
	other, err := c.GetUserWithResponse(b.ctx, me.JSON200.Id.String())
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, other.StatusCode())
	pw, err := c.PatchUserWithResponse(b.ctx, client.UserPatchRequest{Id: uuid.UUID(id), RawPassword: ptr("a new long password"), RawPassword2: ptr("a new long password")})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, pw.StatusCode(), string(pw.Body))
	_, err = client.Login(b.ctx, b.url, "new@example.com", "a new long password")
	require.NoError(t, err)

	// The superuser lists every user, others only themselves.
	all, err := b.admin.GetUsersWithResponse(b.ctx, &client.GetUsersParams{})
	require.NoError(t, err)
	require.Len(t, all.JSON200.Results, 2)
	mine, err := c.GetUsersWithResponse(b.ctx, &client.GetUsersParams{})
	require.NoError(t, err)
	require.Len(t, mine.JSON200.Results, 1)

	// Deactivated users lose access at once.
	off, err := b.admin.PatchUserWithResponse(b.ctx, client.UserPatchRequest{Id: uuid.UUID(id), IsActive: ptr(false)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, off.StatusCode())
	gone, err := c.ReadUsersMeWithResponse(b.ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, gone.StatusCode())
}
