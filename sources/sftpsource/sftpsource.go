package sftpsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/openqluster/qluster-go/qluster"
)

// Source lists, streams and deletes the files of one folder on an SFTP
// server. It is safe for concurrent use. See the package documentation.
type Source struct {
	addr    string
	user    string
	folder  string
	timeout time.Duration
	cfg     *ssh.ClientConfig

	mu     sync.Mutex
	conn   *conn // nil until dialled, or after Close
	closed bool
	seen   map[string]stamp // what List and Open saw of each key, for Delete
}

var (
	_ qluster.Source        = (*Source)(nil)
	_ qluster.SourceDeleter = (*Source)(nil)
)

// stamp is what the Source saw of a file: Delete refuses to remove a file
// that no longer matches it.
type stamp struct {
	size    int64
	modTime time.Time
}

// New connects to the SSH server at host (a name or address, optionally
// with ":port"), logs user in, and opens an SFTP session, all within ctx
// and opts.Timeout. opts is required: it carries the credentials and the
// host key policy (see Options). Errors match qluster.ErrAccessDenied
// (credentials refused or unusable), qluster.ErrConnection (the server
// cannot be reached, or its host key is not the expected one) or
// context.Canceled; invalid options are plain errors naming the field.
// New does not look at the folder: List reports a missing one.
func New(ctx context.Context, host, user string, opts *Options) (*Source, error) {
	if host == "" {
		return nil, errors.New("sftpsource.New: host is required")
	}
	if user == "" {
		return nil, errors.New("sftpsource.New: user is required")
	}
	if opts == nil {
		return nil, errors.New("sftpsource.New: Options are required (credentials and host key)")
	}
	o := *opts
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	addr, err := o.address(host)
	if err != nil {
		return nil, err
	}
	cfg, err := o.clientConfig(addr, user)
	if err != nil {
		return nil, err
	}
	s := &Source{
		addr:    addr,
		user:    user,
		folder:  o.Folder,
		timeout: o.Timeout,
		cfg:     cfg,
		seen:    map[string]stamp{},
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if _, _, err := s.client(ctx); err != nil {
		return nil, fmt.Errorf("sftpsource.New: %w", err)
	}
	return s, nil
}

// NewFromDataSource is New with the host, port, user, credentials and
// folder of ds (its sftp_* fields, secrets in clear) and its
// connection_timeout (seconds) as the timeout. The host key policy, which
// a data source does not carry, and whatever ds leaves empty come from
// opts; as for New, a host key policy is required.
func NewFromDataSource(ctx context.Context, ds *qluster.DataSource, opts *Options) (*Source, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if ds.SFTPPort > 0 {
		o.Port = int(ds.SFTPPort)
	}
	if ds.SFTPFolder != "" {
		o.Folder = ds.SFTPFolder
	}
	if ds.SFTPPassword != "" {
		o.Password = ds.SFTPPassword
	}
	if ds.SFTPSSHKey != "" {
		o.PrivateKey = ds.SFTPSSHKey
		o.PrivateKeyPassphrase = ds.SFTPSSHKeyPassphrase
	}
	if ds.ConnectionTimeout > 0 {
		o.Timeout = time.Duration(ds.ConnectionTimeout) * time.Second
	}
	return New(ctx, ds.SFTPHost, ds.SFTPUser, &o)
}

// conn is one SSH connection and its SFTP session.
type conn struct {
	ssh    *ssh.Client
	sftp   *sftp.Client
	done   chan struct{} // closed once the SSH connection has ended
	closed atomic.Bool
	once   sync.Once
}

// close ends the connection; every request in flight on it fails.
func (c *conn) close() {
	c.once.Do(func() {
		c.closed.Store(true)
		_ = c.ssh.Close() // first: it unblocks whatever waits on the server
		_ = c.sftp.Close()
	})
}

func (c *conn) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return !c.closed.Load()
	}
}

// client returns the live connection, dialling a new one within ctx if
// there is none or it broke; fresh says it was just dialled.
func (s *Source) client(ctx context.Context) (c *conn, fresh bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false, errClosed
	}
	if s.conn != nil && s.conn.alive() {
		return s.conn, false, nil
	}
	if s.conn != nil {
		s.conn.close()
		s.conn = nil
	}
	if c, err = s.dial(ctx); err != nil {
		return nil, false, err
	}
	s.conn = c
	return c, true, nil
}

