package esm_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
	"github.com/mqtrigger/mqtrigger/internal/stallproxy"
)

// What the engine does with what a broker sends on its own initiative, against
// brokers configured as users configure theirs.

// A user the broker's authorization map does not let read the queue stops the
// mapping with EVENT_SOURCE_AUTHZ_ERROR, not the authentication reason: the
// login itself was accepted.
func TestQueueNotAuthorized(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{ExtraUsers: []string{"reader:reader-pw"}, Authz: "allowed.>"})
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{broker: b, functions: []function.Spec{rec.spec("fn")}})
	reader := h.putSecret("reader", "reader", "reader-pw")
	access := []esm.SourceAccessConfiguration{{Type: "BASIC_AUTH", URI: reader}}

	denied := "denied." + queueName(t)
	queuetest.Send(t, b, denied, queuetest.Text("not for reader"))
	id := h.create(esm.Config{FunctionName: "fn", Queues: []string{denied}, SourceAccessConfigurations: access})
	checkfor.Within(t, 30*time.Second, func() error {
		m := h.mapping(id)
		if m.StateTransitionReason != esm.ReasonEventSourceAuthzError {
			return fmt.Errorf("reason %q, result %q", m.StateTransitionReason, m.LastProcessingResult)
		}
		if !strings.Contains(m.LastProcessingResult, denied) || !strings.Contains(m.LastProcessingResult, "authorization map") {
			return fmt.Errorf("result %q does not name the queue and what to check", m.LastProcessingResult)
		}
		return nil
	})

	// The same user on a queue it may read is served.
	allowed := "allowed." + queueName(t)
	queuetest.Send(t, b, allowed, queuetest.Text("for reader"))
	ok := h.create(esm.Config{FunctionName: "fn", Queues: []string{allowed}, SourceAccessConfigurations: access,
		MaximumBatchingWindowInSeconds: intp(0)})
	waitDelivered(t, rec, 1, 30*time.Second)
	if got := rec.deliveries(); got["for reader"] != 1 || got["not for reader"] != 0 {
		t.Fatalf("deliveries %v", got)
	}
	if m := h.mapping(ok); m.StateTransitionReason == esm.ReasonEventSourceAuthzError {
		t.Fatalf("the allowed mapping reports %s", m.StateTransitionReason)
	}
}

// A broker with abortSlowAckConsumerStrategy aborts a consumer whose function
// holds a batch longer than maxTimeSinceLastAck (ConsumerControl close). The
// worker subscribes again, the broker redelivers what the aborted consumer held,
// and every message is acknowledged once the function is quick again: no message
// is lost and no zombie consumer keeps any.
func TestConsumerAbortedBySlowAckPolicy(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{AbortSlowAck: "1000,250"})
	var calls atomic.Int32
	rec := newRecorder(t, func([]events.ActiveMQMessage) (int, string) {
		if calls.Add(1) == 1 {
			time.Sleep(4 * time.Second) // far past the broker's 1 s without an ack
		}
		return 200, "{}"
	})
	h := newHarness(t, harnessOptions{broker: b, functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	bodies := make([]string, 20)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("m%d", i)
	}
	queuetest.Send(t, b, q, queuetest.Texts(bodies...)...)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10, MaximumBatchingWindowInSeconds: intp(0),
		ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 2}})

	waitDelivered(t, rec, len(bodies), 60*time.Second)
	waitQueueEmpty(t, b, q, 60*time.Second)
	// The second worker may have taken the redelivered messages while the first
	// still sleeps: the first sees the abort when its invocation ends.
	checkfor.Within(t, 10*time.Second, func() error {
		if n := h.metric("mqtrigger_consumers_aborted_total"); n < 1 {
			return fmt.Errorf("mqtrigger_consumers_aborted_total %v: the broker's abort was not seen", n)
		}
		if !strings.Contains(h.logs.String(), "the broker aborted the consumer") {
			return errors.New("no log line for the aborted consumer")
		}
		return nil
	})
	checkfor.Within(t, 10*time.Second, func() error {
		if c := h.consumers(); c < 1 {
			return fmt.Errorf("%v consumers after the abort, want the mapping consuming again", c)
		}
		return nil
	})
}

// A plain tcp:// broker link that stops carrying bytes without closing (a
// half-open link): the connection is given up after the 30 s inactivity period
// and redialled under the same ConnectionId and client ID, so the broker drops
// its stale copy at once (with the consumers' prefetched messages, which it
// redelivers) instead of refusing the client ID until its own inactivity check
// fires. Deliveries resume within the inactivity period plus a reconnect, and
// every message reaches the function.
func TestHalfOpenLinkHealsWithinInactivityPeriod(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a 30 s inactivity period")
	}
	b := brokertest.Start(t, brokertest.Options{})
	proxy := stallproxy.Start(t, b.Host)
	var lastAt atomic.Int64
	rec := newRecorder(t, func([]events.ActiveMQMessage) (int, string) {
		lastAt.Store(time.Now().UnixNano())
		return 200, "{}"
	})
	h := newHarness(t, harnessOptions{broker: b, brokerURL: proxy.URL(), functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10, MaximumBatchingWindowInSeconds: intp(0)})

	sent := 0
	send := func(n int) {
		for range n {
			queuetest.Send(t, b, q, queuetest.Text(fmt.Sprintf("m%d", sent)))
			sent++
		}
	}
	send(10)
	waitDelivered(t, rec, 10, 30*time.Second)

	stalledAt := time.Now()
	if n := proxy.Stall(); n != 1 {
		t.Fatalf("%d proxied connections, want 1 (the mappings' shared socket)", n)
	}
	send(10) // taken into the frozen consumer's prefetch, or waiting on the broker
	checkfor.Within(t, 90*time.Second, func() error {
		if n := len(rec.deliveries()); n < sent {
			return fmt.Errorf("%d of %d messages delivered", n, sent)
		}
		return nil
	})
	stall := time.Unix(0, lastAt.Load()).Sub(stalledAt)
	t.Logf("deliveries stalled for %v (inactivity 30 s)", stall.Round(100*time.Millisecond))
	if stall > 40*time.Second {
		t.Errorf("deliveries stalled for %v, want <= 40 s (30 s inactivity + reconnect)", stall.Round(100*time.Millisecond))
	}
	if strings.Contains(h.logs.String(), "InvalidClientIDException") {
		t.Error("the broker refused the mapping's client ID on the reconnect")
	}
	waitQueueEmpty(t, b, q, 30*time.Second)
}
