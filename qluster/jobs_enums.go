// Code written once from api/openapi.yaml; edited by hand since.

package qluster

// TrainingJobState is the state of a training job or an analysis task.
type TrainingJobState string

// The values of TrainingJobState.
const (
	TrainingJobStateCreated           TrainingJobState = "created"
	TrainingJobStateRunning           TrainingJobState = "running"
	TrainingJobStateBlocked           TrainingJobState = "blocked"
	TrainingJobStateStopped           TrainingJobState = "stopped"
	TrainingJobStatePartialError      TrainingJobState = "partial_error"
	TrainingJobStateError             TrainingJobState = "error"
	TrainingJobStateKilled            TrainingJobState = "killed"
	TrainingJobStateVersionIdMismatch TrainingJobState = "version_id_mismatch"
	TrainingJobStateFinished          TrainingJobState = "finished"
	TrainingJobStateIgnore            TrainingJobState = "ignore"
	TrainingJobStateRequeued          TrainingJobState = "requeued"
)

// Valid reports whether t is one of the values of TrainingJobState.
func (t TrainingJobState) Valid() bool {
	switch t {
	case TrainingJobStateCreated, TrainingJobStateRunning, TrainingJobStateBlocked, TrainingJobStateStopped, TrainingJobStatePartialError, TrainingJobStateError, TrainingJobStateKilled, TrainingJobStateVersionIdMismatch, TrainingJobStateFinished, TrainingJobStateIgnore, TrainingJobStateRequeued:
		return true
	}
	return false
}

// MigrationState is the state of a migration.
type MigrationState string

// The values of MigrationState.
const (
	MigrationStateDraft   MigrationState = "draft"
	MigrationStateApplied MigrationState = "applied"
	MigrationStateCurrent MigrationState = "current"
	MigrationStateDeleted MigrationState = "deleted"
)

// Valid reports whether t is one of the values of MigrationState.
func (t MigrationState) Valid() bool {
	switch t {
	case MigrationStateDraft, MigrationStateApplied, MigrationStateCurrent, MigrationStateDeleted:
		return true
	}
	return false
}

// IngestionJobState is the state of an ingestion job.
type IngestionJobState string

// The values of IngestionJobState.
const (
	IngestionJobStateCreated           IngestionJobState = "created"
	IngestionJobStateRunning           IngestionJobState = "running"
	IngestionJobStateBlocked           IngestionJobState = "blocked"
	IngestionJobStateStopped           IngestionJobState = "stopped"
	IngestionJobStateError             IngestionJobState = "error"
	IngestionJobStateKilled            IngestionJobState = "killed"
	IngestionJobStateVersionIdMismatch IngestionJobState = "version_id_mismatch"
	IngestionJobStateFinished          IngestionJobState = "finished"
	IngestionJobStateRequeued          IngestionJobState = "requeued"
)

// Valid reports whether t is one of the values of IngestionJobState.
func (t IngestionJobState) Valid() bool {
	switch t {
	case IngestionJobStateCreated, IngestionJobStateRunning, IngestionJobStateBlocked, IngestionJobStateStopped, IngestionJobStateError, IngestionJobStateKilled, IngestionJobStateVersionIdMismatch, IngestionJobStateFinished, IngestionJobStateRequeued:
		return true
	}
	return false
}

// AlertType is the kind of problem an alert reports.
type AlertType string

