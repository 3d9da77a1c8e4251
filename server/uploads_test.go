package server_test

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
)

// storedItem reads one stored item.
func (b *bundle) storedItem(id int) *client.StoredItem {
	b.t.Helper()
	res, err := b.admin.GetStoredItemWithResponse(b.ctx, id)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200
}

// storedItemIDs lists the ids of the stored items that pass the filters.
func (b *bundle) storedItemIDs(p client.GetStoredItemsParams) []int {
	b.t.Helper()
	res, err := b.admin.GetStoredItemsWithResponse(b.ctx, &p)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, res.StatusCode(), string(res.Body))
	ids := []int{}
	for _, it := range res.JSON200.Results {
		ids = append(ids, it.Id)
	}
	return ids
}

// TestDuplicateUploads: the same bytes under another name are recorded as a
// duplicate of the first file and not learned from twice, unless the
// dataset's settings say should_reprocess.
func TestDuplicateUploads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("dupes", client.ApplyAsap)

	first := b.upload(b.admin, src.Id, "monday.csv", messyB)
	require.Nil(t, first.DuplicateOfId)
	second := b.upload(b.admin, src.Id, "tuesday.csv", messyB)
	require.NotNil(t, second.DuplicateOfId, "the same bytes under another name are a duplicate")
	require.Equal(t, first.Id, *second.DuplicateOfId)
	require.Equal(t, *first.Signature, *second.Signature)
	require.Equal(t, []string{"tuesday.csv"}, *b.storedItem(first.Id).OtherNames)

	job := b.trainingDone(ds.Id)
	require.Equal(t, client.TrainingJobStateFinished, *job.State, *job.Msg)
	items, err := b.admin.GetTrainingDataItemsWithResponse(b.ctx, &client.GetTrainingDataItemsParams{DatasetId: &ds.Id})
	require.NoError(t, err)
	require.Len(t, items.JSON200.Results, 1, "the duplicate is not learned from")
	require.Equal(t, "monday.csv", *items.JSON200.Results[0].Name)

	// With should_reprocess, the same bytes are processed again.
	b.patchSettings(ds.Id, map[string]any{"should_reprocess": true})
	third := b.upload(b.admin, src.Id, "wednesday.csv", messyB)
	require.Nil(t, third.DuplicateOfId, "should_reprocess: not a duplicate")
	require.Nil(t, b.storedItem(third.Id).DuplicateOfId)
	require.Equal(t, []string{"tuesday.csv"}, *b.storedItem(first.Id).OtherNames)
}

