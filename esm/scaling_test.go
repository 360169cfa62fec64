package esm_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// inFlight counts a function's invocations running at once, and the most seen.
type inFlight struct{ now, peak atomic.Int32 }

// enter counts an invocation in and returns how many now run.
func (c *inFlight) enter() int32 {
	n := c.now.Add(1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			return n
		}
	}
}

func (c *inFlight) leave() { c.now.Add(-1) }

// consumers reads the mqtrigger_consumers gauge of the harness's registry.
func (h *harness) consumers() float64 { return h.metric("mqtrigger_consumers") }

// metric sums the series of one counter or gauge of the harness's registry.
func (h *harness) metric(name string) float64 {
	families, err := h.registry.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				total += m.GetGauge().GetValue() + m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// A mapping scales up while the queue keeps full batches coming, never beyond
// MaximumConcurrency, and back down to one consumer once the queue is drained.
func TestScalesUpAndDown(t *testing.T) {
	var invocations inFlight
	rec := newRecorder(t, func([]events.ActiveMQMessage) (int, string) {
		invocations.enter()
		time.Sleep(50 * time.Millisecond) // a slow function is what makes scaling worth it
		invocations.leave()
		return 200, "{}"
	})
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	queuetest.Send(t, h.broker, q, numbered("s", 0, 600)...)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10,
		MaximumBatchingWindowInSeconds: intp(0), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 4}})
	waitDelivered(t, rec, 600, 60*time.Second)
	if p := invocations.peak.Load(); p < 3 || p > 4 {
		t.Fatalf("peak concurrent invocations %d, want 3 or 4 (MaximumConcurrency 4)", p)
	}
	// IdleTimeout is 1 s in the harness: extra consumers leave soon after the drain.
	checkfor.Within(t, 15*time.Second, func() error {
		if c := h.consumers(); c != 1 {
			return fmt.Errorf("%v consumers running, want 1 after the queue drained", c)
		}
		return nil
	})
}

// With MaximumConcurrency 1 the queue's order holds, even when a message fails and
// is redelivered: it comes back before the messages behind it.
func TestOrderKeptWithConcurrencyOne(t *testing.T) {
	var mu sync.Mutex
	var order []string
	failed := false
	rec := newRecorder(t, func(msgs []events.ActiveMQMessage) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		body := decode(msgs[0].Data)
		if body == "o-00003" && !failed {
			failed = true
			return 500, `{"errorType":"Retry","errorMessage":"once"}`
		}
		order = append(order, body)
		return 200, "{}"
	})
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	queuetest.Send(t, h.broker, q, numbered("o", 0, 10)...)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 1,
		MaximumBatchingWindowInSeconds: intp(0), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 1}})
	waitDelivered(t, rec, 10, 30*time.Second)
	checkfor.Within(t, 10*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(order) < 10 {
			return fmt.Errorf("%d of 10 processed", len(order))
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	want := make([]string, 10)
	for i := range want {
		want[i] = fmt.Sprintf("o-%05d", i)
	}
	if !slices.Equal(order, want) {
		t.Fatalf("processed in order %v, want %v", order, want)
	}
}

// A batch of 64 KB messages is cut by the 6 MB payload cap long before BatchSize;
// it still counts as full, so the mapping scales out to MaximumConcurrency.
// Measured at the function: concurrent invocations in flight.
func TestScalesOutOnBatchesFullBySize(t *testing.T) {
	var invocations inFlight
	var maxBatch atomic.Int32
	rec := newRecorder(t, func(msgs []events.ActiveMQMessage) (int, string) {
		invocations.enter()
		for {
			m := maxBatch.Load()
			if int32(len(msgs)) <= m || maxBatch.CompareAndSwap(m, int32(len(msgs))) {
				break
			}
		}
		// A slow function is what makes scaling worth it; the queue holds enough
		// batches to outlast the scale-out on a loaded machine (it held 17 when one
		// CI run peaked at 4, before busy workers asked for more).
		time.Sleep(time.Second)
		invocations.leave()
		return 200, "{}"
	})
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	const n = 2400
	body := make([]byte, 64<<10)
	msgs := make([]*openwire.Message, n)
	for i := range msgs {
		b := slices.Clone(body)
		copy(b, fmt.Sprintf("big-%05d", i))
		msgs[i] = &openwire.Message{Kind: openwire.KindBytes, Body: b} // non-persistent: quick to send
	}
	queuetest.Send(t, h.broker, q, msgs...)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 100,
		MaximumBatchingWindowInSeconds: intp(0), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 5}})
	waitDelivered(t, rec, n, 120*time.Second)
	if m := maxBatch.Load(); m >= 100 {
		t.Fatalf("largest batch %d messages: the 6 MB cap should cut it before BatchSize 100", m)
	}
	if p := invocations.peak.Load(); p != 5 {
		t.Fatalf("peak concurrent invocations %d, want 5 (MaximumConcurrency 5)", p)
	}
}

