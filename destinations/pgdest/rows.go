package pgdest

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/openqluster/qluster-go/qluster"
)

// RowsQuery selects one page of a table's rows.
type RowsQuery struct {
	// Page is 1-based; Limit rows per page.
	Page, Limit int
	// Equal keeps rows whose column equals the value (e.g. _stored_item_id).
	Equal map[string]int64
	// SourceIDs, when not nil, keeps only rows of these data sources.
	SourceIDs []int64
	// OrderBy are column names, each optionally prefixed with "~" for descending.
	OrderBy []string
}

// Rows reads one page of table t's rows (all columns, metadata included) and
// the number of rows that pass the filters. Column names in the query must
// be columns of the table: a wrong one is a *qluster.ValidationError naming it.
func (d *Destination) Rows(ctx context.Context, t qluster.TableRef, q RowsQuery) (fields []string, rows []map[string]any, total int64, err error) {
	cols, err := d.columnNames(ctx, t)
	if err != nil {
		return nil, nil, 0, err
	}
	if cols == nil {
		return []string{}, []map[string]any{}, 0, nil
	}
	known := map[string]bool{}
	for _, c := range cols {
		known[c] = true
	}
	v := &qluster.ValidationError{}
	var where []string
	var args []any
	for c, val := range q.Equal {
		if !known[c] {
			v.Add([]string{"query", c}, "value_error", "the table has no column %q", c)
			continue
		}
		args = append(args, val)
		where = append(where, fmt.Sprintf("%s = $%d", pgx.Identifier{c}.Sanitize(), len(args)))
	}
	if q.SourceIDs != nil {
		args = append(args, q.SourceIDs)
		where = append(where, fmt.Sprintf("_data_source_model_id = ANY($%d)", len(args)))
	}
	var order []string
	for _, o := range q.OrderBy {
		desc := strings.HasPrefix(o, "~")
		name := strings.TrimPrefix(o, "~")
		if name == "id" && !known["id"] {
			// The data table has no id of its own: its natural order is the file and line.
			if desc {
				order = append(order, "_stored_item_id DESC", "_line_number DESC")
			} else {
				order = append(order, "_stored_item_id", "_line_number")
			}
			continue
		}
		if !known[name] {
			v.Add([]string{"query", "order_by"}, "value_error", "the table has no column %q to order by; columns: %s", name, strings.Join(cols, ", "))
			continue
		}
		dir := ""
		if desc {
			dir = " DESC"
		}
		order = append(order, pgx.Identifier{name}.Sanitize()+dir)
	}
	if err := v.Err(); err != nil {
		return nil, nil, 0, err
	}
	w := ""
	if len(where) > 0 {
		w = " WHERE " + strings.Join(where, " AND ")
	}
	tbl := pgx.Identifier{t.Schema, t.Table}.Sanitize()
	if err := d.pool.QueryRow(ctx, "SELECT count(*) FROM "+tbl+w, args...).Scan(&total); err != nil {
		return nil, nil, 0, err
	}
	o := ""
	if len(order) > 0 {
		o = " ORDER BY " + strings.Join(order, ", ")
	}
	if q.Limit <= 0 {
		q.Limit = 20
	}
	if q.Page <= 0 {
		q.Page = 1
	}
	args = append(args, q.Limit, (q.Page-1)*q.Limit)
	res, err := d.pool.Query(ctx, fmt.Sprintf("SELECT * FROM %s%s%s LIMIT $%d OFFSET $%d", tbl, w, o, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, nil, 0, err
	}
	rows, err = pgx.CollectRows(res, pgx.RowToMap)
	if err != nil {
		return nil, nil, 0, err
	}
	if rows == nil {
		rows = []map[string]any{}
	}
	return cols, rows, total, nil
}

// columnNames lists the columns of t in order, or nil when t does not exist.
func (d *Destination) columnNames(ctx context.Context, t qluster.TableRef) ([]string, error) {
	rows, err := d.pool.Query(ctx, `SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, t.Schema, t.Table)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
