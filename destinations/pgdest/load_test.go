package pgdest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
)

// loadBundle is a bundle with a table of data columns id bigint, name text
// and amount numeric(12,2), and its quarantine table.
type loadBundle struct {
	*testBundle
	ref qluster.TableRef
}

// loadColumns are the data columns of loadSetup's table, in stream order.
var loadColumns = []string{"id", "name", "amount"}

func loadSetup(t *testing.T) *loadBundle {
	t.Helper()
	b := &loadBundle{testBundle: setup(t), ref: qluster.TableRef{Schema: "sales", Table: "orders"}}
	require.NoError(t, b.dest.Apply(b.ctx, b.ref, schemaOf("id", "bigint", "name", "text", "amount", "numeric(12,2)")))
	return b
}

// testLoadAt is the _ingested_at the test streams carry.
var testLoadAt = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// loadRow is one good row of a test stream: line, id (0 is NULL) and name.
type loadRow struct {
	line int64
	id   int64
	name string
}

// goodStream encodes rows of stored item item from data source source for
// loadSetup's table, amount 1.50 each.
func goodStream(item, source int64, rows ...loadRow) []byte {
	var w RowWriter
	w.Header()
	for _, r := range rows {
		w.StartRow(int16(5 + len(loadColumns)))
		w.Int64(item)
		w.Int64(source)
		w.Int64(r.line)
		w.TextString(fmt.Sprintf("sig%d", r.line))
		w.Timestamp(TimestampFromTime(testLoadAt))
		if r.id == 0 {
			w.Null()
		} else {
			w.Int64(r.id)
		}
		w.TextString(r.name)
		if err := w.Numeric([]byte("1.50")); err != nil {
			panic(err)
		}
	}
	w.Trailer()
	return w.Bytes()
}

// badStream encodes quarantined rows of item at lines.
func badStream(item, source int64, lines ...int64) []byte {
	var w RowWriter
	w.Header()
	for _, l := range lines {
		w.StartRow(int16(len(quarantineLoadColumns)))
		w.Int64(item)
		w.Int64(source)
		w.Int64(l)
		w.TextString(fmt.Sprintf("bad%d", l))
		w.JSONB(fmt.Appendf(nil, `{"id": "x%d"}`, l))
		w.TextArray([][]byte{[]byte("id"), []byte("name")})
		w.JSONB([]byte(`[{"field": "id", "msg": "not a number"}]`))
	}
	w.Trailer()
	return w.Bytes()
}

// rows returns "item:line:id:name" for each row of the table, in that order.
func (b *loadBundle) rows(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, s := range b.strings(t, `SELECT concat_ws(':', _stored_item_id, _line_number, coalesce(id::text, 'NULL'), name)
		FROM `+quoteTable(b.ref)+` ORDER BY _stored_item_id, _line_number`) {
		out = append(out, *s)
	}
	return out
}

// badRows returns "item:line" for each row of the quarantine table.
func (b *loadBundle) badRows(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, s := range b.strings(t, `SELECT _stored_item_id || ':' || _line_number
		FROM `+quoteTable(b.ref.QuarantineTable())+` ORDER BY _stored_item_id, _line_number`) {
		out = append(out, *s)
	}
	return out
}

// dump returns every row of both tables as text, every column but the
// quarantine table's serial _id.
func (b *loadBundle) dump(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, sql := range []string{
		`SELECT x::text FROM ` + quoteTable(b.ref) + ` x ORDER BY _stored_item_id, _line_number`,
		`SELECT row(_stored_item_id, _data_source_model_id, _line_number, _signature, _ingested_at, _raw, _header, _errors)::text
			FROM ` + quoteTable(b.ref.QuarantineTable()) + ` ORDER BY _stored_item_id, _line_number`,
	} {
		for _, s := range b.strings(t, sql) {
			out = append(out, *s)
		}
	}
	return out
}

// load loads good and bad (nil for none) as stored item p.StoredItemID.
func (b *loadBundle) load(t *testing.T, p LoadParams, good, bad []byte) (LoadResult, error) {
	t.Helper()
	if p.Columns == nil {
		p.Columns = loadColumns
	}
	var badR io.Reader
	if bad != nil {
		badR = bytes.NewReader(bad)
	}
	return b.dest.Load(b.ctx, b.ref, p, bytes.NewReader(good), badR)
}

