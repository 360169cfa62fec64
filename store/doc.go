// Package store keeps mqtrigger's state: event source mappings (it implements
// esm.Store: a column per mapping member, the nested parts as JSON that only this
// package reads and writes), secrets and functions.
//
// Open picks the embedded SQLite store (a file in the data directory, pure Go, no
// cgo) or PostgreSQL, which several mqtrigger nodes can share. Both implement Store
// and pass the same behaviour suite.
//
// Nothing is cached in the process: every call reads or writes the database, so
// nodes sharing a PostgreSQL store see each other's changes at once. Mappings and
// secrets carry a Version; an update applies only if the stored Version is the one
// the caller read (otherwise ErrConflict), so two nodes cannot overwrite each other.
//
// The schema is versioned (table schema_migrations). Open applies the missing
// migrations in a transaction, so a store written by an older mqtrigger is upgraded
// on start; a store written by a newer one is refused with ErrSchemaTooNew.
//
// Times are kept as Unix nanoseconds (BIGINT) in both databases.
package store
