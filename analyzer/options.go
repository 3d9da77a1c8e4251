package analyzer

import (
	"fmt"
	"regexp"
	"strings"
)

// Options are the settings that steer reading and inference. They mirror the
// API's data-source and settings-model fields (the JSON tags are the API's
// names, so a settings object unmarshals straight into Options). A nil
// *Options, and every zero field, means the documented default.
type Options struct {
	// EncodingProbably is a hint used when the content does not decide the
	// encoding: "utf-8", "utf-16le", "utf-16be", "windows-1252" or
	// "iso-8859-1" (aliases such as "latin1" and "cp1252" are accepted).
	// Default: detect (UTF-8, falling back to windows-1252 byte by byte).
	EncodingProbably string `json:"encoding_probably,omitempty"`

	// IdentifyHeaderByColumnNames names columns that the header row
	// contains; the first row holding all of them (compared after
	// normalisation) is the header. Default: find the header by shape.
	IdentifyHeaderByColumnNames []string `json:"identify_header_by_column_names,omitempty"`
	// RawHeaders are the column names to use when the file has no header
	// row: every row that is not skipped is data. Default: read the header
	// from the file.
	RawHeaders []string `json:"raw_headers,omitempty"`
	// ChunkSizeToReadForHeader is how many physical rows are examined to
	// find the header row. Default: 100.
	ChunkSizeToReadForHeader int `json:"chunk_size_to_read_for_header,omitempty"`

	// CSVDelimiter overrides the sniffed delimiter (e.g. ",", ";", "\t",
	// "|" or the word "tab"). Default: sniffed.
	CSVDelimiter string `json:"csv_delimiter,omitempty"`
	// CSVQuotechar overrides the sniffed quote character. Default: sniffed
	// (usually `"`).
	CSVQuotechar string `json:"csv_quotechar,omitempty"`
	// CSVEscapechar overrides the sniffed escape character (e.g. `\`); the
	// word "none" disables escaping. Default: sniffed, usually none (quotes
	// are doubled).
	CSVEscapechar string `json:"csv_escapechar,omitempty"`
	// CSVLineterminator overrides the sniffed line terminator ("\n",
	// "\r\n" or "\r"). The reader accepts any of them; this only changes
	// what is reported and which lone "\r" counts as a line break.
	// Default: sniffed.
	CSVLineterminator string `json:"csv_lineterminator,omitempty"`

	// ExcelSheetName picks the sheet of a workbook. Default: every sheet is
	// reported, the first one first.
	ExcelSheetName string `json:"excel_sheet_name,omitempty"`
	// XLSDateMode overrides the workbook's date system: "mode_0" (1900) or
	// "mode_1" (1904). Default: the workbook's own setting.
	XLSDateMode string `json:"xls_date_mode_override,omitempty"`

	// FilePassword opens password-protected zip members (ZipCrypto and
	// WinZip AES). Default: none.
	FilePassword string `json:"file_password,omitempty"`
	// GPGPrivateKey is an armored (or binary) OpenPGP private key used to
	// decrypt OpenPGP messages. Default: none (only messages encrypted
	// symmetrically with GPGPassphrase can be read).
	GPGPrivateKey string `json:"gpg_private_key,omitempty"`
	// GPGPassphrase unlocks GPGPrivateKey, or decrypts a symmetrically
	// encrypted message. Default: none.
	GPGPassphrase string `json:"gpg_passphrase,omitempty"`

	// IgnoreColumnIDs drops columns by 0-based position (as strings, like
	// the API, e.g. "0", "3"). Default: none.
	IgnoreColumnIDs []string `json:"ignore_column_ids,omitempty"`
	// IgnoreColumnNames drops columns by raw or normalised name. Default:
	// none.
	IgnoreColumnNames []string `json:"ignore_column_names_override,omitempty"`
	// IgnoreLinesThatIncludeOnlySubsetOfCharacters skips rows whose
	// characters (delimiters, quotes and white space aside) all belong to
	// one of these sets, e.g. "-=" skips "-----" and "=-=-". Default:
	// ["-", "=", "_", "*", "~", "#"] (lines of rules).
	IgnoreLinesThatIncludeOnlySubsetOfCharacters []string `json:"ignore_lines_that_include_only_subset_of_characters_override,omitempty"`
	// IgnoreLinesThatIncludeOnlySubsetOfWords skips rows whose non-empty
	// cells are all words of this list (case-insensitive), e.g. ["Total",
	// "Subtotal"]. Default: none.
	IgnoreLinesThatIncludeOnlySubsetOfWords []string `json:"ignore_lines_that_include_only_subset_of_words_override,omitempty"`
	// IgnoreMatchers skips rows by regular expression (RE2 syntax). A key
	// that names a column matches that column's cell; the key "*" (or "")
	// matches the whole row, its cells joined by the delimiter. Default:
	// none.
	IgnoreMatchers map[string]string `json:"ignore_matchers_override,omitempty"`

	// FieldNameFullConversion renames a whole raw or normalised field name,
	// e.g. {"Cust #": "customer_id"}. Default: none.
	FieldNameFullConversion map[string]string `json:"field_name_full_conversion_override,omitempty"`
	// FieldNamePartConversion replaces parts of raw field names before
	// normalisation, e.g. {"#": "number", "%": "percent"}. Default: "#" →
	// "number", "%" → "percent", "&" → "and", "@" → "at" (user entries are
	// applied first).
	FieldNamePartConversion map[string]string `json:"field_name_part_conversion_override,omitempty"`

	// NullValues are the cell values that mean NULL, compared after
	// trimming white space and case-insensitively. Default: "", "null",
	// "none", "nil", "n/a", "na", "nan", "#n/a", "-", "--", "?".
	NullValues []string `json:"null_values_override,omitempty"`
	// NullValuesPerColumn adds null values for one column (raw or
	// normalised name). Default: none.
	NullValuesPerColumn map[string][]string `json:"null_values_per_column_override,omitempty"`
	// BooleanTrue are the words read as true (case-insensitive). Default:
	// "true", "t", "yes", "y".
	BooleanTrue []string `json:"boolean_true_override,omitempty"`
	// BooleanFalse are the words read as false (case-insensitive).
	// Default: "false", "f", "no", "n".
	BooleanFalse []string `json:"boolean_false_override,omitempty"`

	// DatetimeFormats are strftime formats tried before the built-in ones
	// (Python strptime codes: %Y %y %m %d %H %I %M %S %f %p %z %Z %b %B %a
	// %A %j %s %%). Default: none besides the built-in list.
	DatetimeFormats []string `json:"datetime_formats_override,omitempty"`
	// DatetimeFormatsPerColumn gives the only formats tried for a column.
	// Default: none.
	DatetimeFormatsPerColumn map[string][]string `json:"datetime_formats_per_column_override,omitempty"`
	// DatetimeAllowedCharacters is the set of characters a date or time
	// value may hold; a value with any other character is not a datetime.
	// Default: ASCII letters and digits and " -/:.,+TZ".
	DatetimeAllowedCharacters string `json:"datetime_allowed_characters_override,omitempty"`
	// InferDatetimeForColumns names columns whose integer values are tried
	// as datetimes first (epoch seconds "%s", "%Y%m%d"). Default: none.
	InferDatetimeForColumns []string `json:"infer_datetime_for_columns_override,omitempty"`
	// StrictlyOneDatetimeFormatInAColumn requires one format to parse every
	// value of a datetime column; otherwise a column may mix formats and all
	// are reported. Default: false.
	StrictlyOneDatetimeFormatInAColumn bool `json:"strictly_one_datetime_format_in_a_column,omitempty"`

	// ArrayDelimiters are the separators of list values ("a|b|c") that make
	// a column text[]. Postgres array literals ("{a,b}") are always
	// recognised. Default: none.
	ArrayDelimiters []string `json:"array_delimiters_override,omitempty"`
	// FieldsToExpand names JSON columns whose object values are expanded
	// into one column per key ("<field>_<key>"). Default: none.
	FieldsToExpand []string `json:"fields_to_expand_override,omitempty"`
	// MaxTriesToFixJSON is how many repairs (single quotes, Python
	// literals, trailing commas, unquoted keys) are tried on a value that
	// is almost JSON. Default: 0 (no repair).
	MaxTriesToFixJSON int `json:"max_tries_to_fix_json,omitempty"`
	// DollarToCent stores money columns (values with a currency sign and
	// at most two decimals) as bigint cents. Default: false.
	DollarToCent bool `json:"dollar_to_cent,omitempty"`
	// UseTextInsteadOfString types string columns as text instead of
	// varchar(n). Default: false (varchar(n), n the longest value seen).
	UseTextInsteadOfString bool `json:"use_text_instead_of_string_override,omitempty"`
	// TrimStringInsteadOfRaisingErr makes casting a too-long value to
	// varchar(n) cut it to n characters instead of failing. Default: false.
	TrimStringInsteadOfRaisingErr bool `json:"trim_string_instead_of_raising_err_override,omitempty"`

	// MaxExamples is how many distinct example values each column keeps.
	// Default: 5.
	MaxExamples int `json:"-"`
	// MaxBadRows is how many bad rows are kept in a Result (all are
	// counted). Default: 100.
	MaxBadRows int `json:"-"`
	// MaxRows stops analysis after this many data rows. Default: 0 (read
	// everything).
	MaxRows int `json:"-"`
}

