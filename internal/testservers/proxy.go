package testservers

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from a port of 127.0.0.1 to a target
// server, and can cut a connection part-way through a response, as a
// network does when a link drops mid-download. Point a client at Addr
// instead of the server.
type Proxy struct {
	ln net.Listener

	mu       sync.Mutex
	target   string
	cutAfter int64 // <0: disarmed; else cut the next connection after that many bytes from the server
	cuts     int
	conns    map[net.Conn]struct{}
}

// NewProxy listens on a free port of 127.0.0.1 and forwards each connection
// to target ("host:port"; may be set later with SetTarget, before the first
// connection). The proxy and its connections close when t ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	p := &Proxy{ln: ln, target: target, cutAfter: -1, conns: map[net.Conn]struct{}{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.serve()
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		p.mu.Lock()
		defer p.mu.Unlock()
		for c := range p.conns {
			_ = c.Close()
		}
	})
	return p
}

// Addr is the proxy's "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetTarget sets the server connections are forwarded to.
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
}

// CutNextAfter arms the proxy: the first connection that then carries more
// than n bytes from the server to the client is closed, both ways, once it
// has passed n of them. Later connections pass whole until it is armed
// again.
func (p *Proxy) CutNextAfter(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutAfter = n
}

// Cuts is how many connections the proxy has cut.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

// track records c as open (to close at cleanup), or forgets it.
func (p *Proxy) track(c net.Conn, open bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if open {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

func (p *Proxy) forward(client net.Conn) {
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	server, err := net.Dial("tcp", target)
	if err != nil {
		_ = client.Close()
		return
	}
	p.track(client, true)
	p.track(server, true)
	closeBoth := sync.OnceFunc(func() {
		_ = client.Close()
		_ = server.Close()
		p.track(client, false)
		p.track(server, false)
	})
	defer closeBoth()
	go func() {
		defer closeBoth()
		_, _ = io.Copy(server, client)
	}()
	buf := make([]byte, 32<<10)
	var sent int64
	for {
		n, err := server.Read(buf)
		if n > 0 {
			m := n
			p.mu.Lock()
			cut := p.cutAfter >= 0 && sent+int64(n) > p.cutAfter
			if cut {
				m = int(max(p.cutAfter-sent, 0))
				p.cutAfter = -1
				p.cuts++
			}
			p.mu.Unlock()
			if _, werr := client.Write(buf[:m]); werr != nil || cut {
				return
			}
			sent += int64(n)
		}
		if err != nil {
			return
		}
	}
}

// Target is the server connections are forwarded to.
func (p *Proxy) Target() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.target
}
