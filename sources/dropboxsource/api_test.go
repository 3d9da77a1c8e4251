package dropboxsource

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHeaderSafeJSON(t *testing.T) {
	t.Parallel()
	// The example of https://www.dropbox.com/developers/reference/json-encoding.
	got, err := headerSafeJSON(map[string]string{"field": "some_üñîcødé_and_\x7f"})
	require.NoError(t, err)
	require.Equal(t, `{"field":"some_\u00fc\u00f1\u00eec\u00f8d\u00e9_and_\u007f"}`, got)

	// Beyond the Basic Multilingual Plane: a UTF-16 surrogate pair.
	got, err = headerSafeJSON(pathArg{Path: "/😀.csv"})
	require.NoError(t, err)
	require.Equal(t, `{"path":"/\ud83d\ude00.csv"}`, got)
	var back pathArg
	require.NoError(t, json.Unmarshal([]byte(got), &back))
	require.Equal(t, "/😀.csv", back.Path)

	// Control characters and quotes stay JSON-escaped.
	got, err = headerSafeJSON(pathArg{Path: "/a\"b\n\tc"})
	require.NoError(t, err)
	require.Equal(t, `{"path":"/a\"b\n\tc"}`, got)
}

func TestTags(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		`{".tag": "path", "path": {".tag": "not_found"}}`:                                          "path/not_found",
		`{".tag": "path_lookup", "path_lookup": {".tag": "not_found"}}`:                            "path_lookup/not_found",
		`{".tag": "path_write", "path_write": {".tag": "conflict", "conflict": {".tag": "file"}}}`: "path_write/conflict/file",
		`{".tag": "reset"}`:                             "reset",
		`{".tag": "path", "path": "not_found"}`:         "path/not_found",
		`{"reason": {".tag": "too_many_requests"}}`:     "",
		`{".tag": "path", "path": {"malformed": true}}`: "path",
	} {
		require.Equal(t, want, tagPath(json.RawMessage(raw)), raw)
	}
	for summary, want := range map[string]string{
		"path/not_found/..":        "path/not_found",
		"path/not_found/...":       "path/not_found",
		"invalid_access_token/..,": "invalid_access_token",
		"too_many_requests/":       "too_many_requests",
		"":                         "",
	} {
		require.Equal(t, want, summaryTag(summary), summary)
	}
}
