package secrets

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mqtrigger/mqtrigger/internal/pgtest"
	"github.com/mqtrigger/mqtrigger/store"
)

// Two nodes share a PostgreSQL store: a secret created on one is read on the other,
// and concurrent PutValue calls all land, one after the other.
func TestSharedPostgresStore(t *testing.T) {
	ctx := context.Background()
	nodes := sharedNodes(t, 2)
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

// sharedNodes returns n Managers, as n nodes would run them, on one PostgreSQL
// store of the test's own.
func sharedNodes(t *testing.T, n int) []*Manager {
	t.Helper()
	url := pgtest.Schema(t)
	var nodes []*Manager
	for range n {
		st, err := store.Open(context.Background(), url, "")
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
	return nodes
}
