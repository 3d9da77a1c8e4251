package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/openqluster/qluster-go/qluster"
)

// table describes a document table: its name, the kind of object it holds (for
// error messages) and the document fields that are secrets.
type table struct {
	name    string
	kind    string
	secrets []string
}

var (
	tDestinations = table{"destinations", "destination", []string{"password"}}
	tBackups      = table{"backup_settings", "backup settings", []string{
		"backup_gpg_private_key", "backup_gpg_passphrase", "backup_s3_secret_key", "backup_gs_service_account_key"}}
	tDatasets    = table{"datasets", "dataset", nil}
	tSettings    = table{"settings_models", "settings model", nil}
	tDataSources = table{"data_source_models", "data source", []string{
		"s3_secret_key", "sftp_password", "sftp_ssh_key", "sftp_ssh_key_passphrase", "gs_service_account_key",
		"gpg_private_key", "gpg_passphrase", "file_password", "dropbox_access_token"}}
)

// rowMeta are the columns kept outside the document and merged into it on read.
var rowMeta = []string{"id", "version_id", "created_at", "updated_at"}

// docSelect is the expression that reads a whole object back as one document.
const docSelect = `doc || jsonb_build_object('id', id, 'version_id', version_id, 'created_at', created_at, 'updated_at', updated_at)`

// encode turns an object into the document stored for it: its JSON without
// the row columns, with secrets sealed. prev is the stored document of the
// object being updated (nil on insert): a secret sent back as the obfuscated
// placeholder keeps its stored value.
func (s *Store) encode(t table, v any, prev map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	for _, k := range rowMeta {
		delete(doc, k)
	}
	for _, k := range t.secrets {
		val, _ := doc[k].(string)
		switch {
		case val == qluster.Obfuscated:
			if prev != nil {
				doc[k] = prev[k]
			} else {
				doc[k] = ""
			}
		case val != "" && s.cipher != nil:
			sealed, err := s.cipher.Seal(val)
			if err != nil {
				return nil, fmt.Errorf("seal %s.%s: %w", t.kind, k, err)
			}
			doc[k] = sealed
		}
	}
	return doc, nil
}

// decode opens the secrets of a stored document and unmarshals it into dst.
func (s *Store) decode(t table, raw []byte, dst any) error {
	if len(t.secrets) > 0 && s.cipher != nil {
		doc := map[string]any{}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return err
		}
		for _, k := range t.secrets {
			if val, _ := doc[k].(string); val != "" {
				plain, err := s.cipher.Open(val)
				if err != nil {
					return fmt.Errorf("open %s.%s: %w", t.kind, k, err)
				}
				doc[k] = plain
			}
		}
		var err error
		if raw, err = json.Marshal(doc); err != nil {
			return err
		}
	}
	return json.Unmarshal(raw, dst)
}

// getDoc reads object id of table t into dst.
func (s *Store) getDoc(ctx context.Context, q sqlx.QueryerContext, t table, id int64, dst any) error {
	var raw []byte
	err := sqlx.GetContext(ctx, q, &raw, `SELECT `+docSelect+` FROM `+t.name+` WHERE id = $1`, id)
	if err != nil {
		return notFoundKey(translate(err, t.kind), id)
	}
	return s.decode(t, raw, dst)
}

func notFoundKey(err error, key any) error {
	if nf, ok := err.(*qluster.NotFoundError); ok {
		nf.Key = key
	}
	return err
}

// insertDoc writes v as a new object of table t with the extra columns given
// (column → value) and records the insert in history. It returns the new id.
func (s *Store) insertDoc(ctx context.Context, tx *sqlx.Tx, t table, v any, extra map[string]any, by *uuid.UUID) (int64, error) {
	doc, err := s.encode(t, v, nil)
	if err != nil {
		return 0, err
	}
	b, _ := json.Marshal(doc)
	cols, ph, args := []string{"doc"}, []string{"$1"}, []any{b}
	for c, val := range extra {
		args = append(args, val)
		cols = append(cols, c)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	var id int64
	err = tx.GetContext(ctx, &id, `INSERT INTO `+t.name+` (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(ph, ", ")+`) RETURNING id`, args...)
	if err != nil {
		return 0, translate(err, t.kind)
	}
	return id, writeHistory(ctx, tx, t.name, fmt.Sprint(id), 1, "insert", by, nil, b)
}

// updateDoc replaces the document of object id when its stored version is
// version (any version when version is nil), bumps the version and records
// the change in history. mutate receives the stored object (decoded into a
// fresh value made by newT) and changes it in place.
func updateDoc[T any](ctx context.Context, s *Store, tx *sqlx.Tx, t table, id int64, version *int64, by *uuid.UUID, mutate func(cur *T) error) (*T, error) {
	var row struct {
		Doc     []byte `db:"doc"`
		Full    []byte `db:"full"`
		Version int64  `db:"version_id"`
	}
	err := tx.GetContext(ctx, &row, `SELECT doc, `+docSelect+` AS full, version_id FROM `+t.name+` WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return nil, notFoundKey(translate(err, t.kind), id)
	}
	if version != nil && *version != row.Version {
		return nil, &qluster.ConflictError{Version: true, Msg: fmt.Sprintf(
			"%s %d is at version_id %d, not %d: someone changed it since you read it; read it again and reapply your change", t.kind, id, row.Version, *version)}
	}
	cur := new(T)
	if err := s.decode(t, row.Full, cur); err != nil {
		return nil, err
	}
	if err := mutate(cur); err != nil {
		return nil, err
	}
	prev := map[string]any{}
	if err := json.Unmarshal(row.Doc, &prev); err != nil {
		return nil, err
	}
	doc, err := s.encode(t, cur, prev)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(doc)
	var full []byte
	err = tx.GetContext(ctx, &full, `UPDATE `+t.name+` SET doc = $2, version_id = version_id + 1, updated_at = now() WHERE id = $1 RETURNING `+docSelect, id, b)
	if err != nil {
		return nil, translate(err, t.kind)
	}
	if err := writeHistory(ctx, tx, t.name, fmt.Sprint(id), row.Version+1, "update", by, row.Doc, b); err != nil {
		return nil, err
	}
	out := new(T)
	return out, s.decode(t, full, out)
}