func TestLoad(t *testing.T) {
	t.Parallel()
	b := loadSetup(t)
	snapshot := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	p1 := LoadParams{StoredItemID: 1, DataSourceModelID: 10, SnapshotAt: snapshot}
	res, err := b.load(t, p1, goodStream(1, 10, loadRow{2, 1, "a"}, loadRow{3, 2, "b"}, loadRow{5, 0, "c"}), badStream(1, 10, 4, 6))
	require.NoError(t, err)
	require.Equal(t, LoadResult{Rows: 3, BadRows: 2}, res)
	require.Equal(t, []string{"1:2:1:a", "1:3:2:b", "1:5:NULL:c"}, b.rows(t))
	require.Equal(t, []string{"1:4", "1:6"}, b.badRows(t))
	require.Equal(t, []*string{ptr("(1,10,2,sig2,\"2024-05-06 07:08:09+00\",1,a,1.50)")},
		b.strings(t, "SELECT x::text FROM sales.orders x WHERE _line_number = 2"))
	require.Equal(t, []*string{ptr(`(1,10,4,bad4,"2023-01-02 03:04:05+00","{""id"": ""x4""}","{id,name}","[{""msg"": ""not a number"", ""field"": ""id""}]")`)},
		b.strings(t, "SELECT row(_stored_item_id, _data_source_model_id, _line_number, _signature, _ingested_at, _raw, _header, _errors)::text FROM sales.orders_quarantine WHERE _line_number = 4"))

	// Another file of the same source.
	res, err = b.load(t, LoadParams{StoredItemID: 2, DataSourceModelID: 10}, goodStream(2, 10, loadRow{2, 7, "x"}), nil)
	require.NoError(t, err)
	require.Equal(t, LoadResult{Rows: 1}, res)

	// Loading file 1 again replaces its rows, good and bad, and only its.
	res, err = b.load(t, p1, goodStream(1, 10, loadRow{2, 1, "a2"}, loadRow{3, 2, "b2"}), badStream(1, 10, 9))
	require.NoError(t, err)
	require.Equal(t, LoadResult{Rows: 2, BadRows: 1}, res)
	require.Equal(t, []string{"1:2:1:a2", "1:3:2:b2", "2:2:7:x"}, b.rows(t))
	require.Equal(t, []string{"1:9"}, b.badRows(t))

	// Again, without bad rows: its quarantined rows go.
	before := b.dump(t)
	res, err = b.load(t, p1, goodStream(1, 10, loadRow{2, 1, "a2"}, loadRow{3, 2, "b2"}), nil)
	require.NoError(t, err)
	require.Equal(t, LoadResult{Rows: 2}, res)
	require.Equal(t, before[:3], b.dump(t))
	require.Empty(t, b.badRows(t))

	// An empty file empties its rows.
	res, err = b.load(t, p1, goodStream(1, 10), badStream(1, 10))
	require.NoError(t, err)
	require.Equal(t, LoadResult{}, res)
	require.Equal(t, []string{"2:2:7:x"}, b.rows(t))
}

func TestLoadReplace(t *testing.T) {
	t.Parallel()
	b := loadSetup(t)
	for _, f := range []struct{ item, source int64 }{{1, 7}, {2, 7}, {3, 8}} {
		_, err := b.load(t, LoadParams{StoredItemID: f.item, DataSourceModelID: f.source},
			goodStream(f.item, f.source, loadRow{2, f.item, "old"}, loadRow{3, f.item * 10, "old"}), badStream(f.item, f.source, 4))
		require.NoError(t, err)
	}
	p := LoadParams{StoredItemID: 4, DataSourceModelID: 7, Process: qluster.DataLoadingProcessReplace, SnapshotAt: testLoadAt}
	res, err := b.load(t, p, goodStream(4, 7, loadRow{2, 4, "new"}), badStream(4, 7, 3))
	require.NoError(t, err)
	require.Equal(t, LoadResult{Rows: 1, BadRows: 1}, res)
	require.Equal(t, []string{"3:2:3:old", "3:3:30:old", "4:2:4:new"}, b.rows(t))
	require.Equal(t, []string{"1:4", "2:4", "3:4", "4:3"}, b.badRows(t), "the other files' quarantined rows stay")

	// Replacing again with the same file changes nothing.
	before := b.dump(t)
	_, err = b.load(t, p, goodStream(4, 7, loadRow{2, 4, "new"}), badStream(4, 7, 3))
	require.NoError(t, err)
	require.Equal(t, before, b.dump(t))
}

