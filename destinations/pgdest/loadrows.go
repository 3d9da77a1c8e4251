package pgdest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/openqluster/qluster-go/qluster"
)

var _ qluster.Loader = (*Destination)(nil)

// cellKind is how one data column's cells are encoded.
type cellKind int

const (
	kText cellKind = iota
	kBool
	kInt16
	kInt32
	kInt64
	kNumeric
	kFloat
	kDate
	kTimestamp
	kTime
	kJSONB
	kTextArray
)

func kindOf(pgType string) cellKind {
	switch NormalizeType(pgType) {
	case "boolean":
		return kBool
	case "smallint":
		return kInt16
	case "integer":
		return kInt32
	case "bigint":
		return kInt64
	case "numeric":
		return kNumeric
	case "double precision":
		return kFloat
	case "date":
		return kDate
	case "timestamp", "timestamptz":
		return kTimestamp
	case "time":
		return kTime
	case "jsonb":
		return kJSONB
	case "text[]":
		return kTextArray
	}
	return kText
}

// flushAt is how many bytes of encoded rows are buffered before they are
// handed to COPY.
const flushAt = 256 << 10

// flushFull writes the rows rw holds to w once they reach flushAt bytes.
// It is called for every row, so the check stays inlined.
func flushFull(w io.Writer, rw *RowWriter) error {
	if rw.Len() < flushAt {
		return nil
	}
	return flush(w, rw)
}

// flush writes the rows rw holds to w and empties it.
func flush(w io.Writer, rw *RowWriter) error {
	_, err := w.Write(rw.Bytes())
	rw.Reset()
	return err
}

// LoadRows loads the rows of one file: it encodes them in PostgreSQL's binary
// COPY format as rows produces them (in a goroutine, so reading and casting
// the file overlap with the server's COPY) and loads them with Load.
func (d *Destination) LoadRows(ctx context.Context, t qluster.TableRef, p qluster.LoadParams, rows qluster.RowSource) (qluster.LoadResult, error) {
	kinds := make([]cellKind, len(p.Columns))
	names := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		kinds[i], names[i] = kindOf(c.Type), c.Name
	}
	goodR, goodW := io.Pipe()
	badR, badW := io.Pipe()
	goodDone := make(chan struct{})
	go func() {
		err := encodeGood(goodW, p, kinds, rows)
		goodW.CloseWithError(err)
		close(goodDone)
	}()
	go func() {
		<-goodDone // quarantined rows are complete once the good ones are
		badW.CloseWithError(encodeBad(badW, p, rows))
	}()
	res, err := d.Load(ctx, t, LoadParams{StoredItemID: p.StoredItemID, DataSourceModelID: p.DataSourceModelID, Columns: names,
		Process: p.Process, KeyColumns: p.KeyColumns, SnapshotAt: p.IngestedAt, BeforeCommit: p.BeforeCommit}, goodR, badR)
	// Unblock the encoders if Load stopped early, and wait for them.
	goodR.CloseWithError(io.ErrClosedPipe)
	badR.CloseWithError(io.ErrClosedPipe)
	<-goodDone
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		if rerr := rows.Err(); rerr != nil {
			return qluster.LoadResult{}, rerr
		}
		return qluster.LoadResult{}, err
	}
	return qluster.LoadResult{Rows: res.Rows, BadRows: res.BadRows}, nil
}

// encodeGood writes the good rows as a binary COPY stream.
func encodeGood(w io.Writer, p qluster.LoadParams, kinds []cellKind, rows qluster.RowSource) error {
	var rw RowWriter
	rw.Header()
	nfields := int16(5 + len(kinds))
	ingested := TimestampFromTime(p.IngestedAt)
	var items [][]byte
	for rows.Next() {
		rw.StartRow(nfields)
		rw.Int64(p.StoredItemID)
		rw.Int64(p.DataSourceModelID)
		rw.Int64(rows.Line())
		rw.Text(rows.Signature())
		rw.Timestamp(ingested)
		cells := rows.Cells()
		for i, k := range kinds {
			c := &cells[i]
			if c.Null {
				rw.Null()
				continue
			}
			switch k {
			case kBool:
				rw.Bool(c.Bool)
			case kInt16:
				rw.Int16(int16(c.Int))
			case kInt32:
				rw.Int32(int32(c.Int))
			case kInt64:
				rw.Int64(c.Int)
			case kNumeric:
				if err := rw.Numeric(c.Num); err != nil {
					return fmt.Errorf("line %d, column %s: %w", rows.Line(), p.Columns[i].Name, err)
				}
			case kFloat:
				rw.Float64(c.Float)
			case kDate:
				rw.Date(DateFromTime(c.Time))
			case kTimestamp:
				rw.Timestamp(TimestampFromTime(c.Time))
			case kTime:
				rw.Time(c.Micros)
			case kJSONB:
				rw.JSONB([]byte(c.Text))
			case kTextArray:
				items = items[:0]
				for _, s := range c.Items {
					items = append(items, []byte(s))
				}
				rw.TextArray(items)
			default:
				rw.TextString(c.Text)
			}
		}
		if err := flushFull(w, &rw); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rw.Trailer()
	_, err := w.Write(rw.Bytes())
	return err
}

// encodeBad writes the quarantined rows as a binary COPY stream of the
// quarantine table's columns.
func encodeBad(w io.Writer, p qluster.LoadParams, rows qluster.RowSource) error {
	bad := rows.Bad()
	var rw RowWriter
	rw.Header()
	var header [][]byte
	for bad.Next() {
		r := bad.Row()
		raw, err := json.Marshal(r.Raw)
		if err != nil {
			return err
		}
		errs, err := json.Marshal(r.Errors)
		if err != nil {
			return err
		}
		rw.StartRow(7)
		rw.Int64(p.StoredItemID)
		rw.Int64(p.DataSourceModelID)
		rw.Int64(r.Line)
		rw.TextString(r.Signature)
		rw.JSONB(raw)
		header = header[:0]
		for _, h := range r.Header {
			header = append(header, []byte(h))
		}
		rw.TextArray(header)
		rw.JSONB(errs)
		if err := flushFull(w, &rw); err != nil {
			return err
		}
	}
	if err := bad.Err(); err != nil {
		return err
	}
	rw.Trailer()
	_, err := w.Write(rw.Bytes())
	return err
}
