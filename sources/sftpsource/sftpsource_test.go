package sftpsource_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/openqluster/qluster-go/internal/testservers"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
	"github.com/openqluster/qluster-go/sources/sftpsource"
)

// folder is the folder the tests' sources read, under the server's root.
const folder = "/in"

// bundle is what a test needs: a server, the local path of the folder the
// source reads, and a source over it.
type bundle struct {
	srv *testservers.SFTPServer
	dir string
	src *sftpsource.Source
}

// setup starts a server with a folder and opens a Source over it with the
// password and the server's host key; opts adds to those options.
func setup(t *testing.T, serverOpts *testservers.SFTPOptions, opts *sftpsource.Options) *bundle {
	t.Helper()
	srv := testservers.StartSFTP(t, serverOpts)
	dir := filepath.Join(srv.Root, "in")
	require.NoError(t, os.Mkdir(dir, 0o755))
	o := baseOptions(srv)
	if opts != nil {
		o.Timeout = opts.Timeout
	}
	src, err := sftpsource.New(t.Context(), hostOf(t, srv), srv.User, o)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	return &bundle{srv: srv, dir: dir, src: src}
}

// baseOptions logs in to srv with its password, checking its host key.
func baseOptions(srv *testservers.SFTPServer) *sftpsource.Options {
	return &sftpsource.Options{
		Port:     portOf(srv.Addr),
		Folder:   folder,
		Password: srv.Password,
		HostKey:  srv.HostKeyLine(),
	}
}

func hostOf(t *testing.T, srv *testservers.SFTPServer) string {
	t.Helper()
	host, _, err := net.SplitHostPort(srv.Addr)
	require.NoError(t, err)
	return host
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	var n int
	_, _ = fmt.Sscan(p, &n)
	return n
}

func (b *bundle) put(t *testing.T, key, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(b.dir, key), []byte(content), 0o644))
}

func read(t *testing.T, s qluster.Source, key string) string {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(data)
}

func keys(t *testing.T, s qluster.Source) []string {
	t.Helper()
	files, err := s.List(t.Context())
	require.NoError(t, err)
	var ks []string
	for _, f := range files {
		ks = append(ks, f.Key)
	}
	return ks
}

func TestSourceConformance(t *testing.T) {
	t.Parallel()
	qlustertest.RunSourceTests(t, func(t *testing.T) (qluster.Source, func(key, content string)) {
		b := setup(t, nil, nil)
		return b.src, func(key, content string) { b.put(t, key, content) }
	})
}

