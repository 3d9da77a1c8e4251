package postgres_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/internal/secrets"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// setupStore returns a migrated store on a fresh database that seals
// secrets with a fixed test key.
func setupStore(t *testing.T) *postgres.Store {
	t.Helper()
	c, err := secrets.New([]byte(strings.Repeat("k", secrets.KeySize)))
	require.NoError(t, err)
	s, err := postgres.Open(t.Context(), pgtest.NewDatabase(t), &postgres.Options{Cipher: c})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	_, err = s.Migrate(t.Context())
	require.NoError(t, err)
	return s
}

// storedDoc reads the raw document of object id of table as the database holds it.
func storedDoc(t *testing.T, s *postgres.Store, table string, id int64) map[string]any {
	t.Helper()
	var raw []byte
	require.NoError(t, s.DB().GetContext(t.Context(), &raw, `SELECT doc FROM `+table+` WHERE id = $1`, id))
	doc := map[string]any{}
	require.NoError(t, json.Unmarshal(raw, &doc))
	return doc
}

// requireSealed checks that field of the stored document is sealed and does
// not hold plain.
func requireSealed(t *testing.T, doc map[string]any, field, plain string) {
	t.Helper()
	v, _ := doc[field].(string)
	require.True(t, secrets.IsSealed(v), "%s is stored as %q, want a sealed value", field, v)
	require.NotContains(t, v, plain)
}

// requireInvalid checks that err is a *qluster.ValidationError about field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var ve *qluster.ValidationError
	require.ErrorAs(t, err, &ve)
	for _, f := range ve.Fields {
		if f.Loc[len(f.Loc)-1] == field {
			require.NotEmpty(t, f.Msg)
			return
		}
	}
	require.Failf(t, "wrong field", "want a problem with %s, got %v", field, ve)
}

func createDataset(t *testing.T, s *postgres.Store, name string) *qluster.Dataset {
	t.Helper()
	d := qluster.NewDataset()
	d.Name, d.TableName = name, strings.ReplaceAll(strings.ToLower(name), " ", "_")
	out, err := s.CreateDataset(t.Context(), &d, nil)
	require.NoError(t, err)
	return out
}

func createSource(t *testing.T, s *postgres.Store, ds *qluster.Dataset, name string) *qluster.DataSource {
	t.Helper()
	d := qluster.NewDataSource(ds)
	d.Name = name
	out, err := s.CreateDataSource(t.Context(), &d, nil)
	require.NoError(t, err)
	return out
}

// walk follows the next cursors of a list from its first page and returns
// the ids in the order seen. It fails on a repeated id.
func walk[T any](t *testing.T, limit int, reverse bool, list func(p qluster.ListParams) (qluster.Page[T], error), id func(T) int64) []int64 {
	t.Helper()
	p := qluster.ListParams{Limit: limit, Reverse: reverse}
	seen := map[int64]bool{}
	var ids []int64
	for range 1000 {
		page, err := list(p)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Items), limit)
		for _, it := range page.Items {
			i := id(it)
			require.False(t, seen[i], "id %d seen twice", i)
			seen[i] = true
			ids = append(ids, i)
		}
		if page.Next == nil {
			return ids
		}
		if reverse {
			p = qluster.ListParams{Limit: limit, Reverse: true, End: &page.Next.End}
		} else {
			p = qluster.ListParams{Limit: limit, Start: &page.Next.Start}
		}
	}
	t.Fatal("the walk does not end")
	return nil
}

func reversed(ids []int64) []int64 {
	out := make([]int64, len(ids))
	for i, v := range ids {
		out[len(ids)-1-i] = v
	}
	return out
}

