package openwire

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// browseAll reads a browse to its end.
func browseAll(t *testing.T, s *Session, queue string, opts BrowserOptions) []*Message {
	t.Helper()
	ctx := testCtx(t, 30*time.Second)
	b, err := s.NewBrowser(ctx, queue, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	var out []*Message
	for {
		m, err := b.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("browsed %d: %v", len(out), err)
		}
		out = append(out, m)
	}
}

// Browsing shows every message in order with its properties, past the prefetch
// window, ends with io.EOF, and leaves the queue as it was: a second browse
// sees the same messages, and a consumer then gets all of them, none
// redelivered. (On a broker with persistJMSRedelivered, ActiveMQ stores a
// raised redelivery counter for every message it dispatches, to a browser too:
// docs/dlq.md.)
func TestBrowserLeavesQueueUnchanged(t *testing.T) {
	c := dialShared(t, Config{})
	q := newQueue(t)
	ctx := testCtx(t, 60*time.Second)
	s := mustSession(t, c, false)
	p, err := s.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	for i := range n {
		m := &Message{Kind: KindText, Text: fmt.Sprint("m", i), Persistent: true, Priority: 4, Type: "order",
			Properties: map[string]any{"n": int32(i), "customer": "ACME"}}
		if err := p.Send(ctx, Queue(q), m); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 2 {
		got := browseAll(t, s, q, BrowserOptions{Prefetch: 4}) // 30 through a window of 4
		if len(got) != n {
			t.Fatalf("browse %d: %d messages, want %d", round, len(got), n)
		}
		for i, m := range got {
			if m.Text != fmt.Sprint("m", i) || m.Properties["n"] != int32(i) || m.Properties["customer"] != "ACME" || m.Type != "order" {
				t.Fatalf("browse %d: message %d is %q %v %q", round, i, m.Text, m.Properties, m.Type)
			}
			if m.RedeliveryCounter != 0 {
				t.Fatalf("browse %d: message %d has redelivery counter %d", round, i, m.RedeliveryCounter)
			}
		}
	}
	sel := browseAll(t, s, q, BrowserOptions{Selector: "n >= 25"})
	if len(sel) != 5 || sel[0].Text != "m25" {
		t.Fatalf("selector browse: %d messages", len(sel))
	}
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := receiveN(t, k, n, 20*time.Second)
	for i, m := range got {
		if m.Text != fmt.Sprint("m", i) || m.Redelivered() {
			t.Fatalf("consumed %d: %q redelivered=%v", i, m.Text, m.Redelivered())
		}
	}
	if err := k.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	if left := browseAll(t, s, q, BrowserOptions{}); len(left) != 0 {
		t.Fatalf("%d messages left after consuming all", len(left))
	}
}

// A message a real consumer dead-letters with a poison ack shows in the DLQ's
// browse with the broker's dlqDeliveryFailureCause and its original
// destination; browsing it leaves it there.
func TestBrowserShowsDeadLetterCause(t *testing.T) {
	c := dialShared(t, Config{})
	q := newQueue(t)
	ctx := testCtx(t, 60*time.Second)
	sent := sendTexts(t, c, Queue(q), "poison")
	s := mustSession(t, c, false)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 1})
	if err != nil {
		t.Fatal(err)
	}
	m := receiveN(t, k, 1, 10*time.Second)[0]
	if err := k.Poison(ctx, "function failed: boom", m); err != nil {
		t.Fatal(err)
	}
	sel := BrowserOptions{Selector: fmt.Sprintf("JMSMessageID = '%s'", sent[0].ID)}
	for range 2 {
		got := browseAll(t, s, "ActiveMQ.DLQ", sel)
		if len(got) != 1 {
			t.Fatalf("DLQ browse: %d messages, want 1", len(got))
		}
		d := got[0]
		cause, _ := d.Properties["dlqDeliveryFailureCause"].(string)
		if !strings.Contains(cause, "function failed: boom") {
			t.Fatalf("dlqDeliveryFailureCause = %q", cause)
		}
		if d.OriginalDestination == nil || d.OriginalDestination.Name != q || d.Text != "poison" {
			t.Fatalf("DLQ copy: original %v, text %q", d.OriginalDestination, d.Text)
		}
	}
}

// A closed browser returns ErrClosed.
func TestBrowserClose(t *testing.T) {
	c := dialShared(t, Config{})
	s := mustSession(t, c, false)
	ctx := testCtx(t, 10*time.Second)
	b, err := s.NewBrowser(ctx, newQueue(t), BrowserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Next(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// A failover reconnect ends a browse (a new one would start from the head
// again): Next returns ErrStale, and a new browser sees the whole queue.
func TestBrowserEndsOnReconnect(t *testing.T) {
	ctx := testCtx(t, 120*time.Second)
	r := dialRestartable(t, ctx)
	q := newQueue(t)
	texts := make([]string, 10)
	for i := range texts {
		texts[i] = fmt.Sprint("m", i)
	}
	sendTexts(t, r.c, Queue(q), texts...)
	s := mustSession(t, r.c, false)
	b, err := s.NewBrowser(ctx, q, BrowserOptions{Prefetch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := b.Next(ctx); err != nil || m.Text != "m0" {
		t.Fatalf("first: %v %v", m, err)
	}
	r.restart(t)
	for {
		_, err := b.Next(ctx)
		if err == nil {
			continue // copies that arrived before the link was lost
		}
		if !errors.Is(err, ErrStale) {
			t.Fatalf("Next after a reconnect: %v, want ErrStale", err)
		}
		break
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := browseAll(t, s, q, BrowserOptions{}); len(got) != 10 {
		t.Fatalf("browse after the reconnect: %d messages, want 10", len(got))
	}
}
