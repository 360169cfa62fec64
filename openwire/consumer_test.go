package openwire

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
)

func fastPolicy(max int) RedeliveryPolicy {
	p := DefaultRedeliveryPolicy()
	p.MaximumRedeliveries = max
	p.InitialRedeliveryDelay = 20 * time.Millisecond
	p.RedeliveryDelay = 20 * time.Millisecond
	return p
}

// A consumer that holds every message unacknowledged must keep receiving past
// its prefetch window (DELIVERED acks), and acks of non-contiguous and
// contiguous sets must remove exactly those messages.
func TestPrefetchNeverStallsAndRangeAcks(t *testing.T) {
	c := dialShared(t, Config{})
	q := newQueue(t)
	texts := make([]string, 25)
	for i := range texts {
		texts[i] = fmt.Sprint("m", i)
	}
	sendTexts(t, c, Queue(q), texts...)
	s := mustSession(t, c, false)
	ctx := testCtx(t, 20*time.Second)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 4})
	if err != nil {
		t.Fatal(err)
	}
	got := receiveN(t, k, 25, 10*time.Second) // 25 held with a window of 4
	for i, m := range got {
		if m.Text != texts[i] {
			t.Fatalf("order: %d is %q", i, m.Text)
		}
	}
	// ack 0..9 as a range, 12 and 14 individually, 15..24 as a range: 10, 11, 13 stay
	ack := append(append([]*Message{}, got[0:10]...), got[12], got[14])
	ack = append(ack, got[15:]...)
	if err := k.Ack(ctx, ack...); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(ctx); err != nil {
		t.Fatal(err)
	}
	k2, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	left := receiveN(t, k2, 3, 10*time.Second)
	var names []string
	for _, m := range left {
		names = append(names, m.Text)
		if m.RedeliveryCounter != 1 {
			t.Errorf("%s: redelivery counter %d, want 1 (it was delivered before the consumer closed)", m.Text, m.RedeliveryCounter)
		}
	}
	if strings.Join(names, ",") != "m10,m11,m13" {
		t.Fatalf("left over: %v", names)
	}
	expectNone(t, k2, 300*time.Millisecond)
	if err := k2.Ack(ctx, left...); err != nil {
		t.Fatal(err)
	}
}

func TestTryReceive(t *testing.T) {
	c := dialShared(t, Config{})
	q := newQueue(t)
	s := mustSession(t, c, false)
	ctx := testCtx(t, 20*time.Second)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := k.TryReceive(); m != nil {
		t.Fatal("TryReceive on an empty queue returned a message")
	}
	sendTexts(t, c, Queue(q), "a", "b")
	var got []*Message
	checkfor.Within(t, 5*time.Second, func() error {
		if m := k.TryReceive(); m != nil {
			got = append(got, m)
		}
		if len(got) < 2 {
			return fmt.Errorf("have %d", len(got))
		}
		return nil
	})
	if err := k.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
}

