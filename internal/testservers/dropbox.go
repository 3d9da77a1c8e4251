package testservers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DropboxFile is a file of a DropboxServer as it stood when it was returned
// (a copy: later changes to the server do not show in it).
type DropboxFile struct {
	// Path is the file's display path, e.g. "/Exports/a.csv": the case of
	// its folders is the one they were created with.
	Path string
	// ID is the file's id ("id:..."), kept when the file is written again.
	ID string
	// Content is the file's content.
	Content string
	// Rev is the file's revision (nine or more hex digits), new at each Put.
	Rev string
	// Modified is the file's client_modified and server_modified time, to
	// the second, in UTC.
	Modified time.Time
	// ContentHash is Dropbox's content_hash of Content.
	ContentHash string
}

// APIResult is the file's FileMetadata as the Dropbox-API-Result header of a
// download carries it: JSON with every character outside printable ASCII
// escaped as \uXXXX. A DownloadFunc writing its own answer sends it.
func (f DropboxFile) APIResult() string {
	return dropboxHeaderSafe(dropboxFileMetadata(&f))
}

// DropboxCall is one request a DropboxServer accepted (well formed, with
// the right token).
type DropboxCall struct {
	// Endpoint is the endpoint called, e.g. "files/list_folder".
	Endpoint string
	// Arg is the request's JSON argument (the body of an RPC endpoint, the
	// Dropbox-API-Arg header of a download), decoded.
	Arg map[string]any
}

// DropboxServer serves the part of the Dropbox API v2 that dropboxsource
// uses, over files kept in memory; see Dropbox.
type DropboxServer struct {
	t          testing.TB
	token      string
	api        *httptest.Server
	content    *httptest.Server
	contentURL string

	mu           sync.Mutex
	files        map[string]*DropboxFile   // by lower-cased path
	folders      map[string]*dropboxFolder // by lower-cased path; "" is the root
	seq          int                       // numbers revs and ids
	pageSize     int
	resets       int
	calls        []DropboxCall
	failNext     map[string]http.HandlerFunc
	downloadFunc func(w http.ResponseWriter, r *http.Request, f DropboxFile)
}

type dropboxFolder struct {
	path string // display path; "" for the root
	id   string
}

// dropboxEndpoints are the endpoints a DropboxServer serves, by host.
var (
	dropboxRPCEndpoints     = []string{"files/list_folder", "files/list_folder/continue", "files/get_metadata", "files/delete_v2"}
	dropboxContentEndpoints = []string{"files/download"}
)

// Dropbox starts a fake of the Dropbox API v2 on loopback: the RPC host
// (files/list_folder, files/list_folder/continue, files/get_metadata,
// files/delete_v2) and the content host (files/download), each an HTTP
// server on 127.0.0.1:0, over an empty Dropbox (the root folder only). It
// accepts only the bearer token Token. Both servers stop when t ends,
// closing their connections. See the package documentation for how
// strictly requests are checked.
func Dropbox(t testing.TB) *DropboxServer {
	t.Helper()
	return startDropbox(t)
}

// DropboxBehind is Dropbox with the content host reached through p: p is
// pointed at it and ContentURL names p, so that cutting p's connections
// cuts downloads. The RPC host is reached directly.
func DropboxBehind(t testing.TB, p *Proxy) *DropboxServer {
	t.Helper()
	s := startDropbox(t)
	p.SetTarget(s.content.Listener.Addr().String())
	s.contentURL = "http://" + p.Addr() + "/2"
	return s
}

