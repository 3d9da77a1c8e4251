// Package api embeds the OpenAPI 3.0.3 document of the Qluster API, the
// contract from which the server interface and the client are generated.
package api

import _ "embed"

// OpenAPIYAML is the document as written in api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
