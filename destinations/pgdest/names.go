package pgdest

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/openqluster/qluster-go/qluster"
)

// maxIdentBytes is PostgreSQL's limit on identifiers (NAMEDATALEN - 1);
// longer names would be truncated silently.
const maxIdentBytes = 63

// quarantineSuffix ends the name of every quarantine table.
const quarantineSuffix = "_quarantine"

// checkIdent returns an error when name cannot be a PostgreSQL identifier as
// given: empty, longer than 63 bytes, not UTF-8 or holding a NUL byte.
func checkIdent(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the %s name is empty", kind)
	case len(name) > maxIdentBytes:
		return fmt.Errorf("the %s name %q is %d bytes long; PostgreSQL allows at most %d", kind, name, len(name), maxIdentBytes)
	case !utf8.ValidString(name):
		return fmt.Errorf("the %s name %q is not valid UTF-8", kind, name)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("the %s name %q holds a NUL byte", kind, name)
	}
	return nil
}

// checkTable returns an error when t or its quarantine table cannot be named.
func checkTable(t qluster.TableRef) error {
	if err := checkIdent("schema", t.Schema); err != nil {
		return err
	}
	if err := checkIdent("table", t.Table); err != nil {
		return err
	}
	if q := t.QuarantineTable().Table; len(q) > maxIdentBytes {
		return fmt.Errorf("the table name %q is %d bytes long; its quarantine table %q must fit PostgreSQL's %d bytes, so at most %d are left for the table",
			t.Table, len(t.Table), q, maxIdentBytes, maxIdentBytes-len(quarantineSuffix))
	}
	return nil
}

// quoteIdent quotes one identifier.
func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

// quoteTable quotes a schema-qualified table name.
func quoteTable(t qluster.TableRef) string { return pgx.Identifier{t.Schema, t.Table}.Sanitize() }

// metadataColumns are the columns Apply puts first in every table, in order,
// with their definitions.
var metadataColumns = []struct{ name, def string }{
	{qluster.ColStoredItemID, "bigint NOT NULL"},
	{qluster.ColDataSourceModelID, "bigint"},
	{qluster.ColLineNumber, "bigint NOT NULL"},
	{qluster.ColSignature, "text NOT NULL"},
	{qluster.ColIngestedAt, "timestamptz NOT NULL DEFAULT now()"},
}

// isMetadata reports whether name is one of the metadata columns.
func isMetadata(name string) bool {
	for _, c := range metadataColumns {
		if c.name == name {
			return true
		}
	}
	return false
}
