package server_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/golang/snappy"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/internal/testservers"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob/s3blob"
)

// backupStore is where a test keeps its backups: the settings that point
// the server at it, a handle to read its objects directly, and where its
// pre-signed upload URLs lead.
type backupStore struct {
	settings client.BackupSettingsPostRequest
	bucket   qluster.Backup
	// signedPrefix is how every upload URL the server hands out begins: the
	// bucket on the storage server itself, or the server's own
	// /api/uploads/ for local storage.
	signedPrefix string
}

// s3Store starts versitygw, creates a bucket on it and returns backup
// settings of type typ (s3 or minio) pointing at it.
func s3Store(t *testing.T, typ client.BackupType, bucket string) backupStore {
	t.Helper()
	endpoint, access, secret := testservers.S3(t)
	b, err := s3blob.Open(t.Context(), bucket, &s3blob.Options{Endpoint: endpoint, AccessKey: access, SecretKey: secret, Region: "us-east-1"})
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	_, err = b.Client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	return backupStore{
		settings: client.BackupSettingsPostRequest{BackupType: typ, BackupS3Bucket: &bucket, BackupS3EndpointUrl: &endpoint,
			BackupS3AccessKey: &access, BackupS3SecretKey: &secret, BackupS3RegionName: ptr("us-east-1")},
		bucket: b, signedPrefix: endpoint + "/" + bucket + "/",
	}
}

// sealedBackup undoes what a dataset that compresses with compression and
// encrypts does to a file, with the OpenPGP library and the decompressors
// themselves rather than the codec that wrote it: it checks raw is an
// encrypted OpenPGP message that the private key (unlocked by passphrase)
// opens and whose integrity holds, that its plaintext is in the compression's
// format, and returns what that decompresses to.
func sealedBackup(t *testing.T, raw []byte, compression client.CompressionType, private, passphrase string) []byte {
	t.Helper()
	require.NotEmpty(t, raw)
	require.Equal(t, byte(0x80), raw[0]&0x80, "an OpenPGP packet: %q", raw[:min(len(raw), 16)])
	keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(private))
	require.NoError(t, err)
	for _, e := range keys {
		require.NoError(t, e.DecryptPrivateKeys([]byte(passphrase)))
	}
	md, err := openpgp.ReadMessage(bytes.NewReader(raw), keys, nil, nil)
	require.NoError(t, err)
	require.True(t, md.IsEncrypted, "the backup is encrypted")
	packed, err := io.ReadAll(md.UnverifiedBody) // the integrity check fails the read at the end
	require.NoError(t, err)
	var plain io.Reader
	switch compression {
	case client.Gzip:
		require.True(t, bytes.HasPrefix(packed, []byte{0x1f, 0x8b}), "gzip: %q", packed[:min(len(packed), 16)])
		zr, err := gzip.NewReader(bytes.NewReader(packed))
		require.NoError(t, err)
		plain = zr
	case client.Zip:
		require.True(t, bytes.HasPrefix(packed, []byte("PK\x03\x04")), "zip: %q", packed[:min(len(packed), 16)])
		zr, err := zip.NewReader(bytes.NewReader(packed), int64(len(packed)))
		require.NoError(t, err)
		require.Len(t, zr.File, 1, "one member")
		f, err := zr.File[0].Open()
		require.NoError(t, err)
		defer f.Close()
		plain = f
	case client.SnappyStream:
		require.True(t, bytes.HasPrefix(packed, []byte("\xff\x06\x00\x00sNaPpY")), "snappy stream: %q", packed[:min(len(packed), 16)])
		plain = snappy.NewReader(bytes.NewReader(packed))
	default:
		t.Fatalf("no compression %q", compression)
	}
	got, err := io.ReadAll(plain)
	require.NoError(t, err)
	return got
}

// objectBytes reads an object of a backup bucket whole.
func objectBytes(t *testing.T, bucket qluster.Backup, key string) []byte {
	t.Helper()
	rc, err := bucket.Get(t.Context(), key)
	require.NoError(t, err, "object %s", key)
	defer rc.Close()
	raw, err := io.ReadAll(rc)
	require.NoError(t, err)
	return raw
}