func startDropbox(t testing.TB) *DropboxServer {
	t.Helper()
	s := &DropboxServer{
		t:        t,
		token:    "sl.testservers-" + randomHex(t, 16),
		files:    map[string]*DropboxFile{},
		folders:  map[string]*dropboxFolder{"": {}},
		pageSize: 1000,
		failNext: map[string]http.HandlerFunc{},
	}
	api := http.NewServeMux()
	api.HandleFunc("/2/files/list_folder", dropboxRPC(s, "files/list_folder", s.listFolder))
	api.HandleFunc("/2/files/list_folder/continue", dropboxRPC(s, "files/list_folder/continue", s.listFolderContinue))
	api.HandleFunc("/2/files/get_metadata", dropboxRPC(s, "files/get_metadata", s.getMetadata))
	api.HandleFunc("/2/files/delete_v2", dropboxRPC(s, "files/delete_v2", s.deleteV2))
	api.HandleFunc("/", s.unknown("RPC"))
	content := http.NewServeMux()
	content.HandleFunc("/2/files/download", s.download)
	content.HandleFunc("/", s.unknown("content"))
	s.api = httptest.NewServer(api)
	s.content = httptest.NewServer(content)
	s.contentURL = s.content.URL + "/2"
	t.Cleanup(func() {
		for _, srv := range []*httptest.Server{s.api, s.content} {
			srv.CloseClientConnections() // ends downloads left stalled
			srv.Close()
		}
	})
	return s
}

// Token is the only access token the server accepts; requests with another
// are answered 401 invalid_access_token, as Dropbox answers an expired or
// revoked token.
func (s *DropboxServer) Token() string { return s.token }

// BaseURL is the root of the RPC endpoints ("http://127.0.0.1:PORT/2"), for
// dropboxsource.Options.BaseURL.
func (s *DropboxServer) BaseURL() string { return s.api.URL + "/2" }

// ContentURL is the root of the content endpoints
// ("http://127.0.0.1:PORT/2"), for dropboxsource.Options.ContentURL.
func (s *DropboxServer) ContentURL() string { return s.contentURL }

// Put writes the file at p ("/a/b.csv"; the leading slash may be left out),
// creating its folders, and returns it. Writing an existing file (compared
// without case, as Dropbox does) replaces its content and gives it a new
// rev, keeping its name and id. A folder in the way fails t.
func (s *DropboxServer) Put(p, content string) DropboxFile {
	s.t.Helper()
	p = dropboxClean(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, err := s.mkdirAllLocked(path.Dir(p))
	lp := strings.ToLower(p)
	if err == nil && s.folders[lp] != nil {
		err = errors.New("a folder is there")
	}
	if err != nil {
		s.t.Errorf("testservers: DropboxServer.Put(%q): %v", p, err)
		return DropboxFile{}
	}
	s.seq++
	f := &DropboxFile{
		Path:        parent.path + "/" + path.Base(p),
		ID:          s.newIDLocked(),
		Content:     content,
		Rev:         fmt.Sprintf("%09x", 0x5f0000000+s.seq),
		Modified:    time.Now().UTC().Truncate(time.Second),
		ContentHash: dropboxContentHash([]byte(content)),
	}
	if old := s.files[lp]; old != nil {
		f.Path, f.ID = old.Path, old.ID
	}
	s.files[lp] = f
	return *f
}

// MkdirAll creates the folder p and its parents, as far as they are
// missing. A file in the way fails t.
func (s *DropboxServer) MkdirAll(p string) {
	s.t.Helper()
	p = dropboxClean(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.mkdirAllLocked(p); err != nil {
		s.t.Errorf("testservers: DropboxServer.MkdirAll(%q): %v", p, err)
	}
}

// mkdirAllLocked creates the folder p ("/" for the root) and its parents
// and returns it.
func (s *DropboxServer) mkdirAllLocked(p string) (*dropboxFolder, error) {
	if p == "/" {
		return s.folders[""], nil
	}
	parent, err := s.mkdirAllLocked(path.Dir(p))
	if err != nil {
		return nil, err
	}
	lp := strings.ToLower(p)
	if s.files[lp] != nil {
		return nil, fmt.Errorf("%s is a file", s.files[lp].Path)
	}
	if s.folders[lp] == nil {
		s.folders[lp] = &dropboxFolder{path: parent.path + "/" + path.Base(p), id: s.newIDLocked()}
	}
	return s.folders[lp], nil
}

func (s *DropboxServer) newIDLocked() string {
	s.seq++
	return fmt.Sprintf("id:testservers%010d", s.seq)
}

// File returns the file at p (compared without case), if there is one.
func (s *DropboxServer) File(p string) (DropboxFile, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[strings.ToLower(dropboxClean(p))]
	if f == nil {
		return DropboxFile{}, false
	}
	return *f, true
}

// Exists reports whether a file or a folder is at p (compared without
// case).
func (s *DropboxServer) Exists(p string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	lp := strings.ToLower(dropboxClean(p))
	return s.files[lp] != nil || s.folders[lp] != nil
}

// Files returns the display paths of every file, sorted.
func (s *DropboxServer) Files() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	paths := make([]string, 0, len(s.files))
	for _, f := range s.files {
		paths = append(paths, f.Path)
	}
	slices.Sort(paths)
	return paths
}

// Remove deletes the file or folder (with everything in it) at p, as
// another Dropbox client would, and reports whether there was one. The
// root cannot be removed.
func (s *DropboxServer) Remove(p string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removeLocked(strings.ToLower(dropboxClean(p)))
}

// removeLocked deletes the entry at the lower-cased path lp.
func (s *DropboxServer) removeLocked(lp string) bool {
	if s.files[lp] != nil {
		delete(s.files, lp)
		return true
	}
	if lp == "" || lp == "/" || s.folders[lp] == nil {
		return false
	}
	for p := range s.files {
		if strings.HasPrefix(p, lp+"/") {
			delete(s.files, p)
		}
	}
	for p := range s.folders {
		if p == lp || strings.HasPrefix(p, lp+"/") {
			delete(s.folders, p)
		}
	}
	return true
}

// Calls returns the requests accepted so far, in order.
func (s *DropboxServer) Calls() []DropboxCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Endpoints returns the endpoints of Calls, in order.
func (s *DropboxServer) Endpoints() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	eps := make([]string, 0, len(s.calls))
	for _, c := range s.calls {
		eps = append(eps, c.Endpoint)
	}
	return eps
}