func TestLoadUpsert(t *testing.T) {
	t.Parallel()
	b := loadSetup(t)
	p1 := LoadParams{StoredItemID: 1, DataSourceModelID: 7, Process: qluster.DataLoadingProcessUpsert, KeyColumns: []string{"id"}}
	res, err := b.load(t, p1, goodStream(1, 7, loadRow{2, 1, "a"}, loadRow{3, 2, "b"}, loadRow{4, 3, "c"}), nil)
	require.NoError(t, err)
	require.Equal(t, LoadResult{Rows: 3}, res)
	require.Contains(t, b.indexes(t, b.ref), `btree (id)`)
	require.Equal(t, []*string{ptr("orders_upsert_key")}, b.strings(t,
		`SELECT indexname::text FROM pg_indexes WHERE schemaname = 'sales' AND tablename = 'orders' AND indexdef LIKE '%UNIQUE%'`))

	p2 := p1
	p2.StoredItemID = 2
	good2 := goodStream(2, 7,
		loadRow{2, 2, "B"},
		loadRow{3, 4, "d"},
		loadRow{5, 4, "D"}, // the same key later in the file wins
		loadRow{6, 0, "n1"},
		loadRow{7, 0, "n2"}, // NULL keys never conflict
	)
	res, err = b.load(t, p2, good2, badStream(2, 7, 4))
	require.NoError(t, err)
	require.Equal(t, LoadResult{Rows: 5, BadRows: 1}, res)
	want := []string{"1:2:1:a", "1:4:3:c", "2:2:2:B", "2:5:4:D", "2:6:NULL:n1", "2:7:NULL:n2"}
	require.Equal(t, want, b.rows(t))

	// Loading file 2 again leaves the same rows.
	res, err = b.load(t, p2, good2, badStream(2, 7, 4))
	require.NoError(t, err)
	require.Equal(t, LoadResult{Rows: 5, BadRows: 1}, res)
	require.Equal(t, want, b.rows(t))
	require.Equal(t, []string{"2:4"}, b.badRows(t))

	t.Run("ExistingIndex", func(t *testing.T) {
		t.Parallel()
		b := loadSetup(t)
		b.exec(t, "CREATE UNIQUE INDEX mine ON sales.orders (name, id)")
		p := LoadParams{StoredItemID: 1, Process: qluster.DataLoadingProcessUpsert, KeyColumns: []string{"id", "name"}}
		_, err := b.load(t, p, goodStream(1, 0, loadRow{2, 1, "a"}, loadRow{3, 1, "a"}, loadRow{4, 1, "b"}), nil)
		require.NoError(t, err)
		require.Equal(t, []string{"1:3:1:a", "1:4:1:b"}, b.rows(t))
		require.Len(t, b.indexes(t, b.ref), 2, "the index on (name, id) serves, none is added")
	})
	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		b := loadSetup(t)
		p := LoadParams{StoredItemID: 1, Process: qluster.DataLoadingProcessUpsert}
		_, err := b.load(t, p, goodStream(1, 0), nil)
		require.ErrorContains(t, err, "KeyColumns are required")

		p.KeyColumns = []string{"nope"}
		_, err = b.load(t, p, goodStream(1, 0), nil)
		require.ErrorContains(t, err, `key column "nope" is not one of the loaded data columns`)

		p.KeyColumns, p.Columns = []string{"nope"}, []string{"id", "name", "nope"}
		_, err = b.load(t, p, goodStream(1, 0), nil)
		require.ErrorContains(t, err, `the upsert key columns "nope" are not columns of "sales"."orders"`)

		// Duplicate keys already in the table.
		_, err = b.load(t, LoadParams{StoredItemID: 9}, goodStream(9, 0, loadRow{2, 1, "a"}, loadRow{3, 1, "b"}), nil)
		require.NoError(t, err)
		p.KeyColumns, p.Columns = []string{"id"}, nil
		_, err = b.load(t, p, goodStream(1, 0, loadRow{2, 1, "x"}), nil)
		require.ErrorIs(t, err, qluster.ErrConflict)
		require.ErrorContains(t, err, "already holds rows with equal keys")
		require.Equal(t, []string{"9:2:1:a", "9:3:1:b"}, b.rows(t))
	})
}

