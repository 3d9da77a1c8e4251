package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDatabaseURL is the environment variable naming the server on which
// NewDatabase creates databases.
const EnvDatabaseURL = "QLUSTER_TEST_DATABASE_URL"

// DefaultAdminURL is the server used when EnvDatabaseURL is unset: the local
// PostgreSQL with trust authentication.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// restartHint tells how to start the local server.
const restartHint = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"

// timeout bounds each administrative step (connect, create, drop).
const timeout = 30 * time.Second

// AdminURL returns the URL of the server on which NewDatabase creates
// databases: $QLUSTER_TEST_DATABASE_URL, or DefaultAdminURL if it is unset
// or empty.
func AdminURL() string {
	if u := os.Getenv(EnvDatabaseURL); u != "" {
		return u
	}
	return DefaultAdminURL
}

// NewDatabase creates a fresh, uniquely named database on the server given
// by AdminURL and returns its URL (AdminURL with the database name
// replaced). The database is dropped WITH (FORCE) when t and its subtests
// end. NewDatabase fails t at once if the server is unreachable.
func NewDatabase(t testing.TB) (url string) {
	t.Helper()
	return newDatabase(t, AdminURL())
}

// seq numbers the databases created by this process; with the PID it makes
// names unique, the random part guards against PID reuse.
var seq atomic.Uint64

// newDatabase is NewDatabase on the server at adminURL.
func newDatabase(t testing.TB, adminURL string) string {
	t.Helper()
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s must be a postgres:// URL, got %q", EnvDatabaseURL, redact(adminURL))
	}
	name := databaseName()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("pgtest: cannot connect to the test PostgreSQL server %s (set by $%s, default %s): %v\n"+
			"If it is the local server and it is down, start it with:\n\t%s",
			u.Redacted(), EnvDatabaseURL, DefaultAdminURL, err, restartHint)
	}
	defer conn.Close(context.Background())
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("pgtest: create database %s on %s: %v", name, u.Redacted(), err)
	}
	t.Cleanup(func() { dropDatabase(t, adminURL, name) })
	// COMMENT takes no parameters: let the server quote the test's name.
	var comment string
	err = conn.QueryRow(ctx, "SELECT format('COMMENT ON DATABASE %I IS %L', $1::text, $2::text)",
		name, "pgtest: "+t.Name()).Scan(&comment)
	if err == nil {
		_, err = conn.Exec(ctx, comment)
	}
	if err != nil {
		t.Fatalf("pgtest: comment on database %s: %v", name, err)
	}

	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// dropDatabase drops name, disconnecting its remaining sessions.
func dropDatabase(t testing.TB, adminURL, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
	}
}

// databaseName returns qt_<pid>_<counter>_<8 random hex digits>.
func databaseName() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails
	return fmt.Sprintf("qt_%d_%d_%s", os.Getpid(), seq.Add(1), hex.EncodeToString(b[:]))
}

// redact hides a password in a URL that may not parse.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}
