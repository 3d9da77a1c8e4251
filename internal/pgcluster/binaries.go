package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// EnvBinDir is the environment variable naming a directory that holds the
// PostgreSQL server binaries. FindBinaries looks there first.
const EnvBinDir = "QLUSTER_PG_BIN"

// debianBinGlob matches the per-major-version binary directories of Debian's
// postgresql packages.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// requiredBinaries are the programs a binary directory must hold.
var requiredBinaries = []string{"initdb", "pg_ctl", "postgres"}

// FindOptions configures FindBinaries. A nil *FindOptions means defaults.
type FindOptions struct {
	// InstallIfMissing makes FindBinaries install Debian's postgresql
	// package (apt-get update && apt-get install -y --no-install-recommends
	// postgresql, with DEBIAN_FRONTEND=noninteractive) when no binaries are
	// found, then search again. It only acts when running as root on a
	// system with apt-get; elsewhere the *MissingBinariesError says why.
	// Installing the package may create and start Debian's own "main"
	// cluster on port 5432; pgcluster never uses it. Default false.
	InstallIfMissing bool

	// Logger receives progress messages. Default: discard.
	Logger *slog.Logger
}

// MissingBinariesError is returned by FindBinaries (and Cluster.Start) when no
// directory holding initdb, pg_ctl and postgres was found.
type MissingBinariesError struct {
	// Searched lists the directories that were searched, in order.
	Searched []string

	// Install is why automatic installation failed or was not possible. It
	// is nil when FindOptions.InstallIfMissing was not set.
	Install error
}

// Error tells the reader exactly how to install the binaries.
func (e *MissingBinariesError) Error() string {
	var b strings.Builder
	b.WriteString("pgcluster: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in $")
	b.WriteString(EnvBinDir)
	b.WriteString(", " + debianBinGlob + " or PATH")
	if len(e.Searched) > 0 {
		b.WriteString(" (searched " + strings.Join(e.Searched, ", ") + ")")
	}
	if e.Install != nil {
		b.WriteString("; automatic installation failed: " + e.Install.Error())
	}
	b.WriteString("; install them with `apt-get install -y postgresql` (Debian/Ubuntu, as root)" +
		" or set " + EnvBinDir + " to the directory that holds them")
	return b.String()
}

// Unwrap returns the installation error, if any.
func (e *MissingBinariesError) Unwrap() error { return e.Install }

// FindBinaries returns the directory holding the PostgreSQL server binaries
// initdb, pg_ctl and postgres. It looks in $QLUSTER_PG_BIN (if set), then in
// /usr/lib/postgresql/*/bin (newest major version first), then in each
// directory of $PATH. If none has all three it returns a
// *MissingBinariesError, after trying to install them when
// opts.InstallIfMissing is set. The context bounds the installation.
func FindBinaries(ctx context.Context, opts *FindOptions) (binDir string, err error) {
	if opts == nil {
		opts = &FindOptions{}
	}
	logger := loggerOrDiscard(opts.Logger)
	p := searchPaths{
		envDir:  os.Getenv(EnvBinDir),
		libGlob: debianBinGlob,
		path:    os.Getenv("PATH"),
	}
	var install func(context.Context) error
	if opts.InstallIfMissing {
		install = func(ctx context.Context) error { return aptInstall(ctx, logger) }
	}
	return findBinaries(ctx, p, install, logger)
}

// searchPaths are the places findBinaries looks, taken from the environment
// by FindBinaries and from temporary directories by tests.
type searchPaths struct {
	envDir  string // $QLUSTER_PG_BIN, may be empty
	libGlob string // e.g. /usr/lib/postgresql/*/bin
	path    string // $PATH
}

// findBinaries searches p; when nothing is found and install is non-nil it
// runs install and searches once more.
func findBinaries(ctx context.Context, p searchPaths, install func(context.Context) error, logger *slog.Logger) (string, error) {
	dir, searched := searchBinaries(p, logger)
	if dir != "" {
		return dir, nil
	}
	if install == nil {
		return "", &MissingBinariesError{Searched: searched}
	}
	logger.InfoContext(ctx, "PostgreSQL server binaries not found; installing them", "searched", searched)
	if err := install(ctx); err != nil {
		return "", &MissingBinariesError{Searched: searched, Install: err}
	}
	dir, searched = searchBinaries(p, logger)
	if dir == "" {
		return "", &MissingBinariesError{
			Searched: searched,
			Install:  errors.New("the installation succeeded but the binaries are still not found"),
		}
	}
	return dir, nil
}

