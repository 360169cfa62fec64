package e2e

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

// SIGKILL of mqtrigger at random moments of a stream: every message is processed at
// least once, none is lost, and duplicates stay within what was in flight at each
// kill. Short form: 3 kills over 5,000 messages; long form: 12 over 50,000.
func TestReliabilityCrashes(t *testing.T) {
	n := byForm(5000, 50000)
	kills := byForm(3, 12)
	const batch, concurrency = 50, 5

	b := brokertest.Shared(t)
	fn, url := newCounter(t, func() time.Duration { return time.Duration(rand.IntN(21)) * time.Millisecond })
	svc := servicetest.Start(t, servicetest.Options{
		Brokers:   []servicetest.Broker{{Name: "e2e", ARN: brokerARN, Endpoints: []string{b.URL}}},
		Functions: []servicetest.Function{{Name: "counter", URL: url}},
	})
	rss := watchRSS(t, svc)
	secret, err := svc.CreateBasicAuthSecret(t.Context(), "broker", b.User, b.Password)
	if err != nil {
		t.Fatal(err)
	}
	queue := fmt.Sprintf("e2e.reliability.crash.%d", time.Now().UnixNano())
	createMapping(t, svc, mappingInput("counter", queue, secret, batch, concurrency))

	produced := make(chan struct{})
	go func() { defer close(produced); produce(t, b, queue, 0, n) }()

	// Kill points: random, spread over the stream so the last one still has work
	// in flight, each followed by a random pause so the kill falls mid-batch.
	at := make([]int, kills)
	for i := range at {
		at[i] = n*(i+1)/(kills+2) + rand.IntN(n/(kills+2))
	}
	slices.Sort(at)
	for i, point := range at {
		checkfor.Within(t, 3*time.Minute, func() error {
			if d := fn.distinct(); d < point {
				return fmt.Errorf("%d of %d processed before kill %d", d, point, i+1)
			}
			return nil
		})
		time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond) // a random moment, not a batch boundary
		killService(svc, rss)
	}
	<-produced
	if t.Failed() {
		t.FailNow()
	}
	waitProcessed(t, fn, 0, n, 5*time.Minute)

	distinct, total := fn.counts()
	if distinct != n {
		t.Fatalf("the function saw %d distinct messages, %d were sent", distinct, n)
	}
	// What one kill can repeat: every consumer's prefetched messages (2 batches)
	// and the batch it was invoking.
	inFlight := concurrency * (batch + prefetchOf(batch))
	dup := total - distinct
	if dup > kills*inFlight {
		t.Fatalf("%d duplicates after %d kills: more than the %d that can be in flight at each", dup, kills, inFlight)
	}
	figures(t, n, distinct, dup, kills, rss.Peak())
}

// prefetchOf mirrors the supervisor's prefetch for a batch size: two batches.
func prefetchOf(batch int) int { return min(max(2*batch, 10), 2000) }
