package dlq_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/dlq"
	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/dlqtest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

func TestMain(m *testing.M) { os.Exit(brokertest.Main(m)) }

func dial(t *testing.T) *openwire.Conn {
	t.Helper()
	b := brokertest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := openwire.Dial(ctx, b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func runSel(run string) string { return fmt.Sprintf("run = '%s'", run) }

// Redrive moves dead-lettered messages back to the queue each came from, with
// their body, type and properties and without the failure cause; a queue
// filter and an id filter leave the others in the DLQ, counted as skipped.
func TestRedriveByQueueAndID(t *testing.T) {
	c := dial(t)
	run := fmt.Sprint("byqueue", time.Now().UnixNano())
	q1, q2 := "dlq.test."+run+".a", "dlq.test."+run+".b"
	a := dlqtest.Texts(run, "a0", "a1", "a2")
	a[1].Type, a[1].Properties["orderId"] = "order", int64(7)
	dlqtest.DeadLetter(t, c, q1, "boom a", a)
	idsB := dlqtest.DeadLetter(t, c, q2, "boom b", dlqtest.Texts(run, "b0", "b1"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	res, err := dlq.Redrive(ctx, c, dlq.Options{Queues: []string{q1}, BatchSize: 2, Wait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 3 || res.MovedByQueue[q1] != 3 || len(res.MovedByQueue) != 1 {
		t.Fatalf("moved %d %v, want 3 to %s", res.Moved, res.MovedByQueue, q1)
	}
	if res.Skipped < 2 || !hasSkip(res, idsB[0], dlq.ReasonOtherQueue) {
		t.Fatalf("skipped %d %v: want %s's two", res.Skipped, res.SkippedMessages, q2)
	}
	back := dlqtest.Browse(t, c, q1, "")
	if len(back) != 3 {
		t.Fatalf("%s holds %d messages, want 3", q1, len(back))
	}
	for i, m := range back {
		if m.Text != fmt.Sprint("a", i) || m.Properties["run"] != run || m.Properties["dlqDeliveryFailureCause"] != nil || m.Properties["originalExpiration"] != nil || m.RedeliveryCounter != 0 {
			t.Fatalf("moved message %d: %q %v redelivery %d", i, m.Text, m.Properties, m.RedeliveryCounter)
		}
	}
	if back[1].Type != "order" || back[1].Properties["orderId"] != int64(7) {
		t.Fatalf("type %q, properties %v", back[1].Type, back[1].Properties)
	}
	if left := dlqtest.Browse(t, c, dlq.DefaultQueue, runSel(run)); len(left) != 2 {
		t.Fatalf("DLQ holds %d of the run, want 2", len(left))
	}

	res, err = dlq.Redrive(ctx, c, dlq.Options{IDs: []string{idsB[1], "ID:nowhere-1:1:1:1:1"}, Wait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 1 || res.MovedByQueue[q2] != 1 || res.Skipped != 0 || len(res.NotFound) != 1 || res.NotFound[0] != "ID:nowhere-1:1:1:1:1" {
		t.Fatalf("by id: %+v", res)
	}
	if got := dlqtest.Browse(t, c, q2, ""); len(got) != 1 || got[0].Text != "b1" {
		t.Fatalf("%s after redrive by id: %d messages", q2, len(got))
	}
	if left := dlqtest.Browse(t, c, dlq.DefaultQueue, runSel(run)); len(left) != 1 || left[0].Text != "b0" {
		t.Fatalf("DLQ holds %d of the run, want b0", len(left))
	}
}

// A message sent straight to a dead-letter queue has no original
// destination: Redrive leaves it there and says why.
func TestRedriveSkipsWithoutOriginal(t *testing.T) {
	c := dial(t)
	run := fmt.Sprint("noorig", time.Now().UnixNano())
	q := "dlq.test." + run + ".DLQ"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := c.NewSession(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := dlqtest.Texts(run, "direct")[0]
	if err := p.Send(ctx, openwire.Queue(q), m); err != nil {
		t.Fatal(err)
	}
	res, err := dlq.Redrive(ctx, c, dlq.Options{DLQ: q, Wait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 0 || res.Skipped != 1 || !hasSkip(res, m.ID, dlq.ReasonNoOriginal) {
		t.Fatalf("%+v", res)
	}
	if left := dlqtest.Browse(t, c, q, ""); len(left) != 1 {
		t.Fatalf("%s holds %d messages, want 1", q, len(left))
	}
}

func TestSelectorQuotes(t *testing.T) {
	if got := dlq.Selector([]string{"ID:a", "it's"}); got != "JMSMessageID IN ('ID:a', 'it''s')" {
		t.Fatal(got)
	}
}

func hasSkip(r dlq.Result, id, reason string) bool {
	for _, s := range r.SkippedMessages {
		if s.MessageID == id && strings.HasPrefix(s.Reason, reason) {
			return true
		}
	}
	return false
}

func TestMatchQueue(t *testing.T) {
	for _, c := range []struct {
		p, q string
		ok   bool
	}{
		{"orders", "orders", true}, {"orders", "orders.eu", false}, {"orders.>", "orders.eu", true},
		{"orders.>", "orders.eu.x", true}, {"orders.>", "orders", false}, {"orders.*", "orders.eu", true},
		{"orders.*", "orders.eu.x", false}, {"a,b", "b", true}, {"a, b", "b", true}, {"a,b", "c", false},
		{"*.eu", "orders.eu", true}, {"*.eu", "orders.us", false},
	} {
		if got := dlq.MatchQueue(c.p, c.q); got != c.ok {
			t.Errorf("MatchQueue(%q, %q) = %v", c.p, c.q, got)
		}
	}
}

// Redriving while the queue's consumer still fails the messages does not
// loop: a copy dead-lettered again is left in the DLQ, counted with the reason.
func TestRedriveStopsOnMessagesFailingAgain(t *testing.T) {
	c := dial(t)
	run := fmt.Sprint("again", time.Now().UnixNano())
	q := "dlq.test." + run
	dlqtest.DeadLetter(t, c, q, "boom", dlqtest.Texts(run, "x0", "x1", "x2"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// a consumer that still fails everything
	s, err := c.NewSession(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.NewConsumer(ctx, q, openwire.ConsumerOptions{Prefetch: 1})
	if err != nil {
		t.Fatal(err)
	}
	fctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			m, err := k.Receive(fctx)
			if err != nil {
				return
			}
			_ = k.Poison(fctx, "still broken", m)
		}
	}()
	res, err := dlq.Redrive(ctx, c, dlq.Options{Queues: []string{q}, Wait: 2 * time.Second})
	stop()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 3 || res.SkippedByReason[dlq.ReasonAgain] != 3 {
		t.Fatalf("%+v", res)
	}
	if left := dlqtest.Browse(t, c, dlq.DefaultQueue, runSel(run)); len(left) != 3 {
		t.Fatalf("DLQ holds %d of the run, want 3", len(left))
	}
}