// searchBinaries returns the first directory of p holding all required
// binaries, or "" and the directories it looked at.
func searchBinaries(p searchPaths, logger *slog.Logger) (dir string, searched []string) {
	var candidates []string
	if p.envDir != "" {
		candidates = append(candidates, p.envDir)
	}
	candidates = append(candidates, versionedDirs(p.libGlob)...)
	for _, d := range filepath.SplitList(p.path) {
		if d != "" {
			candidates = append(candidates, d)
		}
	}
	for i, d := range candidates {
		searched = append(searched, d)
		if hasBinaries(d) {
			return d, searched
		}
		if i == 0 && p.envDir != "" {
			logger.Warn("$"+EnvBinDir+" does not hold initdb, pg_ctl and postgres; searching elsewhere", "dir", d)
		}
	}
	return "", searched
}

// versionedDirs expands glob (whose "*" is a major version such as 15 or 9.6)
// and sorts the matches newest version first.
func versionedDirs(glob string) []string {
	star := strings.Index(glob, "*")
	if star < 0 {
		return nil
	}
	dirs, _ := filepath.Glob(glob) // the only error is a malformed pattern
	// The version is the path element that the "*" matched.
	depth := strings.Count(glob[:star], string(filepath.Separator))
	version := func(d string) []int {
		parts := strings.Split(d, string(filepath.Separator))
		if depth >= len(parts) {
			return nil
		}
		var v []int
		for _, s := range strings.Split(parts[depth], ".") {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil
			}
			v = append(v, n)
		}
		return v
	}
	slices.SortStableFunc(dirs, func(a, b string) int {
		return slices.Compare(version(b), version(a))
	})
	return dirs
}

// hasBinaries reports whether dir holds executable initdb, pg_ctl and
// postgres files.
func hasBinaries(dir string) bool {
	for _, name := range requiredBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// aptInstall installs Debian's postgresql package. It needs root and apt-get.
func aptInstall(ctx context.Context, logger *slog.Logger) error {
	if os.Geteuid() != 0 {
		return errors.New("installing packages needs root")
	}
	aptGet, err := exec.LookPath("apt-get")
	if err != nil {
		return errors.New("apt-get not found: not a Debian-based system")
	}
	for _, args := range [][]string{
		{"update"},
		{"install", "-y", "--no-install-recommends", "postgresql"},
	} {
		logger.InfoContext(ctx, "running apt-get", "args", args)
		cmd := exec.CommandContext(ctx, aptGet, args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("apt-get %s: %w: %s", strings.Join(args, " "), err, tail(out, 20))
		}
	}
	return nil
}

// serverMajorVersion returns the major version ("15", "9.6") of the postgres
// binary in binDir.
func serverMajorVersion(ctx context.Context, binDir string) (string, error) {
	// postgres answers --version before its refusal to run as root.
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, "postgres"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s/postgres --version: %w", binDir, err)
	}
	major, ok := parseMajorVersion(string(out))
	if !ok {
		return "", fmt.Errorf("%s/postgres --version: unexpected output %q", binDir, out)
	}
	return major, nil
}

// parseMajorVersion extracts the major version from the output of
// `postgres --version`, e.g. "postgres (PostgreSQL) 15.20 (Debian ...)" -> "15"
// and "postgres (PostgreSQL) 9.6.24" -> "9.6".
func parseMajorVersion(out string) (string, bool) {
	const marker = "(PostgreSQL) "
	i := strings.Index(out, marker)
	if i < 0 {
		return "", false
	}
	fields := strings.Fields(out[i+len(marker):])
	if len(fields) == 0 {
		return "", false
	}
	// Keep the leading digits and dots: "16beta1" and "17devel" have suffixes.
	v := fields[0]
	if i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if _, err := strconv.Atoi(parts[0]); err != nil {
		return "", false
	}
	if n, _ := strconv.Atoi(parts[0]); n < 10 && len(parts) > 1 {
		return parts[0] + "." + parts[1], true
	}
	return parts[0], true
}

// tail returns the last n lines of b, trimmed.
func tail(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// loggerOrDiscard returns l, or a logger that discards everything if l is nil.
func loggerOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
