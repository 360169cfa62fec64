package cluster_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

// Three nodes share a mapping's slots; one is killed mid-stream and the others
// take its slots; a fourth joins and takes a share, the mapping running all along.
// The function measures its own concurrency: never above MaximumConcurrency.
func TestNodesShareSlotsTakeOverAndRebalance(t *testing.T) {
	t.Parallel()
	const (
		limit = 4
		total = 20000
		batch = 10
	)
	c := newCluster(t, 20*time.Millisecond)
	nodes := []*servicetest.Service{c.node("", ""), c.node("", ""), c.node("", "")}
	queue := queueName(t)
	id := c.mapping(nodes[0], queue, batch, limit)

	// Created through node 1, run by all three: 2+1+1 slots.
	checkfor.Within(t, 20*time.Second, func() error {
		got := slotsOf(id, nodes...)
		for _, n := range got {
			if n < 1 {
				return fmt.Errorf("slots per node %v: every node should run some", got)
			}
		}
		if sum(got) != limit {
			return fmt.Errorf("slots per node %v, want %d in all", got, limit)
		}
		return nil
	})

	go send(t, c.broker, queue, "m", total, false)
	checkfor.Within(t, 30*time.Second, func() error {
		if n, _ := c.fn.distinct(); n < total/5 {
			return fmt.Errorf("%d of %d messages so far", n, total)
		}
		return nil
	})

	// SIGKILL the node with the most slots.
	got := slotsOf(id, nodes...)
	victim := 0
	for i, n := range got {
		if n > got[victim] {
			victim = i
		}
	}
	nodes[victim].Kill()
	killed := time.Now()
	survivors := append(append([]*servicetest.Service{}, nodes[:victim]...), nodes[victim+1:]...)
	checkfor.Within(t, testLease+10*time.Second, func() error {
		if got := slotsOf(id, survivors...); sum(got) != limit {
			return fmt.Errorf("survivors run %v slots, want %d", got, limit)
		}
		return nil
	})
	takeover := time.Since(killed)
	if bound := testLease + testLease/5 + 2*time.Second; takeover > bound {
		t.Errorf("takeover after SIGKILL took %v, above the bound %v (lease + renewal period + 2 s)", takeover, bound)
	}

	// A fourth node joins and gets a share while the stream goes on.
	before, _ := c.fn.distinct()
	joined := time.Now()
	fourth := c.node("", "")
	checkfor.Within(t, 20*time.Second, func() error {
		if n := slotsOf(id, fourth)[0]; n < 1 {
			return fmt.Errorf("the new node runs %d slots", n)
		}
		return nil
	})
	rebalance := time.Since(joined)
	all := append(survivors, fourth)
	checkfor.Within(t, 20*time.Second, func() error {
		if got := slotsOf(id, all...); sum(got) != limit {
			return fmt.Errorf("slots per node %v, want %d in all", got, limit)
		}
		return nil
	})

	checkfor.Within(t, 120*time.Second, func() error {
		if n, _ := c.fn.distinct(); n < total {
			return fmt.Errorf("%d of %d messages delivered", n, total)
		}
		return nil
	})
	after, dups := c.fn.distinct()
	if after <= before {
		t.Errorf("no message was delivered after the fourth node joined")
	}
	if peak := c.fn.peak.Load(); peak > limit {
		t.Errorf("the function saw %d invocations at once, above MaximumConcurrency %d", peak, limit)
	}
	t.Logf("takeover after SIGKILL %v (lease %v); rebalance on join %v; peak concurrency %d of %d; %d messages, %d duplicates",
		takeover.Round(10*time.Millisecond), testLease, rebalance.Round(10*time.Millisecond), c.fn.peak.Load(), limit, after, dups)
}
