package server_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/internal/testservers"
)

// TestSensorPollsAnSFTPFolder: run-sensor-job lists a real SFTP folder,
// takes the files that match the pattern once, deletes them after backup
// when asked, and bad credentials raise access_denied on the data source.
func TestSensorPollsAnSFTPFolder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	addr, user, password, _, root := testservers.SFTP(t)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "in"), 0o755))
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(root, "in", name), []byte(content), 0o644))
	}
	write("a.csv", "id,qty\n1,5\n2,6\n")
	write("b.csv", "id,qty\n3,7\n")
	write("notes.txt", "not data")

	ds, _ := b.trainedDataset("polled", client.ApplyAsap)
	body := fmt.Sprintf(`{"name":"sftp-feed","settings_model_id":%d,"dataset_id":%d,"data_source_type":"sftp","state":"active",
		"sftp_host":%q,"sftp_port":%s,"sftp_user":%q,"sftp_password":%q,"sftp_folder":"/in","pattern":"*.csv",
		"delete_source_file_after_backup":true}`, ds.SettingsModel.Id, ds.Id, host, port, user, password)
	res, err := b.admin.PostDataSourceModelWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	src := res.JSON200

	poll := func() {
		r, err := b.admin.RunSensorJobNowWithResponse(b.ctx, src.Id)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.StatusCode(), string(r.Body))
	}
	items := func() []client.StoredItem {
		r, err := b.admin.GetStoredItemsWithResponse(b.ctx, &client.GetStoredItemsParams{DataSourceModelId: &src.Id})
		require.NoError(t, err)
		return r.JSON200.Results
	}
	poll()
	b.eventually("the two CSV files to be taken", func() bool { return len(items()) == 2 })
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 2)
	require.Equal(t, 3, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
	_, err = os.Stat(filepath.Join(root, "in", "a.csv"))
	require.True(t, os.IsNotExist(err), "deleted after backup")
	_, err = os.Stat(filepath.Join(root, "in", "notes.txt"))
	require.NoError(t, err, "a file the pattern does not match stays")

	// A new file is taken once; what was taken is not taken again.
	write("c.csv", "id,qty\n4,8\n")
	poll()
	b.eventually("the new file", func() bool { return len(items()) == 3 })
	poll()
	b.ingested(ds.Id, 3)
	require.Len(t, items(), 3)

	// Bad credentials: an access_denied alert on the data source.
	patch := fmt.Sprintf(`{"id":%d,"version_id":%d,"sftp_password":"wrong"}`, src.Id, *src.VersionId)
	p, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json", strings.NewReader(patch))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	poll()
	b.eventually("an access_denied alert", func() bool {
		r, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DataSourceModelId: &src.Id})
		require.NoError(t, err)
		for _, a := range r.JSON200.Results {
			if *a.AlertType == client.AlertTypeAccessDenied {
				return true
			}
		}
		return false
	})
}