func TestAuth(t *testing.T) {
	t.Parallel()
	srv := testservers.StartSFTP(t, nil)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "a.csv"), []byte("x"), 0o644))

	// An OpenSSH ed25519 key, encrypted, and an unencrypted PKCS#1 RSA key.
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	edSigner, err := ssh.NewSignerFromKey(edKey)
	require.NoError(t, err)
	srv.Authorize(edSigner.PublicKey())
	edPEM, err := ssh.MarshalPrivateKeyWithPassphrase(edKey, "test key", []byte("open sesame"))
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaSigner, err := ssh.NewSignerFromKey(rsaKey)
	require.NoError(t, err)
	srv.Authorize(rsaSigner.PublicKey())
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})

	tests := []struct {
		name    string
		opts    func(o *sftpsource.Options)
		wantErr error
	}{
		{"Password", func(o *sftpsource.Options) {}, nil},
		{"Signer", func(o *sftpsource.Options) { o.Password, o.Signer = "", srv.Key }, nil},
		{"EncryptedKey", func(o *sftpsource.Options) {
			o.Password, o.PrivateKey, o.PrivateKeyPassphrase = "", string(pem.EncodeToMemory(edPEM)), "open sesame"
		}, nil},
		{"RSAKey", func(o *sftpsource.Options) { o.Password, o.PrivateKey = "", string(rsaPEM) }, nil},
		{"KeyThenPassword", func(o *sftpsource.Options) { o.Signer = newSigner(t) }, nil}, // unknown key, good password
		{"WrongPassword", func(o *sftpsource.Options) { o.Password = "wrong" }, qluster.ErrAccessDenied},
		{"UnknownKey", func(o *sftpsource.Options) { o.Password, o.Signer = "", newSigner(t) }, qluster.ErrAccessDenied},
		{"WrongUser", nil, qluster.ErrAccessDenied},
		{"EncryptedKeyWithoutPassphrase", func(o *sftpsource.Options) {
			o.Password, o.PrivateKey = "", string(pem.EncodeToMemory(edPEM))
		}, qluster.ErrAccessDenied},
		{"WrongPassphrase", func(o *sftpsource.Options) {
			o.Password, o.PrivateKey, o.PrivateKeyPassphrase = "", string(pem.EncodeToMemory(edPEM)), "wrong"
		}, qluster.ErrAccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := baseOptions(srv)
			o.Folder = "/"
			user := srv.User
			if tt.opts != nil {
				tt.opts(o)
			} else {
				user = "mallory"
			}
			src, err := sftpsource.New(t.Context(), hostOf(t, srv), user, o)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.NotErrorIs(t, err, qluster.ErrConnection)
				return
			}
			require.NoError(t, err)
			defer func() { require.NoError(t, src.Close()) }()
			require.Equal(t, []string{"a.csv"}, keys(t, src))
		})
	}
}

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := ssh.NewSignerFromKey(key)
	require.NoError(t, err)
	return s
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ok := func() *sftpsource.Options {
		return &sftpsource.Options{Password: "p", InsecureIgnoreHostKey: true}
	}
	tests := []struct {
		name, host, user string
		opts             *sftpsource.Options
		want             string
	}{
		{"NoHost", "", "u", ok(), "host is required"},
		{"NoUser", "h", "", ok(), "user is required"},
		{"NilOptions", "h", "u", nil, "Options are required"},
		{"NoCredentials", "h", "u", &sftpsource.Options{InsecureIgnoreHostKey: true}, "no credentials"},
		{"NoHostKeyPolicy", "h", "u", &sftpsource.Options{Password: "p"}, "no host key"},
		{"TwoHostKeyPolicies", "h", "u", &sftpsource.Options{Password: "p", InsecureIgnoreHostKey: true, HostKey: "SHA256:abc"}, "only one of"},
		{"BadHostKey", "h", "u", &sftpsource.Options{Password: "p", HostKey: "not a key"}, "Options.HostKey line 1"},
		{"BadPrivateKey", "h", "u", &sftpsource.Options{PrivateKey: "-----BEGIN NONSENSE-----", InsecureIgnoreHostKey: true}, "Options.PrivateKey is not a PEM private key"},
		{"BadPort", "h", "u", &sftpsource.Options{Port: 70000, Password: "p", InsecureIgnoreHostKey: true}, "not a TCP port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := sftpsource.New(ctx, tt.host, tt.user, tt.opts)
			require.ErrorContains(t, err, tt.want)
			require.NotErrorIs(t, err, qluster.ErrConnection, "invalid options are found before dialling")
		})
	}
}

