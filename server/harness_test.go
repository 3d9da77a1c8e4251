package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/internal/secrets"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// bundle is what an HTTP test needs: a real server on 127.0.0.1 over its
// own database, and a superuser client.
type bundle struct {
	t     *testing.T
	ctx   context.Context
	store *postgres.Store
	url   string
	admin *client.ClientWithResponses
	// anon is a client that sends no token.
	anon *client.ClientWithResponses
	// engine runs the jobs; destURL is the default destination.
	engine  *qluster.Engine
	destURL *qluster.DestinationModel
}

const testPassword = "correct horse battery"

// setup starts a server over a fresh database. Destinations are checked for
// real unless the test swaps the check.
func setup(t *testing.T, opts ...func(*server.Options)) *bundle {
	t.Helper()
	return setupWith(t, nil, opts...)
}

// setupWith is setup with the engine's options changed by eo first (to
// point sources and backups at test servers, or register a custom source).
func setupWith(t *testing.T, eo func(*server.EngineOptions), opts ...func(*server.Options)) *bundle {
	t.Helper()
	ctx := context.Background()
	cipher, err := secrets.New([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	store, err := postgres.Open(ctx, pgtest.NewDatabase(t), &postgres.Options{Cipher: cipher})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	_, err = store.Migrate(ctx)
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The default destination: a database of its own on the test server.
	dest, err := server.DestinationFromURL("default", pgtest.NewDatabase(t))
	require.NoError(t, err)
	require.NoError(t, server.EnsureDefaults(ctx, store, dest))
	eopts := server.EngineOptions{Store: store, DataDir: t.TempDir(), Workers: 2, Logger: log,
		PollInterval: 50 * time.Millisecond, TrainingDelay: 200 * time.Millisecond}
	if eo != nil {
		eo(&eopts)
	}
	engine, err := server.NewEngine(eopts)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	o := server.Options{Store: store, TokenKey: []byte("test-signing-key-of-at-least-32-bytes!"), Logger: log,
		Engine: engine, PublicURL: "http://" + ln.Addr().String()}
	for _, f := range opts {
		f(&o)
	}
	srv, err := server.New(o)
	require.NoError(t, err)
	require.NoError(t, engine.Start(ctx))
	t.Cleanup(func() { engine.StopAndCancel(context.Background()) }) //nolint:errcheck
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { hs.Close() })
	b := &bundle{t: t, ctx: ctx, store: store, url: "http://" + ln.Addr().String(), engine: engine, destURL: dest}
	_, err = server.CreateUser(ctx, store, "admin@example.com", qluster.UserTypeSuperuser, testPassword)
	require.NoError(t, err)
	b.admin, err = client.Login(ctx, b.url, "admin@example.com", testPassword)
	require.NoError(t, err)
	b.anon, err = client.NewClientWithResponses(b.url)
	require.NoError(t, err)
	return b
}

// user creates a user of type t (with data sources for limited_to_source)
// and returns a client logged in as it.
func (b *bundle) user(typ qluster.UserType, email string, sources ...int64) (*client.ClientWithResponses, *qluster.User) {
	b.t.Helper()
	u, err := server.CreateUser(b.ctx, b.store, email, typ, testPassword)
	require.NoError(b.t, err)
	if len(sources) > 0 {
		u, err = b.store.PatchUser(b.ctx, u.ID, func(u *qluster.User) error { u.DataSourceModelIDs = sources; return nil }, nil, nil)
		require.NoError(b.t, err)
	}
	c, err := client.Login(b.ctx, b.url, email, testPassword)
	require.NoError(b.t, err)
	return c, u
}

func statusOf(t *testing.T, res interface{ StatusCode() int }, err error) int {
	t.Helper()
	require.NoError(t, err)
	return res.StatusCode()
}

func jsonReader(v any) io.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return bytes.NewReader(b)
}
