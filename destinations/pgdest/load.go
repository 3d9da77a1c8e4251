package pgdest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openqluster/qluster-go/qluster"
)

// LoadParams says how Load merges one file's rows into a table.
type LoadParams struct {
	// StoredItemID is the file the rows come from. Required: the rows a
	// load of the same file left in the table and its quarantine table
	// are deleted first.
	StoredItemID int64
	// DataSourceModelID is the file's data source. Required by the
	// replace process, which deletes the source's rows; otherwise only
	// used by the caller, who writes it into each row.
	DataSourceModelID int64
	// Columns are the table's data columns in the order each good row's
	// fields come after the five metadata fields. Every one must be a
	// column of the table; columns of the table not listed are NULL (or
	// their default) in the rows loaded.
	Columns []string
	// Process is how the good rows merge into the table: snapshot (the
	// default when empty) appends them, replace first deletes every row of
	// DataSourceModelID, upsert inserts or updates them on KeyColumns.
	Process qluster.DataLoadingProcess
	// KeyColumns identify a row for the upsert process; each must be one
	// of Columns. Other processes ignore them.
	KeyColumns []string
	// SnapshotAt, when not zero, is written to _ingested_at of the
	// quarantined rows (whose stream has no such field); when zero they
	// get the column default, the transaction's start time. Good rows carry
	// their _ingested_at in the stream: the caller writes the snapshot
	// time there.
	SnapshotAt time.Time
	// BeforeCommit, when not nil, runs after every row is written and
	// before the transaction commits; an error from it rolls the load back
	// and is returned. It runs on Load's goroutine, with Load's ctx.
	BeforeCommit func(ctx context.Context) error
}

// LoadResult counts the rows a load wrote.
type LoadResult struct {
	// Rows is the number of good rows in the stream, as COPY counted them.
	// With upsert, rows of the file with equal keys count once each here
	// but leave only the last in the table.
	Rows int64
	// BadRows is the number of rows written to the quarantine table.
	BadRows int64
}

// quarantineLoadColumns are the quarantine table's columns that Load's bad
// stream holds, in order.
var quarantineLoadColumns = []string{
	qluster.ColStoredItemID, qluster.ColDataSourceModelID, qluster.ColLineNumber, qluster.ColSignature,
	ColRaw, ColHeader, ColErrors,
}

// loadLockClass is the first key of the advisory locks Load takes per
// stored item and per data source ("qlsl"), beside Apply's lockClass.
const loadLockClass = 0x716c736c

// upsertStaging is the temporary table an upsert copies its rows into.
const upsertStaging = "qluster_upsert_staging"

// upsertIndexSuffix ends the name of the unique index Load creates for upsert.
const upsertIndexSuffix = "_upsert_key"

// minCopyChunk is the least number of bytes Load hands to a COPY message,
// unless the stream ends, so that a producer that writes small pieces does
// not cost one network write each.
const minCopyChunk = 32 << 10

// rollbackTimeout bounds the rollback of a failed load.
const rollbackTimeout = 10 * time.Second

// copyGrace is how long a cancelled load's COPY may take to end once its
// streams are closed before its connection is cut.
const copyGrace = 2 * time.Second

