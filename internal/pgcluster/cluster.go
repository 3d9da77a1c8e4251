package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Superuser is the database superuser that initdb creates and that URL uses.
const Superuser = "postgres"

// DefaultStartTimeout is the default for Options.StartTimeout.
const DefaultStartTimeout = 60 * time.Second

// Options configures a Cluster.
type Options struct {
	// DataDir is the directory the cluster lives in. Required. Everything
	// pgcluster writes is under DataDir/pg: data/ (the PostgreSQL data
	// directory), run/ (the Unix socket directory), port (the persisted
	// port), postgresql.log (the server log) and lock (serializes Start and
	// Stop across processes). DataDir is created if missing.
	DataDir string

	// Port is the TCP port the server listens on, on 127.0.0.1 only.
	// Default 0: pick a free port at the first start, persist it in
	// DataDir/pg/port and reuse it on later starts, choosing a new free one
	// only when another process holds it. A non-zero Port that is taken
	// makes Start fail.
	Port int

	// BinDir is the directory holding initdb, pg_ctl and postgres. Default:
	// found by FindBinaries. Without BinDir, a data directory created by
	// another major version is started with /usr/lib/postgresql/<that
	// version>/bin when present.
	BinDir string

	// InstallIfMissing is passed to FindBinaries when BinDir is empty: as
	// root on Debian, install the postgresql package when no binaries are
	// found. Default false.
	InstallIfMissing bool

	// OSUser is the OS user that owns the cluster files and runs initdb and
	// postgres when the process runs as root (PostgreSQL refuses to run as
	// root). It is created with `useradd --system` if it does not exist.
	// Ignored when not running as root: then the current user runs
	// everything. Default DefaultOSUser ("postgres").
	OSUser string

	// StartTimeout bounds how long Start waits for the server to accept
	// connections, crash recovery included. Default DefaultStartTimeout
	// (60s).
	StartTimeout time.Duration

	// Logger receives lifecycle messages. Default: discard.
	Logger *slog.Logger
}

// withDefaults returns a copy of o with defaults applied.
func (o Options) withDefaults() Options {
	if o.OSUser == "" {
		o.OSUser = DefaultOSUser
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	o.Logger = loggerOrDiscard(o.Logger)
	return o
}

// validate checks o, naming the faulty field.
func (o Options) validate() error {
	if o.DataDir == "" {
		return errors.New("Options.DataDir is required")
	}
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("Options.Port %d is out of range 0-65535", o.Port)
	}
	return nil
}

// Cluster is a private PostgreSQL cluster kept in a directory, listening on
// 127.0.0.1 and on a Unix socket in that directory, with trust
// authentication for the superuser "postgres". Its server process outlives
// the Go process unless Stop is called, and a later Start (from this or
// another process) reuses it. Methods are safe for concurrent use.
type Cluster struct {
	opts   Options
	logger *slog.Logger

	// life serializes Start and Stop in this process; the lock file
	// serializes them across processes.
	life sync.Mutex
	// Resolved on the first Start.
	prepared bool
	binDir   string
	user     *osUser
	root     string // DataDir with symbolic links resolved
	child    *exec.Cmd
	exited   chan struct{} // closed when child has exited and been reaped

	mu        sync.Mutex // guards port and socketDir, read by URL
	port      int
	socketDir string // "" when the server has no Unix socket
}

// New returns a Cluster for opts. It does not touch the disk; Start does.
func New(opts *Options) (*Cluster, error) {
	if opts == nil {
		opts = &Options{}
	}
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("pgcluster.New: %w", err)
	}
	abs, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster.New: Options.DataDir: %w", err)
	}
	o.DataDir = abs
	return &Cluster{opts: o, logger: o.Logger.With("data_dir", abs), binDir: o.BinDir}, nil
}

// Paths below the resolved DataDir.
func (c *Cluster) pgDir() string    { return filepath.Join(c.root, "pg") }
func (c *Cluster) dataDir() string  { return filepath.Join(c.root, "pg", "data") }
func (c *Cluster) sockDir() string  { return filepath.Join(c.root, "pg", "run") }
func (c *Cluster) portPath() string { return filepath.Join(c.root, "pg", "port") }
func (c *Cluster) logPath() string  { return filepath.Join(c.root, "pg", "postgresql.log") }
func (c *Cluster) pidPath() string  { return filepath.Join(c.dataDir(), "postmaster.pid") }