// dial connects, logs in and starts the SFTP session within ctx.
func (s *Source) dial(ctx context.Context) (*conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		if ctxErr := s.contextError(ctx); ctxErr != nil {
			return nil, fmt.Errorf("dialling %s: %w", s.addr, ctxErr)
		}
		return nil, fmt.Errorf("dialling %s: %w: %w", s.addr, qluster.ErrConnection, err)
	}
	// The handshake and the session start are bounded by ctx too: when it
	// ends first, closing the socket fails whatever step is waiting.
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(nc, s.addr, s.cfg)
	if err != nil {
		stop()
		_ = nc.Close()
		return nil, s.handshakeError(ctx, err)
	}
	sshClient := ssh.NewClient(sc, chans, reqs)
	// Fstat, not stat by path, sizes an open file: the path may have been
	// replaced since.
	sftpClient, err := sftp.NewClient(sshClient, sftp.UseFstat(true))
	if !stop() || err != nil {
		_ = sshClient.Close()
		if ctxErr := s.contextError(ctx); ctxErr != nil {
			return nil, fmt.Errorf("starting SFTP on %s: %w", s.addr, ctxErr)
		}
		return nil, fmt.Errorf("starting SFTP on %s (is the sftp subsystem enabled?): %w: %w", s.addr, qluster.ErrConnection, err)
	}
	c := &conn{ssh: sshClient, sftp: sftpClient, done: make(chan struct{})}
	go func() {
		_ = sshClient.Wait()
		close(c.done)
	}()
	return c, nil
}

// handshakeError translates an SSH handshake failure.
func (s *Source) handshakeError(ctx context.Context, err error) error {
	var hk *HostKeyError
	switch {
	case errors.As(err, &hk):
		return hk
	case s.contextError(ctx) != nil:
		return fmt.Errorf("SSH handshake with %s: %w", s.addr, s.contextError(ctx))
	case isAuthFailure(err):
		return fmt.Errorf("logging in to %s as %q: %w: %w", s.addr, s.user, qluster.ErrAccessDenied, err)
	}
	return fmt.Errorf("SSH handshake with %s: %w: %w", s.addr, qluster.ErrConnection, err)
}

// isAuthFailure tells whether err is x/crypto/ssh's refusal of every
// credential offered, or a server disconnecting after too many attempts.
// x/crypto/ssh has no typed error for these; its messages are stable.
func isAuthFailure(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "ssh: unable to authenticate") ||
		strings.Contains(msg, "Too many authentication failures")
}

// contextError returns ctx's error as the Source reports it, nil while ctx
// is live: a cancelled context as context.Canceled, a deadline (the
// Source's timeout or the caller's) as ErrConnection and
// context.DeadlineExceeded.
func (s *Source) contextError(ctx context.Context) error {
	switch err := ctx.Err(); {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: no answer within %s: %w", qluster.ErrConnection, s.timeout, err)
	default:
		return err
	}
}

// call runs fn on the live connection within ctx and the Source's timeout.
// When the time runs out (or ctx is cancelled) first, the connection is
// closed, which fails fn's requests at once, and the context's error is
// returned. A transport error from fn drops the connection too and is
// returned matching ErrConnection, after one more try on a new connection
// when the failed one had been idle (servers drop idle connections; fn
// only reads, or deletes, which is safe to repeat). The server's answers
// (status errors) come back as fn returned them.
func (s *Source) call(ctx context.Context, fn func(c *conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	for retried := false; ; retried = true {
		if err := s.contextError(ctx); err != nil {
			return err
		}
		c, fresh, err := s.client(ctx)
		if err != nil {
			return err
		}
		stop := context.AfterFunc(ctx, c.close)
		err = fn(c)
		if !stop() {
			return s.contextError(ctx)
		}
		if err == nil || !isTransportError(err) {
			return err
		}
		c.close()
		if fresh || retried {
			return fmt.Errorf("%w: %w", qluster.ErrConnection, err)
		}
	}
}

// isTransportError tells a failure to talk to the server (which calls for
// a new connection) from an answer of the server.
func isTransportError(err error) bool {
	var status *sftp.StatusError
	switch {
	case errors.As(err, &status),
		errors.Is(err, os.ErrNotExist),
		errors.Is(err, os.ErrPermission),
		errors.Is(err, errNotAFile):
		return false
	}
	return true
}

// errNotAFile is Open's and Delete's error for a key naming a folder or a
// special file.
var errNotAFile = errors.New("not a regular file")

// statusError translates an answer of the server about p: missing
// (notFound), permission denied (ErrAccessDenied), or anything else as is.
func statusError(op, p string, err, notFound error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("sftpsource.%s %q: %w", op, p, notFound)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("sftpsource.%s %q: %w: %w", op, p, qluster.ErrAccessDenied, err)
	}
	return fmt.Errorf("sftpsource.%s %q: %w", op, p, err)
}

// folderPath is the folder as given to the server: "." for the login
// directory.
func (s *Source) folderPath() string {
	if s.folder == "" {
		return "."
	}
	return s.folder
}

// filePath returns the path of key in the folder, refusing keys that lead
// out of it.
func (s *Source) filePath(op, key string) (string, error) {
	clean := path.Clean(key)
	if key == "" || path.IsAbs(key) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("sftpsource.%s %q: %w: a key names a file inside the folder", op, key, qluster.ErrNotFound)
	}
	if s.folder == "" {
		return clean, nil
	}
	return path.Join(s.folder, clean), nil
}

