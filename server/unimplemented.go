package server

import (
	"context"
)

// unimplemented answers every operation with qluster.ErrNotImplemented (a 501
// that says which part will bring it). Server embeds it and overrides each
// operation as the part that owns it is built, so the generated interface is
// always satisfied.
type unimplemented struct{}

// GetAlerts is not built yet.
func (unimplemented) GetAlerts(context.Context, GetAlertsRequestObject) (GetAlertsResponseObject, error) {
	return nil, notYet("GetAlerts")
}

// ResolveAlert is not built yet.
func (unimplemented) ResolveAlert(context.Context, ResolveAlertRequestObject) (ResolveAlertResponseObject, error) {
	return nil, notYet("ResolveAlert")
}

// GetAlert is not built yet.
func (unimplemented) GetAlert(context.Context, GetAlertRequestObject) (GetAlertResponseObject, error) {
	return nil, notYet("GetAlert")
}

// GetBackupSettingsList is not built yet.
func (unimplemented) GetBackupSettingsList(context.Context, GetBackupSettingsListRequestObject) (GetBackupSettingsListResponseObject, error) {
	return nil, notYet("GetBackupSettingsList")
}

// PatchBackupSettingsModel is not built yet.
func (unimplemented) PatchBackupSettingsModel(context.Context, PatchBackupSettingsModelRequestObject) (PatchBackupSettingsModelResponseObject, error) {
	return nil, notYet("PatchBackupSettingsModel")
}

// PostBackupSettingsModel is not built yet.
func (unimplemented) PostBackupSettingsModel(context.Context, PostBackupSettingsModelRequestObject) (PostBackupSettingsModelResponseObject, error) {
	return nil, notYet("PostBackupSettingsModel")
}

// GetNewBackupSettings is not built yet.
func (unimplemented) GetNewBackupSettings(context.Context, GetNewBackupSettingsRequestObject) (GetNewBackupSettingsResponseObject, error) {
	return nil, notYet("GetNewBackupSettings")
}

// GetBackupSettingsModel is not built yet.
func (unimplemented) GetBackupSettingsModel(context.Context, GetBackupSettingsModelRequestObject) (GetBackupSettingsModelResponseObject, error) {
	return nil, notYet("GetBackupSettingsModel")
}

// GetDataSources is not built yet.
func (unimplemented) GetDataSources(context.Context, GetDataSourcesRequestObject) (GetDataSourcesResponseObject, error) {
	return nil, notYet("GetDataSources")
}

// PostDataSourceModel is not built yet.
func (unimplemented) PostDataSourceModel(context.Context, PostDataSourceModelRequestObject) (PostDataSourceModelResponseObject, error) {
	return nil, notYet("PostDataSourceModel")
}

// DeleteDataSource is not built yet.
func (unimplemented) DeleteDataSource(context.Context, DeleteDataSourceRequestObject) (DeleteDataSourceResponseObject, error) {
	return nil, notYet("DeleteDataSource")
}

// GetDataSource is not built yet.
func (unimplemented) GetDataSource(context.Context, GetDataSourceRequestObject) (GetDataSourceResponseObject, error) {
	return nil, notYet("GetDataSource")
}

// PatchDataSourceModel is not built yet.
func (unimplemented) PatchDataSourceModel(context.Context, PatchDataSourceModelRequestObject) (PatchDataSourceModelResponseObject, error) {
	return nil, notYet("PatchDataSourceModel")
}

// PostCopyDataSourceModel is not built yet.
func (unimplemented) PostCopyDataSourceModel(context.Context, PostCopyDataSourceModelRequestObject) (PostCopyDataSourceModelResponseObject, error) {
	return nil, notYet("PostCopyDataSourceModel")
}

// DisableSensorCronjobNow is not built yet.
func (unimplemented) DisableSensorCronjobNow(context.Context, DisableSensorCronjobNowRequestObject) (DisableSensorCronjobNowResponseObject, error) {
	return nil, notYet("DisableSensorCronjobNow")
}

// GetDataSourceHistory is not built yet.
func (unimplemented) GetDataSourceHistory(context.Context, GetDataSourceHistoryRequestObject) (GetDataSourceHistoryResponseObject, error) {
	return nil, notYet("GetDataSourceHistory")
}