// LastArg returns the argument of the last accepted call to endpoint, nil
// if there was none.
func (s *DropboxServer) LastArg(endpoint string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.calls) - 1; i >= 0; i-- {
		if s.calls[i].Endpoint == endpoint {
			return s.calls[i].Arg
		}
	}
	return nil
}

// SetPageSize sets how many entries a page of files/list_folder holds at
// most (default 1000; a request's limit lowers it).
func (s *DropboxServer) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = max(n, 1)
}

// ResetCursors makes the next n calls of files/list_folder/continue answer
// 409 reset, as Dropbox does when a cursor has expired and the listing must
// start over.
func (s *DropboxServer) ResetCursors(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resets = n
}

// FailNext makes the next accepted request to endpoint ("files/download",
// "files/list_folder", ...) answered by answer instead (its body already
// read), once; a later FailNext for the same endpoint replaces it.
// DropboxEndpointError, DropboxTooManyRequests and DropboxServerError give
// the documented error answers; answer may also stall, or hijack the
// connection.
func (s *DropboxServer) FailNext(endpoint string, answer http.HandlerFunc) {
	s.t.Helper()
	if !slices.Contains(dropboxRPCEndpoints, endpoint) && !slices.Contains(dropboxContentEndpoints, endpoint) {
		s.t.Errorf("testservers: DropboxServer.FailNext: %q is not an endpoint the server serves", endpoint)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[endpoint] = answer
}

// SetDownloadFunc makes fn answer every download of an existing file
// instead of the server (nil restores the server's answer): fn gets the
// file and writes the whole answer, e.g. part of the content and then a
// cut connection, or a stall until r's context ends. Answers for missing
// files, folders and bad requests stay the server's.
func (s *DropboxServer) SetDownloadFunc(fn func(w http.ResponseWriter, r *http.Request, f DropboxFile)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.downloadFunc = fn
}

// DropboxEndpointError returns an answer (for FailNext) of 409 with the
// endpoint-specific error whose tags are tags, in Dropbox's shape: tags
// "path", "not_found" give {"error_summary": "path/not_found/..",
// "error": {".tag": "path", "path": {".tag": "not_found"}}}.
func DropboxEndpointError(tags ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { dropboxEndpointError(w, tags...) }
}

// DropboxTooManyRequests returns an answer (for FailNext) of 429 asking to
// retry after retryAfterSeconds, in the header Retry-After and in the
// documented RateLimitError body.
func DropboxTooManyRequests(retryAfterSeconds int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		dropboxJSON(w, http.StatusTooManyRequests, map[string]any{
			"error_summary": "too_many_requests/..",
			"error":         map[string]any{"reason": map[string]any{".tag": "too_many_requests"}, "retry_after": retryAfterSeconds},
		})
	}
}

