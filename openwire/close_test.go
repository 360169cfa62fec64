package openwire

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
)

// Consumer.Close inside an open transaction waits for the transaction's end
// before the consumer goes at the broker: another consumer does not get the
// messages whose acks the commit carries (no duplicates), and after the commit
// the closed consumer takes no more messages.
func TestConsumerCloseInTransaction(t *testing.T) {
	c := dialShared(t, Config{})
	ctx := testCtx(t, 60*time.Second)
	q := newQueue(t)
	sendTexts(t, c, Queue(q), "m1", "m2", "m3")
	s := mustSession(t, c, true)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	msgs := receiveN(t, k, 3, 20*time.Second)
	if err := k.Ack(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Receive(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Receive after Close: %v", err)
	}
	other, err := mustSession(t, c, false).NewConsumer(ctx, q, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	expectNone(t, other, 1500*time.Millisecond)
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	expectNone(t, other, 1500*time.Millisecond)
	// the closed consumer is gone at the broker: new messages all go to other
	sendTexts(t, c, Queue(q), "m4", "m5")
	got := receiveN(t, other, 2, 20*time.Second)
	if got[0].Text != "m4" || got[1].Text != "m5" {
		t.Fatalf("got %q %q", got[0].Text, got[1].Text)
	}
	if err := other.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
}

// Conn.Close removes each consumer naming the last message it delivered, so
// only the message the caller had is redelivered as such; the merely
// prefetched ones come back with redelivery counter 0.
func TestConnCloseKeepsRedeliveryCounters(t *testing.T) {
	b := brokertest.Shared(t)
	ctx := testCtx(t, 60*time.Second)
	q := newQueue(t)
	c, err := Dial(ctx, b.URL, Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	sendTexts(t, c, Queue(q), "a", "b", "c", "d")
	k, err := mustSession(t, c, false).NewConsumer(ctx, q, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	if m := receiveN(t, k, 1, 20*time.Second)[0]; m.Text != "a" {
		t.Fatalf("got %q", m.Text)
	}
	checkfor.Within(t, 10*time.Second, func() error { // the rest is prefetched
		k.mu.Lock()
		defer k.mu.Unlock()
		if n := len(k.queue) - k.qhead; n < 3 {
			return fmt.Errorf("%d prefetched", n)
		}
		return nil
	})
	c.Close()

	c2 := dialShared(t, Config{})
	k2, err := mustSession(t, c2, false).NewConsumer(ctx, q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"a": 1, "b": 0, "c": 0, "d": 0}
	for _, m := range receiveN(t, k2, 4, 20*time.Second) {
		if m.RedeliveryCounter != want[m.Text] {
			t.Errorf("%s: redelivery counter %d, want %d", m.Text, m.RedeliveryCounter, want[m.Text])
		}
		if err := k2.Ack(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}

// A message that expires while prefetched is not delivered: it is acknowledged
// as expired, and the broker dead-letters it as it does expired messages.
func TestExpiredMessageAckedAsExpired(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{DLQ: "individual"})
	ctx := testCtx(t, 60*time.Second)
	c, err := Dial(ctx, b.URL, Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := newQueue(t)
	s := mustSession(t, c, false)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short := &Message{Kind: KindText, Text: "short-lived", Persistent: true, TimeToLive: 1500 * time.Millisecond}
	if err := p.Send(ctx, Queue(q), short); err != nil {
		t.Fatal(err)
	}
	checkfor.Within(t, 10*time.Second, func() error { // prefetched, not yet received
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.qhead == len(k.queue) {
			return errors.New("not prefetched yet")
		}
		return nil
	})
	checkfor.Within(t, 10*time.Second, func() error {
		if time.Now().UnixMilli() <= short.Expiration {
			return errors.New("not expired yet")
		}
		return nil
	})
	if m := k.TryReceive(); m != nil {
		t.Fatalf("expired message delivered: %q", m.Text)
	}
	sendTexts(t, c, Queue(q), "fresh")
	if m := receiveN(t, k, 1, 20*time.Second)[0]; m.Text != "fresh" {
		t.Fatalf("got %q", m.Text)
	}
	dlq, err := s.NewConsumer(ctx, "DLQ."+q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := receiveN(t, dlq, 1, 20*time.Second)[0]; m.Text != "short-lived" {
		t.Fatalf("DLQ got %q", m.Text)
	}
}
