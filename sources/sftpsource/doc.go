// Package sftpsource is the qluster.Source (and qluster.SourceDeleter) of
// `sftp` data sources: the files of one folder on an SSH server, read over
// SFTP (github.com/pkg/sftp over golang.org/x/crypto/ssh).
//
//	src, err := sftpsource.New(ctx, "sftp.example.com", "etl", &sftpsource.Options{
//		Folder:   "/outgoing",
//		Password: password,
//		HostKey:  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC...",
//	})
//
// NewFromDataSource does the same from a qluster.DataSource's sftp_* fields
// and connection_timeout.
//
// # Authentication
//
// The user logs in with Options.Password (offered as "password" and as
// "keyboard-interactive", which servers using PAM require), with a private
// key (Options.PrivateKey in PEM: OpenSSH, PKCS#1, PKCS#8 or SEC 1, unlocked
// by Options.PrivateKeyPassphrase when it is encrypted), or with an
// ssh.Signer (Options.Signer, e.g. from an agent). Keys are offered before
// the password. Refused credentials, an encrypted key without its
// passphrase and a wrong passphrase are errors matching
// qluster.ErrAccessDenied.
//
// # Host keys
//
// SSH authenticates the server by its host key; without checking it a
// man in the middle can read every file and the password. Trusting the
// first key seen needs somewhere to remember it, which a Source does not
// have, so New requires one of:
//
//   - Options.HostKey: the server's public key, as the line ssh-keyscan
//     prints ("host ssh-ed25519 AAAA...", known_hosts format), as an
//     authorized_keys line ("ssh-ed25519 AAAA..."), or as the SHA256
//     fingerprint ssh-keygen -l prints ("SHA256:n4u..."); one per line when
//     the server has several. Only these keys are accepted, and the client
//     asks the server for keys of their algorithms.
//   - Options.HostKeyCallback: any ssh.HostKeyCallback, e.g. one from
//     golang.org/x/crypto/ssh/knownhosts reading a known_hosts file.
//   - Options.InsecureIgnoreHostKey: accept any key. Only for tests and
//     trusted networks; it is never the default.
//
// A server presenting another key fails with a *HostKeyError, which matches
// qluster.ErrConnection and names the key it presented.
//
// # Files, keys and listing
//
// List reads the folder (Options.Folder: absolute, or relative to the
// login directory; "" is the login directory) without descending into
// subfolders: a file's key is its name in the folder. Regular files are
// listed, and symbolic links to regular files (with the size and time of
// their target); folders and other special files are not. Open and Delete
// take the same keys; a key may also be a relative path below the folder,
// but not one leading out of it. RemoteFile.ETag is "": SFTP has no version
// tag, so size and ModTime (whole seconds) stand for it.
//
// # Timeouts, cancellation and connections
//
// A Source holds one SSH connection, opened by New, shared by its calls
// and its open files (SFTP multiplexes them), and safe for concurrent use.
// Options.Timeout (the data source's connection_timeout, default 30s)
// bounds the dial and handshake, each List, Open and Delete, and every
// wait for the server while a file is read: a server that stops answering
// for that long fails the call with an error matching
// qluster.ErrConnection and context.DeadlineExceeded, and the connection is
// dropped. A connection that broke is dialled again by the next call.
// Cancelling a call's context fails it with an error matching
// context.Canceled; for Open, the context also governs the returned reader.
//
// # Reading
//
// Open checks that the key names a regular file and returns a reader that
// fetches the file with many requests in flight. A file that ends before
// the size the server gave at Open (a cut connection, or the file
// truncated meanwhile) is an error matching qluster.ErrConnection and
// io.ErrUnexpectedEOF, never a silent short read.
//
// # Errors
//
//   - refused credentials: qluster.ErrAccessDenied
//   - folder missing or not a folder: qluster.ErrPathNotFound
//   - key naming no file: qluster.ErrNotFound (Delete: no error)
//   - permission denied on the server: qluster.ErrAccessDenied
//   - dial, handshake or transport failure, timeout: qluster.ErrConnection
//
// # Deleting
//
// Delete removes the file at key; deleting a missing key is not an error.
// When the file was listed or opened by this Source, Delete first checks
// that its size and modification time are those seen then, and refuses
// with an error matching qluster.ErrConflict if the file changed: the
// changed content has not been backed up. The check and the removal are
// two requests, so this narrows the window rather than closing it.
package sftpsource
