package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/internal/testservers"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
	"github.com/openqluster/qluster-go/storage/blob/gcsblob"
	"github.com/openqluster/qluster-go/storage/blob/s3blob"
)

// sourceKit is a real server of one source type, started on loopback for a
// test, reached by Qluster through proxy (which can cut a download
// part-way), with what the test needs to place files there and check them.
type sourceKit struct {
	// fields are the data source's connection fields, good credentials.
	fields map[string]any
	// badCredentials are fields that the server refuses.
	badCredentials map[string]any
	// missing are fields naming a bucket or folder that is not there, and
	// missingAlert the alert that raises.
	missing      map[string]any
	missingAlert client.AlertType
	// engine points the engine at the server where the data source cannot.
	engine func(*server.EngineOptions)
	put    func(key string, content []byte)
	exists func(key string) bool
	proxy  *testservers.Proxy
	// resumes is set when the source's client resumes a cut download by
	// itself (the Cloud Storage client does): the take then succeeds
	// without an alert.
	resumes bool
}

// sourceKits start one server of each source type that polls.
var sourceKits = map[client.DataSourceType]func(t *testing.T) *sourceKit{
	client.DataSourceTypeSftp:  sftpKit,
	client.DataSourceTypeS3:    func(t *testing.T) *sourceKit { return s3Kit(t, "s3") },
	client.DataSourceTypeMinio: func(t *testing.T) *sourceKit { return s3Kit(t, "minio") },
	client.DataSourceTypeGs:    gcsKit,
	client.DataSourceTypeDropbox: func(t *testing.T) *sourceKit {
		p := testservers.NewProxy(t, "")
		d := testservers.DropboxBehind(t, p)
		return &sourceKit{
			fields:         map[string]any{"dropbox_access_token": d.Token(), "dropbox_folder": "/In"},
			badCredentials: map[string]any{"dropbox_access_token": "revoked-token"},
			missing:        map[string]any{"dropbox_folder": "/Gone"},
			missingAlert:   client.AlertTypePathNotFound,
			engine: func(o *server.EngineOptions) {
				o.DropboxBaseURL, o.DropboxContentURL = d.BaseURL(), d.ContentURL()
			},
			put:    func(key string, content []byte) { d.Put("/In/"+key, string(content)) },
			exists: func(key string) bool { return d.Exists("/In/" + key) },
			proxy:  p,
		}
	},
}

func sftpKit(t *testing.T) *sourceKit {
	addr, user, password, _, root := testservers.SFTP(t)
	p := testservers.NewProxy(t, addr)
	host, ps, err := net.SplitHostPort(p.Addr())
	require.NoError(t, err)
	port, err := strconv.Atoi(ps)
	require.NoError(t, err)
	dir := filepath.Join(root, "in")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return &sourceKit{
		fields: map[string]any{"sftp_host": host, "sftp_port": port, "sftp_user": user, "sftp_password": password,
			"sftp_folder": "/in"},
		badCredentials: map[string]any{"sftp_password": "wrong"},
		missing:        map[string]any{"sftp_folder": "/gone"},
		missingAlert:   client.AlertTypePathNotFound,
		put: func(key string, content []byte) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, key), content, 0o644))
		},
		exists: func(key string) bool {
			_, err := os.Stat(filepath.Join(dir, key))
			return err == nil
		},
		proxy: p,
	}
}

func s3Kit(t *testing.T, typ string) *sourceKit {
	endpoint, access, secret := testservers.S3(t)
	bucket, err := s3blob.Open(t.Context(), "incoming", &s3blob.Options{Endpoint: endpoint, AccessKey: access, SecretKey: secret, Region: "us-east-1"})
	require.NoError(t, err)
	t.Cleanup(func() { bucket.Close() })
	_, err = bucket.Client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("incoming")})
	require.NoError(t, err)
	p := testservers.NewProxy(t, strings.TrimPrefix(endpoint, "http://"))
	return &sourceKit{
		fields: map[string]any{"s3_endpoint_url": "http://" + p.Addr(), "s3_access_key": access, "s3_secret_key": secret,
			"s3_bucket": "incoming", "s3_prefix": "in/", "s3_region_name": "us-east-1"},
		badCredentials: map[string]any{"s3_secret_key": "wrong" + typ},
		missing:        map[string]any{"s3_bucket": "gone"},
		missingAlert:   client.AlertTypeBucketNotFound,
		put: func(key string, content []byte) {
			_, err := bucket.Put(context.Background(), "in/"+key, bytes.NewReader(content))
			require.NoError(t, err)
		},
		exists: func(key string) bool { return blobExists(t, bucket.Get, "in/"+key) },
		proxy:  p,
	}
}

