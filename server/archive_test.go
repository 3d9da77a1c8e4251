package server_test

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
)

// TestZipOfSeveralFiles: each member of a zip of several CSVs becomes a
// stored item of its own (parent_id: the zip), trained on and loaded.
func TestZipOfSeveralFiles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("zipped", client.ApplyAsap)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range map[string]string{"jan.csv": "id,qty\n1,5\n2,6\n", "feb.csv": "id,qty\n3,7\n4,8\n5,9\n"} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(content))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	parent := b.upload(b.admin, src.Id, "orders.zip", buf.String())
	b.trainingDone(ds.Id)
	jobs := b.ingested(ds.Id, 2)
	for _, j := range jobs {
		require.Equal(t, client.IngestionJobStateFinished, *j.State, *j.Msg)
	}
	children, err := b.admin.GetStoredItemsWithResponse(b.ctx, &client.GetStoredItemsParams{ParentId: &parent.Id})
	require.NoError(t, err)
	require.Len(t, children.JSON200.Results, 2)
	keys := map[string]int{}
	for _, c := range children.JSON200.Results {
		keys[*c.Key] = *c.SuccessfulRowsCount
	}
	require.Equal(t, map[string]int{"orders.zip/jan.csv": 2, "orders.zip/feb.csv": 3}, keys)
	require.Equal(t, 5, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
}

// TestArchivePatternKeepsMatchingMembers: a data source's archive_pattern
// keeps only the members of an archive it matches.
func TestArchivePatternKeepsMatchingMembers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, _ := b.trainedDataset("filtered", client.ApplyAsap)
	res, err := b.admin.PostDataSourceModelWithResponse(b.ctx, client.DataSourcePostRequest{Name: "jan-only",
		SettingsModelId: ds.SettingsModel.Id, DatasetId: &ds.Id, ArchivePattern: ptr("jan*.csv")})
	require.NoError(t, err)
	src := res.JSON200
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range map[string]string{"jan.csv": "id,qty\n1,5\n", "feb.csv": "id,qty\n3,7\n", "readme.txt": "hello"} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(content))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	parent := b.upload(b.admin, src.Id, "q1.zip", buf.String())
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 1)
	children, err := b.admin.GetStoredItemsWithResponse(b.ctx, &client.GetStoredItemsParams{ParentId: &parent.Id})
	require.NoError(t, err)
	require.Len(t, children.JSON200.Results, 1)
	require.Equal(t, "q1.zip/jan.csv", *children.JSON200.Results[0].Key)
}
