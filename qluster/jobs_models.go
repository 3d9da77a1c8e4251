// Code written once from api/openapi.yaml; edited by hand since.

package qluster

import (
	"time"

	"github.com/google/uuid"
)

// StoredItem is one file received by a data source, with its backup and its row counts.
type StoredItem struct {
	ID                     int64     `json:"id" db:"id"`
	Key                    string    `json:"key" db:"key"`
	FileType               string    `json:"file_type" db:"file_type"`
	DataSourceModelID      *int64    `json:"data_source_model_id,omitempty" db:"data_source_model_id"`
	DataSourceModelName    string    `json:"data_source_model_name" db:"data_source_model_name"`
	BadRowsCount           int64     `json:"bad_rows_count" db:"bad_rows_count"`
	SuccessfulRowsCount    int64     `json:"successful_rows_count" db:"successful_rows_count"`
	IgnoredRowsCount       int64     `json:"ignored_rows_count" db:"ignored_rows_count"`
	IgnoreFile             bool      `json:"ignore_file" db:"ignore_file"`
	IsIngested             bool      `json:"is_ingested" db:"is_ingested"`
	IsUploadedViaSignedURL bool      `json:"is_uploaded_via_signed_url" db:"is_uploaded_via_signed_url"`
	CreatedAt              time.Time `json:"created_at" db:"created_at"`
	ParentID               *int64    `json:"parent_id,omitempty" db:"parent_id"`
	BackupKey              string    `json:"backup_key" db:"backup_key"`
	// BackupSettingsID the backup settings used for the raw files; the default local storage when not set.
	BackupSettingsID                 *int64         `json:"backup_settings_id,omitempty" db:"backup_settings_id"`
	Encoding                         string         `json:"encoding" db:"encoding"`
	DatasetID                        *int64         `json:"dataset_id,omitempty" db:"dataset_id"`
	Signature                        string         `json:"signature" db:"signature"`
	OtherNames                       []string       `json:"other_names,omitempty" db:"other_names"`
	DuplicateOfID                    *int64         `json:"duplicate_of_id,omitempty" db:"duplicate_of_id"`
	IgnoredRowsLineNumberToSignature map[string]any `json:"ignored_rows_line_number_to_signature,omitempty" db:"ignored_rows_line_number_to_signature"`
	// CSVDelimiter the CSV delimiter; empty to sniff it.
	CSVDelimiter string `json:"csv_delimiter" db:"csv_delimiter"`
	// CSVQuotechar the CSV quote character; empty to sniff it.
	CSVQuotechar string `json:"csv_quotechar" db:"csv_quotechar"`
	// CSVEscapechar the CSV escape character; empty for none or to sniff it.
	CSVEscapechar string `json:"csv_escapechar" db:"csv_escapechar"`
	// CSVLineterminator the CSV line terminator; empty to sniff it.
	CSVLineterminator string `json:"csv_lineterminator" db:"csv_lineterminator"`
	IsBackupEncrypted bool   `json:"is_backup_encrypted" db:"is_backup_encrypted"`
	// CompressionTypeOfBackupData how raw files are compressed in backup storage. Default gzip.
	CompressionTypeOfBackupData CompressionType `json:"compression_type_of_backup_data" db:"compression_type_of_backup_data"`
	// WhodunitID the user who made the last change.
	WhodunitID *uuid.UUID `json:"whodunit_id,omitempty" db:"whodunit_id"`
}

// TrainingDataItem is a file a dataset learns its shape from.
type TrainingDataItem struct {
	ID      int64 `json:"id" db:"id"`
	Enabled bool  `json:"enabled" db:"enabled"`
	// Name A unique, human-readable name.
	Name            string    `json:"name" db:"name"`
	StoredItemID    *int64    `json:"stored_item_id,omitempty" db:"stored_item_id"`
	AlertItemsIDs   []int64   `json:"alert_items_ids,omitempty" db:"alert_items_ids"`
	SettingsModelID *int64    `json:"settings_model_id,omitempty" db:"settings_model_id"`
	DatasetID       *int64    `json:"dataset_id,omitempty" db:"dataset_id"`
	DatasetName     string    `json:"dataset_name" db:"dataset_name"`
	CreatedAt       time.Time `json:"created_at" db:"created_at"`
	UpdatedAt       time.Time `json:"updated_at" db:"updated_at"`
}

// TrainingJob analyses a dataset's training data items and ends in a draft migration.
type TrainingJob struct {
	ID               int64            `json:"id" db:"id"`
	State            TrainingJobState `json:"state" db:"state"`
	Step             string           `json:"step" db:"step"`
	Msg              string           `json:"msg" db:"msg"`
	SettingsModelID  *int64           `json:"settings_model_id,omitempty" db:"settings_model_id"`
	MigrationModelID *int64           `json:"migration_model_id,omitempty" db:"migration_model_id"`
	DatasetID        *int64           `json:"dataset_id,omitempty" db:"dataset_id"`
	DatasetName      string           `json:"dataset_name" db:"dataset_name"`
	UnresolvedAlerts int64            `json:"unresolved_alerts" db:"unresolved_alerts"`
	AnalysisTasks    []any            `json:"analysis_tasks,omitempty" db:"analysis_tasks"`
	CreatedAt        time.Time        `json:"created_at" db:"created_at"`
	StartedAt        *time.Time       `json:"started_at,omitempty" db:"started_at"`
	FinishedAt       *time.Time       `json:"finished_at,omitempty" db:"finished_at"`
}

