package pgcluster

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeBinDir creates root/rel holding executable files named names.
func fakeBinDir(t *testing.T, root, rel string, names ...string) string {
	t.Helper()
	dir := filepath.Join(root, rel)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, n := range names {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755))
	}
	return dir
}

func TestFindBinaries(t *testing.T) {
	t.Parallel()
	all := requiredBinaries
	tests := []struct {
		name string
		// layout creates directories under root and returns where to search.
		layout  func(t *testing.T, root string) searchPaths
		install func(t *testing.T, root string) func(context.Context) error
		want    string // found directory, relative to root
		wantErr string
	}{
		{
			name: "EnvDirFirst",
			layout: func(t *testing.T, root string) searchPaths {
				fakeBinDir(t, root, "lib/16/bin", all...)
				return searchPaths{envDir: fakeBinDir(t, root, "env", all...), libGlob: root + "/lib/*/bin"}
			},
			want: "env",
		},
		{
			name: "IncompleteEnvDirFallsThrough",
			layout: func(t *testing.T, root string) searchPaths {
				fakeBinDir(t, root, "lib/15/bin", all...)
				return searchPaths{envDir: fakeBinDir(t, root, "env", "initdb", "postgres"), libGlob: root + "/lib/*/bin"}
			},
			want: "lib/15/bin",
		},
		{
			name: "NewestCompleteMajorFirst",
			layout: func(t *testing.T, root string) searchPaths {
				fakeBinDir(t, root, "lib/9.6/bin", all...)
				fakeBinDir(t, root, "lib/10/bin", all...)
				fakeBinDir(t, root, "lib/15/bin", all...)
				fakeBinDir(t, root, "lib/17/bin", "pg_ctl") // client-only install
				return searchPaths{libGlob: root + "/lib/*/bin", path: fakeBinDir(t, root, "usr/bin", all...)}
			},
			want: "lib/15/bin",
		},
		{
			name: "PathLast",
			layout: func(t *testing.T, root string) searchPaths {
				fakeBinDir(t, root, "lib/15/bin", "initdb")
				a := fakeBinDir(t, root, "a", "initdb", "pg_ctl")
				b := fakeBinDir(t, root, "b", all...)
				return searchPaths{libGlob: root + "/lib/*/bin", path: a + string(os.PathListSeparator) + b}
			},
			want: "b",
		},
		{
			name: "NotExecutable",
			layout: func(t *testing.T, root string) searchPaths {
				dir := fakeBinDir(t, root, "a", all...)
				require.NoError(t, os.Chmod(filepath.Join(dir, "postgres"), 0o644))
				return searchPaths{path: dir}
			},
			wantErr: "apt-get install -y postgresql",
		},
		{
			name: "MissingWithoutInstall",
			layout: func(t *testing.T, root string) searchPaths {
				return searchPaths{envDir: filepath.Join(root, "nope"), libGlob: root + "/lib/*/bin", path: root}
			},
			wantErr: "not found in $QLUSTER_PG_BIN, /usr/lib/postgresql/*/bin or PATH",
		},
		{
			name: "InstalledThenFound",
			layout: func(t *testing.T, root string) searchPaths {
				return searchPaths{libGlob: root + "/lib/*/bin"}
			},
			install: func(t *testing.T, root string) func(context.Context) error {
				return func(context.Context) error {
					fakeBinDir(t, root, "lib/15/bin", all...)
					return nil
				}
			},
			want: "lib/15/bin",
		},
		{
			name: "InstallFails",
			layout: func(t *testing.T, root string) searchPaths {
				return searchPaths{libGlob: root + "/lib/*/bin"}
			},
			install: func(t *testing.T, root string) func(context.Context) error {
				return func(context.Context) error { return errors.New("installing packages needs root") }
			},
			wantErr: "automatic installation failed: installing packages needs root",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			p := tt.layout(t, root)
			var install func(context.Context) error
			if tt.install != nil {
				install = tt.install(t, root)
			}
			dir, err := findBinaries(t.Context(), p, install, slog.New(slog.DiscardHandler))
			if tt.wantErr != "" {
				var missing *MissingBinariesError
				require.ErrorAs(t, err, &missing)
				require.ErrorContains(t, err, tt.wantErr)
				require.ErrorContains(t, err, "apt-get install -y postgresql")
				return
			}
			require.NoError(t, err)
			require.Equal(t, filepath.Join(root, tt.want), dir)
		})
	}
}

func TestFindBinariesOnThisMachine(t *testing.T) {
	t.Parallel()
	dir, err := FindBinaries(t.Context(), nil)
	require.NoError(t, err, "the tests need PostgreSQL server binaries")
	require.True(t, hasBinaries(dir))
	major, err := serverMajorVersion(t.Context(), dir)
	require.NoError(t, err)
	t.Logf("found PostgreSQL %s in %s", major, dir)
}

func TestParseMajorVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		out  string
		want string
		ok   bool
	}{
		{"postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n", "15", true},
		{"postgres (PostgreSQL) 9.6.24\n", "9.6", true},
		{"postgres (PostgreSQL) 17devel\n", "17", true},
		{"postgres (PostgreSQL) 16beta1\n", "16", true},
		{"postgres (PostgreSQL) 18.0\n", "18", true},
		{"something else", "", false},
		{"postgres (PostgreSQL) x", "", false},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.out), func(t *testing.T) {
			t.Parallel()
			got, ok := parseMajorVersion(tt.out)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, got)
		})
	}
}
