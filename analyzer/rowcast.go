package analyzer

import (
	"errors"
	"fmt"
)

// RowCaster casts whole rows read by a Reader into the values of the
// analysed columns, in the order of the columns: what ingestion hands to
// pgx.CopyFrom. Columns expanded from a JSON field take their value from
// that field's object.
type RowCaster struct {
	cols []*Column
	pos  []int // position of the column's cell in the Reader's rows, -1 if absent
	from []int // for expanded columns, position of the JSON field's cell
	errs []*CastError
}

// NewRowCaster maps cols (usually Result.Columns, compiled) to the cells
// of the rows rd returns. Columns whose cell the reader does not return
// cast as null.
func NewRowCaster(cols []*Column, rd *Reader) (*RowCaster, error) {
	rc := &RowCaster{cols: cols, pos: make([]int, len(cols)), from: make([]int, len(cols))}
	at := map[int]int{}
	for i, idx := range rd.Indexes() {
		at[idx] = i
	}
	byName := map[string]int{}
	for _, c := range cols {
		if c.ExpandedFrom == "" {
			if p, ok := at[c.Index]; ok {
				byName[c.Name] = p
			}
		}
	}
	for i, c := range cols {
		rc.pos[i], rc.from[i] = -1, -1
		if c.ExpandedFrom != "" {
			p, ok := byName[c.ExpandedFrom]
			if !ok {
				return nil, fmt.Errorf("analyzer: column %q: expanded from %q, which the reader does not return", c.Name, c.ExpandedFrom)
			}
			rc.from[i] = p
			continue
		}
		if p, ok := at[c.Index]; ok {
			rc.pos[i] = p
		}
	}
	return rc, nil
}

// Cast casts row into dst (reused when large enough), one value per
// column. It returns the cast errors of the row (nil when every cell
// fits; the slice is reused by the next call); a cell that fails is nil in
// dst.
func (rc *RowCaster) Cast(row []string, dst []any) ([]any, []*CastError) {
	dst = dst[:0]
	rc.errs = rc.errs[:0]
	for i, c := range rc.cols {
		v := ""
		switch {
		case rc.from[i] >= 0:
			if rc.from[i] < len(row) {
				v, _ = JSONField(row[rc.from[i]], c.JSONKey)
			}
		case rc.pos[i] >= 0 && rc.pos[i] < len(row):
			v = row[rc.pos[i]]
		default:
			dst = append(dst, nil)
			continue
		}
		x, err := Cast(v, c)
		if err != nil {
			var ce *CastError
			if errors.As(err, &ce) {
				rc.errs = append(rc.errs, ce)
			}
			x = nil
		}
		dst = append(dst, x)
	}
	if len(rc.errs) == 0 {
		return dst, nil
	}
	return dst, rc.errs
}
