package cluster_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/stallproxy"
)

// A node whose database connection is cut stops consuming before its lease can
// end, so the other node takes its slot only after it stopped: the function never
// sees more than MaximumConcurrency at once. Once the database is back the node
// joins again and takes a share.
func TestCutOffNodeStopsBeforeLeaseEnds(t *testing.T) {
	t.Parallel()
	const (
		limit = 2
		total = 10000
	)
	c := newCluster(t, 20*time.Millisecond)
	proxy := stallproxy.Start(t, pgHost(c.store))
	a := c.node("", "")
	b := c.node(viaProxy(c.store, proxy.URL()), "")
	queue := queueName(t)
	id := c.mapping(a, queue, 5, limit)
	checkfor.Within(t, 20*time.Second, func() error {
		if got := slotsOf(id, a, b); got[0] != 1 || got[1] != 1 {
			return fmt.Errorf("slots per node %v, want 1 and 1", got)
		}
		return nil
	})
	go send(t, c.broker, queue, "m", total, false)
	checkfor.Within(t, 30*time.Second, func() error {
		if batchesOf(b, id) < 20 {
			return fmt.Errorf("node b has run %v batches", batchesOf(b, id))
		}
		return nil
	})

	proxy.Freeze()
	cut := time.Now()
	var fencedAfter, takenAfter time.Duration
	checkfor.Within(t, testLease+10*time.Second, func() error {
		if fencedAfter == 0 {
			if h, err := healthOf(b); err == nil && h.fenced {
				fencedAfter = time.Since(cut)
			}
		}
		if takenAfter == 0 {
			if got := slotsOf(id, a); got[0] == limit {
				takenAfter = time.Since(cut)
			}
		}
		if fencedAfter == 0 || takenAfter == 0 {
			return fmt.Errorf("node b fenced after %v, node a took its slot after %v (0: not yet)", fencedAfter, takenAfter)
		}
		return nil
	})
	if fencedAfter >= testLease*5/6 {
		t.Errorf("node b fenced itself %v after its database was cut: too close to the %v lease", fencedAfter, testLease)
	}
	if takenAfter <= fencedAfter {
		t.Errorf("node a took the slot %v after the cut, before node b had stopped (%v)", takenAfter, fencedAfter)
	}
	// Node b runs nothing more while cut off.
	stopped := batchesOf(b, id)
	checkfor.Within(t, 30*time.Second, func() error {
		if n, _ := c.fn.distinct(); n < total*3/4 {
			return fmt.Errorf("%d of %d messages", n, total)
		}
		return nil
	})
	if now := batchesOf(b, id); now != stopped {
		t.Errorf("node b ran %v batches while fenced", now-stopped)
	}

	proxy.Thaw()
	checkfor.Within(t, 20*time.Second, func() error {
		if got := slotsOf(id, a, b); got[0] != 1 || got[1] != 1 {
			return fmt.Errorf("after the database came back: slots per node %v, want 1 and 1", got)
		}
		return nil
	})
	checkfor.Within(t, 60*time.Second, func() error {
		if n, _ := c.fn.distinct(); n < total {
			return fmt.Errorf("%d of %d messages", n, total)
		}
		return nil
	})
	if peak := c.fn.peak.Load(); peak > limit {
		t.Errorf("the function saw %d invocations at once, above MaximumConcurrency %d", peak, limit)
	}
	_, dups := c.fn.distinct()
	t.Logf("database cut: node b fenced after %v, node a took its slot after %v (lease %v); peak %d of %d; %d duplicates",
		fencedAfter.Round(10*time.Millisecond), takenAfter.Round(10*time.Millisecond), testLease, c.fn.peak.Load(), limit, dups)
}