// TestSignedUpload: a stored item is created first, its bytes PUT to the
// signed URL without a bearer token, then published, and training runs on it.
func TestSignedUpload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("signed", client.ApplyAsap)

	create := func(key string) *client.StoredItemUpload {
		t.Helper()
		res, err := b.admin.CreateStoredItemForUploadWithResponse(b.ctx, client.StoredItemCreateRequest{DataSourceModelId: src.Id, Key: key})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return res.JSON200
	}
	put := func(url string, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(b.ctx, http.MethodPut, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/octet-stream")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		got, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(got)
	}
	publish := func(id int) *client.PublishStoredItemForIngestionResponse {
		t.Helper()
		res, err := b.admin.PublishStoredItemForIngestionWithResponse(b.ctx, id)
		require.NoError(t, err)
		return res
	}
	del := func(id int) int {
		t.Helper()
		res, err := b.admin.DeleteStoredItemWithResponse(b.ctx, id)
		require.NoError(t, err)
		return res.StatusCode()
	}

	up := create("uploaded.csv")
	require.Equal(t, "PUT", *up.HttpMethod)
	require.True(t, strings.HasPrefix(*up.Url, b.url+"/api/uploads/"), *up.Url)
	it := b.storedItem(up.Id)
	require.True(t, *it.IsUploadedViaSignedUrl)
	require.Empty(t, *it.BackupKey)

	// Nothing is published before the bytes arrive.
	res := publish(up.Id)
	require.Equal(t, http.StatusConflict, res.StatusCode(), string(res.Body))

	// A token that is not the server's is refused.
	token := strings.TrimPrefix(*up.Url, b.url+"/api/uploads/")
	tampered := []byte(token)
	tampered[3] ^= 1 // 'A' <-> 'B' and the like: still base64url
	if tampered[3] == '-' || tampered[3] == '_' || tampered[3] == ',' || tampered[3] == '^' {
		tampered[3] = 'x'
	}
	status, body := put(b.url+"/api/uploads/"+string(tampered), messyA)
	require.Equal(t, http.StatusUnauthorized, status, body)
	status, body = put(b.url+"/api/uploads/not-a-token", messyA)
	require.Equal(t, http.StatusUnauthorized, status, body)
	require.Empty(t, *b.storedItem(up.Id).BackupKey, "a refused upload stores nothing")

	// The signed URL takes the bytes without a bearer token; the item is
	// signed once its uploader publishes it.
	status, body = put(*up.Url, messyA)
	require.Equal(t, http.StatusOK, status, body)
	it = b.storedItem(up.Id)
	require.NotEmpty(t, *it.BackupKey)
	require.Empty(t, *it.Signature, "not published yet")

	// Another file is uploaded but not published (yet).
	held := create("held.csv")
	status, body = put(*held.Url, "order_id,amount,order_date,paid,note\n8,$2.00,03/07/2024,no,held\n")
	require.Equal(t, http.StatusOK, status, body)

	res = publish(up.Id)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.NotEmpty(t, *b.storedItem(up.Id).Signature)
	status, body = put(*up.Url, messyC)
	require.Equal(t, http.StatusConflict, status, "a published item takes no new bytes: %s", body)
	job := b.trainingDone(ds.Id)
	require.Equal(t, client.TrainingJobStateFinished, *job.State, *job.Msg)
	require.NotNil(t, job.MigrationModelId)
	items, err := b.admin.GetTrainingDataItemsWithResponse(b.ctx, &client.GetTrainingDataItemsParams{DatasetId: &ds.Id})
	require.NoError(t, err)
	require.Len(t, items.JSON200.Results, 1)
	require.Equal(t, up.Id, *items.JSON200.Results[0].StoredItemId)
	require.Equal(t, "smallint", b.destColumns("sales", "signed")["order_id"])

	// The new table takes the published file, not the one still held.
	ingestionJobs := func(storedItemID int) int {
		t.Helper()
		res, err := b.admin.GetIngestionJobsWithResponse(b.ctx, &client.GetIngestionJobsParams{DatasetId: &ds.Id})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		n := 0
		for _, j := range res.JSON200.Results {
			if j.StoredItemId != nil && *j.StoredItemId == storedItemID {
				n++
			}
		}
		return n
	}
	b.eventually("the published file to be ingested", func() bool { return *b.storedItem(up.Id).IsIngested })
	require.Equal(t, 0, ingestionJobs(held.Id), "an unpublished upload is not ingested")
	require.False(t, *b.storedItem(held.Id).IsIngested)
	res = publish(held.Id)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	b.eventually("the held file to be ingested once published", func() bool { return *b.storedItem(held.Id).IsIngested })
	require.Equal(t, 1, ingestionJobs(held.Id))

	// Listing: by data source and by how the file came.
	never := create("never.csv")
	multipart := b.upload(b.admin, src.Id, "posted.csv", messyC)
	yes, no := true, false
	require.ElementsMatch(t, []int{up.Id, held.Id, never.Id, multipart.Id}, b.storedItemIDs(client.GetStoredItemsParams{DataSourceModelId: &src.Id}))
	require.ElementsMatch(t, []int{up.Id, held.Id, never.Id},
		b.storedItemIDs(client.GetStoredItemsParams{DataSourceModelId: &src.Id, IsUploadedViaSignedUrl: &yes}))
	require.ElementsMatch(t, []int{multipart.Id},
		b.storedItemIDs(client.GetStoredItemsParams{DataSourceModelId: &src.Id, IsUploadedViaSignedUrl: &no}))
	other := b.dataSource(ds.Id, "signed-other")
	require.Empty(t, b.storedItemIDs(client.GetStoredItemsParams{DataSourceModelId: &other.Id}))

	// An item never uploaded can be deleted; one that holds a file cannot.
	require.Equal(t, http.StatusOK, del(never.Id))
	got, err := b.admin.GetStoredItemWithResponse(b.ctx, never.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, got.StatusCode(), string(got.Body))
	require.Equal(t, http.StatusNotFound, del(never.Id))
	require.Equal(t, http.StatusConflict, del(up.Id))
	require.Equal(t, http.StatusConflict, del(held.Id))
	require.Equal(t, http.StatusConflict, del(multipart.Id))
	require.ElementsMatch(t, []int{up.Id, held.Id},
		b.storedItemIDs(client.GetStoredItemsParams{DataSourceModelId: &src.Id, IsUploadedViaSignedUrl: &yes}))
}

