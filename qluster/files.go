package qluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/openqluster/qluster-go/analyzer"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// AddFileParams is one file arriving at a data source.
type AddFileParams struct {
	// DataSourceID is the data source the file belongs to. Required.
	DataSourceID int64
	// Name is the file's name (or key at the source). Required.
	Name string
	// Body is the file's bytes, read once as a stream. Required.
	Body io.Reader
	// By is the user who sent it, if a user did.
	By *uuid.UUID
}

// AddFile takes a file into a data source: it records a stored item, writes
// the raw bytes to the dataset's backup storage (compressed and encrypted as
// the dataset says) while hashing them, and queues the file for training or
// ingestion. A file whose content the dataset has seen is recorded as a
// duplicate of the first one and not processed again, unless the dataset (or
// the data source) says should_reprocess.
func (e *Engine) AddFile(ctx context.Context, p AddFileParams) (*StoredItem, error) {
	it, err := e.CreateUpload(ctx, p.DataSourceID, p.Name, false, p.By)
	if err != nil {
		return nil, err
	}
	if _, err := e.ReceiveUpload(ctx, it.ID, p.Body); err != nil {
		// Nothing refers to the item yet: drop it, so the file is taken
		// again whole next time and no half-taken item stays behind.
		if derr := e.store.DeleteStoredItem(context.WithoutCancel(ctx), it.ID); derr != nil {
			e.log.Warn("could not drop a stored item whose upload failed", "stored_item_id", it.ID, "err", derr)
		}
		return nil, err
	}
	return e.Publish(ctx, it.ID)
}

// CreateUpload records a stored item for a file that is about to arrive
// (viaSignedURL: straight to backup storage, through a pre-signed URL).
func (e *Engine) CreateUpload(ctx context.Context, dataSourceID int64, name string, viaSignedURL bool, by *uuid.UUID) (*StoredItem, error) {
	src, ds, err := e.sourceAndDataset(ctx, dataSourceID)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, Invalid("key", "missing", "the file needs a name")
	}
	return e.store.CreateStoredItem(ctx, &StoredItem{
		Key: name, DataSourceModelID: &src.ID, DataSourceModelName: src.Name, DatasetID: &ds.ID,
		BackupSettingsID: ds.BackupSettingsID, WhodunitID: by, OtherNames: []string{}, IsUploadedViaSignedURL: viaSignedURL,
	})
}

// ReceiveUpload writes the bytes of a stored item to backup storage (wrapped
// as its dataset says) and records their signature. Receiving a file twice
// replaces the first bytes until the item is published. An item uploaded
// through a signed URL is signed when it is published: until then its
// uploader has not said the file is complete, so it is neither an original
// for duplicates nor a file to ingest.
func (e *Engine) ReceiveUpload(ctx context.Context, storedItemID int64, body io.Reader) (*StoredItem, error) {
	it, err := e.store.GetStoredItem(ctx, storedItemID)
	if err != nil {
		return nil, err
	}
	if it.IsIngested || it.DuplicateOfID != nil || it.Signature != "" {
		return nil, &ConflictError{Msg: fmt.Sprintf("stored item %d was already published; upload the file again as a new one", it.ID)}
	}
	_, ds, err := e.sourceAndDataset(ctx, *it.DataSourceModelID)
	if err != nil {
		return nil, err
	}
	sig, enc, key, err := e.backupFile(ctx, ds, it, body)
	if err != nil {
		return nil, fmt.Errorf("back up %s: %w", it.Key, err)
	}
	return e.store.UpdateStoredItem(ctx, it.ID, func(s *StoredItem) error {
		s.BackupKey = key
		if !s.IsUploadedViaSignedURL {
			s.Signature = sig
		}
		s.CompressionTypeOfBackupData, s.IsBackupEncrypted = enc.Compression, enc.RecipientPublicKey != ""
		return nil
	})
}