func TestCreateDataSource(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	ds := createDataset(t, s, "Orders")
	by := uuid.New()

	d := qluster.NewDataSource(ds)
	d.Name = "orders s3"
	d.DataSourceType = qluster.DataSourceTypeS3
	d.S3SecretKey = "s3-plain-secret"
	d.SFTPPassword = ""
	d.RedirectPostSubmitTo = "/data-sources"
	got, err := s.CreateDataSource(ctx, &d, &by)
	require.NoError(t, err)
	require.NotZero(t, got.ID)
	require.Equal(t, int64(1), got.VersionID)
	require.Equal(t, "Orders", got.DatasetName)
	require.Equal(t, ds.ID, *got.DatasetID)
	require.Equal(t, "s3-plain-secret", got.S3SecretKey, "the store opens secrets on read")
	require.Equal(t, "/data-sources", got.RedirectPostSubmitTo)
	require.False(t, got.CreatedAt.IsZero())

	doc := storedDoc(t, s, "data_source_models", got.ID)
	requireSealed(t, doc, "s3_secret_key", "s3-plain-secret")
	require.Empty(t, doc["sftp_password"], "an empty secret stays empty")

	h, err := s.DataSourceHistory(ctx, got.ID)
	require.NoError(t, err)
	require.Len(t, h, 1)
	require.Equal(t, "insert", h[0].Operation)
	require.Equal(t, by, *h[0].WhodunitID)
	require.NotContains(t, string(h[0].After), "s3-plain-secret")

	t.Run("DatasetFromSettingsModel", func(t *testing.T) {
		d := qluster.DataSource{Name: "by settings", SettingsModelID: &ds.SettingsModel.ID, State: qluster.DataSourceStateDraft}
		got, err := s.CreateDataSource(ctx, &d, nil)
		require.NoError(t, err)
		require.Equal(t, ds.ID, *got.DatasetID)
		require.Equal(t, "Orders", got.DatasetName)
	})
	t.Run("DuplicateName", func(t *testing.T) {
		d := qluster.NewDataSource(ds)
		d.Name = "orders s3"
		_, err := s.CreateDataSource(ctx, &d, nil)
		require.ErrorIs(t, err, qluster.ErrConflict)
	})
	t.Run("SameNameInAnotherDataset", func(t *testing.T) {
		other := createDataset(t, s, "Invoices")
		createSource(t, s, other, "orders s3")
	})
	t.Run("UnknownDataset", func(t *testing.T) {
		d := qluster.NewDataSource(ds)
		d.Name = "x"
		d.DatasetID = ptr(int64(999999))
		_, err := s.CreateDataSource(ctx, &d, nil)
		requireInvalid(t, err, "dataset_id")
	})
	t.Run("UnknownSettingsModel", func(t *testing.T) {
		d := qluster.DataSource{Name: "x", SettingsModelID: ptr(int64(999999))}
		_, err := s.CreateDataSource(ctx, &d, nil)
		requireInvalid(t, err, "settings_model_id")
	})
	t.Run("MissingSettingsModel", func(t *testing.T) {
		d := qluster.DataSource{Name: "x", DatasetID: &ds.ID}
		_, err := s.CreateDataSource(ctx, &d, nil)
		requireInvalid(t, err, "settings_model_id")
	})
	t.Run("SettingsModelOfAnotherDataset", func(t *testing.T) {
		other := createDataset(t, s, "Payments")
		d := qluster.NewDataSource(ds)
		d.Name = "x"
		d.SettingsModelID = &other.SettingsModel.ID
		_, err := s.CreateDataSource(ctx, &d, nil)
		requireInvalid(t, err, "settings_model_id")
	})
	t.Run("DeletedDataset", func(t *testing.T) {
		gone := createDataset(t, s, "Gone")
		require.NoError(t, s.DeleteDataset(ctx, gone.ID, "Gone", nil))
		d := qluster.NewDataSource(gone)
		d.Name = "x"
		_, err := s.CreateDataSource(ctx, &d, nil)
		requireInvalid(t, err, "dataset_id")
	})
	t.Run("Deleted", func(t *testing.T) {
		d := qluster.NewDataSource(ds)
		d.Name = "born deleted"
		d.State = qluster.DataSourceStateDeleted
		_, err := s.CreateDataSource(ctx, &d, nil)
		requireInvalid(t, err, "state")
	})
}

func TestGetDataSource(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	ds := createDataset(t, s, "Orders")
	src := createSource(t, s, ds, "feed")

	got, err := s.GetDataSource(ctx, src.ID)
	require.NoError(t, err)
	require.Equal(t, src, got)

	_, err = s.GetDataSource(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)
	var nf *qluster.NotFoundError
	require.ErrorAs(t, err, &nf)
	require.Equal(t, int64(424242), nf.Key)

	_, err = s.DataSourceHistory(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)

	t.Run("DatasetRenamed", func(t *testing.T) {
		_, err := s.UpdateDataset(ctx, postgres.UpdateDatasetParams{ID: ds.ID, Mutate: func(d *qluster.Dataset) error {
			d.Name = "Orders v2"
			return nil
		}})
		require.NoError(t, err)
		got, err := s.GetDataSource(ctx, src.ID)
		require.NoError(t, err)
		require.Equal(t, "Orders v2", got.DatasetName)
	})
}