// AnalysisTask is the analysis of one training data item within one training job.
type AnalysisTask struct {
	TrainingDataItemID     *int64           `json:"training_data_item_id,omitempty" db:"training_data_item_id"`
	TrainingJobID          *int64           `json:"training_job_id,omitempty" db:"training_job_id"`
	StoredItemID           *int64           `json:"stored_item_id,omitempty" db:"stored_item_id"`
	StoredItemKey          string           `json:"stored_item_key" db:"stored_item_key"`
	State                  TrainingJobState `json:"state" db:"state"`
	Msg                    string           `json:"msg" db:"msg"`
	SettingsVersionID      *int64           `json:"settings_version_id,omitempty" db:"settings_version_id"`
	AnalyzedContent        map[string]any   `json:"analyzed_content,omitempty" db:"analyzed_content"`
	DisplayAnalyzedContent []any            `json:"display_analyzed_content,omitempty" db:"display_analyzed_content"`
	QuestionableFields     map[string]any   `json:"questionable_fields,omitempty" db:"questionable_fields"`
	FailedToInferFields    []any            `json:"failed_to_infer_fields,omitempty" db:"failed_to_infer_fields"`
	TryCount               int64            `json:"try_count" db:"try_count"`
	CreatedAt              time.Time        `json:"created_at" db:"created_at"`
	FinishedAt             *time.Time       `json:"finished_at,omitempty" db:"finished_at"`
}

// MigrationModel is a version of a dataset's destination table: proposed (draft), in force (current) or superseded (applied).
type MigrationModel struct {
	ID                  int64          `json:"id" db:"id"`
	State               MigrationState `json:"state" db:"state"`
	Confirmed           bool           `json:"confirmed" db:"confirmed"`
	DownID              *int64         `json:"down_id,omitempty" db:"down_id"`
	UpdatedAt           time.Time      `json:"updated_at" db:"updated_at"`
	SettingsModelID     *int64         `json:"settings_model_id,omitempty" db:"settings_model_id"`
	DatasetID           *int64         `json:"dataset_id,omitempty" db:"dataset_id"`
	DatasetName         string         `json:"dataset_name" db:"dataset_name"`
	Model               map[string]any `json:"model,omitempty" db:"model"`
	DisplayModel        []any          `json:"display_model,omitempty" db:"display_model"`
	ColumnOverridesInfo map[string]any `json:"column_overrides_info,omitempty" db:"column_overrides_info"`
	FormatInfo          map[string]any `json:"format_info,omitempty" db:"format_info"`
	CreatedAt           time.Time      `json:"created_at" db:"created_at"`
}

