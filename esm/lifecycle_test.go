package esm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
	"github.com/mqtrigger/mqtrigger/openwire"
	"github.com/mqtrigger/mqtrigger/secrets"
)

func numbered(prefix string, from, to int) []*openwire.Message {
	var out []*openwire.Message
	for i := from; i < to; i++ {
		out = append(out, queuetest.Text(fmt.Sprintf("%s-%05d", prefix, i)))
	}
	return out
}

func waitDelivered(t *testing.T, rec *recorder, n int, total time.Duration) {
	t.Helper()
	checkfor.Within(t, total, func() error {
		if got := len(rec.deliveries()); got < n {
			return fmt.Errorf("%d of %d distinct messages delivered", got, n)
		}
		return nil
	})
}

// Disable stops consumption, enable resumes it, delete removes the mapping; each
// state is reported on the way.
func TestDisableEnableDelete(t *testing.T) {
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	id := h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10, MaximumBatchingWindowInSeconds: intp(0)})
	queuetest.Send(t, h.broker, q, numbered("a", 0, 10)...)
	waitDelivered(t, rec, 10, 20*time.Second)

	h.update(id, esm.StateDisabling, func(c *esm.Mapping) { c.Enabled = false })
	h.waitState(id, esm.StateDisabled)
	queuetest.Send(t, h.broker, q, numbered("b", 0, 10)...)
	// Nothing may arrive while disabled; give a running consumer time to show itself.
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if got := len(rec.deliveries()); got != 10 {
			t.Fatalf("%d messages delivered while disabled", got-10)
		}
		time.Sleep(50 * time.Millisecond)
	}

	h.update(id, esm.StateEnabling, func(c *esm.Mapping) { c.Enabled = true })
	h.waitState(id, esm.StateEnabled)
	waitDelivered(t, rec, 20, 20*time.Second)

	h.update(id, esm.StateDeleting, func(*esm.Mapping) {})
	checkfor.Within(t, 20*time.Second, func() error {
		_, err := h.store.GetMapping(context.Background(), id)
		if !errors.Is(err, esm.ErrNotFound) {
			return fmt.Errorf("mapping still there (err %v)", err)
		}
		return nil
	})
}

// An update mid-stream (batch size, concurrency) loses nothing.
func TestUpdateMidStreamLosesNothing(t *testing.T) {
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	id := h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 5, MaximumBatchingWindowInSeconds: intp(0),
		ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 2}})
	queuetest.Send(t, h.broker, q, numbered("u", 0, 1000)...)
	checkfor.Within(t, 20*time.Second, func() error {
		if rec.total() < 100 {
			return fmt.Errorf("%d delivered", rec.total())
		}
		return nil
	})
	h.update(id, esm.StateUpdating, func(c *esm.Mapping) {
		c.BatchSize = 50
		c.ScalingConfig = &esm.ScalingConfig{MaximumConcurrency: 4}
	})
	h.waitState(id, esm.StateEnabled)
	queuetest.Send(t, h.broker, q, numbered("u", 1000, 2000)...)
	waitDelivered(t, rec, 2000, 60*time.Second)
	cfg := h.mapping(id).Config
	if cfg.BatchSize != 50 {
		t.Fatalf("stored BatchSize %d", cfg.BatchSize)
	}
	big := false
	for _, s := range rec.batchSizes() {
		if s > 5 {
			big = true
		}
	}
	if !big {
		t.Fatalf("no batch larger than 5 after BatchSize became 50: %v", rec.batchSizes())
	}
}

