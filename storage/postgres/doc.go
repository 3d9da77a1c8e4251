// Package postgres is Qluster's metadata store on PostgreSQL: users, datasets
// and their settings, data sources, destinations, backup settings, history and
// fatal errors (and, as the engine grows, the queue and the alert store).
//
// # Migrations
//
// The schema is a set of numbered SQL files embedded in the binary
// (migrations/NNN_name.up.sql). [Store.Migrate] applies the ones not applied
// yet, each in its own transaction, under an advisory lock, so running it
// twice, or from two processes at once, changes nothing.
//
// # Documents, versions and history
//
// Configuration objects are stored as a jsonb document beside the columns the
// store filters and locks on. Every change is optimistically locked on
// version_id, bumps it, and writes a history row holding the acting user and
// the document before and after, in the same transaction as the change.
// Secret fields are encrypted before they reach the database.
package postgres
