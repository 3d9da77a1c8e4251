package testservers

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// SFTPUser is the user name the SFTP server accepts.
const SFTPUser = "qluster"

// SFTP starts an SFTP server on loopback serving a fresh temporary
// directory, and returns its address (host:port), the user name and
// password it accepts, a private key it also accepts for the user, and the
// directory it serves as "/". The server stops when t ends. Clients that
// need the server's host key, or tests that need to cut connections or
// stall requests, use StartSFTP.
func SFTP(t testing.TB) (addr, user, password string, key ssh.Signer, root string) {
	t.Helper()
	s := StartSFTP(t, nil)
	return s.Addr, s.User, s.Password, s.Key, s.Root
}

// SFTPOptions configures StartSFTP. The zero value (or nil) is a plain
// server.
type SFTPOptions struct {
	// HookFunc, when set, is called before the server handles each request,
	// with a context cancelled once the client's connection has closed (or
	// the server stops), the operation and the path as the client sees it.
	// Operations are those of pkg/sftp's request server ("Get", "Put",
	// "List", "Stat", "Lstat", "Remove", "Rename", "Mkdir", "Rmdir",
	// "Setstat") plus "Read", called before each read of an open file. Returning an error fails the
	// request with it (os.ErrPermission answers "permission denied",
	// os.ErrNotExist "no such file"); blocking stalls it. Default nil.
	HookFunc func(ctx context.Context, op, path string) error
}

// SFTPServer is a running SFTP server; see StartSFTP.
type SFTPServer struct {
	// Addr is the host:port the server listens on (127.0.0.1).
	Addr string
	// User and Password are the credentials the server accepts.
	User, Password string
	// Key is a private key the server accepts for User.
	Key ssh.Signer
	// HostKey is the server's host key.
	HostKey ssh.PublicKey
	// Root is the directory served as "/".
	Root string

	hook func(ctx context.Context, op, path string) error
	ln   net.Listener
	fs   *os.Root
	wg   sync.WaitGroup

	mu         sync.Mutex
	conns      map[net.Conn]struct{}
	authorized [][]byte // marshalled public keys accepted for User
	closed     bool
}

// StartSFTP starts an SFTP server on 127.0.0.1:0 with password and
// public-key authentication for the user SFTPUser, serving a fresh
// temporary directory (Root) as "/". Everything stops when t ends: the
// listener, every accepted connection and their goroutines.
func StartSFTP(t testing.TB, opts *SFTPOptions) *SFTPServer {
	t.Helper()
	if opts == nil {
		opts = &SFTPOptions{}
	}
	s := &SFTPServer{
		User:     SFTPUser,
		Password: randomHex(t, 12),
		Root:     t.TempDir(),
		hook:     opts.HookFunc,
		conns:    map[net.Conn]struct{}{},
	}
	hostSigner := newEd25519Signer(t)
	s.HostKey = hostSigner.PublicKey()
	s.Key = newEd25519Signer(t)
	s.Authorize(s.Key.PublicKey())

	var err error
	if s.fs, err = os.OpenRoot(s.Root); err != nil {
		t.Fatalf("testservers.StartSFTP: %v", err)
	}
	cfg := &ssh.ServerConfig{
		PasswordCallback:  s.checkPassword,
		PublicKeyCallback: s.checkPublicKey,
	}
	cfg.AddHostKey(hostSigner)
	if s.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatalf("testservers.StartSFTP: %v", err)
	}
	s.Addr = s.ln.Addr().String()
	s.wg.Add(1)
	go s.accept(cfg)
	t.Cleanup(s.stop)
	return s
}

// Authorize makes the server accept key for User, besides Key.
func (s *SFTPServer) Authorize(key ssh.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorized = append(s.authorized, key.Marshal())
}

// HostKeyLine returns the host key in authorized_keys format
// ("ssh-ed25519 AAAA..."), as ssh-keyscan prints it after the host name.
func (s *SFTPServer) HostKeyLine() string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKey)))
}

// CutConnections closes every connection accepted so far, abruptly, as a
// network failure or a crashed server would; the server goes on accepting
// new ones.
func (s *SFTPServer) CutConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.Close()
	}
}

// stop closes the listener and every connection, and waits for the
// server's goroutines.
func (s *SFTPServer) stop() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	_ = s.ln.Close()
	s.CutConnections()
	s.wg.Wait()
	_ = s.fs.Close()
}

func (s *SFTPServer) checkPassword(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	if meta.User() == s.User && string(password) == s.Password {
		return nil, nil
	}
	return nil, errors.New("wrong user or password")
}

func (s *SFTPServer) checkPublicKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	if meta.User() == s.User {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, k := range s.authorized {
			if bytes.Equal(k, key.Marshal()) {
				return nil, nil
			}
		}
	}
	return nil, errors.New("key not authorized")
}

func (s *SFTPServer) accept(cfg *ssh.ServerConfig) {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c, cfg)
	}
}

// serveConn runs the SSH handshake on c, then serves its session channels.
func (s *SFTPServer) serveConn(c net.Conn, cfg *ssh.ServerConfig) {
	defer s.wg.Done()
	defer func() {
		_ = c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	sconn, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return // failed authentication or handshake: the client sees why
	}
	defer func() { _ = sconn.Close() }()
	// ctx ends with the connection, releasing hooks that stall requests;
	// the request server's own contexts end only once its requests have.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sessions sync.WaitGroup
	sessions.Go(func() { ssh.DiscardRequests(reqs) })
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels are served")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		sessions.Go(func() { s.serveSession(ctx, ch, creqs) })
	}
	_ = sconn.Close()
	cancel()
	sessions.Wait()
}

