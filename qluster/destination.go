package qluster

import "context"

// Metadata columns every destination table carries beside the data.
const (
	ColStoredItemID      = "_stored_item_id"
	ColDataSourceModelID = "_data_source_model_id"
	ColLineNumber        = "_line_number"
	ColSignature         = "_signature"
	ColIngestedAt        = "_ingested_at"
)

// TableRef names a destination table.
type TableRef struct {
	Schema string `json:"schema"`
	Table  string `json:"table"`
}

// QuarantineTable is the table bad rows of t go to.
func (t TableRef) QuarantineTable() TableRef {
	return TableRef{Schema: t.Schema, Table: t.Table + "_quarantine"}
}

// ColumnSpec is one data column of a destination table.
type ColumnSpec struct {
	// Name is the column name (a normalised identifier).
	Name string `json:"name"`
	// Type is the PostgreSQL type: boolean, smallint, integer, bigint,
	// numeric, double precision, date, timestamp, timestamptz, time, jsonb,
	// text[], text or varchar(n).
	Type string `json:"type"`
	// Nullable is false when every value seen was present.
	Nullable bool `json:"nullable"`
}

// TableSchema is the data columns of a destination table, in order.
type TableSchema struct {
	Columns []ColumnSpec `json:"columns"`
}

// Column returns the column named name, or nil.
func (s *TableSchema) Column(name string) *ColumnSpec {
	if s == nil {
		return nil
	}
	for i := range s.Columns {
		if s.Columns[i].Name == name {
			return &s.Columns[i]
		}
	}
	return nil
}

// Destination is the database a dataset loads into.
type Destination interface {
	// Describe returns the data columns of table t (metadata columns left
	// out), or nil and no error when the table does not exist.
	Describe(ctx context.Context, t TableRef) (*TableSchema, error)
	// Apply changes table t from its current shape to want in one
	// transaction: on a table that does not exist it creates the schema, the
	// table with the metadata columns, and its quarantine table; on an
	// existing one it only adds columns and widens types (never drops or
	// narrows), keeping every row. It returns an error matching
	// ErrConflict when want would drop or narrow a column.
	Apply(ctx context.Context, t TableRef, want *TableSchema) error
	// Close releases the destination's connections.
	Close() error
}