func TestUpdateDataSource(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	ds := createDataset(t, s, "Orders")
	d := qluster.NewDataSource(ds)
	d.Name = "sftp feed"
	d.DataSourceType = qluster.DataSourceTypeSftp
	d.SFTPPassword = "first-password"
	d.GPGPassphrase = "gpg-pass"
	src, err := s.CreateDataSource(ctx, &d, nil)
	require.NoError(t, err)
	alice, bob := uuid.New(), uuid.New()

	got, err := s.UpdateDataSource(ctx, src.ID, &src.VersionID, &alice, func(d *qluster.DataSource) error {
		require.Equal(t, "first-password", d.SFTPPassword, "mutate sees the opened secret")
		d.Schedule = "*/5 * * * *"
		d.SFTPPassword = qluster.Obfuscated // sent back as read: keep it
		d.GPGPassphrase = "new-gpg-pass"
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, int64(2), got.VersionID)
	require.Equal(t, "*/5 * * * *", got.Schedule)
	require.Equal(t, "first-password", got.SFTPPassword)
	require.Equal(t, "new-gpg-pass", got.GPGPassphrase)
	doc := storedDoc(t, s, "data_source_models", src.ID)
	requireSealed(t, doc, "sftp_password", "first-password")
	requireSealed(t, doc, "gpg_passphrase", "new-gpg-pass")

	t.Run("StaleVersion", func(t *testing.T) {
		_, err := s.UpdateDataSource(ctx, src.ID, ptr(int64(1)), &bob, func(d *qluster.DataSource) error {
			d.Schedule = "0 * * * *"
			return nil
		})
		require.ErrorIs(t, err, qluster.ErrVersionConflict)
		require.ErrorIs(t, err, qluster.ErrConflict)
		again, err := s.GetDataSource(ctx, src.ID)
		require.NoError(t, err)
		require.Equal(t, "*/5 * * * *", again.Schedule, "a stale update changes nothing")
		require.Equal(t, int64(2), again.VersionID)
	})
	t.Run("MutateError", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := s.UpdateDataSource(ctx, src.ID, nil, nil, func(*qluster.DataSource) error { return boom })
		require.ErrorIs(t, err, boom)
	})
	t.Run("SettingsModelOfAnotherDataset", func(t *testing.T) {
		other := createDataset(t, s, "Other")
		_, err := s.UpdateDataSource(ctx, src.ID, nil, nil, func(d *qluster.DataSource) error {
			d.SettingsModelID = &other.SettingsModel.ID
			return nil
		})
		requireInvalid(t, err, "settings_model_id")
	})
	t.Run("MoveToAnotherDataset", func(t *testing.T) {
		other := createDataset(t, s, "Moved")
		mover := createSource(t, s, ds, "mover")
		got, err := s.UpdateDataSource(ctx, mover.ID, nil, nil, func(d *qluster.DataSource) error {
			d.DatasetID, d.SettingsModelID = &other.ID, &other.SettingsModel.ID
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, "Moved", got.DatasetName)
	})
	t.Run("StateDeleted", func(t *testing.T) {
		_, err := s.UpdateDataSource(ctx, src.ID, nil, nil, func(d *qluster.DataSource) error {
			d.State = qluster.DataSourceStateDeleted
			return nil
		})
		requireInvalid(t, err, "state")
	})
	t.Run("NotFound", func(t *testing.T) {
		_, err := s.UpdateDataSource(ctx, 424242, nil, nil, func(*qluster.DataSource) error { return nil })
		require.ErrorIs(t, err, qluster.ErrNotFound)
	})

	h, err := s.DataSourceHistory(ctx, src.ID)
	require.NoError(t, err)
	require.Len(t, h, 2, "insert and the one accepted update")
	require.Equal(t, "update", h[1].Operation)
	require.Equal(t, int64(2), h[1].VersionID)
	require.Equal(t, alice, *h[1].WhodunitID)
	var before, after map[string]any
	require.NoError(t, json.Unmarshal(h[1].Before, &before))
	require.NoError(t, json.Unmarshal(h[1].After, &after))
	require.Empty(t, before["schedule"])
	require.Equal(t, "*/5 * * * *", after["schedule"])
	require.Equal(t, before["sftp_password"], after["sftp_password"], "the kept secret is the same sealed value")
	require.NotContains(t, string(h[1].After), "new-gpg-pass")
}

func TestUpdateDataSourceConcurrent(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ds := createDataset(t, s, "Orders")
	src := createSource(t, s, ds, "feed")

	// Every writer names version 1: exactly one wins, the rest conflict.
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = s.UpdateDataSource(t.Context(), src.ID, ptr(int64(1)), nil, func(d *qluster.DataSource) error {
				d.Pattern = fmt.Sprintf("*.%d.csv", i)
				return nil
			})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		require.ErrorIs(t, err, qluster.ErrVersionConflict)
	}
	require.Equal(t, 1, won)
	h, err := s.DataSourceHistory(t.Context(), src.ID)
	require.NoError(t, err)
	require.Len(t, h, 2)
}

