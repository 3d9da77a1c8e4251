package qluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/openqluster/qluster-go/analyzer"
)

// JSONSchemaFieldType is the JSON Schema type a validation rule checks a
// field's values against.
type JSONSchemaFieldType string

// The values of JSONSchemaFieldType.
const (
	JSONSchemaString  JSONSchemaFieldType = "string"
	JSONSchemaEmail   JSONSchemaFieldType = "email"
	JSONSchemaInteger JSONSchemaFieldType = "integer"
	JSONSchemaNumber  JSONSchemaFieldType = "number"
	JSONSchemaBoolean JSONSchemaFieldType = "boolean"
	JSONSchemaArray   JSONSchemaFieldType = "array"
	JSONSchemaObject  JSONSchemaFieldType = "object"
)

// ValidationRule is how ingestion checks the values of one field, beyond
// their type: a row whose value breaks it goes to quarantine with a
// validation alert. Rules live in the settings model (validation_rules, by
// column name) and are checked with a JSON Schema compiled once per
// settings version.
type ValidationRule struct {
	// ToInclude is false for a rule kept but not checked.
	ToInclude bool `json:"to_include"`
	// IsRequired refuses a row without a value (null) in the field.
	IsRequired bool `json:"is_required"`
	// JSONSchemaFieldType is the type values must have; email is a string
	// that is an e-mail address.
	JSONSchemaFieldType JSONSchemaFieldType `json:"json_schema_field_type"`
	// LimitToValues are the only values accepted (none: any).
	LimitToValues []any `json:"limit_to_values,omitempty"`
	// Maximum and Minimum bound numbers (nil: no bound).
	Maximum *float64 `json:"maximum,omitempty"`
	Minimum *float64 `json:"minimum,omitempty"`
	// AllowedJSONSchemaFieldType are the types the field's column can be
	// checked as; the server fills it from the column's type.
	AllowedJSONSchemaFieldType []JSONSchemaFieldType `json:"allowed_json_schema_field_type,omitempty"`
	// Aliases read a value as one of LimitToValues before the check (a
	// misspelling renamed to an existing keyword): {"actve": "active"}.
	Aliases map[string]string `json:"aliases,omitempty"`
}

// AllowedJSONSchemaTypes are the rule types that fit a column of PostgreSQL
// type pgType.
func AllowedJSONSchemaTypes(pgType string) []JSONSchemaFieldType {
	t, _, err := analyzer.ParseType(pgType)
	if err != nil {
		return []JSONSchemaFieldType{JSONSchemaString}
	}
	switch t {
	case analyzer.TypeBoolean:
		return []JSONSchemaFieldType{JSONSchemaBoolean}
	case analyzer.TypeSmallInt, analyzer.TypeInteger, analyzer.TypeBigInt:
		return []JSONSchemaFieldType{JSONSchemaInteger, JSONSchemaNumber}
	case analyzer.TypeNumeric, analyzer.TypeDouble:
		return []JSONSchemaFieldType{JSONSchemaNumber}
	case analyzer.TypeJSONB:
		return []JSONSchemaFieldType{JSONSchemaObject, JSONSchemaArray}
	case analyzer.TypeTextArray:
		return []JSONSchemaFieldType{JSONSchemaArray}
	case analyzer.TypeText:
		return []JSONSchemaFieldType{JSONSchemaString, JSONSchemaEmail}
	}
	return []JSONSchemaFieldType{JSONSchemaString} // dates and times are checked as their ISO text
}

// DefaultValidationRule is the rule a field shows before one is set: its
// column's first type, nothing required, no bounds.
func DefaultValidationRule(pgType string) ValidationRule {
	allowed := AllowedJSONSchemaTypes(pgType)
	return ValidationRule{ToInclude: true, JSONSchemaFieldType: allowed[0], AllowedJSONSchemaFieldType: allowed, LimitToValues: []any{}}
}

