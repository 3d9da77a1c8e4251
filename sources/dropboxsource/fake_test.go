package dropboxsource_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDropbox is the part of the Dropbox API v2 the source uses, served by
// two httptest servers (the RPC host and the content host) and strict
// about requests: each must have the method, path, headers and JSON
// argument the API documents, or the test fails and the answer is the 400
// Dropbox would give. Answers have the documented shapes.
type fakeDropbox struct {
	t        *testing.T
	token    string
	api      *httptest.Server
	content  *httptest.Server
	pageSize int // entries per list_folder page

	mu      sync.Mutex
	files   map[string]*fakeFile // by lower-cased path
	folders map[string]string    // lower-cased path → display path; "" is the root
	revSeq  int
	calls   []fakeCall
	// resets is how many list_folder/continue calls answer "reset".
	resets int
	// failNext, when set, answers the next request to an endpoint instead.
	failNext map[string]func(w http.ResponseWriter)
	// downloadFunc, when set, answers downloads instead of the fake.
	downloadFunc func(w http.ResponseWriter, r *http.Request, f *fakeFile)
}

type fakeFile struct {
	path     string // display path
	content  []byte
	rev      string
	modified time.Time
}

// fakeCall is one request the fake received.
type fakeCall struct {
	Endpoint string
	Arg      map[string]any
}

func newFakeDropbox(t *testing.T) *fakeDropbox {
	t.Helper()
	f := &fakeDropbox{
		t:        t,
		token:    "sl.test-token-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		pageSize: 1000,
		files:    map[string]*fakeFile{},
		folders:  map[string]string{"": ""},
		failNext: map[string]func(http.ResponseWriter){},
	}
	api := http.NewServeMux()
	api.HandleFunc("/2/files/list_folder", f.rpc("files/list_folder", f.listFolder))
	api.HandleFunc("/2/files/list_folder/continue", f.rpc("files/list_folder/continue", f.listFolderContinue))
	api.HandleFunc("/2/files/get_metadata", f.rpc("files/get_metadata", f.getMetadata))
	api.HandleFunc("/2/files/delete_v2", f.rpc("files/delete_v2", f.deleteV2))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake dropbox: unexpected request %s %s on the API host", r.Method, r.URL.Path)
		http.Error(w, "Unknown API function: "+r.URL.Path, http.StatusBadRequest)
	})
	content := http.NewServeMux()
	content.HandleFunc("/2/files/download", f.download)
	content.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake dropbox: unexpected request %s %s on the content host", r.Method, r.URL.Path)
		http.Error(w, "Unknown API function: "+r.URL.Path, http.StatusBadRequest)
	})
	f.api = httptest.NewServer(api)
	f.content = httptest.NewServer(content)
	t.Cleanup(f.api.Close)
	t.Cleanup(f.content.Close)
	return f
}

// baseURL and contentURL are the roots to give Options.
func (f *fakeDropbox) baseURL() string    { return f.api.URL + "/2" }
func (f *fakeDropbox) contentURL() string { return f.content.URL + "/2" }

// mkdir creates a folder and its parents.
func (f *fakeDropbox) mkdir(p string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mkdirLocked(p)
}

func (f *fakeDropbox) mkdirLocked(p string) {
	for p != "/" && p != "" {
		f.folders[strings.ToLower(p)] = p
		p = path.Dir(p)
	}
}

// put writes a file (creating its folder), giving it a new rev.
func (f *fakeDropbox) put(p string, content []byte) *fakeFile {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mkdirLocked(path.Dir(p))
	f.revSeq++
	file := &fakeFile{path: p, content: content, rev: fmt.Sprintf("%09x", 0x5f0000000+f.revSeq), modified: time.Now().UTC().Truncate(time.Second)}
	f.files[strings.ToLower(p)] = file
	return file
}

func (f *fakeDropbox) file(p string) *fakeFile {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.files[strings.ToLower(p)]
}

// endpoints returns the endpoints called so far, in order.
func (f *fakeDropbox) endpoints() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var eps []string
	for _, c := range f.calls {
		eps = append(eps, c.Endpoint)
	}
	return eps
}

// lastArg returns the argument of the last call to endpoint.
func (f *fakeDropbox) lastArg(endpoint string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.calls) - 1; i >= 0; i-- {
		if f.calls[i].Endpoint == endpoint {
			return f.calls[i].Arg
		}
	}
	return nil
}

// fail makes the next request to endpoint answer with answer.
func (f *fakeDropbox) fail(endpoint string, answer func(w http.ResponseWriter)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext[endpoint] = answer
}

