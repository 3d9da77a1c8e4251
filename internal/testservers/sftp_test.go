package testservers

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pkg/sftp"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// dialSFTP connects to s with auth, checking the host key.
func dialSFTP(t *testing.T, s *SFTPServer, auth ssh.AuthMethod) (*sftp.Client, error) {
	t.Helper()
	conn, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{
		User:            s.User,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
	})
	if err != nil {
		return nil, err
	}
	c, err := sftp.NewClient(conn)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	t.Cleanup(func() {
		_ = conn.Close()
		_ = c.Close()
	})
	return c, nil
}

func TestSFTPPasswordAndKey(t *testing.T) {
	t.Parallel()
	addr, user, password, key, root := SFTP(t)
	require.NotEmpty(t, addr)
	require.Equal(t, SFTPUser, user)
	require.NoError(t, os.WriteFile(filepath.Join(root, "a.csv"), []byte("x,y\n"), 0o644))

	for name, auth := range map[string]ssh.AuthMethod{
		"password": ssh.Password(password),
		"key":      ssh.PublicKeys(key),
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
				User: user, Auth: []ssh.AuthMethod{auth}, HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // test
			})
			require.NoError(t, err)
			defer func() { _ = conn.Close() }()
			c, err := sftp.NewClient(conn)
			require.NoError(t, err)
			defer func() { _ = c.Close() }()
			fis, err := c.ReadDir("/")
			require.NoError(t, err)
			require.Len(t, fis, 1)
			require.Equal(t, "a.csv", fis[0].Name())
		})
	}
}

func TestSFTPRejectsWrongCredentials(t *testing.T) {
	t.Parallel()
	s := StartSFTP(t, nil)
	_, err := dialSFTP(t, s, ssh.Password("wrong"))
	require.ErrorContains(t, err, "unable to authenticate")
	_, err = dialSFTP(t, s, ssh.PublicKeys(newEd25519Signer(t)))
	require.ErrorContains(t, err, "unable to authenticate")

	other := newEd25519Signer(t)
	s.Authorize(other.PublicKey())
	_, err = dialSFTP(t, s, ssh.PublicKeys(other))
	require.NoError(t, err)
}

func TestSFTPServesOnlyRoot(t *testing.T) {
	t.Parallel()
	s := StartSFTP(t, nil)
	c, err := dialSFTP(t, s, ssh.Password(s.Password))
	require.NoError(t, err)

	require.NoError(t, c.Mkdir("/in"))
	f, err := c.Create("/in/data.csv")
	require.NoError(t, err)
	_, err = f.Write([]byte("hello"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	got, err := os.ReadFile(filepath.Join(s.Root, "in", "data.csv"))
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))

	// Relative paths start at "/".
	fi, err := c.Stat("in/data.csv")
	require.NoError(t, err)
	require.EqualValues(t, 5, fi.Size())

	// Neither ".." nor a symbolic link leads out of the root.
	_, err = c.Stat("/../../../../etc/passwd")
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(s.Root, "escape")))
	_, err = c.Open("/escape")
	require.Error(t, err)

	require.NoError(t, c.Remove("/in/data.csv"))
	require.NoError(t, c.RemoveDirectory("/in"))
	_, err = os.Stat(filepath.Join(s.Root, "in"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestSFTPHookAndCut(t *testing.T) {
	t.Parallel()
	s := StartSFTP(t, &SFTPOptions{HookFunc: func(_ context.Context, op, path string) error {
		if op == "List" && path == "/private" {
			return os.ErrPermission
		}
		return nil
	}})
	require.NoError(t, os.Mkdir(filepath.Join(s.Root, "private"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(s.Root, "big"), make([]byte, 1<<20), 0o644))
	c, err := dialSFTP(t, s, ssh.Password(s.Password))
	require.NoError(t, err)

	_, err = c.ReadDir("/private")
	require.ErrorIs(t, err, os.ErrPermission)

	f, err := c.Open("/big")
	require.NoError(t, err)
	buf := make([]byte, 1024)
	_, err = io.ReadFull(f, buf)
	require.NoError(t, err)
	s.CutConnections()
	_, err = io.ReadAll(f)
	require.Error(t, err)
	require.False(t, errors.Is(err, io.EOF))

	// The server accepts new connections after a cut.
	c2, err := dialSFTP(t, s, ssh.Password(s.Password))
	require.NoError(t, err)
	_, err = c2.Stat("/big")
	require.NoError(t, err)
}
