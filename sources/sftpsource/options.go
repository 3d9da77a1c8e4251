package sftpsource

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/openqluster/qluster-go/qluster"
)

// DefaultPort is the port used when Options.Port is 0.
const DefaultPort = 22

// DefaultTimeout is the timeout used when Options.Timeout is 0; it is the
// default connection_timeout of a data source.
const DefaultTimeout = 30 * time.Second

// Options configures New. Exactly one of HostKey, HostKeyCallback and
// InsecureIgnoreHostKey is required, and at least one of Password,
// PrivateKey and Signer.
type Options struct {
	// Port is the SSH server's port. Default 0: DefaultPort (22), unless
	// the host given to New ends in ":port".
	Port int
	// Folder is the folder whose files the Source lists: an absolute path,
	// or one relative to the login directory. Default "": the login
	// directory.
	Folder string

	// Password logs the user in ("password" and "keyboard-interactive"
	// authentication). Default "": no password.
	Password string
	// PrivateKey is a PEM-encoded private key (OpenSSH, PKCS#1, PKCS#8 or
	// SEC 1) that logs the user in. Default "": none.
	PrivateKey string
	// PrivateKeyPassphrase unlocks PrivateKey when it is encrypted.
	// Default "": the key is not encrypted.
	PrivateKeyPassphrase string
	// Signer logs the user in with a key held elsewhere (an agent, a
	// hardware token). Default nil: none.
	Signer ssh.Signer

	// HostKey lists the server's accepted host keys, one per line, each in
	// known_hosts format (as ssh-keyscan prints it), in authorized_keys
	// format, or as a SHA256 fingerprint ("SHA256:..." as ssh-keygen -l
	// prints it). Empty lines and lines starting with "#" are ignored.
	// Default "": see HostKeyCallback and InsecureIgnoreHostKey.
	HostKey string
	// HostKeyCallback checks the server's host key, e.g. one made by
	// golang.org/x/crypto/ssh/knownhosts.New. Default nil.
	HostKeyCallback ssh.HostKeyCallback
	// InsecureIgnoreHostKey accepts any host key, which lets a man in the
	// middle read the files and the credentials. Only for tests and
	// trusted networks. Default false.
	InsecureIgnoreHostKey bool

	// Timeout bounds the dial and SSH handshake, each call, and each wait
	// for the server while a file is read. Default 0: DefaultTimeout.
	Timeout time.Duration
}

// address returns host:port for host and o.Port.
func (o *Options) address(host string) (string, error) {
	port := o.Port
	if h, p, err := net.SplitHostPort(host); err == nil && port == 0 {
		n, err := strconv.Atoi(p)
		if err != nil {
			return "", fmt.Errorf("sftpsource.New: host %q: bad port", host)
		}
		host, port = h, n
	}
	if port == 0 {
		port = DefaultPort
	}
	if port < 0 || port > 65535 {
		return "", fmt.Errorf("sftpsource.New: Options.Port %d is not a TCP port", port)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// clientConfig validates o and returns the SSH client configuration for
// user at addr.
func (o *Options) clientConfig(addr, user string) (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{User: user, Timeout: o.Timeout}

	var signers []ssh.Signer
	if o.Signer != nil {
		signers = append(signers, o.Signer)
	}
	if o.PrivateKey != "" {
		s, err := parsePrivateKey(o.PrivateKey, o.PrivateKeyPassphrase)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	if len(signers) > 0 {
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signers...))
	}
	if o.Password != "" {
		password := o.Password
		cfg.Auth = append(cfg.Auth,
			ssh.Password(password),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range questions {
					if !echos[i] { // a hidden answer: the password prompt
						answers[i] = password
					}
				}
				return answers, nil
			}))
	}
	if len(cfg.Auth) == 0 {
		return nil, errors.New("sftpsource.New: no credentials: set Options.Password, Options.PrivateKey or Options.Signer")
	}

	policies := 0
	if o.HostKey != "" {
		policies++
		hk, err := parseHostKeys(o.HostKey)
		if err != nil {
			return nil, err
		}
		cfg.HostKeyCallback = hk.callback(addr)
		cfg.HostKeyAlgorithms = hk.algorithms()
	}
	if o.HostKeyCallback != nil {
		policies++
		cfg.HostKeyCallback = o.HostKeyCallback
	}
	if o.InsecureIgnoreHostKey {
		policies++
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // asked for explicitly
	}
	switch {
	case policies == 0:
		return nil, errors.New("sftpsource.New: no host key: set Options.HostKey (the server's public key or its SHA256 fingerprint), " +
			"Options.HostKeyCallback, or, only on a trusted network, Options.InsecureIgnoreHostKey")
	case policies > 1:
		return nil, errors.New("sftpsource.New: set only one of Options.HostKey, Options.HostKeyCallback and Options.InsecureIgnoreHostKey")
	}
	return cfg, nil
}