// DropboxServerError answers (for FailNext) 500 with a text body, as
// Dropbox does when it fails itself.
func DropboxServerError(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "Internal Server Error", http.StatusInternalServerError)
}

func dropboxJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func dropboxEndpointError(w http.ResponseWriter, tags ...string) {
	var union func(i int) map[string]any
	union = func(i int) map[string]any {
		u := map[string]any{".tag": tags[i]}
		if i+1 < len(tags) {
			u[tags[i]] = union(i + 1)
		}
		return u
	}
	dropboxJSON(w, http.StatusConflict, map[string]any{
		"error_summary": strings.Join(tags, "/") + "/..",
		"error":         union(0),
	})
}

// badRequest answers as Dropbox does a malformed request (400, a text
// body), and fails the test: the client sent what the API does not take.
func (s *DropboxServer) badRequest(w http.ResponseWriter, endpoint, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.t.Errorf("testservers: fake Dropbox: %s: %s", endpoint, msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = fmt.Fprintf(w, "Error in call to API function %q: %s", endpoint, msg)
}

// unknown answers a request to a path the host does not serve.
func (s *DropboxServer) unknown(host string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.badRequest(w, strings.TrimPrefix(r.URL.Path, "/2/"), "unknown API function %s %s on the %s host", r.Method, r.URL.Path, host)
	}
}

// authorized checks the bearer token, answering 401 when it is not Token.
func (s *DropboxServer) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") == "Bearer "+s.token {
		return true
	}
	dropboxJSON(w, http.StatusUnauthorized, map[string]any{
		"error_summary": "invalid_access_token/...",
		"error":         map[string]any{".tag": "invalid_access_token"},
	})
	return false
}

// accept records an accepted call and returns the answer FailNext set for
// it, if any.
func (s *DropboxServer) accept(endpoint string, raw []byte) http.HandlerFunc {
	var arg map[string]any
	_ = json.Unmarshal(raw, &arg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, DropboxCall{Endpoint: endpoint, Arg: arg})
	fail := s.failNext[endpoint]
	delete(s.failNext, endpoint)
	return fail
}

// dropboxArg is the argument of an endpoint. check answers 400, as
// Dropbox does, when a field breaks its documented type or pattern.
type dropboxArg interface {
	check(s *DropboxServer, w http.ResponseWriter, endpoint string) bool
}

// dropboxRPC serves an RPC endpoint: POST, the bearer token, Content-Type
// application/json, a JSON body that decodeDropboxArg takes, then handle
// (a generic function, as methods cannot be).
func dropboxRPC[A dropboxArg](s *DropboxServer, endpoint string, handle func(w http.ResponseWriter, arg A)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			s.badRequest(w, endpoint, "method %s; RPC endpoints take POST", r.Method)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=utf-8" {
			s.badRequest(w, endpoint, "Bad HTTP \"Content-Type\" header: %q. Expecting one of \"application/json\", \"application/json; charset=utf-8\"", ct)
			return
		}
		if !s.authorized(w, r) {
			return
		}
		raw, _ := io.ReadAll(r.Body)
		arg, ok := decodeDropboxArg[A](s, w, endpoint, "request body", raw)
		if !ok {
			return
		}
		if fail := s.accept(endpoint, raw); fail != nil {
			fail(w, r)
			return
		}
		handle(w, arg)
	}
}

