// Code written once from api/openapi.yaml; edited by hand since.

package qluster

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Settings is the settings model of a dataset: how its files are read, cleaned and cast. A data source may override each of them for its own files.
type Settings struct {
	ID        int64 `json:"id" db:"id"`
	VersionID int64 `json:"version_id" db:"version_id"`
	// DollarToCent multiply money amounts (a column of values with a currency sign) by 100 and store whole cents.
	DollarToCent bool `json:"dollar_to_cent" db:"dollar_to_cent"`
	// DatetimeFormatsPerColumn per column, the strftime formats (e.g. `%d/%m/%Y`) its values are parsed with. Wins over `datetime_formats`.
	DatetimeFormatsPerColumn map[string][]string `json:"datetime_formats_per_column,omitempty" db:"datetime_formats_per_column"`
	// ShouldReprocess process a file again even when a file with the same content signature was already ingested.
	ShouldReprocess bool `json:"should_reprocess" db:"should_reprocess"`
	// XLSDateMode the date system of legacy .xls workbooks: mode_0 counts from 1900, mode_1 from 1904.
	XLSDateMode XLSDateMode `json:"xls_date_mode" db:"xls_date_mode"`
	// NullValues cell values that mean NULL in every column (compared after trimming white space).
	NullValues []string `json:"null_values,omitempty" db:"null_values"`
	// NullValuesPerColumn per column, extra values that mean NULL in that column only.
	NullValuesPerColumn map[string][]string `json:"null_values_per_column,omitempty" db:"null_values_per_column"`
	// BooleanTrue words that mean true (compared case-insensitively).
	BooleanTrue []string `json:"boolean_true,omitempty" db:"boolean_true"`
	// BooleanFalse words that mean false (compared case-insensitively).
	BooleanFalse []string `json:"boolean_false,omitempty" db:"boolean_false"`
	// DatetimeAllowedCharacters the characters a value may contain to be considered as a date or time; a value with any other character is not a datetime. Letters of month and day names, AM/PM and time-zone names are allowed besides these.
	DatetimeAllowedCharacters string `json:"datetime_allowed_characters" db:"datetime_allowed_characters"`
	// DatetimeFormats strftime formats (Python strptime codes such as `%Y-%m-%d %H:%M:%S`, `%d-%b-%Y`) tried before inference, for every column.
	DatetimeFormats []string `json:"datetime_formats,omitempty" db:"datetime_formats"`
	// ArrayDelimiters delimiters that split a cell into an array (text[]) when every value of the column has them.
	ArrayDelimiters []string `json:"array_delimiters,omitempty" db:"array_delimiters"`
	// FieldNameFullConversion renames applied to whole header names before they become column names: {"Cust #": "customer_number"}.
	FieldNameFullConversion map[string]string `json:"field_name_full_conversion,omitempty" db:"field_name_full_conversion"`
	// FieldNamePartConversion replacements applied to parts of header names: {"#": "number", "%": "percent"}.
	FieldNamePartConversion map[string]string `json:"field_name_part_conversion,omitempty" db:"field_name_part_conversion"`
	// IgnoreLinesThatIncludeOnlySubsetOfCharacters A line made only of these characters (for example `-----` or `====`) is skipped.
	IgnoreLinesThatIncludeOnlySubsetOfCharacters []string `json:"ignore_lines_that_include_only_subset_of_characters,omitempty" db:"ignore_lines_that_include_only_subset_of_characters"`
	// IgnoreLinesThatIncludeOnlySubsetOfWords A line made only of these words (for example a `Total` footer) is skipped; compared case-insensitively.
	IgnoreLinesThatIncludeOnlySubsetOfWords []string `json:"ignore_lines_that_include_only_subset_of_words,omitempty" db:"ignore_lines_that_include_only_subset_of_words"`
	// IgnoreMatchers named regular expressions; a line that matches any of them is skipped: {"footer": "^Generated on .*"}.
	IgnoreMatchers map[string]string `json:"ignore_matchers,omitempty" db:"ignore_matchers"`
	// IgnoreColumnNames columns with these header names are dropped.
	IgnoreColumnNames []string `json:"ignore_column_names,omitempty" db:"ignore_column_names"`
	// UseTextInsteadOfString text columns become `text` instead of `varchar(n)`.
	UseTextInsteadOfString bool `json:"use_text_instead_of_string" db:"use_text_instead_of_string"`
	// QuarantineRowIfRowLevelIssue A row with a cell that cannot be cast goes to the quarantine table and the rest of the file loads; when false, the file is blocked with an alert instead.
	QuarantineRowIfRowLevelIssue bool `json:"quarantine_row_if_row_level_issue" db:"quarantine_row_if_row_level_issue"`
	// TrimStringInsteadOfRaisingErr A text value longer than its varchar(n) column is cut to fit instead of raising a string_length alert.
	TrimStringInsteadOfRaisingErr bool `json:"trim_string_instead_of_raising_err" db:"trim_string_instead_of_raising_err"`
	// FieldsToExpand JSON columns whose keys become columns of their own.
	FieldsToExpand []string `json:"fields_to_expand,omitempty" db:"fields_to_expand"`
	// InferDatetimeForColumns only these columns are inferred as dates and times; empty means every column.
	InferDatetimeForColumns []string `json:"infer_datetime_for_columns,omitempty" db:"infer_datetime_for_columns"`
	// MigrationWindow is when draft migrations of a dataset whose
	// migration_policy is migration_window are applied: "HH:MM-HH:MM" in UTC
	// (an end before the start spans midnight). Default "" (none).
	MigrationWindow string `json:"migration_window" db:"migration_window"`
	// UpsertKeyColumns are the columns that identify a row when the dataset's
	// data_loading_process is upsert. Default none.
	UpsertKeyColumns []string `json:"upsert_key_columns,omitempty" db:"upsert_key_columns"`
	// ValidationRules are the rules rows are checked with during ingestion,
	// by column name; a row that breaks one is quarantined with a validation
	// alert. Default none.
	ValidationRules map[string]ValidationRule `json:"validation_rules,omitempty" db:"validation_rules"`
}

