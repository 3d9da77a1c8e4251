package dropboxsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openqluster/qluster-go/qluster"
)

// Defaults of Options.
const (
	// DefaultBaseURL is the root of the RPC endpoints.
	DefaultBaseURL = "https://api.dropboxapi.com/2"
	// DefaultContentURL is the root of the content endpoints.
	DefaultContentURL = "https://content.dropboxapi.com/2"
	// DefaultTimeout is the default connection_timeout of a data source.
	DefaultTimeout = 30 * time.Second
)

// maxResultBody bounds a JSON result read (a page of list_folder holds at
// most a few thousand entries).
const maxResultBody = 64 << 20

// Options configures New. The zero value (or nil) reads the Dropbox's root.
type Options struct {
	// Folder is the folder whose files the Source lists: "/a/b" (the
	// leading slash may be left out), or an id ("id:...") or namespace
	// ("ns:...") path. Default "": the root (the app's folder for an app
	// with the App folder permission).
	Folder string
	// BaseURL is the root of the RPC endpoints. Default DefaultBaseURL.
	BaseURL string
	// ContentURL is the root of the content endpoints. Default
	// DefaultContentURL.
	ContentURL string
	// HTTPClient sends the requests. Its Timeout, if any, bounds whole
	// downloads too, so leave it 0. Default nil: a client of the Source's
	// own over a clone of http.DefaultTransport, whose idle connections
	// Close releases.
	HTTPClient *http.Client
	// Timeout bounds each request, and each wait for body bytes of a
	// download. Default 0: DefaultTimeout.
	Timeout time.Duration
}

// Source lists, streams and deletes the files of one Dropbox folder. It is
// safe for concurrent use. See the package documentation.
type Source struct {
	token      string
	folder     string // "" for the root, else without a trailing slash
	baseURL    string
	contentURL string
	client     *http.Client
	ownClient  bool
	timeout    time.Duration
	closed     atomic.Bool

	mu   sync.Mutex
	revs map[string]string // lower-cased key → rev last listed or opened
}

var (
	_ qluster.Source        = (*Source)(nil)
	_ qluster.SourceDeleter = (*Source)(nil)
)

