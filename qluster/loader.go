package qluster

import (
	"context"
	"time"

	"github.com/openqluster/qluster-go/analyzer"
)

// LoadParams says how one file's rows go into a table.
type LoadParams struct {
	// StoredItemID is the file; its rows loaded before are replaced.
	StoredItemID int64
	// DataSourceModelID is the file's data source.
	DataSourceModelID int64
	// Columns are the data columns, in the order of RowSource.Cells.
	Columns []ColumnSpec
	// Process is how the rows merge into the table.
	Process DataLoadingProcess
	// KeyColumns identify a row for the upsert process.
	KeyColumns []string
	// IngestedAt is written to every row's _ingested_at (the snapshot time).
	IngestedAt time.Time
	// BeforeCommit, when set, runs inside the load's transaction after every
	// row is written; an error from it rolls the whole load back.
	BeforeCommit func(ctx context.Context) error
}

// LoadResult counts what a load wrote.
type LoadResult struct {
	Rows    int64
	BadRows int64
}

// RowSource yields the rows of one file to a Loader. It is used from one
// goroutine: Next until it returns false, then Err, then Bad.
type RowSource interface {
	// Next moves to the next good row; false when no row is left.
	Next() bool
	// Line is the current row's 1-based physical line in the file.
	Line() int64
	// Signature is a stable hash of the current row's raw values (hex).
	Signature() []byte
	// Cells are the current row's cast values, one per LoadParams.Columns,
	// valid until the next call to Next.
	Cells() []analyzer.Cell
	// Err is why Next stopped early, or nil at the end of the file.
	Err() error
	// Bad yields the quarantined rows once Next has returned false.
	Bad() BadRowSource
}

// BadRowSource yields a file's quarantined rows.
type BadRowSource interface {
	// Next moves to the next bad row; false when none is left (check Err).
	Next() bool
	// Row is the current bad row, valid until the next call to Next.
	Row() *BadRow
	Err() error
}

// BadRow is a row that goes to the quarantine table.
type BadRow struct {
	Line      int64          `json:"line"`
	Signature string         `json:"signature"`
	Raw       map[string]any `json:"raw"`
	Header    []string       `json:"header"`
	Errors    []RowIssue     `json:"errors"`
}

// RowIssue is one reason a row is bad.
type RowIssue struct {
	Field     string    `json:"field,omitempty"`
	Value     string    `json:"value,omitempty"`
	AlertType AlertType `json:"alert_type"`
	Msg       string    `json:"msg"`
	Hint      string    `json:"hint,omitempty"`
}

// Loader is a Destination that bulk-loads files: every row of rows (good
// ones into t, bad ones into t's quarantine table) in one transaction that
// first removes what the same file loaded before, so a retry or a crash
// never duplicates or loses a row. Cancelling ctx rolls the load back and
// returns an error wrapping context.Canceled.
type Loader interface {
	LoadRows(ctx context.Context, t TableRef, p LoadParams, rows RowSource) (LoadResult, error)
}