// Dataset is a destination table fed by files from its data sources, with its settings model.
type Dataset struct {
	ID        int64 `json:"id" db:"id"`
	VersionID int64 `json:"version_id" db:"version_id"`
	// Name A unique, human-readable name.
	Name string `json:"name" db:"name" validate:"required,max=200"`
	// SchemaName the PostgreSQL schema of the destination table.
	SchemaName string `json:"schema_name" db:"schema_name" validate:"required,pgident"`
	// DatabaseName the PostgreSQL database of the destination.
	DatabaseName string `json:"database_name" db:"database_name" validate:"required,pgident"`
	// TableName the destination table; its quarantine table is `<table_name>_quarantine`.
	TableName string `json:"table_name" db:"table_name" validate:"required,pgident"`
	// MigrationPolicy what happens to a draft migration: apply_asap applies it at once, ask_user raises a needs_review_migration alert, migration_window applies it at the next window, locked never changes the table. Default apply_asap.
	MigrationPolicy MigrationPolicy `json:"migration_policy" db:"migration_policy"`
	State           DatasetState    `json:"state" db:"state"`
	// EncryptRawDataDuringBackup openPGP-encrypt raw files to the backup settings' public key when backing them up. Default false.
	EncryptRawDataDuringBackup bool `json:"encrypt_raw_data_during_backup" db:"encrypt_raw_data_during_backup"`
	// CompressionTypeOfBackupData how raw files are compressed in backup storage. Default gzip.
	CompressionTypeOfBackupData CompressionType `json:"compression_type_of_backup_data" db:"compression_type_of_backup_data"`
	// BackupKeyFormat the key of a raw file in backup storage; placeholders {dataset_id}, {data_source_model_id}, {stored_item_id}, {yyyy}, {mm}, {dd}, {file_name}. Default `{dataset_id}/{data_source_model_id}/{yyyy}/{mm}/{dd}/{stored_item_id}-{file_name}`.
	BackupKeyFormat    string  `json:"backup_key_format" db:"backup_key_format"`
	BackupSettingsList [][]any `json:"backup_settings_list,omitempty" db:"backup_settings_list"`
	// BackupSettingsID the backup settings used for the raw files; the default local storage when not set.
	BackupSettingsID *int64 `json:"backup_settings_id,omitempty" db:"backup_settings_id"`
	// DestinationID the destination database; the default destination when not set.
	DestinationID    *int64  `json:"destination_id,omitempty" db:"destination_id"`
	DestinationsList [][]any `json:"destinations_list,omitempty" db:"destinations_list"`
	// DataLoadingProcess how a file's good rows are merged into the table: replace (the file's data source's rows are replaced by this file's), upsert (insert or update on key columns), snapshot (appended with the snapshot time). Default snapshot.
	DataLoadingProcess DataLoadingProcess `json:"data_loading_process" db:"data_loading_process"`
	// ShouldReprocess process a file again even when a file with the same content signature was already ingested.
	ShouldReprocess bool `json:"should_reprocess" db:"should_reprocess"`
	// MaxRetryCount how many times a failing job is retried with backoff. Default 3.
	MaxRetryCount int64 `json:"max_retry_count" db:"max_retry_count"`
	// RedirectPostSubmitTo where a client should go after submitting.
	RedirectPostSubmitTo string `json:"redirect_post_submit_to" db:"redirect_post_submit_to"`
	// StrictlyOneDatetimeFormatInAColumn A datetime column must use exactly one format; values in another format are casting errors. Default true.
	StrictlyOneDatetimeFormatInAColumn bool `json:"strictly_one_datetime_format_in_a_column" db:"strictly_one_datetime_format_in_a_column"`
	// GuessDatetimeFormatInIngestion during ingestion, a datetime value that none of the column's formats parse is guessed rather than quarantined. Default false.
	GuessDatetimeFormatInIngestion bool  `json:"guess_datetime_format_in_ingestion" db:"guess_datetime_format_in_ingestion"`
	SuccessfulRowsCount            int64 `json:"successful_rows_count" db:"successful_rows_count"`
	BadRowsCount                   int64 `json:"bad_rows_count" db:"bad_rows_count"`
	// DisabledFields columns that are read but not loaded.
	DisabledFields []string `json:"disabled_fields,omitempty" db:"disabled_fields"`
	// MaxTriesToFixJSON how many repairs (quotes, trailing commas, ...) are tried on a JSON value that does not parse. Default 3.
	MaxTriesToFixJSON int64 `json:"max_tries_to_fix_json" db:"max_tries_to_fix_json"`
	// WhodunitID the user who made the last change.
	WhodunitID    *uuid.UUID `json:"whodunit_id,omitempty" db:"whodunit_id"`
	SettingsModel *Settings  `json:"settings_model,omitempty" db:"settings_model"`
}