// RunSensorCronjobNow is not built yet.
func (unimplemented) RunSensorCronjobNow(context.Context, RunSensorCronjobNowRequestObject) (RunSensorCronjobNowResponseObject, error) {
	return nil, notYet("RunSensorCronjobNow")
}

// RunSensorJobNow is not built yet.
func (unimplemented) RunSensorJobNow(context.Context, RunSensorJobNowRequestObject) (RunSensorJobNowResponseObject, error) {
	return nil, notYet("RunSensorJobNow")
}

// GetDataSourceTiny is not built yet.
func (unimplemented) GetDataSourceTiny(context.Context, GetDataSourceTinyRequestObject) (GetDataSourceTinyResponseObject, error) {
	return nil, notYet("GetDataSourceTiny")
}

// UploadFileToDataSource is not built yet.
func (unimplemented) UploadFileToDataSource(context.Context, UploadFileToDataSourceRequestObject) (UploadFileToDataSourceResponseObject, error) {
	return nil, notYet("UploadFileToDataSource")
}

// GetDataSourceValidationModel is not built yet.
func (unimplemented) GetDataSourceValidationModel(context.Context, GetDataSourceValidationModelRequestObject) (GetDataSourceValidationModelResponseObject, error) {
	return nil, notYet("GetDataSourceValidationModel")
}

// GetDatasets is not built yet.
func (unimplemented) GetDatasets(context.Context, GetDatasetsRequestObject) (GetDatasetsResponseObject, error) {
	return nil, notYet("GetDatasets")
}

// PatchDataset is not built yet.
func (unimplemented) PatchDataset(context.Context, PatchDatasetRequestObject) (PatchDatasetResponseObject, error) {
	return nil, notYet("PatchDataset")
}

// PostDataset is not built yet.
func (unimplemented) PostDataset(context.Context, PostDatasetRequestObject) (PostDatasetResponseObject, error) {
	return nil, notYet("PostDataset")
}

// GetNewDataset is not built yet.
func (unimplemented) GetNewDataset(context.Context, GetNewDatasetRequestObject) (GetNewDatasetResponseObject, error) {
	return nil, notYet("GetNewDataset")
}

// DeleteDataset is not built yet.
func (unimplemented) DeleteDataset(context.Context, DeleteDatasetRequestObject) (DeleteDatasetResponseObject, error) {
	return nil, notYet("DeleteDataset")
}

// GetDataset is not built yet.
func (unimplemented) GetDataset(context.Context, GetDatasetRequestObject) (GetDatasetResponseObject, error) {
	return nil, notYet("GetDataset")
}

// GetDatasetAnyTrainingJobRunning is not built yet.
func (unimplemented) GetDatasetAnyTrainingJobRunning(context.Context, GetDatasetAnyTrainingJobRunningRequestObject) (GetDatasetAnyTrainingJobRunningResponseObject, error) {
	return nil, notYet("GetDatasetAnyTrainingJobRunning")
}

// GetDatasetCopy is not built yet.
func (unimplemented) GetDatasetCopy(context.Context, GetDatasetCopyRequestObject) (GetDatasetCopyResponseObject, error) {
	return nil, notYet("GetDatasetCopy")
}

// PostDatasetCopy is not built yet.
func (unimplemented) PostDatasetCopy(context.Context, PostDatasetCopyRequestObject) (PostDatasetCopyResponseObject, error) {
	return nil, notYet("PostDatasetCopy")
}

// GetData is not built yet.
func (unimplemented) GetData(context.Context, GetDataRequestObject) (GetDataResponseObject, error) {
	return nil, notYet("GetData")
}

// GetNewDataSourceForDataset is not built yet.
func (unimplemented) GetNewDataSourceForDataset(context.Context, GetNewDataSourceForDatasetRequestObject) (GetNewDataSourceForDatasetResponseObject, error) {
	return nil, notYet("GetNewDataSourceForDataset")
}

// GetDataSourceCopyForDataset is not built yet.
func (unimplemented) GetDataSourceCopyForDataset(context.Context, GetDataSourceCopyForDatasetRequestObject) (GetDataSourceCopyForDatasetResponseObject, error) {
	return nil, notYet("GetDataSourceCopyForDataset")
}

