package qluster

import (
	"context"
	"io"
)

// Store is the metadata the engine reads and writes: configuration, files,
// jobs, migrations and alerts. storage/postgres implements it. Methods
// return errors matching ErrNotFound for unknown ids.
type Store interface {
	GetDataset(ctx context.Context, id int64) (*Dataset, error)
	GetDataSource(ctx context.Context, id int64) (*DataSource, error)
	GetBackupSettings(ctx context.Context, id int64) (*BackupSettings, error)
	GetDestination(ctx context.Context, id int64) (*DestinationModel, error)

	CreateStoredItem(ctx context.Context, it *StoredItem) (*StoredItem, error)
	GetStoredItem(ctx context.Context, id int64) (*StoredItem, error)
	UpdateStoredItem(ctx context.Context, id int64, mutate func(*StoredItem) error) (*StoredItem, error)
	FindStoredItemBySignature(ctx context.Context, datasetID int64, signature string, excludeID int64) (*StoredItem, error)
	DeleteStoredItem(ctx context.Context, id int64) error

	CreateTrainingDataItem(ctx context.Context, it *TrainingDataItem) (*TrainingDataItem, error)
	TrainingDataItems(ctx context.Context, datasetID int64, enabledOnly bool) ([]TrainingDataItem, error)
	CreateTrainingJob(ctx context.Context, j *TrainingJob) (*TrainingJob, error)
	GetTrainingJob(ctx context.Context, id int64) (*TrainingJob, error)
	UpdateTrainingJob(ctx context.Context, id int64, mutate func(*TrainingJob) error) (*TrainingJob, error)
	TrainingJobsInState(ctx context.Context, datasetID int64, states ...TrainingJobState) ([]TrainingJob, error)
	PutAnalysisTask(ctx context.Context, t *AnalysisTask) (*AnalysisTask, error)

	CreateMigration(ctx context.Context, m *MigrationModel) (*MigrationModel, error)
	GetMigration(ctx context.Context, id int64) (*MigrationModel, error)
	UpdateMigration(ctx context.Context, id int64, mutate func(*MigrationModel) error) (*MigrationModel, error)
	MigrationsInState(ctx context.Context, datasetID int64, states ...MigrationState) ([]MigrationModel, error)
	MakeMigrationCurrent(ctx context.Context, id int64) (*MigrationModel, error)

	RaiseAlert(ctx context.Context, a *AlertItem, aggregateKey string) (*AlertItem, error)
	GetAlert(ctx context.Context, id int64) (*AlertItem, error)
	UpdateAlert(ctx context.Context, id int64, mutate func(*AlertItem) error) (*AlertItem, error)
	UnresolvedAlerts(ctx context.Context, datasetID int64, types ...AlertType) ([]AlertItem, error)

	CreateIngestionJob(ctx context.Context, j *IngestionJob) (*IngestionJob, error)
	// IngestionJobOfStoredItem returns the ingestion job of a stored item, or nil.
	IngestionJobOfStoredItem(ctx context.Context, storedItemID int64) (*IngestionJob, error)
	// StoredItemsToIngest lists a dataset's files that waited for its table
	// (routed while it had none), are neither duplicates nor ignored, and
	// have no ingestion job yet, oldest first.
	StoredItemsToIngest(ctx context.Context, datasetID int64) ([]StoredItem, error)

	GetIngestionJob(ctx context.Context, id int64) (*IngestionJob, error)
	UpdateIngestionJob(ctx context.Context, id int64, mutate func(*IngestionJob) error) (*IngestionJob, error)
	IngestionJobsInState(ctx context.Context, datasetID int64, states ...IngestionJobState) ([]IngestionJob, error)
	// BlockingAlerts lists the unresolved alerts that hold ingestion of a
	// file: those blocking its dataset, its data source or the file itself.
	BlockingAlerts(ctx context.Context, datasetID, sourceID, storedItemID int64) ([]AlertItem, error)
	// IgnoredSignatures are the row signatures a data source's files skip.
	IgnoredSignatures(ctx context.Context, datasetID, sourceID int64) (map[string]bool, error)
	// Recount sets a dataset's and a data source's row counts to the sums over their files.
	Recount(ctx context.Context, datasetID, sourceID int64) error

	// TakenFiles maps the keys of a data source's files already taken whole
	// to the version recorded when they were taken ("" when none was).
	TakenFiles(ctx context.Context, sourceID int64) (map[string]string, error)
	// RecordTakenFile records the version of the file at key taken as a stored item.
	RecordTakenFile(ctx context.Context, sourceID int64, key, version string, storedItemID int64) error
	// ScheduledSources lists the active data sources that have a schedule.
	ScheduledSources(ctx context.Context) ([]DataSource, error)

	CreateFatalError(ctx context.Context, e *FatalError) (*FatalError, error)
}

// BackupEncoding is how a raw file is wrapped in backup storage.
type BackupEncoding struct {
	// Compression is applied first; "" stores the bytes as they are.
	Compression CompressionType
	// RecipientPublicKey, when set, OpenPGP-encrypts the (compressed) bytes to it.
	RecipientPublicKey string
	// Encrypted says, when reading, that the bytes are OpenPGP-encrypted.
	Encrypted bool
	// PrivateKey and Passphrase decrypt them.
	PrivateKey, Passphrase string
	// Name is the file's name, for containers that keep one (zip).
	Name string
}

// Codec wraps and unwraps backup bytes. storage/blob implements it.
type Codec interface {
	// Encode returns a writer that wraps what is written to it into w; its
	// Close flushes everything (it does not close w).
	Encode(w io.Writer, e BackupEncoding) (io.WriteCloser, error)
	// Decode returns the original bytes of r.
	Decode(r io.Reader, e BackupEncoding) (io.ReadCloser, error)
}