// List returns the regular files of the folder, and symbolic links to
// regular files, without descending into subfolders. A missing folder, or
// a path that is not a folder, is an error matching qluster.ErrPathNotFound.
func (s *Source) List(ctx context.Context) ([]qluster.RemoteFile, error) {
	folder := s.folderPath()
	var files []qluster.RemoteFile
	err := s.call(ctx, func(c *conn) error {
		fis, err := c.sftp.ReadDir(folder)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) || isTransportError(err) {
				return err
			}
			// Servers answer a plain "failure" when the path is a file.
			if fi, serr := c.sftp.Stat(folder); serr == nil && !fi.IsDir() {
				return fmt.Errorf("%w: it is not a folder", os.ErrNotExist)
			}
			return err
		}
		files = make([]qluster.RemoteFile, 0, len(fis))
		for _, fi := range fis {
			if fi.Mode()&os.ModeSymlink != 0 {
				target, err := c.sftp.Stat(path.Join(folder, fi.Name()))
				if err != nil {
					if isTransportError(err) {
						return err
					}
					continue // a dangling link, or one the user may not follow
				}
				fi = target
			}
			if !fi.Mode().IsRegular() {
				continue
			}
			files = append(files, qluster.RemoteFile{Key: path.Base(fi.Name()), Size: fi.Size(), ModTime: fi.ModTime()})
		}
		return nil
	})
	if err != nil {
		if isContextOrConnection(err) {
			return nil, fmt.Errorf("sftpsource.List %q: %w", folder, err)
		}
		return nil, statusError("List", folder, err, qluster.ErrPathNotFound)
	}
	seen := make(map[string]stamp, len(files))
	for _, f := range files {
		seen[f.Key] = stamp{size: f.Size, modTime: f.ModTime}
	}
	s.mu.Lock()
	s.seen = seen // files gone since the last List are forgotten
	s.mu.Unlock()
	return files, nil
}

// errClosed is the error of calls on a closed Source.
var errClosed = errors.New("the Source is closed")

// isContextOrConnection tells errors that call already translated.
func isContextOrConnection(err error) bool {
	return errors.Is(err, qluster.ErrConnection) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errClosed)
}

// Open returns a reader of the file at key. A key naming no regular file
// is an error matching qluster.ErrNotFound. ctx governs the reader too:
// once it is cancelled, Read fails with an error matching context.Canceled.
// The caller closes the reader.
func (s *Source) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.filePath("Open", key)
	if err != nil {
		return nil, err
	}
	var (
		c  *conn
		f  *sftp.File
		fi os.FileInfo
	)
	err = s.call(ctx, func(cc *conn) error {
		c = cc
		var err error
		if f, err = cc.sftp.Open(p); err != nil {
			return err
		}
		if fi, err = f.Stat(); err == nil && !fi.Mode().IsRegular() {
			err = errNotAFile
		}
		if err != nil {
			_ = f.Close()
		}
		return err
	})
	if err != nil {
		if isContextOrConnection(err) {
			return nil, fmt.Errorf("sftpsource.Open %q: %w", p, err)
		}
		if errors.Is(err, errNotAFile) {
			return nil, fmt.Errorf("sftpsource.Open %q: %w: %w", p, &qluster.NotFoundError{Kind: "file", Key: key}, err)
		}
		return nil, statusError("Open", p, err, &qluster.NotFoundError{Kind: "file", Key: key})
	}
	s.mu.Lock()
	s.seen[key] = stamp{size: fi.Size(), modTime: fi.ModTime()}
	s.mu.Unlock()
	return newReader(ctx, s, c, f, p, fi.Size()), nil
}

// Delete removes the file at key; a missing key is not an error. If the
// file changed since this Source listed or opened it, Delete leaves it and
// returns an error matching qluster.ErrConflict.
func (s *Source) Delete(ctx context.Context, key string) error {
	p, err := s.filePath("Delete", key)
	if err != nil {
		return err
	}
	s.mu.Lock()
	want, known := s.seen[key]
	s.mu.Unlock()
	var changed *qluster.ConflictError
	err = s.call(ctx, func(c *conn) error {
		fi, err := c.sftp.Lstat(p)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return errNotAFile
		}
		if known && fi.Mode().IsRegular() && (fi.Size() != want.size || !fi.ModTime().Equal(want.modTime)) {
			changed = &qluster.ConflictError{Msg: fmt.Sprintf(
				"sftpsource.Delete %q: the file changed since it was read (size %d, modified %s; now size %d, modified %s); it was not deleted",
				p, want.size, want.modTime.UTC().Format(time.RFC3339), fi.Size(), fi.ModTime().UTC().Format(time.RFC3339))}
			return nil
		}
		return c.sftp.Remove(p)
	})
	switch {
	case changed != nil:
		return changed
	case err == nil, errors.Is(err, os.ErrNotExist):
		s.mu.Lock()
		delete(s.seen, key)
		s.mu.Unlock()
		return nil
	case isContextOrConnection(err):
		return fmt.Errorf("sftpsource.Delete %q: %w", p, err)
	case errors.Is(err, errNotAFile):
		return fmt.Errorf("sftpsource.Delete %q: %w", p, err)
	}
	return statusError("Delete", p, err, qluster.ErrNotFound)
}

// Close closes the connection. Readers still open fail; calls after Close
// return an error.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.conn != nil {
		s.conn.close()
		s.conn = nil
	}
	return nil
}
