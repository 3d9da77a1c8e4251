package pgcluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgcluster"
)

// newCluster returns a Cluster in dir whose server is stopped when the test
// ends. Several Clusters may share dir, as successive processes would.
func newCluster(t *testing.T, dir string) *pgcluster.Cluster {
	t.Helper()
	c, err := pgcluster.New(&pgcluster.Options{
		DataDir:      dir,
		StartTimeout: 30 * time.Second,
		Logger:       slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, c.Stop(ctx))
	})
	return c
}

// tWriter sends log lines to t.Log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// query returns the single text value of sql run on url.
func query(t *testing.T, url, sql string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var v string
	require.NoError(t, conn.QueryRow(t.Context(), sql).Scan(&v))
	return v
}

// exec runs sql on url.
func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(t.Context(), sql)
	require.NoError(t, err)
}

// postmasterPID returns the PID in dir's postmaster.pid.
func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "pg", "data", "postmaster.pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	require.NoError(t, err)
	return pid
}

// timed runs f and logs how long it took.
func timed(t *testing.T, what string, f func() error) {
	t.Helper()
	start := time.Now()
	require.NoError(t, f())
	t.Logf("%s took %s", what, time.Since(start).Round(time.Millisecond))
}

func TestClusterLifecycle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	c := newCluster(t, dir)

	timed(t, "first Start (initdb)", func() error { return c.Start(ctx) })
	port := c.Port()
	require.NotZero(t, port)
	require.NoError(t, c.CreateDatabase(ctx, "app db"))
	require.NoError(t, c.CreateDatabase(ctx, "app db"), "CreateDatabase is idempotent")
	execSQL(t, c.URL("app db"), "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')")
	require.Equal(t, "app db", query(t, c.URL("app db"), "SELECT current_database()"))
	require.Equal(t, "UTF8", query(t, c.URL("app db"), "SHOW server_encoding"))
	tcpURL := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	require.Equal(t, "127.0.0.1", query(t, tcpURL, "SELECT host(inet_server_addr())"), "listens on 127.0.0.1")
	persisted, err := os.ReadFile(filepath.Join(dir, "pg", "port"))
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(port), strings.TrimSpace(string(persisted)))

	timed(t, "Stop", func() error { return c.Stop(ctx) })
	_, err = pgx.Connect(ctx, c.URL("postgres"))
	require.Error(t, err, "server is stopped")
	require.NoError(t, c.Stop(ctx), "Stop of a stopped cluster is a no-op")

	timed(t, "second Start", func() error { return c.Start(ctx) })
	require.Equal(t, port, c.Port(), "the persisted port is reused")
	require.Equal(t, "kept", query(t, c.URL("app db"), "SELECT v FROM t"))

	t.Run("ReuseRunningServer", func(t *testing.T) {
		pid := postmasterPID(t, dir)
		next := newCluster(t, dir) // as the next run of qluster serve would
		timed(t, "Start reusing the running server", func() error { return next.Start(ctx) })
		require.Equal(t, pid, postmasterPID(t, dir), "no new server was started")
		require.Equal(t, port, next.Port())
		require.Equal(t, "kept", query(t, next.URL("app db"), "SELECT v FROM t"))
		require.NoError(t, next.Stop(ctx), "a Cluster stops a server another one started")
		require.NoFileExists(t, filepath.Join(dir, "pg", "data", "postmaster.pid"))
	})

	t.Run("PersistedPortTaken", func(t *testing.T) {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		require.NoError(t, err)
		defer ln.Close()
		timed(t, "Start with the persisted port taken", func() error { return c.Start(ctx) })
		require.NotEqual(t, port, c.Port())
		require.Equal(t, "kept", query(t, c.URL("app db"), "SELECT v FROM t"))
		persisted, err := os.ReadFile(filepath.Join(dir, "pg", "port"))
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(c.Port()), strings.TrimSpace(string(persisted)), "the new port is persisted")
	})
}

func TestStartAfterUncleanStop(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	first := newCluster(t, dir)
	require.NoError(t, first.Start(ctx))
	execSQL(t, first.URL("postgres"), "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')")
	pidPath := filepath.Join(dir, "pg", "data", "postmaster.pid")

	// fakePIDFile replaces postmaster.pid after a clean stop by one naming pid.
	fakePIDFile := func(t *testing.T, pid int) {
		require.NoError(t, first.Stop(ctx))
		content := fmt.Sprintf("%d\n%s\n%d\n%d\n%s\n127.0.0.1\n  5432001         0\nready   \n",
			pid, filepath.Join(dir, "pg", "data"), time.Now().Unix(), first.Port(), filepath.Join(dir, "pg", "run"))
		require.NoError(t, os.WriteFile(pidPath, []byte(content), 0o600))
	}
	tests := []struct {
		name  string
		crash func(t *testing.T)
	}{
		{"PostmasterKilled", func(t *testing.T) {
			pid := postmasterPID(t, dir)
			require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
			require.Eventually(t, func() bool { return syscall.Kill(pid, 0) != nil }, 10*time.Second, 10*time.Millisecond)
		}},
		{"PIDOfExitedProcess", func(t *testing.T) {
			cmd := exec.Command("true")
			require.NoError(t, cmd.Run())
			fakePIDFile(t, cmd.Process.Pid)
		}},
		{"PIDOfUnrelatedProcess", func(t *testing.T) {
			fakePIDFile(t, os.Getpid())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.crash(t)
			require.FileExists(t, pidPath)
			next := newCluster(t, dir)
			timed(t, "Start", func() error { return next.Start(ctx) })
			require.Equal(t, "kept", query(t, next.URL("postgres"), "SELECT v FROM t"))
			require.Equal(t, first.Port(), next.Port())
		})
	}
}

func TestNewValidatesOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts *pgcluster.Options
		want string
	}{
		{"Nil", nil, "Options.DataDir is required"},
		{"NoDataDir", &pgcluster.Options{Port: 5433}, "Options.DataDir is required"},
		{"PortOutOfRange", &pgcluster.Options{DataDir: "x", Port: 70000}, "Options.Port 70000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := pgcluster.New(tt.opts)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