// Credentials the broker refuses stop the mapping with EVENT_SOURCE_AUTHN_ERROR; a
// corrected secret heals it.
func TestRefusedCredentials(t *testing.T) {
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	bad := h.putSecret("wrong-password", h.broker.User, "not-the-password")
	queuetest.Send(t, h.broker, q, queuetest.Text("waiting"))
	id := h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, MaximumBatchingWindowInSeconds: intp(0),
		SourceAccessConfigurations: []esm.SourceAccessConfiguration{{Type: "BASIC_AUTH", URI: bad}}})
	checkfor.Within(t, 20*time.Second, func() error {
		m := h.mapping(id)
		if m.StateTransitionReason != esm.ReasonEventSourceAuthnError {
			return fmt.Errorf("reason %q, result %q", m.StateTransitionReason, m.LastProcessingResult)
		}
		return nil
	})
	if rec.total() != 0 {
		t.Fatal("function invoked without a broker connection")
	}
	value, _ := json.Marshal(map[string]string{"username": h.broker.User, "password": h.broker.Password})
	if _, err := h.secrets.PutValue(context.Background(), secrets.PutInput{SecretID: bad, SecretString: string(value)}); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, rec, 1, 30*time.Second)
	checkfor.Within(t, 10*time.Second, func() error {
		if m := h.mapping(id); m.StateTransitionReason != esm.ReasonUserInitiated || m.State != esm.StateEnabled {
			return fmt.Errorf("state %s reason %s", m.State, m.StateTransitionReason)
		}
		return nil
	})
}

// A mapping whose function does not exist stops with FUNCTION_CONFIG_NOT_VALID and
// takes no message.
func TestMissingFunction(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	q := queueName(t)
	queuetest.Send(t, h.broker, q, queuetest.Text("kept"))
	id := h.create(esm.Config{FunctionName: "nope", Queues: []string{q}})
	checkfor.Within(t, 20*time.Second, func() error {
		if m := h.mapping(id); m.StateTransitionReason != esm.ReasonFunctionConfigInvalid {
			return fmt.Errorf("reason %q", m.StateTransitionReason)
		}
		return nil
	})
	left := queuetest.Drain(t, h.broker, q, time.Second)
	if len(left) != 1 || left[0].RedeliveryCounter != 0 {
		t.Fatalf("queue holds %d messages; the message must wait untouched", len(left))
	}
}

// A broker restart in the middle of a stream: the mapping reconnects by itself and
// finishes the stream.
func TestBrokerRestartMidStream(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{broker: b, functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10, MaximumBatchingWindowInSeconds: intp(0)})
	queuetest.Send(t, b, q, numbered("r", 0, 2000)...)
	checkfor.Within(t, 20*time.Second, func() error {
		if rec.total() < 200 {
			return fmt.Errorf("%d delivered", rec.total())
		}
		return nil
	})
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, rec, 2000, 120*time.Second)
	// Messages whose acknowledgement the restart cut off come back and are processed
	// again (at-least-once); the queue ends empty.
	waitQueueEmpty(t, b, q, 60*time.Second)
}

// Changing a mapping's tags alone leaves its consumers running; changing what it
// runs (here the batch size) restarts them.
func TestTagChangeKeepsConsumers(t *testing.T) {
	rec := newRecorder(t, func([]events.ActiveMQMessage) (int, string) { return 200, "{}" })
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	id := h.create(esm.Config{FunctionName: "fn", Queues: []string{queueName(t)}, BatchSize: 10})
	starts := func() int { return strings.Count(h.logs.String(), "msg=consuming mapping="+id) }
	checkfor.Within(t, 10*time.Second, func() error {
		if starts() != 1 {
			return fmt.Errorf("%d consumer starts, want 1", starts())
		}
		return nil
	})
	h.update(id, esm.StateEnabled, func(c *esm.Mapping) { c.Tags = map[string]string{"team": "orders"} })
	time.Sleep(3 * time.Second) // three resyncs of the harness
	if n := starts(); n != 1 {
		t.Fatalf("a tag change restarted the consumers (%d starts)", n)
	}
	h.update(id, esm.StateUpdating, func(c *esm.Mapping) { c.BatchSize = 20 })
	checkfor.Within(t, 10*time.Second, func() error {
		if starts() != 2 {
			return fmt.Errorf("%d consumer starts after a batch size change, want 2", starts())
		}
		return nil
	})
}
