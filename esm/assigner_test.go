package esm_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
)

// slotsAssigner gives the node a number of slots the test sets, the way
// cluster.Node gives a node its share.
type slotsAssigner struct {
	slots atomic.Int32
	// afterShrink is called when shrink has returned, with the count kept.
	afterShrink func(keep int)
	mu          sync.Mutex
	held        int
}

func (a *slotsAssigner) Assign(_ context.Context, m *esm.Mapping, shrink func(int)) (int, error) {
	want := int(a.slots.Load())
	a.mu.Lock()
	defer a.mu.Unlock()
	if want < a.held {
		shrink(want)
		if a.afterShrink != nil {
			a.afterShrink(want)
		}
	}
	a.held = want
	return want, nil
}

func (a *slotsAssigner) Release(context.Context, string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.held = 0
	return false, nil
}

// With an Assigner the node runs no more workers than the slots it holds; fewer
// slots are given back only once the workers beyond them have stopped; Fence stops
// everything at once, abandoning the invocation in flight.
func TestAssignerBoundsWorkersAndFenceStopsAtOnce(t *testing.T) {
	var inFlight, peak atomic.Int32
	var slow atomic.Bool
	rec := newRecorder(t, func([]events.ActiveMQMessage) (int, string) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if slow.Load() {
			time.Sleep(5 * time.Second)
		} else {
			time.Sleep(30 * time.Millisecond)
		}
		return 200, "{}"
	})
	a := &slotsAssigner{}
	a.slots.Store(2)
	var shrunk atomic.Int32
	shrunk.Store(-1)
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}, assigner: a})
	a.afterShrink = func(keep int) {
		// The slots beyond keep are free for another node now: no worker of them
		// may be left.
		if c := h.consumers(); int(c) > keep {
			t.Errorf("shrink to %d returned with %v consumers open", keep, c)
		}
		shrunk.Store(int32(keep))
	}
	q := queueName(t)
	queuetest.Send(t, h.broker, q, numbered("a", 0, 1500)...)
	id := h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 5,
		MaximumBatchingWindowInSeconds: intp(0), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 6}})
	checkfor.Within(t, 20*time.Second, func() error {
		if h.consumers() != 2 {
			return fmt.Errorf("%v consumers, want the 2 slots held", h.consumers())
		}
		return nil
	})

	a.slots.Store(1)
	h.sup.MappingChanged(id)
	checkfor.Within(t, 20*time.Second, func() error {
		if shrunk.Load() != 1 {
			return fmt.Errorf("not shrunk to 1 yet")
		}
		return nil
	})
	if p := peak.Load(); p > 2 {
		t.Fatalf("%d invocations at once with 2 slots held", p)
	}

	slow.Store(true)
	checkfor.Within(t, 20*time.Second, func() error {
		if inFlight.Load() == 0 {
			return fmt.Errorf("no invocation in flight")
		}
		return nil
	})
	start := time.Now()
	h.sup.Fence()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Fence took %v with a 5 s invocation in flight: it must abandon it", took)
	}
	if c := h.consumers(); c != 0 {
		t.Errorf("%v consumers open after Fence", c)
	}
	slow.Store(false)
	h.sup.Unfence()
	checkfor.Within(t, 20*time.Second, func() error {
		if h.consumers() != 1 {
			return fmt.Errorf("%v consumers after Unfence, want the 1 slot held", h.consumers())
		}
		return nil
	})
}
