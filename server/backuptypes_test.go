package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/internal/testservers"
	"github.com/openqluster/qluster-go/server"
	"github.com/openqluster/qluster-go/storage/blob/fileblob"
	"github.com/openqluster/qluster-go/storage/blob/gcsblob"
)

// TestBackupTypes: for every backup type, against a real storage server on
// loopback (versitygw for s3 and minio, fake-gcs-server for gs, the
// server's data directory for local), a dataset that compresses and
// encrypts its backups takes a file through POST /api/stored-items (a
// pre-signed PUT of the bucket itself, or the server's own signed URL),
// publish-for-ingestion, training and ingestion, and another through the
// multipart upload; each lands in the bucket compressed and encrypted and
// opens back to the bytes sent; and a stored item whose upload never
// happened, or was never published, is deleted along with its object.
func TestBackupTypes(t *testing.T) {
	t.Parallel()
	gcsEndpoint := testservers.GCS(t)
	gcsKey, _ := testservers.GCSServiceAccount(t, true)
	var dataDir string
	b := setupWith(t, func(o *server.EngineOptions) {
		o.GCSEndpoint = gcsEndpoint
		dataDir = o.DataDir
	})
	const passphrase = "backup passphrase"
	public, private := gpgKeyPair(t, passphrase)

	for _, tc := range []struct {
		name        string
		compression client.CompressionType
		// suffix is what the compression and the encryption add to a key.
		suffix string
		store  func(t *testing.T) backupStore
	}{
		{"local", client.Zip, ".zip.gpg", func(t *testing.T) backupStore {
			bucket, err := fileblob.Open(filepath.Join(dataDir, "backups"), &fileblob.Options{CreateDir: true})
			require.NoError(t, err)
			t.Cleanup(func() { bucket.Close() })
			return backupStore{settings: client.BackupSettingsPostRequest{BackupType: client.BackupTypeLocal},
				bucket: bucket, signedPrefix: b.url + "/api/uploads/"}
		}},
		{"s3", client.Gzip, ".gz.gpg", func(t *testing.T) backupStore {
			return s3Store(t, client.BackupTypeS3, "qluster-s3")
		}},
		{"minio", client.SnappyStream, ".sz.gpg", func(t *testing.T) backupStore {
			return s3Store(t, client.BackupTypeMinio, "qluster-minio")
		}},
		{"gs", client.Gzip, ".gz.gpg", func(t *testing.T) backupStore {
			const name = "qluster-gs"
			bucket, err := gcsblob.Open(t.Context(), name, &gcsblob.Options{Endpoint: gcsEndpoint, ServiceAccountKey: gcsKey})
			require.NoError(t, err)
			t.Cleanup(func() { bucket.Close() })
			require.NoError(t, bucket.Client().Bucket(name).Create(t.Context(), "qluster-test", nil))
			return backupStore{settings: client.BackupSettingsPostRequest{BackupType: client.BackupTypeGs,
				BackupGsBucket: ptr(name), BackupGsServiceAccountKey: &gcsKey}, bucket: bucket, signedPrefix: gcsEndpoint + "/" + name + "/"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := b.as(t)
			store := tc.store(t)
			settings := store.settings
			settings.BackupGpgPublicKey, settings.BackupGpgPrivateKey, settings.BackupGpgPassphrase = &public, &private, ptr(passphrase)
			bs, err := b.admin.PostBackupSettingsModelWithResponse(b.ctx, settings)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, bs.StatusCode(), string(bs.Body))
			require.Equal(t, settings.BackupType, *bs.JSON200.BackupType)
			policy, encrypt := client.ApplyAsap, true
			res, err := b.admin.PostDatasetWithResponse(b.ctx, client.DatasetPostRequest{Name: "backup-" + tc.name, DatabaseName: "qluster",
				SchemaName: "backups", TableName: tc.name, BackupSettingsId: bs.JSON200.Id, MigrationPolicy: &policy,
				EncryptRawDataDuringBackup: &encrypt, CompressionTypeOfBackupData: &tc.compression})
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			ds := res.JSON200
			src := b.dataSource(ds.Id, tc.name+"-feed")

			create := func(key string) *client.StoredItemUpload {
				t.Helper()
				res, err := b.admin.CreateStoredItemForUploadWithResponse(b.ctx, client.StoredItemCreateRequest{DataSourceModelId: src.Id, Key: key})
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
				require.Equal(t, http.MethodPut, *res.JSON200.HttpMethod)
				require.True(t, strings.HasPrefix(*res.JSON200.Url, store.signedPrefix), "%s is not under %s", *res.JSON200.Url, store.signedPrefix)
				return res.JSON200
			}
			// put sends body to a signed URL as any HTTP client would: no
			// bearer token, only the headers the URL asks for.
			put := func(up *client.StoredItemUpload, body string) {
				t.Helper()
				req, err := http.NewRequestWithContext(b.ctx, *up.HttpMethod, *up.Url, strings.NewReader(body))
				require.NoError(t, err)
				if up.Fields != nil {
					for k, v := range *up.Fields {
						req.Header.Set(k, fmt.Sprint(v))
					}
				}
				res, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				defer res.Body.Close()
				msg, err := io.ReadAll(res.Body)
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, res.StatusCode, "PUT %s: %s", *up.Url, msg)
			}
			requireSealed := func(it *client.StoredItem, want string) {
				t.Helper()
				require.True(t, strings.HasSuffix(*it.BackupKey, tc.suffix), *it.BackupKey)
				require.True(t, *it.IsBackupEncrypted)
				require.Equal(t, tc.compression, *it.CompressionTypeOfBackupData)
				raw := objectBytes(t, store.bucket, *it.BackupKey)
				require.NotContains(t, string(raw), "qty", "the object in the bucket is not the plain file")
				require.Equal(t, want, string(sealedBackup(t, raw, tc.compression, private, passphrase)))
			}

			// A pre-signed upload, published: training and ingestion read it.
			const signed = "id,qty,day\n1,5,2024-03-04\n2,6,2024-03-05\n3,7,2024-03-06\n"
			up := create("signed.csv")
			if settings.BackupType != client.BackupTypeLocal {
				u, err := url.Parse(*up.Url)
				require.NoError(t, err)
				require.NotEmpty(t, u.Query().Get("X-Amz-Signature")+u.Query().Get("X-Goog-Signature"), "a pre-signed URL carries its signature: %s", u)
			}
			put(up, signed)
			rawKey := *b.storedItem(up.Id).BackupKey
			if settings.BackupType != client.BackupTypeLocal {
				// The URL is the object's own, and the bucket holds the
				// bytes as sent until the server takes over.
				require.True(t, strings.HasPrefix(*up.Url, store.signedPrefix+rawKey+"?"), *up.Url)
				require.Equal(t, signed, string(objectBytes(t, store.bucket, rawKey)))
			}
			pub, err := b.admin.PublishStoredItemForIngestionWithResponse(b.ctx, up.Id)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, pub.StatusCode(), string(pub.Body))
			job := b.trainingDone(ds.Id)
			require.Equal(t, client.TrainingJobStateFinished, *job.State, "%s: %s", *job.Msg, b.fatalErrors())
			require.Equal(t, "date", b.destColumns("backups", tc.name)["day"])
			for _, j := range b.ingested(ds.Id, 1) {
				require.Equal(t, client.IngestionJobStateFinished, *j.State, *j.Msg)
			}
			require.Equal(t, 3, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
			it := b.storedItem(up.Id)
			require.True(t, *it.IsUploadedViaSignedUrl)
			requireSealed(it, signed)
			if *it.BackupKey != rawKey {
				requireNoObject(t, store.bucket, rawKey)
			}

			// The multipart upload: into the table, sealed the same way.
			const posted = "id,qty,day\n4,8,2024-03-07\n5,9,2024-03-08\n"
			multi := b.upload(b.admin, src.Id, "posted.csv", posted)
			requireSealed(multi, posted)
			b.eventually("the posted file to be ingested", func() bool { return *b.storedItem(multi.Id).IsIngested })
			for _, j := range b.ingested(ds.Id, 2) {
				require.Equal(t, client.IngestionJobStateFinished, *j.State, *j.Msg)
			}
			require.Equal(t, 5, *b.data(ds.Id, client.GetDataParams{}).TotalRows)

			// Uploads that never completed: one never sent, one sent but
			// never published. Both are deleted, the second's object with it.
			never := create("never.csv")
			held := create("held.csv")
			put(held, "id,qty,day\n6,10,2024-03-09\n")
			heldKey := *b.storedItem(held.Id).BackupKey
			require.NotEmpty(t, heldKey)
			objectBytes(t, store.bucket, heldKey)
			for _, id := range []int{never.Id, held.Id} {
				del, err := b.admin.DeleteStoredItemWithResponse(b.ctx, id)
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, del.StatusCode(), string(del.Body))
				got, err := b.admin.GetStoredItemWithResponse(b.ctx, id)
				require.NoError(t, err)
				require.Equal(t, http.StatusNotFound, got.StatusCode(), string(got.Body))
				del, err = b.admin.DeleteStoredItemWithResponse(b.ctx, id)
				require.NoError(t, err)
				require.Equal(t, http.StatusNotFound, del.StatusCode(), string(del.Body))
			}
			requireNoObject(t, store.bucket, heldKey)
			// A published file stays, and so does its backup.
			for _, id := range []int{up.Id, multi.Id} {
				del, err := b.admin.DeleteStoredItemWithResponse(b.ctx, id)
				require.NoError(t, err)
				require.Equal(t, http.StatusConflict, del.StatusCode(), string(del.Body))
			}
			requireSealed(b.storedItem(up.Id), signed)
			require.Equal(t, 5, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
		})
	}
}
