// Package pgdest is the PostgreSQL Destination: it creates and evolves the
// tables that datasets load into, in the user's own database, and hands out
// the pgx pool that loads rows into them with COPY.
//
//	d, err := pgdest.Open(ctx, &destinationModel, nil)
//	if err != nil { ... }
//	defer d.Close()
//	ref := qluster.TableRef{Schema: "sales", Table: "orders"}
//	err = d.Apply(ctx, ref, &qluster.TableSchema{Columns: []qluster.ColumnSpec{
//		{Name: "id", Type: "bigint"},
//		{Name: "amount", Type: "numeric"},
//	}})
//
// # Connecting
//
// Open connects with the host, port, user, password, database_name and
// connect_timeout of a qluster.DestinationModel; OpenURL takes a postgres://
// URL instead, for tests and embedding. Both check that the database answers
// before returning. Options sets the pool size and a *slog.Logger that gets
// one line per table created or altered.
//
// # Table layout
//
// Apply creates each table with five metadata columns first, then the
// dataset's data columns in the order of the wanted schema:
//
//	_stored_item_id       bigint NOT NULL                     the file the row came from
//	_data_source_model_id bigint                              the data source of that file, when known
//	_line_number          bigint NOT NULL                     the row's line in that file
//	_signature            text NOT NULL                       the row's signature, as the engine computes it
//	_ingested_at          timestamptz NOT NULL DEFAULT now()  when the row was loaded
//	<data columns>        as wanted, all NULLable
//
// and an index on _stored_item_id, so that the rows of one file can be found
// or deleted together. Describe leaves the metadata columns out.
//
// # Quarantine table
//
// Beside each table <table> Apply creates <table>_quarantine for the rows
// that failed their casts:
//
//	_id                   bigserial PRIMARY KEY
//	_stored_item_id … _ingested_at                            the five metadata columns, as above
//	_raw                  jsonb NOT NULL                      the raw values, keyed by column name
//	_header               text[]                              the file's header, when it had one
//	_errors               jsonb NOT NULL                      why the row was refused
//
// with an index on _stored_item_id. Because of its suffix a table name may be
// at most 52 bytes long (PostgreSQL's limit is 63).
//
// # Nullability
//
// Every data column is created NULLable, whatever qluster.ColumnSpec.Nullable
// says. Nullability is enforced by the engine's casts, row by row: when a
// later file has a null in a column that was never null before, that row
// goes to the quarantine table instead of failing the whole COPY. Describe
// therefore reports Nullable true for every column Apply made.
//
// # Schema evolution
//
// On an existing table Apply only adds and widens, in one transaction and one
// ALTER TABLE, keeping every row:
//
//   - a wanted column the table lacks is added at the end, NULL in existing rows;
//   - a column whose type differs is changed with ALTER COLUMN … TYPE … USING
//     when CanWiden allows it: smallint → integer → bigint → numeric,
//     numeric(p,s) to a wider numeric, date → timestamp → timestamptz,
//     varchar(n) → varchar(m > n) → varchar → text, a higher time precision,
//     and any type → text (its text form, as col::text gives it; text[] keeps
//     its array literal, {a,"b c"});
//   - a column in the table but not in the wanted schema is kept.
//
// Anything else, such as bigint → integer, text → varchar(n), timestamptz →
// timestamp or integer → double precision, is refused with an error matching
// qluster.ErrConflict that names each column, its type and the wanted type;
// nothing is changed. Conversions do not depend on the session: Apply reads
// timestamps without time zone as UTC and writes text forms with TimeZone
// UTC and DateStyle ISO.
//
// Types are compared after NormalizeType, which maps format_type's spellings
// ("character varying(20)", "timestamp with time zone") to those of
// qluster.ColumnSpec ("varchar(20)", "timestamptz"). Wanted types must be in
// that vocabulary; anything else is refused before any SQL runs.
//
// # Concurrency
//
// Apply takes a transaction-scoped advisory lock per table,
// pg_advisory_xact_lock(0x716c7374, hashtext('"schema"."table"')), before it
// reads the catalog, so appliers of one table take turns and the second sees
// what the first did: two workers applying the same schema to a new table
// both succeed and one table exists. Appliers creating tables in the same new
// schema take turns on a second lock while creating it.
//
// # Identifiers
//
// Schema, table and column names are used exactly as given, always quoted:
// "order", "Total Amount" and "CamelCase" are fine, and "Order" and "order"
// are different tables. Empty names, names over 63 bytes, names that are not
// UTF-8 and data columns named like a metadata column are refused with an
// error before anything is touched.
package pgdest
