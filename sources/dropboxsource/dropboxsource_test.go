package dropboxsource_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/testservers"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
	"github.com/openqluster/qluster-go/sources/dropboxsource"
)

// folder is the folder the tests' sources read; its case differs from the
// one the files are put with, as Dropbox compares paths without case.
const folder = "/Exports/Daily"

// setup starts a fake Dropbox with the folder and a Source over it;
// opts adds to the options.
func setup(t *testing.T, opts *dropboxsource.Options) (*testservers.DropboxServer, *dropboxsource.Source) {
	t.Helper()
	f := testservers.Dropbox(t)
	f.MkdirAll(folder)
	o := dropboxsource.Options{}
	if opts != nil {
		o = *opts
	}
	o.BaseURL, o.ContentURL = f.BaseURL(), f.ContentURL()
	if o.Folder == "" {
		o.Folder = "exports/daily/" // no leading slash, a trailing one, another case
	}
	src, err := dropboxsource.New(t.Context(), f.Token(), &o)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	return f, src
}

func read(t *testing.T, s qluster.Source, key string) string {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(data)
}

func keys(t *testing.T, s qluster.Source) []string {
	t.Helper()
	files, err := s.List(t.Context())
	require.NoError(t, err)
	ks := []string{}
	for _, f := range files {
		ks = append(ks, f.Key)
	}
	return ks
}

func TestSourceConformance(t *testing.T) {
	t.Parallel()
	qlustertest.RunSourceTests(t, func(t *testing.T) (qluster.Source, func(key, content string)) {
		f, src := setup(t, nil)
		return src, func(key, content string) { f.Put(folder+"/"+key, content) }
	})
}

func TestListShapes(t *testing.T) {
	t.Parallel()
	f, src := setup(t, nil)
	a := f.Put(folder+"/a.csv", "1,2\n")
	f.Put(folder+"/sub/deep.csv", "x")
	f.Put("/Exports/elsewhere.csv", "y")

	files, err := src.List(t.Context())
	require.NoError(t, err)
	require.Len(t, files, 1, "files only, not folders, not subfolders: %v", files)
	require.Equal(t, qluster.RemoteFile{Key: "a.csv", Size: 4, ModTime: a.Modified, ETag: a.ContentHash}, files[0])

	require.Equal(t, map[string]any{
		"path":                           "/exports/daily",
		"recursive":                      false,
		"include_deleted":                false,
		"include_non_downloadable_files": false,
	}, f.LastArg("files/list_folder"))

	// A key may name a file below the folder.
	require.Equal(t, "x", read(t, src, "sub/deep.csv"))
	// Not one outside it.
	for _, key := range []string{"../elsewhere.csv", "/Exports/elsewhere.csv", "", ".", ".."} {
		_, err := src.Open(t.Context(), key)
		require.ErrorIs(t, err, qluster.ErrNotFound, "key %q", key)
	}
	_, err = src.Open(t.Context(), "sub")
	require.ErrorIs(t, err, qluster.ErrNotFound, "a folder is not a file")
}

func TestListPages(t *testing.T) {
	t.Parallel()
	f, src := setup(t, nil)
	f.SetPageSize(2)
	for i := range 5 {
		f.Put(fmt.Sprintf("%s/f%d.csv", folder, i), "x")
	}
	require.Equal(t, []string{"f0.csv", "f1.csv", "f2.csv", "f3.csv", "f4.csv"}, keys(t, src))
	require.Equal(t, []string{"files/list_folder", "files/list_folder/continue", "files/list_folder/continue"}, f.Endpoints())
	require.NotEmpty(t, f.LastArg("files/list_folder/continue")["cursor"])
}

