package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// Load: 20 mappings on 20 queues under a sustained stream (short form 30 s, long
// form 5 minutes). Every message is accounted for, memory stays bounded, and after
// the mappings are deleted the service's goroutines return to their baseline.
func TestReliabilityLoad(t *testing.T) {
	const queues, perQueueRate = 20, 25 // messages per second per queue
	const rssLimit = 256 << 20
	duration := byForm(30*time.Second, 5*time.Minute)

	b := brokertest.Shared(t)
	fn, fnServer := newCounterServer(t, func() time.Duration { return time.Duration(rand.IntN(6)) * time.Millisecond })
	svc, secret := serviceOn(t, []string{b.URL}, fnServer.URL, b.User, b.Password)
	rss := watchRSS(t, svc)
	baseline := goroutines(t, svc)

	ctx := context.Background()
	api := quietLambda(svc)
	names := make([]string, queues)
	ids := make([]string, queues)
	for i := range names {
		names[i] = fmt.Sprintf("%s.%02d", queueFor(t), i)
		ids[i] = createMappingWith(t, api, mappingInput("counter", names[i], secret, 10, 5))
	}
	running := goroutines(t, svc)

	// One paced producer per queue.
	sent := make([]int, queues)
	var wg sync.WaitGroup
	start := time.Now()
	for q := range queues {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent[q] = paced(t, b, names[q], q, perQueueRate, start.Add(duration))
		}()
	}
	peakGoroutines := running
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
watch:
	for {
		select {
		case <-done:
			break watch
		case <-tick.C:
			peakGoroutines = max(peakGoroutines, goroutines(t, svc))
		}
	}
	tick.Stop()
	if t.Failed() {
		t.FailNow()
	}
	total := 0
	for _, n := range sent {
		total += n
	}
	checkfor.Within(t, 3*time.Minute, func() error {
		for q := range queues {
			for i := range sent[q] {
				if fn.count(loadBody(q, i)) == 0 {
					return fmt.Errorf("%s not processed (of %d sent in all, %d distinct seen)", loadBody(q, i), total, fn.distinct())
				}
			}
		}
		return nil
	})
	distinct, deliveries := fn.counts()
	if distinct != total {
		t.Fatalf("the function saw %d distinct messages, %d were sent", distinct, total)
	}
	peak := rss.Peak()
	if peak > rssLimit {
		t.Errorf("peak RSS %d MiB exceeds %d MiB", peak>>20, rssLimit>>20)
	}

	// Delete every mapping; the goroutines they used go away.
	for _, id := range ids {
		if _, err := api.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	checkfor.Within(t, time.Minute, func() error {
		for _, id := range ids {
			_, err := api.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
			var nf *types.ResourceNotFoundException
			if !errors.As(err, &nf) {
				return fmt.Errorf("mapping %s not deleted yet (%v)", id, err)
			}
		}
		return nil
	})
	// The service's idle keep-alive connections to the HTTP function are a shared
	// pool (at most 128 per host, closed after 90 s idle), not the mappings': the
	// function's side closes them, so that what remains is what mappings left.
	fnServer.CloseClientConnections()
	var after int
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		if after = goroutines(t, svc); after <= baseline+5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutine leak: %d goroutines 30 s after deleting every mapping, %d before creating them (%d while running); where they wait:\n%s",
				after, baseline, running, goroutineDump(t, svc))
		}
	}
	t.Logf("goroutines: %d before, %d with %d mappings idle, peak %d under load, %d after deleting them", baseline, running, queues, peakGoroutines, after)
	t.Logf("%d messages over %v on %d queues: %.0f messages/s", total, duration, queues, float64(total)/duration.Seconds())
	figures(t, total, distinct, deliveries-distinct, 0, peak)
}

func loadBody(q, i int) string { return fmt.Sprintf("q%02d-%07d", q, i) }

// paced sends persistent messages to queue at rate per second until end, and
// returns how many it sent.
func paced(t *testing.T, b *brokertest.Broker, queue string, q, rate int, end time.Time) int {
	ctx := context.Background()
	conn, err := openwire.Dial(ctx, b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Error(err)
		return 0
	}
	defer conn.Close()
	sess, err := conn.NewSession(ctx, false)
	if err != nil {
		t.Error(err)
		return 0
	}
	p, err := sess.NewProducer(ctx)
	if err != nil {
		t.Error(err)
		return 0
	}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	n := 0
	for next := start; next.Before(end); next = start.Add(time.Duration(n) * interval) {
		time.Sleep(time.Until(next)) // pacing the stream, not waiting for a result
		m := &openwire.Message{Kind: openwire.KindText, Text: loadBody(q, n), Persistent: true}
		if err := p.Send(ctx, openwire.Queue(queue), m); err != nil {
			t.Error(err)
			return n
		}
		n++
	}
	return n
}
