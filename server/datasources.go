package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/sources/sftpsource"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// dataSourceReadOnly are fields a client may send but never sets: the server owns them.
var dataSourceReadOnly = []string{"id", "version_id", "created_at", "updated_at", "bad_rows_count", "dataset_name"}

// defaultSourceStates are the states GET /api/data-sources lists unless told otherwise.
var defaultSourceStates = []string{"active", "disabled", "draft"}

// canSeeSource answers nil when the acting user may see data source id, and
// an ErrForbidden error when a limited_to_source user asks for a source that
// is not in its data_source_model_ids. Every handler that reads or acts on
// one data source for a limited_to_source user calls it first.
func (s *Server) canSeeSource(ctx context.Context, id int64) error {
	p := principal(ctx)
	if p == nil || p.User.UserType != qluster.UserTypeLimitedToSource {
		return nil
	}
	if slices.Contains(p.User.DataSourceModelIDs, id) {
		return nil
	}
	return fmt.Errorf("%w: data source %d is not one of the sources your account is limited to; ask a superuser to add it to your data_source_model_ids", qluster.ErrForbidden, id)
}

// visibleSource reads a data source the acting user may see.
func (s *Server) visibleSource(ctx context.Context, id int64) (*qluster.DataSource, error) {
	if err := s.canSeeSource(ctx, id); err != nil {
		return nil, err
	}
	return s.store.GetDataSource(ctx, id)
}

// visibleSources is the list of data source ids the acting user is limited
// to (never nil, possibly empty), or nil when it sees every source.
func visibleSources(ctx context.Context) []int64 {
	p := principal(ctx)
	if p == nil || p.User.UserType != qluster.UserTypeLimitedToSource {
		return nil
	}
	return nonNil(p.User.DataSourceModelIDs)
}

// obfuscate replaces each secret field of v (see postgres.SecretFields) that
// is set with qluster.Obfuscated, so secrets never leave the server; an empty
// secret stays empty. Every handler that answers a data source, destination
// or backup settings passes it through here.
func obfuscate[T any](v *T) {
	if v == nil {
		return
	}
	names := postgres.SecretFields(v)
	if len(names) == 0 {
		return
	}
	rv := reflect.ValueOf(v).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		f := rv.Field(i)
		if f.Kind() == reflect.String && f.String() != "" && slices.Contains(names, name) {
			f.SetString(qluster.Obfuscated)
		}
	}
}