func TestDeleteDataSource(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	ds := createDataset(t, s, "Orders")
	src := createSource(t, s, ds, "feed")
	by := uuid.New()

	err := s.DeleteDataSource(ctx, src.ID, "Feed", &by)
	requireInvalid(t, err, "name")

	require.NoError(t, s.DeleteDataSource(ctx, src.ID, "feed", &by))
	got, err := s.GetDataSource(ctx, src.ID)
	require.NoError(t, err)
	require.Equal(t, qluster.DataSourceStateDeleted, got.State)

	require.ErrorIs(t, s.DeleteDataSource(ctx, src.ID, "feed", &by), qluster.ErrConflict)
	_, err = s.UpdateDataSource(ctx, src.ID, nil, nil, func(d *qluster.DataSource) error {
		d.State = qluster.DataSourceStateActive
		return nil
	})
	require.ErrorIs(t, err, qluster.ErrConflict, "a deleted source cannot come back")
	require.ErrorIs(t, s.DeleteDataSource(ctx, 424242, "feed", nil), qluster.ErrNotFound)

	h, err := s.DataSourceHistory(ctx, src.ID)
	require.NoError(t, err)
	require.Len(t, h, 2)
	require.Equal(t, by, *h[1].WhodunitID)

	// The name is free again.
	createSource(t, s, ds, "feed")
}

func TestListDataSources(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	a, b := createDataset(t, s, "A"), createDataset(t, s, "B")
	var all, ofA []int64
	for i := range 7 {
		ds := a
		if i%3 == 2 {
			ds = b
		}
		d := qluster.NewDataSource(ds)
		d.Name = fmt.Sprintf("src %d", i)
		d.S3SecretKey = "secret"
		if i == 4 {
			d.State = qluster.DataSourceStateDraft
		}
		got, err := s.CreateDataSource(ctx, &d, nil)
		require.NoError(t, err)
		all = append(all, got.ID)
		if ds == a {
			ofA = append(ofA, got.ID)
		}
	}
	require.NoError(t, s.DeleteDataSource(ctx, all[0], "src 0", nil))

	list := func(lp postgres.ListDataSourcesParams) func(p qluster.ListParams) (qluster.Page[qluster.DataSource], error) {
		return func(p qluster.ListParams) (qluster.Page[qluster.DataSource], error) {
			lp.ListParams = p
			return s.ListDataSources(ctx, lp)
		}
	}
	id := func(d qluster.DataSource) int64 { return d.ID }

	for _, limit := range []int{1, 2, 3, 7, 20} {
		require.Equal(t, all, walk(t, limit, false, list(postgres.ListDataSourcesParams{}), id), "limit %d ascending", limit)
		require.Equal(t, reversed(all), walk(t, limit, true, list(postgres.ListDataSourcesParams{}), id), "limit %d descending", limit)
	}
	require.Equal(t, ofA, walk(t, 2, false, list(postgres.ListDataSourcesParams{DatasetID: &a.ID}), id))
	require.Equal(t, all[1:], walk(t, 2, false, list(postgres.ListDataSourcesParams{States: []string{"active", "disabled", "draft"}}), id))
	require.Equal(t, []int64{all[4]}, walk(t, 2, false, list(postgres.ListDataSourcesParams{States: []string{"draft"}}), id))
	require.Equal(t, []int64{all[1], all[5]}, walk(t, 1, false, list(postgres.ListDataSourcesParams{IDs: []int64{all[5], all[1], 424242}}), id))
	require.Empty(t, walk(t, 5, false, list(postgres.ListDataSourcesParams{IDs: []int64{}}), id), "an empty IDs keeps none")

	page, err := s.ListDataSources(ctx, postgres.ListDataSourcesParams{ListParams: qluster.ListParams{Limit: 2, Reverse: true}})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	require.Equal(t, all[6], page.Items[0].ID, "reverse starts at the newest")
	require.Nil(t, page.Previous)
	require.Equal(t, "secret", page.Items[0].S3SecretKey)
	require.NotEmpty(t, page.Items[0].DatasetName)

	_, err = s.ListDataSources(ctx, postgres.ListDataSourcesParams{ListParams: qluster.ListParams{Start: ptr(int64(1)), End: ptr(int64(2))}})
	require.Error(t, err)
	var ve *qluster.ValidationError
	require.ErrorAs(t, err, &ve)
}

