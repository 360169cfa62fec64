package e2e

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

// A SIGKILL of mqtrigger in the middle of a stream loses nothing: after a restart
// every message is processed, and duplicates stay within what was in flight.
func TestKillMidStreamLosesNothing(t *testing.T) {
	const n = 5000
	b := brokertest.Shared(t)
	fn, url := newCounter(t, func() time.Duration { return time.Duration(rand.IntN(3)) * time.Millisecond })
	svc := servicetest.Start(t, servicetest.Options{
		Brokers:   []servicetest.Broker{{Name: "e2e", ARN: brokerARN, Endpoints: []string{b.URL}}},
		Functions: []servicetest.Function{{Name: "counter", URL: url}},
	})
	secret, err := svc.CreateBasicAuthSecret(t.Context(), "broker", b.User, b.Password)
	if err != nil {
		t.Fatal(err)
	}
	queue := fmt.Sprintf("e2e.kill.%d", time.Now().UnixNano())
	createMapping(t, svc, mappingInput("counter", queue, secret, 50, 5))

	done := make(chan struct{})
	go func() { defer close(done); produce(t, b, queue, 0, n) }()

	kills := 0
	for _, at := range []int{n / 5, n / 2} {
		checkfor.Within(t, 60*time.Second, func() error {
			if d := fn.distinct(); d < at {
				return fmt.Errorf("%d of %d processed before kill %d", d, at, kills+1)
			}
			return nil
		})
		svc.Kill()
		kills++
		svc.Resume()
	}
	<-done
	checkfor.Within(t, 120*time.Second, func() error {
		if d := fn.distinct(); d < n {
			return fmt.Errorf("%d of %d processed after %d kills", d, n, kills)
		}
		return nil
	})
	distinct, total := fn.counts()
	// Each kill can repeat at most what was in flight: 5 concurrent batches of 50
	// plus the prefetched messages of each consumer.
	if dup := total - distinct; dup > kills*5*150 {
		t.Fatalf("%d duplicates after %d kills: more than was in flight", dup, kills)
	}
	t.Logf("sent %d, processed %d distinct, %d deliveries (%d duplicates), %d kills survived", n, distinct, total, total-distinct, kills)
}