// Load writes one file's rows into table t and its quarantine table in one
// transaction on one connection, so that a file is loaded whole or not at
// all, and loading it again (a retry, a crash recovery) replaces its own
// rows instead of duplicating them:
//
//  1. it deletes the rows with _stored_item_id = p.StoredItemID from t and
//     from t's quarantine table, and with the replace process also every row
//     of t with _data_source_model_id = p.DataSourceModelID (the source's
//     quarantined rows are kept: they describe the files they came from);
//  2. it copies good into t, or with upsert into a temporary table (LIKE t)
//     that is then merged with INSERT … ON CONFLICT (p.KeyColumns) DO UPDATE
//     of every loaded column: when a file holds rows with equal keys the one
//     with the highest line number wins, and rows with a NULL key are
//     inserted as they are (they never conflict);
//  3. it copies bad, when not nil, into t's quarantine table;
//  4. it runs p.BeforeCommit, then commits.
//
// good is a complete PostgreSQL binary COPY stream (see RowWriter): the
// header, then rows of 5+len(p.Columns) fields — _stored_item_id,
// _data_source_model_id, _line_number, _signature, _ingested_at, then the
// data columns in p.Columns order, each encoded for its column's type —
// then the trailer. bad is the same for the quarantine table's columns
// _stored_item_id, _data_source_model_id, _line_number, _signature, _raw,
// _header, _errors. Both are streamed to the server as they are read, so a
// producer may write them through io.Pipe from another goroutine while the
// server loads; Load reads good to its end before it reads bad, so a
// producer writing both must finish good before it blocks writing bad.
// A malformed stream, or values the table refuses, fail the load with the
// server's error and change nothing; so does a stream that ends without its
// trailer, even at a row boundary where PostgreSQL would take it as
// complete, so that a producer that stops early never commits half a file.
//
// Loads of the same stored item into t take turns, and so do replace loads
// of the same data source, under transaction-scoped advisory locks
// (pg_advisory_xact_lock(0x716c736c, hashtext(…))); other loads of t run
// concurrently. Before its transaction an upsert makes sure a unique index
// on exactly p.KeyColumns exists, creating <table>_upsert_key if none does
// (under Apply's lock on t); that fails if the rows already in t have
// duplicate keys.
//
// Cancelling ctx aborts the load, rolls it back and returns an error
// matching ctx.Err() (context.Canceled or context.DeadlineExceeded). A read
// of good or bad that blocks is interrupted by calling its CloseWithError
// method with ctx.Err(), when it has one as *io.PipeReader does; other
// readers must return on their own. When Load fails it likewise closes good
// and bad with its error, so that a producer blocked writing into a pipe
// stops.
func (d *Destination) Load(ctx context.Context, t qluster.TableRef, p LoadParams, good, bad io.Reader) (res LoadResult, err error) {
	defer func() {
		if err != nil {
			closeReader(good, err)
			closeReader(bad, err)
		}
	}()
	if err := checkTable(t); err != nil {
		return LoadResult{}, fmt.Errorf("pgdest.Load: %w", err)
	}
	name := quoteTable(t)
	if p.Process == "" {
		p.Process = qluster.DataLoadingProcessSnapshot
	}
	if err := checkLoad(&p, good); err != nil {
		return LoadResult{}, fmt.Errorf("pgdest.Load %s: %w", name, err)
	}
	stop := context.AfterFunc(ctx, func() {
		closeReader(good, ctx.Err())
		closeReader(bad, ctx.Err())
	})
	defer stop()

	if p.Process == qluster.DataLoadingProcessUpsert {
		err = d.ensureUpsertIndex(ctx, t, p.KeyColumns)
	}
	if err == nil {
		res, err = d.load(ctx, t, &p, good, bad)
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return LoadResult{}, fmt.Errorf("pgdest.Load %s: %w", name, loadError(t, err))
	}
	return res, nil
}

// checkLoad checks p (whose Process is set) and good before anything runs.
func checkLoad(p *LoadParams, good io.Reader) error {
	var errs []error
	if good == nil {
		errs = append(errs, errors.New("the good rows' reader is nil"))
	}
	if p.StoredItemID == 0 {
		errs = append(errs, errors.New("LoadParams.StoredItemID is required"))
	}
	switch p.Process {
	case qluster.DataLoadingProcessSnapshot:
	case qluster.DataLoadingProcessReplace:
		if p.DataSourceModelID == 0 {
			errs = append(errs, errors.New("LoadParams.DataSourceModelID is required by the replace process"))
		}
	case qluster.DataLoadingProcessUpsert:
		if len(p.KeyColumns) == 0 {
			errs = append(errs, errors.New("LoadParams.KeyColumns are required by the upsert process"))
		}
	default:
		errs = append(errs, fmt.Errorf("LoadParams.Process %q is not one of replace, upsert, snapshot", p.Process))
	}
	seen := make(map[string]bool, len(p.Columns))
	for i, c := range p.Columns {
		switch {
		case checkIdent("column", c) != nil:
			errs = append(errs, fmt.Errorf("LoadParams.Columns[%d]: %w", i, checkIdent("column", c)))
		case isMetadata(c):
			errs = append(errs, fmt.Errorf("LoadParams.Columns[%d] %q is a metadata column; the stream's first five fields hold them", i, c))
		case seen[c]:
			errs = append(errs, fmt.Errorf("LoadParams.Columns: %q appears twice", c))
		}
		seen[c] = true
	}
	if p.Process == qluster.DataLoadingProcessUpsert {
		keys := make(map[string]bool, len(p.KeyColumns))
		for _, k := range p.KeyColumns {
			switch {
			case keys[k]:
				errs = append(errs, fmt.Errorf("LoadParams.KeyColumns: %q appears twice", k))
			case !seen[k] || isMetadata(k):
				errs = append(errs, fmt.Errorf("key column %q is not one of the loaded data columns (LoadParams.Columns)", k))
			}
			keys[k] = true
		}
	}
	return errors.Join(errs...)
}

