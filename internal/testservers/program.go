package testservers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvDir names the directory the server programs are installed into;
// default <user cache dir>/qluster/testservers.
const EnvDir = "QLUSTER_TESTSERVERS_DIR"

// installTimeout bounds one `go install` of a server program.
const installTimeout = 20 * time.Minute

// readyTimeout bounds the wait for a started server to answer.
const readyTimeout = 30 * time.Second

// startAttempts is how many free ports a server is tried on.
const startAttempts = 3

// program is a Go server program installed with `go install` on first use.
type program struct {
	name    string // binary name, e.g. "versitygw"
	pkg     string // package path for go install, without the version
	version string // module version, e.g. "v1.8.0"
	envPath string // variable that may name a prebuilt binary instead

	once sync.Once
	path string
	err  error
}

// binary returns the path of p's executable, installing it on first use.
// It fails t when p cannot be installed.
func (p *program) binary(t testing.TB) string {
	t.Helper()
	p.once.Do(func() { p.path, p.err = p.find(t) })
	if p.err != nil {
		t.Fatalf("testservers: %s %s is needed and could not be installed: %v", p.name, p.version, p.err)
	}
	return p.path
}

// find returns $envPath, or the installed binary, installing it if missing.
func (p *program) find(t testing.TB) (string, error) {
	if bin := os.Getenv(p.envPath); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("$%s: %w", p.envPath, err)
		}
		return bin, nil
	}
	root := os.Getenv(EnvDir)
	if root == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no directory to install into (set $%s): %w", EnvDir, err)
		}
		root = filepath.Join(cache, "qluster", "testservers")
	}
	dir := filepath.Join(root, p.name+"@"+p.version)
	bin := filepath.Join(dir, p.name)
	if isExecutable(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Test packages run at once may all get here: one installs, the others
	// wait for it and find the binary.
	unlock, err := lockFile(filepath.Join(dir, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if isExecutable(bin) {
		return bin, nil
	}
	t.Logf("testservers: installing %s %s into %s (first use only; it downloads and compiles the program, which takes a few minutes)",
		p.name, p.version, dir)
	start := time.Now()
	if err := p.install(dir); err != nil {
		return "", err
	}
	t.Logf("testservers: installed %s %s in %s", p.name, p.version, time.Since(start).Round(time.Second))
	return bin, nil
}

// install builds p into a temporary GOBIN inside dir and renames the binary
// into place, so that a half-written binary is never found.
func (p *program) install(dir string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command is not on $PATH: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "install", p.pkg+"@"+p.version)
	cmd.Dir = tmp // outside any module, so no go.mod or go.work applies
	// No flags of the caller's (-mod=vendor, -race, ...) apply to a tool.
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOWORK=off", "GOFLAGS=", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("timed out after %s", installTimeout)
		}
		return fmt.Errorf("go install %s@%s: %w\n%s", p.pkg, p.version, err, tail(out, 30))
	}
	return os.Rename(filepath.Join(tmp, p.name), filepath.Join(dir, p.name))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// startServer runs bin with args(port) on a free port of 127.0.0.1 until
// ready(addr) reports true, and stops it when t ends. The server's output
// goes to a log file whose end is shown when it fails to start. A server
// that exits early (another process took the port first) is tried again
// on another port.
func startServer(t testing.TB, bin string, args func(port int) []string, ready func(addr string) bool) (addr string) {
	t.Helper()
	logDir := t.TempDir()
	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("testservers: %v", err)
		}
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		logPath := filepath.Join(logDir, fmt.Sprintf("%s.%d.log", filepath.Base(bin), attempt))
		lastErr = runUntilReady(t, bin, args(port), logPath, addr, ready)
		if lastErr == nil {
			return addr
		}
	}
	t.Fatalf("testservers: %v", lastErr)
	return ""
}

// errExited is a server that exited before answering.
var errExited = errors.New("exited before answering")

// runUntilReady starts one server process and waits until it answers. On
// success the process is stopped by t.Cleanup; on failure it is stopped at
// once and the error carries the end of its log.
func runUntilReady(t testing.TB, bin string, args []string, logPath, addr string, ready func(addr string) bool) error {
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	describe := func(why error) error {
		out, _ := os.ReadFile(logPath)
		return fmt.Errorf("%s %s: %w; its output:\n%s", bin, strings.Join(args, " "), why, tail(out, 30))
	}
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case err := <-exited:
			return describe(fmt.Errorf("%w (%v)", errExited, err))
		default:
		}
		if ready(addr) {
			t.Cleanup(stop)
			return nil
		}
		if time.Now().After(deadline) {
			stop()
			return describe(fmt.Errorf("not answering on %s after %s", addr, readyTimeout))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ClosedAddr returns an address (host:port) of 127.0.0.1 where nothing
// listens: a port that was free a moment ago. Clients dialling it get
// "connection refused", as from a server that is down.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// freePort returns a port the kernel considers free on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last n lines of b, trimmed.
func tail(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// lockFile takes an exclusive lock on path (creating it), held until the
// returned function is called.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := flock(f); err != nil {
		_ = f.Close()
		return nil, &fs.PathError{Op: "lock", Path: path, Err: err}
	}
	return func() { _ = f.Close() }, nil // closing releases the lock
}