func TestDataSourceTiny(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	ds := createDataset(t, s, "Orders")
	d := qluster.NewDataSource(ds)
	d.Name, d.Schedule, d.DataSourceType = "feed", "0 * * * *", qluster.DataSourceTypeGs
	src, err := s.CreateDataSource(ctx, &d, nil)
	require.NoError(t, err)
	other := createSource(t, s, ds, "other")

	tiny, err := s.DataSourceTiny(ctx, src.ID)
	require.NoError(t, err)
	require.Equal(t, &postgres.DataSourceTiny{
		ID: src.ID, Name: "feed", DatasetName: "Orders", DatasetID: &ds.ID, DataSourceType: qluster.DataSourceTypeGs,
		Schedule: "0 * * * *", State: qluster.DataSourceStateActive,
	}, tiny)

	dst, err := s.CreateDestination(ctx, &qluster.DestinationModel{Name: "warehouse", DatabaseName: "wh", DestinationType: qluster.DestinationTypePostgresql}, nil)
	require.NoError(t, err)
	_, err = s.UpdateDataset(ctx, postgres.UpdateDatasetParams{ID: ds.ID, Mutate: func(d *qluster.Dataset) error {
		d.DestinationID = &dst.ID
		return nil
	}})
	require.NoError(t, err)
	for _, a := range []struct {
		src             int64
		resolved, muted bool
	}{{src.ID, false, false}, {src.ID, false, true}, {src.ID, true, false}, {other.ID, false, false}} {
		_, err := s.DB().ExecContext(ctx, `INSERT INTO alert_items (doc) VALUES (jsonb_build_object('dataset_id', $1::bigint,
			'data_source_model_id', $2::bigint, 'alert_type', 'casting', 'resolved', $3::boolean, 'is_muted', $4::boolean))`, ds.ID, a.src, a.resolved, a.muted)
		require.NoError(t, err)
	}
	tiny, err = s.DataSourceTiny(ctx, src.ID)
	require.NoError(t, err)
	require.Equal(t, int64(2), tiny.UnresolvedAlerts, "unresolved, muted or not")
	require.Equal(t, "warehouse", *tiny.DestinationName)
	require.Nil(t, tiny.LastSync)

	b, err := json.Marshal(tiny)
	require.NoError(t, err)
	require.Contains(t, string(b), `"last_sync":null`)

	_, err = s.DataSourceTiny(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)
}

func TestSecretFields(t *testing.T) {
	t.Parallel()
	require.Contains(t, postgres.SecretFields(&qluster.DataSource{}), "s3_secret_key")
	require.Equal(t, []string{"password"}, postgres.SecretFields(qluster.DestinationModel{}))
	require.Contains(t, postgres.SecretFields(&qluster.BackupSettings{}), "backup_gpg_private_key")
	require.Nil(t, postgres.SecretFields(&qluster.Dataset{}))
}
