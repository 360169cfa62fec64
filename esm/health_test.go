package esm_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
	"github.com/mqtrigger/mqtrigger/internal/testhandler"
	"github.com/mqtrigger/mqtrigger/secrets"
)

// Idle mappings (no message to process) say OK again as soon as their consumers
// are subscribed after a broker restart, instead of keeping the connection error.
func TestIdleMappingsClearConnectionErrorOnSubscribe(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{broker: b, functions: []function.Spec{rec.spec("fn")}})
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, h.create(esm.Config{FunctionName: "fn", Queues: []string{queueName(t)}}))
	}
	consuming := func(id string) int { return strings.Count(h.logs.String(), "msg=consuming mapping="+id) }
	checkfor.Within(t, 20*time.Second, func() error {
		for _, id := range ids {
			if consuming(id) != 1 {
				return fmt.Errorf("mapping %s not consuming yet", id)
			}
		}
		return nil
	})
	if err := b.Halt(); err != nil {
		t.Fatal(err)
	}
	checkfor.Within(t, 30*time.Second, func() error {
		for _, id := range ids {
			if r := h.mapping(id).LastProcessingResult; !strings.HasPrefix(r, "PROBLEM: Connection error.") {
				return fmt.Errorf("mapping %s: result %q, want the connection error", id, r)
			}
		}
		return nil
	})
	if err := b.Resume(); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		checkfor.Within(t, 60*time.Second, func() error {
			if n := consuming(id); n < 2 {
				return fmt.Errorf("mapping %s: not subscribed again", id)
			}
			return nil
		})
		// Subscribed: the truth is stored within a couple of seconds, with no batch.
		checkfor.Within(t, 2*time.Second, func() error {
			m := h.mapping(id)
			if m.LastProcessingResult != esm.ResultOK || m.StateTransitionReason != esm.ReasonUserInitiated {
				return fmt.Errorf("mapping %s: result %q, reason %s", id, m.LastProcessingResult, m.StateTransitionReason)
			}
			return nil
		})
	}
	if n := rec.total(); n != 0 {
		t.Fatalf("the function got %d messages; the mappings were idle", n)
	}
}

// An invocation from a mapping is cut at MaxInvocationTime even when the
// function's own timeout is longer; the batch fails as a timed-out function does
// and its message is redelivered.
func TestInvocationCappedForMappings(t *testing.T) {
	var calls atomic.Int32
	firstEnded := make(chan time.Duration, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.ReadAll(req.Body)
		if calls.Add(1) == 1 {
			start := time.Now()
			select { // hangs until the caller gives up
			case <-req.Context().Done():
			case <-time.After(25 * time.Second):
			}
			firstEnded <- time.Since(start)
			return
		}
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	const limit = 500 * time.Millisecond
	h := newHarness(t, harnessOptions{
		functions:     []function.Spec{{Name: "slow", URL: srv.URL, Timeout: 30 * time.Second}},
		maxInvocation: limit,
	})
	q := queueName(t)
	id := h.create(esm.Config{FunctionName: "slow", Queues: []string{q}, BatchSize: 1})
	t.Cleanup(func() { t.Logf("mapping %s", id) })
	queuetest.Send(t, h.broker, q, queuetest.Text("m"))
	select {
	case d := <-firstEnded:
		if d < limit/2 || d > 10*time.Second {
			t.Fatalf("the first invocation ran %v; want it cut at about %v (the function's timeout is 30s)", d, limit)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the first invocation was not cut")
	}
	checkfor.Within(t, 20*time.Second, func() error {
		if n := calls.Load(); n < 2 {
			return fmt.Errorf("%d invocations; the capped batch must be redelivered", n)
		}
		return nil
	})
	waitQueueEmpty(t, h.broker, q, 20*time.Second)
}

// A mapping whose function was deleted stops with FUNCTION_CONFIG_NOT_VALID; when
// the function is created again, FunctionChanged heals the mapping at once, not
// after RetryDelay, for a mapping that names the function with a qualifier too.
func TestFunctionChangedHealsAtOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{retryDelay: 10 * time.Minute})
	ctx := context.Background()
	zipped := testhandler.Zip(t)
	createFn := func() {
		t.Helper()
		role := "arn:aws:iam::123456789012:role/lambda"
		_, err := h.functions.Create(ctx, function.CreateInput{
			Name: "healme", Runtime: "provided.al2023", Role: &role, Handler: "bootstrap",
			Code: &function.Code{ZipFile: zipped},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	createFn()
	q := queueName(t)
	id := h.create(esm.Config{FunctionName: "healme:$LATEST", Queues: []string{q}, BatchSize: 1})
	queuetest.Send(t, h.broker, q, queuetest.Text("one"))
	waitQueueEmpty(t, h.broker, q, 30*time.Second)

	if err := h.functions.Delete(ctx, "healme"); err != nil {
		t.Fatal(err)
	}
	queuetest.Send(t, h.broker, q, queuetest.Text("two"))
	checkfor.Within(t, 30*time.Second, func() error {
		if m := h.mapping(id); m.StateTransitionReason != esm.ReasonFunctionConfigInvalid {
			return fmt.Errorf("reason %s (%q), want FUNCTION_CONFIG_NOT_VALID", m.StateTransitionReason, m.LastProcessingResult)
		}
		return nil
	})

	createFn()
	h.sup.FunctionChanged("healme")
	// RetryDelay is 10 minutes: only FunctionChanged can bring the message through.
	waitQueueEmpty(t, h.broker, q, 20*time.Second)
	checkfor.Within(t, 10*time.Second, func() error {
		if m := h.mapping(id); m.StateTransitionReason != esm.ReasonUserInitiated {
			return fmt.Errorf("reason %s (%q) after the function came back", m.StateTransitionReason, m.LastProcessingResult)
		}
		return nil
	})
}

// Wildcard and composite queue names are consumed on purpose: queues created after
// the mapping started are consumed too, and each record's destination names the
// queue its message came from.
func TestWildcardAndCompositeQueues(t *testing.T) {
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	base := queueName(t)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{base + ".>"}, BatchSize: 1})
	h.create(esm.Config{FunctionName: "fn", Queues: []string{base + "-x," + base + "-y"}, BatchSize: 1})
	// Created by these sends, after the consumers subscribed.
	sent := map[string]string{
		"eu": base + ".eu", "us-east": base + ".us.east", "x": base + "-x", "y": base + "-y",
	}
	for body, q := range sent {
		queuetest.Send(t, h.broker, q, queuetest.Text(body))
	}
	checkfor.Within(t, 30*time.Second, func() error {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		got := map[string]string{}
		for _, inv := range rec.invocations {
			for _, m := range inv {
				got[decode(m.Data)] = m.Destination.PhysicalName
			}
		}
		for body, q := range sent {
			if got[body] != q {
				return fmt.Errorf("message %q: destination %q, want %q (got %v)", body, got[body], q, got)
			}
		}
		return nil
	})
}

// A secret whose value is not JSON stops the mapping with EVENT_SOURCE_AUTHN_ERROR
// and a result that names the secret once and says what is wrong.
func TestNonJSONSecretNamedOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	out, err := h.secrets.Create(context.Background(), secrets.CreateInput{Name: "not-json", SecretString: "admin:admin"})
	if err != nil {
		t.Fatal(err)
	}
	id := h.create(esm.Config{FunctionName: "fn", Queues: []string{queueName(t)},
		SourceAccessConfigurations: []esm.SourceAccessConfiguration{{Type: "BASIC_AUTH", URI: out.ARN}}})
	checkfor.Within(t, 20*time.Second, func() error {
		m := h.mapping(id)
		if m.StateTransitionReason != esm.ReasonEventSourceAuthnError {
			return fmt.Errorf("reason %q, result %q", m.StateTransitionReason, m.LastProcessingResult)
		}
		if n := strings.Count(m.LastProcessingResult, out.ARN); n != 1 || !strings.Contains(m.LastProcessingResult, "not a JSON object") {
			return fmt.Errorf("result %q names the secret %d times", m.LastProcessingResult, n)
		}
		return nil
	})
}

