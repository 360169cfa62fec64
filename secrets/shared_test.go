package secrets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/mqtrigger/mqtrigger/store"
)

// pgURL returns a URL for a fresh PostgreSQL schema, dropped when the test ends.
// MQTRIGGER_TEST_POSTGRES names the database (default: the local test database);
// "off" skips; an unreachable database fails the test.
func pgURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("MQTRIGGER_TEST_POSTGRES")
	if base == "off" {
		t.Skip("MQTRIGGER_TEST_POSTGRES=off")
	}
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL is unreachable: %v (set MQTRIGGER_TEST_POSTGRES=off to skip)", err)
	}
	defer c.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "mqt_" + hex.EncodeToString(b)
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Two nodes share a PostgreSQL store: a secret created on one is read on the other,
// and concurrent PutValue calls all land, one after the other.
func TestSharedPostgresStore(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	var nodes []*Manager
	for i := 0; i < 2; i++ {
		st, err := store.Open(ctx, url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		m, err := New(st, testKey(1), region, account)
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, m)
	}
	c, err := nodes[0].Create(ctx, CreateInput{Name: "shared", SecretString: `{"username":"u","password":"p0"}`})
	if err != nil {
		t.Fatal(err)
	}
	const puts = 6
	var wg sync.WaitGroup
	errs := make(chan error, puts)
	for i := 0; i < puts; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := nodes[i%2].PutValue(ctx, PutInput{SecretID: c.ARN,
				SecretString: fmt.Sprintf(`{"username":"u","password":"p%d"}`, i+1)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	cur, err := nodes[1].GetValue(ctx, "shared", "", "")
	if err != nil {
		t.Fatal(err)
	}
	prev, err := nodes[0].GetValue(ctx, "shared", "", StagePrevious)
	if err != nil {
		t.Fatal(err)
	}
	first := `{"username":"u","password":"p0"}`
	if cur.VersionID == prev.VersionID || cur.SecretString == prev.SecretString || cur.SecretString == first || prev.SecretString == first {
		t.Fatalf("after concurrent puts: current %s, previous %s", cur.VersionID, prev.VersionID)
	}
	u, p, err := nodes[1].BasicAuth(ctx, c.ARN)
	if err != nil || u != "u" || p == "p0" {
		t.Fatalf("BasicAuth on the other node: %q %q %v", u, p, err)
	}
}

// A restart with the same data directory and key file reads every secret back.
func TestRestartKeepsSecrets(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	open := func() (*Manager, store.Store) {
		key, err := LoadKey(filepath.Join(dir, "secret.key"))
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(ctx, "", dir)
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(st, key, region, account)
		if err != nil {
			t.Fatal(err)
		}
		return m, st
	}
	m, st := open()
	c, err := m.Create(ctx, CreateInput{Name: "keep", SecretString: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.PutValue(ctx, PutInput{SecretID: "keep", SecretString: "v2"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	m, st = open()
	defer st.Close()
	cur, err := m.GetValue(ctx, c.ARN, "", "")
	if err != nil || cur.SecretString != "v2" {
		t.Fatalf("current after restart: %+v, %v", cur, err)
	}
	prev, err := m.GetValue(ctx, c.ARN, c.VersionID, "")
	if err != nil || prev.SecretString != "v1" {
		t.Fatalf("previous after restart: %+v, %v", prev, err)
	}
}