// DataSource is where a dataset's files come from, with per-source overrides of the dataset's settings.
type DataSource struct {
	ID int64 `json:"id" db:"id"`
	// Name A unique, human-readable name.
	Name            string    `json:"name" db:"name" validate:"required,max=200"`
	DatasetName     string    `json:"dataset_name" db:"dataset_name"`
	CreatedAt       time.Time `json:"created_at" db:"created_at"`
	SettingsModelID *int64    `json:"settings_model_id,omitempty" db:"settings_model_id"`
	DatasetID       *int64    `json:"dataset_id,omitempty" db:"dataset_id"`
	VersionID       int64     `json:"version_id" db:"version_id"`
	// DataSourceType where files come from. Default stream (files pushed by upload).
	DataSourceType DataSourceType `json:"data_source_type" db:"data_source_type"`
	// Schedule A cron expression (5 fields, or 6 with a leading seconds field) on which the source is polled, in UTC; empty for none.
	Schedule string          `json:"schedule" db:"schedule"`
	State    DataSourceState `json:"state" db:"state"`
	// ConnectionTimeout seconds each call to the source may take. Default 30.
	ConnectionTimeout int64 `json:"connection_timeout" db:"connection_timeout"`
	// DeleteSourceFileAfterBackup delete the original file from the source once it is backed up. Default false.
	DeleteSourceFileAfterBackup bool `json:"delete_source_file_after_backup" db:"delete_source_file_after_backup"`
	// EncodingProbably A hint for the text encoding of files (utf-8, utf-16le, windows-1252, iso-8859-1); empty to detect.
	EncodingProbably string `json:"encoding_probably" db:"encoding_probably"`
	// IdentifyHeaderByColumnNames names that the header row contains; the first line holding them is the header.
	IdentifyHeaderByColumnNames []string `json:"identify_header_by_column_names,omitempty" db:"identify_header_by_column_names"`
	// RawHeaders the header to use when files have none.
	RawHeaders []string `json:"raw_headers,omitempty" db:"raw_headers"`
	// ChunkSizeToReadForHeader how many lines are searched for the header. Default 50.
	ChunkSizeToReadForHeader int64 `json:"chunk_size_to_read_for_header" db:"chunk_size_to_read_for_header"`
	BadRowsCount             int64 `json:"bad_rows_count" db:"bad_rows_count"`
	// Pattern A glob that the keys of files to take must match; empty takes every file.
	Pattern string `json:"pattern" db:"pattern"`
	// ArchivePattern A glob that members of archives must match to be taken; empty takes every member.
	ArchivePattern string `json:"archive_pattern" db:"archive_pattern"`
	// CSVDelimiter the CSV delimiter; empty to sniff it.
	CSVDelimiter string `json:"csv_delimiter" db:"csv_delimiter"`
	// CSVQuotechar the CSV quote character; empty to sniff it.
	CSVQuotechar string `json:"csv_quotechar" db:"csv_quotechar"`
	// CSVEscapechar the CSV escape character; empty for none or to sniff it.
	CSVEscapechar string `json:"csv_escapechar" db:"csv_escapechar"`
	// CSVLineterminator the CSV line terminator; empty to sniff it.
	CSVLineterminator string `json:"csv_lineterminator" db:"csv_lineterminator"`
	S3AccessKey       string `json:"s3_access_key" db:"s3_access_key"`
	// S3SecretKey A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	S3SecretKey         string `json:"s3_secret_key" db:"s3_secret_key"`
	S3EndpointURL       string `json:"s3_endpoint_url" db:"s3_endpoint_url"`
	S3RegionName        string `json:"s3_region_name" db:"s3_region_name"`
	S3DefaultBufferSize int64  `json:"s3_default_buffer_size" db:"s3_default_buffer_size"`
	S3Bucket            string `json:"s3_bucket" db:"s3_bucket"`
	S3Prefix            string `json:"s3_prefix" db:"s3_prefix"`
	SFTPHost            string `json:"sftp_host" db:"sftp_host"`
	SFTPPort            int64  `json:"sftp_port" db:"sftp_port"`
	SFTPUser            string `json:"sftp_user" db:"sftp_user"`
	// SFTPPassword A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	SFTPPassword string `json:"sftp_password" db:"sftp_password"`
	// SFTPSSHKey A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	SFTPSSHKey string `json:"sftp_ssh_key" db:"sftp_ssh_key"`
	// SFTPSSHKeyPassphrase A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	SFTPSSHKeyPassphrase string `json:"sftp_ssh_key_passphrase" db:"sftp_ssh_key_passphrase"`
	SFTPFolder           string `json:"sftp_folder" db:"sftp_folder"`
	// SFTPHostKey is the SFTP server's host key (authorized_keys or
	// known_hosts form, or a SHA256 fingerprint); empty until the first
	// login records the key the server showed.
	SFTPHostKey string `json:"sftp_host_key" db:"sftp_host_key"`
	// GSServiceAccountKey A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	GSServiceAccountKey string `json:"gs_service_account_key" db:"gs_service_account_key"`
	GSBucket            string `json:"gs_bucket" db:"gs_bucket"`
	GSPrefix            string `json:"gs_prefix" db:"gs_prefix"`
	// GPGPrivateKey the armored OpenPGP private key that decrypts encrypted files. Stored encrypted, returned obfuscated.
	GPGPrivateKey string `json:"gpg_private_key" db:"gpg_private_key"`
	// GPGPassphrase the passphrase of gpg_private_key. Stored encrypted, returned obfuscated.
	GPGPassphrase string `json:"gpg_passphrase" db:"gpg_passphrase"`
	// FilePassword the password of encrypted zip files. Stored encrypted, returned obfuscated.
	FilePassword string `json:"file_password" db:"file_password"`
	// DropboxAccessToken A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	DropboxAccessToken string `json:"dropbox_access_token" db:"dropbox_access_token"`
	DropboxFolder      string `json:"dropbox_folder" db:"dropbox_folder"`
	// IgnoreColumnIDs columns dropped by position (0-based).
	IgnoreColumnIDs []string `json:"ignore_column_ids,omitempty" db:"ignore_column_ids"`
	// ExcelSheetName the sheet of a workbook to read; when empty and there are several, a multiple_sheets_found alert asks.
	ExcelSheetName string `json:"excel_sheet_name" db:"excel_sheet_name"`
	// DatetimeFormatsPerColumnOverride overrides the dataset's `datetime_formats_per_column` for this source's files when set (null: use the dataset's). Per column, the strftime formats (e.g. `%d/%m/%Y`) its values are parsed with. Wins over `datetime_formats`.
	DatetimeFormatsPerColumnOverride map[string][]string `json:"datetime_formats_per_column_override,omitempty" db:"datetime_formats_per_column_override"`
	// ShouldReprocessOverride overrides the dataset's `should_reprocess` for this source's files when set (null: use the dataset's). Process a file again even when a file with the same content signature was already ingested.
	ShouldReprocessOverride *bool `json:"should_reprocess_override,omitempty" db:"should_reprocess_override"`
	// XLSDateModeOverride overrides the dataset's `xls_date_mode` for this source's files when set (null: use the dataset's). The date system of legacy .xls workbooks: mode_0 counts from 1900, mode_1 from 1904.
	XLSDateModeOverride *XLSDateMode `json:"xls_date_mode_override,omitempty" db:"xls_date_mode_override"`
	// NullValuesOverride overrides the dataset's `null_values` for this source's files when set (null: use the dataset's). Cell values that mean NULL in every column (compared after trimming white space).
	NullValuesOverride []string `json:"null_values_override,omitempty" db:"null_values_override"`
	// NullValuesPerColumnOverride overrides the dataset's `null_values_per_column` for this source's files when set (null: use the dataset's). Per column, extra values that mean NULL in that column only.
	NullValuesPerColumnOverride map[string][]string `json:"null_values_per_column_override,omitempty" db:"null_values_per_column_override"`
	// BooleanTrueOverride overrides the dataset's `boolean_true` for this source's files when set (null: use the dataset's). Words that mean true (compared case-insensitively).
	BooleanTrueOverride []string `json:"boolean_true_override,omitempty" db:"boolean_true_override"`
	// BooleanFalseOverride overrides the dataset's `boolean_false` for this source's files when set (null: use the dataset's). Words that mean false (compared case-insensitively).
	BooleanFalseOverride []string `json:"boolean_false_override,omitempty" db:"boolean_false_override"`
	// DatetimeAllowedCharactersOverride overrides the dataset's `datetime_allowed_characters` for this source's files when set (null: use the dataset's). The characters a value may contain to be considered as a date or time; a value with any other character is not a datetime. Letters of month and day names, AM/PM and time-zone names are allowed besides these.
	DatetimeAllowedCharactersOverride *string `json:"datetime_allowed_characters_override,omitempty" db:"datetime_allowed_characters_override"`
	// DatetimeFormatsOverride overrides the dataset's `datetime_formats` for this source's files when set (null: use the dataset's). strftime formats (Python strptime codes such as `%Y-%m-%d %H:%M:%S`, `%d-%b-%Y`) tried before inference, for every column.
	DatetimeFormatsOverride []string `json:"datetime_formats_override,omitempty" db:"datetime_formats_override"`
	// ArrayDelimitersOverride overrides the dataset's `array_delimiters` for this source's files when set (null: use the dataset's). Delimiters that split a cell into an array (text[]) when every value of the column has them.
	ArrayDelimitersOverride []string `json:"array_delimiters_override,omitempty" db:"array_delimiters_override"`
	// FieldNameFullConversionOverride overrides the dataset's `field_name_full_conversion` for this source's files when set (null: use the dataset's). Renames applied to whole header names before they become column names: {"Cust #": "customer_number"}.
	FieldNameFullConversionOverride map[string]string `json:"field_name_full_conversion_override,omitempty" db:"field_name_full_conversion_override"`
	// FieldNamePartConversionOverride overrides the dataset's `field_name_part_conversion` for this source's files when set (null: use the dataset's). Replacements applied to parts of header names: {"#": "number", "%": "percent"}.
	FieldNamePartConversionOverride map[string]string `json:"field_name_part_conversion_override,omitempty" db:"field_name_part_conversion_override"`
	// IgnoreLinesThatIncludeOnlySubsetOfCharactersOverride overrides the dataset's `ignore_lines_that_include_only_subset_of_characters` for this source's files when set (null: use the dataset's). A line made only of these characters (for example `-----` or `====`) is skipped.
	IgnoreLinesThatIncludeOnlySubsetOfCharactersOverride []string `json:"ignore_lines_that_include_only_subset_of_characters_override,omitempty" db:"ignore_lines_that_include_only_subset_of_characters_override"`
	// IgnoreLinesThatIncludeOnlySubsetOfWordsOverride overrides the dataset's `ignore_lines_that_include_only_subset_of_words` for this source's files when set (null: use the dataset's). A line made only of these words (for example a `Total` footer) is skipped; compared case-insensitively.
	IgnoreLinesThatIncludeOnlySubsetOfWordsOverride []string `json:"ignore_lines_that_include_only_subset_of_words_override,omitempty" db:"ignore_lines_that_include_only_subset_of_words_override"`
	// IgnoreMatchersOverride overrides the dataset's `ignore_matchers` for this source's files when set (null: use the dataset's). Named regular expressions; a line that matches any of them is skipped: {"footer": "^Generated on .*"}.
	IgnoreMatchersOverride map[string]string `json:"ignore_matchers_override,omitempty" db:"ignore_matchers_override"`
	// IgnoreColumnNamesOverride overrides the dataset's `ignore_column_names` for this source's files when set (null: use the dataset's). Columns with these header names are dropped.
	IgnoreColumnNamesOverride []string `json:"ignore_column_names_override,omitempty" db:"ignore_column_names_override"`
	// UseTextInsteadOfStringOverride overrides the dataset's `use_text_instead_of_string` for this source's files when set (null: use the dataset's). Text columns become `text` instead of `varchar(n)`.
	UseTextInsteadOfStringOverride *bool `json:"use_text_instead_of_string_override,omitempty" db:"use_text_instead_of_string_override"`
	// QuarantineRowIfRowLevelIssueOverride overrides the dataset's `quarantine_row_if_row_level_issue` for this source's files when set (null: use the dataset's). A row with a cell that cannot be cast goes to the quarantine table and the rest of the file loads; when false, the file is blocked with an alert instead.
	QuarantineRowIfRowLevelIssueOverride *bool `json:"quarantine_row_if_row_level_issue_override,omitempty" db:"quarantine_row_if_row_level_issue_override"`
	// TrimStringInsteadOfRaisingErrOverride overrides the dataset's `trim_string_instead_of_raising_err` for this source's files when set (null: use the dataset's). A text value longer than its varchar(n) column is cut to fit instead of raising a string_length alert.
	TrimStringInsteadOfRaisingErrOverride *bool `json:"trim_string_instead_of_raising_err_override,omitempty" db:"trim_string_instead_of_raising_err_override"`
	// FieldsToExpandOverride overrides the dataset's `fields_to_expand` for this source's files when set (null: use the dataset's). JSON columns whose keys become columns of their own.
	FieldsToExpandOverride []string `json:"fields_to_expand_override,omitempty" db:"fields_to_expand_override"`
	// InferDatetimeForColumnsOverride overrides the dataset's `infer_datetime_for_columns` for this source's files when set (null: use the dataset's). Only these columns are inferred as dates and times; empty means every column.
	InferDatetimeForColumnsOverride []string `json:"infer_datetime_for_columns_override,omitempty" db:"infer_datetime_for_columns_override"`
	// RedirectPostSubmitTo where a client should go after submitting.
	RedirectPostSubmitTo string `json:"redirect_post_submit_to" db:"redirect_post_submit_to"`
}

