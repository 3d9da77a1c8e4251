package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/openqluster/qluster-go/qluster"
)

// Cipher seals secrets before they are written and opens them when read.
type Cipher interface {
	Seal(plain string) (string, error)
	Open(sealed string) (string, error)
}

// Options tunes a Store. A nil *Options means the defaults.
type Options struct {
	// Cipher encrypts secret fields at rest. Nil stores them as given, which
	// only tests that do not look at secrets should do.
	Cipher Cipher
	// MaxOpenConns caps the connection pool. Default 10.
	MaxOpenConns int
}

// Store is the metadata store. It is safe for concurrent use.
type Store struct {
	db     *sqlx.DB
	cipher Cipher
}

// Open connects to the database at url (a postgres:// URL or a DSN) through
// pgx's database/sql adapter and checks that it answers.
func Open(ctx context.Context, url string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	db, err := sqlx.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres.Open: %w", err)
	}
	n := opts.MaxOpenConns
	if n == 0 {
		n = 10
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres.Open: %w", err)
	}
	return &Store{db: db, cipher: opts.Cipher}, nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the underlying pool, for callers that run their own queries.
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// inTx runs fn in one transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback() //nolint:errcheck
		return err
	}
	return tx.Commit()
}

// translate maps driver errors to the sentinels of package qluster.
func translate(err error, kind string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &qluster.NotFoundError{Kind: kind}
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return &qluster.ConflictError{Msg: fmt.Sprintf("a %s with the same %s already exists", kind, uniqueWhat(pg.ConstraintName))}
		case "23503":
			return &qluster.ConflictError{Msg: fmt.Sprintf("%s refers to an object that does not exist or is still referenced (%s)", kind, pg.ConstraintName)}
		}
	}
	return err
}

func uniqueWhat(constraint string) string {
	switch constraint {
	case "datasets_table_key":
		return "database, schema and table"
	case "users_email_key":
		return "email"
	}
	return "name"
}

var _ = stdlib.GetDefaultDriver // registers the "pgx" database/sql driver