// serveSession answers a session's requests: the "sftp" subsystem is
// served on the channel; everything else (shell, exec, pty) is refused.
func (s *SFTPServer) serveSession(ctx context.Context, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer func() { _ = ch.Close() }()
	var served sync.WaitGroup
	defer served.Wait()
	for req := range reqs {
		var sub struct{ Name string }
		ok := req.Type == "subsystem" && ssh.Unmarshal(req.Payload, &sub) == nil && sub.Name == "sftp"
		if req.WantReply {
			_ = req.Reply(ok, nil)
		}
		if !ok {
			continue
		}
		served.Go(func() {
			h := &rootedHandler{ctx: ctx, fs: s.fs, hook: s.hook}
			rs := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
			_ = rs.Serve()
			_ = rs.Close()
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
			_ = ch.Close()
		})
	}
}

// rootedHandler serves the files under an os.Root through pkg/sftp's
// request server: the client's "/" is the root, and no path (not even
// through a symbolic link) leads out of it.
type rootedHandler struct {
	ctx  context.Context // ends with the connection
	fs   *os.Root
	hook func(ctx context.Context, op, path string) error
}

var (
	_ sftp.FileReader      = (*rootedHandler)(nil)
	_ sftp.FileWriter      = (*rootedHandler)(nil)
	_ sftp.FileCmder       = (*rootedHandler)(nil)
	_ sftp.FileLister      = (*rootedHandler)(nil)
	_ sftp.LstatFileLister = (*rootedHandler)(nil)
)

// rel turns the request server's clean absolute path into one relative to
// the root.
func rel(p string) string {
	if p = strings.TrimLeft(p, "/"); p == "" {
		return "."
	}
	return p
}

func (h *rootedHandler) before(r *sftp.Request, op string) error {
	if h.hook == nil {
		return nil
	}
	err := h.hook(h.ctx, op, r.Filepath)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrPermission):
		return sftp.ErrSSHFxPermissionDenied
	case errors.Is(err, os.ErrNotExist):
		return sftp.ErrSSHFxNoSuchFile
	}
	return err
}

func (h *rootedHandler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	if err := h.before(r, r.Method); err != nil {
		return nil, err
	}
	f, err := h.fs.Open(rel(r.Filepath))
	if err != nil {
		return nil, err
	}
	return &hookedFile{File: f, r: r, h: h}, nil
}

func (h *rootedHandler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	if err := h.before(r, r.Method); err != nil {
		return nil, err
	}
	pf := r.Pflags()
	flags := os.O_WRONLY
	if pf.Read {
		flags = os.O_RDWR
	}
	if pf.Creat {
		flags |= os.O_CREATE
	}
	if pf.Trunc {
		flags |= os.O_TRUNC
	}
	if pf.Excl {
		flags |= os.O_EXCL
	}
	return h.fs.OpenFile(rel(r.Filepath), flags, 0o644)
}

func (h *rootedHandler) Filecmd(r *sftp.Request) error {
	if err := h.before(r, r.Method); err != nil {
		return err
	}
	p := rel(r.Filepath)
	switch r.Method {
	case "Setstat":
		return h.setstat(p, r)
	case "Rename":
		return h.fs.Rename(p, rel(r.Target))
	case "Mkdir":
		return h.fs.Mkdir(p, 0o755)
	case "Rmdir", "Remove":
		fi, err := h.fs.Lstat(p)
		if err != nil {
			return err
		}
		if fi.IsDir() != (r.Method == "Rmdir") {
			return fmt.Errorf("%s %s: wrong kind of file", r.Method, r.Filepath)
		}
		return h.fs.Remove(p)
	}
	return sftp.ErrSSHFxOpUnsupported
}

func (h *rootedHandler) setstat(p string, r *sftp.Request) error {
	attrs, flags := r.Attributes(), r.AttrFlags()
	if flags.Size {
		f, err := h.fs.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = f.Truncate(int64(attrs.Size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if flags.Permissions {
		if err := h.fs.Chmod(p, attrs.FileMode().Perm()); err != nil {
			return err
		}
	}
	if flags.Acmodtime {
		if err := h.fs.Chtimes(p, attrs.AccessTime(), attrs.ModTime()); err != nil {
			return err
		}
	}
	return nil
}

func (h *rootedHandler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	if err := h.before(r, r.Method); err != nil {
		return nil, err
	}
	p := rel(r.Filepath)
	switch r.Method {
	case "List":
		d, err := h.fs.Open(p)
		if err != nil {
			return nil, err
		}
		defer func() { _ = d.Close() }()
		fis, err := d.Readdir(-1)
		if err != nil {
			return nil, err
		}
		return listerAt(fis), nil
	case "Stat":
		fi, err := h.fs.Stat(p)
		if err != nil {
			return nil, err
		}
		return listerAt{fi}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

func (h *rootedHandler) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	if err := h.before(r, "Lstat"); err != nil {
		return nil, err
	}
	fi, err := h.fs.Lstat(rel(r.Filepath))
	if err != nil {
		return nil, err
	}
	return listerAt{fi}, nil
}

// hookedFile calls the hook before each read.
type hookedFile struct {
	*os.File
	r *sftp.Request
	h *rootedHandler
}

func (f *hookedFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.h.before(f.r, "Read"); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

type listerAt []os.FileInfo

func (l listerAt) ListAt(ls []os.FileInfo, offset int64) (int, error) {
	if offset >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(ls, l[offset:])
	if n < len(ls) {
		return n, io.EOF
	}
	return n, nil
}

func newEd25519Signer(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("testservers: generating a key: %v", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	return signer
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testservers: %v", err)
	}
	return hex.EncodeToString(b)
}
