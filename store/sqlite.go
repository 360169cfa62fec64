package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLiteFile is the name of the embedded store's file in the data directory.
const SQLiteFile = "mqtrigger.db"

// openSQLite opens (creating if needed) the SQLite database at path and migrates it.
func openSQLite(ctx context.Context, path string) (Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create data directory %s: %w", dir, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate") // a transaction takes the write lock at BEGIN: no upgrade deadlocks
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open SQLite %s: %w", path, err)
	}
	// One connection: SQLite allows one writer anyway, and this process is its only
	// user, so one connection means no SQLITE_BUSY between our own goroutines.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open SQLite %s: %w (check that the data directory is writable)", path, err)
	}
	c := &sqliteConn{db: db}
	if err := migrate(ctx, c, false, ""); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w (SQLite %s)", err, path)
	}
	return &sqlStore{c: c, name: "SQLite " + path}, nil
}

type sqliteConn struct{ db *sql.DB }

type sqlQuerier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

type sqliteExec struct{ q sqlQuerier }

func (e sqliteExec) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := e.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (e sqliteExec) queryRow(ctx context.Context, q string, args ...any) scanner {
	return e.q.QueryRowContext(ctx, q, args...)
}

func (e sqliteExec) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := e.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

func (c *sqliteConn) exec(ctx context.Context, q string, args ...any) (int64, error) {
	return sqliteExec{c.db}.exec(ctx, q, args...)
}

func (c *sqliteConn) queryRow(ctx context.Context, q string, args ...any) scanner {
	return sqliteExec{c.db}.queryRow(ctx, q, args...)
}

func (c *sqliteConn) query(ctx context.Context, q string, args ...any) (rows, error) {
	return sqliteExec{c.db}.query(ctx, q, args...)
}

func (c *sqliteConn) inTx(ctx context.Context, fn func(execer) error) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(sqliteExec{tx}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (c *sqliteConn) isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (c *sqliteConn) isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func (c *sqliteConn) close() error { return c.db.Close() }
