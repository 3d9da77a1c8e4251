package testservers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/testservers"
)

// dropboxAnswer is an answer of the fake Dropbox.
type dropboxAnswer struct {
	status int
	header http.Header
	body   string
}

// json decodes the answer's body.
func (a dropboxAnswer) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(a.body), &v), a.body)
	return v
}

// dropboxRPC posts body to endpoint of s's RPC host as dropboxsource does.
func dropboxRPC(t *testing.T, s *testservers.DropboxServer, token, endpoint, body string) dropboxAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.BaseURL()+"/"+endpoint, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return dropboxDo(t, req)
}

// dropboxDownload asks s's content host for the file arg names.
func dropboxDownload(t *testing.T, contentURL, token, arg string) dropboxAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, contentURL+"/files/download", http.NoBody)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Dropbox-API-Arg", arg)
	return dropboxDo(t, req)
}

func dropboxDo(t *testing.T, req *http.Request) dropboxAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { require.NoError(t, resp.Body.Close()) }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return dropboxAnswer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func TestDropbox(t *testing.T) {
	t.Parallel()
	var s *testservers.DropboxServer
	t.Run("running", func(t *testing.T) {
		s = testservers.Dropbox(t)
		require.True(t, strings.HasPrefix(s.BaseURL(), "http://127.0.0.1:"), s.BaseURL())
		require.True(t, strings.HasSuffix(s.ContentURL(), "/2"), s.ContentURL())
		require.NotEqual(t, s.BaseURL(), s.ContentURL(), "two hosts")
		require.NotEqual(t, s.Token(), testservers.Dropbox(t).Token(), "a token per server")

		s.MkdirAll("Exports/Daily")
		a := s.Put("/exports/daily/A.csv", "id\n1\n")
		s.Put("/exports/daily/sub/b.csv", "b")
		require.Equal(t, "/Exports/Daily/A.csv", a.Path, "folders keep the case they were made with")
		require.Equal(t, []string{"/Exports/Daily/A.csv", "/Exports/Daily/sub/b.csv"}, s.Files())
		require.True(t, s.Exists("/EXPORTS/daily/a.CSV"))
		require.True(t, s.Exists("/exports/daily/sub"))

		again := s.Put("/exports/daily/a.csv", "id\n2\n")
		require.Equal(t, a.Path, again.Path)
		require.Equal(t, a.ID, again.ID)
		require.NotEqual(t, a.Rev, again.Rev)
		got, ok := s.File("/Exports/Daily/A.csv")
		require.True(t, ok)
		require.Equal(t, again, got)

		list := dropboxRPC(t, s, s.Token(), "files/list_folder", `{"path":"/exports/DAILY"}`)
		require.Equal(t, http.StatusOK, list.status, list.body)
		require.Equal(t, "application/json", list.header.Get("Content-Type"))
		res := list.json(t)
		require.Equal(t, false, res["has_more"])
		require.NotEmpty(t, res["cursor"])
		entries := res["entries"].([]any)
		require.Len(t, entries, 2)
		file, folder := entries[0].(map[string]any), entries[1].(map[string]any)
		require.Equal(t, map[string]any{
			".tag": "file", "name": "A.csv", "id": again.ID, "rev": again.Rev, "size": float64(5),
			"path_lower": "/exports/daily/a.csv", "path_display": "/Exports/Daily/A.csv", "is_downloadable": true,
			"client_modified": again.Modified.Format(time.RFC3339), "server_modified": again.Modified.Format(time.RFC3339),
			"content_hash": again.ContentHash,
		}, file)
		require.Equal(t, "folder", folder[".tag"])
		require.Equal(t, "/Exports/Daily/sub", folder["path_display"])

		dl := dropboxDownload(t, s.ContentURL(), s.Token(), `{"path":"/exports/daily/a.csv"}`)
		require.Equal(t, http.StatusOK, dl.status, dl.body)
		require.Equal(t, "id\n2\n", dl.body)
		require.Equal(t, again.APIResult(), dl.header.Get("Dropbox-API-Result"))
		require.Equal(t, []string{"files/list_folder", "files/download"}, s.Endpoints())
		require.Equal(t, map[string]any{"path": "/exports/daily/a.csv"}, s.LastArg("files/download"))
		require.Len(t, s.Calls(), 2)

		require.True(t, s.Remove("/exports/daily"))
		require.Empty(t, s.Files())
		require.False(t, s.Remove("/exports/daily"))
	})
	requireStopped(t, s.BaseURL())
	requireStopped(t, s.ContentURL())
}