// decodeDropboxArg decodes the argument raw of endpoint, which where (the
// body or a header) carried, into a fresh A, refusing unknown fields, and
// checks it; it answers 400 when it fails.
func decodeDropboxArg[A dropboxArg](s *DropboxServer, w http.ResponseWriter, endpoint, where string, raw []byte) (A, bool) {
	var arg A
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&arg); err != nil {
		s.badRequest(w, endpoint, "%s: could not decode input as JSON (%v): %s", where, err, raw)
		return arg, false
	}
	return arg, arg.check(s, w, endpoint)
}

// The arguments, with every documented field the server honours or may
// ignore (so that anything else fails the decoding).

// dropboxGetMetadataArg is the argument of files/get_metadata; its fields
// start the argument of files/list_folder too.
type dropboxGetMetadataArg struct {
	Path                            *string `json:"path"`
	IncludeMediaInfo                *bool   `json:"include_media_info"`
	IncludeDeleted                  *bool   `json:"include_deleted"`
	IncludeHasExplicitSharedMembers *bool   `json:"include_has_explicit_shared_members"`
}

type dropboxListFolderArg struct {
	dropboxGetMetadataArg
	Recursive                   *bool `json:"recursive"`
	IncludeMountedFolders       *bool `json:"include_mounted_folders"`
	Limit                       *int  `json:"limit"`
	IncludeNonDownloadableFiles *bool `json:"include_non_downloadable_files"`
}

type dropboxContinueArg struct {
	Cursor *string `json:"cursor"`
}

type dropboxDeleteArg struct {
	Path      *string `json:"path"`
	ParentRev *string `json:"parent_rev"`
}

type dropboxDownloadArg struct {
	Path *string `json:"path"`
	Rev  *string `json:"rev"`
}

// dropboxPathPattern is the pattern Dropbox documents for the path
// arguments of list_folder (the others refuse "" besides).
var dropboxPathPattern = regexp.MustCompile(`^((/(.|[\r\n])*)?|id:.*|(ns:[0-9]+(/.*)?))$`)

// checkPath checks a path argument against the documented pattern.
func (s *DropboxServer) checkPath(w http.ResponseWriter, endpoint string, p *string, rootAllowed bool) bool {
	switch {
	case p == nil:
		s.badRequest(w, endpoint, "request body: missing required field 'path'")
	case !dropboxPathPattern.MatchString(*p) || (*p == "" && !rootAllowed):
		s.badRequest(w, endpoint, "request body: path: %q did not match pattern", *p)
	default:
		return true
	}
	return false
}

func (a dropboxListFolderArg) check(s *DropboxServer, w http.ResponseWriter, endpoint string) bool {
	switch {
	case !s.checkPath(w, endpoint, a.Path, true):
		return false
	case a.Recursive != nil && *a.Recursive:
		s.badRequest(w, endpoint, "the fake does not list recursively")
		return false
	case a.Limit != nil && (*a.Limit < 1 || *a.Limit > 2000):
		s.badRequest(w, endpoint, "request body: limit: %d not within the range [1, 2000]", *a.Limit)
		return false
	}
	return true
}

func (a dropboxContinueArg) check(s *DropboxServer, w http.ResponseWriter, endpoint string) bool {
	if a.Cursor == nil {
		s.badRequest(w, endpoint, "request body: missing required field 'cursor'")
		return false
	}
	if _, _, _, ok := parseDropboxCursor(*a.Cursor); !ok {
		s.badRequest(w, endpoint, "request body: cursor: invalid cursor %q", *a.Cursor)
		return false
	}
	return true
}

func (a dropboxGetMetadataArg) check(s *DropboxServer, w http.ResponseWriter, endpoint string) bool {
	return s.checkPath(w, endpoint, a.Path, false)
}

func (a dropboxDeleteArg) check(s *DropboxServer, w http.ResponseWriter, endpoint string) bool {
	return s.checkPath(w, endpoint, a.Path, false)
}