// The values of AlertType.
const (
	AlertTypeDatetimeCasting                     AlertType = "datetime_casting"
	AlertTypeAccessDenied                        AlertType = "access_denied"
	AlertTypeBadBackupSettings                   AlertType = "bad_backup_settings"
	AlertTypeBadDataSourceSettings               AlertType = "bad_data_source_settings"
	AlertTypeBadDestinationSettings              AlertType = "bad_destination_settings"
	AlertTypeBadJsonSchema                       AlertType = "bad_json_schema"
	AlertTypeBooleanCasting                      AlertType = "boolean_casting"
	AlertTypeBucketNotFound                      AlertType = "bucket_not_found"
	AlertTypeCantDetectFileType                  AlertType = "cant_detect_file_type"
	AlertTypeCantSniffHeader                     AlertType = "cant_sniff_header"
	AlertTypeCasting                             AlertType = "casting"
	AlertTypeConnectionIssue                     AlertType = "connection_issue"
	AlertTypeContentTypeNotSupported             AlertType = "content_type_not_supported"
	AlertTypeCsv                                 AlertType = "csv"
	AlertTypeDataInferringConflict               AlertType = "data_inferring_conflict"
	AlertTypeDataLoadingIssue                    AlertType = "data_loading_issue"
	AlertTypeDateCasting                         AlertType = "date_casting"
	AlertTypeDecimalCasting                      AlertType = "decimal_casting"
	AlertTypeDuplicateHeader                     AlertType = "duplicate_header"
	AlertTypeEncryption                          AlertType = "encryption"
	AlertTypeExcelIssue                          AlertType = "excel_issue"
	AlertTypeException                           AlertType = "exception"
	AlertTypeFileAlreadyIngested                 AlertType = "file_already_ingested"
	AlertTypeGpg                                 AlertType = "gpg"
	AlertTypeIncompatibleSchema                  AlertType = "incompatible_schema"
	AlertTypeIngestionBlockedTillTrained         AlertType = "ingestion_blocked_till_trained"
	AlertTypeIngestionJobKilled                  AlertType = "ingestion_job_killed"
	AlertTypeIntegerCasting                      AlertType = "integer_casting"
	AlertTypeInvalidEmail                        AlertType = "invalid_email"
	AlertTypeJsonCasting                         AlertType = "json_casting"
	AlertTypeMaxTryCountPassed                   AlertType = "max_try_count_passed"
	AlertTypeMigrationFailed                     AlertType = "migration_failed"
	AlertTypeMigrationReadyToRun                 AlertType = "migration_ready_to_run"
	AlertTypeMultipleDatetimeFormats             AlertType = "multiple_datetime_formats"
	AlertTypeMultipleSheetsFound                 AlertType = "multiple_sheets_found"
	AlertTypeNeedsReviewMigration                AlertType = "needs_review_migration"
	AlertTypeNoCurrentMigration                  AlertType = "no_current_migration"
	AlertTypeNotNullable                         AlertType = "not_nullable"
	AlertTypeOutOfRange                          AlertType = "out_of_range"
	AlertTypePathNotFound                        AlertType = "path_not_found"
	AlertTypeQuarantineRows                      AlertType = "quarantine_rows"
	AlertTypeRemoteKeyNotFound                   AlertType = "remote_key_not_found"
	AlertTypeRequiredField                       AlertType = "required_field"
	AlertTypeStringLength                        AlertType = "string_length"
	AlertTypeStuckQueueMessage                   AlertType = "stuck_queue_message"
	AlertTypeUnexpectedCharactersInDateTimeError AlertType = "unexpected_characters_in_date_time_error"
	AlertTypeUnexpectedFieldName                 AlertType = "unexpected_field_name"
	AlertTypeUserNotAuthorized                   AlertType = "user_not_authorized"
	AlertTypeValidation                          AlertType = "validation"
	AlertTypeVersionIdMismatch                   AlertType = "version_id_mismatch"
)

// Valid reports whether t is one of the values of AlertType.
func (t AlertType) Valid() bool {
	switch t {
	case AlertTypeDatetimeCasting, AlertTypeAccessDenied, AlertTypeBadBackupSettings, AlertTypeBadDataSourceSettings, AlertTypeBadDestinationSettings, AlertTypeBadJsonSchema, AlertTypeBooleanCasting, AlertTypeBucketNotFound, AlertTypeCantDetectFileType, AlertTypeCantSniffHeader, AlertTypeCasting, AlertTypeConnectionIssue, AlertTypeContentTypeNotSupported, AlertTypeCsv, AlertTypeDataInferringConflict, AlertTypeDataLoadingIssue, AlertTypeDateCasting, AlertTypeDecimalCasting, AlertTypeDuplicateHeader, AlertTypeEncryption, AlertTypeExcelIssue, AlertTypeException, AlertTypeFileAlreadyIngested, AlertTypeGpg, AlertTypeIncompatibleSchema, AlertTypeIngestionBlockedTillTrained, AlertTypeIngestionJobKilled, AlertTypeIntegerCasting, AlertTypeInvalidEmail, AlertTypeJsonCasting, AlertTypeMaxTryCountPassed, AlertTypeMigrationFailed, AlertTypeMigrationReadyToRun, AlertTypeMultipleDatetimeFormats, AlertTypeMultipleSheetsFound, AlertTypeNeedsReviewMigration, AlertTypeNoCurrentMigration, AlertTypeNotNullable, AlertTypeOutOfRange, AlertTypePathNotFound, AlertTypeQuarantineRows, AlertTypeRemoteKeyNotFound, AlertTypeRequiredField, AlertTypeStringLength, AlertTypeStuckQueueMessage, AlertTypeUnexpectedCharactersInDateTimeError, AlertTypeUnexpectedFieldName, AlertTypeUserNotAuthorized, AlertTypeValidation, AlertTypeVersionIdMismatch:
		return true
	}
	return false
}

