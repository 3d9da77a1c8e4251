package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
)

// TestDownloadStoredItem: the original bytes of a file come back from its
// (gzip-compressed) backup, as download_file's link promises.
func TestDownloadStoredItem(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, src := b.trainedDataset("downloads", client.ApplyAsap)
	content := "id,name\n1,Zoë\n2,Ana\n"
	it := b.upload(b.admin, src.Id, "names.csv", content)
	res, err := b.admin.DownloadStoredItemWithResponse(b.ctx, it.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, content, string(res.Body))
	nf, err := b.admin.DownloadStoredItemWithResponse(b.ctx, 999999)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, nf.StatusCode())
}