func (a dropboxDownloadArg) check(s *DropboxServer, w http.ResponseWriter, endpoint string) bool {
	return s.checkPath(w, endpoint, a.Path, false)
}

// malformedPath answers 409 path/malformed_path for the paths that match
// the pattern but name nothing Dropbox allows: "/" and a trailing slash.
func malformedPath(w http.ResponseWriter, p string) bool {
	if p == "/" || (len(p) > 1 && strings.HasSuffix(p, "/")) {
		dropboxEndpointError(w, "path", "malformed_path")
		return true
	}
	return false
}

// dropboxCursor is the cursor of a listing of the folder lp, holding at
// most limit entries a page (0: the page size), whose next page starts at
// offset: opaque to the client.
func dropboxCursor(lp string, limit, offset int) string {
	return "AAH" + hex.EncodeToString([]byte(lp+"\x00"+strconv.Itoa(limit)+"\x00"+strconv.Itoa(offset)))
}

// parseDropboxCursor is the inverse of dropboxCursor.
func parseDropboxCursor(c string) (lp string, limit, offset int, ok bool) {
	h, found := strings.CutPrefix(c, "AAH")
	raw, err := hex.DecodeString(h)
	parts := strings.Split(string(raw), "\x00")
	if !found || err != nil || len(parts) != 3 {
		return "", 0, 0, false
	}
	limit, err = strconv.Atoi(parts[1])
	if err != nil {
		return "", 0, 0, false
	}
	offset, err = strconv.Atoi(parts[2])
	return parts[0], limit, offset, err == nil
}

// resolveLocked returns the lower-cased path of the entry p names: a path
// ("" for the root), or an id, alone or followed by a path below it. A
// namespace path names nothing here.
func (s *DropboxServer) resolveLocked(p string) string {
	if rest, ok := strings.CutPrefix(p, "id:"); ok {
		id, below, _ := strings.Cut(rest, "/")
		for lp, f := range s.files {
			if f.ID == "id:"+id && below == "" {
				return lp
			}
		}
		for lp, f := range s.folders {
			if f.id == "id:"+id {
				if below == "" {
					return lp
				}
				return lp + "/" + strings.ToLower(below)
			}
		}
		return "\x00unknown id"
	}
	if strings.HasPrefix(p, "ns:") {
		return "\x00no namespaces"
	}
	return strings.ToLower(p)
}

// dropboxFileMetadata is f's FileMetadata, as the API returns it.
func dropboxFileMetadata(f *DropboxFile) map[string]any {
	ts := f.Modified.Format(time.RFC3339)
	return map[string]any{
		".tag":            "file",
		"name":            path.Base(f.Path),
		"id":              f.ID,
		"client_modified": ts,
		"server_modified": ts,
		"rev":             f.Rev,
		"size":            len(f.Content),
		"path_lower":      strings.ToLower(f.Path),
		"path_display":    f.Path,
		"is_downloadable": true,
		"content_hash":    f.ContentHash,
	}
}

// dropboxFolderMetadata is f's FolderMetadata.
func dropboxFolderMetadata(f *dropboxFolder) map[string]any {
	return map[string]any{
		".tag":         "folder",
		"name":         path.Base(f.path),
		"id":           f.id,
		"path_lower":   strings.ToLower(f.path),
		"path_display": f.path,
	}
}

// dropboxContentHash is Dropbox's content hash: the SHA-256 of the
// concatenated SHA-256 digests of each 4 MiB block.
func dropboxContentHash(b []byte) string {
	outer := sha256.New()
	for len(b) > 0 {
		n := min(len(b), 4<<20)
		sum := sha256.Sum256(b[:n])
		outer.Write(sum[:])
		b = b[n:]
	}
	return hex.EncodeToString(outer.Sum(nil))
}

// dropboxClean returns p as an absolute, clean path ("/" for the root).
func dropboxClean(p string) string {
	return path.Clean("/" + p)
}

