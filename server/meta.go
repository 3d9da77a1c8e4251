package server

import (
	"bytes"
	"context"
	"html/template"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/openqluster/qluster-go/api"
)

// GetOpenAPIDocument answers the contract itself.
func (s *Server) GetOpenAPIDocument(context.Context, GetOpenAPIDocumentRequestObject) (GetOpenAPIDocumentResponseObject, error) {
	return GetOpenAPIDocument200ApplicationyamlResponse{Body: bytes.NewReader(api.OpenAPIYAML), ContentLength: int64(len(api.OpenAPIYAML))}, nil
}

// GetAPIDocs answers a readable HTML reference rendered from the contract.
func (s *Server) GetAPIDocs(context.Context, GetAPIDocsRequestObject) (GetAPIDocsResponseObject, error) {
	return GetAPIDocs200TexthtmlResponse{Body: bytes.NewReader(s.docsPage), ContentLength: int64(len(s.docsPage))}, nil
}

// GetHealthz answers as long as the process serves requests.
func (s *Server) GetHealthz(context.Context, GetHealthzRequestObject) (GetHealthzResponseObject, error) {
	return GetHealthz200JSONResponse{Status: "ok"}, nil
}

// GetReadyz answers 200 when the metadata store answers, 503 otherwise.
func (s *Server) GetReadyz(ctx context.Context, _ GetReadyzRequestObject) (GetReadyzResponseObject, error) {
	if err := s.store.Ping(ctx); err != nil {
		return GetReadyz503JSONResponse{Status: "metadata store unreachable: " + err.Error()}, nil
	}
	return GetReadyz200JSONResponse{Status: "ok"}, nil
}

type docField struct {
	Name, Type, Required, Default, Description string
}

type docOp struct {
	Method, Path, ID, Summary, Description string
	Params, Body                           []docField
	Response                               string
}

// renderDocs renders the reference page of the contract once, at start.
func renderDocs(doc *openapi3.T) ([]byte, error) {
	var ops []docOp
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			d := docOp{Method: method, Path: path, ID: op.OperationID, Summary: op.Summary, Description: op.Description}
			for _, p := range op.Parameters {
				d.Params = append(d.Params, field(p.Value.Name+" ("+p.Value.In+")", p.Value.Schema, p.Value.Required, p.Value.Description))
			}
			if op.RequestBody != nil {
				for _, mt := range op.RequestBody.Value.Content {
					d.Body = append(d.Body, fields(mt.Schema)...)
				}
			}
			if r := op.Responses.Value("200"); r != nil {
				for ct, mt := range r.Value.Content {
					d.Response = ct + ": " + schemaName(mt.Schema)
				}
			}
			ops = append(ops, d)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	var buf bytes.Buffer
	err := docsTemplate.Execute(&buf, map[string]any{"Info": doc.Info, "Ops": ops})
	return buf.Bytes(), err
}

func fields(ref *openapi3.SchemaRef) []docField {
	if ref == nil || ref.Value == nil {
		return nil
	}
	req := map[string]bool{}
	for _, r := range ref.Value.Required {
		req[r] = true
	}
	names := make([]string, 0, len(ref.Value.Properties))
	for n := range ref.Value.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []docField
	for _, n := range names {
		p := ref.Value.Properties[n]
		out = append(out, field(n, p, req[n], p.Value.Description))
	}
	return out
}

func field(name string, s *openapi3.SchemaRef, required bool, desc string) docField {
	f := docField{Name: name, Type: schemaName(s), Description: desc}
	if required {
		f.Required = "required"
	}
	if s != nil && s.Value != nil {
		if s.Value.Default != nil {
			f.Default = strings.TrimSpace(strings.ReplaceAll(fmtDefault(s.Value.Default), "\n", " "))
		}
		if f.Description == "" {
			f.Description = s.Value.Description
		}
		if len(s.Value.Enum) > 0 {
			vals := make([]string, 0, len(s.Value.Enum))
			for _, e := range s.Value.Enum {
				vals = append(vals, toString(e))
			}
			f.Type += " (" + strings.Join(vals, " | ") + ")"
		}
	}
	return f
}

func schemaName(s *openapi3.SchemaRef) string {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		return s.Ref[strings.LastIndex(s.Ref, "/")+1:]
	}
	if s.Value == nil {
		return ""
	}
	if len(s.Value.AllOf) == 1 {
		return schemaName(s.Value.AllOf[0])
	}
	t := strings.Join(s.Value.Type.Slice(), "|")
	if t == "array" {
		return "array of " + schemaName(s.Value.Items)
	}
	if s.Value.Format != "" {
		t += " <" + s.Value.Format + ">"
	}
	if t == "" {
		t = "any"
	}
	return t
}

var docsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Info.Title}} {{.Info.Version}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-top:1px solid #ddd;padding-top:1rem;font-size:1.1rem}
code,.m{font-family:ui-monospace,monospace}.m{font-weight:bold;padding:.1rem .4rem;border-radius:3px;background:#eef}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;vertical-align:top;text-align:left}
p.d{white-space:pre-wrap}nav a{display:block;font-family:ui-monospace,monospace;font-size:.85rem}
</style></head><body>
<h1>{{.Info.Title}} {{.Info.Version}}</h1>
<p class="d">{{.Info.Description}}</p>
<p>The machine-readable contract: <a href="/api/openapi.yaml">/api/openapi.yaml</a>.</p>
<nav>{{range .Ops}}<a href="#{{.ID}}">{{.Method}} {{.Path}} — {{.Summary}}</a>{{end}}</nav>
{{range .Ops}}<h2 id="{{.ID}}"><span class="m">{{.Method}}</span> <code>{{.Path}}</code> — {{.Summary}} <small>({{.ID}})</small></h2>
{{if .Description}}<p class="d">{{.Description}}</p>{{end}}
{{if .Params}}<h3>Parameters</h3><table><tr><th>name</th><th>type</th><th></th><th>default</th><th>description</th></tr>
{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Required}}</td><td><code>{{.Default}}</code></td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
{{if .Body}}<h3>Body</h3><table><tr><th>field</th><th>type</th><th></th><th>default</th><th>description</th></tr>
{{range .Body}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Required}}</td><td><code>{{.Default}}</code></td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
{{if .Response}}<p>Answers <code>{{.Response}}</code>.</p>{{end}}
{{end}}</body></html>
`))

func fmtDefault(v any) string {
	b, err := jsonMarshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmtDefault(v)
}
