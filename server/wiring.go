package server

import (
	"time"

	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/openqluster/qluster-go/destinations/pgdest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob"
	"github.com/openqluster/qluster-go/storage/blob/fileblob"
	"github.com/openqluster/qluster-go/storage/blob/gcsblob"
	"github.com/openqluster/qluster-go/storage/blob/s3blob"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// EngineOptions are the defaults the reference server wires the engine with.
type EngineOptions struct {
	// Store is the metadata store; its queue carries the jobs. Required.
	Store *postgres.Store
	// DataDir holds local backup storage (DataDir/backups). Required.
	DataDir string
	// Workers, Lease, PollInterval, TrainingDelay, Logger and Test are
	// passed to qluster.Config (zero: its defaults).
	Workers       int
	Lease         time.Duration
	PollInterval  time.Duration
	TrainingDelay time.Duration
	Logger        *slog.Logger
	Test          qluster.TestConfig
	// CustomSource opens the source of data sources of type custom: a Go
	// program embedding the server registers its own qluster.Source here.
	CustomSource func(ctx context.Context, d *qluster.DataSource) (qluster.Source, error)
	// GCSEndpoint points gs data sources and gs backup storage at another
	// server speaking the Cloud Storage APIs, such as fake-gcs-server
	// (gcsblob.Options.Endpoint). Default "": Google Cloud Storage.
	GCSEndpoint string
	// DropboxBaseURL and DropboxContentURL point dropbox data sources at
	// another server speaking the Dropbox API v2 (dropboxsource.Options).
	// Default "": Dropbox.
	DropboxBaseURL, DropboxContentURL string
}

// NewEngine makes the engine with the reference defaults: the Postgres queue,
// backups on the local filesystem, S3 and S3-compatible servers or Cloud
// Storage as each dataset's backup settings say, and
// PostgreSQL destinations through pgdest.
func NewEngine(opts EngineOptions) (*qluster.Engine, error) {
	if opts.Store == nil || opts.DataDir == "" {
		return nil, fmt.Errorf("server.NewEngine: Store and DataDir are required")
	}
	backups := filepath.Join(opts.DataDir, "backups")
	tmp := filepath.Join(opts.DataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	sources := openSource(opts)
	return qluster.New(&qluster.Config{
		Store: opts.Store,
		Queue: opts.Store.Queue(),
		Codec: blob.Codec{TempDir: tmp},
		OpenBackup: func(ctx context.Context, b *qluster.BackupSettings) (qluster.Backup, error) {
			switch b.BackupType {
			case qluster.BackupTypeLocal:
				return fileblob.Open(backups, &fileblob.Options{CreateDir: true})
			case qluster.BackupTypeS3, qluster.BackupTypeMinio:
				o := &s3blob.Options{Region: b.BackupS3RegionName, Endpoint: b.BackupS3EndpointURL,
					AccessKey: b.BackupS3AccessKey, SecretKey: b.BackupS3SecretKey}
				if b.BackupS3DefaultBufferSize >= s3blob.MinPartSize {
					o.PartSize = b.BackupS3DefaultBufferSize
				}
				return s3blob.Open(ctx, b.BackupS3Bucket, o)
			case qluster.BackupTypeGs:
				return gcsblob.Open(ctx, b.BackupGSBucket, &gcsblob.Options{ServiceAccountKey: b.BackupGSServiceAccountKey, Endpoint: opts.GCSEndpoint})
			}
			return nil, fmt.Errorf("%w: unknown backup_type %q", qluster.ErrConnection, b.BackupType)
		},
		OpenDestination: func(ctx context.Context, d *qluster.DestinationModel) (qluster.Destination, error) {
			return pgdest.Open(ctx, d, &pgdest.Options{Logger: opts.Logger})
		},
		OpenSource:    sources,
		Workers:       opts.Workers,
		Lease:         opts.Lease,
		PollInterval:  opts.PollInterval,
		TrainingDelay: opts.TrainingDelay,
		Logger:        opts.Logger,
		Test:          opts.Test,
	})
}

// EnsureDefaults creates, once, the default backup settings (local storage)
// and, when dest is given, the default destination, so that a dataset can be
// made with nothing else.
func EnsureDefaults(ctx context.Context, store *postgres.Store, dest *qluster.DestinationModel) error {
	if _, ok, err := store.Default(ctx, postgres.DefaultBackupSettings); err != nil {
		return err
	} else if !ok {
		bs := qluster.NewBackupSettings()
		created, err := store.CreateBackupSettings(ctx, &bs, nil)
		if err != nil {
			return fmt.Errorf("create the default backup settings: %w", err)
		}
		if err := store.SetDefault(ctx, postgres.DefaultBackupSettings, created.ID); err != nil {
			return err
		}
	}
	if dest == nil {
		return nil
	}
	if _, ok, err := store.Default(ctx, postgres.DefaultDestination); err != nil || ok {
		return err
	}
	created, err := store.CreateDestination(ctx, dest, nil)
	if err != nil {
		return fmt.Errorf("create the default destination: %w", err)
	}
	return store.SetDefault(ctx, postgres.DefaultDestination, created.ID)
}

// withDefaults fills a dataset's destination and backup settings with the
// installation's defaults when they are not set.
func (s *Server) withDefaults(ctx context.Context, d *qluster.Dataset) error {
	if d.BackupSettingsID == nil {
		id, ok, err := s.store.Default(ctx, postgres.DefaultBackupSettings)
		if err != nil {
			return err
		}
		if ok {
			d.BackupSettingsID = &id
		}
	}
	if d.DestinationID == nil {
		id, ok, err := s.store.Default(ctx, postgres.DefaultDestination)
		if err != nil {
			return err
		}
		if ok {
			d.DestinationID = &id
		}
	}
	return nil
}

// DestinationFromURL describes the PostgreSQL database at url (a postgres://
// URL or DSN) as a destination named name.
func DestinationFromURL(name, url string) (*qluster.DestinationModel, error) {
	return pgdest.ModelFromURL(name, url)
}