// dropboxParent returns the lower-cased path of the folder holding the
// entry at lp ("" for the root).
func dropboxParent(lp string) string {
	if d := path.Dir(lp); d != "/" {
		return d
	}
	return ""
}

// childrenLocked returns the metadata of the entries directly in the
// folder lp, sorted by path_lower.
func (s *DropboxServer) childrenLocked(lp string) []map[string]any {
	entries := []map[string]any{}
	for p, f := range s.files {
		if dropboxParent(p) == lp {
			entries = append(entries, dropboxFileMetadata(f))
		}
	}
	for p, f := range s.folders {
		if p != "" && dropboxParent(p) == lp {
			entries = append(entries, dropboxFolderMetadata(f))
		}
	}
	slices.SortFunc(entries, func(a, b map[string]any) int {
		return strings.Compare(a["path_lower"].(string), b["path_lower"].(string))
	})
	return entries
}

func (s *DropboxServer) listFolder(w http.ResponseWriter, arg dropboxListFolderArg) {
	if malformedPath(w, *arg.Path) {
		return
	}
	limit := 0
	if arg.Limit != nil {
		limit = *arg.Limit
	}
	s.mu.Lock()
	lp := s.resolveLocked(*arg.Path)
	isFolder, isFile := s.folders[lp] != nil, s.files[lp] != nil
	s.mu.Unlock()
	switch {
	case isFile:
		dropboxEndpointError(w, "path", "not_folder")
	case !isFolder:
		dropboxEndpointError(w, "path", "not_found")
	default:
		s.page(w, lp, limit, 0)
	}
}

// page answers the page of folder lp's listing that starts at offset,
// holding at most limit entries (0: the page size).
func (s *DropboxServer) page(w http.ResponseWriter, lp string, limit, offset int) {
	s.mu.Lock()
	entries := s.childrenLocked(lp)
	size := s.pageSize
	s.mu.Unlock()
	if limit > 0 {
		size = min(size, limit)
	}
	offset = min(offset, len(entries))
	end := min(offset+size, len(entries))
	dropboxJSON(w, http.StatusOK, map[string]any{
		"entries": entries[offset:end], "cursor": dropboxCursor(lp, limit, end), "has_more": end < len(entries),
	})
}

func (s *DropboxServer) listFolderContinue(w http.ResponseWriter, arg dropboxContinueArg) {
	s.mu.Lock()
	reset := s.resets > 0
	if reset {
		s.resets--
	}
	s.mu.Unlock()
	if reset {
		dropboxJSON(w, http.StatusConflict, map[string]any{"error_summary": "reset/...", "error": map[string]any{".tag": "reset"}})
		return
	}
	lp, limit, offset, _ := parseDropboxCursor(*arg.Cursor) // checked
	s.mu.Lock()
	exists := s.folders[lp] != nil
	s.mu.Unlock()
	if !exists { // deleted since
		dropboxEndpointError(w, "path", "not_found")
		return
	}
	s.page(w, lp, limit, offset)
}

func (s *DropboxServer) getMetadata(w http.ResponseWriter, arg dropboxGetMetadataArg) {
	if malformedPath(w, *arg.Path) {
		return
	}
	s.mu.Lock()
	lp := s.resolveLocked(*arg.Path)
	var meta map[string]any
	if f := s.files[lp]; f != nil {
		meta = dropboxFileMetadata(f)
	} else if f := s.folders[lp]; f != nil && lp != "" {
		meta = dropboxFolderMetadata(f)
	}
	s.mu.Unlock()
	if meta == nil {
		dropboxEndpointError(w, "path", "not_found")
		return
	}
	dropboxJSON(w, http.StatusOK, meta)
}