func TestHostKey(t *testing.T) {
	t.Parallel()
	srv := testservers.StartSFTP(t, nil)
	host := hostOf(t, srv)
	fingerprint := ssh.FingerprintSHA256(srv.HostKey)
	knownHosts := "[" + host + "]:" + fmt.Sprint(portOf(srv.Addr)) + " " + srv.HostKeyLine()
	other := newSigner(t).PublicKey()
	otherLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other)))

	accepted := map[string]func(o *sftpsource.Options){
		"AuthorizedKeysLine": func(o *sftpsource.Options) { o.HostKey = srv.HostKeyLine() },
		"KnownHostsLine":     func(o *sftpsource.Options) { o.HostKey = knownHosts },
		"Fingerprint":        func(o *sftpsource.Options) { o.HostKey = fingerprint },
		"OneOfSeveral":       func(o *sftpsource.Options) { o.HostKey = "# keys\n" + otherLine + "\n\n" + srv.HostKeyLine() + "\n" },
		"Callback":           func(o *sftpsource.Options) { o.HostKey, o.HostKeyCallback = "", ssh.FixedHostKey(srv.HostKey) },
		"Insecure":           func(o *sftpsource.Options) { o.HostKey, o.InsecureIgnoreHostKey = "", true },
		"HostWithPort":       func(o *sftpsource.Options) { o.Port = 0 },
	}
	for name, set := range accepted {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := baseOptions(srv)
			set(o)
			h := host
			if name == "HostWithPort" {
				h = srv.Addr
			}
			src, err := sftpsource.New(t.Context(), h, srv.User, o)
			require.NoError(t, err)
			require.NoError(t, src.Close())
		})
	}

	for name, hostKey := range map[string]string{"OtherKey": otherLine, "OtherFingerprint": ssh.FingerprintSHA256(other)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := baseOptions(srv)
			o.HostKey = hostKey
			_, err := sftpsource.New(t.Context(), host, srv.User, o)
			require.ErrorIs(t, err, qluster.ErrConnection)
			var hk *sftpsource.HostKeyError
			require.ErrorAs(t, err, &hk)
			require.Equal(t, srv.HostKey.Marshal(), hk.Key.Marshal())
			require.ErrorContains(t, err, fingerprint, "the error names the key the server presented")
		})
	}
}

func TestListFolder(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nil)
	b.put(t, "b.csv", "12345")
	b.put(t, "a.csv", "1")
	require.NoError(t, os.Mkdir(filepath.Join(b.dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(b.dir, "sub", "deep.csv"), []byte("x"), 0o644))
	require.NoError(t, os.Symlink("b.csv", filepath.Join(b.dir, "link.csv")))
	require.NoError(t, os.Symlink("missing.csv", filepath.Join(b.dir, "dangling.csv")))
	mtime := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	require.NoError(t, os.Chtimes(filepath.Join(b.dir, "a.csv"), mtime, mtime))

	files, err := b.src.List(t.Context())
	require.NoError(t, err)
	got := map[string]qluster.RemoteFile{}
	for _, f := range files {
		got[f.Key] = f
	}
	require.Len(t, got, 3, "regular files and links to them; no folders, no subfolder files, no dangling links: %v", files)
	require.EqualValues(t, 1, got["a.csv"].Size)
	require.True(t, mtime.Equal(got["a.csv"].ModTime), "ModTime %v", got["a.csv"].ModTime)
	require.Empty(t, got["a.csv"].ETag)
	require.EqualValues(t, 5, got["b.csv"].Size)
	require.EqualValues(t, 5, got["link.csv"].Size, "a link is listed with its target's size")
	require.Equal(t, "12345", read(t, b.src, "link.csv"))
	// A key may name a file below the folder, but not one outside it.
	require.Equal(t, "x", read(t, b.src, "sub/deep.csv"))
	for _, key := range []string{"../in/a.csv", "/in/a.csv", "..", ".", "", "sub/../../etc"} {
		_, err := b.src.Open(t.Context(), key)
		require.ErrorIs(t, err, qluster.ErrNotFound, "key %q", key)
	}
	_, err = b.src.Open(t.Context(), "sub")
	require.ErrorIs(t, err, qluster.ErrNotFound, "a folder is not a file")
}