// requireNoObject checks that a backup bucket has no object at key.
func requireNoObject(t *testing.T, bucket qluster.Backup, key string) {
	t.Helper()
	rc, err := bucket.Get(t.Context(), key)
	if err == nil {
		rc.Close()
	}
	require.ErrorIs(t, err, qluster.ErrNotFound, "object %s", key)
}

// TestSignedUploadSealedOnPublish: a client PUTs a file to a pre-signed URL
// of an S3 bucket (versitygw) as it is; publishing it compresses and
// encrypts it as the dataset says, under the key that says so, and removes
// the plain object, and the file reads back whole. An item whose bytes were
// PUT but never published is deleted with its object.
func TestSignedUploadSealedOnPublish(t *testing.T) {
	t.Parallel()
	b := setup(t)
	store := s3Store(t, client.BackupTypeMinio, "qluster-sealed")
	const passphrase = "sealed passphrase"
	public, private := gpgKeyPair(t, passphrase)
	settings := store.settings
	settings.BackupGpgPublicKey, settings.BackupGpgPrivateKey, settings.BackupGpgPassphrase = &public, &private, ptr(passphrase)
	bs, err := b.admin.PostBackupSettingsModelWithResponse(b.ctx, settings)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, bs.StatusCode(), string(bs.Body))
	encrypt := true
	res, err := b.admin.PostDatasetWithResponse(b.ctx, client.DatasetPostRequest{Name: "sealed", DatabaseName: "qluster",
		SchemaName: "s3", TableName: "sealed", BackupSettingsId: bs.JSON200.Id, EncryptRawDataDuringBackup: &encrypt})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, client.Gzip, *res.JSON200.CompressionTypeOfBackupData, "the default")
	src := b.dataSource(res.JSON200.Id, "sealed-feed")
	signedPut := func(key, body string) (id int, rawKey string) {
		t.Helper()
		up, err := b.admin.CreateStoredItemForUploadWithResponse(b.ctx, client.StoredItemCreateRequest{DataSourceModelId: src.Id, Key: key})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, up.StatusCode(), string(up.Body))
		rawKey = *b.storedItem(up.JSON200.Id).BackupKey
		require.True(t, strings.HasPrefix(*up.JSON200.Url, store.signedPrefix+rawKey+"?"), *up.JSON200.Url)
		req, err := http.NewRequestWithContext(b.ctx, *up.JSON200.HttpMethod, *up.JSON200.Url, strings.NewReader(body))
		require.NoError(t, err)
		put, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		msg, _ := io.ReadAll(put.Body)
		put.Body.Close()
		require.Equal(t, http.StatusOK, put.StatusCode, string(msg))
		require.Equal(t, body, string(objectBytes(t, store.bucket, rawKey)), "the bucket holds the bytes as sent")
		return up.JSON200.Id, rawKey
	}

	const content = "id,qty\n1,5\n2,6\n"
	id, rawKey := signedPut("orders.csv", content)
	for range 2 { // publishing twice seals once
		pub, err := b.admin.PublishStoredItemForIngestionWithResponse(b.ctx, id)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, pub.StatusCode(), string(pub.Body))
		it := b.storedItem(id)
		require.Equal(t, rawKey+".gz.gpg", *it.BackupKey)
		require.Equal(t, client.Gzip, *it.CompressionTypeOfBackupData)
		require.True(t, *it.IsBackupEncrypted)
		sum := sha256.Sum256([]byte(content))
		require.Equal(t, hex.EncodeToString(sum[:]), *it.Signature, "signed over the original bytes")
		require.Equal(t, content, string(sealedBackup(t, objectBytes(t, store.bucket, *it.BackupKey), client.Gzip, private, passphrase)))
		requireNoObject(t, store.bucket, rawKey)
	}
	dl, err := b.admin.DownloadStoredItemWithResponse(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, dl.StatusCode(), string(dl.Body))
	require.Equal(t, content, string(dl.Body))
	job := b.trainingDone(res.JSON200.Id)
	require.Equal(t, client.TrainingJobStateFinished, *job.State, *job.Msg)

	heldID, heldKey := signedPut("held.csv", "id,qty\n3,7\n")
	del, err := b.admin.DeleteStoredItemWithResponse(b.ctx, heldID)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, del.StatusCode(), string(del.Body))
	requireNoObject(t, store.bucket, heldKey)
	got, err := b.admin.GetStoredItemWithResponse(b.ctx, heldID)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, got.StatusCode(), string(got.Body))
}
