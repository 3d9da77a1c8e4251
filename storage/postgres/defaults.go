package postgres

import (
	"context"
	"database/sql"
	"errors"
)

// Names of the defaults a fresh installation records.
const (
	DefaultBackupSettings = "backup_settings"
	DefaultDestination    = "destination"
)

// Default returns the id recorded under name, and false when there is none.
func (s *Store) Default(ctx context.Context, name string) (int64, bool, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `SELECT object_id FROM qluster_defaults WHERE name = $1`, name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// SetDefault records id under name, replacing what was there.
func (s *Store) SetDefault(ctx context.Context, name string, id int64) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO qluster_defaults (name, object_id) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET object_id = EXCLUDED.object_id`, name, id)
	return err
}
