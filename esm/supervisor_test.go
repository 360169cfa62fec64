package esm_test

import (
	"context"
	"fmt"
	"slices"
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
)

func intp(v int) *int { return &v }

// Every message reaches the function once and is acknowledged: the queue is empty.
func TestDeliversEveryMessageOnce(t *testing.T) {
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10,
		MaximumBatchingWindowInSeconds: intp(0), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 5}})
	const n = 1000
	msgs := make([]*openwire.Message, n)
	for i := range msgs {
		msgs[i] = queuetest.Text(fmt.Sprintf("m-%04d", i))
	}
	queuetest.Send(t, h.broker, q, msgs...)
	checkfor.Within(t, 60*time.Second, func() error {
		if got := rec.total(); got < n {
			return fmt.Errorf("%d of %d delivered", got, n)
		}
		return nil
	})
	for body, count := range rec.deliveries() {
		if count != 1 {
			t.Errorf("%s delivered %d times", body, count)
		}
	}
	if len(rec.deliveries()) != n {
		t.Fatalf("%d distinct messages delivered, want %d", len(rec.deliveries()), n)
	}
	for _, size := range rec.batchSizes() {
		if size > 10 {
			t.Fatalf("batch of %d exceeds BatchSize 10", size)
		}
	}
	checkfor.Within(t, 10*time.Second, func() error {
		if r := h.mapping(h.firstMapping()).LastProcessingResult; r != esm.ResultOK {
			return fmt.Errorf("LastProcessingResult %q", r)
		}
		return nil
	})
	if left := queuetest.Drain(t, h.broker, q, 300*time.Millisecond); len(left) != 0 {
		t.Fatalf("%d messages left on the queue after they were processed", len(left))
	}
}

func (h *harness) firstMapping() string {
	list, err := h.store.ListMappings(context.Background(), storeFilter())
	if err != nil || len(list) == 0 {
		h.t.Fatalf("no mapping: %v", err)
	}
	return list[0].UUID
}

// BatchSize caps a batch; with a window, a batch waits for more messages.
func TestBatchSizeAndWindow(t *testing.T) {
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	var msgs []*openwire.Message
	for i := 0; i < 25; i++ {
		msgs = append(msgs, queuetest.Text(fmt.Sprint(i)))
	}
	queuetest.Send(t, h.broker, q, msgs...) // all there before the mapping starts
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10,
		MaximumBatchingWindowInSeconds: intp(1), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 1}})
	checkfor.Within(t, 30*time.Second, func() error {
		if rec.total() < 25 {
			return fmt.Errorf("%d of 25", rec.total())
		}
		return nil
	})
	if got := rec.batchSizes(); !slices.Equal(got, []int{10, 10, 5}) {
		t.Fatalf("batch sizes %v, want [10 10 5]", got)
	}

	// Three messages sent 200 ms apart arrive in one batch: the 2 s window waits.
	rec2 := newRecorder(t, nil)
	h2 := newHarness(t, harnessOptions{functions: []function.Spec{rec2.spec("fn")}})
	q2 := queueName(t)
	h2.create(esm.Config{FunctionName: "fn", Queues: []string{q2}, BatchSize: 100,
		MaximumBatchingWindowInSeconds: intp(2), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 1}})
	for i := 0; i < 3; i++ {
		queuetest.Send(t, h2.broker, q2, queuetest.Text(fmt.Sprint("w", i)))
		time.Sleep(200 * time.Millisecond) // spacing the sends is the point of the test
	}
	checkfor.Within(t, 10*time.Second, func() error {
		if rec2.total() < 3 {
			return fmt.Errorf("%d of 3", rec2.total())
		}
		return nil
	})
	if got := rec2.batchSizes(); !slices.Equal(got, []int{3}) {
		t.Fatalf("batch sizes %v, want [3]", got)
	}
}