// New returns a Source over opts.Folder of the Dropbox that accessToken
// (an OAuth 2 access token) opens. New does no I/O, so a bad token shows at
// the first call, as an error matching qluster.ErrAccessDenied; ctx is
// there for the shape every source's constructor shares.
func New(_ context.Context, accessToken string, opts *Options) (*Source, error) {
	if accessToken == "" {
		return nil, errors.New("dropboxsource.New: accessToken is required")
	}
	if strings.ContainsAny(accessToken, "\r\n") {
		return nil, errors.New("dropboxsource.New: accessToken holds a line break")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	s := &Source{
		token:      accessToken,
		folder:     normalizeFolder(o.Folder),
		baseURL:    strings.TrimRight(o.BaseURL, "/"),
		contentURL: strings.TrimRight(o.ContentURL, "/"),
		client:     o.HTTPClient,
		timeout:    o.Timeout,
		revs:       map[string]string{},
	}
	if s.baseURL == "" {
		s.baseURL = DefaultBaseURL
	}
	if s.contentURL == "" {
		s.contentURL = DefaultContentURL
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.client == nil {
		s.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		s.ownClient = true
	}
	return s, nil
}

// NewFromDataSource is New with ds's dropbox_access_token (in clear),
// dropbox_folder and connection_timeout (seconds); opts gives the rest and
// may be nil.
func NewFromDataSource(ctx context.Context, ds *qluster.DataSource, opts *Options) (*Source, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Folder = ds.DropboxFolder
	if ds.ConnectionTimeout > 0 {
		o.Timeout = time.Duration(ds.ConnectionTimeout) * time.Second
	}
	return New(ctx, ds.DropboxAccessToken, &o)
}

// normalizeFolder returns folder as Dropbox wants it: "" for the root, a
// leading slash, no trailing one.
func normalizeFolder(folder string) string {
	folder = strings.TrimRight(strings.TrimSpace(folder), "/")
	switch {
	case folder == "":
		return ""
	case strings.HasPrefix(folder, "/"), strings.HasPrefix(folder, "id:"),
		strings.HasPrefix(folder, "ns:"), strings.HasPrefix(folder, "rev:"):
		return folder
	}
	return "/" + folder
}

// filePath returns the Dropbox path of key, refusing keys that lead out of
// the folder.
func (s *Source) filePath(op, key string) (string, error) {
	clean := path.Clean(key)
	if key == "" || path.IsAbs(key) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("dropboxsource.%s %q: %w: a key names a file inside the folder", op, key, qluster.ErrNotFound)
	}
	if s.folder == "" {
		return "/" + clean, nil
	}
	return s.folder + "/" + clean, nil
}

// errClosed is the error of calls on a closed Source.
var errClosed = errors.New("the Source is closed")

// requestError translates a failed round trip within ctx (the call's,
// bounded by the timeout): the caller's cancellation as context.Canceled,
// a timeout as ErrConnection and context.DeadlineExceeded, anything else
// as ErrConnection.
func (s *Source) requestError(ctx context.Context, timedOut bool, err error) error {
	switch {
	case timedOut || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: no answer within %s: %w", qluster.ErrConnection, s.timeout, context.DeadlineExceeded)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return fmt.Errorf("%w: %w", qluster.ErrConnection, err)
}

// rpc posts arg as JSON to endpoint on the RPC host and decodes the result
// into out, within ctx and the timeout. Error answers come back as
// *APIError.
func (s *Source) rpc(ctx context.Context, endpoint string, arg, out any) error {
	if s.closed.Load() {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	body, err := json.Marshal(arg)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.baseURL+"/"+endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return s.requestError(ctx, false, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return newAPIError(endpoint, resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResultBody))
	if err != nil {
		return s.requestError(ctx, false, err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("dropbox %s: decoding the result: %w", endpoint, err)
	}
	return nil
}

// List returns the files of the folder, without descending into
// subfolders. A folder that does not exist, or is a file, is an error
// matching qluster.ErrPathNotFound.
func (s *Source) List(ctx context.Context) ([]qluster.RemoteFile, error) {
	files, revs, err := s.list(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("dropboxsource.List %q: %w", s.folder, err)
	}
	s.mu.Lock()
	s.revs = revs // files gone since the last List are forgotten
	s.mu.Unlock()
	return files, nil
}

// list pages through the folder; when Dropbox resets the cursor it starts
// over once if mayRestart.
func (s *Source) list(ctx context.Context, mayRestart bool) ([]qluster.RemoteFile, map[string]string, error) {
	var res listFolderResult
	err := s.rpc(ctx, "files/list_folder", listFolderArg{Path: s.folder}, &res)
	var apiErr *APIError
	if errors.As(err, &apiErr) && (apiErr.isTag("path/not_found") || apiErr.isTag("path/not_folder")) {
		return nil, nil, fmt.Errorf("%w: %w", qluster.ErrPathNotFound, err)
	}
	if err != nil {
		return nil, nil, err
	}
	files := []qluster.RemoteFile{}
	revs := map[string]string{}
	for {
		for _, e := range res.Entries {
			if e.Tag != "file" || (e.IsDownloadable != nil && !*e.IsDownloadable) {
				continue
			}
			f := qluster.RemoteFile{Key: e.Name, Size: e.Size, ETag: e.ContentHash}
			if f.ETag == "" {
				f.ETag = e.Rev
			}
			if t, err := time.Parse(time.RFC3339, e.ServerModified); err == nil {
				f.ModTime = t
			}
			files = append(files, f)
			revs[strings.ToLower(e.Name)] = e.Rev
		}
		if !res.HasMore {
			return files, revs, nil
		}
		cursor := res.Cursor
		res = listFolderResult{}
		err := s.rpc(ctx, "files/list_folder/continue", listFolderContinueArg{Cursor: cursor}, &res)
		switch {
		case errors.As(err, &apiErr) && apiErr.isTag("reset") && mayRestart:
			return s.list(ctx, false)
		case errors.As(err, &apiErr) && (apiErr.isTag("path/not_found") || apiErr.isTag("path/not_folder")):
			return nil, nil, fmt.Errorf("%w: %w", qluster.ErrPathNotFound, err)
		case err != nil:
			return nil, nil, err
		}
	}
}

// Open returns a reader of the file at key. A key naming no file is an
// error matching qluster.ErrNotFound. ctx governs the reader too: once it
// is cancelled, Read fails with an error matching context.Canceled. The
// caller closes the reader.
func (s *Source) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.filePath("Open", key)
	if err != nil {
		return nil, err
	}
	rc, err := s.download(ctx, key, p)
	if err != nil {
		return nil, fmt.Errorf("dropboxsource.Open %q: %w", p, err)
	}
	return rc, nil
}

func (s *Source) download(ctx context.Context, key, p string) (io.ReadCloser, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	arg, err := headerSafeJSON(pathArg{Path: p})
	if err != nil {
		return nil, err
	}
	// The request's context outlives Open: it governs the body. A timer
	// bounds the wait for the headers, then each wait for body bytes.
	bodyCtx, cancel := context.WithCancel(ctx)
	b := &body{s: s, parent: ctx, cancel: cancel, size: -1, path: p}
	b.idle = time.AfterFunc(s.timeout, func() {
		b.timedOut.Store(true)
		cancel()
	})
	req, err := http.NewRequestWithContext(bodyCtx, http.MethodPost, s.contentURL+"/files/download", http.NoBody)
	if err != nil {
		b.stop()
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Dropbox-API-Arg", arg)
	resp, err := s.client.Do(req)
	b.idle.Stop()
	if err != nil {
		b.stop()
		return nil, s.requestError(ctx, b.timedOut.Load(), err)
	}
	if resp.StatusCode != http.StatusOK {
		apiErr := newAPIError("files/download", resp)
		_ = resp.Body.Close()
		b.stop()
		if apiErr.isTag("path/not_found") || apiErr.isTag("path/not_file") {
			return nil, fmt.Errorf("%w: %w", &qluster.NotFoundError{Kind: "file", Key: key}, apiErr)
		}
		return nil, apiErr
	}
	var meta metadata
	if err := json.Unmarshal([]byte(resp.Header.Get("Dropbox-API-Result")), &meta); err == nil && meta.Tag != "folder" {
		b.size = meta.Size
		if meta.Rev != "" {
			s.mu.Lock()
			s.revs[strings.ToLower(key)] = meta.Rev
			s.mu.Unlock()
		}
	}
	b.rc = resp.Body
	return b, nil
}

// body is a download's response body, checked against the file's size.
type body struct {
	s        *Source
	rc       io.ReadCloser
	parent   context.Context //nolint:containedctx // Open's: tells its cancellation from a timeout
	cancel   context.CancelFunc
	idle     *time.Timer
	timedOut atomic.Bool
	path     string
	size, n  int64 // size from Dropbox-API-Result (-1 if unknown), bytes read
	err      error // the first error returned, returned again
	once     sync.Once
}

func (b *body) stop() {
	b.idle.Stop()
	b.cancel()
}

// Read implements io.Reader.
func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	b.idle.Reset(b.s.timeout)
	n, err := b.rc.Read(p)
	b.idle.Stop()
	b.n += int64(n)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF) && (b.size < 0 || b.n >= b.size):
		return n, io.EOF
	case errors.Is(err, io.EOF):
		b.err = fmt.Errorf("dropboxsource: reading %q: the body ended after %d of the file's %d bytes: %w: %w",
			b.path, b.n, b.size, qluster.ErrConnection, io.ErrUnexpectedEOF)
	case b.timedOut.Load():
		b.err = fmt.Errorf("dropboxsource: reading %q: %w: no data for %s: %w", b.path, qluster.ErrConnection, b.s.timeout, context.DeadlineExceeded)
	case b.parent.Err() != nil:
		b.err = fmt.Errorf("dropboxsource: reading %q: %w", b.path, b.parent.Err())
	default:
		b.err = fmt.Errorf("dropboxsource: reading %q after %d bytes: %w: %w", b.path, b.n, qluster.ErrConnection, err)
	}
	return n, b.err
}

// Close ends the download.
func (b *body) Close() error {
	b.once.Do(func() {
		b.stop()
		_ = b.rc.Close()
		if b.err == nil {
			b.err = errors.New("dropboxsource: read after Close")
		}
	})
	return nil
}

// Delete removes the file at key, only if it is still the version this
// Source last listed or opened (see the package documentation); a missing
// key is not an error. A file that changed is left in place and Delete
// returns an error matching qluster.ErrConflict.
func (s *Source) Delete(ctx context.Context, key string) error {
	p, err := s.filePath("Delete", key)
	if err != nil {
		return err
	}
	if err := s.delete(ctx, key, p); err != nil {
		return fmt.Errorf("dropboxsource.Delete %q: %w", p, err)
	}
	return nil
}

func (s *Source) delete(ctx context.Context, key, p string) error {
	lower := strings.ToLower(key)
	s.mu.Lock()
	rev, seen := s.revs[lower]
	s.mu.Unlock()
	var apiErr *APIError
	if !seen {
		// Not listed nor opened here: ask which version is there, and that
		// it is a file.
		var meta metadata
		err := s.rpc(ctx, "files/get_metadata", pathArg{Path: p}, &meta)
		switch {
		case errors.As(err, &apiErr) && apiErr.isTag("path/not_found"):
			return nil
		case err != nil:
			return err
		case meta.Tag != "file":
			return fmt.Errorf("it is a %s, not a file; only files are deleted", meta.Tag)
		}
		rev = meta.Rev
	}
	var res deleteResult
	err := s.rpc(ctx, "files/delete_v2", deleteArg{Path: p, ParentRev: rev}, &res)
	switch {
	case err == nil, errors.As(err, &apiErr) && apiErr.isTag("path_lookup/not_found"):
		s.mu.Lock()
		delete(s.revs, lower)
		s.mu.Unlock()
		return nil
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusConflict && rev != "" &&
		!errors.Is(apiErr, qluster.ErrAccessDenied) && !apiErr.Retryable():
		// Dropbox refused to delete at parent_rev: the file is another
		// version now (or a folder), whose content was not read.
		return &qluster.ConflictError{Msg: fmt.Sprintf(
			"the file is no longer the version read (rev %s), so it was not deleted: %v", rev, apiErr)}
	}
	return err
}

// Close releases idle connections of the Source's own HTTP client. Calls
// after Close return an error; bodies still open can be read to the end.
func (s *Source) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.ownClient {
		s.client.CloseIdleConnections()
	}
	return nil
}
