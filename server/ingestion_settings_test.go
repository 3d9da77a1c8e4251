package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
)

// TestIngestionExpandsAndDisablesFields: a JSON column listed in
// fields_to_expand becomes columns of its own, filled row by row from each
// object, and a disabled field is read but never loaded.
func TestIngestionExpandsAndDisablesFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := fmt.Sprintf(`{"name":"items","database_name":"qluster","schema_name":"shop","table_name":"items","backup_settings_id":%d,
		"disabled_fields":["secret"],"settings_model":{"fields_to_expand":["attrs"]}}`, b.backup())
	res, err := b.admin.PostDatasetWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	ds := res.JSON200
	src := b.dataSource(ds.Id, "items-feed")
	file := "id,attrs,secret\n" +
		`1,"{""color"": ""red"", ""size"": 3}",s1` + "\n" +
		`2,"{""color"": ""blue"", ""size"": 5}",s2` + "\n"
	b.upload(b.admin, src.Id, "items.csv", file)
	b.trainingDone(ds.Id)
	jobs := b.ingested(ds.Id, 1)
	require.Equal(t, client.IngestionJobStateFinished, *jobs[0].State, *jobs[0].Msg)
	page := b.data(ds.Id, client.GetDataParams{OrderBy: &[]string{"id"}})
	require.Equal(t, 2, *page.TotalRows)
	var colorCol, sizeCol string
	for _, v := range *page.Fields {
		f := fmt.Sprint(v)
		if strings.Contains(f, "color") {
			colorCol = f
		}
		if strings.Contains(f, "size") {
			sizeCol = f
		}
	}
	require.NotEmpty(t, colorCol, "expanded columns in %v", *page.Fields)
	first := (*page.Results)[0].(map[string]any)
	require.Equal(t, "red", first[colorCol])
	require.EqualValues(t, 3, first[sizeCol])
	require.Nil(t, first["secret"], "a disabled field is not loaded")
}
