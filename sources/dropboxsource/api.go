package dropboxsource

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openqluster/qluster-go/qluster"
)

// The request and response bodies of the endpoints used, as the Dropbox
// API v2 documents them (only the fields read or sent).

// listFolderArg is the argument of files/list_folder.
type listFolderArg struct {
	Path                        string `json:"path"`
	Recursive                   bool   `json:"recursive"`
	IncludeDeleted              bool   `json:"include_deleted"`
	IncludeNonDownloadableFiles bool   `json:"include_non_downloadable_files"`
}

// listFolderContinueArg is the argument of files/list_folder/continue.
type listFolderContinueArg struct {
	Cursor string `json:"cursor"`
}

// listFolderResult is the result of both listing endpoints.
type listFolderResult struct {
	Entries []metadata `json:"entries"`
	Cursor  string     `json:"cursor"`
	HasMore bool       `json:"has_more"`
}

// metadata is a Metadata union: a file, a folder or a deleted entry.
type metadata struct {
	Tag            string `json:".tag"`
	Name           string `json:"name"`
	PathLower      string `json:"path_lower"`
	PathDisplay    string `json:"path_display"`
	ID             string `json:"id"`
	ServerModified string `json:"server_modified"`
	Rev            string `json:"rev"`
	Size           int64  `json:"size"`
	ContentHash    string `json:"content_hash"`
	IsDownloadable *bool  `json:"is_downloadable"`
}

// pathArg is the argument of files/download and files/get_metadata.
type pathArg struct {
	Path string `json:"path"`
}

// deleteArg is the argument of files/delete_v2.
type deleteArg struct {
	Path      string `json:"path"`
	ParentRev string `json:"parent_rev,omitempty"`
}

// deleteResult is the result of files/delete_v2.
type deleteResult struct {
	Metadata metadata `json:"metadata"`
}

// errorBody is the JSON body of an error answer (401, 403, 409, 429).
type errorBody struct {
	ErrorSummary string          `json:"error_summary"`
	Error        json.RawMessage `json:"error"`
}

// headerSafeJSON marshals v as JSON that may stand in an HTTP header, as
// Dropbox asks for Dropbox-API-Arg: every character outside printable
// ASCII (non-ASCII, DEL) escaped as \uXXXX, in UTF-16 surrogate pairs
// beyond the Basic Multilingual Plane.
func headerSafeJSON(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for len(raw) > 0 {
		r, size := utf8.DecodeRune(raw)
		raw = raw[size:]
		switch {
		case r < 0x7f: // JSON already escapes the control characters
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String(), nil
}

// APIError is an error answer of the Dropbox API. It matches
// qluster.ErrAccessDenied (401, 403, or a 409 saying the content is
// restricted or not writable) or qluster.ErrConnection (429, 5xx) with
// errors.Is; the operations add ErrPathNotFound, ErrNotFound and
// ErrConflict where the tags say so.
type APIError struct {
	// Endpoint is the endpoint called, e.g. "files/list_folder".
	Endpoint string
	// StatusCode is the HTTP status.
	StatusCode int
	// Tag is the path of the tagged error union, e.g. "path/not_found"
	// (from the error's .tag fields, else from error_summary); "" when the
	// body is not JSON.
	Tag string
	// Summary is the error_summary Dropbox gave, or the start of a text body.
	Summary string
	// RetryAfter is how long Dropbox asks to wait (429), 0 when unsaid.
	RetryAfter time.Duration
}

// Error implements error.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("dropbox %s: %d %s", e.Endpoint, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Summary != "" {
		msg += ": " + e.Summary
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Is matches the qluster sentinels the status and tags stand for.
func (e *APIError) Is(target error) bool {
	switch target {
	case qluster.ErrAccessDenied:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden ||
			e.hasTag("restricted_content") || e.hasTag("no_write_permission")
	case qluster.ErrConnection:
		return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
	}
	return false
}

// Retryable reports whether the same request may succeed later: rate
// limiting, Dropbox's own failures, and too many concurrent writes.
func (e *APIError) Retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500 ||
		e.hasTag("too_many_write_operations")
}

// hasTag reports whether tag is one of the segments of e.Tag.
func (e *APIError) hasTag(tag string) bool {
	for _, t := range strings.Split(e.Tag, "/") {
		if t == tag {
			return true
		}
	}
	return false
}

// isTag reports whether e is a 409 whose tag path starts with prefix
// ("path/not_found" matches "path/not_found" and "path/not_found/x").
func (e *APIError) isTag(prefix string) bool {
	return e.StatusCode == http.StatusConflict && (e.Tag == prefix || strings.HasPrefix(e.Tag, prefix+"/"))
}

// maxErrorBody bounds the error body read.
const maxErrorBody = 64 << 10

// newAPIError reads the error answer resp of endpoint.
func newAPIError(endpoint string, resp *http.Response) *APIError {
	e := &APIError{Endpoint: endpoint, StatusCode: resp.StatusCode}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(io.LimitReader(resp.Body, maxErrorBody))
	var body errorBody
	if json.Unmarshal(buf.Bytes(), &body) == nil && (body.ErrorSummary != "" || len(body.Error) > 0) {
		e.Summary = body.ErrorSummary
		e.Tag = tagPath(body.Error)
		if e.Tag == "" {
			e.Tag = summaryTag(body.ErrorSummary)
		}
		if e.RetryAfter == 0 {
			var rl struct {
				RetryAfter int `json:"retry_after"`
			}
			if json.Unmarshal(body.Error, &rl) == nil && rl.RetryAfter > 0 {
				e.RetryAfter = time.Duration(rl.RetryAfter) * time.Second
			}
		}
		return e
	}
	text := strings.TrimSpace(buf.String())
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	e.Summary = text
	return e
}

// tagPath follows the .tag fields of a tagged union:
// {".tag": "path", "path": {".tag": "not_found"}} is "path/not_found".
func tagPath(raw json.RawMessage) string {
	var tags []string
	for len(raw) > 0 {
		var u map[string]json.RawMessage
		if json.Unmarshal(raw, &u) != nil {
			// A void member may stand as a bare string: "not_found".
			var s string
			if json.Unmarshal(raw, &s) == nil && s != "" {
				tags = append(tags, s)
			}
			break
		}
		var tag string
		if json.Unmarshal(u[".tag"], &tag) != nil || tag == "" {
			break
		}
		tags = append(tags, tag)
		raw = u[tag]
	}
	return strings.Join(tags, "/")
}

// summaryTag is the tag path an error_summary starts with:
// "path/not_found/.." gives "path/not_found" (the trailing dots vary).
func summaryTag(summary string) string {
	parts := strings.Split(summary, "/")
	for len(parts) > 0 && strings.Trim(parts[len(parts)-1], ".,") == "" {
		parts = parts[:len(parts)-1]
	}
	return strings.Join(parts, "/")
}