// gpgKeyPair generates a curve25519 OpenPGP key pair whose private half is
// protected by passphrase, both armored.
func gpgKeyPair(t *testing.T, passphrase string) (public, private string) {
	t.Helper()
	e, err := openpgp.NewEntity("Qluster Backups", "", "backups@qluster.invalid", &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519,
	})
	require.NoError(t, err)
	var pub, priv bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, e.Serialize(w))
	require.NoError(t, w.Close())
	require.NoError(t, e.EncryptPrivateKeys([]byte(passphrase), nil))
	w, err = armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, e.SerializePrivateWithoutSigning(w, nil))
	require.NoError(t, w.Close())
	return pub.String(), priv.String()
}

// backupBytes reads the raw bytes of a backup key from the local backup
// storage the harness gave the engine: a directory under root, the temp root
// of the test that called setup (filepath.Dir of its t.TempDir()).
func backupBytes(t *testing.T, root, key string) []byte {
	t.Helper()
	suffix := string(filepath.Separator) + filepath.Join("backups", filepath.FromSlash(key))
	var found []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, suffix) {
			found = append(found, p)
		}
		return err
	}))
	require.Len(t, found, 1, "backup %s under %s", key, root)
	raw, err := os.ReadFile(found[0])
	require.NoError(t, err)
	return raw
}

// TestEncryptedCompressedBackups: raw files are kept compressed and
// OpenPGP-encrypted as the dataset says, and training reads them back.
func TestEncryptedCompressedBackups(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const passphrase = "backup passphrase"
	public, private := gpgKeyPair(t, passphrase)
	bs, err := b.admin.PostBackupSettingsModelWithResponse(b.ctx, client.BackupSettingsPostRequest{BackupType: client.BackupTypeLocal,
		BackupGpgPublicKey: &public, BackupGpgPrivateKey: &private, BackupGpgPassphrase: ptr(passphrase)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, bs.StatusCode(), string(bs.Body))

	root := filepath.Dir(t.TempDir())

	for _, tc := range []struct {
		name        string
		compression client.CompressionType
		encrypt     bool
		suffix      string
	}{
		{"zipped_sealed", client.Zip, true, ".zip.gpg"},
		{"snappy_plain", client.SnappyStream, false, ".sz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := b.as(t)
			policy := client.ApplyAsap
			res, err := b.admin.PostDatasetWithResponse(b.ctx, client.DatasetPostRequest{Name: tc.name, DatabaseName: "qluster", SchemaName: "sales",
				TableName: tc.name, BackupSettingsId: bs.JSON200.Id, MigrationPolicy: &policy,
				EncryptRawDataDuringBackup: &tc.encrypt, CompressionTypeOfBackupData: &tc.compression})
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			ds := res.JSON200
			src := b.dataSource(ds.Id, tc.name+"-feed")

			it := b.upload(b.admin, src.Id, "orders.csv", messyA)
			require.True(t, strings.HasSuffix(*it.BackupKey, "orders.csv"+tc.suffix), *it.BackupKey)
			require.Equal(t, tc.encrypt, *it.IsBackupEncrypted)
			require.Equal(t, tc.compression, *it.CompressionTypeOfBackupData)
			raw := backupBytes(t, root, *it.BackupKey)
			require.NotEqual(t, []byte(messyA), raw)
			if tc.encrypt {
				require.NotContains(t, string(raw), "Order ID", "the backup is encrypted")
				require.Equal(t, byte(0x80), raw[0]&0x80, "an OpenPGP packet")
			} else {
				require.True(t, bytes.HasPrefix(raw, []byte("\xff\x06\x00\x00sNaPpY")), "a snappy stream: %q", raw[:min(len(raw), 16)])
			}

			job := b.trainingDone(ds.Id)
			require.Equal(t, client.TrainingJobStateFinished, *job.State, "%s: %s", *job.Msg, b.fatalErrors())
			require.Equal(t, "date", b.destColumns("sales", tc.name)["order_date"], tc.name)
		})
	}
}