func TestLoadSnapshotAppends(t *testing.T) {
	t.Parallel()
	b := loadSetup(t)
	for item := int64(1); item <= 2; item++ {
		res, err := b.load(t, LoadParams{StoredItemID: item, DataSourceModelID: 7, Process: qluster.DataLoadingProcessSnapshot},
			goodStream(item, 7, loadRow{2, 1, "same"}, loadRow{3, 2, "same"}), nil)
		require.NoError(t, err)
		require.Equal(t, LoadResult{Rows: 2}, res)
	}
	require.Equal(t, []string{"1:2:1:same", "1:3:2:same", "2:2:1:same", "2:3:2:same"}, b.rows(t))
	require.Equal(t, []*string{ptr("2024-05-06 07:08:09+00")}, b.strings(t, "SELECT DISTINCT _ingested_at::text FROM sales.orders"))
}

// TestLoadStreams loads from pipes written by one producer, good then bad,
// in small writes.
func TestLoadStreams(t *testing.T) {
	t.Parallel()
	b := loadSetup(t)
	const n = 20000
	goodR, goodW := io.Pipe()
	badR, badW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			var w RowWriter
			w.Header()
			for i := range int64(n) {
				w.StartRow(int16(5 + len(loadColumns)))
				w.Int64(1)
				w.Null()
				w.Int64(i + 2)
				w.TextString("sig")
				w.Timestamp(TimestampFromTime(testLoadAt))
				w.Int64(i)
				w.TextString("name")
				w.Null()
				if _, err := goodW.Write(w.Bytes()); err != nil {
					return err
				}
				w.Reset()
			}
			w.Trailer()
			if _, err := goodW.Write(w.Bytes()); err != nil {
				return err
			}
			if err := goodW.Close(); err != nil {
				return err
			}
			_, err := badW.Write(badStream(1, 0, 1, 3))
			badW.Close()
			return err
		}()
	}()
	res, err := b.dest.Load(b.ctx, b.ref, LoadParams{StoredItemID: 1, Columns: loadColumns}, goodR, badR)
	require.NoError(t, err)
	require.NoError(t, <-done)
	require.Equal(t, LoadResult{Rows: n, BadRows: 2}, res)
	require.Equal(t, []*string{ptr(fmt.Sprint(n))}, b.strings(t, "SELECT count(DISTINCT id)::text FROM sales.orders"))
}

func TestLoadCanceled(t *testing.T) {
	t.Parallel()
	b := loadSetup(t)
	p := LoadParams{StoredItemID: 1, Columns: loadColumns}
	_, err := b.load(t, p, goodStream(1, 0, loadRow{2, 1, "kept"}), badStream(1, 0, 3))
	require.NoError(t, err)
	before := b.dump(t)

	for _, at := range []string{"start", "good", "bad"} {
		t.Run(at, func(t *testing.T) {
			ctx, cancel := context.WithCancel(b.ctx)
			defer cancel()
			goodR, goodW := io.Pipe()
			badR, badW := io.Pipe()
			sent, stuck := make(chan error, 1), make(chan struct{})
			defer close(stuck)
			go func() {
				// Part of the rows, then the producer is stuck.
				var err error
				switch at {
				case "good":
					all := goodStream(1, 0, loadRow{2, 1, "new"}, loadRow{3, 2, "new"})
					_, err = goodW.Write(all[:len(all)-2])
				case "bad":
					if _, err = goodW.Write(goodStream(1, 0, loadRow{2, 1, "new"})); err == nil {
						goodW.Close()
						all := badStream(1, 0, 5)
						_, err = badW.Write(all[:len(all)-2])
					}
				}
				sent <- err
				<-stuck
			}()
			errc := make(chan error, 1)
			go func() {
				_, err := b.dest.Load(ctx, b.ref, p, goodR, badR)
				errc <- err
			}()
			require.NoError(t, <-sent)
			time.Sleep(50 * time.Millisecond) // let the rows reach the server
			cancel()
			select {
			case err := <-errc:
				require.ErrorIs(t, err, context.Canceled)
			case <-time.After(10 * time.Second):
				t.Fatal("Load did not return after ctx was cancelled")
			}
			_, err := badW.Write([]byte{0})
			require.ErrorIs(t, err, context.Canceled, "a producer that writes on is stopped")
			if at != "bad" {
				_, err = goodW.Write([]byte{0})
				require.ErrorIs(t, err, context.Canceled)
			}
			require.Equal(t, before, b.dump(t), "rolled back")
		})
	}
}