// AlertAction is an action that resolves an alert.
type AlertAction string

// The values of AlertAction.
const (
	AlertActionApplyMigration                                          AlertAction = "apply_migration"
	AlertActionDiscardMigration                                        AlertAction = "discard_migration"
	AlertActionRerunTraining                                           AlertAction = "rerun_training"
	AlertActionExpandFields                                            AlertAction = "expand_fields"
	AlertActionOverrideModel                                           AlertAction = "override_model"
	AlertActionEditDestinationSettings                                 AlertAction = "edit_destination_settings"
	AlertActionGoToMigrationReview                                     AlertAction = "go_to_migration_review"
	AlertActionCheckLearningJobs                                       AlertAction = "check_learning_jobs"
	AlertActionEditSettings                                            AlertAction = "edit_settings"
	AlertActionEditDataSourceModelSettings                             AlertAction = "edit_data_source_model_settings"
	AlertActionReviewMigrationAgain                                    AlertAction = "review_migration_again"
	AlertActionPutFileForLearning                                      AlertAction = "put_file_for_learning"
	AlertActionMarkDataAsValid                                         AlertAction = "mark_data_as_valid"
	AlertActionSetValueToNull                                          AlertAction = "set_value_to_null"
	AlertActionSetValueToNullForField                                  AlertAction = "set_value_to_null_for_field"
	AlertActionSetValueToNullForSource                                 AlertAction = "set_value_to_null_for_source"
	AlertActionSetValueToNullForFieldForSource                         AlertAction = "set_value_to_null_for_field_for_source"
	AlertActionSetValueToTrue                                          AlertAction = "set_value_to_true"
	AlertActionSetValueToTrueForField                                  AlertAction = "set_value_to_true_for_field"
	AlertActionSetValueToTrueForSource                                 AlertAction = "set_value_to_true_for_source"
	AlertActionSetValueToTrueForFieldForSource                         AlertAction = "set_value_to_true_for_field_for_source"
	AlertActionSetValueToFalse                                         AlertAction = "set_value_to_false"
	AlertActionSetValueToFalseForField                                 AlertAction = "set_value_to_false_for_field"
	AlertActionSetValueToFalseForSource                                AlertAction = "set_value_to_false_for_source"
	AlertActionSetValueToFalseForFieldForSource                        AlertAction = "set_value_to_false_for_field_for_source"
	AlertActionDefineDatetimeFormat                                    AlertAction = "define_datetime_format"
	AlertActionDefineDatetimeFormatForField                            AlertAction = "define_datetime_format_for_field"
	AlertActionDefineDatetimeFormatForSource                           AlertAction = "define_datetime_format_for_source"
	AlertActionDefineDatetimeFormatForFieldForSource                   AlertAction = "define_datetime_format_for_field_for_source"
	AlertActionInferDatetimeFormatForField                             AlertAction = "infer_datetime_format_for_field"
	AlertActionInferDatetimeFormatForFieldForSource                    AlertAction = "infer_datetime_format_for_field_for_source"
	AlertActionAllowMultiDatetimeFormats                               AlertAction = "allow_multi_datetime_formats"
	AlertActionAllowMultiFormatsNDefineDatetimeFormat                  AlertAction = "allow_multi_formats_n_define_datetime_format"
	AlertActionAllowMultiFormatsNDefineDatetimeFormatForField          AlertAction = "allow_multi_formats_n_define_datetime_format_for_field"
	AlertActionAllowMultiFormatsNDefineDatetimeFormatForSource         AlertAction = "allow_multi_formats_n_define_datetime_format_for_source"
	AlertActionAllowMultiFormatsNDefineDatetimeFormatForFieldForSource AlertAction = "allow_multi_formats_n_define_datetime_format_for_field_for_source"
	AlertActionNotADatetimeField                                       AlertAction = "not_a_datetime_field"
	AlertActionTryAgain                                                AlertAction = "try_again"
	AlertActionHide                                                    AlertAction = "hide"
	AlertActionIgnoreFile                                              AlertAction = "ignore_file"
	AlertActionIgnoreAlertAssociatedFiles                              AlertAction = "ignore_alert_associated_files"
	AlertActionIgnoreRow                                               AlertAction = "ignore_row"
	AlertActionIgnoreRowForFile                                        AlertAction = "ignore_row_for_file"
	AlertActionValidationAddANewKeyword                                AlertAction = "validation_add_a_new_keyword"
	AlertActionValidationRenameToExistingKeyword                       AlertAction = "validation_rename_to_existing_keyword"
	AlertActionReprocessFile                                           AlertAction = "reprocess_file"
	AlertActionProceedWithSheetName                                    AlertAction = "proceed_with_sheet_name"
	AlertActionDownloadFile                                            AlertAction = "download_file"
)