// Publish routes a stored item whose bytes are in backup storage: it signs
// an item uploaded through a signed URL (compressing and encrypting what the
// client sent as the dataset says), checks for a duplicate and queues the
// file. Publishing twice queues it once.
func (e *Engine) Publish(ctx context.Context, storedItemID int64) (*StoredItem, error) {
	it, err := e.store.GetStoredItem(ctx, storedItemID)
	if err != nil {
		return nil, err
	}
	if it.BackupKey == "" {
		return nil, &ConflictError{Msg: fmt.Sprintf("stored item %d has no file yet: upload it first", it.ID)}
	}
	src, ds, err := e.sourceAndDataset(ctx, *it.DataSourceModelID)
	if err != nil {
		return nil, err
	}
	if it.Signature == "" {
		if it, err = e.signStoredItem(ctx, ds, it); err != nil {
			return nil, err
		}
	}
	if orig, err := e.store.FindStoredItemBySignature(ctx, ds.ID, it.Signature, it.ID); err != nil {
		return nil, err
	} else if orig != nil && orig.ID < it.ID && !shouldReprocess(ds, src) {
		if _, err := e.store.UpdateStoredItem(ctx, orig.ID, func(o *StoredItem) error {
			if !contains(o.OtherNames, it.Key) && o.Key != it.Key {
				o.OtherNames = append(o.OtherNames, it.Key)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		return e.store.UpdateStoredItem(ctx, it.ID, func(s *StoredItem) error {
			s.DuplicateOfID = &orig.ID
			return nil
		})
	}
	ref := jobRef{DatasetID: ds.ID, StoredItemID: it.ID}
	if err := e.put(ctx, QueueFiles, "stored_item:"+strconv.FormatInt(it.ID, 10), ref, e.now(), &src.ID); err != nil {
		return nil, err
	}
	return it, nil
}

func shouldReprocess(ds *Dataset, src *DataSource) bool {
	if src.ShouldReprocessOverride != nil {
		return *src.ShouldReprocessOverride
	}
	if ds.SettingsModel != nil && ds.SettingsModel.ShouldReprocess {
		return true
	}
	return ds.ShouldReprocess
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// sourceAndDataset loads an active data source and its dataset.
func (e *Engine) sourceAndDataset(ctx context.Context, srcID int64) (*DataSource, *Dataset, error) {
	src, err := e.store.GetDataSource(ctx, srcID)
	if err != nil {
		return nil, nil, err
	}
	if src.State == DataSourceStateDeleted || src.DatasetID == nil {
		return nil, nil, &ConflictError{Msg: fmt.Sprintf("data source %d is deleted", srcID)}
	}
	ds, err := e.store.GetDataset(ctx, *src.DatasetID)
	if err != nil {
		return nil, nil, err
	}
	if ds.State == DatasetStateDeleted {
		return nil, nil, &ConflictError{Msg: fmt.Sprintf("dataset %d is deleted", ds.ID)}
	}
	return src, ds, nil
}

// backupOf opens the backup storage of a dataset and its settings.
func (e *Engine) backupOf(ctx context.Context, id *int64) (Backup, *BackupSettings, error) {
	if id == nil {
		return nil, nil, &ConflictError{Msg: "the dataset has no backup settings: set backup_settings_id"}
	}
	bs, err := e.store.GetBackupSettings(ctx, *id)
	if err != nil {
		return nil, nil, err
	}
	b, err := e.cfg.OpenBackup(ctx, bs)
	if err != nil {
		return nil, nil, fmt.Errorf("open backup settings %d: %w", bs.ID, err)
	}
	return b, bs, nil
}

// backupFile streams body into backup storage under the dataset's key
// format, wrapped as the dataset says, and returns the SHA-256 of the
// original bytes.
func (e *Engine) backupFile(ctx context.Context, ds *Dataset, it *StoredItem, body io.Reader) (sig string, enc BackupEncoding, key string, err error) {
	b, bs, err := e.backupOf(ctx, ds.BackupSettingsID)
	if err != nil {
		return "", enc, "", err
	}
	enc = BackupEncoding{Compression: ds.CompressionTypeOfBackupData, Name: it.Key}
	if ds.EncryptRawDataDuringBackup {
		if bs.BackupGPGPublicKey == "" {
			return "", enc, "", &ConflictError{Msg: fmt.Sprintf("dataset %d encrypts backups but backup settings %d have no backup_gpg_public_key", ds.ID, bs.ID)}
		}
		enc.RecipientPublicKey = bs.BackupGPGPublicKey
	}
	key = e.backupKey(ds, it, enc)
	h := sha256.New()
	pr, pw := io.Pipe()
	go func() {
		w, err := e.cfg.Codec.Encode(pw, enc)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		if _, err := io.Copy(w, io.TeeReader(body, h)); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(w.Close())
	}()
	if _, err := b.Put(ctx, key, pr); err != nil {
		pr.CloseWithError(err)
		return "", enc, "", err
	}
	return hex.EncodeToString(h.Sum(nil)), enc, key, nil
}

// backupKey fills the dataset's backup_key_format for a stored item.
func (e *Engine) backupKey(ds *Dataset, it *StoredItem, enc BackupEncoding) string {
	f := ds.BackupKeyFormat
	if f == "" {
		f = DefaultBackupKeyFormat
	}
	now := e.now().UTC()
	src := int64(0)
	if it.DataSourceModelID != nil {
		src = *it.DataSourceModelID
	}
	key := strings.NewReplacer(
		"{dataset_id}", strconv.FormatInt(ds.ID, 10),
		"{data_source_model_id}", strconv.FormatInt(src, 10),
		"{stored_item_id}", strconv.FormatInt(it.ID, 10),
		"{yyyy}", now.Format("2006"), "{mm}", now.Format("01"), "{dd}", now.Format("02"),
		"{file_name}", safeName(it.Key),
	).Replace(f)
	switch enc.Compression {
	case CompressionTypeGzip:
		key += ".gz"
	case CompressionTypeZip:
		key += ".zip"
	case CompressionTypeSnappyStream:
		key += ".sz"
	}
	if enc.RecipientPublicKey != "" {
		key += ".gpg"
	}
	return key
}

// safeName keeps a file name usable as one segment of a key.
func safeName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 32 {
			return '_'
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

// OpenFile returns the original bytes of a stored item, read back from backup storage.
func (e *Engine) OpenFile(ctx context.Context, it *StoredItem) (io.ReadCloser, error) {
	b, bs, err := e.backupOf(ctx, it.BackupSettingsID)
	if err != nil {
		return nil, err
	}
	rc, err := b.Get(ctx, it.BackupKey)
	if err != nil {
		return nil, err
	}
	dec, err := e.cfg.Codec.Decode(rc, BackupEncoding{Compression: it.CompressionTypeOfBackupData, Encrypted: it.IsBackupEncrypted,
		PrivateKey: bs.BackupGPGPrivateKey, Passphrase: bs.BackupGPGPassphrase, Name: it.Key})
	if err != nil {
		rc.Close()
		return nil, err
	}
	return &closeBoth{ReadCloser: dec, inner: rc}, nil
}

type closeBoth struct {
	io.ReadCloser
	inner io.Closer
}

func (c *closeBoth) Close() error {
	err := c.ReadCloser.Close()
	if err2 := c.inner.Close(); err == nil {
		err = err2
	}
	return err
}

// signStoredItem computes the signature of a stored item uploaded straight
// to backup storage. A client writes the bytes through a pre-signed URL as
// they are (see SignUpload); when they are not kept as the dataset says
// (compressed, encrypted), they are sealed now, as every other backup is.
func (e *Engine) signStoredItem(ctx context.Context, ds *Dataset, it *StoredItem) (*StoredItem, error) {
	rc, err := e.OpenFile(ctx, it)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, &ConflictError{Msg: fmt.Sprintf("stored item %d: no file was uploaded to %s yet", it.ID, it.BackupKey)}
		}
		return nil, err
	}
	defer rc.Close()
	if it.CompressionTypeOfBackupData != ds.CompressionTypeOfBackupData || it.IsBackupEncrypted != ds.EncryptRawDataDuringBackup {
		return e.sealUpload(ctx, ds, it, rc)
	}
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return nil, err
	}
	sig := hex.EncodeToString(h.Sum(nil))
	return e.store.UpdateStoredItem(ctx, it.ID, func(s *StoredItem) error {
		s.Signature = sig
		return nil
	})
}

// sealUpload rewrites the bytes of a stored item, read from plain, to
// backup storage compressed and encrypted as the dataset says, under the key
// that says so, records them and their signature, and deletes the object they
// were read from, so that no plain copy of the file stays behind.
func (e *Engine) sealUpload(ctx context.Context, ds *Dataset, it *StoredItem, plain io.Reader) (*StoredItem, error) {
	sig, enc, key, err := e.backupFile(ctx, ds, it, plain)
	if err != nil {
		return nil, fmt.Errorf("back up %s: %w", it.Key, err)
	}
	sealed, err := e.store.UpdateStoredItem(ctx, it.ID, func(s *StoredItem) error {
		s.BackupSettingsID, s.BackupKey, s.Signature = ds.BackupSettingsID, key, sig
		s.CompressionTypeOfBackupData, s.IsBackupEncrypted = enc.Compression, enc.RecipientPublicKey != ""
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			// Deleted meanwhile: so is the file.
			e.deleteBackup(context.WithoutCancel(ctx), ds.BackupSettingsID, key)
		}
		return nil, err
	}
	if key != it.BackupKey || !sameID(ds.BackupSettingsID, it.BackupSettingsID) {
		e.deleteBackup(context.WithoutCancel(ctx), it.BackupSettingsID, it.BackupKey)
	}
	return sealed, nil
}

// deleteBackup deletes an object that no stored item refers to any more; a
// failure only leaves it behind, and is logged.
func (e *Engine) deleteBackup(ctx context.Context, backupSettingsID *int64, key string) {
	b, _, err := e.backupOf(ctx, backupSettingsID)
	if err == nil {
		err = b.Delete(ctx, key)
	}
	if err != nil {
		e.log.Warn("could not delete a backup object no stored item refers to", "key", key, "err", err)
	}
}

func sameID(a, b *int64) bool {
	return a == b || a != nil && b != nil && *a == *b
}

// DeleteUpload deletes a stored item that was never published: one created
// for an upload through a signed URL whose bytes never arrived, or arrived
// and were never published. The object its bytes went to, if any, is
// deleted first, so that no file outlives its record (a client still holding
// the pre-signed URL may write it again until the URL expires: nothing
// reads it). A published item, or a member of an archive, is refused with a
// *ConflictError: its file belongs to the dataset (to drop its rows, ignore
// the file). A missing item is an error matching ErrNotFound.
func (e *Engine) DeleteUpload(ctx context.Context, storedItemID int64) error {
	it, err := e.store.GetStoredItem(ctx, storedItemID)
	if err != nil {
		return err
	}
	if it.Signature != "" || it.DuplicateOfID != nil || it.IsIngested || it.ParentID != nil {
		return &ConflictError{Msg: fmt.Sprintf("stored item %d holds a published file; to drop its rows, PATCH it with ignore_file", it.ID)}
	}
	if it.BackupKey != "" {
		b, _, err := e.backupOf(ctx, it.BackupSettingsID)
		if err != nil {
			return err
		}
		if err := b.Delete(ctx, it.BackupKey); err != nil {
			return fmt.Errorf("delete the backup of stored item %d: %w", it.ID, err)
		}
	}
	return e.store.DeleteStoredItem(ctx, it.ID)
}

// handleFile routes a stored item: to training while its dataset has no
// table, to ingestion once it has one.
func (e *Engine) handleFile(ctx context.Context, data json.RawMessage) error {
	var ref jobRef
	if err := json.Unmarshal(data, &ref); err != nil {
		return err
	}
	it, err := e.store.GetStoredItem(ctx, ref.StoredItemID)
	if err != nil {
		return err
	}
	if it.DuplicateOfID != nil || it.IgnoreFile {
		return nil
	}
	ds, err := e.store.GetDataset(ctx, ref.DatasetID)
	if err != nil {
		return err
	}
	if it.ParentID == nil {
		// An archive of several files: each member is a file of its own.
		members, err := e.splitArchive(ctx, ds, it)
		if err != nil || members {
			return err
		}
	}
	cur, err := e.store.MigrationsInState(ctx, ds.ID, MigrationStateCurrent)
	if err != nil {
		return err
	}
	if len(cur) == 0 {
		if _, err := e.store.CreateTrainingDataItem(ctx, &TrainingDataItem{Enabled: true, Name: it.Key, StoredItemID: &it.ID,
			SettingsModelID: &ds.SettingsModel.ID, DatasetID: &ds.ID, DatasetName: ds.Name, AlertItemsIDs: []int64{}}); err != nil {
			return err
		}
		_, err := e.ScheduleTraining(ctx, ds.ID)
		return err
	}
	return e.queueIngestion(ctx, ds, it)
}

// splitArchive makes a stored item of each member of an archive that holds
// several files (a zip of CSVs; not the sheets of a workbook), each routed
// like any file, and reports whether it did. A member reads its bytes from
// the archive's backup: its key is the member's path in the archive.
func (e *Engine) splitArchive(ctx context.Context, ds *Dataset, it *StoredItem) (bool, error) {
	src, opts, err := e.itemOptions(ctx, ds, it)
	if err != nil {
		return false, err
	}
	rc, err := e.OpenFile(ctx, it)
	if err != nil {
		return false, err
	}
	var names []string
	all := 0
	werr := analyzer.Walk(ctx, rc, it.Key, opts, func(t *analyzer.Table) error {
		if t.Sheet == "" && strings.HasPrefix(t.Name, it.Key+"/") {
			all++
			// The data source's archive_pattern keeps only the members it matches.
			if src == nil || matches(src.ArchivePattern, strings.TrimPrefix(t.Name, it.Key+"/")) {
				names = append(names, t.Name)
			}
		}
		return nil
	})
	rc.Close()
	if werr != nil || all < 2 && len(names) == all {
		return false, nil // not an archive of several files: the file is routed as it is (errors surface when it is read)
	}
	for _, name := range names {
		child := &StoredItem{Key: name, DataSourceModelID: it.DataSourceModelID, DataSourceModelName: it.DataSourceModelName,
			DatasetID: it.DatasetID, ParentID: &it.ID, BackupSettingsID: it.BackupSettingsID, BackupKey: it.BackupKey,
			CompressionTypeOfBackupData: it.CompressionTypeOfBackupData, IsBackupEncrypted: it.IsBackupEncrypted,
			Signature: it.Signature + ":" + name, WhodunitID: it.WhodunitID, OtherNames: []string{}}
		existing, err := e.store.FindStoredItemBySignature(ctx, ds.ID, child.Signature, 0)
		if err != nil {
			return false, err
		}
		if existing != nil && existing.ParentID != nil && *existing.ParentID == it.ID {
			child = existing // a retry: the member was recorded already
		} else if child, err = e.store.CreateStoredItem(ctx, child); err != nil {
			return false, err
		}
		if err := e.put(ctx, QueueFiles, "stored_item:"+strconv.FormatInt(child.ID, 10),
			jobRef{DatasetID: ds.ID, StoredItemID: child.ID}, e.now(), child.DataSourceModelID); err != nil {
			return false, err
		}
	}
	return true, nil
}

// memberOf is the archive member a stored item stands for, or "" for a whole file.
func memberOf(it *StoredItem) string {
	if it.ParentID == nil {
		return ""
	}
	return it.Key
}

// queueIngestion creates the ingestion job of a stored item (once) and queues it.
func (e *Engine) queueIngestion(ctx context.Context, ds *Dataset, it *StoredItem) error {
	if j, err := e.store.IngestionJobOfStoredItem(ctx, it.ID); err != nil || j != nil {
		return err
	}
	j, err := e.store.CreateIngestionJob(ctx, &IngestionJob{State: IngestionJobStateCreated, Key: it.Key, StoredItemID: &it.ID,
		DataSourceModelID: it.DataSourceModelID, DataSourceModelName: it.DataSourceModelName, SettingsModelID: &ds.SettingsModel.ID,
		DatasetID: &ds.ID, DatasetName: ds.Name})
	if err != nil {
		return err
	}
	return e.put(ctx, QueueIngestion, "ingestion_job:"+strconv.FormatInt(j.ID, 10),
		map[string]int64{"dataset_id": ds.ID, "stored_item_id": it.ID, "ingestion_job_id": j.ID}, e.now(), it.DataSourceModelID)
}

// SignUpload prepares a stored item for a direct upload to its dataset's
// backup storage: it fixes the object's key (the client writes the bytes as
// they are: Publish compresses and encrypts them as the dataset says) and
// returns a pre-signed URL. The backup storage must be a SignedUploader.
func (e *Engine) SignUpload(ctx context.Context, storedItemID int64, expires time.Time) (*SignedUpload, error) {
	it, err := e.store.GetStoredItem(ctx, storedItemID)
	if err != nil {
		return nil, err
	}
	_, ds, err := e.sourceAndDataset(ctx, *it.DataSourceModelID)
	if err != nil {
		return nil, err
	}
	b, bs, err := e.backupOf(ctx, ds.BackupSettingsID)
	if err != nil {
		return nil, err
	}
	signer, ok := b.(SignedUploader)
	if !ok {
		return nil, &ConflictError{Msg: fmt.Sprintf("%s backup storage cannot sign upload URLs", bs.BackupType)}
	}
	key := e.backupKey(ds, it, BackupEncoding{})
	if _, err := e.store.UpdateStoredItem(ctx, it.ID, func(s *StoredItem) error {
		s.BackupKey, s.CompressionTypeOfBackupData, s.IsBackupEncrypted = key, "", false
		return nil
	}); err != nil {
		return nil, err
	}
	return signer.SignUpload(ctx, key, expires)
}