func gcsKit(t *testing.T) *sourceKit {
	p := testservers.NewProxy(t, "")
	endpoint := testservers.GCSBehind(t, p)
	key, _ := testservers.GCSServiceAccount(t, true)
	refused, _ := testservers.GCSServiceAccount(t, false)
	bucket, err := gcsblob.Open(t.Context(), "incoming", &gcsblob.Options{Endpoint: endpoint})
	require.NoError(t, err)
	t.Cleanup(func() { bucket.Close() })
	require.NoError(t, bucket.Client().Bucket("incoming").Create(t.Context(), "qluster-test", nil))
	return &sourceKit{
		fields:         map[string]any{"gs_service_account_key": key, "gs_bucket": "incoming", "gs_prefix": "in/"},
		badCredentials: map[string]any{"gs_service_account_key": refused},
		missing:        map[string]any{"gs_bucket": "gone"},
		missingAlert:   client.AlertTypeBucketNotFound,
		engine:         func(o *server.EngineOptions) { o.GCSEndpoint = endpoint },
		put: func(key string, content []byte) {
			_, err := bucket.Put(context.Background(), "in/"+key, bytes.NewReader(content))
			require.NoError(t, err)
		},
		exists:  func(key string) bool { return blobExists(t, bucket.Get, "in/"+key) },
		proxy:   p,
		resumes: true,
	}
}

// blobExists reports whether get finds key.
func blobExists(t *testing.T, get func(ctx context.Context, key string) (io.ReadCloser, error), key string) bool {
	t.Helper()
	rc, err := get(context.Background(), key)
	if err == nil {
		rc.Close()
		return true
	}
	require.ErrorIs(t, err, qluster.ErrNotFound)
	return false
}