// obfuscateHistory hides the secrets (sealed as they are) in the documents
// of history records.
func obfuscateHistory(records []qluster.HistoryRecord, secrets []string) ([]qluster.HistoryRecord, error) {
	hide := func(raw json.RawMessage) (json.RawMessage, error) {
		if len(raw) == 0 || string(raw) == "null" {
			return raw, nil
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, err
		}
		for _, k := range secrets {
			if v, _ := doc[k].(string); v != "" {
				doc[k] = qluster.Obfuscated
			}
		}
		return json.Marshal(doc)
	}
	out := make([]qluster.HistoryRecord, len(records))
	for i, r := range records {
		var err error
		if r.Before, err = hide(r.Before); err != nil {
			return nil, err
		}
		if r.After, err = hide(r.After); err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// withoutObfuscated drops from a JSON object body the secret fields sent as
// qluster.Obfuscated: a client that sends back what it read keeps the secret
// it cannot see.
func withoutObfuscated(raw []byte, secrets []string) ([]byte, error) {
	if len(raw) == 0 {
		return raw, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, qluster.Invalid("", "json_invalid", "the body is not a JSON object: %v", err)
	}
	for _, k := range secrets {
		var v string
		if json.Unmarshal(m[k], &v) == nil && v == qluster.Obfuscated {
			delete(m, k)
		}
	}
	return json.Marshal(m)
}

// hasKey reports whether the JSON object raw has the top-level field key.
func hasKey(raw []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// GetDataSources answers a page of data sources; a limited_to_source user
// sees only its own.
func (s *Server) GetDataSources(ctx context.Context, req GetDataSourcesRequestObject) (GetDataSourcesResponseObject, error) {
	p := req.Params
	lp := postgres.ListDataSourcesParams{ListParams: listParams(p.Start, p.End, p.Limit, p.Reverse), States: defaultSourceStates}
	filters := map[string]any{}
	if p.States != nil {
		lp.States = *p.States
	}
	filters["states"] = lp.States
	lp.DatasetID = idFilter(filters, "dataset_id", p.DatasetId)
	lp.IDs = visibleSources(ctx)
	page, err := s.store.ListDataSources(ctx, lp)
	if err != nil {
		return nil, err
	}
	return toList[GetDataSources200JSONResponse](page, filters, "Data Sources", obfuscate[qluster.DataSource])
}

// GetNewDataSourceForDataset answers a data source of the dataset filled
// with the defaults a POST would use.
func (s *Server) GetNewDataSourceForDataset(ctx context.Context, req GetNewDataSourceForDatasetRequestObject) (GetNewDataSourceForDatasetResponseObject, error) {
	ds, err := s.liveDataset(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	d := qluster.NewDataSource(ds)
	return convert[GetNewDataSourceForDataset200JSONResponse](&d)
}

// liveDataset reads a dataset that is not deleted.
func (s *Server) liveDataset(ctx context.Context, id int64) (*qluster.Dataset, error) {
	ds, err := s.store.GetDataset(ctx, id)
	if err != nil {
		return nil, err
	}
	if ds.State == qluster.DatasetStateDeleted {
		return nil, &qluster.ConflictError{Msg: fmt.Sprintf("dataset %d (%s) is deleted; data sources go into a dataset that is not", id, ds.Name)}
	}
	return ds, nil
}

// PostDataSourceModel creates a data source from the defaults overlaid with
// the fields sent. Its dataset is dataset_id, or the dataset of
// settings_model_id when dataset_id is not sent.
func (s *Server) PostDataSourceModel(ctx context.Context, _ PostDataSourceModelRequestObject) (PostDataSourceModelResponseObject, error) {
	d, err := s.createDataSource(ctx, qluster.NewDataSource(nil))
	if err != nil {
		return nil, err
	}
	return convert[PostDataSourceModel200JSONResponse](d)
}

func (s *Server) createDataSource(ctx context.Context, base qluster.DataSource) (*qluster.DataSource, error) {
	raw, err := withoutObfuscated(rawBody(ctx), postgres.SecretFields(&base))
	if err != nil {
		return nil, err
	}
	if err := overlay(&base, raw, nil, dataSourceReadOnly...); err != nil {
		return nil, err
	}
	if !hasKey(raw, "dataset_id") {
		base.DatasetID = nil // the store takes the dataset of settings_model_id
	}
	if err := s.checkDataSource(&base); err != nil {
		return nil, err
	}
	d, err := s.store.CreateDataSource(ctx, &base, actor(ctx))
	if err != nil {
		return nil, err
	}
	if err := s.scheduleSensor(ctx, d.ID); err != nil {
		return nil, err
	}
	obfuscate(d)
	return d, nil
}

// checkDataSource validates a data source about to be written, naming each
// bad field and how to fix it. Required connection fields are only enforced
// on active sources: a draft may be saved incomplete.
func (s *Server) checkDataSource(d *qluster.DataSource) error {
	v := &qluster.ValidationError{}
	if err := s.checkStruct(d); err != nil {
		if ve, ok := err.(*qluster.ValidationError); ok {
			v.Fields = append(v.Fields, ve.Fields...)
		} else {
			return err
		}
	}
	field := func(name string) []string { return []string{"body", name} }
	if !d.DataSourceType.Valid() {
		v.Add(field("data_source_type"), "enum", "%q is not a data source type: use s3, minio, sftp, gs, dropbox, stream or custom", d.DataSourceType)
	}
	switch {
	case d.State == qluster.DataSourceStateDeleted:
		v.Add(field("state"), "value_error", "a data source is deleted with DELETE /api/data-sources/{data_source_model_id}; use active, disabled or draft")
	case !d.State.Valid():
		v.Add(field("state"), "enum", "%q is not a data source state: use active, disabled or draft", d.State)
	}
	// The engine's own reading of schedules: what is saved is what the
	// sensors follow. Its error names the fix.
	if err := qluster.CheckSchedule(d.Schedule); err != nil {
		v.Add(field("schedule"), "value_error", "%v", err)
	}
	if d.ConnectionTimeout < 1 {
		v.Add(field("connection_timeout"), "value_error", "must be at least 1 (seconds), got %d", d.ConnectionTimeout)
	}
	if d.ChunkSizeToReadForHeader < 1 {
		v.Add(field("chunk_size_to_read_for_header"), "value_error", "must be at least 1 (lines), got %d", d.ChunkSizeToReadForHeader)
	}
	if d.SFTPPort < 1 || d.SFTPPort > 65535 {
		v.Add(field("sftp_port"), "value_error", "must be a TCP port between 1 and 65535, got %d; SFTP usually listens on 22", d.SFTPPort)
	}
	if d.SFTPHostKey != "" {
		if err := sftpsource.CheckHostKey(d.SFTPHostKey); err != nil {
			v.Add(field("sftp_host_key"), "value_error", "%v: give the server's key as ssh-keyscan prints it (\"ssh-ed25519 AAAA...\"), "+
				"its SHA256 fingerprint (\"SHA256:...\"), or leave it empty to trust the key shown at the first login", err)
		}
	}
	if d.S3DefaultBufferSize < 1 {
		v.Add(field("s3_default_buffer_size"), "value_error", "must be at least 1 (bytes), got %d", d.S3DefaultBufferSize)
	}
	for name, val := range map[string]string{"csv_delimiter": d.CSVDelimiter, "csv_quotechar": d.CSVQuotechar, "csv_escapechar": d.CSVEscapechar} {
		if utf8.RuneCountInString(val) > 1 {
			v.Add(field(name), "value_error", "must be one character, got %q; leave it empty to sniff it", val)
		}
	}
	switch d.CSVLineterminator {
	case "", "\n", "\r\n", "\r":
	default:
		v.Add(field("csv_lineterminator"), "value_error", "must be \"\\n\", \"\\r\\n\" or \"\\r\", got %q; leave it empty to sniff it", d.CSVLineterminator)
	}
	for name, val := range map[string]string{"pattern": d.Pattern, "archive_pattern": d.ArchivePattern} {
		if _, err := path.Match(val, ""); err != nil {
			v.Add(field(name), "value_error", "%q is not a valid glob (%v): use *, ? and [...] classes, e.g. \"*.csv\"", val, err)
		}
	}
	for i, c := range d.IgnoreColumnIDs {
		if n, err := strconv.Atoi(c); err != nil || n < 0 {
			v.Add([]string{"body", "ignore_column_ids", strconv.Itoa(i)}, "value_error", "%q is not a column position: use 0-based numbers such as \"0\" or \"3\"", c)
		}
	}
	if d.XLSDateModeOverride != nil && !d.XLSDateModeOverride.Valid() {
		v.Add(field("xls_date_mode_override"), "enum", "%q is not an xls date mode: use mode_0 (1900) or mode_1 (1904), or null for the dataset's", *d.XLSDateModeOverride)
	}
	if d.S3EndpointURL != "" {
		if u, err := url.Parse(d.S3EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.Add(field("s3_endpoint_url"), "value_error", "%q is not an http(s) URL: write e.g. https://minio.example.com:9000", d.S3EndpointURL)
		}
	}
	if d.GPGPrivateKey != "" {
		checkPrivateKey(v, "gpg_private_key", "gpg_passphrase", d.GPGPrivateKey, d.GPGPassphrase)
	}
	if d.State == qluster.DataSourceStateActive {
		need := func(name, val, why string) {
			if strings.TrimSpace(val) == "" {
				v.Add(field(name), "missing", "is required for an active %s source: %s; or save the source as a draft until you have it", d.DataSourceType, why)
			}
		}
		switch d.DataSourceType {
		case qluster.DataSourceTypeS3:
			need("s3_bucket", d.S3Bucket, "the bucket files are taken from")
		case qluster.DataSourceTypeMinio:
			need("s3_bucket", d.S3Bucket, "the bucket files are taken from")
			need("s3_endpoint_url", d.S3EndpointURL, "the URL of the MinIO server")
		case qluster.DataSourceTypeSftp:
			need("sftp_host", d.SFTPHost, "the SFTP server")
			need("sftp_user", d.SFTPUser, "the account to sign in as")
			if d.SFTPPassword == "" && d.SFTPSSHKey == "" {
				v.Add(field("sftp_password"), "missing", "an active sftp source needs sftp_password or sftp_ssh_key to sign in; or save it as a draft")
			}
		case qluster.DataSourceTypeGs:
			need("gs_bucket", d.GSBucket, "the bucket files are taken from")
		case qluster.DataSourceTypeDropbox:
			need("dropbox_access_token", d.DropboxAccessToken, "the token that reads the Dropbox folder")
		}
	}
	return v.Err()
}

// checkPrivateKey checks that key (the field keyField) is an armored OpenPGP
// private key and that passphrase (the field passField), when the key is
// protected, opens it.
func checkPrivateKey(v *qluster.ValidationError, keyField, passField, key, passphrase string) {
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(key))
	if err != nil || len(ring) == 0 || ring[0].PrivateKey == nil {
		v.Add([]string{"body", keyField}, "value_error", "is not an armored OpenPGP private key: paste the whole block from -----BEGIN PGP PRIVATE KEY BLOCK----- to its END line")
		return
	}
	for _, e := range ring {
		if e.PrivateKey != nil && e.PrivateKey.Encrypted {
			if passphrase == "" {
				v.Add([]string{"body", passField}, "missing", "%s is protected by a passphrase: send it as %s", keyField, passField)
				return
			}
			if err := e.PrivateKey.Decrypt([]byte(passphrase)); err != nil {
				v.Add([]string{"body", passField}, "value_error", "does not open %s: check the passphrase", keyField)
				return
			}
		}
	}
}

// GetDataSource answers one data source, its secrets obfuscated.
func (s *Server) GetDataSource(ctx context.Context, req GetDataSourceRequestObject) (GetDataSourceResponseObject, error) {
	id := int64(req.DataSourceModelId)
	d, err := s.visibleSource(ctx, id)
	if err != nil {
		return nil, err
	}
	obfuscate(d)
	return convert[GetDataSource200JSONResponse](d)
}

// PatchDataSourceModel changes the fields sent of a data source, locked on
// the version_id sent. A secret sent back as read (obfuscated) keeps its value.
func (s *Server) PatchDataSourceModel(ctx context.Context, req PatchDataSourceModelRequestObject) (PatchDataSourceModelResponseObject, error) {
	id := int64(req.DataSourceModelId)
	if req.Body.Id != req.DataSourceModelId {
		return nil, qluster.Invalid("id", "value_error", "the body's id %d is not the data source %d of the path; send the id of the source you patch", req.Body.Id, id)
	}
	if err := s.canSeeSource(ctx, id); err != nil {
		return nil, err
	}
	patch, err := withoutObfuscated(rawBody(ctx), postgres.SecretFields(&qluster.DataSource{}))
	if err != nil {
		return nil, err
	}
	d, err := s.store.UpdateDataSource(ctx, id, ptr(int64(req.Body.VersionId)), actor(ctx), func(d *qluster.DataSource) error {
		if err := overlay(d, patch, nil, dataSourceReadOnly...); err != nil {
			return err
		}
		return s.checkDataSource(d)
	})
	if err != nil {
		return nil, err
	}
	if err := s.scheduleSensor(ctx, d.ID); err != nil {
		return nil, err
	}
	obfuscate(d)
	return convert[PatchDataSourceModel200JSONResponse](d)
}

// GetDataSourceTiny answers the summary of a data source.
func (s *Server) GetDataSourceTiny(ctx context.Context, req GetDataSourceTinyRequestObject) (GetDataSourceTinyResponseObject, error) {
	id := int64(req.DataSourceModelId)
	if err := s.canSeeSource(ctx, id); err != nil {
		return nil, err
	}
	t, err := s.store.DataSourceTiny(ctx, id)
	if err != nil {
		return nil, err
	}
	return convert[GetDataSourceTiny200JSONResponse](t)
}

// GetDataSourceHistory answers the changes of a data source, oldest first,
// its secrets obfuscated.
func (s *Server) GetDataSourceHistory(ctx context.Context, req GetDataSourceHistoryRequestObject) (GetDataSourceHistoryResponseObject, error) {
	id := int64(req.DataSourceModelId)
	if err := s.canSeeSource(ctx, id); err != nil {
		return nil, err
	}
	h, err := s.store.DataSourceHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	h, err = obfuscateHistory(h, postgres.SecretFields(&qluster.DataSource{}))
	if err != nil {
		return nil, err
	}
	return convert[GetDataSourceHistory200JSONResponse](nonNil(h))
}

// GetDataSourceCopyForDataset answers a data source ready to be posted as a
// new source of the dataset: the configuration of the source named, without
// its id, in the dataset with its settings model.
func (s *Server) GetDataSourceCopyForDataset(ctx context.Context, req GetDataSourceCopyForDatasetRequestObject) (GetDataSourceCopyForDatasetResponseObject, error) {
	ds, err := s.liveDataset(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	c, err := s.dataSourceCopy(ctx, int64(req.DataSourceModelId), ds)
	if err != nil {
		return nil, err
	}
	obfuscate(c)
	return convert[GetDataSourceCopyForDataset200JSONResponse](c)
}

// dataSourceCopy is source id as a new source (of ds when not nil, else of
// its own dataset), secrets included.
func (s *Server) dataSourceCopy(ctx context.Context, id int64, ds *qluster.Dataset) (*qluster.DataSource, error) {
	src, err := s.store.GetDataSource(ctx, id)
	if err != nil {
		return nil, err
	}
	c := *src
	c.ID, c.VersionID, c.BadRowsCount, c.CreatedAt = 0, 0, 0, time.Time{}
	c.State = qluster.DataSourceStateActive
	c.Name = src.Name + " (copy)"
	if ds != nil {
		c.DatasetID, c.DatasetName = &ds.ID, ds.Name
		if ds.SettingsModel != nil {
			c.SettingsModelID = &ds.SettingsModel.ID
		}
	}
	return &c, nil
}

// PostCopyDataSourceModel creates a data source from the configuration of
// another (secrets included), overlaid with the fields sent: a secret sent
// as read (obfuscated) is copied from the source.
func (s *Server) PostCopyDataSourceModel(ctx context.Context, req PostCopyDataSourceModelRequestObject) (PostCopyDataSourceModelResponseObject, error) {
	base, err := s.dataSourceCopy(ctx, int64(req.DataSourceModelId), nil)
	if err != nil {
		return nil, err
	}
	d, err := s.createDataSource(ctx, *base)
	if err != nil {
		return nil, err
	}
	return convert[PostCopyDataSourceModel200JSONResponse](d)
}

// DeleteDataSource marks a data source deleted once the caller confirms its name.
func (s *Server) DeleteDataSource(ctx context.Context, req DeleteDataSourceRequestObject) (DeleteDataSourceResponseObject, error) {
	id := int64(req.DataSourceModelId)
	if err := s.canSeeSource(ctx, id); err != nil {
		return nil, err
	}
	if err := s.store.DeleteDataSource(ctx, id, req.Body.Name, actor(ctx)); err != nil {
		return nil, err
	}
	return DeleteDataSource200JSONResponse{Result: fmt.Sprintf("data source %d (%s) is deleted; its files and rows stay", id, req.Body.Name)}, nil
}
