package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/openqluster/qluster-go/qluster"
)

const rawBodyKey ctxKey = 100

// maxJSONBody caps the size of a JSON request body.
const maxJSONBody = 10 << 20

// rawBody is the JSON body of the request as sent. Updates read it rather
// than the typed body so that a field sent as null can be told from one not
// sent at all.
func rawBody(ctx context.Context) []byte {
	b, _ := ctx.Value(rawBodyKey).([]byte)
	return b
}

// convert copies src into a new T through JSON: the domain types of package
// qluster and the generated API types share their field names.
func convert[T any](src any) (T, error) {
	var out T
	b, err := json.Marshal(src)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(b, &out)
	return out, err
}

// overlay applies the top-level fields of patch (a JSON object) to dst,
// replacing each field present (null clears it) and leaving the others. Keys
// named in nested are objects whose own fields are overlaid the same way.
// Keys in protected are ignored.
func overlay(dst any, patch []byte, nested map[string]bool, protected ...string) error {
	if len(patch) == 0 {
		return nil
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(patch, &p); err != nil {
		return qluster.Invalid("", "json_invalid", "the body is not a JSON object: %v", err)
	}
	for _, k := range protected {
		delete(p, k)
	}
	base := map[string]json.RawMessage{}
	b, err := json.Marshal(dst)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &base); err != nil {
		return err
	}
	for k, v := range p {
		if nested[k] && string(v) != "null" && len(base[k]) > 0 && string(base[k]) != "null" {
			var inner map[string]json.RawMessage
			if err := json.Unmarshal(base[k], &inner); err != nil {
				return err
			}
			var innerPatch map[string]json.RawMessage
			if err := json.Unmarshal(v, &innerPatch); err != nil {
				return qluster.Invalid(k, "type_error", "must be an object")
			}
			for ik, iv := range innerPatch {
				inner[ik] = iv
			}
			if v, err = json.Marshal(inner); err != nil {
				return err
			}
		}
		base[k] = v
	}
	merged, err := json.Marshal(base)
	if err != nil {
		return err
	}
	rv := reflect.ValueOf(dst).Elem()
	rv.Set(reflect.Zero(rv.Type()))
	if err := json.Unmarshal(merged, dst); err != nil {
		return fmt.Errorf("overlay: %w", err)
	}
	return nil
}

// checkStruct runs the validator tags of v and reports each failure by its JSON name.
func (s *Server) checkStruct(v any) error {
	err := s.validate.Struct(v)
	if err == nil {
		return nil
	}
	verrs, ok := err.(validator.ValidationErrors)
	if !ok {
		return err
	}
	out := &qluster.ValidationError{}
	for _, fe := range verrs {
		name := jsonName(reflect.TypeOf(v), fe.StructField())
		out.Add([]string{"body", name}, fe.Tag(), "%s", tagMessage(fe))
	}
	return out
}

func jsonName(t reflect.Type, field string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if f, ok := t.FieldByName(field); ok {
		if tag := f.Tag.Get("json"); tag != "" {
			return strings.Split(tag, ",")[0]
		}
	}
	return field
}

func tagMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "email":
		return fmt.Sprintf("%q is not a valid email address", fe.Value())
	case "max":
		return fmt.Sprintf("must be at most %s characters", fe.Param())
	case "min":
		return fmt.Sprintf("must be at least %s", fe.Param())
	case "eqfield":
		return fmt.Sprintf("must equal %s", fe.Param())
	case "pgident":
		return fmt.Sprintf("%q is not a valid PostgreSQL name: use letters, digits and underscores, starting with a letter or underscore, at most 63 characters", fe.Value())
	}
	return fmt.Sprintf("fails the %q rule", fe.Tag())
}

// pick returns the raw JSON of one top-level field of a JSON object.
func pick(raw []byte, key string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, qluster.Invalid("", "json_invalid", "the body is not a JSON object: %v", err)
	}
	return m[key], nil
}

// without returns a JSON object less some of its top-level fields.
func without(raw []byte, keys ...string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, qluster.Invalid("", "json_invalid", "the body is not a JSON object: %v", err)
	}
	for _, k := range keys {
		delete(m, k)
	}
	return json.Marshal(m)
}

func isNotFound(err error) bool { return errors.Is(err, qluster.ErrNotFound) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