// writeHistory records one change of one object.
func writeHistory(ctx context.Context, tx *sqlx.Tx, tableName, objectID string, version int64, op string, by *uuid.UUID, before, after []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO history (table_name, object_id, version_id, operation, whodunit_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, tableName, objectID, version, op, by, nullJSON(before), nullJSON(after))
	return err
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// History lists the changes of one object, oldest first.
func (s *Store) History(ctx context.Context, tableName, objectID string) ([]qluster.HistoryRecord, error) {
	var out []qluster.HistoryRecord
	err := s.db.SelectContext(ctx, &out, `SELECT id, table_name, object_id, version_id, operation, whodunit_id,
		COALESCE(before, 'null'::jsonb) AS before, COALESCE(after, 'null'::jsonb) AS after, created_at
		FROM history WHERE table_name = $1 AND object_id = $2 ORDER BY id`, tableName, objectID)
	return out, err
}

// filter is one condition of a list query: SQL with ? for each argument.
type filter struct {
	sql  string
	args []any
}

func where(fs []filter, args *[]any) string {
	var parts []string
	for _, f := range fs {
		s := f.sql
		for _, a := range f.args {
			*args = append(*args, a)
			s = strings.Replace(s, "?", fmt.Sprintf("$%d", len(*args)), 1)
		}
		parts = append(parts, "("+s+")")
	}
	if len(parts) == 0 {
		return "TRUE"
	}
	return strings.Join(parts, " AND ")
}

// listPage reads one page of rows of `from` (a table or a join) that pass the
// filters, selecting `sel` (which must scan into T) and ordering by idCol.
// It also finds the cursors of the pages before and after it.
func listPage[T any](ctx context.Context, q sqlx.QueryerContext, from, sel, idCol string, fs []filter, p qluster.ListParams, scan func(rows *sqlx.Rows) (T, int64, error)) (qluster.Page[T], error) {
	var page qluster.Page[T]
	if err := p.Validate(); err != nil {
		return page, err
	}
	ids := func(cond string, condArg *int64, desc bool) (string, []any) {
		var args []any
		w := where(fs, &args)
		if cond != "" {
			args = append(args, *condArg)
			w += fmt.Sprintf(" AND %s %s $%d", idCol, cond, len(args))
		}
		order := "ASC"
		if desc {
			order = "DESC"
		}
		args = append(args, p.Limit)
		return fmt.Sprintf(" FROM %s WHERE %s ORDER BY %s %s LIMIT $%d", from, w, idCol, order, len(args)), args
	}
	var tail string
	var args []any
	switch {
	case p.Start != nil:
		tail, args = ids(">=", p.Start, false)
	case p.End != nil:
		tail, args = ids("<=", p.End, true)
	default:
		tail, args = ids("", nil, p.Reverse)
	}
	rows, err := q.QueryxContext(ctx, "SELECT "+sel+tail, args...)
	if err != nil {
		return page, err
	}
	var got []int64
	for rows.Next() {
		item, id, err := scan(rows)
		if err != nil {
			rows.Close()
			return page, err
		}
		page.Items = append(page.Items, item)
		got = append(got, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, err
	}
	// Order the page for display.
	ascending := got
	if len(got) > 1 && got[0] > got[1] {
		for i, j := 0, len(page.Items)-1; i < j; i, j = i+1, j-1 {
			page.Items[i], page.Items[j] = page.Items[j], page.Items[i]
			got[i], got[j] = got[j], got[i]
		}
	}
	if p.Reverse {
		for i, j := 0, len(page.Items)-1; i < j; i, j = i+1, j-1 {
			page.Items[i], page.Items[j] = page.Items[j], page.Items[i]
		}
	}
	if len(ascending) == 0 {
		return page, nil
	}
	lo, hi := ascending[0], ascending[len(ascending)-1]
	neighbour := func(cond string, bound int64, desc bool) (*qluster.Cursor, error) {
		tail, args := ids(cond, &bound, desc)
		var nb []int64
		if err := sqlx.SelectContext(ctx, q, &nb, "SELECT "+idCol+tail, args...); err != nil {
			return nil, err
		}
		if len(nb) == 0 {
			return nil, nil
		}
		c := &qluster.Cursor{Start: nb[0], End: nb[len(nb)-1]}
		if c.Start > c.End {
			c.Start, c.End = c.End, c.Start
		}
		return c, nil
	}
	older, err := neighbour("<", lo, true)
	if err != nil {
		return page, err
	}
	newer, err := neighbour(">", hi, false)
	if err != nil {
		return page, err
	}
	if p.Reverse {
		page.Next, page.Previous = older, newer
	} else {
		page.Next, page.Previous = newer, older
	}
	return page, nil
}

// listDocs is listPage for a document table, decoding each row into T.
func listDocs[T any](ctx context.Context, s *Store, t table, fs []filter, p qluster.ListParams) (qluster.Page[T], error) {
	return listPage(ctx, s.db, t.name, "id, "+docSelect+" AS doc", "id", fs, p, func(rows *sqlx.Rows) (T, int64, error) {
		var id int64
		var raw []byte
		var v T
		if err := rows.Scan(&id, &raw); err != nil {
			return v, 0, err
		}
		return v, id, s.decode(t, raw, &v)
	})
}
