package cluster_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

// Throughput of one mapping over 1, 2 and 3 nodes, for a function that takes
// 20 ms per batch, beside the broker's limit: the same stream with five times the
// concurrency on one node, where the function's 20 ms no longer bound it. Slow; it runs with MQTRIGGER_CLUSTER_BENCH=1:
//
//	MQTRIGGER_CLUSTER_BENCH=1 go test ./cluster -run TestClusterThroughput -v
func TestClusterThroughput(t *testing.T) {
	if os.Getenv("MQTRIGGER_CLUSTER_BENCH") == "" {
		t.Skip("set MQTRIGGER_CLUSTER_BENCH=1 to measure cluster throughput")
	}
	const (
		total = 20000
		batch = 10
	)
	run := func(t *testing.T, delay time.Duration, nodes, concurrency int) {
		c := newCluster(t, delay)
		var svcs []*servicetest.Service
		for range nodes {
			svcs = append(svcs, c.node("", ""))
		}
		queue := queueName(t)
		send(t, c.broker, queue, "m", total, false) // the queue is full before the mapping starts
		start := time.Now()
		id := c.mapping(svcs[0], queue, batch, concurrency)
		checkfor.Within(t, 5*time.Minute, func() error {
			if n, _ := c.fn.distinct(); n < total {
				return fmt.Errorf("%d of %d", n, total)
			}
			return nil
		})
		took := time.Since(start)
		_, dups := c.fn.distinct()
		t.Logf("%d nodes, function %v per batch, BatchSize %d, MaximumConcurrency %d: %d messages in %v = %.0f msg/s; peak %d; slots %v; %d duplicates",
			nodes, delay, batch, concurrency, total, took.Round(10*time.Millisecond), float64(total)/took.Seconds(),
			c.fn.peak.Load(), slotsOf(id, svcs...), dups)
	}
	t.Run("broker limit", func(t *testing.T) { run(t, 20*time.Millisecond, 1, 60) })
	for n := 1; n <= 3; n++ {
		t.Run(fmt.Sprintf("%d nodes", n), func(t *testing.T) { run(t, 20*time.Millisecond, n, 12) })
	}
}