// Answers with the documented error shapes.

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError answers 409 with a tagged error: tags "path", "not_found" give
// {"error_summary": "path/not_found/..", "error": {".tag": "path", "path": {".tag": "not_found"}}}.
func apiError(w http.ResponseWriter, tags ...string) {
	var build func(i int) map[string]any
	build = func(i int) map[string]any {
		u := map[string]any{".tag": tags[i]}
		if i+1 < len(tags) {
			u[tags[i]] = build(i + 1)
		}
		return u
	}
	writeJSON(w, http.StatusConflict, map[string]any{
		"error_summary": strings.Join(tags, "/") + "/..",
		"error":         build(0),
	})
}

func invalidToken(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, map[string]any{
		"error_summary": "invalid_access_token/...",
		"error":         map[string]any{".tag": "invalid_access_token"},
	})
}

func rateLimited(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "3")
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"error_summary": "too_many_requests/..",
		"error":         map[string]any{"reason": map[string]any{".tag": "too_many_requests"}, "retry_after": 3},
	})
}

func serverError(w http.ResponseWriter) {
	http.Error(w, "Internal Server Error", http.StatusInternalServerError)
}

// badRequest answers as Dropbox does a malformed request: 400, plain text.
func (f *fakeDropbox) badRequest(w http.ResponseWriter, endpoint, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	f.t.Errorf("fake dropbox: %s: %s", endpoint, msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = fmt.Fprintf(w, "Error in call to API function %q: %s", endpoint, msg)
}

// authorized checks the bearer token; a wrong one is answered 401.
func (f *fakeDropbox) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		invalidToken(w)
		return false
	}
	return true
}

// pathPattern is the pattern Dropbox documents for the path arguments.
var pathPattern = regexp.MustCompile(`^((/(.|[\r\n])*)?|id:.*|(ns:[0-9]+(/.*)?))$`)

// rpc wraps the handler of an RPC endpoint: POST, bearer token,
// Content-Type application/json, a JSON body with exactly the documented
// fields (decoded into a fresh value of the handler's argument type).
func rpcHandler[A any](f *fakeDropbox, endpoint string, handle func(w http.ResponseWriter, arg A)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			f.badRequest(w, endpoint, "method %s; RPC endpoints take POST", r.Method)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=utf-8" {
			f.badRequest(w, endpoint, "Bad HTTP \"Content-Type\" header: %q. Expecting one of \"application/json\", \"application/json; charset=utf-8\"", ct)
			return
		}
		if !f.authorized(w, r) {
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var arg A
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&arg); err != nil {
			f.badRequest(w, endpoint, "request body: could not decode input as JSON (%v): %s", err, raw)
			return
		}
		var asMap map[string]any
		_ = json.Unmarshal(raw, &asMap)
		f.mu.Lock()
		f.calls = append(f.calls, fakeCall{Endpoint: endpoint, Arg: asMap})
		fail := f.failNext[endpoint]
		delete(f.failNext, endpoint)
		f.mu.Unlock()
		if fail != nil {
			fail(w)
			return
		}
		handle(w, arg)
	}
}

// rpc adapts a method with a typed argument (methods cannot be generic).
func (f *fakeDropbox) rpc(endpoint string, handle any) http.HandlerFunc {
	switch h := handle.(type) {
	case func(http.ResponseWriter, fakeListFolderArg):
		return rpcHandler(f, endpoint, h)
	case func(http.ResponseWriter, fakeContinueArg):
		return rpcHandler(f, endpoint, h)
	case func(http.ResponseWriter, fakePathArg):
		return rpcHandler(f, endpoint, h)
	case func(http.ResponseWriter, fakeDeleteArg):
		return rpcHandler(f, endpoint, h)
	}
	panic("fake dropbox: unknown handler type")
}

// The arguments, with every documented field (so that a documented field
// the source sends decodes, and anything else fails).

type fakeListFolderArg struct {
	Path                            *string `json:"path"`
	Recursive                       *bool   `json:"recursive"`
	IncludeMediaInfo                *bool   `json:"include_media_info"`
	IncludeDeleted                  *bool   `json:"include_deleted"`
	IncludeHasExplicitSharedMembers *bool   `json:"include_has_explicit_shared_members"`
	IncludeMountedFolders           *bool   `json:"include_mounted_folders"`
	Limit                           *int    `json:"limit"`
	IncludeNonDownloadableFiles     *bool   `json:"include_non_downloadable_files"`
}

type fakeContinueArg struct {
	Cursor *string `json:"cursor"`
}

type fakePathArg struct {
	Path                            *string `json:"path"`
	IncludeMediaInfo                *bool   `json:"include_media_info"`
	IncludeDeleted                  *bool   `json:"include_deleted"`
	IncludeHasExplicitSharedMembers *bool   `json:"include_has_explicit_shared_members"`
}