// DestinationModel is the configuration of a PostgreSQL database that datasets load into.
type DestinationModel struct {
	ID int64 `json:"id" db:"id"`
	// Name A unique, human-readable name.
	Name            string          `json:"name" db:"name" validate:"required,max=200"`
	DestinationType DestinationType `json:"destination_type" db:"destination_type"`
	// DatabaseName the PostgreSQL database of the destination.
	DatabaseName string    `json:"database_name" db:"database_name" validate:"required"`
	UpdatedAt    time.Time `json:"updated_at" db:"updated_at"`
	Host         string    `json:"host" db:"host"`
	User         string    `json:"user" db:"user"`
	Port         string    `json:"port" db:"port"`
	// Password A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	Password       string    `json:"password" db:"password"`
	ConnectTimeout int64     `json:"connect_timeout" db:"connect_timeout"`
	CreatedAt      time.Time `json:"created_at" db:"created_at"`
	// RedirectPostSubmitTo where a client should go after submitting.
	RedirectPostSubmitTo string `json:"redirect_post_submit_to" db:"redirect_post_submit_to"`
}

// BackupSettings says where and how raw files are backed up.
type BackupSettings struct {
	ID                 int64  `json:"id" db:"id"`
	VersionID          int64  `json:"version_id" db:"version_id"`
	BackupGPGPublicKey string `json:"backup_gpg_public_key" db:"backup_gpg_public_key"`
	BackupGPGRecipient string `json:"backup_gpg_recipient" db:"backup_gpg_recipient"`
	// BackupGPGPrivateKey A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	BackupGPGPrivateKey string `json:"backup_gpg_private_key" db:"backup_gpg_private_key"`
	// BackupGPGPassphrase A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	BackupGPGPassphrase string     `json:"backup_gpg_passphrase" db:"backup_gpg_passphrase"`
	BackupType          BackupType `json:"backup_type" db:"backup_type"`
	BackupS3AccessKey   string     `json:"backup_s3_access_key" db:"backup_s3_access_key"`
	// BackupS3SecretKey A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	BackupS3SecretKey         string `json:"backup_s3_secret_key" db:"backup_s3_secret_key"`
	BackupS3EndpointURL       string `json:"backup_s3_endpoint_url" db:"backup_s3_endpoint_url"`
	BackupS3RegionName        string `json:"backup_s3_region_name" db:"backup_s3_region_name"`
	BackupS3DefaultBufferSize int64  `json:"backup_s3_default_buffer_size" db:"backup_s3_default_buffer_size"`
	BackupS3Bucket            string `json:"backup_s3_bucket" db:"backup_s3_bucket"`
	// BackupGSServiceAccountKey A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	BackupGSServiceAccountKey string    `json:"backup_gs_service_account_key" db:"backup_gs_service_account_key"`
	BackupGSBucket            string    `json:"backup_gs_bucket" db:"backup_gs_bucket"`
	CreatedAt                 time.Time `json:"created_at" db:"created_at"`
	// RedirectPostSubmitTo where a client should go after submitting.
	RedirectPostSubmitTo string `json:"redirect_post_submit_to" db:"redirect_post_submit_to"`
	// WhodunitID the user who made the last change.
	WhodunitID *uuid.UUID `json:"whodunit_id,omitempty" db:"whodunit_id"`
}