// TestSensorTakesFilesFromEverySource: for each source type that polls, a
// real server on loopback holds files; run-sensor-job takes the ones that
// match the pattern once (archives expanded to the members that match
// archive_pattern, an OpenPGP-encrypted file decrypted with the data
// source's key), deletes them after backup, loads their rows; a download
// cut part-way raises connection_issue and is taken again whole on the
// retry, without a duplicate; a new file is taken once; bad credentials
// raise access_denied on the data source.
func TestSensorTakesFilesFromEverySource(t *testing.T) {
	t.Parallel()
	const passphrase = "source passphrase"
	public, private := gpgKeyPair(t, passphrase)
	types := make([]client.DataSourceType, 0, len(sourceKits))
	for typ := range sourceKits {
		types = append(types, typ)
	}
	slices.Sort(types)
	for _, typ := range types {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			kit := sourceKits[typ](t)
			b := setupWith(t, kit.engine)
			ds, _ := b.trainedDataset("polled-"+string(typ), client.ApplyAsap)

			fields := map[string]any{"name": "feed", "settings_model_id": ds.SettingsModel.Id, "dataset_id": ds.Id,
				"data_source_type": typ, "state": "active", "pattern": "orders-*", "archive_pattern": "*.csv",
				"delete_source_file_after_backup": true, "gpg_private_key": private, "gpg_passphrase": passphrase,
				"connection_timeout": 10}
			for k, v := range kit.fields {
				fields[k] = v
			}
			res, err := b.admin.PostDataSourceModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(fields))
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			src := res.JSON200

			// The large file is cut once, part-way.
			var large strings.Builder
			large.WriteString("id,qty\n")
			const largeRows = 20000
			for i := range largeRows {
				fmt.Fprintf(&large, "%d,%d\n", 1000+i, i%97)
			}
			kit.put("orders-1.csv", []byte("id,qty\n1,5\n2,6\n3,7\n"))
			kit.put("orders-2.csv", []byte(large.String()))
			kit.put("orders-q1.zip", zipOf(t, map[string]string{"jan.csv": "id,qty\n10,1\n11,2\n", "feb.csv": "id,qty\n12,3\n", "readme.txt": "hello"}))
			kit.put("orders-3.csv.gpg", encryptTo(t, public, "id,qty\n20,4\n21,5\n"))
			kit.put("notes.txt", []byte("not data"))
			kit.proxy.CutNextAfter(100_000)

			poll := func() {
				r, err := b.admin.RunSensorJobNowWithResponse(b.ctx, src.Id)
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, r.StatusCode(), string(r.Body))
			}
			topKeys := func() []string { return b.takenKeys(src.Id) }
			poll()
			if !kit.resumes {
				b.eventually("a connection_issue alert for the cut download", func() bool {
					return b.sourceAlertEver(src.Id, client.AlertTypeConnectionIssue)
				})
			}
			// The poll is retried with backoff and takes the rest, the cut file whole.
			want := []string{"orders-1.csv", "orders-2.csv", "orders-3.csv.gpg", "orders-q1.zip"}
			b.eventually("every matching file taken", func() bool { return slices.Equal(want, topKeys()) })
			require.Equal(t, 1, kit.proxy.Cuts(), "the download was cut once")
			b.trainingDone(ds.Id)
			b.ingested(ds.Id, 5) // orders-1, orders-2, jan, feb, orders-3
			require.Equal(t, 3+largeRows+2+1+2, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
			for _, k := range want {
				require.False(t, kit.exists(k), "%s deleted after backup", k)
			}
			require.True(t, kit.exists("notes.txt"), "a file the pattern does not match stays")

			// What was taken is not taken again; a new file is taken once.
			kit.put("orders-4.csv", []byte("id,qty\n30,1\n"))
			poll()
			want = append(want, "orders-4.csv")
			slices.Sort(want)
			b.eventually("the new file", func() bool { return slices.Equal(want, topKeys()) })
			poll()
			b.ingested(ds.Id, 6)
			require.Equal(t, want, topKeys())
			require.Equal(t, 3+largeRows+2+1+2+1, *b.data(ds.Id, client.GetDataParams{}).TotalRows)

			// Bad credentials, a missing bucket or folder, an unreachable
			// host: each raises its alert on the data source.
			patch := func(fields map[string]any) {
				body := map[string]any{"id": src.Id, "version_id": *b.source(src.Id).VersionId}
				for k, v := range kit.fields {
					body[k] = v
				}
				for k, v := range fields {
					body[k] = v
				}
				p, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json", jsonReader(body))
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, p.StatusCode(), string(p.Body))
			}
			patch(kit.badCredentials)
			poll()
			b.eventually("an access_denied alert", func() bool { return b.sourceAlert(src.Id, client.AlertTypeAccessDenied) })
			patch(kit.missing)
			poll()
			b.eventually("a "+string(kit.missingAlert)+" alert", func() bool { return b.sourceAlert(src.Id, kit.missingAlert) })
			patch(nil)
			before := b.sourceAlertCount(src.Id, client.AlertTypeConnectionIssue)
			kit.put("orders-5.csv", []byte("id,qty\n40,1\n")) // Dropbox lists through its API host: the download is what fails
			target := kit.proxy.Target()
			kit.proxy.SetTarget(testservers.ClosedAddr(t))
			poll()
			b.eventually("a connection_issue alert for the unreachable host", func() bool {
				return b.sourceAlertCount(src.Id, client.AlertTypeConnectionIssue) > before
			})

			// The host answers again: the next poll succeeds and resolves
			// every alert the failures raised.
			kit.proxy.SetTarget(target)
			poll()
			b.eventually("the source's alerts resolved", func() bool {
				r, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DataSourceModelId: &src.Id, Resolved: ptr(false)})
				require.NoError(t, err)
				return len(r.JSON200.Results) == 0
			})
			b.ingested(ds.Id, 7)
			require.Equal(t, 3+largeRows+2+1+2+1+1, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
		})
	}
}

// source reads a data source.
func (b *bundle) source(id int) *client.DataSource {
	b.t.Helper()
	r, err := b.admin.GetDataSourceWithResponse(b.ctx, id)
	require.NoError(b.t, err)
	require.Equal(b.t, http.StatusOK, r.StatusCode(), string(r.Body))
	return r.JSON200
}

