package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
)

func backupIDs(bs []client.BackupSettings) []int {
	out := make([]int, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.Id)
	}
	return out
}

// backupIDs lists the ids of every set of backup settings, newest first (an
// installation may start with default ones).
func (b *bundle) backupIDs() []int {
	b.t.Helper()
	res, err := b.admin.GetBackupSettingsListWithResponse(b.ctx, &client.GetBackupSettingsListParams{Limit: ptr(100)})
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return backupIDs(res.JSON200.Results)
}

// TestBackupSettings drives the backup settings operations over one server.
func TestBackupSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, b *bundle)
	}{
		{"new", testNewBackupSettings},
		{"lifecycle", testBackupSettingsLifecycle},
		{"bad input", testBackupSettingsBadInput},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, b.as(t)) })
	}
}

func testNewBackupSettings(t *testing.T, b *bundle) {
	nw, err := b.admin.GetNewBackupSettingsWithResponse(b.ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, nw.StatusCode(), string(nw.Body))
	require.Equal(t, client.BackupTypeLocal, *nw.JSON200.BackupType)
	require.Equal(t, "us-east-1", *nw.JSON200.BackupS3RegionName)
	require.Equal(t, 8<<20, *nw.JSON200.BackupS3DefaultBufferSize)
	require.Zero(t, nw.JSON200.Id)

	// A POST of only the type takes the same defaults.
	local := b.backup()
	got, err := b.admin.GetBackupSettingsModelWithResponse(b.ctx, local)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), string(got.Body))
	require.Equal(t, client.BackupTypeLocal, *got.JSON200.BackupType)
	require.Equal(t, 8<<20, *got.JSON200.BackupS3DefaultBufferSize)
	require.Equal(t, 1, *got.JSON200.VersionId)
}