// load does Load's transaction.
func (d *Destination) load(ctx context.Context, t qluster.TableRef, p *LoadParams, good, bad io.Reader) (LoadResult, error) {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return LoadResult{}, err
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return LoadResult{}, err
	}
	committed := false
	defer func() {
		if !committed {
			// ctx may be done; the rollback still deserves a chance, so
			// that the connection goes back to the pool clean. If it
			// fails pgx closes the connection, which rolls back too.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			_ = tx.Rollback(rctx)
		}
	}()

	name, qname := quoteTable(t), quoteTable(t.QuarantineTable())
	storedItem := strconv.FormatInt(p.StoredItemID, 10)
	replace := p.Process == qluster.DataLoadingProcessReplace
	if replace {
		// The source's lock first, always, so that two loads never wait
		// for each other's second lock.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`,
			int32(loadLockClass), name+" data source "+strconv.FormatInt(p.DataSourceModelID, 10)); err != nil {
			return LoadResult{}, err
		}
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`,
		int32(loadLockClass), name+" stored item "+storedItem); err != nil {
		return LoadResult{}, err
	}

	where := quoteIdent(qluster.ColStoredItemID) + " = $1"
	args := []any{p.StoredItemID}
	if replace {
		where += " OR " + quoteIdent(qluster.ColDataSourceModelID) + " = $2"
		args = append(args, p.DataSourceModelID)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM "+name+" WHERE "+where, args...); err != nil {
		return LoadResult{}, err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM "+qname+" WHERE "+quoteIdent(qluster.ColStoredItemID)+" = $1", p.StoredItemID); err != nil {
		return LoadResult{}, err
	}

	cols := make([]string, 0, len(metadataColumns)+len(p.Columns))
	for _, m := range metadataColumns {
		cols = append(cols, quoteIdent(m.name))
	}
	for _, c := range p.Columns {
		cols = append(cols, quoteIdent(c))
	}
	colList := strings.Join(cols, ", ")
	pg := conn.Conn().PgConn()
	var res LoadResult

	// Cancelling ctx closes good and bad (see Load), which ends a COPY with
	// CopyFail and leaves the connection usable. Cut at once instead (what
	// pgx does when the COPY's own context is cancelled), a connection
	// mid-COPY leaves a server that waits for copy data, and closing it then
	// takes pgx 15 s. So the COPYs get ctx only after copyGrace.
	copyCtx, cancelCopy := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCopy()
	stopCopy := context.AfterFunc(ctx, func() {
		t := time.NewTimer(copyGrace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelCopy()
		case <-copyCtx.Done():
		}
	})
	defer stopCopy()

	into := name
	if p.Process == qluster.DataLoadingProcessUpsert {
		into = quoteIdent(upsertStaging)
		if _, err := tx.Exec(ctx, "CREATE TEMPORARY TABLE "+into+" (LIKE "+name+" INCLUDING DEFAULTS) ON COMMIT DROP"); err != nil {
			return LoadResult{}, err
		}
	}
	tag, err := pg.CopyFrom(copyCtx, newStreamReader(good), "COPY "+into+" ("+colList+") FROM STDIN (FORMAT binary)")
	if err != nil {
		return LoadResult{}, fmt.Errorf("copying the good rows: %w", err)
	}
	res.Rows = tag.RowsAffected()
	if p.Process == qluster.DataLoadingProcessUpsert {
		if _, err := tx.Exec(ctx, upsertSQL(name, into, cols, p.KeyColumns)); err != nil {
			return LoadResult{}, fmt.Errorf("merging the good rows on the key columns: %w", err)
		}
	}

	if bad != nil {
		qcols := make([]string, len(quarantineLoadColumns))
		for i, c := range quarantineLoadColumns {
			qcols[i] = quoteIdent(c)
		}
		tag, err := pg.CopyFrom(copyCtx, newStreamReader(bad), "COPY "+qname+" ("+strings.Join(qcols, ", ")+") FROM STDIN (FORMAT binary)")
		if err != nil {
			return LoadResult{}, fmt.Errorf("copying the quarantined rows: %w", err)
		}
		res.BadRows = tag.RowsAffected()
		if res.BadRows > 0 && !p.SnapshotAt.IsZero() {
			if _, err := tx.Exec(ctx, "UPDATE "+qname+" SET "+quoteIdent(qluster.ColIngestedAt)+" = $1 WHERE "+
				quoteIdent(qluster.ColStoredItemID)+" = $2", p.SnapshotAt, p.StoredItemID); err != nil {
				return LoadResult{}, err
			}
		}
	}

	if p.BeforeCommit != nil {
		if err := p.BeforeCommit(ctx); err != nil {
			return LoadResult{}, fmt.Errorf("before commit: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return LoadResult{}, err
	}
	committed = true
	return res, nil
}

// upsertSQL merges the rows of staging into table on keys. cols are the
// loaded columns, quoted. Rows with all keys set are deduplicated, the
// highest line number winning, since ON CONFLICT DO UPDATE may not touch a
// row twice; rows with a NULL key cannot conflict and go in as they are.
func upsertSQL(table, staging string, cols, keys []string) string {
	qkeys := make([]string, len(keys))
	notNull := make([]string, len(keys))
	anyNull := make([]string, len(keys))
	isKey := make(map[string]bool, len(keys))
	for i, k := range keys {
		qkeys[i] = quoteIdent(k)
		notNull[i] = qkeys[i] + " IS NOT NULL"
		anyNull[i] = qkeys[i] + " IS NULL"
		isKey[qkeys[i]] = true
	}
	var set []string
	for _, c := range cols {
		if !isKey[c] {
			set = append(set, c+" = EXCLUDED."+c)
		}
	}
	colList, keyList := strings.Join(cols, ", "), strings.Join(qkeys, ", ")
	action := "DO NOTHING"
	if len(set) > 0 {
		action = "DO UPDATE SET " + strings.Join(set, ", ")
	}
	return "INSERT INTO " + table + " (" + colList + ")\n" +
		"SELECT " + colList + " FROM (SELECT DISTINCT ON (" + keyList + ") " + colList + " FROM " + staging +
		" WHERE " + strings.Join(notNull, " AND ") +
		" ORDER BY " + keyList + ", " + quoteIdent(qluster.ColLineNumber) + " DESC) AS last\n" +
		"UNION ALL SELECT " + colList + " FROM " + staging + " WHERE " + strings.Join(anyNull, " OR ") + "\n" +
		"ON CONFLICT (" + keyList + ") " + action
}

// ensureUpsertIndex makes sure t has a unique index ON CONFLICT (keys) can
// use: valid, not partial, on exactly keys. It creates <table>_upsert_key
// when there is none, in a transaction of its own under Apply's lock on t,
// so that only one of concurrent loaders builds it.
func (d *Destination) ensureUpsertIndex(ctx context.Context, t qluster.TableRef, keys []string) error {
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		rel, err := lookup(ctx, tx, t)
		if err != nil {
			return err
		}
		if rel == nil {
			return &qluster.NotFoundError{Kind: "table", Key: quoteTable(t)}
		}
		var missing []string
		for _, k := range keys {
			if rel.column(k) == nil {
				missing = append(missing, strconv.Quote(k))
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("the upsert key columns %s are not columns of %s", strings.Join(missing, ", "), quoteTable(t))
		}
		ok, err := hasUniqueIndex(ctx, tx, t, keys)
		if err != nil || ok {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(lockClass), quoteTable(t)); err != nil {
			return err
		}
		if ok, err := hasUniqueIndex(ctx, tx, t, keys); err != nil || ok {
			return err
		}
		qkeys := make([]string, len(keys))
		for i, k := range keys {
			qkeys[i] = quoteIdent(k)
		}
		index := t.Table + upsertIndexSuffix
		_, err = tx.Exec(ctx, "CREATE UNIQUE INDEX "+quoteIdent(index)+" ON "+quoteTable(t)+" ("+strings.Join(qkeys, ", ")+")")
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && pgErr.Code == "23505": // unique_violation
			return &qluster.ConflictError{Msg: fmt.Sprintf(
				"cannot upsert on (%s): %s already holds rows with equal keys (%s); remove the duplicates or choose other key columns",
				strings.Join(qkeys, ", "), quoteTable(t), pgErr.Detail)}
		case errors.As(err, &pgErr) && pgErr.Code == "42P07": // duplicate_table
			return &qluster.ConflictError{Msg: fmt.Sprintf(
				"cannot upsert on (%s): %s has no unique index on these columns, and the name %s for one is taken",
				strings.Join(qkeys, ", "), quoteTable(t), quoteIdent(index))}
		}
		return err
	})
}

// hasUniqueIndex reports whether t has a valid, non-partial unique index on
// exactly the columns keys, in any order.
func hasUniqueIndex(ctx context.Context, tx pgx.Tx, t qluster.TableRef, keys []string) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT FROM pg_catalog.pg_index i
			WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indisvalid
				AND i.indpred IS NULL AND i.indexprs IS NULL
				AND i.indnkeyatts = cardinality($2::text[])
				AND ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
					WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey[0:i.indnkeyatts - 1])
					ORDER BY 1) = ARRAY(SELECT k FROM unnest($2::text[]) k ORDER BY 1))`,
		quoteTable(t), keys).Scan(&ok)
	return ok, err
}