func TestLoadFailsAndChangesNothing(t *testing.T) {
	t.Parallel()
	b := loadSetup(t)
	p := LoadParams{StoredItemID: 1, DataSourceModelID: 3}
	_, err := b.load(t, p, goodStream(1, 3, loadRow{2, 1, "kept"}), badStream(1, 3, 3))
	require.NoError(t, err)
	before := b.dump(t)

	good := goodStream(1, 3, loadRow{2, 1, "new"}, loadRow{3, 2, "new"})
	textAsBigint := bytes.Replace(goodStream(1, 3, loadRow{2, 1, "new"}),
		[]byte{0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1}, []byte{0, 0, 0, 3, 'a', 'b', 'c'}, 1)
	var wrongCount RowWriter
	wrongCount.Header()
	wrongCount.StartRow(2)
	wrongCount.Int64(1)
	wrongCount.Int64(3)
	wrongCount.Trailer()
	var nullItem RowWriter
	nullItem.Header()
	nullItem.StartRow(8)
	nullItem.Null()
	for range 7 {
		nullItem.Null()
	}
	nullItem.Trailer()
	for name, c := range map[string]struct {
		good, bad []byte
		p         LoadParams
		want      string
	}{
		"Truncated":     {good: good[:len(good)-7], want: "ended in the middle of a row"},
		"NoTrailer":     {good: good[:len(good)-2], want: "ended without its trailer"},
		"BadNoTrailer":  {good: good, bad: badStream(1, 3, 4, 5)[:len(badStream(1, 3, 4, 5))-2], want: "ended without its trailer"},
		"AfterTrailer":  {good: append(good[:len(good):len(good)], 0, 1), want: "after EOF marker"},
		"EmptyStream":   {good: []byte{}, want: "ended in the middle of a row or its header"},
		"HeaderOnly":    {good: good[:19], want: "ended without its trailer"},
		"NotCopy":       {good: []byte("id,name\n1,a\n"), want: "COPY file signature not recognized"},
		"FieldCount":    {good: wrongCount.Bytes(), want: "row field count is 2, expected 8"},
		"WrongType":     {good: textAsBigint, want: "insufficient data left in message"},
		"BadStream":     {good: good, bad: good, want: "row field count is 8, expected 7"},
		"BadTruncated":  {good: good, bad: badStream(1, 3, 4)[:30], want: "ended in the middle of a row"},
		"UnknownColumn": {good: good, p: LoadParams{Columns: []string{"id", "name", "nope"}}, want: `column "nope" of relation "orders" does not exist`},
		"NotNull":       {good: nullItem.Bytes(), want: `null value in column "_stored_item_id"`},
		"BeforeCommit": {good: good, p: LoadParams{BeforeCommit: func(context.Context) error { return errors.New("metadata store down") }},
			want: "before commit: metadata store down"},
	} {
		t.Run(name, func(t *testing.T) {
			lp := p
			if c.p.Columns != nil {
				lp.Columns = c.p.Columns
			}
			lp.BeforeCommit = c.p.BeforeCommit
			_, err := b.load(t, lp, c.good, c.bad)
			require.ErrorContains(t, err, c.want)
			require.ErrorContains(t, err, `pgdest.Load "sales"."orders": `)
			require.Equal(t, before, b.dump(t))
		})
	}
	// The pool's connections are still fine.
	_, err = b.load(t, p, goodStream(1, 3, loadRow{2, 1, "kept"}), badStream(1, 3, 3))
	require.NoError(t, err)
}