// Redeliver brings a message back with the counter incremented, ahead of
// newer ones; after 1 + 6 deliveries it lands in the DLQ with the cause.
func TestRedeliverThenDeadLetter(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	c := dialShared(t, Config{})
	q := newQueue(t)
	// ActiveMQ.DLQ is shared by every test: read only this test's messages
	dlqFor := func(m *Message) *Consumer {
		t.Helper()
		k, err := mustSession(t, c, false).NewConsumer(ctx, "ActiveMQ.DLQ", ConsumerOptions{Selector: "JMSMessageID = '" + m.ID + "'"})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	sendTexts(t, c, Queue(q), "poison-me", "next")
	s := mustSession(t, c, false)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 10, Redelivery: fastPolicy(6)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := k.Receive(ctx)
	if err != nil || first.Text != "poison-me" {
		t.Fatalf("%v %v", first, err)
	}
	deliveries := 1
	for {
		if err := k.Redeliver(ctx, "handler failed: boom", first); err != nil {
			t.Fatal(err)
		}
		if deliveries == 7 {
			break
		}
		// redeliveries do not block newer messages, but once due they come first
		checkfor.Within(t, 5*time.Second, func() error {
			k.mu.Lock()
			defer k.mu.Unlock()
			if len(k.ready) == 0 {
				return errors.New("redelivery not due yet")
			}
			return nil
		})
		m, err := k.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Text != "poison-me" {
			t.Fatalf("delivery %d: got %q ahead of the redelivery", deliveries+1, m.Text)
		}
		deliveries++
		if m.RedeliveryCounter != deliveries-1 || !m.Redelivered() {
			t.Fatalf("delivery %d: counter %d", deliveries, m.RedeliveryCounter)
		}
		first = m
	}
	next, err := k.Receive(ctx)
	if err != nil || next.Text != "next" {
		t.Fatalf("after poisoning: %v %v", next, err)
	}
	if err := k.Ack(ctx, next); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(ctx); err != nil {
		t.Fatal(err)
	}
	dlq := dlqFor(first)
	dead, err := dlq.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dead.Text != "poison-me" || dead.Properties["dlqDeliveryFailureCause"] != "java.lang.Throwable: handler failed: boom" {
		t.Fatalf("DLQ message %q with properties %v", dead.Text, dead.Properties)
	}
	if dead.OriginalDestination == nil || dead.OriginalDestination.Name != q {
		t.Errorf("original destination %v", dead.OriginalDestination)
	}
	if err := dlq.Ack(ctx, dead); err != nil {
		t.Fatal(err)
	}

	// a message that arrives with its counter already past the maximum is
	// dead-lettered without being delivered (Java's pre-dispatch check)
	sendTexts(t, c, Queue(q), "arrives-exhausted")
	k1, err := s.NewConsumer(ctx, q, ConsumerOptions{Redelivery: fastPolicy(6)})
	if err != nil {
		t.Fatal(err)
	}
	m, err := k1.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = k1.Close(ctx) // broker counter +1
	k2, err := s.NewConsumer(ctx, q, ConsumerOptions{Redelivery: fastPolicy(0)})
	if err != nil {
		t.Fatal(err)
	}
	expectNone(t, k2, 500*time.Millisecond)
	dlq = dlqFor(m)
	dead, err = dlq.Receive(ctx)
	if err != nil || dead.Text != m.Text || !strings.Contains(fmt.Sprint(dead.Properties["dlqDeliveryFailureCause"]), "exceeds redelivery policy limit") {
		t.Fatalf("pre-dispatch poison: %v %v", dead, err)
	}
	_ = dlq.Ack(ctx, dead)
}

func TestPoison(t *testing.T) {
	c := dialShared(t, Config{})
	q := newQueue(t)
	sendTexts(t, c, Queue(q), "bad")
	s := mustSession(t, c, false)
	ctx := testCtx(t, 20*time.Second)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := k.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Poison(ctx, "not parseable", m); err != nil {
		t.Fatal(err)
	}
	if err := k.Ack(ctx, m); err == nil {
		t.Fatal("ack after poison succeeded")
	}
	dlq, err := s.NewConsumer(ctx, "ActiveMQ.DLQ", ConsumerOptions{Selector: "JMSMessageID = '" + m.ID + "'"})
	if err != nil {
		t.Fatal(err)
	}
	dead, err := dlq.Receive(ctx)
	if err != nil || dead.ID != m.ID || dead.Properties["dlqDeliveryFailureCause"] != "java.lang.Throwable: not parseable" {
		t.Fatalf("%+v %v", dead, err)
	}
	_ = dlq.Ack(ctx, dead)
}

// The prefetch queue keeps dispatch order while it is drained and refilled.
func TestConsumerQueueOrder(t *testing.T) {
	c := &Conn{done: make(chan struct{})}
	k := &Consumer{c: c, outstanding: map[uint64]*Message{}, notify: make(chan struct{}, 1), policy: DefaultRedeliveryPolicy()}
	k.prefetch.Store(1 << 30)
	l := &link{}
	var want uint64 = 1
	pop := func(n int) {
		for i := 0; i < n; i++ {
			k.mu.Lock()
			m := k.next()
			k.mu.Unlock()
			if m == nil || m.seq != want {
				t.Fatalf("pop %d: got %v, want seq %d", i, m, want)
			}
			want++
		}
	}
	push := func(n int) {
		for i := 0; i < n; i++ {
			k.arrive(l, &Message{}, nil)
		}
	}
	push(1000)
	pop(300)
	push(1000)
	pop(1500)
	push(10)
	pop(210)
	k.mu.Lock()
	defer k.mu.Unlock()
	if m := k.next(); m != nil || len(k.queue) != 0 {
		t.Fatalf("queue not empty: %v %d", m, len(k.queue))
	}
}

// With OrderedRedelivery, a handed-back message holds back newer ones until its
// delay has passed, and then comes first; without it, newer ones flow meanwhile.
func TestOrderedRedeliveryHoldsNewer(t *testing.T) {
	for _, ordered := range []bool{true, false} {
		t.Run(fmt.Sprint("ordered=", ordered), func(t *testing.T) {
			c := &Conn{done: make(chan struct{})}
			p := fastPolicy(6)
			p.InitialRedeliveryDelay = 200 * time.Millisecond
			k := &Consumer{c: c, s: &Session{}, outstanding: map[uint64]*Message{}, timers: map[*Message]*time.Timer{},
				notify: make(chan struct{}, 1), policy: p, ordered: ordered}
			k.prefetch.Store(1 << 30)
			l := &link{}
			for i := 0; i < 3; i++ {
				k.arrive(l, &Message{Text: fmt.Sprint(i)}, nil)
			}
			k.mu.Lock()
			first := k.next()
			k.handBack(l, 0, []*Message{first}, "retry")
			second := k.next()
			k.mu.Unlock()
			if ordered {
				if second != nil {
					t.Fatalf("got %q while message 0 waits for redelivery", second.Text)
				}
				deadline := time.Now().Add(5 * time.Second)
				for second == nil && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond) // the redelivery timer is what we wait for
					k.mu.Lock()
					second = k.next()
					k.mu.Unlock()
				}
				if second == nil || second.Text != "0" || second.RedeliveryCounter != 1 {
					t.Fatalf("after the delay got %+v, want message 0 redelivered", second)
				}
			} else if second == nil || second.Text != "1" {
				t.Fatalf("got %+v, want message 1 during the delay", second)
			}
		})
	}
}

