package server_test

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
)

// destinationBody is a destination on the local PostgreSQL, which trusts
// every password: the connection check on save succeeds.
func destinationBody(name string) map[string]any {
	return map[string]any{
		"name": name, "destination_type": "postgresql", "host": "127.0.0.1", "port": "5432",
		"user": "postgres", "database_name": "postgres", "password": "pg-plain-password", "connect_timeout": 5,
	}
}

// postDestination creates a destination on the local PostgreSQL and returns it.
func (b *bundle) postDestination(name string) *client.Destination {
	b.t.Helper()
	res, err := b.admin.PostDestinationModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(destinationBody(name)))
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

func destinationIDs(ds []client.Destination) []int {
	out := make([]int, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Id)
	}
	return out
}

// destinationIDs lists the ids of every destination, newest first (an
// installation may start with a default one).
func (b *bundle) destinationIDs() []int {
	b.t.Helper()
	res, err := b.admin.GetDestinationsWithResponse(b.ctx, &client.GetDestinationsParams{Limit: ptr(100)})
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return destinationIDs(res.JSON200.Results)
}

// destinationNameOf is the name of the destination of ds, nil when it has none.
func (b *bundle) destinationNameOf(ds *client.Dataset) *string {
	b.t.Helper()
	if ds.DestinationId == nil {
		return nil
	}
	res, err := b.admin.GetDestinationWithResponse(b.ctx, *ds.DestinationId)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200.Name
}

// closedPort is a TCP port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return strconv.Itoa(port)
}

// TestDestinations drives the destination operations over one server.
func TestDestinations(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, b *bundle)
	}{
		{"new", testNewDestination},
		{"lifecycle", testDestinationLifecycle},
		{"unreachable", testDestinationUnreachable},
		{"roles", testDestinationRoles},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, b.as(t)) })
	}
}

func testNewDestination(t *testing.T, b *bundle) {
	nw, err := b.admin.GetNewDestinationWithResponse(b.ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, nw.StatusCode(), string(nw.Body))
	d := nw.JSON200
	require.Equal(t, client.Postgresql, *d.DestinationType)
	require.Equal(t, "127.0.0.1", *d.Host)
	require.Equal(t, "5432", *d.Port)
	require.Equal(t, "postgres", *d.User)
	require.Equal(t, 10, *d.ConnectTimeout)
	require.Zero(t, d.Id)
}

