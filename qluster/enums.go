// Code written once from api/openapi.yaml; edited by hand since.

package qluster

// UserType is a user's role; it decides what the user may do.
type UserType string

// The values of UserType.
const (
	UserTypeSuperuser       UserType = "superuser"
	UserTypeEditor          UserType = "editor"
	UserTypeLimitedToSource UserType = "limited_to_source"
	UserTypeReadOnly        UserType = "read_only"
	UserTypeBilling         UserType = "billing"
)

// Valid reports whether t is one of the values of UserType.
func (t UserType) Valid() bool {
	switch t {
	case UserTypeSuperuser, UserTypeEditor, UserTypeLimitedToSource, UserTypeReadOnly, UserTypeBilling:
		return true
	}
	return false
}

// MigrationPolicy decides what happens to a draft migration.
type MigrationPolicy string

// The values of MigrationPolicy.
const (
	MigrationPolicyAskUser         MigrationPolicy = "ask_user"
	MigrationPolicyApplyAsap       MigrationPolicy = "apply_asap"
	MigrationPolicyMigrationWindow MigrationPolicy = "migration_window"
	MigrationPolicyLocked          MigrationPolicy = "locked"
)

// Valid reports whether t is one of the values of MigrationPolicy.
func (t MigrationPolicy) Valid() bool {
	switch t {
	case MigrationPolicyAskUser, MigrationPolicyApplyAsap, MigrationPolicyMigrationWindow, MigrationPolicyLocked:
		return true
	}
	return false
}

// CompressionType is how raw files are compressed in backup storage.
type CompressionType string

// The values of CompressionType.
const (
	CompressionTypeGzip         CompressionType = "gzip"
	CompressionTypeZip          CompressionType = "zip"
	CompressionTypeSnappyStream CompressionType = "snappy_stream"
)

// Valid reports whether t is one of the values of CompressionType.
func (t CompressionType) Valid() bool {
	switch t {
	case CompressionTypeGzip, CompressionTypeZip, CompressionTypeSnappyStream:
		return true
	}
	return false
}

// DataLoadingProcess is how a file's good rows are merged into the table.
type DataLoadingProcess string

// The values of DataLoadingProcess.
const (
	DataLoadingProcessReplace  DataLoadingProcess = "replace"
	DataLoadingProcessUpsert   DataLoadingProcess = "upsert"
	DataLoadingProcessSnapshot DataLoadingProcess = "snapshot"
)

// Valid reports whether t is one of the values of DataLoadingProcess.
func (t DataLoadingProcess) Valid() bool {
	switch t {
	case DataLoadingProcessReplace, DataLoadingProcessUpsert, DataLoadingProcessSnapshot:
		return true
	}
	return false
}

// DataSourceType is where a data source's files come from.
type DataSourceType string

// The values of DataSourceType.
const (
	DataSourceTypeS3      DataSourceType = "s3"
	DataSourceTypeMinio   DataSourceType = "minio"
	DataSourceTypeSftp    DataSourceType = "sftp"
	DataSourceTypeGs      DataSourceType = "gs"
	DataSourceTypeDropbox DataSourceType = "dropbox"
	DataSourceTypeStream  DataSourceType = "stream"
	DataSourceTypeCustom  DataSourceType = "custom"
)

// Valid reports whether t is one of the values of DataSourceType.
func (t DataSourceType) Valid() bool {
	switch t {
	case DataSourceTypeS3, DataSourceTypeMinio, DataSourceTypeSftp, DataSourceTypeGs, DataSourceTypeDropbox, DataSourceTypeStream, DataSourceTypeCustom:
		return true
	}
	return false
}

// DataSourceState is the life-cycle state of a data source.
type DataSourceState string

// The values of DataSourceState.
const (
	DataSourceStateActive   DataSourceState = "active"
	DataSourceStateDraft    DataSourceState = "draft"
	DataSourceStateDisabled DataSourceState = "disabled"
	DataSourceStateDeleted  DataSourceState = "deleted"
)

// Valid reports whether t is one of the values of DataSourceState.
func (t DataSourceState) Valid() bool {
	switch t {
	case DataSourceStateActive, DataSourceStateDraft, DataSourceStateDisabled, DataSourceStateDeleted:
		return true
	}
	return false
}

// DatasetState is the life-cycle state of a dataset.
type DatasetState string

// The values of DatasetState.
const (
	DatasetStateActive   DatasetState = "active"
	DatasetStateDisabled DatasetState = "disabled"
	DatasetStateDeleted  DatasetState = "deleted"
)

// Valid reports whether t is one of the values of DatasetState.
func (t DatasetState) Valid() bool {
	switch t {
	case DatasetStateActive, DatasetStateDisabled, DatasetStateDeleted:
		return true
	}
	return false
}

// BackupType is the kind of storage raw files are backed up to.
type BackupType string

// The values of BackupType.
const (
	BackupTypeS3    BackupType = "s3"
	BackupTypeMinio BackupType = "minio"
	BackupTypeGs    BackupType = "gs"
	BackupTypeLocal BackupType = "local"
)

// Valid reports whether t is one of the values of BackupType.
func (t BackupType) Valid() bool {
	switch t {
	case BackupTypeS3, BackupTypeMinio, BackupTypeGs, BackupTypeLocal:
		return true
	}
	return false
}

// DestinationType is the kind of database a dataset loads into.
type DestinationType string

// The values of DestinationType.
const (
	DestinationTypePostgresql DestinationType = "postgresql"
)

// Valid reports whether t is one of the values of DestinationType.
func (t DestinationType) Valid() bool {
	switch t {
	case DestinationTypePostgresql:
		return true
	}
	return false
}

// XLSDateMode is the date system of a legacy .xls workbook.
type XLSDateMode string

// The values of XLSDateMode.
const (
	XLSDateModeMode0 XLSDateMode = "mode_0"
	XLSDateModeMode1 XLSDateMode = "mode_1"
)

// Valid reports whether t is one of the values of XLSDateMode.
func (t XLSDateMode) Valid() bool {
	switch t {
	case XLSDateModeMode0, XLSDateModeMode1:
		return true
	}
	return false
}

// JobType tells a one-off job from a scheduled one.
type JobType string

// The values of JobType.
const (
	JobTypeJob     JobType = "job"
	JobTypeCronjob JobType = "cronjob"
)

// Valid reports whether t is one of the values of JobType.
func (t JobType) Valid() bool {
	switch t {
	case JobTypeJob, JobTypeCronjob:
		return true
	}
	return false
}