// SetPrefetch shrinks the window at the broker: a consumer cut to 1 holds one
// message and a second consumer gets the rest, where with its original 100 the
// broker would have pushed it its share.
func TestSetPrefetchShrinksTheBrokersWindow(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	q := newQueue(t)
	c := dialShared(t, Config{})
	a, err := mustSession(t, c, false).NewConsumer(ctx, q, ConsumerOptions{Prefetch: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetPrefetch(1); err != nil {
		t.Fatal(err)
	}
	if a.Prefetch() != 1 {
		t.Fatalf("Prefetch() = %d after SetPrefetch(1)", a.Prefetch())
	}
	if err := a.SetPrefetch(0); err == nil {
		t.Fatal("SetPrefetch(0) accepted")
	}
	b, err := mustSession(t, c, false).NewConsumer(ctx, q, ConsumerOptions{Prefetch: 100})
	if err != nil {
		t.Fatal(err)
	}
	texts := make([]string, 20)
	for i := range texts {
		texts[i] = fmt.Sprint(i)
	}
	sendTexts(t, c, Queue(q), texts...)
	if got := receiveN(t, b, 19, 20*time.Second); len(got) != 19 {
		t.Fatalf("second consumer got %d messages, want 19", len(got))
	}
	if m := receiveN(t, a, 1, 20*time.Second); len(m) != 1 {
		t.Fatal("first consumer got nothing")
	}
}
