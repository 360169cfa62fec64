// Package dlqtest helps tests put messages in a real broker's dead-letter
// queue the way a failing consumer does, and look at queues without consuming.
package dlqtest

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/openwire"
)

// DeadLetter sends msgs to queue and has a consumer poison-acknowledge each
// with cause, so the broker dead-letters them (its dlqDeliveryFailureCause and
// originalDestination set). It returns the message ids.
func DeadLetter(t testing.TB, conn *openwire.Conn, queue, cause string, msgs []*openwire.Message) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := conn.NewSession(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	// sent in transactions of 500: thousands of messages in seconds
	ts, err := conn.NewSession(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close(ctx)
	p, err := ts.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		if err := p.Send(ctx, openwire.Queue(queue), m); err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
		if i%500 == 499 || i == len(msgs)-1 {
			if err := ts.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	k, err := s.NewConsumer(ctx, queue, openwire.ConsumerOptions{Prefetch: 200})
	if err != nil {
		t.Fatal(err)
	}
	var batch []*openwire.Message
	for n := 0; n < len(msgs); n++ {
		m, err := k.Receive(ctx)
		if err != nil {
			t.Fatalf("dead-lettering: received %d of %d: %v", n, len(msgs), err)
		}
		batch = append(batch, m)
		if len(batch) == 100 || n == len(msgs)-1 {
			if err := k.Poison(ctx, cause, batch...); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return ids
}

// Texts returns n persistent text messages with the given bodies and a
// property "run" = run.
func Texts(run string, bodies ...string) []*openwire.Message {
	out := make([]*openwire.Message, len(bodies))
	for i, b := range bodies {
		out[i] = &openwire.Message{Kind: openwire.KindText, Text: b, Persistent: true, Priority: 4,
			Properties: map[string]any{"run": run}}
	}
	return out
}

// Browse returns what queue holds (selected by selector), without consuming it.
func Browse(t testing.TB, conn *openwire.Conn, queue, selector string) []*openwire.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := conn.NewSession(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	b, err := s.NewBrowser(ctx, queue, openwire.BrowserOptions{Selector: selector})
	if err != nil {
		t.Fatal(err)
	}
	var out []*openwire.Message
	for {
		m, err := b.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("browsing %s: %v", queue, err)
		}
		out = append(out, m)
	}
}
