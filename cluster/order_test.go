package cluster_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

// With MaximumConcurrency 1 one consumer runs in the whole cluster, so the queue
// is processed in order even as the slot moves: to another node when its holder
// stops (SIGTERM), and to a third when that one is killed (SIGKILL).
func TestConcurrencyOneKeepsOrderAcrossNodes(t *testing.T) {
	t.Parallel()
	const total = 4000
	c := newCluster(t, 20*time.Millisecond)
	nodes := []*servicetest.Service{c.node("", ""), c.node("", ""), c.node("", "")}
	queue := queueName(t)
	id := c.mapping(nodes[0], queue, 10, 1)
	holder := func(live []*servicetest.Service) (int, error) {
		got := slotsOf(id, live...)
		if sum(got) != 1 {
			return -1, fmt.Errorf("slots per node %v, want one in all", got)
		}
		return slices.Index(got, 1), nil
	}
	var first int
	checkfor.Within(t, 10*time.Second, func() (err error) { first, err = holder(nodes); return err })

	go send(t, c.broker, queue, "m", total, true)
	delivered := func(n int) func() error {
		return func() error {
			if got, _ := c.fn.distinct(); got < n {
				return fmt.Errorf("%d of %d messages", got, n)
			}
			return nil
		}
	}
	checkfor.Within(t, 60*time.Second, delivered(total/4))

	nodes[first].Stop()
	stopped := time.Now()
	live := slices.Delete(slices.Clone(nodes), first, first+1)
	var second int
	checkfor.Within(t, 10*time.Second, func() (err error) { second, err = holder(live); return err })
	handover := time.Since(stopped)

	checkfor.Within(t, 60*time.Second, delivered(total/2))
	live[second].Kill()
	killed := time.Now()
	live = slices.Delete(live, second, second+1)
	checkfor.Within(t, testLease+10*time.Second, func() error { _, err := holder(live); return err })
	takeover := time.Since(killed)

	checkfor.Within(t, 60*time.Second, delivered(total))
	c.fn.mu.Lock()
	order := slices.Clone(c.fn.order)
	c.fn.mu.Unlock()
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Fatalf("message %s arrived after %s: out of queue order (position %d of %d)", order[i], order[i-1], i, len(order))
		}
	}
	if peak := c.fn.peak.Load(); peak != 1 {
		t.Errorf("the function saw %d invocations at once with MaximumConcurrency 1", peak)
	}
	_, dups := c.fn.distinct()
	t.Logf("in order over 3 nodes: handover on SIGTERM %v, takeover after SIGKILL %v; peak %d; %d duplicates",
		handover.Round(time.Millisecond), takeover.Round(10*time.Millisecond), c.fn.peak.Load(), dups)
}