func TestFolders(t *testing.T) {
	t.Parallel()
	srv := testservers.StartSFTP(t, nil)
	require.NoError(t, os.MkdirAll(filepath.Join(srv.Root, "in", "deeper"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "top.csv"), []byte("t"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "in", "deeper", "d.csv"), []byte("d"), 0o644))

	for _, tt := range []struct {
		folder  string
		want    []string
		wantErr error
	}{
		{"", []string{"top.csv"}, nil}, // the login directory
		{"/", []string{"top.csv"}, nil},
		{"in/deeper", []string{"d.csv"}, nil}, // relative to the login directory
		{"/in/deeper/", []string{"d.csv"}, nil},
		{"/missing", nil, qluster.ErrPathNotFound},
		{"/top.csv", nil, qluster.ErrPathNotFound}, // a file, not a folder
	} {
		t.Run(tt.folder, func(t *testing.T) {
			t.Parallel()
			o := baseOptions(srv)
			o.Folder = tt.folder
			src, err := sftpsource.New(t.Context(), hostOf(t, srv), srv.User, o)
			require.NoError(t, err, "New does not look at the folder")
			defer func() { require.NoError(t, src.Close()) }()
			if tt.wantErr != nil {
				_, err := src.List(t.Context())
				require.ErrorIs(t, err, tt.wantErr)
				require.NotErrorIs(t, err, qluster.ErrConnection)
				return
			}
			require.Equal(t, tt.want, keys(t, src))
			require.Equal(t, tt.want[0][:1], read(t, src, tt.want[0]))
		})
	}
}

func TestPermissionDenied(t *testing.T) {
	t.Parallel()
	b := setup(t, &testservers.SFTPOptions{HookFunc: func(_ context.Context, op, path string) error {
		if (op == "List" && path == "/in") || (op == "Get" && path == "/in/secret.csv") || (op == "Remove" && path == "/in/kept.csv") {
			return os.ErrPermission
		}
		return nil
	}}, nil)
	b.put(t, "secret.csv", "s")
	b.put(t, "kept.csv", "k")
	_, err := b.src.List(t.Context())
	require.ErrorIs(t, err, qluster.ErrAccessDenied)
	_, err = b.src.Open(t.Context(), "secret.csv")
	require.ErrorIs(t, err, qluster.ErrAccessDenied)
	require.ErrorIs(t, b.src.Delete(t.Context(), "kept.csv"), qluster.ErrAccessDenied)
	require.FileExists(t, filepath.Join(b.dir, "kept.csv"))
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestConnectionErrors(t *testing.T) {
	t.Parallel()
	t.Run("ClosedPort", func(t *testing.T) {
		t.Parallel()
		_, err := sftpsource.New(t.Context(), closedPort(t), "u", &sftpsource.Options{Password: "p", InsecureIgnoreHostKey: true})
		require.ErrorIs(t, err, qluster.ErrConnection)
		require.NotErrorIs(t, err, qluster.ErrAccessDenied)
	})
	t.Run("NotSSH", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
				_ = c.Close()
			}
		}()
		_, err = sftpsource.New(t.Context(), ln.Addr().String(), "u", &sftpsource.Options{Password: "p", InsecureIgnoreHostKey: true})
		require.ErrorIs(t, err, qluster.ErrConnection)
	})
	t.Run("SilentServer", func(t *testing.T) {
		t.Parallel()
		// Accepts connections and never says a word: the handshake times out.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = ln.Close() })
		start := time.Now()
		_, err = sftpsource.New(t.Context(), ln.Addr().String(), "u",
			&sftpsource.Options{Password: "p", InsecureIgnoreHostKey: true, Timeout: 300 * time.Millisecond})
		require.ErrorIs(t, err, qluster.ErrConnection)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("Cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		srv := testservers.StartSFTP(t, nil)
		_, err := sftpsource.New(ctx, hostOf(t, srv), srv.User, baseOptions(srv))
		require.ErrorIs(t, err, context.Canceled)
		require.NotErrorIs(t, err, qluster.ErrConnection)
	})
}