func TestDropboxErrorShapes(t *testing.T) {
	t.Parallel()
	s := testservers.Dropbox(t)
	s.Put("/in/a.csv", "a")
	for name, tc := range map[string]struct {
		endpoint, token, body string
		status                int
		want                  map[string]any
	}{
		"bad token": {"files/list_folder", "expired", `{"path":"/in"}`, http.StatusUnauthorized,
			map[string]any{"error_summary": "invalid_access_token/...", "error": map[string]any{".tag": "invalid_access_token"}}},
		"missing folder": {"files/list_folder", "", `{"path":"/nope"}`, http.StatusConflict,
			map[string]any{"error_summary": "path/not_found/..", "error": map[string]any{".tag": "path", "path": map[string]any{".tag": "not_found"}}}},
		"a file is not a folder": {"files/list_folder", "", `{"path":"/in/a.csv"}`, http.StatusConflict,
			map[string]any{"error_summary": "path/not_folder/..", "error": map[string]any{".tag": "path", "path": map[string]any{".tag": "not_folder"}}}},
		"trailing slash": {"files/get_metadata", "", `{"path":"/in/"}`, http.StatusConflict,
			map[string]any{"error_summary": "path/malformed_path/..", "error": map[string]any{".tag": "path", "path": map[string]any{".tag": "malformed_path"}}}},
		"missing file": {"files/get_metadata", "", `{"path":"/in/b.csv"}`, http.StatusConflict,
			map[string]any{"error_summary": "path/not_found/..", "error": map[string]any{".tag": "path", "path": map[string]any{".tag": "not_found"}}}},
		"delete missing": {"files/delete_v2", "", `{"path":"/in/b.csv"}`, http.StatusConflict,
			map[string]any{"error_summary": "path_lookup/not_found/..", "error": map[string]any{".tag": "path_lookup", "path_lookup": map[string]any{".tag": "not_found"}}}},
		"delete another rev": {"files/delete_v2", "", `{"path":"/in/a.csv","parent_rev":"012345678"}`, http.StatusConflict,
			map[string]any{"error_summary": "path_write/conflict/file/..", "error": map[string]any{".tag": "path_write",
				"path_write": map[string]any{".tag": "conflict", "conflict": map[string]any{".tag": "file"}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			token := tc.token
			if token == "" {
				token = s.Token()
			}
			a := dropboxRPC(t, s, token, tc.endpoint, tc.body)
			require.Equal(t, tc.status, a.status, a.body)
			require.Equal(t, tc.want, a.json(t))
		})
	}
	require.True(t, s.Exists("/in/a.csv"), "nothing deleted")

	dl := dropboxDownload(t, s.ContentURL(), s.Token(), `{"path":"/in"}`)
	require.Equal(t, http.StatusConflict, dl.status)
	require.Equal(t, "path/not_file/..", dl.json(t)["error_summary"])
	dl = dropboxDownload(t, s.ContentURL(), "expired", `{"path":"/in/a.csv"}`)
	require.Equal(t, http.StatusUnauthorized, dl.status)

	s.FailNext("files/list_folder", testservers.DropboxTooManyRequests(3))
	a := dropboxRPC(t, s, s.Token(), "files/list_folder", `{"path":"/in"}`)
	require.Equal(t, http.StatusTooManyRequests, a.status)
	require.Equal(t, "3", a.header.Get("Retry-After"))
	require.Equal(t, map[string]any{"reason": map[string]any{".tag": "too_many_requests"}, "retry_after": float64(3)}, a.json(t)["error"])
	require.Equal(t, http.StatusOK, dropboxRPC(t, s, s.Token(), "files/list_folder", `{"path":"/in"}`).status, "once")

	s.FailNext("files/download", testservers.DropboxServerError)
	require.Equal(t, http.StatusInternalServerError, dropboxDownload(t, s.ContentURL(), s.Token(), `{"path":"/in/a.csv"}`).status)
}

func TestDropboxPagesAndCursors(t *testing.T) {
	t.Parallel()
	s := testservers.Dropbox(t)
	for i := range 5 {
		s.Put(fmt.Sprintf("/f%d.csv", i), "x")
	}
	list := func(t *testing.T, page, limit int) []int {
		t.Helper()
		s.SetPageSize(page)
		arg := `{"path":""}`
		if limit > 0 {
			arg = fmt.Sprintf(`{"path":"","limit":%d}`, limit)
		}
		res := dropboxRPC(t, s, s.Token(), "files/list_folder", arg).json(t)
		sizes := []int{len(res["entries"].([]any))}
		for res["has_more"] == true {
			res = dropboxRPC(t, s, s.Token(), "files/list_folder/continue", fmt.Sprintf(`{"cursor":%q}`, res["cursor"])).json(t)
			sizes = append(sizes, len(res["entries"].([]any)))
		}
		return sizes
	}
	for name, tc := range map[string]struct {
		page, limit int
		want        []int
	}{
		"one page":         {1000, 0, []int{5}},
		"page size":        {2, 0, []int{2, 2, 1}},
		"limit":            {1000, 3, []int{3, 2}},
		"the smaller wins": {2, 3, []int{2, 2, 1}},
	} {
		t.Run(name, func(t *testing.T) { require.Equal(t, tc.want, list(t, tc.page, tc.limit)) })
	}

	s.SetPageSize(2)
	first := dropboxRPC(t, s, s.Token(), "files/list_folder", `{"path":""}`).json(t)
	s.ResetCursors(1)
	cont := fmt.Sprintf(`{"cursor":%q}`, first["cursor"])
	reset := dropboxRPC(t, s, s.Token(), "files/list_folder/continue", cont)
	require.Equal(t, http.StatusConflict, reset.status)
	require.Equal(t, map[string]any{".tag": "reset"}, reset.json(t)["error"])
	require.Equal(t, http.StatusOK, dropboxRPC(t, s, s.Token(), "files/list_folder/continue", cont).status)
}

func TestDropboxIDPaths(t *testing.T) {
	t.Parallel()
	s := testservers.Dropbox(t)
	f := s.Put("/Team/In/a.csv", "a")
	meta := dropboxRPC(t, s, s.Token(), "files/get_metadata", `{"path":"/team/in"}`).json(t)
	folderID := meta["id"].(string)
	require.True(t, strings.HasPrefix(folderID, "id:"), folderID)

	list := dropboxRPC(t, s, s.Token(), "files/list_folder", fmt.Sprintf(`{"path":%q}`, folderID)).json(t)
	require.Len(t, list["entries"], 1)
	dl := dropboxDownload(t, s.ContentURL(), s.Token(), fmt.Sprintf(`{"path":%q}`, folderID+"/A.CSV"))
	require.Equal(t, "a", dl.body)
	dl = dropboxDownload(t, s.ContentURL(), s.Token(), fmt.Sprintf(`{"path":%q}`, f.ID))
	require.Equal(t, "a", dl.body)
	missing := dropboxRPC(t, s, s.Token(), "files/list_folder", `{"path":"id:nope"}`)
	require.Equal(t, http.StatusConflict, missing.status)
}

// recordingTB is a testing.TB whose Errorf records instead of failing, to
// see the fake fail a test.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingTB) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errs
}

// TestDropboxIsStrict: a request the API does not take is answered 400,
// as Dropbox does, and fails the test.
func TestDropboxIsStrict(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		send func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer
		want string
	}{
		"unknown field": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			return dropboxRPC(t, s, s.Token(), "files/list_folder", `{"path":"","colour":"red"}`)
		}, `unknown field "colour"`},
		"missing path": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			return dropboxRPC(t, s, s.Token(), "files/get_metadata", `{}`)
		}, "missing required field 'path'"},
		"relative path": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			return dropboxRPC(t, s, s.Token(), "files/list_folder", `{"path":"in"}`)
		}, "did not match pattern"},
		"recursive": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			return dropboxRPC(t, s, s.Token(), "files/list_folder", `{"path":"","recursive":true}`)
		}, "recursively"},
		"bad cursor": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			return dropboxRPC(t, s, s.Token(), "files/list_folder/continue", `{"cursor":"xyz"}`)
		}, "invalid cursor"},
		"unknown endpoint": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			return dropboxRPC(t, s, s.Token(), "files/upload", `{}`)
		}, "unknown API function"},
		"a download on the RPC host": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			return dropboxDownload(t, s.BaseURL(), s.Token(), `{"path":"/a.csv"}`)
		}, "unknown API function"},
		"GET on an RPC endpoint": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.BaseURL()+"/files/list_folder", http.NoBody)
			require.NoError(t, err)
			return dropboxDo(t, req)
		}, "RPC endpoints take POST"},
		"RPC without a JSON Content-Type": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.BaseURL()+"/files/list_folder", strings.NewReader(`{"path":""}`))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+s.Token())
			return dropboxDo(t, req)
		}, `Bad HTTP "Content-Type" header`},
		"non-ASCII in Dropbox-API-Arg": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			return dropboxDownload(t, s.ContentURL(), s.Token(), `{"path":"/données.csv"}`)
		}, "not HTTP-header safe"},
		"download with a body": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.ContentURL()+"/files/download", strings.NewReader("x"))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+s.Token())
			req.Header.Set("Dropbox-API-Arg", `{"path":"/a.csv"}`)
			return dropboxDo(t, req)
		}, "has no body"},
		"download of an old rev": {func(t *testing.T, s *testservers.DropboxServer) dropboxAnswer {
			return dropboxDownload(t, s.ContentURL(), s.Token(), `{"path":"/a.csv","rev":"0123456789"}`)
		}, "the rev argument is deprecated"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec := &recordingTB{TB: t}
			s := testservers.Dropbox(rec)
			s.Put("/a.csv", "a")
			a := tc.send(t, s)
			require.Equal(t, http.StatusBadRequest, a.status, a.body)
			require.Contains(t, a.body, tc.want)
			require.Len(t, rec.errors(), 1)
			require.Contains(t, rec.errors()[0], tc.want)
			require.Empty(t, s.Calls(), "a refused request is no call")
		})
	}
}

