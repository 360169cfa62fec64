package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationLock serializes migrations of nodes starting together on one database.
const migrationLock = `SELECT pg_advisory_xact_lock(7314002101)`

// openPostgres connects to the PostgreSQL database at rawURL and migrates it. The
// URL may set search_path (e.g. ?search_path=mqtrigger) to keep the tables in a
// schema of their own.
func openPostgres(ctx context.Context, rawURL string) (Store, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		// pgx's message may quote the URL, password included: keep only the kind.
		return nil, fmt.Errorf("store: the PostgreSQL URL %s is not valid (expected postgres://user[:password]@host[:port]/database[?options])", redactURL(rawURL))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect to PostgreSQL %s: %w", redactURL(rawURL), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL %s: %w (check that it runs and the URL is right)", redactURL(rawURL), err)
	}
	c := &pgConn{pool: pool}
	if err := migrate(ctx, c, true, migrationLock); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w (PostgreSQL %s)", err, redactURL(rawURL))
	}
	return &pgStore{sqlStore: &sqlStore{c: c, name: "PostgreSQL " + redactURL(rawURL)}, pool: pool}, nil
}

// rebind turns ? placeholders into $1, $2, ... (no query here has ? in a literal).
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

type pgExec struct{ q pgQuerier }

func (e pgExec) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := e.q.Exec(ctx, rebind(q), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (e pgExec) queryRow(ctx context.Context, q string, args ...any) scanner {
	return e.q.QueryRow(ctx, rebind(q), args...)
}

func (e pgExec) query(ctx context.Context, q string, args ...any) (rows, error) {
	return e.q.Query(ctx, rebind(q), args...)
}

type pgConn struct{ pool *pgxpool.Pool }

func (c *pgConn) exec(ctx context.Context, q string, args ...any) (int64, error) {
	return pgExec{c.pool}.exec(ctx, q, args...)
}

func (c *pgConn) queryRow(ctx context.Context, q string, args ...any) scanner {
	return pgExec{c.pool}.queryRow(ctx, q, args...)
}

func (c *pgConn) query(ctx context.Context, q string, args ...any) (rows, error) {
	return pgExec{c.pool}.query(ctx, q, args...)
}

func (c *pgConn) inTx(ctx context.Context, fn func(execer) error) error {
	return pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error { return fn(pgExec{tx}) })
}

func (c *pgConn) isUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

func (c *pgConn) isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

func (c *pgConn) close() error {
	c.pool.Close() // safe to call twice
	return nil
}

// redactURL hides a password, so that errors and logs never carry it.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}
