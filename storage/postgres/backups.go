package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/openqluster/qluster-go/qluster"
)

// CreateBackupSettings stores new backup settings, their keys sealed, and
// returns them as stored.
func (s *Store) CreateBackupSettings(ctx context.Context, b *qluster.BackupSettings, by *uuid.UUID) (*qluster.BackupSettings, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = s.insertDoc(ctx, tx, tBackups, b, nil, by)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetBackupSettings(ctx, id)
}

// GetBackupSettings reads backup settings, their keys opened.
func (s *Store) GetBackupSettings(ctx context.Context, id int64) (*qluster.BackupSettings, error) {
	var b qluster.BackupSettings
	if err := s.getDoc(ctx, s.db, tBackups, id, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// ListBackupSettings reads one page of backup settings.
func (s *Store) ListBackupSettings(ctx context.Context, p qluster.ListParams) (qluster.Page[qluster.BackupSettings], error) {
	return listDocs[qluster.BackupSettings](ctx, s, tBackups, nil, p)
}

// UpdateBackupSettings changes backup settings id in place with mutate when
// their stored version_id is version (any when nil), bumps it, records the
// change in history and returns them as stored. A stale version is a
// *qluster.ConflictError matching qluster.ErrVersionConflict. A secret left
// as qluster.Obfuscated keeps the stored one.
func (s *Store) UpdateBackupSettings(ctx context.Context, id int64, version *int64, by *uuid.UUID, mutate func(b *qluster.BackupSettings) error) (*qluster.BackupSettings, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := updateDoc(ctx, s, tx, tBackups, id, version, by, mutate)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetBackupSettings(ctx, id)
}

// BackupSettingsHistory lists the changes of backup settings, oldest first.
// The documents hold the secrets as stored (sealed).
func (s *Store) BackupSettingsHistory(ctx context.Context, id int64) ([]qluster.HistoryRecord, error) {
	if _, err := s.GetBackupSettings(ctx, id); err != nil {
		return nil, err
	}
	return s.History(ctx, tBackups.name, fmt.Sprint(id))
}