func TestLoadRejectsBadInput(t *testing.T) {
	t.Parallel()
	b := loadSetup(t)
	good := goodStream(1, 0)
	for _, c := range []struct {
		p    LoadParams
		want string
	}{
		{LoadParams{}, "StoredItemID is required"},
		{LoadParams{StoredItemID: 1, Process: "merge"}, `Process "merge" is not one of`},
		{LoadParams{StoredItemID: 1, Process: qluster.DataLoadingProcessReplace}, "DataSourceModelID is required by the replace process"},
		{LoadParams{StoredItemID: 1, Columns: []string{"id", "_line_number"}}, `"_line_number" is a metadata column`},
		{LoadParams{StoredItemID: 1, Columns: []string{"id", "id"}}, `"id" appears twice`},
		{LoadParams{StoredItemID: 1, Columns: []string{""}}, "name is empty"},
	} {
		_, err := b.dest.Load(b.ctx, b.ref, c.p, bytes.NewReader(good), nil)
		require.ErrorContains(t, err, c.want)
		require.ErrorContains(t, err, `pgdest.Load "sales"."orders": `)
	}
	_, err := b.dest.Load(b.ctx, b.ref, LoadParams{StoredItemID: 1}, nil, nil)
	require.ErrorContains(t, err, "reader is nil")
	_, err = b.dest.Load(b.ctx, qluster.TableRef{Schema: "sales", Table: strings.Repeat("x", 60)}, LoadParams{StoredItemID: 1}, bytes.NewReader(good), nil)
	require.ErrorContains(t, err, "quarantine table")

	missing := qluster.TableRef{Schema: "sales", Table: "nothing"}
	_, err = b.dest.Load(b.ctx, missing, LoadParams{StoredItemID: 1}, bytes.NewReader(good), nil)
	require.ErrorIs(t, err, qluster.ErrNotFound)
	require.ErrorContains(t, err, `table "sales"."nothing" not found`)
	_, err = b.dest.Load(b.ctx, missing, LoadParams{StoredItemID: 1, Columns: []string{"id"}, Process: qluster.DataLoadingProcessUpsert, KeyColumns: []string{"id"}},
		bytes.NewReader(good), nil)
	require.ErrorIs(t, err, qluster.ErrNotFound)

	// A failed load closes pipes, so that their producers stop.
	r, w := io.Pipe()
	go func() { _, _ = b.dest.Load(b.ctx, b.ref, LoadParams{}, r, nil) }()
	_, err = w.Write([]byte("x"))
	require.ErrorContains(t, err, "StoredItemID is required")
}

// TestStreamReaderFraming cuts a stream at every byte and reads it in
// pieces of every size: only the whole stream ends with io.EOF.
func TestStreamReaderFraming(t *testing.T) {
	t.Parallel()
	var w RowWriter
	w.Header()
	w.StartRow(3)
	w.Int64(-1) // ends with 0xffff, like the trailer
	w.Null()
	w.TextString("")
	w.StartRow(0)
	w.StartRow(2)
	w.TextArray([][]byte{[]byte("a"), nil})
	w.JSONB([]byte(`{"k": "v"}`))
	w.Trailer()
	stream := w.Bytes()
	for cut := 0; cut <= len(stream); cut++ {
		for _, piece := range []int{1, 2, 3, 5, 64} {
			r := newStreamReader(&pieceReader{b: stream[:cut], n: piece})
			got, err := io.ReadAll(r)
			require.Equal(t, stream[:cut], got)
			if cut == len(stream) {
				require.NoError(t, err, "pieces of %d", piece)
			} else {
				require.ErrorContains(t, err, "cut short", "cut at %d, pieces of %d", cut, piece)
			}
		}
	}
	r := newStreamReader(bytes.NewReader(append(stream[:19:19], 0xff, 0xfe)))
	_, err := io.ReadAll(r)
	require.ErrorContains(t, err, "a row of -2 fields")
}

// pieceReader returns b at most n bytes at a time.
type pieceReader struct {
	b []byte
	n int
}

func (p *pieceReader) Read(b []byte) (int, error) {
	if len(p.b) == 0 {
		return 0, io.EOF
	}
	k := copy(b[:min(len(b), p.n)], p.b)
	p.b = p.b[k:]
	return k, nil
}