// stallServer starts a server whose hook blocks the operations op on paths
// under /in while stall is set, until the request's connection closes.
func stallServer(t *testing.T, op string, timeout time.Duration) (*bundle, *atomic.Bool) {
	t.Helper()
	var stall atomic.Bool
	b := setup(t, &testservers.SFTPOptions{HookFunc: func(ctx context.Context, o, path string) error {
		if o == op && strings.HasPrefix(path, folder) && stall.Load() {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}}, &sftpsource.Options{Timeout: timeout})
	return b, &stall
}

func TestTimeoutBoundsEachCall(t *testing.T) {
	t.Parallel()
	b, stall := stallServer(t, "List", 300*time.Millisecond)
	b.put(t, "a.csv", "a")
	stall.Store(true)
	start := time.Now()
	_, err := b.src.List(t.Context())
	require.ErrorIs(t, err, qluster.ErrConnection)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)

	// The stalled connection was dropped; the next call dials a new one.
	stall.Store(false)
	require.Equal(t, []string{"a.csv"}, keys(t, b.src))
}

func TestCancelledCallReturnsCanceled(t *testing.T) {
	t.Parallel()
	b, stall := stallServer(t, "List", time.Minute)
	stall.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := b.src.List(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, qluster.ErrConnection)
	stall.Store(false)
	require.Empty(t, keys(t, b.src))
}

func TestStalledReadTimesOut(t *testing.T) {
	t.Parallel()
	b, stall := stallServer(t, "Read", 300*time.Millisecond)
	b.put(t, "a.csv", strings.Repeat("x", 1<<20))
	rc, err := b.src.Open(t.Context(), "a.csv")
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	stall.Store(true)
	start := time.Now()
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, qluster.ErrConnection)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestSlowReaderIsNotASilentServer(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, &sftpsource.Options{Timeout: 200 * time.Millisecond})
	content := strings.Repeat("0123456789abcdef", 1<<14) // 256 KiB
	b.put(t, "a.csv", content)
	rc, err := b.src.Open(t.Context(), "a.csv")
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	var got bytes.Buffer
	buf := make([]byte, 64<<10)
	for {
		n, err := rc.Read(buf)
		got.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		time.Sleep(300 * time.Millisecond) // longer than the timeout, between reads
	}
	require.Equal(t, content, got.String())
}

func TestConnectionCutMidDownload(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nil)
	content := strings.Repeat("a line of a large file\n", 400_000) // ~9 MiB
	b.put(t, "big.csv", content)

	for _, how := range []string{"Read", "io.Copy"} {
		rc, err := b.src.Open(t.Context(), "big.csv")
		require.NoError(t, err)
		head := make([]byte, 64<<10)
		_, err = io.ReadFull(rc, head)
		require.NoError(t, err)
		b.srv.CutConnections()
		var n int64
		if how == "Read" {
			var rest []byte
			rest, err = io.ReadAll(rc)
			n = int64(len(rest))
		} else {
			n, err = io.Copy(io.Discard, rc)
		}
		require.Error(t, err, "%s: a cut connection must not look like the end of the file", how)
		require.ErrorIs(t, err, qluster.ErrConnection, how)
		require.Less(t, int64(len(head))+n, int64(len(content)), how)
		require.NoError(t, rc.Close())

		// The next call dials again.
		require.Equal(t, content[:100], read(t, b.src, "big.csv")[:100])
	}
}

func TestFileShorterThanAtOpen(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nil)
	b.put(t, "a.csv", strings.Repeat("x", 100_000))
	rc, err := b.src.Open(t.Context(), "a.csv")
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	require.NoError(t, os.Truncate(filepath.Join(b.dir, "a.csv"), 40_000))
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.ErrorContains(t, err, "40000 of its 100000 bytes")
}

func TestOpenContextGovernsReader(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nil)
	b.put(t, "a.csv", strings.Repeat("x", 1<<20))
	ctx, cancel := context.WithCancel(t.Context())
	rc, err := b.src.Open(ctx, "a.csv")
	require.NoError(t, err)
	buf := make([]byte, 1000)
	_, err = io.ReadFull(rc, buf)
	require.NoError(t, err)
	cancel()
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, rc.Close())
	// Cancelling one reader leaves the connection to the others.
	require.Len(t, read(t, b.src, "a.csv"), 1<<20)
}