// CheckValidationRule reports what is wrong with rule r for a column of
// type pgType, naming each field of the request body.
func CheckValidationRule(r *ValidationRule, pgType string) error {
	v := &ValidationError{}
	allowed := AllowedJSONSchemaTypes(pgType)
	if !containsType(allowed, r.JSONSchemaFieldType) {
		v.Add([]string{"body", "json_schema_field_type"}, "enum", "a %s column can be checked as %v, not %q", pgType, allowed, r.JSONSchemaFieldType)
	}
	numeric := r.JSONSchemaFieldType == JSONSchemaInteger || r.JSONSchemaFieldType == JSONSchemaNumber
	if (r.Minimum != nil || r.Maximum != nil) && !numeric {
		v.Add([]string{"body", "minimum"}, "value_error", "minimum and maximum bound numbers: use json_schema_field_type integer or number")
	}
	if r.Minimum != nil && r.Maximum != nil && *r.Minimum > *r.Maximum {
		v.Add([]string{"body", "maximum"}, "value_error", "maximum %v is below minimum %v", *r.Maximum, *r.Minimum)
	}
	for k, to := range r.Aliases {
		if !r.allows(to) {
			v.Add([]string{"body", "aliases", k}, "value_error", "%q is not one of limit_to_values", to)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	_, err := compileRules(map[string]ValidationRule{"field": *r})
	if err != nil {
		return Invalid("limit_to_values", "value_error", "the rule does not compile: %v", err)
	}
	return nil
}

func containsType(s []JSONSchemaFieldType, t JSONSchemaFieldType) bool {
	for _, x := range s {
		if x == t {
			return true
		}
	}
	return false
}

// allows reports whether value v (as written in a file) is one of the rule's
// limit_to_values; a rule without them allows every value.
func (r *ValidationRule) allows(v string) bool {
	if len(r.LimitToValues) == 0 {
		return true
	}
	for _, x := range r.LimitToValues {
		if keyword(x) == v {
			return true
		}
	}
	return false
}

// keyword is a limit_to_values entry as text.
func keyword(x any) string {
	switch k := x.(type) {
	case string:
		return k
	case float64:
		return strconv.FormatFloat(k, 'f', -1, 64)
	}
	b, _ := json.Marshal(x)
	return string(b)
}

// schema is the JSON Schema of one field's rule.
func (r *ValidationRule) schema() map[string]any {
	s := map[string]any{}
	switch r.JSONSchemaFieldType {
	case JSONSchemaEmail:
		s["type"], s["format"] = "string", "email"
	case "":
	default:
		s["type"] = string(r.JSONSchemaFieldType)
	}
	if r.Minimum != nil {
		s["minimum"] = *r.Minimum
	}
	if r.Maximum != nil {
		s["maximum"] = *r.Maximum
	}
	if len(r.LimitToValues) > 0 {
		enum := make([]any, len(r.LimitToValues))
		for i, x := range r.LimitToValues {
			enum[i] = x
			if r.JSONSchemaFieldType == JSONSchemaString || r.JSONSchemaFieldType == JSONSchemaEmail {
				enum[i] = keyword(x) // a text column holds its keywords as text, even 90007
			}
		}
		s["enum"] = enum
	}
	return s
}

// compileRules compiles the rules that are included into one JSON Schema
// of a row: an object whose properties are the fields.
func compileRules(rules map[string]ValidationRule) (*jsonschema.Schema, error) {
	props := map[string]any{}
	required := []string{}
	for name, r := range rules {
		if !r.ToInclude {
			continue
		}
		props[name] = r.schema()
		if r.IsRequired {
			required = append(required, name)
		}
	}
	sort.Strings(required)
	b, err := json.Marshal(map[string]any{"type": "object", "properties": props, "required": required})
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("validation_rules.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("validation_rules.json")
}

// compiledRules caches compiled schemas by the rules they check (their
// JSON), so each settings version compiles its rules once, and settings
// models of different stores with the same id never share a schema.
var compiledRules sync.Map // rules JSON → *jsonschema.Schema

// maxCompiledRules bounds the cache; past it, it starts again empty.
const maxCompiledRules = 1024

var compiledCount atomic.Int64

// schemaOf returns the compiled schema of a settings model's rules.
func schemaOf(st *Settings) (*jsonschema.Schema, error) {
	key, err := json.Marshal(st.ValidationRules)
	if err != nil {
		return nil, err
	}
	if v, ok := compiledRules.Load(string(key)); ok {
		return v.(*jsonschema.Schema), nil
	}
	sch, err := compileRules(st.ValidationRules)
	if err != nil {
		return nil, fmt.Errorf("validation_rules of settings model %d: %w", st.ID, err)
	}
	if compiledCount.Add(1) > maxCompiledRules {
		compiledRules.Clear()
		compiledCount.Store(1)
	}
	compiledRules.Store(string(key), sch)
	return sch, nil
}

// rowRules checks the cast cells of each row against a dataset's validation rules.
type rowRules struct {
	schema *jsonschema.Schema
	cols   []ruleColumn
	inst   map[string]any
	byName map[string]int
}

// ruleColumn is one plan column that has an included rule.
type ruleColumn struct {
	index int // in the plan's columns (and the row's cells)
	name  string
	typ   analyzer.Type
	rule  ValidationRule
}

// rulesFor prepares the checks of a settings model's rules for a plan's
// columns; nil when no rule is included (nothing to check).
func rulesFor(st *Settings, plan *MigrationPlan) (*rowRules, error) {
	if st == nil || len(st.ValidationRules) == 0 {
		return nil, nil
	}
	rr := &rowRules{inst: map[string]any{}, byName: map[string]int{}}
	for i, c := range plan.Columns {
		r, ok := st.ValidationRules[c.Name]
		if !ok || !r.ToInclude {
			continue
		}
		t, _, _ := analyzer.ParseType(c.Type)
		rr.byName[c.Name] = len(rr.cols)
		rr.cols = append(rr.cols, ruleColumn{index: i, name: c.Name, typ: t, rule: r})
	}
	if len(rr.cols) == 0 {
		return nil, nil
	}
	sch, err := schemaOf(st)
	if err != nil {
		return nil, err
	}
	rr.schema = sch
	return rr, nil
}

// check validates one row (aliases first rename values to their keyword in
// cells) and returns an issue per broken rule, each naming the rule and the
// value.
func (rr *rowRules) check(cells []analyzer.Cell, row []string, mapping []int) []RowIssue {
	for _, rc := range rr.cols {
		c := &cells[rc.index]
		if c.Null {
			delete(rr.inst, rc.name)
			continue
		}
		if to, ok := rc.rule.Aliases[c.Text]; ok && rc.typ == analyzer.TypeText {
			c.Text = to
		}
		rr.inst[rc.name] = jsonValue(c, rc.typ)
	}
	err := rr.schema.Validate(rr.inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []RowIssue{{AlertType: AlertTypeValidation, Msg: err.Error()}}
	}
	var issues []RowIssue
	raw := func(field string) string {
		if k, ok := rr.byName[field]; ok {
			if i := mapping[rr.cols[k].index]; i >= 0 && i < len(row) {
				return row[i]
			}
		}
		return ""
	}
	for _, leaf := range leaves(ve) {
		field := ""
		if len(leaf.InstanceLocation) > 0 {
			field = leaf.InstanceLocation[0]
		}
		if req, ok := leaf.ErrorKind.(*kind.Required); ok {
			for _, m := range req.Missing {
				issues = append(issues, RowIssue{Field: m, Value: raw(m), AlertType: AlertTypeValidation,
					Msg:  fmt.Sprintf("the validation rule of %s requires a value (is_required) and the row has none", m),
					Hint: ruleHint(m)})
			}
			continue
		}
		issues = append(issues, RowIssue{Field: field, Value: raw(field), AlertType: AlertTypeValidation,
			Msg: describeBreak(field, raw(field), leaf.ErrorKind), Hint: ruleHint(field)})
	}
	return issues
}

func ruleHint(field string) string {
	return "change the field's rule (validation_info/" + field + ") or resolve the alert with mark_data_as_valid"
}

var printer = message.NewPrinter(language.English)

// describeBreak says which keyword of a field's rule a value breaks.
func describeBreak(field, value string, k jsonschema.ErrorKind) string {
	switch x := k.(type) {
	case *kind.Minimum:
		return fmt.Sprintf("%q is below the minimum %s of the validation rule of %s", value, ratString(x.Want), field)
	case *kind.Maximum:
		return fmt.Sprintf("%q is above the maximum %s of the validation rule of %s", value, ratString(x.Want), field)
	case *kind.Enum:
		return fmt.Sprintf("%q is not one of the values the validation rule of %s allows (limit_to_values)", value, field)
	case *kind.Type:
		return fmt.Sprintf("%q is a %s and the validation rule of %s wants %s (json_schema_field_type)", value, x.Got, field, strings.Join(x.Want, " or "))
	case *kind.Format:
		return fmt.Sprintf("%q is not a valid %s as the validation rule of %s wants (json_schema_field_type)", value, x.Want, field)
	}
	return fmt.Sprintf("%q breaks the validation rule of %s: %s", value, field, k.LocalizedString(printer))
}

func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// leaves are the innermost errors of a validation error: the broken keywords.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// jsonValue is a cast cell as the JSON value the schema checks.
func jsonValue(c *analyzer.Cell, t analyzer.Type) any {
	switch t {
	case analyzer.TypeBoolean:
		return c.Bool
	case analyzer.TypeSmallInt, analyzer.TypeInteger, analyzer.TypeBigInt:
		return json.Number(strconv.FormatInt(c.Int, 10))
	case analyzer.TypeNumeric:
		return json.Number(c.Num)
	case analyzer.TypeDouble:
		if math.IsInf(c.Float, 0) || math.IsNaN(c.Float) {
			return strconv.FormatFloat(c.Float, 'g', -1, 64)
		}
		return json.Number(strconv.FormatFloat(c.Float, 'g', -1, 64))
	case analyzer.TypeDate:
		return c.Time.Format(time.DateOnly)
	case analyzer.TypeTimestamp, analyzer.TypeTimestamptz:
		return c.Time.Format(time.RFC3339Nano)
	case analyzer.TypeTime:
		return time.UnixMicro(c.Micros).UTC().Format("15:04:05.999999")
	case analyzer.TypeJSONB:
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(c.Text))
		if err != nil {
			return c.Text
		}
		return v
	case analyzer.TypeTextArray:
		items := make([]any, len(c.Items))
		for i, x := range c.Items {
			items[i] = x
		}
		return items
	}
	return c.Text
}

// boundaryData is what a validation alert about field shows of its rule's
// range (nil for other alerts and rules without bounds).
func boundaryData(ds *Dataset, field string, t AlertType) map[string]any {
	if t != AlertTypeValidation || ds.SettingsModel == nil {
		return nil
	}
	r, ok := ds.SettingsModel.ValidationRules[field]
	if !ok || (r.Minimum == nil && r.Maximum == nil) {
		return nil
	}
	return map[string]any{"field": field, "minimum": r.Minimum, "maximum": r.Maximum}
}
