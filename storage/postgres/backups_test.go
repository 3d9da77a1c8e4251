package postgres_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
)

func TestBackupSettings(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	by := uuid.New()

	b := qluster.NewBackupSettings()
	b.BackupType, b.BackupS3Bucket = qluster.BackupTypeS3, "raw-files"
	b.BackupS3SecretKey, b.BackupGPGPrivateKey = "s3-secret", "-----BEGIN PGP PRIVATE KEY BLOCK-----"
	got, err := s.CreateBackupSettings(ctx, &b, &by)
	require.NoError(t, err)
	require.Equal(t, int64(1), got.VersionID)
	require.Equal(t, "s3-secret", got.BackupS3SecretKey)
	doc := storedDoc(t, s, "backup_settings", got.ID)
	requireSealed(t, doc, "backup_s3_secret_key", "s3-secret")
	requireSealed(t, doc, "backup_gpg_private_key", "PGP PRIVATE")
	require.Empty(t, doc["backup_gpg_passphrase"])

	again, err := s.GetBackupSettings(ctx, got.ID)
	require.NoError(t, err)
	require.Equal(t, got, again)

	up, err := s.UpdateBackupSettings(ctx, got.ID, &got.VersionID, &by, func(b *qluster.BackupSettings) error {
		b.BackupS3Bucket = "raw-files-2"
		b.BackupS3SecretKey = qluster.Obfuscated
		b.WhodunitID = &by
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, int64(2), up.VersionID)
	require.Equal(t, "raw-files-2", up.BackupS3Bucket)
	require.Equal(t, "s3-secret", up.BackupS3SecretKey)
	require.Equal(t, by, *up.WhodunitID)

	_, err = s.UpdateBackupSettings(ctx, got.ID, &got.VersionID, nil, func(b *qluster.BackupSettings) error {
		b.BackupS3Bucket = "lost-update"
		return nil
	})
	require.ErrorIs(t, err, qluster.ErrVersionConflict)
	cur, err := s.GetBackupSettings(ctx, got.ID)
	require.NoError(t, err)
	require.Equal(t, "raw-files-2", cur.BackupS3Bucket)

	h, err := s.BackupSettingsHistory(ctx, got.ID)
	require.NoError(t, err)
	require.Len(t, h, 2)
	require.Equal(t, by, *h[1].WhodunitID)
	require.NotContains(t, string(h[1].After), "s3-secret")

	_, err = s.GetBackupSettings(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)
	_, err = s.BackupSettingsHistory(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)
	_, err = s.UpdateBackupSettings(ctx, 424242, nil, nil, func(*qluster.BackupSettings) error { return nil })
	require.ErrorIs(t, err, qluster.ErrNotFound)
}

func TestListBackupSettings(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	var ids []int64
	for range 4 {
		b := qluster.NewBackupSettings()
		got, err := s.CreateBackupSettings(t.Context(), &b, nil)
		require.NoError(t, err)
		ids = append(ids, got.ID)
	}
	list := func(p qluster.ListParams) (qluster.Page[qluster.BackupSettings], error) {
		return s.ListBackupSettings(t.Context(), p)
	}
	id := func(b qluster.BackupSettings) int64 { return b.ID }
	for _, limit := range []int{1, 3, 4} {
		require.Equal(t, ids, walk(t, limit, false, list, id))
		require.Equal(t, reversed(ids), walk(t, limit, true, list, id))
	}
}