// Valid reports whether t is one of the values of AlertAction.
func (t AlertAction) Valid() bool {
	switch t {
	case AlertActionApplyMigration, AlertActionDiscardMigration, AlertActionRerunTraining, AlertActionExpandFields, AlertActionOverrideModel, AlertActionEditDestinationSettings, AlertActionGoToMigrationReview, AlertActionCheckLearningJobs, AlertActionEditSettings, AlertActionEditDataSourceModelSettings, AlertActionReviewMigrationAgain, AlertActionPutFileForLearning, AlertActionMarkDataAsValid, AlertActionSetValueToNull, AlertActionSetValueToNullForField, AlertActionSetValueToNullForSource, AlertActionSetValueToNullForFieldForSource, AlertActionSetValueToTrue, AlertActionSetValueToTrueForField, AlertActionSetValueToTrueForSource, AlertActionSetValueToTrueForFieldForSource, AlertActionSetValueToFalse, AlertActionSetValueToFalseForField, AlertActionSetValueToFalseForSource, AlertActionSetValueToFalseForFieldForSource, AlertActionDefineDatetimeFormat, AlertActionDefineDatetimeFormatForField, AlertActionDefineDatetimeFormatForSource, AlertActionDefineDatetimeFormatForFieldForSource, AlertActionInferDatetimeFormatForField, AlertActionInferDatetimeFormatForFieldForSource, AlertActionAllowMultiDatetimeFormats, AlertActionAllowMultiFormatsNDefineDatetimeFormat, AlertActionAllowMultiFormatsNDefineDatetimeFormatForField, AlertActionAllowMultiFormatsNDefineDatetimeFormatForSource, AlertActionAllowMultiFormatsNDefineDatetimeFormatForFieldForSource, AlertActionNotADatetimeField, AlertActionTryAgain, AlertActionHide, AlertActionIgnoreFile, AlertActionIgnoreAlertAssociatedFiles, AlertActionIgnoreRow, AlertActionIgnoreRowForFile, AlertActionValidationAddANewKeyword, AlertActionValidationRenameToExistingKeyword, AlertActionReprocessFile, AlertActionProceedWithSheetName, AlertActionDownloadFile:
		return true
	}
	return false
}

// RecommendedSettingsModule names the object whose setting an alert recommends changing.
type RecommendedSettingsModule string

// The values of RecommendedSettingsModule.
const (
	RecommendedSettingsModuleSettingsModel   RecommendedSettingsModule = "SettingsModel"
	RecommendedSettingsModuleDataSourceModel RecommendedSettingsModule = "DataSourceModel"
)

// Valid reports whether t is one of the values of RecommendedSettingsModule.
func (t RecommendedSettingsModule) Valid() bool {
	switch t {
	case RecommendedSettingsModuleSettingsModel, RecommendedSettingsModuleDataSourceModel:
		return true
	}
	return false
}