// A batch never carries more than 6 MB; a message over 6 MB by itself is
// dead-lettered with a cause instead of being dropped.
func TestPayloadCap(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{DLQ: "individual"})
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{broker: b, functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	big := func(tag byte, n int) *openwire.Message {
		body := make([]byte, n)
		for i := range body {
			body[i] = tag
		}
		return &openwire.Message{Kind: openwire.KindBytes, Body: body, Persistent: true}
	}
	// 2 MB each: 2.7 MB in base64, so two per 6 MB event.
	queuetest.Send(t, b, q, big('a', 2<<20), big('b', 2<<20), big('c', 2<<20), big('d', 7<<20), big('e', 2<<20))
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10,
		MaximumBatchingWindowInSeconds: intp(1), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 1}})
	checkfor.Within(t, 60*time.Second, func() error {
		if rec.total() < 4 {
			return fmt.Errorf("%d of 4", rec.total())
		}
		return nil
	})
	for _, s := range rec.batchSizes() {
		if s > 2 {
			t.Fatalf("batch sizes %v: a batch of 3 × 2 MB exceeds 6 MB", rec.batchSizes())
		}
	}
	dead := queuetest.Drain(t, b, "DLQ."+q, 2*time.Second)
	if len(dead) != 1 || len(dead[0].Body) != 7<<20 {
		t.Fatalf("dead-letter queue holds %d messages, want the 7 MB one", len(dead))
	}
	if cause, _ := dead[0].Properties["dlqDeliveryFailureCause"].(string); !strings.Contains(cause, "6 MB") {
		t.Fatalf("dlqDeliveryFailureCause %q does not say why", cause)
	}
}

// Only messages matching a filter reach the function; the rest are acknowledged.
func TestFilterCriteria(t *testing.T) {
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10, MaximumBatchingWindowInSeconds: intp(0),
		FilterCriteria: &esm.FilterCriteria{Filters: []esm.Filter{
			{Pattern: `{"data":{"kind":["order"],"total":[{"numeric":[">",100]}]}}`},
			{Pattern: `{"data":[{"prefix":"URGENT:"}]}`},
		}}})
	queuetest.Send(t, h.broker, q,
		queuetest.Text(`{"kind":"order","total":150}`), // matches
		queuetest.Text(`{"kind":"order","total":50}`),  // no
		queuetest.Text(`{"kind":"refund","total":500}`),
		queuetest.Text("URGENT: call back"), // matches
		queuetest.Text("later: call back"),
		&openwire.Message{Kind: openwire.KindBytes, Body: []byte{0xff, 0xfe}, Persistent: true}, // not UTF-8: no match
	)
	checkfor.Within(t, 20*time.Second, func() error {
		if rec.total() < 2 {
			return fmt.Errorf("%d of 2", rec.total())
		}
		return nil
	})
	checkfor.Within(t, 10*time.Second, func() error {
		left := queuetest.Drain(t, h.broker, q, 200*time.Millisecond)
		if len(left) != 0 {
			return fmt.Errorf("%d unmatched messages still on the queue", len(left))
		}
		return nil
	})
	got := rec.deliveries()
	if len(got) != 2 || got[`{"kind":"order","total":150}`] != 1 || got["URGENT: call back"] != 1 {
		t.Fatalf("function got %v", got)
	}
}

// failIfBad fails every invocation that holds a message containing "bad".
func failIfBad(msgs []events.ActiveMQMessage) (int, string) {
	for _, m := range msgs {
		if strings.Contains(decode(m.Data), "bad") {
			return 500, `{"errorType":"BadMessage","errorMessage":"found a bad message"}`
		}
	}
	return 200, "{}"
}

// reportBad names each bad message in batchItemFailures.
func reportBad(msgs []events.ActiveMQMessage) (int, string) {
	var ids []string
	for _, m := range msgs {
		if strings.Contains(decode(m.Data), "bad") {
			ids = append(ids, fmt.Sprintf(`{"itemIdentifier":%q}`, m.MessageID))
		}
	}
	return 200, `{"batchItemFailures":[` + strings.Join(ids, ",") + `]}`
}