type fakeDeleteArg struct {
	Path      *string `json:"path"`
	ParentRev *string `json:"parent_rev"`
}

// checkPath checks a path argument as Dropbox does.
func (f *fakeDropbox) checkPath(w http.ResponseWriter, endpoint string, p *string, rootAllowed bool) bool {
	switch {
	case p == nil:
		f.badRequest(w, endpoint, "request body: missing required field 'path'")
	case !pathPattern.MatchString(*p) || (*p == "" && !rootAllowed):
		f.badRequest(w, endpoint, "request body: path: %q did not match pattern", *p)
	case *p == "/" || (len(*p) > 1 && strings.HasSuffix(*p, "/")):
		apiError(w, "path", "malformed_path")
	default:
		return true
	}
	return false
}

// fileMetadata is a file's FileMetadata as the API returns it.
func fileMetadata(file *fakeFile) map[string]any {
	ts := file.modified.Format(time.RFC3339)
	return map[string]any{
		".tag":            "file",
		"name":            path.Base(file.path),
		"id":              "id:" + hex.EncodeToString([]byte(strings.ToLower(file.path)))[:16],
		"client_modified": ts,
		"server_modified": ts,
		"rev":             file.rev,
		"size":            len(file.content),
		"path_lower":      strings.ToLower(file.path),
		"path_display":    file.path,
		"is_downloadable": true,
		"content_hash":    contentHash(file.content),
	}
}

func folderMetadata(display string) map[string]any {
	return map[string]any{
		".tag":         "folder",
		"name":         path.Base(display),
		"id":           "id:" + hex.EncodeToString([]byte(strings.ToLower(display)))[:16],
		"path_lower":   strings.ToLower(display),
		"path_display": display,
	}
}

// contentHash is Dropbox's content hash: SHA-256 of the concatenated
// SHA-256 digests of each 4 MiB block.
func contentHash(b []byte) string {
	outer := sha256.New()
	for len(b) > 0 {
		n := min(len(b), 4<<20)
		sum := sha256.Sum256(b[:n])
		outer.Write(sum[:])
		b = b[n:]
	}
	return hex.EncodeToString(outer.Sum(nil))
}

// children returns the metadata of the entries directly in folder (lower-cased).
func (f *fakeDropbox) children(folder string) []map[string]any {
	var entries []map[string]any
	for lp, file := range f.files {
		if path.Dir(lp) == folder || (folder == "" && path.Dir(lp) == "/") {
			entries = append(entries, fileMetadata(file))
		}
	}
	for lp, display := range f.folders {
		if lp != "" && (path.Dir(lp) == folder || (folder == "" && path.Dir(lp) == "/")) {
			entries = append(entries, folderMetadata(display))
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i]["path_lower"].(string) < entries[j]["path_lower"].(string) })
	return entries
}

func (f *fakeDropbox) listFolder(w http.ResponseWriter, arg fakeListFolderArg) {
	if !f.checkPath(w, "files/list_folder", arg.Path, true) {
		return
	}
	if arg.Recursive != nil && *arg.Recursive {
		f.t.Errorf("fake dropbox: files/list_folder: recursive listing asked for")
	}
	folder := strings.ToLower(*arg.Path)
	f.mu.Lock()
	_, isFolder := f.folders[folder]
	_, isFile := f.files[folder]
	f.mu.Unlock()
	switch {
	case isFile:
		apiError(w, "path", "not_folder")
		return
	case !isFolder:
		apiError(w, "path", "not_found")
		return
	}
	f.page(w, folder, 0)
}

// page answers one page of folder's listing from offset; the cursor is
// opaque to the client.
func (f *fakeDropbox) page(w http.ResponseWriter, folder string, offset int) {
	f.mu.Lock()
	entries := f.children(folder)
	f.mu.Unlock()
	end := min(offset+f.pageSize, len(entries))
	page := entries[offset:end]
	if page == nil {
		page = []map[string]any{}
	}
	cursor := "AAH" + hex.EncodeToString([]byte(folder+"\x00"+strconv.Itoa(end)))
	writeJSON(w, http.StatusOK, map[string]any{"entries": page, "cursor": cursor, "has_more": end < len(entries)})
}

func (f *fakeDropbox) listFolderContinue(w http.ResponseWriter, arg fakeContinueArg) {
	if arg.Cursor == nil {
		f.badRequest(w, "files/list_folder/continue", "request body: missing required field 'cursor'")
		return
	}
	f.mu.Lock()
	reset := f.resets > 0
	if reset {
		f.resets--
	}
	f.mu.Unlock()
	if reset {
		writeJSON(w, http.StatusConflict, map[string]any{"error_summary": "reset/...", "error": map[string]any{".tag": "reset"}})
		return
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(*arg.Cursor, "AAH"))
	folder, off, ok := strings.Cut(string(raw), "\x00")
	n, aerr := strconv.Atoi(off)
	if err != nil || !ok || aerr != nil {
		f.badRequest(w, "files/list_folder/continue", "request body: cursor: invalid cursor")
		return
	}
	f.page(w, folder, n)
}