// A mapping scales out while its function is slow even when no batch fills: each
// invocation here is held until five run at once (or 20 s pass), so scaling can
// come only from workers that wait on the function while messages queue up in
// their prefetch. Five must run within 10 s of the first invocation; asking only
// on full batches took 40-60 s here, as a new worker's first batch (window 0,
// prefetch still arriving) is rarely full.
func TestScalesOutWhileTheFunctionIsSlow(t *testing.T) {
	var invocations inFlight
	five := make(chan struct{})
	var fiveOnce sync.Once
	var first, fifth atomic.Int64 // unix nanoseconds
	rec := newRecorder(t, func(msgs []events.ActiveMQMessage) (int, string) {
		first.CompareAndSwap(0, time.Now().UnixNano())
		n := invocations.enter()
		if n >= 5 {
			fiveOnce.Do(func() { fifth.Store(time.Now().UnixNano()); close(five) })
		}
		select {
		case <-five:
		case <-time.After(20 * time.Second):
		}
		invocations.leave()
		return 200, "{}"
	})
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	const n = 1200
	msgs := make([]*openwire.Message, n)
	for i := range msgs {
		b := make([]byte, 64<<10)
		copy(b, fmt.Sprintf("slow-%05d", i))
		msgs[i] = &openwire.Message{Kind: openwire.KindBytes, Body: b}
	}
	queuetest.Send(t, h.broker, q, msgs...)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 100,
		MaximumBatchingWindowInSeconds: intp(0), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 5}})
	waitDelivered(t, rec, n, 120*time.Second)
	if p := invocations.peak.Load(); p != 5 {
		t.Fatalf("peak concurrent invocations %d, want 5 (MaximumConcurrency 5)", p)
	}
	took := time.Duration(fifth.Load() - first.Load())
	if took > 10*time.Second {
		t.Fatalf("five invocations ran at once only %v after the first: scaling out stalled", took)
	}
	t.Logf("five invocations at once %v after the first", took.Round(time.Millisecond))
}

// A batch with no room left for another message like its largest is full: it goes
// at once instead of waiting out the batching window for messages it cannot take.
func TestBatchFullBySizeSkipsTheWindow(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	rec := newRecorder(t, func(msgs []events.ActiveMQMessage) (int, string) {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		return 200, "{}"
	})
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	// Six 740 KB bodies are 5.9 MB in base64: a seventh would pass the 6 MB cap.
	msgs := make([]*openwire.Message, 6)
	for i := range msgs {
		b := make([]byte, 740<<10)
		copy(b, fmt.Sprintf("big-%05d", i))
		msgs[i] = &openwire.Message{Kind: openwire.KindBytes, Body: b} // non-persistent: quick to send
	}
	queuetest.Send(t, h.broker, q, msgs...)
	start := time.Now()
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 100,
		MaximumBatchingWindowInSeconds: intp(60), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 1}})
	waitDelivered(t, rec, 6, 50*time.Second)
	if got := rec.batchSizes(); !slices.Equal(got, []int{6}) {
		t.Fatalf("batch sizes %v, want [6]", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if d := at[0].Sub(start); d > 30*time.Second {
		t.Fatalf("the full batch was invoked %v after the mapping's creation: it waited for the 60 s window", d)
	}
}

// Messages that arrive no faster than one worker takes them are no backlog: the
// mapping stays at one worker and its batches grow, rather than five workers
// splitting the same flow into batches of one (each batch a commit the broker
// writes to its store).
func TestTrickleDoesNotScaleOut(t *testing.T) {
	var invocations inFlight
	rec := newRecorder(t, func([]events.ActiveMQMessage) (int, string) {
		invocations.enter()
		time.Sleep(250 * time.Millisecond) // past backlogCheck: the watcher looks during it
		invocations.leave()
		return 200, "{}"
	})
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 100,
		MaximumBatchingWindowInSeconds: intp(0), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 5}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := openwire.Dial(ctx, h.broker.URL, openwire.Config{User: h.broker.User, Password: h.broker.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sess.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// About ten messages per invocation, a tenth of a full batch: several wait in
	// the prefetch during every invocation, which used to be enough to scale out.
	const n = 200
	for _, m := range numbered("t", 0, n) {
		m.Persistent = false
		if err := p.Send(ctx, openwire.Queue(q), m); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitDelivered(t, rec, n, 60*time.Second)
	sizes := rec.batchSizes()
	if p := invocations.peak.Load(); p != 1 {
		t.Errorf("peak concurrent invocations %d, want 1: the flow never outran one worker (batches %v)", p, sizes)
	}
	if len(sizes) > n/4 {
		t.Errorf("%d invocations for %d messages: batches did not grow (%v)", len(sizes), n, sizes)
	}
}