func testDestinationLifecycle(t *testing.T, b *bundle) {
	admin := b.adminUserID()
	before := b.destinationIDs()

	created, err := b.admin.PostDestinationModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(destinationBody("warehouse")))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, created.StatusCode(), string(created.Body))
	require.NotContains(t, string(created.Body), "pg-plain-password")
	d := created.JSON200
	require.NotZero(t, d.Id)
	require.Equal(t, "warehouse", *d.Name)
	require.Equal(t, qluster.Obfuscated, *d.Password)
	require.Equal(t, "postgres", *d.DatabaseName)
	require.Equal(t, 5, *d.ConnectTimeout)
	b.requireSealed("destinations", d.Id, []string{"password"}, "pg-plain-password")

	got, err := b.admin.GetDestinationWithResponse(b.ctx, d.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), string(got.Body))
	require.Equal(t, "warehouse", *got.JSON200.Name)
	require.Equal(t, qluster.Obfuscated, *got.JSON200.Password)

	// A name is unique.
	dup, err := b.admin.PostDestinationModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(destinationBody("warehouse")))
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, dup.StatusCode(), string(dup.Body))

	second := b.postDestination("lake")
	list, err := b.admin.GetDestinationsWithResponse(b.ctx, &client.GetDestinationsParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
	require.Equal(t, "Destinations", list.JSON200.Title)
	require.Equal(t, append([]int{second.Id, d.Id}, before...), destinationIDs(list.JSON200.Results), "newest first")
	for _, r := range list.JSON200.Results {
		if r.Password != nil && *r.Password != "" {
			require.Equal(t, qluster.Obfuscated, *r.Password)
		}
	}
	require.NotContains(t, string(list.Body), "pg-plain-password")
	page, err := b.admin.GetDestinationsWithResponse(b.ctx, &client.GetDestinationsParams{Limit: ptr(1), Reverse: ptr(false), Start: &d.Id})
	require.NoError(t, err)
	require.Equal(t, []int{d.Id}, destinationIDs(page.JSON200.Results))
	require.NotNil(t, page.JSON200.Next)
	require.Equal(t, second.Id, page.JSON200.Next.Start)

	// PATCH the name, sending the password back as read: it is kept.
	p, err := b.admin.PatchDestinationModelWithResponse(b.ctx, client.DestinationPatchRequest{
		Id: d.Id, Name: ptr("warehouse-eu"), Password: ptr(qluster.Obfuscated),
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	require.Equal(t, "warehouse-eu", *p.JSON200.Name)
	require.Equal(t, qluster.Obfuscated, *p.JSON200.Password)
	require.Equal(t, "127.0.0.1", *p.JSON200.Host, "fields not sent are kept")
	stored, err := b.store.GetDestination(b.ctx, int64(d.Id))
	require.NoError(t, err)
	require.Equal(t, "pg-plain-password", stored.Password)
	require.Equal(t, "warehouse-eu", stored.Name)
	b.requireSealed("destinations", d.Id, []string{"password"}, "pg-plain-password")

	// History: the insert and the update, by the admin, secrets sealed.
	h, err := b.store.DestinationHistory(b.ctx, int64(d.Id))
	require.NoError(t, err)
	require.Len(t, h, 2)
	require.Equal(t, "insert", h[0].Operation)
	require.Equal(t, "update", h[1].Operation)
	require.EqualValues(t, 2, h[1].VersionID)
	for _, r := range h {
		require.NotNil(t, r.WhodunitID)
		require.Equal(t, admin, uuid.UUID(*r.WhodunitID))
		require.NotContains(t, string(r.After), "pg-plain-password")
	}
	require.Contains(t, string(h[1].Before), `"name": "warehouse"`)
	require.Contains(t, string(h[1].After), `"name": "warehouse-eu"`)

	// A PATCH to a name another destination has is a conflict.
	clash, err := b.admin.PatchDestinationModelWithResponse(b.ctx, client.DestinationPatchRequest{Id: d.Id, Name: ptr("lake")})
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, clash.StatusCode(), string(clash.Body))

	// Unknown ids.
	nf, err := b.admin.GetDestinationWithResponse(b.ctx, 765432)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, nf.StatusCode(), string(nf.Body))
	require.Contains(t, string(nf.Body), "765432")
	pnf, err := b.admin.PatchDestinationModelWithResponse(b.ctx, client.DestinationPatchRequest{Id: 765432, Name: ptr("x")})
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, pnf.StatusCode(), string(pnf.Body))
}