func (s *DropboxServer) deleteV2(w http.ResponseWriter, arg dropboxDeleteArg) {
	if malformedPath(w, *arg.Path) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	lp := s.resolveLocked(*arg.Path)
	file, folder := s.files[lp], s.folders[lp]
	switch {
	case file == nil && (folder == nil || lp == ""):
		dropboxEndpointError(w, "path_lookup", "not_found")
	case arg.ParentRev != nil && (file == nil || file.Rev != *arg.ParentRev):
		// A folder, or another version of the file, than parent_rev names.
		// (The tags Dropbox gives this case are not documented; these are
		// the fake's.)
		dropboxEndpointError(w, "path_write", "conflict", "file")
	case file != nil:
		s.removeLocked(lp)
		dropboxJSON(w, http.StatusOK, map[string]any{"metadata": dropboxFileMetadata(file)})
	default:
		s.removeLocked(lp)
		dropboxJSON(w, http.StatusOK, map[string]any{"metadata": dropboxFolderMetadata(folder)})
	}
}

// download serves files/download: POST (or GET), the bearer token, no
// body and no JSON Content-Type, the argument in an HTTP-header-safe
// Dropbox-API-Arg header; the answer carries the file's metadata in
// Dropbox-API-Result and its content in the body.
func (s *DropboxServer) download(w http.ResponseWriter, r *http.Request) {
	const endpoint = "files/download"
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		s.badRequest(w, endpoint, "method %s", r.Method)
		return
	}
	switch ct := r.Header.Get("Content-Type"); ct {
	case "", "text/plain", "text/plain; charset=utf-8", "application/octet-stream", "application/octet-stream; charset=utf-8":
	default:
		s.badRequest(w, endpoint, "Bad HTTP \"Content-Type\" header: %q", ct)
		return
	}
	if !s.authorized(w, r) {
		return
	}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		s.badRequest(w, endpoint, "a download request has no body, got %d bytes", len(b))
		return
	}
	raw := r.Header.Get("Dropbox-API-Arg")
	for i := 0; i < len(raw); i++ {
		if raw[i] >= 0x7f || raw[i] < 0x20 {
			s.badRequest(w, endpoint, "Dropbox-API-Arg: byte 0x%02x at %d is not HTTP-header safe (escape it as \\uXXXX)", raw[i], i)
			return
		}
	}
	arg, ok := decodeDropboxArg[dropboxDownloadArg](s, w, endpoint, `HTTP header "Dropbox-API-Arg"`, []byte(raw))
	if !ok {
		return
	}
	if arg.Rev != nil {
		s.badRequest(w, endpoint, "rev %q: the fake keeps no revisions but the current; the rev argument is deprecated", *arg.Rev)
		return
	}
	if fail := s.accept(endpoint, []byte(raw)); fail != nil {
		fail(w, r)
		return
	}
	if malformedPath(w, *arg.Path) {
		return
	}
	s.mu.Lock()
	lp := s.resolveLocked(*arg.Path)
	var file *DropboxFile
	if f := s.files[lp]; f != nil {
		c := *f // a copy, read after the lock is released
		file = &c
	}
	isFolder := s.folders[lp] != nil
	custom := s.downloadFunc
	s.mu.Unlock()
	switch {
	case file == nil && isFolder:
		dropboxEndpointError(w, "path", "not_file")
	case file == nil:
		dropboxEndpointError(w, "path", "not_found")
	case custom != nil:
		custom(w, r, *file)
	default:
		w.Header().Set("Dropbox-API-Result", file.APIResult())
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(file.Content)))
		_, _ = io.WriteString(w, file.Content)
	}
}

// dropboxHeaderSafe is v as HTTP-header-safe JSON, as Dropbox sends
// Dropbox-API-Result (written apart from dropboxsource's encoder, which
// the server checks).
func dropboxHeaderSafe(v any) string {
	raw, _ := json.Marshal(v)
	var b strings.Builder
	for _, r := range string(raw) {
		if r < 0x7f {
			b.WriteRune(r)
			continue
		}
		var buf [2]uint16
		n := 1
		if r > 0xffff {
			r -= 0x10000
			buf[0], buf[1], n = uint16(0xd800+(r>>10)), uint16(0xdc00+(r&0x3ff)), 2
		} else {
			buf[0] = uint16(r)
		}
		for _, u := range buf[:n] {
			fmt.Fprintf(&b, "\\u%04x", u)
		}
	}
	return b.String()
}