// Defaults used when an Options field is empty.
var (
	DefaultNullValues   = []string{"", "null", "none", "nil", "n/a", "na", "nan", "#n/a", "-", "--", "?"}
	DefaultBooleanTrue  = []string{"true", "t", "yes", "y"}
	DefaultBooleanFalse = []string{"false", "f", "no", "n"}
	// DefaultDatetimeAllowedCharacters is the default of
	// Options.DatetimeAllowedCharacters.
	DefaultDatetimeAllowedCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -/:.,+"
	DefaultIgnoreCharacterSets       = []string{"-", "=", "_", "*", "~", "#"}
	DefaultFieldNamePartConversion   = map[string]string{"#": "number", "%": "percent", "&": "and", "@": "at"}
)

// DefaultChunkSizeToReadForHeader is the default of
// Options.ChunkSizeToReadForHeader.
const DefaultChunkSizeToReadForHeader = 100

// settings is Options resolved and compiled once per analysis.
type settings struct {
	o            Options
	null         nullSet
	nullPerCol   map[string]nullSet
	trueWords    nullSet
	falseWords   nullSet
	dtAllowed    [256]bool
	dtDefault    bool // DatetimeAllowedCharacters is the default
	userFormats  []*Format
	perColFmts   map[string][]*Format
	inferDT      map[string]bool
	expand       map[string]bool
	arrayDelims  []string
	ignoreNames  map[string]bool
	ignoreIDs    map[int]bool
	charSets     [][256]bool
	charUnion    [256]bool
	words        map[string]bool
	lineMatchers []*regexp.Regexp
	colMatchers  map[string]*regexp.Regexp
}