func TestListCursorReset(t *testing.T) {
	t.Parallel()
	f, src := setup(t, nil)
	f.SetPageSize(1)
	f.Put(folder+"/a.csv", "a")
	f.Put(folder+"/b.csv", "b")

	f.ResetCursors(1) // the listing starts over once
	require.Equal(t, []string{"a.csv", "b.csv"}, keys(t, src))
	require.Equal(t, []string{"files/list_folder", "files/list_folder/continue", "files/list_folder", "files/list_folder/continue"}, f.Endpoints())

	f.ResetCursors(2) // but not twice
	_, err := src.List(t.Context())
	var apiErr *dropboxsource.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, "reset", apiErr.Tag)
}

func TestRootFolder(t *testing.T) {
	t.Parallel()
	f := testservers.Dropbox(t)
	f.Put("/top.csv", "t")
	for _, root := range []string{"", "/"} {
		src, err := dropboxsource.New(t.Context(), f.Token(), &dropboxsource.Options{Folder: root, BaseURL: f.BaseURL(), ContentURL: f.ContentURL()})
		require.NoError(t, err)
		require.Equal(t, []string{"top.csv"}, keys(t, src))
		require.Equal(t, "", f.LastArg("files/list_folder")["path"], "the root is \"\" in the API")
		require.Equal(t, "t", read(t, src, "top.csv"))
		require.Equal(t, "/top.csv", f.LastArg("files/download")["path"])
		require.NoError(t, src.Close())
	}
}

func TestDownloadArgIsHeaderSafe(t *testing.T) {
	t.Parallel()
	f, src := setup(t, nil)
	key := "données 数据 😀 \u007f.csv"
	f.Put(folder+"/"+key, "unicode")
	require.Equal(t, []string{key}, keys(t, src), "names come back decoded")
	require.Equal(t, "unicode", read(t, src, key)) // the fake refuses non-ASCII header bytes
	require.Equal(t, "/exports/daily/"+key, f.LastArg("files/download")["path"])
}

func TestErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	t.Run("BadToken", func(t *testing.T) {
		t.Parallel()
		f := testservers.Dropbox(t)
		f.Put(folder+"/a.csv", "a")
		src, err := dropboxsource.New(ctx, "expired", &dropboxsource.Options{Folder: folder, BaseURL: f.BaseURL(), ContentURL: f.ContentURL()})
		require.NoError(t, err, "New does no I/O")
		_, err = src.List(ctx)
		require.ErrorIs(t, err, qluster.ErrAccessDenied)
		var apiErr *dropboxsource.APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
		require.Equal(t, "invalid_access_token", apiErr.Tag)
		_, err = src.Open(ctx, "a.csv")
		require.ErrorIs(t, err, qluster.ErrAccessDenied)
		require.ErrorIs(t, src.Delete(ctx, "a.csv"), qluster.ErrAccessDenied)
		require.True(t, f.Exists(folder+"/a.csv"))
	})

	t.Run("MissingFolder", func(t *testing.T) {
		t.Parallel()
		_, src := setup(t, &dropboxsource.Options{Folder: "/nope"})
		_, err := src.List(ctx)
		require.ErrorIs(t, err, qluster.ErrPathNotFound)
		var apiErr *dropboxsource.APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, "path/not_found", apiErr.Tag)
		require.Equal(t, "path/not_found/..", apiErr.Summary)
	})

	t.Run("FolderIsAFile", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, &dropboxsource.Options{Folder: "/file.csv"})
		f.Put("/file.csv", "x")
		_, err := src.List(ctx)
		require.ErrorIs(t, err, qluster.ErrPathNotFound)
	})

	t.Run("MissingFile", func(t *testing.T) {
		t.Parallel()
		_, src := setup(t, nil)
		_, err := src.Open(ctx, "missing.csv")
		require.ErrorIs(t, err, qluster.ErrNotFound)
		require.NotErrorIs(t, err, qluster.ErrPathNotFound, "a missing file is not a missing folder")
	})

	t.Run("RestrictedContent", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, nil)
		f.Put(folder+"/a.csv", "a")
		f.FailNext("files/download", testservers.DropboxEndpointError("path", "restricted_content"))
		_, err := src.Open(ctx, "a.csv")
		require.ErrorIs(t, err, qluster.ErrAccessDenied)
	})

	t.Run("RateLimited", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, nil)
		f.FailNext("files/list_folder", testservers.DropboxTooManyRequests(3))
		_, err := src.List(ctx)
		require.ErrorIs(t, err, qluster.ErrConnection)
		var apiErr *dropboxsource.APIError
		require.ErrorAs(t, err, &apiErr)
		require.True(t, apiErr.Retryable())
		require.Equal(t, 3*time.Second, apiErr.RetryAfter)
		require.Equal(t, "too_many_requests", apiErr.Tag)
	})

	t.Run("ServerError", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, nil)
		f.FailNext("files/list_folder", testservers.DropboxServerError)
		_, err := src.List(ctx)
		require.ErrorIs(t, err, qluster.ErrConnection)
		var apiErr *dropboxsource.APIError
		require.ErrorAs(t, err, &apiErr)
		require.True(t, apiErr.Retryable())
		require.Equal(t, "Internal Server Error", apiErr.Summary)
	})

	t.Run("BadRequest", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, nil)
		f.FailNext("files/list_folder", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `Error in call to API function "files/list_folder": request body: unknown field 'x'`)
		})
		_, err := src.List(ctx)
		var apiErr *dropboxsource.APIError
		require.ErrorAs(t, err, &apiErr)
		require.False(t, apiErr.Retryable())
		require.NotErrorIs(t, err, qluster.ErrConnection)
		require.NotErrorIs(t, err, qluster.ErrAccessDenied)
		require.ErrorContains(t, err, "unknown field 'x'")
	})

	t.Run("Unreachable", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		url := "http://" + ln.Addr().String() + "/2"
		require.NoError(t, ln.Close())
		src, err := dropboxsource.New(ctx, "token", &dropboxsource.Options{BaseURL: url, ContentURL: url})
		require.NoError(t, err)
		_, err = src.List(ctx)
		require.ErrorIs(t, err, qluster.ErrConnection)
		_, err = src.Open(ctx, "a.csv")
		require.ErrorIs(t, err, qluster.ErrConnection)
		require.ErrorIs(t, src.Delete(ctx, "a.csv"), qluster.ErrConnection)
	})
}

