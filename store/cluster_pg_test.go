package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/cluster"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/pgtest"
)

// Two handles on one database stand for two nodes.
func twoPostgres(t *testing.T) (url string, a, b *pgStore) {
	t.Helper()
	url = pgtest.Schema(t)
	open := func() *pgStore {
		st, err := Open(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st.(*pgStore)
	}
	return url, open(), open()
}

func TestPostgresClusterSlotsNeverExceedConcurrency(t *testing.T) {
	_, a, b := twoPostgres(t)
	ctx := context.Background()
	m := sampleMapping("m", "fn", "arn")
	if err := a.CreateMapping(ctx, m); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"n1", "n2"} {
		if err := a.Join(ctx, cluster.Member{ID: id, Name: id}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// Sixteen claims at once from both nodes, each for every slot.
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[int]string{}
	for i := range 16 {
		st, id := a, "n1"
		if i%2 == 1 {
			st, id = b, "n2"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots, err := st.ClaimSlots(ctx, "m", id, 3, 3)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range slots {
				if other, dup := got[s]; dup {
					t.Errorf("slot %d claimed by %s and %s", s, other, id)
				}
				got[s] = id
			}
		}()
	}
	wg.Wait()
	all, err := a.Slots(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || len(got) != 3 {
		t.Fatalf("%d slots held (%v), claims answered %v; want 3", len(all), all, got)
	}
	held := map[string]int{}
	for _, s := range all {
		held[s.NodeID]++
	}
	others, err := a.ReleaseSlots(ctx, "m", "n1", nil)
	if err != nil || others != held["n2"] {
		t.Fatalf("n1 released: others hold %d (%v), want %d", others, err, held["n2"])
	}
	// A member whose lease ended claims nothing, cannot renew, and goes with its
	// slots when a node expires it.
	if _, err := a.c.exec(ctx, `UPDATE cluster_nodes SET expires_at = now() - interval '1 second' WHERE id = 'n2'`); err != nil {
		t.Fatal(err)
	}
	if s, err := b.ClaimSlots(ctx, "m", "n2", 3, 3); err != nil || len(s) != 0 {
		t.Fatalf("an expired member claimed %v (%v)", s, err)
	}
	if ok, err := b.Renew(ctx, "n2", time.Minute); err != nil || ok {
		t.Fatalf("an expired lease renewed: %v, %v", ok, err)
	}
	if ok, err := a.Renew(ctx, "n1", time.Minute); err != nil || !ok {
		t.Fatalf("a live lease did not renew: %v, %v", ok, err)
	}
	if n, err := a.Expire(ctx); err != nil || n != 1 {
		t.Fatalf("Expire removed %d (%v), want 1", n, err)
	}
	if all, _ := a.Slots(ctx, "m"); len(all) != 0 {
		t.Fatalf("slots of the expired member stay: %v", all)
	}
	members, err := a.Members(ctx)
	if err != nil || len(members) != 1 || members[0].ID != "n1" || !members[0].Live {
		t.Fatalf("members %+v (%v)", members, err)
	}
	// Slots of a deleted mapping go with it.
	if s, err := a.ClaimSlots(ctx, "m", "n1", 3, 3); err != nil || len(s) != 3 {
		t.Fatalf("claim after expiry: %v, %v", s, err)
	}
	if err := a.DeleteMapping(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if all, _ := a.Slots(ctx, ""); len(all) != 0 {
		t.Fatalf("slots of a deleted mapping stay: %v", all)
	}
}

func TestPostgresNotifiesChanges(t *testing.T) {
	_, a, b := twoPostgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	heard := make(chan string, 100)
	ready := make(chan struct{})
	go b.Listen(ctx, func() { close(ready) }, func(p string) { heard <- p })
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("not listening after 10 s")
	}
	expect := func(want string) {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case p := <-heard:
				if p == want {
					return
				}
			case <-timeout:
				t.Fatalf("no notification %q", want)
			}
		}
	}
	m := sampleMapping("m1", "fn", "arn")
	if err := a.CreateMapping(ctx, m); err != nil {
		t.Fatal(err)
	}
	expect("mappings:m1")
	if err := a.CreateSecret(ctx, &Secret{ARN: "arn:s", Name: "s"}); err != nil {
		t.Fatal(err)
	}
	expect("secrets:arn:s")
	if err := a.PutFunction(ctx, &function.Stored{Name: "f", Config: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	expect("functions:f")
	// A function's versions and aliases are told as a change to the function.
	if err := a.PutVersion(ctx, &function.Stored{Name: "f", Version: 1, Config: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	expect("functions:f")
	if err := a.PutAlias(ctx, &function.StoredAlias{Function: "f", Name: "live", Config: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	expect("functions:f")
	if err := a.Join(ctx, cluster.Member{ID: "n", Name: "n"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	expect("nodes:")
	if _, err := a.ClaimSlots(ctx, "m1", "n", 2, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ReleaseSlots(ctx, "m1", "n", []int{1}); err != nil {
		t.Fatal(err)
	}
	expect("slots:m1")
	if err := a.DeleteMapping(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	expect("mappings:m1")
}

// Mappings that two nodes of an older version duplicated survive the upgrade to
// the unique index, and stay writable.
func TestPostgresUpgradeKeepsDuplicatedMappings(t *testing.T) {
	url := pgtest.Schema(t)
	var rows []string
	for _, uuid := range []string{"d1", "d2"} {
		rows = append(rows, fmt.Sprintf(`INSERT INTO mappings (uuid, function_name, event_source_arn, queue, enabled, batch_size, state, version)
			VALUES ('%s', 'fn', 'arn', 'q', true, 10, 'Enabled', 1)`, uuid))
	}
	rawPostgres(t, url, append(v3Schema(true), rows...)...)
	st, err := Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for _, uuid := range []string{"d1", "d2"} {
		m, err := st.GetMapping(ctx, uuid)
		if err != nil {
			t.Fatal(err)
		}
		m.LastProcessingResult = "OK"
		if err := st.UpdateMapping(ctx, m); err != nil {
			t.Fatalf("writing duplicated mapping %s after the upgrade: %v", uuid, err)
		}
	}
	if err := st.CreateMapping(ctx, sampleMapping("d3", "fn", "arn")); !errors.Is(err, esm.ErrDuplicate) {
		t.Fatalf("a third mapping of the source: %v, want ErrDuplicate", err)
	}
}