// Failing messages are delivered 1 + 6 times, then sit in the dead-letter queue
// with the function's error; the good ones are processed once.
func TestRedeliveryThenDeadLetter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		respond func([]events.ActiveMQMessage) (int, string)
		types   []string
		batch   int
	}{
		// Without ReportBatchItemFailures a failure fails the whole batch, so a batch
		// of one keeps the good messages apart from the bad.
		{"whole batch", failIfBad, nil, 1},
		{"ReportBatchItemFailures", reportBad, []string{"ReportBatchItemFailures"}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := brokertest.Start(t, brokertest.Options{DLQ: "individual"})
			rec := newRecorder(t, tc.respond)
			h := newHarness(t, harnessOptions{broker: b, functions: []function.Spec{rec.spec("fn")}})
			q := queueName(t)
			var msgs []*openwire.Message
			for i := 0; i < 20; i++ {
				body := fmt.Sprintf("good-%02d", i)
				if i%5 == 0 {
					body = fmt.Sprintf("bad-%02d", i)
				}
				msgs = append(msgs, queuetest.Text(body))
			}
			queuetest.Send(t, b, q, msgs...)
			h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: tc.batch,
				MaximumBatchingWindowInSeconds: intp(0), FunctionResponseTypes: tc.types,
				ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 2}})

			var dead []*openwire.Message
			checkfor.Within(t, 60*time.Second, func() error {
				dead = append(dead, queuetest.Drain(t, b, "DLQ."+q, 100*time.Millisecond)...)
				if len(dead) < 4 {
					return fmt.Errorf("%d of 4 bad messages dead-lettered", len(dead))
				}
				return nil
			})
			got := rec.deliveries()
			for body, n := range got {
				want := 1
				if strings.HasPrefix(body, "bad") {
					want = 7
				}
				if n != want {
					t.Errorf("%s delivered %d times, want %d", body, n, want)
				}
			}
			if len(got) != 20 {
				t.Errorf("%d distinct messages reached the function, want 20", len(got))
			}
			for _, m := range dead {
				if !strings.HasPrefix(m.Text, "bad") {
					t.Errorf("good message %q was dead-lettered", m.Text)
				}
				cause, _ := m.Properties["dlqDeliveryFailureCause"].(string)
				wantCause := "found a bad message"
				if tc.types != nil {
					wantCause = "batchItemFailures"
				}
				if !strings.Contains(cause, wantCause) {
					t.Errorf("dlqDeliveryFailureCause %q, want it to contain %q", cause, wantCause)
				}
			}
			if r := h.mapping(h.firstMapping()).LastProcessingResult; r == esm.ResultNoRecordsProcessed {
				t.Errorf("LastProcessingResult still %q", r)
			}
		})
	}
}

// Map, object and stream messages, which an aws:mq event cannot carry, are
// dead-lettered with a cause; the text message after them is delivered.
func TestUnsupportedKindsDeadLettered(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{DLQ: "individual"})
	rec := newRecorder(t, nil)
	h := newHarness(t, harnessOptions{broker: b, functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	queuetest.Send(t, b, q,
		&openwire.Message{Kind: openwire.KindMap, Map: map[string]any{"a": int32(1)}, Persistent: true},
		queuetest.Text("after"))
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10, MaximumBatchingWindowInSeconds: intp(0)})
	checkfor.Within(t, 20*time.Second, func() error {
		if rec.deliveries()["after"] != 1 {
			return fmt.Errorf("text message not delivered yet")
		}
		return nil
	})
	dead := queuetest.Drain(t, b, "DLQ."+q, time.Second)
	if len(dead) != 1 || dead[0].Kind != openwire.KindMap {
		t.Fatalf("dead-letter queue: %d messages, want the map message", len(dead))
	}
	if cause, _ := dead[0].Properties["dlqDeliveryFailureCause"].(string); !strings.Contains(cause, "map messages cannot be delivered") {
		t.Fatalf("cause %q", cause)
	}
}
