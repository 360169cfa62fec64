package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func openTestSQLite(t *testing.T) Store {
	t.Helper()
	st, err := Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestSQLite(t *testing.T) { testStore(t, openTestSQLite) }

func TestSQLiteReopen(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	testReopen(t, st, func() (Store, error) { return Open(context.Background(), "", dir) })
}

// rawSQLite runs statements on the database file without Open's migrations.
func rawSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestSQLiteUpgradeFromV1(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SQLiteFile)
	stmts := append([]string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`},
		migrations[0].sqlite...)
	rawSQLite(t, path, append(stmts, v1Rows...)...)
	st, err := Open(context.Background(), "", dir)
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

func TestSQLiteUpgradeFromV2(t *testing.T) {
	dir := t.TempDir()
	rows, want := v2Mappings(t)
	rawSQLite(t, filepath.Join(dir, SQLiteFile), append(v2Schema(false), rows...)...)
	st, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testUpgradeFromV2(t, st, want)
}

func TestSQLiteUpgradeFromV3(t *testing.T) {
	dir := t.TempDir()
	rawSQLite(t, filepath.Join(dir, SQLiteFile), append(v3Schema(false), v3Secret)...)
	st, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testUpgradeFromV3(t, st)
}

func TestSQLiteRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	rawSQLite(t, filepath.Join(dir, SQLiteFile), `INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)`)
	_, err = Open(context.Background(), "", dir)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("open a newer store: got %v, want ErrSchemaTooNew", err)
	}
	t.Log(err)
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "", ""); err == nil {
		t.Fatal("no data directory accepted")
	}
	_, err := Open(ctx, "mysql://u:hunter2@h/db", t.TempDir())
	if err == nil {
		t.Fatal("mysql URL accepted")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error shows the password: %v", err)
	}
	_, err = Open(ctx, "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=2", "")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("unreachable PostgreSQL: %v", err)
	}
}
