package objects

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFolder(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", "/": "", "in": "in/", "in/": "in/", "/in": "in/", "//a/b": "a/b/", "a/b/": "a/b/",
	} {
		require.Equal(t, want, Folder(in), "%q", in)
	}
}