func TestDropboxBehindProxyCutsDownloads(t *testing.T) {
	t.Parallel()
	p := testservers.NewProxy(t, "")
	s := testservers.DropboxBehind(t, p)
	require.Equal(t, "http://"+p.Addr()+"/2", s.ContentURL())
	content := strings.Repeat("a line of a file\n", 10_000)
	s.Put("/big.csv", content)
	p.CutNextAfter(1000)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.ContentURL()+"/files/download", http.NoBody)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	req.Header.Set("Dropbox-API-Arg", `{"path":"/big.csv"}`)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { require.NoError(t, resp.Body.Close()) }()
	_, err = io.ReadAll(resp.Body)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Equal(t, 1, p.Cuts())

	// Later downloads pass whole.
	require.Equal(t, content, dropboxDownload(t, s.ContentURL(), s.Token(), `{"path":"/big.csv"}`).body)
}

func TestDropboxDownloadFunc(t *testing.T) {
	t.Parallel()
	s := testservers.Dropbox(t)
	f := s.Put("/a.csv", "abc")
	var got testservers.DropboxFile
	s.SetDownloadFunc(func(w http.ResponseWriter, _ *http.Request, f testservers.DropboxFile) {
		got = f // read after the answer, which happens after
		w.Header().Set("Dropbox-API-Result", f.APIResult())
		_, _ = io.WriteString(w, "custom")
	})
	require.Equal(t, "custom", dropboxDownload(t, s.ContentURL(), s.Token(), `{"path":"/a.csv"}`).body)
	require.Equal(t, f, got)
	missing := dropboxDownload(t, s.ContentURL(), s.Token(), `{"path":"/b.csv"}`)
	require.Equal(t, http.StatusConflict, missing.status, "missing files stay the server's")
	s.SetDownloadFunc(nil)
	require.Equal(t, "abc", dropboxDownload(t, s.ContentURL(), s.Token(), `{"path":"/a.csv"}`).body)
}

func TestDropboxAPIResultIsHeaderSafe(t *testing.T) {
	t.Parallel()
	s := testservers.Dropbox(t)
	f := s.Put("/données 😀.csv", "x")
	res := f.APIResult()
	require.Contains(t, res, `donn\u00e9es \ud83d\ude00.csv`)
	var meta map[string]any
	require.NoError(t, json.Unmarshal([]byte(res), &meta))
	require.Equal(t, "/données 😀.csv", meta["path_display"])
}