// User is a person or program that signs in. Password holds the password hash and never leaves the server.
type User struct {
	ID         uuid.UUID `json:"id" db:"id"`
	Email      string    `json:"email" db:"email" validate:"required,email"`
	FirstName  string    `json:"first_name" db:"first_name"`
	LastName   string    `json:"last_name" db:"last_name"`
	IsActive   bool      `json:"is_active" db:"is_active"`
	IsVerified bool      `json:"is_verified" db:"is_verified"`
	UserType   UserType  `json:"user_type" db:"user_type"`
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
	UpdatedAt  time.Time `json:"updated_at" db:"updated_at"`
	// Password A secret: stored encrypted, returned obfuscated. Sending the obfuscated value back keeps the stored secret.
	Password           string      `json:"password" db:"password"`
	LastFailedLoginsAt []time.Time `json:"last_failed_logins_at,omitempty" db:"last_failed_logins_at"`
	DataSourceModelIDs []int64     `json:"data_source_model_ids,omitempty" db:"data_source_model_ids"`
	CreatedByUserID    string      `json:"created_by_user_id" db:"created_by_user_id"`
	CreatedByUserEmail string      `json:"created_by_user_email" db:"created_by_user_email"`
	// RedirectPostSubmitTo where a client should go after submitting.
	RedirectPostSubmitTo string `json:"redirect_post_submit_to" db:"redirect_post_submit_to"`
}

