package pgtest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// queryString returns the single text value of sql run on url.
func queryString(t *testing.T, url, sql string, args ...any) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var v string
	require.NoError(t, conn.QueryRow(t.Context(), sql, args...).Scan(&v))
	return v
}

func TestNewDatabase(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		names []string
	)
	// The group returns once its parallel subtests and their cleanups are done.
	t.Run("Group", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				url := NewDatabase(t)
				name := queryString(t, url, "SELECT current_database()")
				require.Regexp(t, `^qt_[0-9]+_[0-9]+_[0-9a-f]{8}$`, name)
				require.Equal(t, "pgtest: "+t.Name(),
					queryString(t, AdminURL(), "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name))

				conn, err := pgx.Connect(t.Context(), url)
				require.NoError(t, err)
				// Left open on purpose: the drop must not wait for it.
				_, err = conn.Exec(t.Context(), "CREATE TABLE t (v int)")
				require.NoError(t, err)
				t.Cleanup(func() { _ = conn.Close(context.Background()) })

				mu.Lock()
				names = append(names, name)
				mu.Unlock()
			})
		}
	})
	require.Len(t, names, 4)
	seen := map[string]bool{}
	for _, n := range names {
		require.False(t, seen[n], "duplicate database name %s", n)
		seen[n] = true
		require.Equal(t, "0", queryString(t, AdminURL(), "SELECT count(*)::text FROM pg_database WHERE datname = $1", n),
			"database %s is dropped after its test", n)
	}
}

// fatalRecorder is a testing.TB whose Fatal stops the goroutine and records
// the message instead of failing the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *fatalRecorder) Fatal(args ...any) {
	r.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

func TestNewDatabaseFailsClearly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		adminURL string
		want     []string
	}{
		{
			name:     "Unreachable",
			adminURL: "postgres://postgres:secret@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5",
			want:     []string{"cannot connect", EnvDatabaseURL, "pg_ctlcluster --skip-systemctl-redirect", "xxxxx"},
		},
		{
			name:     "NotAURL",
			adminURL: "host=localhost dbname=postgres",
			want:     []string{EnvDatabaseURL, "must be a postgres:// URL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &fatalRecorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				newDatabase(r, tt.adminURL)
			}()
			<-done
			for _, w := range tt.want {
				require.Contains(t, r.msg, w)
			}
			require.NotContains(t, r.msg, "secret", "the password is redacted")
		})
	}
}

func TestAdminURL(t *testing.T) {
	tests := []struct {
		name string
		env  string
		want string
	}{
		{"Unset", "", DefaultAdminURL},
		{"Set", "postgres://u@db.example:5433/x", "postgres://u@db.example:5433/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvDatabaseURL, tt.env)
			require.Equal(t, tt.want, AdminURL())
		})
	}
}

func TestDatabaseNameUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		n := databaseName()
		require.False(t, seen[n])
		require.LessOrEqual(t, len(n), 63, "PostgreSQL truncates identifiers beyond 63 bytes")
		require.True(t, strings.HasPrefix(n, "qt_"))
		seen[n] = true
	}
}
