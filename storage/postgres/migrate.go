package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.up.sql
var migrationFS embed.FS

// migrationLockID is the advisory lock key that serialises Migrate across processes.
const migrationLockID = 0x51_4c_55_53 // "QLUS"

// Migration is one embedded schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in the order they apply.
func Migrations() ([]Migration, error) {
	entries, err := fs.Glob(migrationFS, "migrations/*.up.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, path := range entries {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".up.sql")
		num, name, ok := strings.Cut(base, "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name must be NNN_name.up.sql", path)
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", path, err)
		}
		b, err := migrationFS.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every embedded migration that the database has not seen,
// each in its own transaction. It returns the versions it applied; a second
// call applies none.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	migs, err := Migrations()
	if err != nil {
		return nil, err
	}
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres.Migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return nil, fmt.Errorf("postgres.Migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockID) //nolint:errcheck
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS qluster_schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("postgres.Migrate: %w", err)
	}
	var applied []int
	for _, m := range migs {
		var done bool
		if err := conn.GetContext(ctx, &done, `SELECT EXISTS (SELECT 1 FROM qluster_schema_migrations WHERE version = $1)`, m.Version); err != nil {
			return applied, fmt.Errorf("postgres.Migrate: %w", err)
		}
		if done {
			continue
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return applied, fmt.Errorf("postgres.Migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback() //nolint:errcheck
			return applied, fmt.Errorf("postgres.Migrate: %03d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO qluster_schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			tx.Rollback() //nolint:errcheck
			return applied, fmt.Errorf("postgres.Migrate: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("postgres.Migrate: %w", err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}