// loadError turns the server's errors that callers branch on into
// qluster's: a missing table is a *qluster.NotFoundError.
func loadError(t qluster.TableRef, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return fmt.Errorf("%w (%s); Apply creates it", &qluster.NotFoundError{Kind: "table", Key: quoteTable(t)}, pgErr.Message)
	}
	return err
}

// closeReader closes r with err when it can be closed that way, as an
// *io.PipeReader can.
func closeReader(r io.Reader, err error) {
	if c, ok := r.(interface{ CloseWithError(error) error }); ok {
		_ = c.CloseWithError(err)
	}
}

// streamReader reads a binary COPY stream from r for CopyFrom. It reads
// until it has at least minCopyChunk bytes (or p is full, or r fails), so
// that each COPY message is large, and it follows the stream's framing to
// fail a stream that ends without its trailer: PostgreSQL would take a
// stream cut short at a row boundary as complete.
type streamReader struct {
	r io.Reader
	// Framing state: skip bytes to pass over, then a big-endian word of
	// wordLen bytes (word holds the first got of them) that is the header
	// extension's length, a row's field count or a field's length.
	skip    int64
	word    [4]byte
	wordLen int
	got     int
	state   streamState
	fields  int // fields left in the current row
}

// streamState is what the next word of a stream is.
type streamState int

