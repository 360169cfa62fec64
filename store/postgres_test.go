package store

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/internal/pgtest"
)

func rawPostgres(t *testing.T, url string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range stmts {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func openTestPostgres(t *testing.T) Store {
	t.Helper()
	st, err := Open(context.Background(), pgtest.Schema(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestPostgres(t *testing.T) { testStore(t, openTestPostgres) }

func TestPostgresReopen(t *testing.T) {
	url := pgtest.Schema(t)
	st, err := Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	testReopen(t, st, func() (Store, error) { return Open(context.Background(), url, "") })
}

// Two nodes sharing one database see each other's writes at once, and their
// conflicting updates are caught.
func TestPostgresTwoNodes(t *testing.T) {
	url := pgtest.Schema(t)
	ctx := context.Background()
	a, err := Open(ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m := sampleMapping("n1", "fn", "arn")
	if err := a.CreateMapping(ctx, m); err != nil {
		t.Fatal(err)
	}
	mb, err := b.GetMapping(ctx, "n1")
	if err != nil {
		t.Fatal(err)
	}
	mb.State = "Enabled"
	if err := b.UpdateMapping(ctx, mb); err != nil {
		t.Fatal(err)
	}
	m.State = "Disabled"
	if err := a.UpdateMapping(ctx, m); !errors.Is(err, esm.ErrConflict) {
		t.Fatalf("node a overwrote node b's update: %v", err)
	}
	if got, _ := a.GetMapping(ctx, "n1"); got.State != "Enabled" {
		t.Fatalf("node a sees state %q", got.State)
	}
}

func TestPostgresUpgradeFromV1(t *testing.T) {
	url := pgtest.Schema(t)
	stmts := append([]string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`},
		migrations[0].postgres...)
	rawPostgres(t, url, append(stmts, v1Rows...)...)
	st, err := Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testUpgradeFromV1(t, st)
	var v int
	if err := sqlOf(st).c.queryRow(context.Background(), `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil || v != schemaVersion() {
		t.Fatalf("schema version after upgrade: %d, %v", v, err)
	}
}

func TestPostgresUpgradeFromV2(t *testing.T) {
	url := pgtest.Schema(t)
	rows, want := v2Mappings(t)
	rawPostgres(t, url, append(v2Schema(true), rows...)...)
	st, err := Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testUpgradeFromV2(t, st, want)
}

func TestPostgresUpgradeFromV3(t *testing.T) {
	url := pgtest.Schema(t)
	rawPostgres(t, url, append(v3Schema(true), v3Secret)...)
	st, err := Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testUpgradeFromV3(t, st)
}

func TestPostgresRefusesNewerSchema(t *testing.T) {
	url := pgtest.Schema(t)
	st, err := Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	rawPostgres(t, url, `INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)`)
	if _, err := Open(context.Background(), url, ""); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("open a newer store: got %v, want ErrSchemaTooNew", err)
	}
}

// Nodes starting together on an empty database migrate it once.
func TestPostgresConcurrentOpen(t *testing.T) {
	url := pgtest.Schema(t)
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			st, err := Open(context.Background(), url, "")
			if err == nil {
				st.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
