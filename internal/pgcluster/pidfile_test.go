package pgcluster

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePIDFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    pidFile
	}{
		{
			name: "Ready",
			content: "2202\n/var/lib/postgresql/15/main\n1795717763\n5432\n/var/run/postgresql\n" +
				"127.0.0.1\n   745552         4\nready   \n",
			want: pidFile{pid: 2202, dataDir: "/var/lib/postgresql/15/main", port: 5432,
				socketDir: "/var/run/postgresql", status: "ready"},
		},
		{
			name:    "NoSocket",
			content: "77\n/d\n1\n6000\n\n127.0.0.1\n  1  2\nstarting\n",
			want:    pidFile{pid: 77, dataDir: "/d", port: 6000, status: "starting"},
		},
		{
			name:    "BeingWritten",
			content: "77\n/d\n",
			want:    pidFile{pid: 77, dataDir: "/d"},
		},
		{
			name:    "StandaloneBackend",
			content: "-77\n/d\n",
			want:    pidFile{pid: 77, dataDir: "/d"},
		},
		{name: "Empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, parsePIDFile(tt.content))
		})
	}
}

func TestIsPostmasterOf(t *testing.T) {
	t.Parallel()
	exited := exec.Command("true")
	require.NoError(t, exited.Run())
	cwd, err := os.Getwd()
	require.NoError(t, err)
	tests := []struct {
		name string
		pid  int
		want bool
	}{
		{"NoPID", 0, false},
		{"ExitedProcess", exited.Process.Pid, false},
		{"NotPostgres", os.Getpid(), false}, // this test binary, in cwd
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, isPostmasterOf(tt.pid, cwd))
		})
	}
}

func TestSocketDirSetting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir  string
		want string
	}{
		{"/tmp/x/pg/run", "/tmp/x/pg/run"},
		{"/tmp/with space/pg/run", `"/tmp/with space/pg/run"`},
		{"/tmp/a,b/pg/run", `"/tmp/a,b/pg/run"`},
		{`/tmp/a"b/pg/run`, ""},
		{"/" + strings.Repeat("d", maxSocketDirLen), ""},
		{"/" + strings.Repeat("d", maxSocketDirLen-1), "/" + strings.Repeat("d", maxSocketDirLen-1)},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, socketDirSetting(tt.dir))
		})
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		port   int
		socket string
		db     string
		want   string
	}{
		{"Socket", 5433, "/data/pg/run", "app", "postgres://postgres@/app?host=%2Fdata%2Fpg%2Frun&port=5433&sslmode=disable"},
		{"TCP", 5433, "", "app", "postgres://postgres@127.0.0.1:5433/app?sslmode=disable"},
		{"EscapedName", 5433, "", "my db", "postgres://postgres@127.0.0.1:5433/my%20db?sslmode=disable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(&Options{DataDir: "/data"})
			require.NoError(t, err)
			c.setAddr(tt.port, tt.socket)
			require.Equal(t, tt.want, c.URL(tt.db))
		})
	}
}
