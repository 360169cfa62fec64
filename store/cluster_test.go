package store

import (
	"context"
	"errors"
	"testing"

	"github.com/mqtrigger/mqtrigger/esm"
)

// sqlOf is the sqlStore under either kind of store.
func sqlOf(st Store) *sqlStore {
	if p, ok := st.(*pgStore); ok {
		return p.sqlStore
	}
	return st.(*sqlStore)
}

func testDuplicateMappings(t *testing.T, st Store) {
	ctx := context.Background()
	a := sampleMapping("a", "fn", "arn")
	a.Queues = []string{"q1,q2"}
	if err := st.CreateMapping(ctx, a); err != nil {
		t.Fatal(err)
	}
	// The same composite queue in another order is the same source.
	b := sampleMapping("b", "fn", "arn")
	b.Queues = []string{"q2,q1"}
	if err := st.CreateMapping(ctx, b); !errors.Is(err, esm.ErrDuplicate) {
		t.Fatalf("second mapping of one function and queue: %v, want ErrDuplicate", err)
	}
	if err := st.CreateMapping(ctx, a); !errors.Is(err, esm.ErrExists) {
		t.Fatalf("same UUID again: %v, want ErrExists", err)
	}
	// Another function, or another queue, is another source.
	c := sampleMapping("c", "fn", "arn")
	c.Queues = []string{"q3"}
	if err := st.CreateMapping(ctx, c); err != nil {
		t.Fatal(err)
	}
	// Moving c onto a's queue is refused too; a mapping being deleted frees it.
	c.Queues = []string{"q1,q2"}
	if err := st.UpdateMapping(ctx, c); !errors.Is(err, esm.ErrDuplicate) {
		t.Fatalf("update onto a taken queue: %v, want ErrDuplicate", err)
	}
	got, err := st.GetMapping(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	got.State = esm.StateDeleting
	if err := st.UpdateMapping(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateMapping(ctx, b); err != nil {
		t.Fatalf("a mapping whose twin is being deleted: %v", err)
	}
}

func testSettings(t *testing.T, st Store) {
	ctx := context.Background()
	if v, err := st.Setting(ctx, "k", "first"); err != nil || v != "first" {
		t.Fatalf("first Setting: %q, %v", v, err)
	}
	if v, err := st.Setting(ctx, "k", "second"); err != nil || v != "first" {
		t.Fatalf("second Setting: %q, %v; the first value must stay", v, err)
	}
}