// parsePrivateKey parses a PEM private key, decrypting it with passphrase
// when it is encrypted.
func parsePrivateKey(pemKey, passphrase string) (ssh.Signer, error) {
	s, err := ssh.ParsePrivateKey([]byte(pemKey))
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		return s, nil
	case !errors.As(err, &missing):
		return nil, fmt.Errorf("sftpsource.New: Options.PrivateKey is not a PEM private key (OpenSSH, PKCS#1, PKCS#8 or SEC 1): %w", err)
	case passphrase == "":
		return nil, fmt.Errorf("sftpsource.New: Options.PrivateKey is encrypted and no passphrase was given: %w", qluster.ErrAccessDenied)
	}
	s, err = ssh.ParsePrivateKeyWithPassphrase([]byte(pemKey), []byte(passphrase))
	if err != nil {
		return nil, fmt.Errorf("sftpsource.New: Options.PrivateKey cannot be decrypted with Options.PrivateKeyPassphrase (%v): %w", err, qluster.ErrAccessDenied)
	}
	return s, nil
}

// hostKeys are the host keys and fingerprints Options.HostKey accepts.
type hostKeys struct {
	keys         []ssh.PublicKey
	fingerprints []string
}

// parseHostKeys parses Options.HostKey.
func parseHostKeys(s string) (*hostKeys, error) {
	hk := &hostKeys{}
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "SHA256:") {
			hk.fingerprints = append(hk.fingerprints, strings.TrimRight(line, "="))
			continue
		}
		if k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line)); err == nil {
			hk.keys = append(hk.keys, k)
			continue
		}
		if _, _, k, _, _, err := ssh.ParseKnownHosts([]byte(line)); err == nil {
			hk.keys = append(hk.keys, k)
			continue
		}
		return nil, fmt.Errorf("sftpsource.New: Options.HostKey line %d is neither a public key (known_hosts or authorized_keys format) nor a SHA256 fingerprint", i+1)
	}
	if len(hk.keys) == 0 && len(hk.fingerprints) == 0 {
		return nil, errors.New("sftpsource.New: Options.HostKey holds no key")
	}
	return hk, nil
}

// callback accepts the listed keys and fingerprints only.
func (hk *hostKeys) callback(addr string) ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		raw := key.Marshal()
		for _, k := range hk.keys {
			if bytes.Equal(k.Marshal(), raw) {
				return nil
			}
		}
		fp := ssh.FingerprintSHA256(key)
		for _, f := range hk.fingerprints {
			if f == fp {
				return nil
			}
		}
		return &HostKeyError{Addr: addr, Key: key}
	}
}

// algorithms returns the host key algorithms to ask the server for, so that
// it presents a key that is listed; nil (the defaults) when a fingerprint
// is listed, since it does not say its algorithm.
func (hk *hostKeys) algorithms() []string {
	if len(hk.fingerprints) > 0 {
		return nil
	}
	var algos []string
	add := func(a ...string) {
		for _, x := range a {
			if !slices.Contains(algos, x) {
				algos = append(algos, x)
			}
		}
	}
	for _, k := range hk.keys {
		if k.Type() == ssh.KeyAlgoRSA {
			// An RSA key signs with SHA-2 in current servers, SHA-1 in old ones.
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		} else {
			add(k.Type())
		}
	}
	return algos
}

// HostKeyError is the error of a server whose host key is not one that
// Options.HostKey lists: a different server, or one whose key changed. It
// matches qluster.ErrConnection.
type HostKeyError struct {
	// Addr is the host:port dialled.
	Addr string
	// Key is the host key the server presented.
	Key ssh.PublicKey
}

// Error implements error.
func (e *HostKeyError) Error() string {
	return fmt.Sprintf("the host key of %s is %s %s, which Options.HostKey does not list (another server, or its key changed): %v",
		e.Addr, e.Key.Type(), ssh.FingerprintSHA256(e.Key), qluster.ErrConnection)
}

// Is makes errors.Is(err, qluster.ErrConnection) true.
func (e *HostKeyError) Is(target error) bool { return target == qluster.ErrConnection }

// CheckHostKey reports whether s is a valid Options.HostKey: one key or
// more, each in known_hosts or authorized_keys form or a SHA256
// fingerprint. The error says which line is wrong and why.
func CheckHostKey(s string) error {
	_, err := parseHostKeys(s)
	return err
}