// Port returns the TCP port of the server on 127.0.0.1, or 0 before the
// first successful Start.
func (c *Cluster) Port() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.port
}

// URL returns a pgx-compatible connection URL for database dbname as the
// superuser "postgres", valid after Start returned nil. It connects through
// the Unix socket in DataDir/pg/run, or through 127.0.0.1 when the socket
// path is too long for the operating system.
func (c *Cluster) URL(dbname string) string {
	c.mu.Lock()
	port, sock := c.port, c.socketDir
	c.mu.Unlock()
	u := url.URL{Scheme: "postgres", User: url.User(Superuser), Path: "/" + dbname}
	q := url.Values{"sslmode": {"disable"}}
	if sock != "" {
		q.Set("host", sock)
		q.Set("port", strconv.Itoa(port))
	} else {
		u.Host = "127.0.0.1:" + strconv.Itoa(port)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Start makes the cluster run and returns once it accepts connections. It
// creates the cluster with initdb on first use, reuses a server that is
// already running in DataDir (started by an earlier Start, possibly in
// another process), removes a stale postmaster.pid left by an unclean stop,
// and otherwise starts postgres. It waits at most Options.StartTimeout;
// on failure the error includes the tail of the server log. Start may return
// a *MissingBinariesError.
func (c *Cluster) Start(ctx context.Context) error {
	c.life.Lock()
	defer c.life.Unlock()
	if err := c.prepare(ctx); err != nil {
		var missing *MissingBinariesError
		if errors.As(err, &missing) {
			return err
		}
		return fmt.Errorf("pgcluster: start cluster in %s: %w", c.opts.DataDir, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.StartTimeout)
	defer cancel()
	unlock, err := c.lock(ctx)
	if err != nil {
		return fmt.Errorf("pgcluster: start cluster in %s: %w", c.opts.DataDir, err)
	}
	defer unlock()
	if err := c.start(ctx); err != nil {
		return fmt.Errorf("pgcluster: start cluster in %s: %w", c.opts.DataDir, err)
	}
	return nil
}

// prepare finds the binaries and the OS user and creates the directories
// with the right owners and permissions. Only the first call does the work.
func (c *Cluster) prepare(ctx context.Context) error {
	if c.prepared {
		return nil
	}
	if c.binDir == "" {
		dir, err := FindBinaries(ctx, &FindOptions{InstallIfMissing: c.opts.InstallIfMissing, Logger: c.opts.Logger})
		if err != nil {
			return err
		}
		c.binDir = dir
	}
	u, err := resolveOSUser(ctx, c.opts.OSUser, c.logger)
	if err != nil {
		return err
	}
	c.user = u
	if err := os.MkdirAll(c.opts.DataDir, 0o700); err != nil {
		return err
	}
	if c.root, err = filepath.EvalSymlinks(c.opts.DataDir); err != nil {
		return err
	}
	for _, dir := range []string{c.pgDir(), c.sockDir()} {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if err := c.user.chown(dir); err != nil {
			return err
		}
	}
	if err := c.user.ensureSearchable(c.pgDir(), c.logger); err != nil {
		return err
	}
	if _, err := os.Stat(c.dataDir()); err == nil {
		if err := c.user.chownTree(c.dataDir()); err != nil {
			return err
		}
	}
	c.prepared = true
	return nil
}

// lock takes the cross-process lock file DataDir/pg/lock, waiting for it
// until ctx is done.
func (c *Cluster) lock(ctx context.Context) (unlock func(), err error) {
	path := filepath.Join(c.pgDir(), "lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := c.user.chown(path); err != nil {
		_ = f.Close()
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("wait for lock %s held by another process: %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// errServerExited reports that the server process exited while we waited
// for it to accept connections.
var errServerExited = errors.New("postgres exited")

// start does the work of Start under the lock.
func (c *Cluster) start(ctx context.Context) error {
	if err := c.initOnce(ctx); err != nil {
		return err
	}
	avoid := map[int]bool{} // ports that failed to bind in this Start
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("server not ready: %w; server log %s:\n%s", err, c.logPath(), c.logTail(-1))
		}
		pf, found, err := readPIDFile(c.pidPath())
		if err != nil {
			return err
		}
		if found {
			if c.isRunning(pf.pid) {
				reused, err := c.reuse(ctx, pf)
				if err != nil || reused {
					return err
				}
				continue // it exited meanwhile (it was stopping): start anew
			}
			c.logger.InfoContext(ctx, "removing stale postmaster.pid left by an unclean stop", "pid", pf.pid)
			if err := os.Remove(c.pidPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}

		port, err := c.choosePort(ctx, avoid)
		if err != nil {
			return err
		}
		offset := c.logSize()
		if err := c.launch(port); err != nil {
			return err
		}
		err = c.waitReady(ctx, c.child.Process.Pid, c.exited)
		if err == nil {
			c.logger.InfoContext(ctx, "PostgreSQL started", "port", port, "pid", c.child.Process.Pid)
			return c.writePort(port)
		}
		logTail := c.logTail(offset)
		if !errors.Is(err, errServerExited) {
			c.stopChild()
			return fmt.Errorf("%w; server log %s:\n%s", err, c.logPath(), logTail)
		}
		// Failures that a retry cures: a port taken between our check and
		// postgres's bind, and shared memory or socket locks still held by
		// the children of a killed postmaster, which exit on their own.
		switch {
		case attempt >= 20:
		case c.opts.Port == 0 && strings.Contains(logTail, "could not bind"):
			avoid[port] = true
			continue
		case strings.Contains(logTail, "pre-existing shared memory block"),
			strings.Contains(logTail, "lock file") && strings.Contains(logTail, "already exists"):
			c.logger.InfoContext(ctx, "waiting for processes of the previous server to exit")
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		return fmt.Errorf("postgres exited during startup; server log %s:\n%s", c.logPath(), logTail)
	}
}

// isRunning reports whether pid is a live postmaster of this cluster.
func (c *Cluster) isRunning(pid int) bool {
	if c.child != nil && c.child.Process.Pid == pid {
		select {
		case <-c.exited:
			return false
		default:
		}
	}
	return isPostmasterOf(pid, c.dataDir())
}

// reuse adopts the running server described by pf once it accepts
// connections. reused is false when it exited meanwhile.
func (c *Cluster) reuse(ctx context.Context, pf pidFile) (reused bool, err error) {
	// The postmaster fills in its port and socket lines shortly after
	// creating the file.
	for pf.port == 0 {
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("running server (pid %d) did not write its port to postmaster.pid: %w", pf.pid, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		var found bool
		if pf, found, err = readPIDFile(c.pidPath()); err != nil || !found {
			return false, err // gone: it exited
		}
	}
	c.setAddr(pf.port, pf.socketDir)
	var exited <-chan struct{}
	if c.child != nil && c.child.Process.Pid == pf.pid {
		exited = c.exited
	}
	if err := c.waitReady(ctx, pf.pid, exited); err != nil {
		if errors.Is(err, errServerExited) {
			return false, nil
		}
		return false, fmt.Errorf("running server (pid %d) %w; server log %s:\n%s", pf.pid, err, c.logPath(), c.logTail(-1))
	}
	if c.opts.Port != 0 && c.opts.Port != pf.port {
		c.logger.WarnContext(ctx, "reusing running PostgreSQL on another port than Options.Port; Stop it to change ports",
			"port", pf.port, "want_port", c.opts.Port)
	}
	c.logger.InfoContext(ctx, "reusing running PostgreSQL", "port", pf.port, "pid", pf.pid)
	return true, c.writePort(pf.port)
}

// initOnce creates the data directory with initdb unless it exists. initdb
// writes into data.initdb, renamed to data on success, so an interrupted run
// leaves no half-made cluster behind.
func (c *Cluster) initOnce(ctx context.Context) error {
	version, err := os.ReadFile(filepath.Join(c.dataDir(), "PG_VERSION"))
	if err == nil {
		return c.matchVersion(ctx, strings.TrimSpace(string(version)))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Remove(c.dataDir()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s exists but is not a PostgreSQL data directory (no PG_VERSION): %w", c.dataDir(), err)
	}
	tmp := filepath.Join(c.pgDir(), "data.initdb")
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	c.logger.InfoContext(ctx, "creating PostgreSQL cluster with initdb", "bin_dir", c.binDir)
	cmd := c.command(ctx, "initdb", "-D", tmp, "-U", Superuser, "-E", "UTF8", "--locale=C",
		"--auth-local=trust", "--auth-host=trust")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, tail(out, 20))
	}
	// Only the Unix socket and 127.0.0.1 are trusted; initdb's default also
	// trusts ::1, on which the server does not listen anyway.
	const hba = "# Written by qluster (internal/pgcluster): trust on the Unix socket and 127.0.0.1 only.\n" +
		"# TYPE  DATABASE     USER  ADDRESS       METHOD\n" +
		"local   all          all                 trust\n" +
		"host    all          all   127.0.0.1/32  trust\n" +
		"local   replication  all                 trust\n" +
		"host    replication  all   127.0.0.1/32  trust\n"
	if err := c.writeFile(filepath.Join(tmp, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, c.dataDir())
}

// matchVersion checks that the binaries can run a data directory created by
// PostgreSQL version, switching to Debian's binaries of that version if
// needed and possible.
func (c *Cluster) matchVersion(ctx context.Context, version string) error {
	have, err := serverMajorVersion(ctx, c.binDir)
	if err != nil {
		return err
	}
	if have == version {
		return nil
	}
	if alt := strings.Replace(debianBinGlob, "*", version, 1); c.opts.BinDir == "" && hasBinaries(alt) {
		c.logger.InfoContext(ctx, "using the binaries of the data directory's PostgreSQL version", "version", version, "bin_dir", alt)
		c.binDir = alt
		return nil
	}
	return fmt.Errorf("data directory %s was created by PostgreSQL %s but the binaries in %s are version %s; "+
		"install PostgreSQL %s (apt-get install -y postgresql-%s) or upgrade the data directory with pg_upgrade",
		c.dataDir(), version, c.binDir, have, version, version)
}

// maxSocketDirLen keeps DIR/.s.PGSQL.NNNNN within the 107 bytes that Unix
// socket addresses allow on Linux, with margin (macOS allows 103).
const maxSocketDirLen = 103 - len("/.s.PGSQL.65535")

// socketDirSetting returns the unix_socket_directories value: the socket
// directory, or "" (no Unix socket) when its path is too long or cannot be
// written in the setting's comma-separated list syntax.
func socketDirSetting(dir string) string {
	if len(dir) > maxSocketDirLen || strings.Contains(dir, `"`) {
		return ""
	}
	if strings.ContainsAny(dir, ", \t") {
		return `"` + dir + `"`
	}
	return dir
}

// launch starts postgres in the background with its output appended to the
// server log. The server gets its own session so that terminal signals to
// this process do not reach it, and it keeps running when this process exits.
func (c *Cluster) launch(port int) error {
	logf, err := c.openLog()
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy
	sock := socketDirSetting(c.sockDir())
	cmd := exec.Command(filepath.Join(c.binDir, "postgres"),
		"-D", c.dataDir(),
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+sock)
	cmd.Dir = c.pgDir()
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: c.user.credential()}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // reap; the exit status is in the server log
		close(exited)
	}()
	c.child, c.exited = cmd, exited
	if sock == "" {
		c.setAddr(port, "")
	} else {
		c.setAddr(port, c.sockDir())
	}
	return nil
}

// waitReady polls until the server accepts connections, the process pid
// exits (errServerExited), or ctx is done. exited, if not nil, is closed when
// pid (our child) has exited.
func (c *Cluster) waitReady(ctx context.Context, pid int, exited <-chan struct{}) error {
	url := c.URL("postgres")
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgconn.Connect(cctx, url)
		cancel()
		if err == nil {
			return conn.Close(ctx)
		}
		if exited != nil {
			select {
			case <-exited:
				return errServerExited
			default:
			}
		} else if !isPostmasterOf(pid, c.dataDir()) {
			return errServerExited
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not accepting connections: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// stopChild shuts down a server this process started, at most waiting a few
// seconds, after Start failed.
func (c *Cluster) stopChild() {
	if c.child == nil {
		return
	}
	_ = c.child.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
		_ = c.child.Process.Kill()
		<-c.exited
	}
}

// Stop shuts the server down (PostgreSQL's "fast" mode: clients are
// disconnected, a checkpoint is written) and returns once it has exited. It
// stops the server running in DataDir even if another process started it,
// and returns nil if none runs. If ctx is done first, Stop escalates to an
// immediate shutdown (crash recovery at the next Start) and returns the
// context's error.
func (c *Cluster) Stop(ctx context.Context) error {
	c.life.Lock()
	defer c.life.Unlock()
	if err := c.stop(ctx); err != nil {
		return fmt.Errorf("pgcluster: stop cluster in %s: %w", c.opts.DataDir, err)
	}
	return nil
}

// stop does the work of Stop.
func (c *Cluster) stop(ctx context.Context) error {
	if c.root == "" {
		root, err := filepath.EvalSymlinks(c.opts.DataDir)
		if errors.Is(err, os.ErrNotExist) {
			return nil // never started
		}
		if err != nil {
			return err
		}
		c.root = root
	}
	if _, err := os.Stat(c.pgDir()); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	unlock, err := c.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	pf, found, err := readPIDFile(c.pidPath())
	if err != nil || !found || !c.isRunning(pf.pid) {
		return err
	}
	c.logger.InfoContext(ctx, "stopping PostgreSQL", "pid", pf.pid)
	if err := syscall.Kill(pf.pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal postgres (pid %d): %w", pf.pid, err)
	}
	if err := c.waitExit(ctx, pf.pid); err != nil {
		c.logger.WarnContext(ctx, "fast shutdown did not finish in time; shutting down immediately", "pid", pf.pid)
		_ = syscall.Kill(pf.pid, syscall.SIGQUIT)
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = c.waitExit(wctx, pf.pid)
		return err
	}
	c.logger.InfoContext(ctx, "PostgreSQL stopped")
	return nil
}

// waitExit waits until pid is no longer a running postmaster of this cluster.
func (c *Cluster) waitExit(ctx context.Context, pid int) error {
	for c.isRunning(pid) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// CreateDatabase creates database name unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("pgcluster: create database: empty name")
	}
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgcluster: create database %q: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("pgcluster: create database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created concurrently
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgcluster: create database %q: %w", name, err)
	}
	return nil
}

// setAddr records where the server listens.
func (c *Cluster) setAddr(port int, socketDir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.port, c.socketDir = port, socketDir
}

// command returns a command running the PostgreSQL program name as the
// cluster's OS user in DataDir/pg.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, name), args...)
	cmd.Dir = c.pgDir()
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.user.credential()}
	return cmd
}

// childEnv is this process's environment without libpq (PG*) and locale
// variables, in the C locale so that server messages are in English.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "LC_") || k == "LANG" || k == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// writeFile atomically writes data to path, owned by the cluster's OS user.
func (c *Cluster) writeFile(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	if err := c.user.chown(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// maxLogSize is the size beyond which Start moves the server log to
// postgresql.log.1 before launching postgres.
const maxLogSize = 10 << 20

// openLog opens the server log for appending, rotating it when too big.
func (c *Cluster) openLog() (*os.File, error) {
	path := c.logPath()
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxLogSize {
		if err := os.Rename(path, path+".1"); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if err := c.user.chown(path); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// logSize returns the current size of the server log (0 if absent).
func (c *Cluster) logSize() int64 {
	fi, err := os.Stat(c.logPath())
	if err != nil {
		return 0
	}
	return fi.Size()
}

// logTail returns the last lines of the server log written after offset
// (the whole log's tail if offset < 0 or the log was rotated).
func (c *Cluster) logTail(offset int64) string {
	f, err := os.Open(c.logPath())
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	defer f.Close()
	const maxRead = 16 << 10
	size, _ := f.Seek(0, io.SeekEnd)
	if offset < 0 || offset > size {
		offset = 0
	}
	offset = max(offset, size-maxRead)
	b := make([]byte, size-offset)
	if _, err := f.ReadAt(b, offset); err != nil && !errors.Is(err, io.EOF) {
		return "(cannot read server log: " + err.Error() + ")"
	}
	if len(b) == 0 {
		return "(server log is empty)"
	}
	return tail(b, 30)
}