// hijackAfter answers a download with its headers and the first n bytes
// of the file, then drops the connection. With contentLength the headers
// announce the full length; without, the body is delimited by the close
// (as HTTP/1.1 allows), so only the size in Dropbox-API-Result tells.
func hijackAfter(n int, contentLength bool) func(w http.ResponseWriter, r *http.Request, f testservers.DropboxFile) {
	return func(w http.ResponseWriter, _ *http.Request, f testservers.DropboxFile) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		defer func() { _ = conn.Close() }()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nDropbox-API-Result: %s\r\n", f.APIResult())
		if contentLength {
			fmt.Fprintf(buf, "Content-Length: %d\r\n", len(f.Content))
		}
		fmt.Fprintf(buf, "Connection: close\r\n\r\n")
		_, _ = buf.WriteString(f.Content[:n])
		_ = buf.Flush()
	}
}

func TestConnectionCutMidDownload(t *testing.T) {
	t.Parallel()
	for _, contentLength := range []bool{true, false} {
		t.Run(fmt.Sprintf("ContentLength=%v", contentLength), func(t *testing.T) {
			t.Parallel()
			f, src := setup(t, nil)
			content := strings.Repeat("a line of a large file\n", 50_000)
			f.Put(folder+"/big.csv", content)
			f.SetDownloadFunc(hijackAfter(len(content)/3, contentLength))

			rc, err := src.Open(t.Context(), "big.csv")
			require.NoError(t, err)
			defer func() { require.NoError(t, rc.Close()) }()
			got, err := io.ReadAll(rc)
			require.Error(t, err, "a cut body must not look like the end of the file")
			require.ErrorIs(t, err, qluster.ErrConnection)
			require.Len(t, got, len(content)/3)
			if !contentLength {
				require.ErrorIs(t, err, io.ErrUnexpectedEOF)
				require.ErrorContains(t, err, fmt.Sprintf("%d of the file's %d bytes", len(content)/3, len(content)))
			}
			// The error sticks.
			_, err2 := rc.Read(make([]byte, 10))
			require.Equal(t, err, err2)
		})
	}
}

