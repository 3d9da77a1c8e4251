package main

import (
	neturl "net/url"

	"context"
	"flag"
	"fmt"
	"github.com/jackc/pgx/v5"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/openqluster/qluster-go/internal/pgcluster"
	"github.com/openqluster/qluster-go/internal/secrets"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// config is what every command reads from flags and the environment.
type config struct {
	// DatabaseURL is the metadata store (QLUSTER_DATABASE_URL). Empty: a
	// private PostgreSQL cluster in DataDir/pg, database "qluster".
	DatabaseURL string
	// Addr is where serve listens (QLUSTER_ADDR). Default 127.0.0.1:8080.
	Addr string
	// DataDir holds the keys, the embedded cluster and local files
	// (QLUSTER_DATA_DIR). Default ./qluster-data.
	DataDir string
	// SecretKey signs bearer tokens (QLUSTER_SECRET_KEY). Default: a random
	// key kept in DataDir/secret.key.
	SecretKey string
	// MasterKey encrypts secrets at rest (QLUSTER_MASTER_KEY). Default: a
	// random key kept in DataDir/master.key.
	MasterKey string
	// InstallPostgres lets serve install Debian's postgresql package when
	// no PostgreSQL binaries are found (QLUSTER_INSTALL_POSTGRES=1).
	InstallPostgres bool
	// Workers is how many jobs run at once in this process.
	Workers int
	// DemoData is a folder of files serve feeds into a demo dataset.
	DemoData string
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// bind registers the shared flags on fs, defaulting to the environment.
func (c *config) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", envOr("QLUSTER_DATABASE_URL", ""), "PostgreSQL URL of the metadata store (env QLUSTER_DATABASE_URL); empty starts a private cluster in the data folder")
	fs.StringVar(&c.Addr, "addr", envOr("QLUSTER_ADDR", "127.0.0.1:8080"), "address to listen on (env QLUSTER_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", envOr("QLUSTER_DATA_DIR", "./qluster-data"), "folder for keys, the embedded database and local files (env QLUSTER_DATA_DIR)")
	fs.StringVar(&c.SecretKey, "secret-key", envOr("QLUSTER_SECRET_KEY", ""), "key that signs tokens (env QLUSTER_SECRET_KEY); default generated into the data folder")
	fs.StringVar(&c.MasterKey, "master-key", envOr("QLUSTER_MASTER_KEY", ""), "key that encrypts secrets at rest (env QLUSTER_MASTER_KEY); default generated into the data folder")
	fs.BoolVar(&c.InstallPostgres, "install-postgres", envOr("QLUSTER_INSTALL_POSTGRES", "") == "1", "install Debian's postgresql package if its binaries are missing (env QLUSTER_INSTALL_POSTGRES=1)")
}

// key reads a key from its setting, or from (creating) its file in the data folder.
func (c *config) key(setting, file string) ([]byte, error) {
	if setting != "" {
		return secrets.KeyFromString(setting)
	}
	return secrets.LoadOrCreateKey(filepath.Join(c.DataDir, file))
}

// backend is an open metadata store and what must be closed after it.
type backend struct {
	Store   *postgres.Store
	Cluster *pgcluster.Cluster // nil when QLUSTER_DATABASE_URL was given
	URL     string
}

// Close closes the store; the embedded cluster keeps running for the next
// command unless stopCluster is set.
func (b *backend) Close(ctx context.Context, stopCluster bool) {
	if b.Store != nil {
		b.Store.Close()
	}
	if stopCluster && b.Cluster != nil {
		b.Cluster.Stop(ctx) //nolint:errcheck
	}
}

// open connects to the metadata store, starting the embedded cluster when no
// URL is configured, and applies migrations.
func (c *config) open(ctx context.Context, log *slog.Logger) (*backend, error) {
	master, err := c.key(c.MasterKey, "master.key")
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	cipher, err := secrets.New(master)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	b := &backend{URL: c.DatabaseURL}
	if b.URL == "" {
		cl, err := pgcluster.New(&pgcluster.Options{DataDir: c.DataDir, InstallIfMissing: c.InstallPostgres, Logger: log})
		if err != nil {
			return nil, err
		}
		log.Info("starting the embedded PostgreSQL", "dir", filepath.Join(c.DataDir, "pg"))
		if err := cl.Start(ctx); err != nil {
			return nil, err
		}
		if err := cl.CreateDatabase(ctx, "qluster"); err != nil {
			return nil, err
		}
		b.Cluster, b.URL = cl, cl.URL("qluster")
	}
	store, err := postgres.Open(ctx, b.URL, &postgres.Options{Cipher: cipher})
	if err != nil {
		b.Close(ctx, false)
		return nil, err
	}
	b.Store = store
	applied, err := store.Migrate(ctx)
	if err != nil {
		b.Close(ctx, false)
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("applied migrations", "versions", applied)
	}
	return b, nil
}

// ensureDefaults creates the default backup settings (local storage) and the
// default destination: a database "qluster_data" beside the metadata store.
func ensureDefaults(ctx context.Context, be *backend, log *slog.Logger) error {
	var url string
	if be.Cluster != nil {
		if err := be.Cluster.CreateDatabase(ctx, "qluster_data"); err != nil {
			return err
		}
		url = be.Cluster.URL("qluster_data")
	} else if u, err := dataDatabaseURL(ctx, be); err != nil {
		log.Warn("no default destination: could not create its database; create destinations through the API", "err", err)
	} else {
		url = u
	}
	var dest *qluster.DestinationModel
	if url != "" {
		d, err := server.DestinationFromURL("default", url)
		if err != nil {
			return err
		}
		dest = d
	}
	return server.EnsureDefaults(ctx, be.Store, dest)
}

// dataDatabaseURL creates (if missing) the database "<metadata db>_data" on
// the metadata store's server and returns its URL.
func dataDatabaseURL(ctx context.Context, be *backend) (string, error) {
	cfg, err := pgx.ParseConfig(be.URL)
	if err != nil {
		return "", err
	}
	name := cfg.Database + "_data"
	var exists bool
	if err := be.Store.DB().GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return "", err
	}
	if !exists {
		if _, err := be.Store.DB().ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", err
		}
	}
	u, err := neturl.Parse(be.URL)
	if err != nil || u.Scheme == "" {
		return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s", cfg.Host, cfg.Port, cfg.User, cfg.Password, name), nil
	}
	u.Path = "/" + name
	return u.String(), nil
}
