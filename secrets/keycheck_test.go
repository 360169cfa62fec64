package secrets

import (
	"context"
	"errors"
	"testing"
)

func TestCheckKey(t *testing.T) {
	ctx := context.Background()
	_, st := newManager(t, "")
	if err := CheckKey(ctx, st, testKey(1), "key file a"); err != nil {
		t.Fatalf("the first key is recorded: %v", err)
	}
	if err := CheckKey(ctx, st, testKey(1), "key file a"); err != nil {
		t.Fatalf("the same key again: %v", err)
	}
	err := CheckKey(ctx, st, testKey(2), "key file b")
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("another key: %v, want ErrWrongKey", err)
	}
	if v := KeyCheckValue(testKey(1)); len(v) != 44 || v == KeyCheckValue(testKey(2)) {
		t.Fatalf("check values %q and %q", v, KeyCheckValue(testKey(2)))
	}
}

// A store from before the check value: the stored secrets tell a wrong key.
func TestCanOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, st := newManager(t, dir)
	if err := m.CanOpen(ctx, "test"); err != nil {
		t.Fatalf("no secret yet: %v", err)
	}
	if _, err := m.Create(ctx, CreateInput{Name: "s", SecretString: "v"}); err != nil {
		t.Fatal(err)
	}
	if err := m.CanOpen(ctx, "test"); err != nil {
		t.Fatalf("the right key: %v", err)
	}
	other, err := New(st, testKey(9), region, account)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.CanOpen(ctx, "test"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("a wrong key: %v, want ErrWrongKey", err)
	}
}