// stall answers a download with its headers and part of the body, then
// waits (without closing) until the client goes away.
func stall(w http.ResponseWriter, r *http.Request, f testservers.DropboxFile) {
	w.Header().Set("Dropbox-API-Result", f.APIResult())
	w.Header().Set("Content-Length", fmt.Sprint(len(f.Content)))
	_, _ = io.WriteString(w, f.Content[:len(f.Content)/2])
	_ = http.NewResponseController(w).Flush()
	<-r.Context().Done()
}

func TestStalledDownloadTimesOut(t *testing.T) {
	t.Parallel()
	f, src := setup(t, &dropboxsource.Options{Timeout: 300 * time.Millisecond})
	f.Put(folder+"/a.csv", strings.Repeat("x", 100_000))
	f.SetDownloadFunc(stall)
	rc, err := src.Open(t.Context(), "a.csv")
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	start := time.Now()
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, qluster.ErrConnection)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestStalledHeadersTimeOut(t *testing.T) {
	t.Parallel()
	f, src := setup(t, &dropboxsource.Options{Timeout: 300 * time.Millisecond})
	f.Put(folder+"/a.csv", "a")
	f.SetDownloadFunc(func(_ http.ResponseWriter, r *http.Request, _ testservers.DropboxFile) { <-r.Context().Done() })
	_, err := src.Open(t.Context(), "a.csv")
	require.ErrorIs(t, err, qluster.ErrConnection)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	f.FailNext("files/list_folder", func(http.ResponseWriter, *http.Request) { time.Sleep(time.Second) })
	_, err = src.List(t.Context())
	require.ErrorIs(t, err, qluster.ErrConnection)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestSlowReaderIsNotAStalledDownload(t *testing.T) {
	t.Parallel()
	f, src := setup(t, &dropboxsource.Options{Timeout: 200 * time.Millisecond})
	content := strings.Repeat("0123456789", 10_000)
	f.Put(folder+"/a.csv", content)
	rc, err := src.Open(t.Context(), "a.csv")
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	br := bufio.NewReaderSize(rc, 16<<10)
	var got strings.Builder
	for {
		line, err := br.ReadString('9')
		got.WriteString(line)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if got.Len()%30_000 < 10 {
			time.Sleep(300 * time.Millisecond) // longer than the timeout
		}
	}
	require.Equal(t, content, got.String())
}

func TestOpenContextGovernsBody(t *testing.T) {
	t.Parallel()
	f, src := setup(t, nil)
	f.Put(folder+"/a.csv", strings.Repeat("x", 100_000))
	f.SetDownloadFunc(stall)
	ctx, cancel := context.WithCancel(t.Context())
	rc, err := src.Open(ctx, "a.csv")
	require.NoError(t, err)
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, qluster.ErrConnection)
	require.NoError(t, rc.Close())
}

