package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/internal/testservers"
	"github.com/openqluster/qluster-go/storage/blob/s3blob"
)

// TestMinIOBackupsAndSignedUploads: a dataset backs its files up to an
// S3-compatible server (versitygw on loopback): an upload lands there,
// training reads it back, and POST /api/stored-items answers a real
// pre-signed PUT URL of the bucket that a client uploads to directly.
func TestMinIOBackupsAndSignedUploads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	endpoint, access, secret := testservers.S3(t)
	bucket, err := s3blob.Open(context.Background(), "qluster-backups", &s3blob.Options{Endpoint: endpoint, AccessKey: access, SecretKey: secret, Region: "us-east-1"})
	require.NoError(t, err)
	_, err = bucket.Client().CreateBucket(b.ctx, &s3.CreateBucketInput{Bucket: aws.String("qluster-backups")})
	require.NoError(t, err)

	bs, err := b.admin.PostBackupSettingsModelWithResponse(b.ctx, client.BackupSettingsPostRequest{BackupType: client.BackupTypeMinio,
		BackupS3Bucket: ptr("qluster-backups"), BackupS3EndpointUrl: &endpoint, BackupS3AccessKey: &access, BackupS3SecretKey: &secret,
		BackupS3RegionName: ptr("us-east-1")})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, bs.StatusCode(), string(bs.Body))
	res, err := b.admin.PostDatasetWithBodyWithResponse(b.ctx, "application/json", strings.NewReader(fmt.Sprintf(
		`{"name":"s3-orders","database_name":"qluster","schema_name":"s3","table_name":"orders","backup_settings_id":%d}`, bs.JSON200.Id)))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	ds := res.JSON200
	src := b.dataSource(ds.Id, "s3-feed")

	it := b.upload(b.admin, src.Id, "a.csv", "id,qty\n1,5\n2,6\n")
	obj, err := bucket.Get(b.ctx, *it.BackupKey)
	require.NoError(t, err, "the backup is in the bucket under %s", *it.BackupKey)
	obj.Close()

	// The signed flow: a pre-signed PUT of the bucket itself.
	su, err := b.admin.CreateStoredItemForUploadWithResponse(b.ctx, client.StoredItemCreateRequest{DataSourceModelId: src.Id, Key: "b.csv"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, su.StatusCode(), string(su.Body))
	require.True(t, strings.HasPrefix(*su.JSON200.Url, endpoint), *su.JSON200.Url)
	req, err := http.NewRequestWithContext(b.ctx, *su.JSON200.HttpMethod, *su.JSON200.Url, strings.NewReader("id,qty\n3,7\n"))
	require.NoError(t, err)
	put, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	msg, _ := io.ReadAll(put.Body)
	put.Body.Close()
	require.Equal(t, http.StatusOK, put.StatusCode, string(msg))
	pub, err := b.admin.PublishStoredItemForIngestionWithResponse(b.ctx, su.JSON200.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, pub.StatusCode(), string(pub.Body))

	job := b.trainingDone(ds.Id)
	require.Equal(t, client.TrainingJobStateFinished, *job.State, *job.Msg)
	b.ingested(ds.Id, 2)
	require.Equal(t, 3, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
}