func (f *fakeDropbox) getMetadata(w http.ResponseWriter, arg fakePathArg) {
	if !f.checkPath(w, "files/get_metadata", arg.Path, false) {
		return
	}
	lp := strings.ToLower(*arg.Path)
	f.mu.Lock()
	file, display := f.files[lp], f.folders[lp]
	f.mu.Unlock()
	switch {
	case file != nil:
		writeJSON(w, http.StatusOK, fileMetadata(file))
	case display != "":
		writeJSON(w, http.StatusOK, folderMetadata(display))
	default:
		apiError(w, "path", "not_found")
	}
}

func (f *fakeDropbox) deleteV2(w http.ResponseWriter, arg fakeDeleteArg) {
	if !f.checkPath(w, "files/delete_v2", arg.Path, false) {
		return
	}
	lp := strings.ToLower(*arg.Path)
	f.mu.Lock()
	defer f.mu.Unlock()
	file, display := f.files[lp], f.folders[lp]
	switch {
	case file == nil && display == "":
		apiError(w, "path_lookup", "not_found")
	case arg.ParentRev != nil && (file == nil || file.rev != *arg.ParentRev):
		// A folder, or another version of the file, than parent_rev names.
		// (The tags Dropbox gives this case are not documented; these are
		// the fake's.)
		apiError(w, "path_write", "conflict", "file")
	case file != nil:
		delete(f.files, lp)
		writeJSON(w, http.StatusOK, map[string]any{"metadata": fileMetadata(file)})
	default:
		for p := range f.files { // a folder goes with everything in it
			if strings.HasPrefix(p, lp+"/") {
				delete(f.files, p)
			}
		}
		for p := range f.folders {
			if p == lp || strings.HasPrefix(p, lp+"/") {
				delete(f.folders, p)
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"metadata": folderMetadata(display)})
	}
}

// download serves files/download: POST, bearer token, no body, no JSON
// Content-Type, the argument in an ASCII-only Dropbox-API-Arg header; the
// metadata answers in Dropbox-API-Result, the content in the body.
func (f *fakeDropbox) download(w http.ResponseWriter, r *http.Request) {
	const endpoint = "files/download"
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		f.badRequest(w, endpoint, "method %s", r.Method)
		return
	}
	switch ct := r.Header.Get("Content-Type"); ct {
	case "", "text/plain", "text/plain; charset=utf-8", "application/octet-stream", "application/octet-stream; charset=utf-8":
	default:
		f.badRequest(w, endpoint, "Bad HTTP \"Content-Type\" header: %q", ct)
		return
	}
	if !f.authorized(w, r) {
		return
	}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		f.badRequest(w, endpoint, "a download request has no body, got %d bytes", len(b))
		return
	}
	raw := r.Header.Get("Dropbox-API-Arg")
	for i := 0; i < len(raw); i++ {
		if raw[i] >= 0x7f || raw[i] < 0x20 {
			f.badRequest(w, endpoint, "Dropbox-API-Arg: byte 0x%02x at %d is not HTTP-header safe (escape it as \\uXXXX)", raw[i], i)
			return
		}
	}
	var arg struct {
		Path *string `json:"path"`
		Rev  *string `json:"rev"`
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&arg); err != nil {
		f.badRequest(w, endpoint, "HTTP header \"Dropbox-API-Arg\": could not decode input as JSON (%v): %s", err, raw)
		return
	}
	if !f.checkPath(w, endpoint, arg.Path, false) {
		return
	}
	var asMap map[string]any
	_ = json.Unmarshal([]byte(raw), &asMap)
	lp := strings.ToLower(*arg.Path)
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{Endpoint: endpoint, Arg: asMap})
	fail := f.failNext[endpoint]
	delete(f.failNext, endpoint)
	file, display := f.files[lp], f.folders[lp]
	custom := f.downloadFunc
	f.mu.Unlock()
	switch {
	case fail != nil:
		fail(w)
	case file == nil && display != "":
		apiError(w, "path", "not_file")
	case file == nil:
		apiError(w, "path", "not_found")
	case custom != nil:
		custom(w, r, file)
	default:
		w.Header().Set("Dropbox-API-Result", headerSafe(fileMetadata(file)))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(file.content)))
		_, _ = w.Write(file.content)
	}
}

// headerSafe is v as HTTP-header-safe JSON, as Dropbox sends
// Dropbox-API-Result (written independently of the source's encoder).
func headerSafe(v any) string {
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
