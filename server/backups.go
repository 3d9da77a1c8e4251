package server

import (
	"context"
	"net/url"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// backupReadOnly are fields a client may send but never sets.
var backupReadOnly = []string{"id", "version_id", "created_at", "updated_at", "whodunit_id"}

// GetBackupSettingsList answers a page of backup settings, secrets obfuscated.
func (s *Server) GetBackupSettingsList(ctx context.Context, req GetBackupSettingsListRequestObject) (GetBackupSettingsListResponseObject, error) {
	p := req.Params
	page, err := s.store.ListBackupSettings(ctx, listParams(p.Start, p.End, p.Limit, p.Reverse))
	if err != nil {
		return nil, err
	}
	return toList[GetBackupSettingsList200JSONResponse](page, nil, "Backup Settings", obfuscate[qluster.BackupSettings])
}

// GetNewBackupSettings answers backup settings filled with the defaults a POST would use.
func (s *Server) GetNewBackupSettings(ctx context.Context, _ GetNewBackupSettingsRequestObject) (GetNewBackupSettingsResponseObject, error) {
	b := qluster.NewBackupSettings()
	return convert[GetNewBackupSettings200JSONResponse](&b)
}

// GetBackupSettingsModel answers one set of backup settings, secrets obfuscated.
func (s *Server) GetBackupSettingsModel(ctx context.Context, req GetBackupSettingsModelRequestObject) (GetBackupSettingsModelResponseObject, error) {
	b, err := s.store.GetBackupSettings(ctx, int64(req.BackupSettingsModelId))
	if err != nil {
		return nil, err
	}
	obfuscate(b)
	return convert[GetBackupSettingsModel200JSONResponse](b)
}

// PostBackupSettingsModel creates backup settings from the defaults overlaid
// with the fields sent.
func (s *Server) PostBackupSettingsModel(ctx context.Context, _ PostBackupSettingsModelRequestObject) (PostBackupSettingsModelResponseObject, error) {
	b := qluster.NewBackupSettings()
	raw, err := withoutObfuscated(rawBody(ctx), postgres.SecretFields(&b))
	if err != nil {
		return nil, err
	}
	if err := overlay(&b, raw, nil, backupReadOnly...); err != nil {
		return nil, err
	}
	b.WhodunitID = actor(ctx)
	if err := checkBackupSettings(&b); err != nil {
		return nil, err
	}
	out, err := s.store.CreateBackupSettings(ctx, &b, actor(ctx))
	if err != nil {
		return nil, err
	}
	obfuscate(out)
	return convert[PostBackupSettingsModel200JSONResponse](out)
}

// PatchBackupSettingsModel changes the fields sent of backup settings, locked
// on the version_id sent. A secret sent back as read (obfuscated) is kept.
func (s *Server) PatchBackupSettingsModel(ctx context.Context, req PatchBackupSettingsModelRequestObject) (PatchBackupSettingsModelResponseObject, error) {
	patch, err := withoutObfuscated(rawBody(ctx), postgres.SecretFields(&qluster.BackupSettings{}))
	if err != nil {
		return nil, err
	}
	b, err := s.store.UpdateBackupSettings(ctx, int64(req.Body.Id), ptr(int64(req.Body.VersionId)), actor(ctx), func(b *qluster.BackupSettings) error {
		if err := overlay(b, patch, nil, backupReadOnly...); err != nil {
			return err
		}
		b.WhodunitID = actor(ctx)
		return checkBackupSettings(b)
	})
	if err != nil {
		return nil, err
	}
	obfuscate(b)
	return convert[PatchBackupSettingsModel200JSONResponse](b)
}

// checkBackupSettings validates backup settings about to be written, naming
// each bad field and how to fix it.
func checkBackupSettings(b *qluster.BackupSettings) error {
	v := &qluster.ValidationError{}
	field := func(name string) []string { return []string{"body", name} }
	need := func(name, val, why string) {
		if strings.TrimSpace(val) == "" {
			v.Add(field(name), "missing", "is required for %s backups: %s", b.BackupType, why)
		}
	}
	switch b.BackupType {
	case qluster.BackupTypeS3:
		need("backup_s3_bucket", b.BackupS3Bucket, "the bucket raw files are copied to")
	case qluster.BackupTypeMinio:
		need("backup_s3_bucket", b.BackupS3Bucket, "the bucket raw files are copied to")
		need("backup_s3_endpoint_url", b.BackupS3EndpointURL, "the URL of the MinIO server")
	case qluster.BackupTypeGs:
		need("backup_gs_bucket", b.BackupGSBucket, "the bucket raw files are copied to")
	case qluster.BackupTypeLocal:
	default:
		v.Add(field("backup_type"), "enum", "%q is not a backup type: use local, s3, minio or gs", b.BackupType)
	}
	if b.BackupS3DefaultBufferSize < 1 {
		v.Add(field("backup_s3_default_buffer_size"), "value_error", "must be at least 1 (bytes), got %d", b.BackupS3DefaultBufferSize)
	}
	if b.BackupS3EndpointURL != "" {
		if u, err := url.Parse(b.BackupS3EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.Add(field("backup_s3_endpoint_url"), "value_error", "%q is not an http(s) URL: write e.g. https://minio.example.com:9000", b.BackupS3EndpointURL)
		}
	}
	if b.BackupGPGPublicKey != "" {
		ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(b.BackupGPGPublicKey))
		if err != nil || len(ring) == 0 {
			v.Add(field("backup_gpg_public_key"), "value_error", "is not an armored OpenPGP public key: paste the whole block from -----BEGIN PGP PUBLIC KEY BLOCK----- to its END line")
		}
	}
	if b.BackupGPGPrivateKey != "" {
		checkPrivateKey(v, "backup_gpg_private_key", "backup_gpg_passphrase", b.BackupGPGPrivateKey, b.BackupGPGPassphrase)
	}
	return v.Err()
}
