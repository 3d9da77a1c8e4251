package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/openqluster/qluster-go/qluster"
)

// streamedBodies are operations whose body is a file: it is streamed to
// storage, never buffered for validation.
var streamedBodies = map[string]bool{"putUpload": true, "uploadFileToDataSource": true}

// validateRequest checks parameters and body against the contract and returns
// a *qluster.ValidationError that names every field that fails.
func (s *Server) validateRequest(r *http.Request, route *routers.Route, pathParams map[string]string) error {
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParams,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:              true,
			AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
			ExcludeRequestBody:      streamedBodies[route.Operation.OperationID],
			SchemaValidationOptions: s.schemaOpts,
		},
	}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	if err == nil {
		return nil
	}
	v := &qluster.ValidationError{}
	collectIssues(v, err)
	if len(v.Fields) == 0 {
		v.Add([]string{"body"}, "value_error", "%v", err)
	}
	return v
}

func collectIssues(v *qluster.ValidationError, err error) {
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		for _, e := range multi {
			collectIssues(v, e)
		}
		return
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			v.Add(append([]string{"body"}, se.JSONPointer()...), kindOf(se), "%s", schemaMsg(se))
			return
		}
		v.Add([]string{"body"}, "value_error", "%v", err)
		return
	}
	var loc []string
	if re.Parameter != nil {
		loc = []string{re.Parameter.In, re.Parameter.Name}
	} else {
		loc = []string{"body"}
	}
	var inner openapi3.MultiError
	if errors.As(re.Err, &inner) {
		for _, e := range inner {
			addSchemaIssue(v, loc, e, re)
		}
		return
	}
	addSchemaIssue(v, loc, re.Err, re)
}

func addSchemaIssue(v *qluster.ValidationError, loc []string, err error, re *openapi3filter.RequestError) {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		l := append(append([]string{}, loc...), se.JSONPointer()...)
		v.Add(l, kindOf(se), "%s", schemaMsg(se))
		return
	}
	msg := re.Reason
	if err != nil {
		if msg != "" {
			msg += ": "
		}
		msg += err.Error()
	}
	if msg == "" {
		msg = "invalid value"
	}
	v.Add(loc, "value_error", "%s", msg)
}

// kindOf names the kind of a schema failure the way clients branch on it.
func kindOf(se *openapi3.SchemaError) string {
	switch se.SchemaField {
	case "required":
		return "missing"
	case "enum":
		return "enum"
	case "type":
		return "type_error"
	case "format":
		return "format"
	}
	return "value_error"
}

// schemaMsg says what is wrong with the field and what would be right.
func schemaMsg(se *openapi3.SchemaError) string {
	switch se.SchemaField {
	case "enum":
		vals := make([]string, 0, len(se.Schema.Enum))
		for _, e := range se.Schema.Enum {
			vals = append(vals, fmt.Sprint(e))
		}
		return fmt.Sprintf("%v is not one of the allowed values: %s", se.Value, strings.Join(vals, ", "))
	case "type":
		return fmt.Sprintf("must be of type %s", se.Schema.Type.Slice())
	}
	return se.Reason
}
