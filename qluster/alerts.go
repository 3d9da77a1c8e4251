package qluster

// castAlertType is the alert a cell of a column of this PostgreSQL type
// raises when it cannot be cast.
func castAlertType(pgType string) AlertType {
	switch pgType {
	case "date":
		return AlertTypeDateCasting
	case "timestamp", "timestamptz", "time":
		return AlertTypeDatetimeCasting
	case "smallint", "integer", "bigint":
		return AlertTypeIntegerCasting
	case "numeric", "double precision":
		return AlertTypeDecimalCasting
	case "boolean":
		return AlertTypeBooleanCasting
	case "jsonb":
		return AlertTypeJsonCasting
	}
	return AlertTypeCasting
}

// alertActions are the resolve actions that fit an alert type: the first
// list is offered first, the map holds the secondary ones.
func alertActions(t AlertType) ([]AlertAction, map[string]any) {
	rowActions := []AlertAction{AlertActionIgnoreRow, AlertActionIgnoreRowForFile}
	secondary := map[string]any{"edit_settings": "Edit the dataset's settings", "try_again": "Try again"}
	switch t {
	case AlertTypeDatetimeCasting, AlertTypeDateCasting, AlertTypeMultipleDatetimeFormats, AlertTypeUnexpectedCharactersInDateTimeError:
		return append([]AlertAction{AlertActionDefineDatetimeFormatForField, AlertActionInferDatetimeFormatForField,
			AlertActionAllowMultiFormatsNDefineDatetimeFormatForField, AlertActionSetValueToNullForField, AlertActionNotADatetimeField}, rowActions...), secondary
	case AlertTypeBooleanCasting:
		return append([]AlertAction{AlertActionSetValueToTrueForField, AlertActionSetValueToFalseForField, AlertActionSetValueToNullForField}, rowActions...), secondary
	case AlertTypeIntegerCasting, AlertTypeDecimalCasting, AlertTypeJsonCasting, AlertTypeCasting, AlertTypeInvalidEmail, AlertTypeStringLength:
		return append([]AlertAction{AlertActionSetValueToNullForField, AlertActionRerunTraining}, rowActions...), secondary
	case AlertTypeCsv:
		return append(rowActions, AlertActionIgnoreFile, AlertActionTryAgain), secondary
	case AlertTypeUnexpectedFieldName:
		return []AlertAction{AlertActionPutFileForLearning, AlertActionIgnoreFile}, secondary
	case AlertTypeValidation:
		return append([]AlertAction{AlertActionValidationAddANewKeyword, AlertActionValidationRenameToExistingKeyword,
			AlertActionMarkDataAsValid}, rowActions...), secondary
	case AlertTypeMultipleSheetsFound:
		return []AlertAction{AlertActionProceedWithSheetName, AlertActionIgnoreFile}, secondary
	case AlertTypeIngestionJobKilled:
		return []AlertAction{AlertActionTryAgain, AlertActionIgnoreFile}, secondary
	case AlertTypeNoCurrentMigration:
		return []AlertAction{AlertActionRerunTraining, AlertActionCheckLearningJobs}, secondary
	}
	return []AlertAction{AlertActionTryAgain, AlertActionIgnoreFile, AlertActionDownloadFile}, secondary
}
