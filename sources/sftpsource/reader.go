package sftpsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"

	"github.com/openqluster/qluster-go/qluster"
)

// errReaderClosed is what a producer sees once the reader is closed.
var errReaderClosed = errors.New("sftpsource: read after Close")

// reader streams one open file. On the first Read a goroutine copies the
// file into a pipe with sftp.File.WriteTo, which keeps many read requests
// in flight, so both Read and io.Copy get the throughput of pipelined
// requests rather than one round trip per buffer. While that goroutine
// waits for the server (not while it waits for the reader), an idle timer
// runs; if the server is silent for the Source's timeout, the connection
// is dropped and Read fails.
type reader struct {
	s    *Source
	c    *conn
	f    *sftp.File
	path string
	size int64 // the size the server gave at Open

	pr *io.PipeReader
	pw *io.PipeWriter

	start    sync.Once
	done     chan struct{} // closed once the producer has ended (or never started)
	stopCtx  func() bool   // stops watching Open's context
	idle     *time.Timer   // fires when the server is silent for too long
	timedOut atomic.Bool
	ctxErr   atomic.Pointer[error] // set once Open's context has ended
	close    sync.Once
}

var _ io.ReadCloser = (*reader)(nil)

func newReader(ctx context.Context, s *Source, c *conn, f *sftp.File, p string, size int64) *reader {
	pr, pw := io.Pipe()
	r := &reader{s: s, c: c, f: f, path: p, size: size, pr: pr, pw: pw, done: make(chan struct{})}
	r.idle = time.AfterFunc(time.Hour, func() {
		r.timedOut.Store(true)
		c.close()
	})
	r.idle.Stop()
	r.stopCtx = context.AfterFunc(ctx, func() {
		// Read returns at once; the producer stops at its next write.
		err := fmt.Errorf("sftpsource: reading %q: %w", p, s.contextError(ctx))
		r.ctxErr.Store(&err)
		_ = pr.CloseWithError(err)
	})
	return r
}

// Read implements io.Reader.
func (r *reader) Read(p []byte) (int, error) {
	r.start.Do(func() { go r.produce() })
	n, err := r.pr.Read(p)
	if errors.Is(err, io.ErrClosedPipe) {
		// The reading end was closed: by Close, or when Open's context ended.
		if e := r.ctxErr.Load(); e != nil {
			return n, *e
		}
		return n, errReaderClosed
	}
	return n, err
}

// produce copies the file into the pipe and closes it with the outcome:
// nil (EOF) only when every byte up to the size seen at Open arrived.
func (r *reader) produce() {
	defer close(r.done)
	w := &watchedWriter{r: r}
	r.idle.Reset(r.s.timeout)
	_, err := r.f.WriteTo(w)
	r.idle.Stop()
	switch {
	case w.err != nil:
		return // the reader was closed or its context ended: nobody reads
	case r.timedOut.Load():
		err = fmt.Errorf("sftpsource: reading %q: %w: no data for %s: %w", r.path, qluster.ErrConnection, r.s.timeout, context.DeadlineExceeded)
	case err != nil && isTransportError(err):
		r.c.close()
		err = fmt.Errorf("sftpsource: reading %q after %d bytes: %w: %w", r.path, w.n, qluster.ErrConnection, err)
	case err != nil:
		err = fmt.Errorf("sftpsource: reading %q after %d bytes: %w", r.path, w.n, err)
	case w.n < r.size:
		err = fmt.Errorf("sftpsource: reading %q: the file ended after %d of its %d bytes: %w: %w",
			r.path, w.n, r.size, qluster.ErrConnection, io.ErrUnexpectedEOF)
	}
	_ = r.pw.CloseWithError(err)
}

// watchedWriter writes into the pipe with the idle timer stopped, so that
// a slow reader does not count as a silent server.
type watchedWriter struct {
	r   *reader
	n   int64
	err error
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	w.r.idle.Stop()
	n, err := w.r.pw.Write(p)
	w.n += int64(n)
	if err != nil {
		w.err = err
	}
	w.r.idle.Reset(w.r.s.timeout)
	return n, err
}

// Close stops the transfer and closes the remote file, waiting at most the
// Source's timeout for the server.
func (r *reader) Close() error {
	r.close.Do(func() {
		r.stopCtx()
		_ = r.pr.CloseWithError(errReaderClosed)
		r.start.Do(func() { close(r.done) }) // never read: no producer
		<-r.done
		guard := time.AfterFunc(r.s.timeout, r.c.close)
		_ = r.f.Close() // a handle left open on a broken connection dies with it
		guard.Stop()
	})
	return nil
}