// TestPatchTrainingJob: a user may ignore a finished job or requeue it, not
// set any state it likes.
func TestPatchTrainingJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("patched", client.ApplyAsap)
	b.upload(b.admin, src.Id, "a.csv", messyA)
	job := b.trainingDone(ds.Id)
	require.Equal(t, client.TrainingJobStateFinished, *job.State, *job.Msg)

	patch := func(state client.TrainingJobState) *client.PatchTrainingJobResponse {
		t.Helper()
		res, err := b.admin.PatchTrainingJobWithResponse(b.ctx, job.Id, client.TrainingJobPatchRequest{State: state})
		require.NoError(t, err)
		return res
	}
	res := patch(client.TrainingJobStateRunning)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	res = patch(client.TrainingJobStateKilled)
	require.Equal(t, http.StatusConflict, res.StatusCode(), "a finished job cannot be killed: %s", res.Body)
	res = patch(client.TrainingJobStateIgnore)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, client.TrainingJobStateIgnore, *res.JSON200.State)
	nf, err := b.admin.PatchTrainingJobWithResponse(b.ctx, job.Id+1000, client.TrainingJobPatchRequest{State: client.TrainingJobStateIgnore})
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, nf.StatusCode(), string(nf.Body))

	// Requeued, the job runs again.
	before := time.Now()
	res = patch(client.TrainingJobStateRequeued)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, job.Id, res.JSON200.Id)
	b.eventually("the requeued job to run again", func() bool {
		j, err := b.admin.GetTrainingJobWithResponse(b.ctx, job.Id)
		require.NoError(t, err)
		return *j.JSON200.State == client.TrainingJobStateFinished && j.JSON200.StartedAt.After(before)
	})
	again := b.trainingDone(ds.Id)
	require.Equal(t, job.Id, again.Id)
	require.Len(t, *again.AnalysisTasks, 1)
	require.Contains(t, *again.Msg, "already fits", "the table made by the first run fits")
}

// TestKillRunningTrainingJob: a job killed while it analyses its last file
// stays killed and proposes no migration.
func TestKillRunningTrainingJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("killed", client.ApplyAsap)

	// Hold the job inside its analysis: recording the analysis task waits
	// for this lock (reads go on).
	tx, err := b.store.DB().BeginTxx(b.ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck
	_, err = tx.ExecContext(b.ctx, `LOCK TABLE analysis_tasks IN SHARE MODE`)
	require.NoError(t, err)
	b.upload(b.admin, src.Id, "a.csv", messyA)
	b.eventually("the analysis to wait on the lock", func() bool {
		var n int
		require.NoError(t, b.store.DB().GetContext(b.ctx, &n, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO analysis_tasks%'`))
		return n > 0
	})
	jobs, err := b.admin.GetTrainingJobsWithResponse(b.ctx, &client.GetTrainingJobsParams{DatasetId: &ds.Id})
	require.NoError(t, err)
	require.Len(t, jobs.JSON200.Results, 1)
	job := jobs.JSON200.Results[0]
	require.Equal(t, client.TrainingJobStateRunning, *job.State)
	res, err := b.admin.PatchTrainingJobWithResponse(b.ctx, job.Id, client.TrainingJobPatchRequest{State: client.TrainingJobStateKilled})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.NoError(t, tx.Rollback())

	q, done := "training", true
	b.eventually("the training message to be done", func() bool {
		msgs, err := b.admin.GetQueueMsgsWithResponse(b.ctx, &client.GetQueueMsgsParams{QName: &q})
		require.NoError(t, err)
		for _, m := range msgs.JSON200.Results {
			if *m.Acknowledged != done {
				return false
			}
		}
		return len(msgs.JSON200.Results) > 0
	})
	j, err := b.admin.GetTrainingJobWithResponse(b.ctx, job.Id)
	require.NoError(t, err)
	require.Equal(t, client.TrainingJobStateKilled, *j.JSON200.State, *j.JSON200.Msg)
	require.Nil(t, j.JSON200.MigrationModelId)
	migs, err := b.admin.GetMigrationsWithResponse(b.ctx, &client.GetMigrationsParams{SettingsModelId: &ds.SettingsModel.Id})
	require.NoError(t, err)
	require.Empty(t, migs.JSON200.Results, "a killed job proposes nothing")
	require.Empty(t, b.destColumns("sales", "killed"))
}