// sourceAlert reports whether the data source has an unresolved alert of type typ.
func (b *bundle) sourceAlert(sourceID int, typ client.AlertType) bool {
	return b.sourceAlertCount(sourceID, typ) > 0
}

// sourceAlertEver reports whether the data source has, or had, an alert of type typ.
func (b *bundle) sourceAlertEver(sourceID int, typ client.AlertType) bool {
	b.t.Helper()
	for _, resolved := range []bool{false, true} {
		r, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DataSourceModelId: &sourceID, Resolved: &resolved})
		require.NoError(b.t, err)
		for _, a := range r.JSON200.Results {
			if *a.AlertType == typ {
				return true
			}
		}
	}
	return false
}

// sourceAlertCount is the count of the data source's unresolved alert of
// type typ, 0 when it has none.
func (b *bundle) sourceAlertCount(sourceID int, typ client.AlertType) int {
	b.t.Helper()
	r, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DataSourceModelId: &sourceID, Resolved: ptr(false)})
	require.NoError(b.t, err)
	for _, a := range r.JSON200.Results {
		if *a.AlertType == typ {
			return *a.Count
		}
	}
	return 0
}

// zipOf zips files.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(content))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// encryptTo encrypts content to the armored public key, as a binary
// OpenPGP message.
func encryptTo(t *testing.T, public, content string) []byte {
	t.Helper()
	keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(public))
	require.NoError(t, err)
	var buf bytes.Buffer
	w, err := openpgp.Encrypt(&buf, keys, nil, nil, nil)
	require.NoError(t, err)
	_, err = w.Write([]byte(content))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// TestSensorRetakesRewrittenFiles: a source that keeps its files (no
// delete_source_file_after_backup) and rewrites one under the same key has
// the new version taken and loaded; an unchanged file is not taken again,
// and a rewrite with the same bytes is recorded as a duplicate, not loaded.
func TestSensorRetakesRewrittenFiles(t *testing.T) {
	t.Parallel()
	kit := s3Kit(t, "s3")
	b := setupWith(t, kit.engine)
	ds, _ := b.trainedDataset("rewritten", client.ApplyAsap)
	fields := map[string]any{"name": "daily", "settings_model_id": ds.SettingsModel.Id, "dataset_id": ds.Id,
		"data_source_type": "s3", "state": "active", "pattern": "*.csv"}
	for k, v := range kit.fields {
		fields[k] = v
	}
	res, err := b.admin.PostDataSourceModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(fields))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	src := res.JSON200
	poll := func() {
		r, err := b.admin.RunSensorJobNowWithResponse(b.ctx, src.Id)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.StatusCode(), string(r.Body))
	}
	items := func() []client.StoredItem {
		r, err := b.admin.GetStoredItemsWithResponse(b.ctx, &client.GetStoredItemsParams{DataSourceModelId: &src.Id, Limit: ptr(100)})
		require.NoError(t, err)
		return r.JSON200.Results
	}

	first := []byte("id,qty\n1,5\n2,6\n3,7\n")
	kit.put("daily.csv", first)
	poll()
	b.eventually("the first version", func() bool { return len(items()) == 1 })
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 1)
	poll()
	poll()

	kit.put("daily.csv", []byte("id,qty\n4,8\n5,9\n"))
	poll()
	b.eventually("the rewritten version", func() bool { return len(items()) == 2 })
	b.ingested(ds.Id, 2)
	require.Equal(t, 5, *b.data(ds.Id, client.GetDataParams{}).TotalRows)

	// The same bytes again under the same key: a new object version, the
	// same content — a duplicate of the first version.
	kit.put("daily.csv", first)
	poll()
	b.eventually("the third version, a duplicate of the first", func() bool {
		its := items()
		return len(its) == 3 && slices.ContainsFunc(its, func(it client.StoredItem) bool { return it.DuplicateOfId != nil })
	})
	// Polls run one after another: once a later file is in, the polls
	// before it have ended, and took nothing.
	poll()
	kit.put("other.csv", []byte("id,qty\n6,1\n"))
	poll()
	b.eventually("the sentinel file", func() bool { return len(items()) == 4 })
	b.ingested(ds.Id, 3)
	require.Equal(t, 6, *b.data(ds.Id, client.GetDataParams{}).TotalRows)
}