func TestDelete(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	t.Run("SendsTheRevRead", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, nil)
		listed := f.Put(folder+"/listed.csv", "l")
		require.Equal(t, []string{"listed.csv"}, keys(t, src))
		require.NoError(t, src.Delete(ctx, "listed.csv"))
		require.Equal(t, map[string]any{"path": "/exports/daily/listed.csv", "parent_rev": listed.Rev}, f.LastArg("files/delete_v2"))
		require.False(t, f.Exists(folder+"/listed.csv"))
		require.NotContains(t, f.Endpoints(), "files/get_metadata")
	})

	t.Run("ChangedFileIsKept", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, nil)
		f.Put(folder+"/a.csv", "v1")
		require.Equal(t, "v1", read(t, src, "a.csv"))
		f.Put(folder+"/a.csv", "v2, not backed up")
		err := src.Delete(ctx, "a.csv")
		require.ErrorIs(t, err, qluster.ErrConflict)
		kept, ok := f.File(folder + "/a.csv")
		require.True(t, ok)
		require.Equal(t, "v2, not backed up", kept.Content)
		// Once read again, it goes.
		require.Equal(t, "v2, not backed up", read(t, src, "a.csv"))
		require.NoError(t, src.Delete(ctx, "A.CSV"), "keys compare without case")
		require.False(t, f.Exists(folder+"/a.csv"))
	})

	t.Run("UnseenKeyAsksForItsRev", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, nil)
		file := f.Put(folder+"/unseen.csv", "u")
		require.NoError(t, src.Delete(ctx, "unseen.csv"))
		require.Equal(t, []string{"files/get_metadata", "files/delete_v2"}, f.Endpoints())
		require.Equal(t, map[string]any{"path": "/exports/daily/unseen.csv"}, f.LastArg("files/get_metadata"))
		require.Equal(t, file.Rev, f.LastArg("files/delete_v2")["parent_rev"])
		require.False(t, f.Exists(folder+"/unseen.csv"))
	})

	t.Run("NeverAFolder", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, nil)
		f.Put(folder+"/sub/inside.csv", "i")
		require.Error(t, src.Delete(ctx, "sub"))
		require.True(t, f.Exists(folder+"/sub/inside.csv"))
		require.NotContains(t, f.Endpoints(), "files/delete_v2")
	})

	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, nil)
		require.NoError(t, src.Delete(ctx, "never.csv"))
		// Listed, then deleted by someone else.
		f.Put(folder+"/gone.csv", "g")
		require.Equal(t, []string{"gone.csv"}, keys(t, src))
		require.True(t, f.Remove("/exports/daily/gone.csv"))
		require.NoError(t, src.Delete(ctx, "gone.csv"))
	})

	t.Run("TooManyWrites", func(t *testing.T) {
		t.Parallel()
		f, src := setup(t, nil)
		f.Put(folder+"/a.csv", "a")
		require.Equal(t, []string{"a.csv"}, keys(t, src))
		f.FailNext("files/delete_v2", testservers.DropboxEndpointError("too_many_write_operations"))
		err := src.Delete(ctx, "a.csv")
		var apiErr *dropboxsource.APIError
		require.ErrorAs(t, err, &apiErr)
		require.True(t, apiErr.Retryable())
		require.NotErrorIs(t, err, qluster.ErrConflict)
		require.NoError(t, src.Delete(ctx, "a.csv"))
	})
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	_, err := dropboxsource.New(t.Context(), "", nil)
	require.ErrorContains(t, err, "accessToken is required")
	_, err = dropboxsource.New(t.Context(), "a\r\nX-Injected: 1", nil)
	require.ErrorContains(t, err, "line break")
}

func TestCloseEndsTheSource(t *testing.T) {
	t.Parallel()
	_, src := setup(t, nil)
	require.NoError(t, src.Close())
	_, err := src.List(t.Context())
	require.ErrorContains(t, err, "closed")
	_, err = src.Open(t.Context(), "a.csv")
	require.ErrorContains(t, err, "closed")
}

func TestNewFromDataSource(t *testing.T) {
	t.Parallel()
	f := testservers.Dropbox(t)
	f.Put("/Drop/x.csv", "x")
	ds := &qluster.DataSource{DropboxAccessToken: f.Token(), DropboxFolder: "/Drop", ConnectionTimeout: 5}
	src, err := dropboxsource.NewFromDataSource(t.Context(), ds, &dropboxsource.Options{BaseURL: f.BaseURL(), ContentURL: f.ContentURL()})
	require.NoError(t, err)
	defer func() { require.NoError(t, src.Close()) }()
	require.Equal(t, []string{"x.csv"}, keys(t, src))
}