// Each user change of a mapping leaves one line in the engine log once carried out.
func TestStateChangesLogged(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	id := h.create(esm.Config{FunctionName: "fn", Queues: []string{queueName(t)}})
	count := func(what string) int {
		return strings.Count(h.logs.String(), `msg="mapping `+what+`" component=esm mapping=`+id)
	}
	h.update(id, esm.StateDisabling, func(m *esm.Mapping) { m.Enabled = false })
	h.waitState(id, esm.StateDisabled)
	h.update(id, esm.StateEnabling, func(m *esm.Mapping) { m.Enabled = true })
	h.waitState(id, esm.StateEnabled)
	time.Sleep(2 * time.Second) // two resyncs of the harness, which must not log again
	for what, want := range map[string]int{"created": 1, "disabled": 1, "enabled": 1} {
		if n := count(what); n != want {
			t.Errorf("%d %q lines, want %d", n, what, want)
		}
	}
}

// A message in flight (with the function) when the broker restarts comes back marked
// redelivered when the broker persists the mark (persistJMSRedelivered, which
// scripts/activemq sets), and looks new without it: ActiveMQ keeps the redelivery
// counter of an unacknowledged message only in memory otherwise.
func TestRedeliveredAcrossBrokerRestart(t *testing.T) {
	for _, tc := range []struct {
		name    string
		persist bool
	}{{"persistJMSRedelivered", true}, {"ActiveMQ default", false}} {
		t.Run(tc.name, func(t *testing.T) {
			b := brokertest.Start(t, brokertest.Options{PersistRedelivered: tc.persist})
			release := make(chan struct{})
			var first atomic.Bool
			rec := newRecorder(t, func(msgs []events.ActiveMQMessage) (int, string) {
				if first.CompareAndSwap(false, true) {
					<-release // in flight while the broker restarts
				}
				return 200, "{}"
			})
			h := newHarness(t, harnessOptions{broker: b, functions: []function.Spec{rec.spec("fn")}})
			q := queueName(t)
			h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 1})
			queuetest.Send(t, b, q, queuetest.Text("in-flight"))
			checkfor.Within(t, 20*time.Second, func() error {
				if !first.Load() {
					return fmt.Errorf("not invoked yet")
				}
				return nil
			})
			if err := b.Halt(); err != nil {
				t.Fatal(err)
			}
			close(release)
			if err := b.Resume(); err != nil {
				t.Fatal(err)
			}
			checkfor.Within(t, 60*time.Second, func() error {
				if n := len(rec.batchSizes()); n < 2 {
					return fmt.Errorf("%d invocations; the message must come back after the restart", n)
				}
				return nil
			})
			rec.mu.Lock()
			got := rec.invocations[1][0]
			firstSeen := rec.invocations[0][0]
			rec.mu.Unlock()
			if firstSeen.Redelivered {
				t.Fatal("the first delivery is marked redelivered")
			}
			if got.Redelivered != tc.persist {
				t.Fatalf("after the restart redelivered=%v, want %v", got.Redelivered, tc.persist)
			}
			waitQueueEmpty(t, b, q, 30*time.Second)
		})
	}
}