// FatalError is a failure that escaped a job, aggregated by job name and error with a count.
type FatalError struct {
	JobName           string         `json:"job_name" db:"job_name"`
	JobType           JobType        `json:"job_type" db:"job_type"`
	Error             string         `json:"error" db:"error"`
	Module            string         `json:"module" db:"module"`
	Msg               string         `json:"msg" db:"msg"`
	StackTrace        string         `json:"stack_trace" db:"stack_trace"`
	DataSourceModelID *int64         `json:"data_source_model_id,omitempty" db:"data_source_model_id"`
	SettingsModelID   *int64         `json:"settings_model_id,omitempty" db:"settings_model_id"`
	AlertItemID       *int64         `json:"alert_item_id,omitempty" db:"alert_item_id"`
	StoredItemID      *int64         `json:"stored_item_id,omitempty" db:"stored_item_id"`
	MetaData          map[string]any `json:"meta_data,omitempty" db:"meta_data"`
	ID                int64          `json:"id" db:"id"`
	Count             int64          `json:"count" db:"count"`
	DatasetID         *int64         `json:"dataset_id,omitempty" db:"dataset_id"`
	CreatedAt         time.Time      `json:"created_at" db:"created_at"`
	Deleted           bool           `json:"deleted" db:"deleted"`
}

// HistoryRecord is one recorded change of one object.
type HistoryRecord struct {
	ID         int64           `json:"id" db:"id"`
	TableName  string          `json:"table_name" db:"table_name"`
	ObjectID   string          `json:"object_id" db:"object_id"`
	VersionID  int64           `json:"version_id" db:"version_id"`
	Operation  string          `json:"operation" db:"operation"`
	WhodunitID *uuid.UUID      `json:"whodunit_id" db:"whodunit_id"`
	Before     json.RawMessage `json:"before" db:"before"`
	After      json.RawMessage `json:"after" db:"after"`
	CreatedAt  time.Time       `json:"created_at" db:"created_at"`
}

// Obfuscated is what a secret reads as through the API. Sending it back in an
// update keeps the stored secret.
const Obfuscated = "**********"
