package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// uploadTTL is how long a signed upload URL of local storage is valid.
const uploadTTL = time.Hour

// engine returns the engine, or the error that says the server runs without one.
func (s *Server) engineOr() (*qluster.Engine, error) {
	if s.engine == nil {
		return nil, fmt.Errorf("%w: this server runs without the engine", qluster.ErrNotImplemented)
	}
	return s.engine, nil
}

// UploadFileToDataSource takes the multipart part named "file" into a data
// source, streaming it to backup storage.
func (s *Server) UploadFileToDataSource(ctx context.Context, req UploadFileToDataSourceRequestObject) (UploadFileToDataSourceResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	id := int64(req.DataSourceModelId)
	if err := s.canSeeSource(ctx, id); err != nil {
		return nil, err
	}
	if req.Body == nil {
		return nil, qluster.Invalid("file", "missing", "send the file as multipart/form-data in a part named \"file\"")
	}
	for {
		part, err := req.Body.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, qluster.Invalid("file", "missing", "no part named \"file\": send the file as multipart/form-data in a part named \"file\"")
		}
		if err != nil {
			return nil, qluster.Invalid("file", "value_error", "the multipart body could not be read: %v", err)
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		name := part.FileName()
		if name == "" {
			name = "upload"
		}
		it, err := e.AddFile(ctx, qluster.AddFileParams{DataSourceID: id, Name: name, Body: part, By: actor(ctx)})
		part.Close()
		if err != nil {
			return nil, err
		}
		return convert[UploadFileToDataSource200JSONResponse](it)
	}
}

// CreateStoredItemForUpload records a stored item and answers the URL its
// bytes go to: for local backup storage, this server's signed
// /api/uploads/{token}.
func (s *Server) CreateStoredItemForUpload(ctx context.Context, req CreateStoredItemForUploadRequestObject) (CreateStoredItemForUploadResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	id := int64(req.Body.DataSourceModelId)
	if err := s.canSeeSource(ctx, id); err != nil {
		return nil, err
	}
	src, err := s.store.GetDataSource(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return nil, qluster.Invalid("data_source_model_id", "not_found", "no data source has id %d", id)
		}
		return nil, err
	}
	ds, err := s.store.GetDataset(ctx, *src.DatasetID)
	if err != nil {
		return nil, err
	}
	local := true
	if ds.BackupSettingsID != nil {
		bs, err := s.store.GetBackupSettings(ctx, *ds.BackupSettingsID)
		if err != nil {
			return nil, err
		}
		local = bs.BackupType == qluster.BackupTypeLocal
	}
	it, err := e.CreateUpload(ctx, id, req.Body.Key, true, actor(ctx))
	if err != nil {
		return nil, err
	}
	exp := s.now().Add(uploadTTL)
	msg := fmt.Sprintf("PUT the file's bytes to url before %s, then POST /api/stored-items/%d/publish-for-ingestion", exp.UTC().Format(time.RFC3339), it.ID)
	if !local {
		// Object storage: a pre-signed URL of the storage itself.
		su, err := e.SignUpload(ctx, it.ID, exp)
		if err != nil {
			return nil, err
		}
		fields := map[string]any{}
		for k, v := range su.Fields {
			fields[k] = v
		}
		return CreateStoredItemForUpload200JSONResponse{Id: int(it.ID), Url: &su.URL, HttpMethod: &su.HTTPMethod, Fields: &fields, Msg: &msg}, nil
	}
	url := s.publicURL + "/api/uploads/" + s.signUpload(it.ID, exp)
	return CreateStoredItemForUpload200JSONResponse{Id: int(it.ID), Url: &url, HttpMethod: ptr("PUT"), Fields: &map[string]any{}, Msg: &msg}, nil
}

// signUpload makes the token of a signed upload URL: the stored item and the
// expiry, with an HMAC-SHA256 of both under the server's signing key.
func (s *Server) signUpload(id int64, exp time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(id))
	binary.BigEndian.PutUint64(b[8:], uint64(exp.Unix()))
	m := hmac.New(sha256.New, s.uploadKey)
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(append(b[:], m.Sum(nil)...))
}

// verifyUpload returns the stored item a token names, if it is genuine and not expired.
func (s *Server) verifyUpload(token string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 16+sha256.Size {
		return 0, fmt.Errorf("%w: the upload URL is not one this server signed", qluster.ErrUnauthenticated)
	}
	m := hmac.New(sha256.New, s.uploadKey)
	m.Write(raw[:16])
	if !hmac.Equal(m.Sum(nil), raw[16:]) {
		return 0, fmt.Errorf("%w: the upload URL is not one this server signed", qluster.ErrUnauthenticated)
	}
	if exp := time.Unix(int64(binary.BigEndian.Uint64(raw[8:16])), 0); s.now().After(exp) {
		return 0, fmt.Errorf("%w: the upload URL expired at %s; ask for a new one", qluster.ErrUnauthenticated, exp.UTC().Format(time.RFC3339))
	}
	return int64(binary.BigEndian.Uint64(raw[:8])), nil
}

