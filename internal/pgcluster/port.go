package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// choosePort returns the port to start the server on: Options.Port if set
// (an error if taken), else the port persisted in DataDir/pg/port if it is
// free and not in avoid, else a new free port.
func (c *Cluster) choosePort(ctx context.Context, avoid map[int]bool) (int, error) {
	if p := c.opts.Port; p != 0 {
		if !portFree(p) {
			return 0, fmt.Errorf("Options.Port %d on 127.0.0.1 is in use by another process", p)
		}
		return p, nil
	}
	b, err := os.ReadFile(c.portPath())
	switch {
	case err == nil:
		p, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil && p > 0 && p <= 65535 && !avoid[p] {
			if portFree(p) {
				return p, nil
			}
			c.logger.InfoContext(ctx, "the cluster's port is taken by another process; choosing a new one", "port", p)
		}
	case !errors.Is(err, os.ErrNotExist):
		return 0, err
	}
	for range 10 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		if !avoid[p] {
			return p, nil
		}
	}
	return 0, errors.New("no free port on 127.0.0.1")
}

// writePort persists port in DataDir/pg/port.
func (c *Cluster) writePort(port int) error {
	return c.writeFile(c.portPath(), []byte(strconv.Itoa(port)+"\n"), 0o644)
}

// portFree reports whether a TCP listener can bind 127.0.0.1:port now.
func portFree(port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = ln.Close()
	return true
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
