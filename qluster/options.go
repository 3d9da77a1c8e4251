package qluster

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/openqluster/qluster-go/analyzer"
)

// settingsOverridable are the settings-model fields a data source may
// override with a field of the same name ending in _override.
var settingsOverridable = []string{
	"datetime_formats_per_column", "should_reprocess", "xls_date_mode", "null_values", "null_values_per_column",
	"boolean_true", "boolean_false", "datetime_allowed_characters", "datetime_formats", "array_delimiters",
	"field_name_full_conversion", "field_name_part_conversion", "ignore_lines_that_include_only_subset_of_characters",
	"ignore_lines_that_include_only_subset_of_words", "ignore_matchers", "ignore_column_names", "use_text_instead_of_string",
	"quarantine_row_if_row_level_issue", "trim_string_instead_of_raising_err", "fields_to_expand", "infer_datetime_for_columns",
}

// AnalyzerOptions are the options the analyzer reads the files of data
// source src with: the dataset's settings model, with every override src
// sets winning, plus src's own reading fields (dialect, encoding, header,
// sheet, passwords and keys). src may be nil.
func AnalyzerOptions(d *Dataset, src *DataSource) (*analyzer.Options, error) {
	m := map[string]json.RawMessage{}
	if d.SettingsModel != nil {
		b, err := json.Marshal(d.SettingsModel)
		if err != nil {
			return nil, err
		}
		var sm map[string]json.RawMessage
		if err := json.Unmarshal(b, &sm); err != nil {
			return nil, err
		}
		for _, k := range settingsOverridable {
			if v, ok := sm[k]; ok {
				m[k+"_override"] = v
			}
		}
		m["dollar_to_cent"] = sm["dollar_to_cent"]
	}
	m["strictly_one_datetime_format_in_a_column"], _ = json.Marshal(d.StrictlyOneDatetimeFormatInAColumn)
	m["max_tries_to_fix_json"], _ = json.Marshal(d.MaxTriesToFixJSON)
	if src != nil {
		// The source's overrides, when set, replace the dataset's values;
		// its reading fields (dialect, header, sheet, keys) join them.
		b, err := json.Marshal(src)
		if err != nil {
			return nil, err
		}
		var sm map[string]json.RawMessage
		if err := json.Unmarshal(b, &sm); err != nil {
			return nil, err
		}
		for k, v := range sm {
			if string(v) != "null" {
				m[k] = v
			}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	opts := &analyzer.Options{}
	if err := json.Unmarshal(b, opts); err != nil {
		return nil, fmt.Errorf("settings of dataset %d: %w", d.ID, err)
	}
	return opts, nil
}

// itemOptions reads the data source of a stored item (nil when it has
// none) and the options the analyzer reads the file with.
func (e *Engine) itemOptions(ctx context.Context, ds *Dataset, it *StoredItem) (*DataSource, *analyzer.Options, error) {
	var src *DataSource
	if it.DataSourceModelID != nil {
		var err error
		if src, err = e.store.GetDataSource(ctx, *it.DataSourceModelID); err != nil {
			return nil, nil, err
		}
	}
	opts, err := AnalyzerOptions(ds, src)
	if err != nil {
		return nil, nil, err
	}
	return src, opts, nil
}
