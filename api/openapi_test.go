package api_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/api"
)

// seedOp is one operation of the Qluster API 1.0.0 reference, as kept in
// testdata/seed-operations.json.
type seedOp struct {
	N           int         `json:"n"`
	Title       string      `json:"title"`
	Method      string      `json:"method"`
	Path        string      `json:"path"`
	OperationID string      `json:"operationId"`
	ContentType string      `json:"content_type"`
	PathParams  []seedField `json:"path_params"`
	QueryParams []seedField `json:"query_params"`
	BodyFields  []seedField `json:"body_fields"`
	Response    []string    `json:"response_sample_keys"`
}

type seedField struct {
	Name     string   `json:"name"`
	Required bool     `json:"required"`
	Type     string   `json:"type"`
	Enum     []string `json:"enum"`
	Default  *string  `json:"default"`
}

func load(t *testing.T) (*openapi3.T, []seedOp) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	require.Equal(t, "3.0.3", doc.OpenAPI)
	b, err := os.ReadFile("testdata/seed-operations.json")
	require.NoError(t, err)
	var ops []seedOp
	require.NoError(t, json.Unmarshal(b, &ops))
	require.Len(t, ops, 78)
	return doc, ops
}

var seedKind = regexp.MustCompile(`^(Array of (Array of )?)?(string|integer|boolean|object|number|any)`)

// kindOf is the OpenAPI type the seed's type text names.
func kindOf(seedType string) string {
	m := seedKind.FindStringSubmatch(seedType)
	switch {
	case m == nil:
		return ""
	case m[1] != "":
		return "array"
	case strings.HasPrefix(seedType, "integer or number"):
		return "number"
	}
	return m[3]
}

func schemaType(s *openapi3.Schema) string {
	if len(s.AllOf) == 1 {
		return schemaType(s.AllOf[0].Value)
	}
	return strings.Join(s.Type.Slice(), ",")
}

func enumOf(s *openapi3.Schema) []string {
	if len(s.AllOf) == 1 {
		return enumOf(s.AllOf[0].Value)
	}
	if s.Type.Is("array") && s.Items != nil {
		return enumOf(s.Items.Value)
	}
	var out []string
	for _, e := range s.Enum {
		out = append(out, e.(string))
	}
	return out
}

// TestContractHoldsTheSeed checks that every operation of the seed is in the
// contract with its path, method and id, and with the seed's parameters,
// request fields (type, required, enum, default) and response fields.
func TestContractHoldsTheSeed(t *testing.T) {
	doc, ops := load(t)
	for _, op := range ops {
		t.Run(op.OperationID, func(t *testing.T) {
			item := doc.Paths.Value(op.Path)
			require.NotNil(t, item, "path %s", op.Path)
			o := item.GetOperation(op.Method)
			require.NotNil(t, o, "%s %s", op.Method, op.Path)
			require.Equal(t, op.OperationID, o.OperationID)

			params := map[string]*openapi3.Parameter{}
			for _, p := range o.Parameters {
				params[p.Value.In+":"+p.Value.Name] = p.Value
			}
			check := func(in string, f seedField) {
				p := params[in+":"+f.Name]
				require.NotNil(t, p, "%s parameter %s", in, f.Name)
				require.Equal(t, f.Required || in == "path", p.Required, f.Name)
				require.Equal(t, kindOf(f.Type), schemaType(p.Schema.Value), f.Name)
				if f.Default != nil {
					var want any
					require.NoError(t, json.Unmarshal([]byte(*f.Default), &want))
					require.Equal(t, want, p.Schema.Value.Default, "default of %s", f.Name)
				}
			}
			for _, f := range op.PathParams {
				check("path", f)
			}
			for _, f := range op.QueryParams {
				check("query", f)
			}

			if len(op.BodyFields) > 0 {
				require.NotNil(t, o.RequestBody)
				ct := "application/json"
				if op.ContentType != "" {
					ct = op.ContentType
				}
				mt := o.RequestBody.Value.Content.Get(ct)
				require.NotNil(t, mt, "body content type %s", ct)
				body := mt.Schema.Value
				required := map[string]bool{}
				for _, r := range body.Required {
					required[r] = true
				}
				for _, f := range op.BodyFields {
					prop := body.Properties[f.Name]
					require.NotNil(t, prop, "body field %s", f.Name)
					require.Equal(t, f.Required, required[f.Name], "required %s", f.Name)
					if k := kindOf(f.Type); k != "" && k != "any" {
						require.Equal(t, k, schemaType(prop.Value), "type of %s", f.Name)
					}
					if len(f.Enum) > 0 {
						got := enumOf(prop.Value)
						for _, e := range f.Enum {
							require.Contains(t, got, e, "enum of %s", f.Name)
						}
					}
					if f.Default != nil {
						var want any
						require.NoError(t, json.Unmarshal([]byte(*f.Default), &want))
						require.Equal(t, want, prop.Value.Default, "default of %s", f.Name)
					}
				}
			}

			res := o.Responses.Value("200")
			require.NotNil(t, res, "200 response")
			if len(op.Response) > 0 {
				s := res.Value.Content.Get("application/json").Schema.Value
				for _, k := range op.Response {
					require.Contains(t, s.Properties, k, "response field %s", k)
				}
			}
			for _, code := range []string{"401", "403", "422"} {
				if op.OperationID == "loginForAccessToken" && code == "403" {
					continue
				}
				require.NotNil(t, o.Responses.Value(code), "%s response", code)
			}
		})
	}
}

// TestContractExtras checks the operations api-map.md adds beside the seed's.
func TestContractExtras(t *testing.T) {
	doc, _ := load(t)
	for _, e := range []struct{ method, path, id string }{
		{"GET", "/api/users", "getUsers"},
		{"PUT", "/api/uploads/{token}", "putUpload"},
		{"POST", "/api/data-sources/{data_source_model_id}/upload", "uploadFileToDataSource"},
		{"GET", "/api/openapi.yaml", "getOpenAPIDocument"},
		{"GET", "/api/docs", "getAPIDocs"},
		{"GET", "/healthz", "getHealthz"},
		{"GET", "/readyz", "getReadyz"},
		{"GET", "/api/stored-items/{stored_item_id}/download", "downloadStoredItem"},
	} {
		item := doc.Paths.Value(e.path)
		require.NotNil(t, item, e.path)
		o := item.GetOperation(e.method)
		require.NotNil(t, o, "%s %s", e.method, e.path)
		require.Equal(t, e.id, o.OperationID)
	}
	require.Contains(t, enumOf(doc.Components.Schemas["BackupType"].Value), "local")
}