// TestSFTPHostKeyTrustedOnFirstUse: an SFTP data source without
// sftp_host_key records the key its server shows at the first login; a
// server answering later with another key (here another server behind the
// same address) is refused with a connection_issue alert that names the
// field and the new key, until a user empties the field to trust it.
func TestSFTPHostKeyTrustedOnFirstUse(t *testing.T) {
	t.Parallel()
	first, second := testservers.StartSFTP(t, nil), testservers.StartSFTP(t, nil)
	p := testservers.NewProxy(t, first.Addr)
	for _, s := range []*testservers.SFTPServer{first, second} {
		require.NoError(t, os.WriteFile(filepath.Join(s.Root, "orders-"+filepath.Base(s.Root)+".csv"), []byte("id,qty\n1,5\n2,6\n"), 0o644))
	}
	b := setup(t)
	ds, _ := b.trainedDataset("pinned", client.ApplyAsap)
	host, ps, err := net.SplitHostPort(p.Addr())
	require.NoError(t, err)
	port, err := strconv.Atoi(ps)
	require.NoError(t, err)
	res, err := b.admin.PostDataSourceModelWithBodyWithResponse(b.ctx, "application/json", jsonReader(map[string]any{
		"name": "pinned", "settings_model_id": ds.SettingsModel.Id, "dataset_id": ds.Id, "data_source_type": "sftp", "state": "active",
		"sftp_host": host, "sftp_port": port, "sftp_user": first.User, "sftp_password": first.Password, "sftp_folder": "/"}))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	src := res.JSON200
	require.Empty(t, ptrValue(src.SftpHostKey))
	poll := func() {
		r, err := b.admin.RunSensorJobNowWithResponse(b.ctx, src.Id)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.StatusCode(), string(r.Body))
	}
	taken := func() int {
		r, err := b.admin.GetStoredItemsWithResponse(b.ctx, &client.GetStoredItemsParams{DataSourceModelId: &src.Id})
		require.NoError(t, err)
		return len(r.JSON200.Results)
	}
	poll()
	b.eventually("the first server's file", func() bool { return taken() == 1 })
	require.Equal(t, first.HostKeyLine(), ptrValue(b.source(src.Id).SftpHostKey), "the key shown at the first login is recorded")

	// Another server answers at the same address: refused, nothing taken.
	p.SetTarget(second.Addr)
	poll()
	var alert client.Alert
	b.eventually("a connection_issue alert", func() bool {
		r, err := b.admin.GetAlertsWithResponse(b.ctx, &client.GetAlertsParams{DataSourceModelId: &src.Id, Resolved: ptr(false)})
		require.NoError(t, err)
		for _, a := range r.JSON200.Results {
			if *a.AlertType == client.AlertTypeConnectionIssue {
				alert = a
				return true
			}
		}
		return false
	})
	require.Contains(t, *alert.Msg, "sftp_host_key")
	require.Contains(t, *alert.Msg, second.HostKeyLine())
	require.Equal(t, 1, taken())

	// The user trusts the new server: empties the key (and logs in as it asks).
	body := map[string]any{"id": src.Id, "version_id": *b.source(src.Id).VersionId, "sftp_host_key": "",
		"sftp_user": second.User, "sftp_password": second.Password}
	pr, err := b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json", jsonReader(body))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, pr.StatusCode(), string(pr.Body))
	poll()
	b.eventually("the second server's file", func() bool { return taken() == 2 })
	require.Equal(t, second.HostKeyLine(), ptrValue(b.source(src.Id).SftpHostKey))

	// A key that is not a key is refused when saved, naming the field.
	body = map[string]any{"id": src.Id, "version_id": *b.source(src.Id).VersionId, "sftp_host_key": "not a key"}
	pr, err = b.admin.PatchDataSourceModelWithBodyWithResponse(b.ctx, src.Id, "application/json", jsonReader(body))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, pr.StatusCode(), string(pr.Body))
	require.Contains(t, string(pr.Body), "sftp_host_key")
}

// ptrValue is *p, or the zero value when p is nil.
func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