// GetOrCreateDraftMigrationAndReviewAlert is not built yet.
func (unimplemented) GetOrCreateDraftMigrationAndReviewAlert(context.Context, GetOrCreateDraftMigrationAndReviewAlertRequestObject) (GetOrCreateDraftMigrationAndReviewAlertResponseObject, error) {
	return nil, notYet("GetOrCreateDraftMigrationAndReviewAlert")
}

// GetDatasetExtraDetails is not built yet.
func (unimplemented) GetDatasetExtraDetails(context.Context, GetDatasetExtraDetailsRequestObject) (GetDatasetExtraDetailsResponseObject, error) {
	return nil, notYet("GetDatasetExtraDetails")
}

// PatchFieldsModification is not built yet.
func (unimplemented) PatchFieldsModification(context.Context, PatchFieldsModificationRequestObject) (PatchFieldsModificationResponseObject, error) {
	return nil, notYet("PatchFieldsModification")
}

// GetDatasetHistory is not built yet.
func (unimplemented) GetDatasetHistory(context.Context, GetDatasetHistoryRequestObject) (GetDatasetHistoryResponseObject, error) {
	return nil, notYet("GetDatasetHistory")
}

// IgnoreLineSignatureForDataset is not built yet.
func (unimplemented) IgnoreLineSignatureForDataset(context.Context, IgnoreLineSignatureForDatasetRequestObject) (IgnoreLineSignatureForDatasetResponseObject, error) {
	return nil, notYet("IgnoreLineSignatureForDataset")
}

// ReprocessBadRowsForDataset is not built yet.
func (unimplemented) ReprocessBadRowsForDataset(context.Context, ReprocessBadRowsForDatasetRequestObject) (ReprocessBadRowsForDatasetResponseObject, error) {
	return nil, notYet("ReprocessBadRowsForDataset")
}

// GetDatasetStats is not built yet.
func (unimplemented) GetDatasetStats(context.Context, GetDatasetStatsRequestObject) (GetDatasetStatsResponseObject, error) {
	return nil, notYet("GetDatasetStats")
}

// GetDatasetValidationInfo is not built yet.
func (unimplemented) GetDatasetValidationInfo(context.Context, GetDatasetValidationInfoRequestObject) (GetDatasetValidationInfoResponseObject, error) {
	return nil, notYet("GetDatasetValidationInfo")
}

// UpdateDatasetValidationInfo is not built yet.
func (unimplemented) UpdateDatasetValidationInfo(context.Context, UpdateDatasetValidationInfoRequestObject) (UpdateDatasetValidationInfoResponseObject, error) {
	return nil, notYet("UpdateDatasetValidationInfo")
}

// GetDestinations is not built yet.
func (unimplemented) GetDestinations(context.Context, GetDestinationsRequestObject) (GetDestinationsResponseObject, error) {
	return nil, notYet("GetDestinations")
}

// PatchDestinationModel is not built yet.
func (unimplemented) PatchDestinationModel(context.Context, PatchDestinationModelRequestObject) (PatchDestinationModelResponseObject, error) {
	return nil, notYet("PatchDestinationModel")
}

// PostDestinationModel is not built yet.
func (unimplemented) PostDestinationModel(context.Context, PostDestinationModelRequestObject) (PostDestinationModelResponseObject, error) {
	return nil, notYet("PostDestinationModel")
}

// GetNewDestination is not built yet.
func (unimplemented) GetNewDestination(context.Context, GetNewDestinationRequestObject) (GetNewDestinationResponseObject, error) {
	return nil, notYet("GetNewDestination")
}

// GetDestination is not built yet.
func (unimplemented) GetDestination(context.Context, GetDestinationRequestObject) (GetDestinationResponseObject, error) {
	return nil, notYet("GetDestination")
}

// GetAPIDocs is not built yet.
func (unimplemented) GetAPIDocs(context.Context, GetAPIDocsRequestObject) (GetAPIDocsResponseObject, error) {
	return nil, notYet("GetAPIDocs")
}

// DeleteFatalError is not built yet.
func (unimplemented) DeleteFatalError(context.Context, DeleteFatalErrorRequestObject) (DeleteFatalErrorResponseObject, error) {
	return nil, notYet("DeleteFatalError")
}