const (
	stateHeader  streamState = iota // signature and flags, then the extension length
	stateRow                        // a row's field count, or the trailer
	stateField                      // a field's length
	stateTrailer                    // the trailer has been read
)

// copyHeaderFixed is the length of a binary COPY header before its
// extension length: signature and flags.
const copyHeaderFixed = len(copySignature) + 4

func newStreamReader(r io.Reader) *streamReader {
	return &streamReader{r: r, skip: int64(copyHeaderFixed), wordLen: 4, state: stateHeader}
}

func (s *streamReader) Read(p []byte) (int, error) {
	want := min(len(p), minCopyChunk)
	n := 0
	for n < want {
		m, err := s.r.Read(p[n:])
		if ferr := s.frame(p[n : n+m]); ferr != nil && err == nil {
			err = ferr
		}
		n += m
		if err == io.EOF {
			err = s.atEOF()
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// frame follows the stream's framing over b, the next bytes of the stream.
func (s *streamReader) frame(b []byte) error {
	for len(b) > 0 {
		if s.skip > 0 {
			k := int(min(s.skip, int64(len(b))))
			s.skip -= int64(k)
			b = b[k:]
			continue
		}
		if s.state == stateTrailer {
			return nil // PostgreSQL refuses data after the trailer itself
		}
		var v int32
		if s.got == 0 && len(b) >= s.wordLen {
			if s.wordLen == 2 {
				v = int32(int16(binary.BigEndian.Uint16(b)))
			} else {
				v = int32(binary.BigEndian.Uint32(b))
			}
			b = b[s.wordLen:]
		} else {
			k := copy(s.word[s.got:s.wordLen], b)
			s.got += k
			b = b[k:]
			if s.got < s.wordLen {
				return nil
			}
			s.got = 0
			if s.wordLen == 2 {
				v = int32(int16(binary.BigEndian.Uint16(s.word[:])))
			} else {
				v = int32(binary.BigEndian.Uint32(s.word[:]))
			}
		}
		switch s.state {
		case stateHeader:
			s.skip = int64(uint32(v))
			s.state, s.wordLen = stateRow, 2
		case stateRow:
			switch {
			case v == -1:
				s.state = stateTrailer
			case v < 0:
				return fmt.Errorf("malformed binary COPY stream: a row of %d fields", v)
			case v > 0:
				s.fields = int(v)
				s.state, s.wordLen = stateField, 4
			}
		case stateField:
			if v > 0 {
				s.skip = int64(v)
			} else if v < -1 {
				return fmt.Errorf("malformed binary COPY stream: a field of %d bytes", v)
			}
			if s.fields--; s.fields == 0 {
				s.state, s.wordLen = stateRow, 2
			}
		}
	}
	return nil
}

// atEOF returns io.EOF when the stream ended after its trailer, an error
// otherwise.
func (s *streamReader) atEOF() error {
	switch {
	case s.state == stateTrailer:
		return io.EOF
	case s.state == stateRow && s.skip == 0 && s.got == 0:
		return errors.New("the binary COPY stream ended without its trailer: it was cut short")
	default:
		return errors.New("the binary COPY stream ended in the middle of a row or its header: it was cut short")
	}
}