func TestCloseBeforeReading(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nil)
	b.put(t, "a.csv", "a")
	for range 20 { // handles are released: the server would refuse many
		rc, err := b.src.Open(t.Context(), "a.csv")
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		require.NoError(t, rc.Close(), "Close twice")
	}
	rc, err := b.src.Open(t.Context(), "a.csv")
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	_, err = rc.Read(make([]byte, 1))
	require.Error(t, err, "Read after Close")
}

func TestDelete(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, nil)
	ctx := t.Context()

	b.put(t, "changed.csv", "original")
	require.Equal(t, "original", read(t, b.src, "changed.csv"))
	b.put(t, "changed.csv", "rewritten after the backup")
	err := b.src.Delete(ctx, "changed.csv")
	require.ErrorIs(t, err, qluster.ErrConflict, "a file that changed since it was read is not deleted")
	require.FileExists(t, filepath.Join(b.dir, "changed.csv"))
	// Once read again, it can go.
	require.Equal(t, "rewritten after the backup", read(t, b.src, "changed.csv"))
	require.NoError(t, b.src.Delete(ctx, "changed.csv"))
	require.NoFileExists(t, filepath.Join(b.dir, "changed.csv"))

	// A file never listed nor opened is deleted as it is.
	b.put(t, "unseen.csv", "u")
	require.NoError(t, b.src.Delete(ctx, "unseen.csv"))
	require.NoFileExists(t, filepath.Join(b.dir, "unseen.csv"))

	// A folder is never deleted, even empty.
	require.NoError(t, os.Mkdir(filepath.Join(b.dir, "sub"), 0o755))
	require.Error(t, b.src.Delete(ctx, "sub"))
	require.DirExists(t, filepath.Join(b.dir, "sub"))

	// A link is deleted, not its target.
	b.put(t, "target.csv", "t")
	require.NoError(t, os.Symlink("target.csv", filepath.Join(b.dir, "link.csv")))
	require.Contains(t, keys(t, b.src), "link.csv")
	require.NoError(t, b.src.Delete(ctx, "link.csv"))
	require.NoFileExists(t, filepath.Join(b.dir, "link.csv"))
	require.FileExists(t, filepath.Join(b.dir, "target.csv"))
}

func TestCloseEndsTheSource(t *testing.T) {
	t.Parallel()
	srv := testservers.StartSFTP(t, nil)
	src, err := sftpsource.New(t.Context(), hostOf(t, srv), srv.User, baseOptions(srv))
	require.NoError(t, err)
	require.NoError(t, src.Close())
	require.NoError(t, src.Close())
	_, err = src.List(t.Context())
	require.ErrorContains(t, err, "closed")
}

func TestNewFromDataSource(t *testing.T) {
	t.Parallel()
	srv := testservers.StartSFTP(t, nil)
	require.NoError(t, os.MkdirAll(filepath.Join(srv.Root, "drop"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root, "drop", "x.csv"), []byte("x"), 0o644))
	ds := &qluster.DataSource{
		SFTPHost:          hostOf(t, srv),
		SFTPPort:          int64(portOf(srv.Addr)),
		SFTPUser:          srv.User,
		SFTPPassword:      srv.Password,
		SFTPFolder:        "/drop",
		ConnectionTimeout: 5,
	}
	src, err := sftpsource.NewFromDataSource(t.Context(), ds, &sftpsource.Options{HostKey: srv.HostKeyLine()})
	require.NoError(t, err)
	defer func() { require.NoError(t, src.Close()) }()
	require.Equal(t, []string{"x.csv"}, keys(t, src))

	_, err = sftpsource.NewFromDataSource(t.Context(), ds, nil)
	require.ErrorContains(t, err, "no host key", "a data source carries no host key: the caller chooses the policy")
}