// AlertItem tells a user what went wrong and how to fix it.
type AlertItem struct {
	ID                           int64          `json:"id" db:"id"`
	SettingsModelID              *int64         `json:"settings_model_id,omitempty" db:"settings_model_id"`
	DatasetName                  string         `json:"dataset_name" db:"dataset_name"`
	DatasetID                    *int64         `json:"dataset_id,omitempty" db:"dataset_id"`
	Count                        int64          `json:"count" db:"count"`
	FieldName                    string         `json:"field_name" db:"field_name"`
	OriginalFieldName            string         `json:"original_field_name" db:"original_field_name"`
	FieldValue                   string         `json:"field_value" db:"field_value"`
	RowValue                     []any          `json:"row_value,omitempty" db:"row_value"`
	RowHeader                    []string       `json:"row_header,omitempty" db:"row_header"`
	OriginalHeaders              []string       `json:"original_headers,omitempty" db:"original_headers"`
	Msg                          string         `json:"msg" db:"msg"`
	Body                         map[string]any `json:"body,omitempty" db:"body"`
	AlertType                    AlertType      `json:"alert_type" db:"alert_type"`
	PreviousValues               []string       `json:"previous_values,omitempty" db:"previous_values"`
	Resolved                     bool           `json:"resolved" db:"resolved"`
	ResolveAfterMigration        bool           `json:"resolve_after_migration" db:"resolve_after_migration"`
	BlocksLearning               bool           `json:"blocks_learning" db:"blocks_learning"`
	BlocksIngestionForDataset    bool           `json:"blocks_ingestion_for_dataset" db:"blocks_ingestion_for_dataset"`
	BlocksIngestionForDataSource bool           `json:"blocks_ingestion_for_data_source" db:"blocks_ingestion_for_data_source"`
	BlocksStoredItem             bool           `json:"blocks_stored_item" db:"blocks_stored_item"`
	CreatedAt                    time.Time      `json:"created_at" db:"created_at"`
	ResolvedAt                   *time.Time     `json:"resolved_at,omitempty" db:"resolved_at"`
	ExpiredAt                    *time.Time     `json:"expired_at,omitempty" db:"expired_at"`
	TrainingDataItemID           *int64         `json:"training_data_item_id,omitempty" db:"training_data_item_id"`
	TrainingJobID                *int64         `json:"training_job_id,omitempty" db:"training_job_id"`
	MigrationModelID             *int64         `json:"migration_model_id,omitempty" db:"migration_model_id"`
	// DatetimeFormats strftime formats (Python strptime codes such as `%Y-%m-%d %H:%M:%S`, `%d-%b-%Y`) tried before inference, for every column.
	DatetimeFormats []string `json:"datetime_formats,omitempty" db:"datetime_formats"`
	// NullValues cell values that mean NULL in every column (compared after trimming white space).
	NullValues               []string       `json:"null_values,omitempty" db:"null_values"`
	NullValuesForThisColumn  []string       `json:"null_values_for_this_column,omitempty" db:"null_values_for_this_column"`
	AlertActions             []AlertAction  `json:"alert_actions,omitempty" db:"alert_actions"`
	AlertSecondaryActions    map[string]any `json:"alert_secondary_actions,omitempty" db:"alert_secondary_actions"`
	ResolvableByUser         bool           `json:"resolvable_by_user" db:"resolvable_by_user"`
	DataSourceModelName      string         `json:"data_source_model_name" db:"data_source_model_name"`
	DataSourceModelID        *int64         `json:"data_source_model_id,omitempty" db:"data_source_model_id"`
	StoredItemsToAlerts      []any          `json:"stored_items_to_alerts,omitempty" db:"stored_items_to_alerts"`
	SubmitButtonText         string         `json:"submit_button_text" db:"submit_button_text"`
	RedirectURL              string         `json:"redirect_url" db:"redirect_url"`
	NewFieldsRecommendations map[string]any `json:"new_fields_recommendations,omitempty" db:"new_fields_recommendations"`
	BoundaryData             map[string]any `json:"boundary_data,omitempty" db:"boundary_data"`
	// WhodunitID the user who made the last change.
	WhodunitID                        *uuid.UUID                `json:"whodunit_id,omitempty" db:"whodunit_id"`
	RecommendedSettingsModuleToUpdate RecommendedSettingsModule `json:"recommended_settings_module_to_update" db:"recommended_settings_module_to_update"`
	RecommendedSettingsFieldName      string                    `json:"recommended_settings_field_name" db:"recommended_settings_field_name"`
	RecommendedSettingsValue          string                    `json:"recommended_settings_value" db:"recommended_settings_value"`
	StackTrace                        string                    `json:"stack_trace" db:"stack_trace"`
	RelatedUrls                       []any                     `json:"related_urls,omitempty" db:"related_urls"`
	// IsMuted is true for an alert about rows that went to quarantine: it
	// does not pop up, it is reached from the rows.
	IsMuted bool `json:"is_muted" db:"is_muted"`
	// StoredItemID is the file the alert is about, if one.
	StoredItemID *int64 `json:"stored_item_id,omitempty" db:"stored_item_id"`
}

// IngestionJob loads one file of a trained dataset into its table.
type IngestionJob struct {
	ID                  int64             `json:"id" db:"id"`
	State               IngestionJobState `json:"state" db:"state"`
	Key                 string            `json:"key" db:"key"`
	StoredItemID        *int64            `json:"stored_item_id,omitempty" db:"stored_item_id"`
	DataSourceModelID   *int64            `json:"data_source_model_id,omitempty" db:"data_source_model_id"`
	DataSourceModelName string            `json:"data_source_model_name" db:"data_source_model_name"`
	SettingsModelID     *int64            `json:"settings_model_id,omitempty" db:"settings_model_id"`
	AlertItemID         *int64            `json:"alert_item_id,omitempty" db:"alert_item_id"`
	IsAlertResolved     bool              `json:"is_alert_resolved" db:"is_alert_resolved"`
	SuccessfulRowsCount int64             `json:"successful_rows_count" db:"successful_rows_count"`
	BadRowsCount        int64             `json:"bad_rows_count" db:"bad_rows_count"`
	IgnoredRowsCount    int64             `json:"ignored_rows_count" db:"ignored_rows_count"`
	DatasetID           *int64            `json:"dataset_id,omitempty" db:"dataset_id"`
	DatasetName         string            `json:"dataset_name" db:"dataset_name"`
	Msg                 string            `json:"msg" db:"msg"`
	TryCount            int64             `json:"try_count" db:"try_count"`
	CreatedAt           time.Time         `json:"created_at" db:"created_at"`
	StartedAt           *time.Time        `json:"started_at,omitempty" db:"started_at"`
	FinishedAt          *time.Time        `json:"finished_at,omitempty" db:"finished_at"`
}
