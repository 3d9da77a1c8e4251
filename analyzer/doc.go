// Package analyzer opens files of unknown kind, reads their rows as a
// stream and infers what each column is. Ingestion casts cells with the
// same code, so that what analysis accepts, loading accepts.
//
// # Reading
//
// [Walk] detects the kind of a file by its content, not its name: CSV, TSV
// and plain text, xlsx, xls, JSON (an array of objects or arrays), NDJSON,
// and the containers gzip, zip (several members, ZipCrypto or WinZip AES
// passwords via [Options.FilePassword]), snappy streams and OpenPGP
// messages (armored or binary, [Options.GPGPrivateKey] and
// [Options.GPGPassphrase]), nested in any order: gpg → gzip → csv works.
// Each table found (a zip member, a sheet) is handed to a callback as a
// [Table].
//
// Text is transcoded to UTF-8: UTF-8 with or without BOM, UTF-16 LE/BE
// (with or without BOM), windows-1252 and ISO-8859-1 are detected, with
// [Options.EncodingProbably] as a hint. A UTF-8 stream that turns out to
// hold windows-1252 bytes past the detection window is decoded byte by
// byte and reported as windows-1252.
//
// [SniffDialect] guesses the delimiter, quote, escape character and line
// terminator; the csv_* options override it. [CSVReader] reads quoted
// fields with embedded delimiters, line breaks and doubled quotes, accepts
// mixed line ends and allocates one string per record.
//
// [NewReader] finds the header row past preambles (steered by
// identify_header_by_column_names, raw_headers and
// chunk_size_to_read_for_header), skips ignorable lines (rules such as
// "-----", words such as "Total", ignore matchers, repeated headers), drops
// ignored columns and reports rows of the wrong width as *[RowError] with
// their physical line number. [FieldNames] turns raw names into unique
// snake_case Postgres identifiers.
//
// # Inferring
//
// An [Inferer] sees a column's values one at a time, in bounded memory,
// and keeps for each candidate type whether every non-null value fits:
// boolean, smallint, integer, bigint, numeric, double precision, date,
// timestamp, timestamptz, time, jsonb, text[], and text or varchar(n)
// (with an e-mail check). Numbers may carry currency signs, thousands
// separators, parenthesised negatives or decimal commas when the whole
// column agrees. Datetimes are read with strftime formats ([Format],
// compiled once, parsing without allocation); day-first against
// month-first is decided by the whole column, and an undecided column
// reports both candidates in [Column.AmbiguousFormats].
//
// [Analyze] runs it all and returns a [Result], which marshals to the JSON
// printed by `qluster analyze --json` and carries the API's
// analyzed_content, display_analyzed_content, questionable_fields and
// failed_to_infer_fields.
//
// # Casting
//
// [Cast] (and the typed [CastInt], [CastFloat], [CastBool], [CastTime],
// [CastNumeric], [CastText]) turns a cell into the Go value pgx expects
// for the column's type. A value that does not fit gives a *[CastError]
// naming the value, the column, the expected type or format and a hint:
// the data of an alert. Inference chooses the narrowest type whose cast
// accepts every non-null value; the golden tests re-read every test file
// and cast every cell to prove it.
//
// # Performance
//
// Reading and inference run in separate goroutines over batches of rows;
// memory stays flat in the size of the file (a generated 1 GiB CSV
// analyses in a few MiB of heap). See bench_test.go.
package analyzer