// GetErrors is not built yet.
func (unimplemented) GetErrors(context.Context, GetErrorsRequestObject) (GetErrorsResponseObject, error) {
	return nil, notYet("GetErrors")
}

// CreateFatalError is not built yet.
func (unimplemented) CreateFatalError(context.Context, CreateFatalErrorRequestObject) (CreateFatalErrorResponseObject, error) {
	return nil, notYet("CreateFatalError")
}

// GetFatalError is not built yet.
func (unimplemented) GetFatalError(context.Context, GetFatalErrorRequestObject) (GetFatalErrorResponseObject, error) {
	return nil, notYet("GetFatalError")
}

// GetIngestionJobs is not built yet.
func (unimplemented) GetIngestionJobs(context.Context, GetIngestionJobsRequestObject) (GetIngestionJobsResponseObject, error) {
	return nil, notYet("GetIngestionJobs")
}

// GetIngestionJob is not built yet.
func (unimplemented) GetIngestionJob(context.Context, GetIngestionJobRequestObject) (GetIngestionJobResponseObject, error) {
	return nil, notYet("GetIngestionJob")
}

// KillIngestionJob is not built yet.
func (unimplemented) KillIngestionJob(context.Context, KillIngestionJobRequestObject) (KillIngestionJobResponseObject, error) {
	return nil, notYet("KillIngestionJob")
}

// RunIngestionJobNow is not built yet.
func (unimplemented) RunIngestionJobNow(context.Context, RunIngestionJobNowRequestObject) (RunIngestionJobNowResponseObject, error) {
	return nil, notYet("RunIngestionJobNow")
}

// GetMenuStats is not built yet.
func (unimplemented) GetMenuStats(context.Context, GetMenuStatsRequestObject) (GetMenuStatsResponseObject, error) {
	return nil, notYet("GetMenuStats")
}

// GetMigrations is not built yet.
func (unimplemented) GetMigrations(context.Context, GetMigrationsRequestObject) (GetMigrationsResponseObject, error) {
	return nil, notYet("GetMigrations")
}

// GetMigration is not built yet.
func (unimplemented) GetMigration(context.Context, GetMigrationRequestObject) (GetMigrationResponseObject, error) {
	return nil, notYet("GetMigration")
}

// GetOpenAPIDocument is not built yet.
func (unimplemented) GetOpenAPIDocument(context.Context, GetOpenAPIDocumentRequestObject) (GetOpenAPIDocumentResponseObject, error) {
	return nil, notYet("GetOpenAPIDocument")
}

// GetQueueMsgs is not built yet.
func (unimplemented) GetQueueMsgs(context.Context, GetQueueMsgsRequestObject) (GetQueueMsgsResponseObject, error) {
	return nil, notYet("GetQueueMsgs")
}

// RescheduleQueueMsgs is not built yet.
func (unimplemented) RescheduleQueueMsgs(context.Context, RescheduleQueueMsgsRequestObject) (RescheduleQueueMsgsResponseObject, error) {
	return nil, notYet("RescheduleQueueMsgs")
}

// GetQueueMsg is not built yet.
func (unimplemented) GetQueueMsg(context.Context, GetQueueMsgRequestObject) (GetQueueMsgResponseObject, error) {
	return nil, notYet("GetQueueMsg")
}

// RunTrainingJobNow is not built yet.
func (unimplemented) RunTrainingJobNow(context.Context, RunTrainingJobNowRequestObject) (RunTrainingJobNowResponseObject, error) {
	return nil, notYet("RunTrainingJobNow")
}

// GetStoredItems is not built yet.
func (unimplemented) GetStoredItems(context.Context, GetStoredItemsRequestObject) (GetStoredItemsResponseObject, error) {
	return nil, notYet("GetStoredItems")
}

// PatchStoredItem is not built yet.
func (unimplemented) PatchStoredItem(context.Context, PatchStoredItemRequestObject) (PatchStoredItemResponseObject, error) {
	return nil, notYet("PatchStoredItem")
}

// CreateStoredItemForUpload is not built yet.
func (unimplemented) CreateStoredItemForUpload(context.Context, CreateStoredItemForUploadRequestObject) (CreateStoredItemForUploadResponseObject, error) {
	return nil, notYet("CreateStoredItemForUpload")
}