func (o *Options) compile() (*settings, error) {
	s := &settings{}
	if o != nil {
		s.o = *o
	}
	o2 := &s.o
	if o2.ChunkSizeToReadForHeader <= 0 {
		o2.ChunkSizeToReadForHeader = DefaultChunkSizeToReadForHeader
	}
	if o2.MaxExamples <= 0 {
		o2.MaxExamples = 5
	}
	if o2.MaxBadRows <= 0 {
		o2.MaxBadRows = 100
	}
	if len(o2.NullValues) == 0 {
		o2.NullValues = DefaultNullValues
	}
	if len(o2.BooleanTrue) == 0 {
		o2.BooleanTrue = DefaultBooleanTrue
	}
	if len(o2.BooleanFalse) == 0 {
		o2.BooleanFalse = DefaultBooleanFalse
	}
	if o2.DatetimeAllowedCharacters == "" {
		o2.DatetimeAllowedCharacters = DefaultDatetimeAllowedCharacters
		s.dtDefault = true
	}
	if o2.IgnoreLinesThatIncludeOnlySubsetOfCharacters == nil {
		o2.IgnoreLinesThatIncludeOnlySubsetOfCharacters = DefaultIgnoreCharacterSets
	}
	s.null = newNullSet(o2.NullValues)
	s.nullPerCol = map[string]nullSet{}
	for k, v := range o2.NullValuesPerColumn {
		s.nullPerCol[k] = newNullSet(append(append([]string{}, o2.NullValues...), v...))
	}
	s.trueWords = newNullSet(o2.BooleanTrue)
	s.falseWords = newNullSet(o2.BooleanFalse)
	for i := 0; i < len(o2.DatetimeAllowedCharacters); i++ {
		s.dtAllowed[o2.DatetimeAllowedCharacters[i]] = true
	}
	for _, f := range o2.DatetimeFormats {
		cf, err := CompileFormat(f)
		if err != nil {
			return nil, fmt.Errorf("datetime_formats: %w", err)
		}
		s.userFormats = append(s.userFormats, cf)
	}
	s.perColFmts = map[string][]*Format{}
	for col, fs := range o2.DatetimeFormatsPerColumn {
		for _, f := range fs {
			cf, err := CompileFormat(f)
			if err != nil {
				return nil, fmt.Errorf("datetime_formats_per_column[%q]: %w", col, err)
			}
			s.perColFmts[col] = append(s.perColFmts[col], cf)
		}
	}
	s.inferDT = setOf(o2.InferDatetimeForColumns)
	s.expand = setOf(o2.FieldsToExpand)
	s.arrayDelims = o2.ArrayDelimiters
	s.ignoreNames = setOf(o2.IgnoreColumnNames)
	s.ignoreIDs = map[int]bool{}
	for _, id := range o2.IgnoreColumnIDs {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(id), &n); err != nil {
			return nil, fmt.Errorf("ignore_column_ids: %q is not a column number", id)
		}
		s.ignoreIDs[n] = true
	}
	for _, cs := range o2.IgnoreLinesThatIncludeOnlySubsetOfCharacters {
		if cs == "" {
			continue
		}
		var set [256]bool
		for i := 0; i < len(cs); i++ {
			set[cs[i]] = true
		}
		s.charSets = append(s.charSets, set)
		for i, b := range set {
			s.charUnion[i] = s.charUnion[i] || b
		}
	}
	s.words = map[string]bool{}
	for _, w := range o2.IgnoreLinesThatIncludeOnlySubsetOfWords {
		s.words[strings.ToLower(strings.TrimSpace(w))] = true
	}
	s.colMatchers = map[string]*regexp.Regexp{}
	for k, v := range o2.IgnoreMatchers {
		re, err := regexp.Compile(v)
		if err != nil {
			return nil, fmt.Errorf("ignore_matchers[%q]: %w", k, err)
		}
		if k == "" || k == "*" {
			s.lineMatchers = append(s.lineMatchers, re)
		} else {
			s.colMatchers[k] = re
		}
	}
	return s, nil
}

func setOf(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
		m[NormalizeName(x)] = true
	}
	return m
}

// nullSet is a case-insensitive set of short words looked up without
// allocating.
type nullSet struct {
	m      map[string]bool
	maxLen int
	empty  bool
	first  [256]bool // first bytes of the words, both cases
}

func newNullSet(words []string) nullSet {
	s := nullSet{m: map[string]bool{}}
	for _, w := range words {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" {
			s.empty = true
			continue
		}
		s.m[w] = true
		s.first[w[0]] = true
		if c := w[0]; c >= 'a' && c <= 'z' {
			s.first[c-'a'+'A'] = true
		}
		if len(w) > s.maxLen {
			s.maxLen = len(w)
		}
	}
	return s
}

// has reports whether v (already trimmed) is in the set.
func (s *nullSet) has(v string) bool {
	if v == "" {
		return s.empty
	}
	if len(v) > s.maxLen || !s.first[v[0]] {
		return false
	}
	return s.lookup(v)
}

func (s *nullSet) lookup(v string) bool {
	if len(v) > 64 {
		return s.m[strings.ToLower(v)]
	}
	var buf [64]byte
	b := buf[:len(v)]
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return s.m[string(b)]
}
