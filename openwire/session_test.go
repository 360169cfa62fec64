package openwire

import (
	"errors"
	"testing"
	"time"
)

func TestTransactions(t *testing.T) {
	c := dialShared(t, Config{})
	q := newQueue(t)
	ctx := testCtx(t, 30*time.Second)
	ts := mustSession(t, c, true)
	p, err := ts.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, txt := range []string{"a", "b", "c"} {
		if err := p.Send(ctx, Queue(q), &Message{Kind: KindText, Text: txt, Persistent: true}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := ts.NewConsumer(ctx, q, ConsumerOptions{Redelivery: fastPolicy(6)})
	if err != nil {
		t.Fatal(err)
	}
	expectNone(t, k, 300*time.Millisecond) // sends are not visible before Commit
	if err := ts.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := receiveN(t, k, 3, 10*time.Second)
	if err := k.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	if err := ts.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	again := receiveN(t, k, 3, 10*time.Second)
	for i, m := range again {
		if m.Text != got[i].Text || m.RedeliveryCounter != 1 {
			t.Fatalf("after rollback %d: %q counter %d", i, m.Text, m.RedeliveryCounter)
		}
	}
	if err := k.Ack(ctx, again...); err != nil {
		t.Fatal(err)
	}
	if err := ts.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(ctx); err != nil {
		t.Fatal(err)
	}
	k2, err := mustSession(t, c, false).NewConsumer(ctx, q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expectNone(t, k2, 300*time.Millisecond)
	if err := mustSession(t, c, false).Commit(ctx); err == nil {
		t.Fatal("Commit on a non-transacted session succeeded")
	}
	if err := ts.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ts.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ts.Commit(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit after Close: %v", err)
	}
}
