package analyzer

import "encoding/json"

// settingsModelNames are the settings-model spellings of the fields that a
// data source spells with an "_override" suffix.
type settingsModelNames struct {
	NullValues                                   []string            `json:"null_values"`
	NullValuesPerColumn                          map[string][]string `json:"null_values_per_column"`
	BooleanTrue                                  []string            `json:"boolean_true"`
	BooleanFalse                                 []string            `json:"boolean_false"`
	DatetimeFormats                              []string            `json:"datetime_formats"`
	DatetimeFormatsPerColumn                     map[string][]string `json:"datetime_formats_per_column"`
	DatetimeAllowedCharacters                    string              `json:"datetime_allowed_characters"`
	ArrayDelimiters                              []string            `json:"array_delimiters"`
	FieldNameFullConversion                      map[string]string   `json:"field_name_full_conversion"`
	FieldNamePartConversion                      map[string]string   `json:"field_name_part_conversion"`
	IgnoreLinesThatIncludeOnlySubsetOfCharacters []string            `json:"ignore_lines_that_include_only_subset_of_characters"`
	IgnoreLinesThatIncludeOnlySubsetOfWords      []string            `json:"ignore_lines_that_include_only_subset_of_words"`
	IgnoreMatchers                               map[string]string   `json:"ignore_matchers"`
	IgnoreColumnNames                            []string            `json:"ignore_column_names"`
	UseTextInsteadOfString                       bool                `json:"use_text_instead_of_string"`
	TrimStringInsteadOfRaisingErr                bool                `json:"trim_string_instead_of_raising_err"`
	FieldsToExpand                               []string            `json:"fields_to_expand"`
	InferDatetimeForColumns                      []string            `json:"infer_datetime_for_columns"`
	XLSDateMode                                  string              `json:"xls_date_mode"`
}

// UnmarshalJSON reads Options from API JSON: a data source's fields (with
// their "_override" names) or a settings model's (without). When both
// spell a field, the override wins.
func (o *Options) UnmarshalJSON(b []byte) error {
	type plain Options
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var m settingsModelNames
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*o = Options(p)
	orList := func(dst *[]string, v []string) {
		if len(*dst) == 0 {
			*dst = v
		}
	}
	orList(&o.NullValues, m.NullValues)
	orList(&o.BooleanTrue, m.BooleanTrue)
	orList(&o.BooleanFalse, m.BooleanFalse)
	orList(&o.DatetimeFormats, m.DatetimeFormats)
	orList(&o.ArrayDelimiters, m.ArrayDelimiters)
	orList(&o.IgnoreLinesThatIncludeOnlySubsetOfCharacters, m.IgnoreLinesThatIncludeOnlySubsetOfCharacters)
	orList(&o.IgnoreLinesThatIncludeOnlySubsetOfWords, m.IgnoreLinesThatIncludeOnlySubsetOfWords)
	orList(&o.IgnoreColumnNames, m.IgnoreColumnNames)
	orList(&o.FieldsToExpand, m.FieldsToExpand)
	orList(&o.InferDatetimeForColumns, m.InferDatetimeForColumns)
	if len(o.NullValuesPerColumn) == 0 {
		o.NullValuesPerColumn = m.NullValuesPerColumn
	}
	if len(o.DatetimeFormatsPerColumn) == 0 {
		o.DatetimeFormatsPerColumn = m.DatetimeFormatsPerColumn
	}
	if len(o.FieldNameFullConversion) == 0 {
		o.FieldNameFullConversion = m.FieldNameFullConversion
	}
	if len(o.FieldNamePartConversion) == 0 {
		o.FieldNamePartConversion = m.FieldNamePartConversion
	}
	if len(o.IgnoreMatchers) == 0 {
		o.IgnoreMatchers = m.IgnoreMatchers
	}
	if o.DatetimeAllowedCharacters == "" {
		o.DatetimeAllowedCharacters = m.DatetimeAllowedCharacters
	}
	if o.XLSDateMode == "" {
		o.XLSDateMode = m.XLSDateMode
	}
	o.UseTextInsteadOfString = o.UseTextInsteadOfString || m.UseTextInsteadOfString
	o.TrimStringInsteadOfRaisingErr = o.TrimStringInsteadOfRaisingErr || m.TrimStringInsteadOfRaisingErr
	return nil
}