func testBackupSettingsLifecycle(t *testing.T, b *bundle) {
	admin := b.adminUserID()
	before := b.backupIDs()
	plain := map[string]string{
		"backup_s3_secret_key":          "s3-backup-secret",
		"backup_gs_service_account_key": `{"type":"service_account","private_key":"gs-backup-key"}`,
		"backup_gpg_passphrase":         "gpg-backup-passphrase",
	}
	body := map[string]any{"backup_type": "s3", "backup_s3_bucket": "raw-backups", "backup_s3_access_key": "AKIABACKUP"}
	var fields, values []string
	for k, v := range plain {
		body[k] = v
		fields = append(fields, k)
		values = append(values, v)
	}
	created, err := b.admin.PostBackupSettingsModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(body))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, created.StatusCode(), string(created.Body))
	bs := created.JSON200
	require.Equal(t, 1, *bs.VersionId)
	require.Equal(t, client.BackupTypeS3, *bs.BackupType)
	require.Equal(t, "raw-backups", *bs.BackupS3Bucket)
	require.Equal(t, "AKIABACKUP", *bs.BackupS3AccessKey)
	require.Equal(t, qluster.Obfuscated, *bs.BackupS3SecretKey)
	require.Equal(t, qluster.Obfuscated, *bs.BackupGsServiceAccountKey)
	require.Equal(t, qluster.Obfuscated, *bs.BackupGpgPassphrase)
	require.Empty(t, *bs.BackupGpgPrivateKey, "an unset secret reads empty")
	require.NotNil(t, bs.WhodunitId)
	require.Equal(t, admin, uuid.UUID(*bs.WhodunitId))
	for _, v := range values {
		require.NotContains(t, string(created.Body), v)
	}
	b.requireSealed("backup_settings", bs.Id, fields, values...)

	got, err := b.admin.GetBackupSettingsModelWithResponse(b.ctx, bs.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), string(got.Body))
	require.Equal(t, qluster.Obfuscated, *got.JSON200.BackupS3SecretKey)
	require.Equal(t, "raw-backups", *got.JSON200.BackupS3Bucket)

	local := b.backup()
	list, err := b.admin.GetBackupSettingsListWithResponse(b.ctx, &client.GetBackupSettingsListParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
	require.Equal(t, append([]int{local, bs.Id}, before...), backupIDs(list.JSON200.Results), "newest first")
	require.Equal(t, qluster.Obfuscated, *list.JSON200.Results[1].BackupS3SecretKey)
	for _, v := range values {
		require.NotContains(t, string(list.Body), v)
	}
	asc, err := b.admin.GetBackupSettingsListWithResponse(b.ctx, &client.GetBackupSettingsListParams{Reverse: ptr(false), Limit: ptr(1), Start: &bs.Id})
	require.NoError(t, err)
	require.Equal(t, []int{bs.Id}, backupIDs(asc.JSON200.Results))
	require.NotNil(t, asc.JSON200.Next)
	require.Equal(t, local, asc.JSON200.Next.Start)

	// PATCH on the version read, secrets sent back as read: they are kept.
	p, err := b.admin.PatchBackupSettingsModelWithResponse(b.ctx, client.BackupSettingsPatchRequest{
		Id: bs.Id, VersionId: 1, BackupS3Bucket: ptr("raw-backups-eu"), BackupS3SecretKey: ptr(qluster.Obfuscated),
		BackupGsServiceAccountKey: ptr(qluster.Obfuscated),
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
	require.Equal(t, 2, *p.JSON200.VersionId)
	require.Equal(t, "raw-backups-eu", *p.JSON200.BackupS3Bucket)
	require.Equal(t, qluster.Obfuscated, *p.JSON200.BackupS3SecretKey)
	require.Equal(t, "AKIABACKUP", *p.JSON200.BackupS3AccessKey, "fields not sent are kept")
	stored, err := b.store.GetBackupSettings(b.ctx, int64(bs.Id))
	require.NoError(t, err)
	require.Equal(t, plain["backup_s3_secret_key"], stored.BackupS3SecretKey)
	require.Equal(t, plain["backup_gs_service_account_key"], stored.BackupGSServiceAccountKey)
	require.Equal(t, plain["backup_gpg_passphrase"], stored.BackupGPGPassphrase)
	b.requireSealed("backup_settings", bs.Id, fields, values...)

	// The same version again is stale: 409 and nothing changes.
	stale, err := b.admin.PatchBackupSettingsModelWithResponse(b.ctx, client.BackupSettingsPatchRequest{
		Id: bs.Id, VersionId: 1, BackupS3Bucket: ptr("somewhere-else"),
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, stale.StatusCode(), string(stale.Body))
	again, err := b.admin.GetBackupSettingsModelWithResponse(b.ctx, bs.Id)
	require.NoError(t, err)
	require.Equal(t, "raw-backups-eu", *again.JSON200.BackupS3Bucket)
	require.Equal(t, 2, *again.JSON200.VersionId)

	// A new secret replaces the stored one.
	rot, err := b.admin.PatchBackupSettingsModelWithResponse(b.ctx, client.BackupSettingsPatchRequest{
		Id: bs.Id, VersionId: 2, BackupS3SecretKey: ptr("s3-backup-rotated"),
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rot.StatusCode(), string(rot.Body))
	require.Equal(t, qluster.Obfuscated, *rot.JSON200.BackupS3SecretKey)
	stored, err = b.store.GetBackupSettings(b.ctx, int64(bs.Id))
	require.NoError(t, err)
	require.Equal(t, "s3-backup-rotated", stored.BackupS3SecretKey)
	require.NotContains(t, b.rawDoc("backup_settings", bs.Id), "s3-backup-rotated")

	// History: the insert and the two updates, by the admin.
	h, err := b.store.BackupSettingsHistory(b.ctx, int64(bs.Id))
	require.NoError(t, err)
	require.Len(t, h, 3)
	for _, r := range h {
		require.NotNil(t, r.WhodunitID)
		require.Equal(t, admin, uuid.UUID(*r.WhodunitID))
	}

	// Unknown ids.
	nf, err := b.admin.GetBackupSettingsModelWithResponse(b.ctx, 654321)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, nf.StatusCode(), string(nf.Body))
	pnf, err := b.admin.PatchBackupSettingsModelWithResponse(b.ctx, client.BackupSettingsPatchRequest{Id: 654321, VersionId: 1})
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, pnf.StatusCode(), string(pnf.Body))
}

func testBackupSettingsBadInput(t *testing.T, b *bundle) {
	before := b.backupIDs()
	cases := []struct {
		name   string
		body   string
		fields []string
	}{
		{"unknown type", `{"backup_type":"ftp"}`, []string{"backup_type"}},
		{"missing type", `{"backup_s3_bucket":"b"}`, []string{"backup_type"}},
		{"s3 without bucket", `{"backup_type":"s3"}`, []string{"backup_s3_bucket"}},
		{"minio without endpoint", `{"backup_type":"minio","backup_s3_bucket":"b"}`, []string{"backup_s3_endpoint_url"}},
		{"gs without bucket", `{"backup_type":"gs"}`, []string{"backup_gs_bucket"}},
		{"bad endpoint", `{"backup_type":"minio","backup_s3_bucket":"b","backup_s3_endpoint_url":"ftp://x"}`, []string{"backup_s3_endpoint_url"}},
		{"bad buffer", `{"backup_type":"local","backup_s3_default_buffer_size":0}`, []string{"backup_s3_default_buffer_size"}},
		{"not a public key", `{"backup_type":"local","backup_gpg_public_key":"hello"}`, []string{"backup_gpg_public_key"}},
		{"not a private key", `{"backup_type":"local","backup_gpg_private_key":"hello"}`, []string{"backup_gpg_private_key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := b.admin.PostBackupSettingsModelWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(tc.body))
			require.NoError(t, err)
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
			requireIssues(t, res.Body, tc.fields...)
		})
	}
	require.Equal(t, before, b.backupIDs(), "rejected settings are not stored")

	// A PATCH to a bad type changes nothing.
	id := b.backup()
	res, err := b.admin.PatchBackupSettingsModelWithBodyWithResponse(b.ctx, "application/json",
		strings.NewReader(fmt.Sprintf(`{"id":%d,"version_id":1,"backup_type":"tape"}`, id)))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	requireIssues(t, res.Body, "backup_type")
	res, err = b.admin.PatchBackupSettingsModelWithBodyWithResponse(b.ctx, "application/json",
		strings.NewReader(fmt.Sprintf(`{"id":%d,"version_id":1,"backup_type":"s3"}`, id)))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	requireIssues(t, res.Body, "backup_s3_bucket")
	got, err := b.store.GetBackupSettings(b.ctx, int64(id))
	require.NoError(t, err)
	require.Equal(t, qluster.BackupTypeLocal, got.BackupType)
	require.EqualValues(t, 1, got.VersionID)
}