// PutUpload receives the bytes of a stored item through its signed URL.
func (s *Server) PutUpload(ctx context.Context, req PutUploadRequestObject) (PutUploadResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	id, err := s.verifyUpload(req.Token)
	if err != nil {
		return nil, err
	}
	it, err := e.ReceiveUpload(ctx, id, req.Body)
	if err != nil {
		return nil, err
	}
	return convert[PutUpload200JSONResponse](it)
}

// PublishStoredItemForIngestion routes an uploaded stored item to training or ingestion.
func (s *Server) PublishStoredItemForIngestion(ctx context.Context, req PublishStoredItemForIngestionRequestObject) (PublishStoredItemForIngestionResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	it, err := s.visibleStoredItem(ctx, int64(req.StoredItemId))
	if err != nil {
		return nil, err
	}
	if _, err := e.Publish(ctx, it.ID); err != nil {
		return nil, err
	}
	out := PublishStoredItemForIngestion200JSONResponse{}
	if j, err := s.store.IngestionJobOfStoredItem(ctx, it.ID); err == nil && j != nil {
		out.IngestionJobId = ptr(int(j.ID))
	}
	return out, nil
}

// visibleStoredItem reads a stored item the acting user may see.
func (s *Server) visibleStoredItem(ctx context.Context, id int64) (*qluster.StoredItem, error) {
	it, err := s.store.GetStoredItem(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.DataSourceModelID != nil {
		if err := s.canSeeSource(ctx, *it.DataSourceModelID); err != nil {
			return nil, err
		}
	}
	return it, nil
}

// GetStoredItem answers one stored item.
func (s *Server) GetStoredItem(ctx context.Context, req GetStoredItemRequestObject) (GetStoredItemResponseObject, error) {
	it, err := s.visibleStoredItem(ctx, int64(req.StoredItemId))
	if err != nil {
		return nil, err
	}
	return convert[GetStoredItem200JSONResponse](it)
}

// GetStoredItems answers a page of stored items.
func (s *Server) GetStoredItems(ctx context.Context, req GetStoredItemsRequestObject) (GetStoredItemsResponseObject, error) {
	p := req.Params
	lp := postgres.ListStoredItemsParams{ListParams: listParams(p.Start, p.End, p.Limit, p.Reverse), SourceIDs: visibleSources(ctx),
		IsUploadedViaSignedURL: p.IsUploadedViaSignedUrl}
	filters := map[string]any{}
	lp.DataSourceModelID = idFilter(filters, "data_source_model_id", p.DataSourceModelId)
	lp.ParentID = idFilter(filters, "parent_id", p.ParentId)
	if p.IsUploadedViaSignedUrl != nil {
		filters["is_uploaded_via_signed_url"] = *p.IsUploadedViaSignedUrl
	}
	page, err := s.store.ListStoredItems(ctx, lp)
	if err != nil {
		return nil, err
	}
	return toList[GetStoredItems200JSONResponse](page, filters, "Stored items", nil)
}

// DeleteStoredItem deletes a stored item whose upload never completed (never
// published), and the object its bytes went to.
func (s *Server) DeleteStoredItem(ctx context.Context, req DeleteStoredItemRequestObject) (DeleteStoredItemResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	it, err := s.visibleStoredItem(ctx, int64(req.StoredItemId))
	if err != nil {
		return nil, err
	}
	if err := e.DeleteUpload(ctx, it.ID); err != nil {
		return nil, err
	}
	return DeleteStoredItem200JSONResponse{Result: "stored item " + strconv.FormatInt(it.ID, 10) + " deleted"}, nil
}

// DownloadStoredItem answers the original bytes of a stored item, read back
// from backup storage.
func (s *Server) DownloadStoredItem(ctx context.Context, req DownloadStoredItemRequestObject) (DownloadStoredItemResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	it, err := s.visibleStoredItem(ctx, int64(req.StoredItemId))
	if err != nil {
		return nil, err
	}
	if it.BackupKey == "" {
		return nil, &qluster.ConflictError{Msg: fmt.Sprintf("stored item %d has no file yet", it.ID)}
	}
	rc, err := e.OpenFile(ctx, it)
	if err != nil {
		return nil, err
	}
	return DownloadStoredItem200ApplicationoctetStreamResponse{Body: rc}, nil
}
