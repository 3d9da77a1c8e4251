package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/api"
	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
)

// The role matrix, written out independently of the server's policy table.
var (
	publicOps = set("loginForAccessToken", "getOpenAPIDocument", "getAPIDocs", "getHealthz", "getReadyz", "putUpload")
	// Every signed-in user: their own user and the menu stats.
	selfOps = set("readUsersMe", "getUser", "patchUser", "getUsers", "getMenuStats")
	// Only a superuser manages users and destinations.
	adminOps = set("createUser", "postDestinationModel", "patchDestinationModel")
	// A limited_to_source user's data sources and their files, alerts, jobs and rows.
	sourceOps = set("getDataSources", "getDataSource", "getDataSourceTiny", "getDataSourceHistory",
		"getDataSourceValidationModel", "uploadFileToDataSource", "runSensorJobNow",
		"getStoredItems", "createStoredItemForUpload", "patchStoredItem", "getStoredItem", "deleteStoredItem",
		"publishStoredItemForIngestion", "downloadStoredItem", "getAlerts", "getAlert", "resolveAlert",
		"getIngestionJobs", "getIngestionJob", "runIngestionJobNow", "killIngestionJob", "getData")
)

func set(ids ...string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// mayCall is the matrix: whether a user of type t may call the operation.
func mayCall(t qluster.UserType, op, method string) bool {
	if publicOps[op] || selfOps[op] {
		return true
	}
	switch t {
	case qluster.UserTypeSuperuser:
		return true
	case qluster.UserTypeEditor:
		return !adminOps[op]
	case qluster.UserTypeReadOnly:
		return method == http.MethodGet
	case qluster.UserTypeLimitedToSource:
		return sourceOps[op]
	}
	return false // billing
}

// TestRoleMatrix calls every operation of the contract as every role: an
// operation the role may call never answers 403 (nor 401), one it may not
// always answers 403.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds := b.dataset("matrix")
	src := b.dataSource(ds.Id, "feed")
	other := b.dataSource(ds.Id, "other-feed")
	_ = other

	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	require.NoError(t, err)
	type op struct{ method, path, id string }
	var ops []op
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			ops = append(ops, op{method, path, o.OperationID})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	require.Len(t, ops, 86)

	roles := []qluster.UserType{qluster.UserTypeSuperuser, qluster.UserTypeEditor, qluster.UserTypeLimitedToSource,
		qluster.UserTypeReadOnly, qluster.UserTypeBilling}
	for _, role := range roles {
		var srcs []int64
		if role == qluster.UserTypeLimitedToSource {
			srcs = []int64{int64(src.Id)}
		}
		_, u := b.user(role, string(role)+"@example.com", srcs...)
		tok, err := client.FetchToken(b.ctx, b.url, u.Email, testPassword)
		require.NoError(t, err)
		for _, o := range ops {
			path := o.path
			for name, val := range map[string]string{
				"dataset_id": fmt.Sprint(ds.Id), "data_source_model_id": fmt.Sprint(src.Id), "user_id": u.ID.String(),
				"settings_model_id": fmt.Sprint(ds.SettingsModel.Id), "field_name": "amount", "token": "not-a-token",
			} {
				path = strings.ReplaceAll(path, "{"+name+"}", val)
			}
			// Other objects: an id nobody has, so an allowed call is a 404, never an object-level 403.
			for strings.Contains(path, "{") {
				i, j := strings.Index(path, "{"), strings.Index(path, "}")
				path = path[:i] + "999999" + path[j+1:]
			}
			var body io.Reader
			ctype := "application/json"
			switch {
			case o.id == "loginForAccessToken":
				ctype = "application/x-www-form-urlencoded"
				body = strings.NewReader(url.Values{"username": {u.Email}, "password": {testPassword}}.Encode())
			case o.id == "patchUser":
				body = strings.NewReader(fmt.Sprintf(`{"id":%q,"first_name":"Ann"}`, u.ID))
			case o.id == "putUpload":
				ctype = "application/octet-stream"
				body = strings.NewReader("a,b\n1,2\n")
			case o.id == "uploadFileToDataSource":
				ctype = "multipart/form-data; boundary=x"
				body = strings.NewReader("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\na,b\n1,2\n\r\n--x--\r\n")
			case o.method != http.MethodGet:
				body = strings.NewReader(`{}`)
			}
			req, err := http.NewRequestWithContext(b.ctx, o.method, b.url+path, body)
			require.NoError(t, err)
			if body != nil {
				req.Header.Set("Content-Type", ctype)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			msg, _ := io.ReadAll(res.Body)
			res.Body.Close()
			want := mayCall(role, o.id, o.method)
			if want && publicOps[o.id] {
				// Public operations check their own credentials (a signed upload token, a password).
				require.NotEqual(t, http.StatusForbidden, res.StatusCode, "%s may call %s %s (%s): %s", role, o.method, path, o.id, msg)
			} else if want {
				require.NotContains(t, []int{401, 403}, res.StatusCode, "%s may call %s %s (%s): %s", role, o.method, path, o.id, msg)
			} else {
				require.Equal(t, http.StatusForbidden, res.StatusCode, "%s may not call %s %s (%s): %s", role, o.method, path, o.id, msg)
			}
		}
	}
}

// TestLimitedToSourceSeesOnlyItsSources checks the object-level rule.
func TestLimitedToSourceSeesOnlyItsSources(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds := b.dataset("scoped")
	mine := b.dataSource(ds.Id, "mine")
	theirs := b.dataSource(ds.Id, "theirs")
	c, _ := b.user(qluster.UserTypeLimitedToSource, "scoped@example.com", int64(mine.Id))

	list, err := c.GetDataSourcesWithResponse(b.ctx, &client.GetDataSourcesParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
	require.Len(t, list.JSON200.Results, 1)
	require.Equal(t, mine.Id, list.JSON200.Results[0].Id)

	ok, err := c.GetDataSourceWithResponse(b.ctx, mine.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, ok.StatusCode())
	no, err := c.GetDataSourceWithResponse(b.ctx, theirs.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, no.StatusCode())
	tiny, err := c.GetDataSourceTinyWithResponse(b.ctx, theirs.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, tiny.StatusCode())
}

// dataSource creates a data source of dataset and returns it.
func (b *bundle) dataSource(datasetID int, name string) *client.DataSource {
	b.t.Helper()
	nw, err := b.admin.GetNewDataSourceForDatasetWithResponse(b.ctx, datasetID)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, nw.StatusCode(), string(nw.Body))
	res, err := b.admin.PostDataSourceModelWithResponse(b.ctx, client.DataSourcePostRequest{
		Name: name, SettingsModelId: *nw.JSON200.SettingsModelId, DatasetId: &datasetID,
	})
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}