// testDestinationUnreachable: a destination is saved only once a connection
// to it succeeds; the 422 says which field is likely wrong and why.
func testDestinationUnreachable(t *testing.T, b *bundle) {
	before := b.destinationIDs()
	port := closedPort(t)

	closed := destinationBody("nowhere")
	closed["port"] = port
	res, err := b.admin.PostDestinationModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(closed))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	requireIssues(t, res.Body, "host")
	require.Contains(t, string(res.Body), "could not connect")
	require.Contains(t, string(res.Body), "127.0.0.1:"+port)
	require.NotContains(t, string(res.Body), "pg-plain-password")

	noDB := destinationBody("no-db")
	noDB["database_name"] = "qluster_no_such_database"
	res, err = b.admin.PostDestinationModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(noDB))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	requireIssues(t, res.Body, "database_name")

	require.Equal(t, before, b.destinationIDs(), "unreachable destinations are not stored")

	// A PATCH that makes a destination unreachable changes nothing.
	d := b.postDestination("unreachable-warehouse")
	p, err := b.admin.PatchDestinationModelWithResponse(b.ctx, client.DestinationPatchRequest{Id: d.Id, Port: &port, Name: ptr("moved")})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, p.StatusCode(), string(p.Body))
	requireIssues(t, p.Body, "host")
	stored, err := b.store.GetDestination(b.ctx, int64(d.Id))
	require.NoError(t, err)
	require.Equal(t, "5432", stored.Port)
	require.Equal(t, "unreachable-warehouse", stored.Name)
	h, err := b.store.DestinationHistory(b.ctx, int64(d.Id))
	require.NoError(t, err)
	require.Len(t, h, 1)

	// Fields that fail before any connection is tried.
	cases := []struct {
		name   string
		edit   func(m map[string]any)
		fields []string
	}{
		{"missing database", func(m map[string]any) { delete(m, "database_name") }, []string{"database_name"}},
		{"missing name", func(m map[string]any) { delete(m, "name") }, []string{"name"}},
		{"unknown type", func(m map[string]any) { m["destination_type"] = "mysql" }, []string{"destination_type"}},
		{"port not a number", func(m map[string]any) { m["port"] = "fifty" }, []string{"port"}},
		{"port out of range", func(m map[string]any) { m["port"] = "70000" }, []string{"port"}},
		{"empty host", func(m map[string]any) { m["host"] = "" }, []string{"host"}},
		{"no timeout", func(m map[string]any) { m["connect_timeout"] = 0 }, []string{"connect_timeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := destinationBody("bad-" + tc.name)
			tc.edit(body)
			res, err := b.admin.PostDestinationModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(body))
			require.NoError(t, err)
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
			requireIssues(t, res.Body, tc.fields...)
		})
	}
}

// testDestinationRoles: only a superuser saves destinations; editors and
// read-only users read them.
func testDestinationRoles(t *testing.T, b *bundle) {
	d := b.postDestination("roles-warehouse")
	want := b.destinationIDs()
	for _, role := range []qluster.UserType{qluster.UserTypeEditor, qluster.UserTypeReadOnly} {
		t.Run(string(role), func(t *testing.T) {
			c, _ := b.user(role, fmt.Sprintf("%s@example.com", role))
			list, err := c.GetDestinationsWithResponse(b.ctx, &client.GetDestinationsParams{})
			require.Equal(t, http.StatusOK, statusOf(t, list, err), string(list.Body))
			require.Equal(t, want, destinationIDs(list.JSON200.Results))
			require.Equal(t, d.Id, list.JSON200.Results[0].Id)
			require.Equal(t, qluster.Obfuscated, *list.JSON200.Results[0].Password)
			require.NotContains(t, string(list.Body), "pg-plain-password")
			one, err := c.GetDestinationWithResponse(b.ctx, d.Id)
			require.Equal(t, http.StatusOK, statusOf(t, one, err))
			nw, err := c.GetNewDestinationWithResponse(b.ctx)
			require.Equal(t, http.StatusOK, statusOf(t, nw, err))

			post, err := c.PostDestinationModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(destinationBody("mine-"+string(role))))
			require.Equal(t, http.StatusForbidden, statusOf(t, post, err), string(post.Body))
			patch, err := c.PatchDestinationModelWithResponse(b.ctx, client.DestinationPatchRequest{Id: d.Id, Name: ptr("taken-over")})
			require.Equal(t, http.StatusForbidden, statusOf(t, patch, err), string(patch.Body))
		})
	}
	stored, err := b.store.GetDestination(b.ctx, int64(d.Id))
	require.NoError(t, err)
	require.Equal(t, "roles-warehouse", stored.Name)
	require.Equal(t, want, b.destinationIDs())

	un, err := b.anon.GetDestinationsWithResponse(b.ctx, &client.GetDestinationsParams{})
	require.Equal(t, http.StatusUnauthorized, statusOf(t, un, err))
}