// DeleteStoredItem is not built yet.
func (unimplemented) DeleteStoredItem(context.Context, DeleteStoredItemRequestObject) (DeleteStoredItemResponseObject, error) {
	return nil, notYet("DeleteStoredItem")
}

// GetStoredItem is not built yet.
func (unimplemented) GetStoredItem(context.Context, GetStoredItemRequestObject) (GetStoredItemResponseObject, error) {
	return nil, notYet("GetStoredItem")
}

// PublishStoredItemForIngestion is not built yet.
func (unimplemented) PublishStoredItemForIngestion(context.Context, PublishStoredItemForIngestionRequestObject) (PublishStoredItemForIngestionResponseObject, error) {
	return nil, notYet("PublishStoredItemForIngestion")
}

// LoginForAccessToken is not built yet.
func (unimplemented) LoginForAccessToken(context.Context, LoginForAccessTokenRequestObject) (LoginForAccessTokenResponseObject, error) {
	return nil, notYet("LoginForAccessToken")
}

// GetTrainingDataItems is not built yet.
func (unimplemented) GetTrainingDataItems(context.Context, GetTrainingDataItemsRequestObject) (GetTrainingDataItemsResponseObject, error) {
	return nil, notYet("GetTrainingDataItems")
}

// GetTrainingDataItem is not built yet.
func (unimplemented) GetTrainingDataItem(context.Context, GetTrainingDataItemRequestObject) (GetTrainingDataItemResponseObject, error) {
	return nil, notYet("GetTrainingDataItem")
}

// GetTrainingJobs is not built yet.
func (unimplemented) GetTrainingJobs(context.Context, GetTrainingJobsRequestObject) (GetTrainingJobsResponseObject, error) {
	return nil, notYet("GetTrainingJobs")
}

// GetTrainingJob is not built yet.
func (unimplemented) GetTrainingJob(context.Context, GetTrainingJobRequestObject) (GetTrainingJobResponseObject, error) {
	return nil, notYet("GetTrainingJob")
}

// PatchTrainingJob is not built yet.
func (unimplemented) PatchTrainingJob(context.Context, PatchTrainingJobRequestObject) (PatchTrainingJobResponseObject, error) {
	return nil, notYet("PatchTrainingJob")
}

// GetAnalysisTask is not built yet.
func (unimplemented) GetAnalysisTask(context.Context, GetAnalysisTaskRequestObject) (GetAnalysisTaskResponseObject, error) {
	return nil, notYet("GetAnalysisTask")
}

// PutUpload is not built yet.
func (unimplemented) PutUpload(context.Context, PutUploadRequestObject) (PutUploadResponseObject, error) {
	return nil, notYet("PutUpload")
}

// GetUsers is not built yet.
func (unimplemented) GetUsers(context.Context, GetUsersRequestObject) (GetUsersResponseObject, error) {
	return nil, notYet("GetUsers")
}

// PatchUser is not built yet.
func (unimplemented) PatchUser(context.Context, PatchUserRequestObject) (PatchUserResponseObject, error) {
	return nil, notYet("PatchUser")
}

// CreateUser is not built yet.
func (unimplemented) CreateUser(context.Context, CreateUserRequestObject) (CreateUserResponseObject, error) {
	return nil, notYet("CreateUser")
}

// ReadUsersMe is not built yet.
func (unimplemented) ReadUsersMe(context.Context, ReadUsersMeRequestObject) (ReadUsersMeResponseObject, error) {
	return nil, notYet("ReadUsersMe")
}

// GetUser is not built yet.
func (unimplemented) GetUser(context.Context, GetUserRequestObject) (GetUserResponseObject, error) {
	return nil, notYet("GetUser")
}

// GetHealthz is not built yet.
func (unimplemented) GetHealthz(context.Context, GetHealthzRequestObject) (GetHealthzResponseObject, error) {
	return nil, notYet("GetHealthz")
}

// GetReadyz is not built yet.
func (unimplemented) GetReadyz(context.Context, GetReadyzRequestObject) (GetReadyzResponseObject, error) {
	return nil, notYet("GetReadyz")
}
