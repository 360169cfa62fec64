package openwire

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/stallproxy"
)

// A consumer under its own client ID behind a link that goes half-open (no FIN,
// no RST, just silence), with the default 30 s inactivity duration: the client
// notices the silence, reconnects under the same ConnectionId, the broker drops
// the stale connection at once instead of refusing the client ID, and
// deliveries resume within one inactivity period plus a reconnect. Every
// message sent is received at least once.
func TestHalfOpenLinkResumesWithinInactivityPeriod(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	proxy := stallproxy.Start(t, b.Host)
	ctx := testCtx(t, 4*time.Minute)
	q := newQueue(t)

	var reconnectedAt atomic.Int64 // unix nanos of the last OnReconnect
	url := fmt.Sprintf("failover:(%s)?randomize=false&initialReconnectDelay=100&maxReconnectDelay=1000", proxy.URL())
	c, err := Dial(ctx, url, Config{User: b.User, Password: b.Password,
		OnReconnect: func(error) { reconnectedAt.Store(time.Now().UnixNano()) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSessionAs(ctx, fmt.Sprintf("halfopen-%d", time.Now().UnixNano()), false)
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}

	// The producer talks to the broker directly: only the consumer's link stalls.
	pc, err := Dial(ctx, b.URL, Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ps := mustSession(t, pc, false)
	prod, err := ps.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	stopSending := make(chan struct{})
	sendDone := make(chan error, 1)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSending:
				sendDone <- nil
				return
			case <-tick.C:
			}
			n := sent.Load()
			if err := prod.Send(ctx, Queue(q), &Message{Kind: KindText, Text: fmt.Sprint(n), Persistent: true}); err != nil {
				sendDone <- err
				return
			}
			sent.Add(1)
		}
	}()

	var mu sync.Mutex
	got := map[string]bool{}
	var lastAt time.Time
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		for {
			m, err := k.Receive(ctx)
			if err != nil {
				return
			}
			mu.Lock()
			got[m.Text], lastAt = true, time.Now()
			mu.Unlock()
			if err := k.Ack(ctx, m); err != nil && !errors.Is(err, ErrStale) {
				t.Errorf("ack %s: %v", m.Text, err)
			}
		}
	}()
	received := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	checkfor.Within(t, 30*time.Second, func() error {
		if n := received(); n < 20 {
			return fmt.Errorf("%d messages received before the stall", n)
		}
		return nil
	})

	stalledAt := time.Now()
	if n := proxy.Stall(); n != 1 {
		t.Fatalf("%d proxied connections, want 1", n)
	}
	// Resumed: a reconnect happened and a message arrived after it.
	var stall time.Duration
	checkfor.Within(t, 150*time.Second, func() error {
		r := reconnectedAt.Load()
		if r == 0 {
			return errors.New("no reconnect yet")
		}
		mu.Lock()
		at := lastAt
		mu.Unlock()
		if at.UnixNano() <= r {
			return errors.New("reconnected; no delivery since")
		}
		stall = at.Sub(stalledAt)
		return nil
	})
	t.Logf("deliveries stalled for %v (inactivity 30 s)", stall.Round(100*time.Millisecond))
	if stall > 40*time.Second {
		t.Errorf("deliveries stalled for %v, want <= 40 s (30 s inactivity + reconnect)", stall.Round(100*time.Millisecond))
	}

	close(stopSending)
	if err := <-sendDone; err != nil {
		t.Fatal(err)
	}
	total := int(sent.Load())
	checkfor.Within(t, 60*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		for i := 0; i < total; i++ {
			if !got[fmt.Sprint(i)] {
				return fmt.Errorf("message %d of %d not received (have %d)", i, total, len(got))
			}
		}
		return nil
	})
	c.Close()
	<-recvDone
}

// A caller that redials after a Conn without failover is gone gets the stale
// connection replaced too, by passing the old ConnectionID: the broker still
// holds the half-open connection (its own inactivity check has not fired), and
// a new ConnectionId under the same client ID is refused.
func TestRedialWithConnectionIDReplacesStaleConnection(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	proxy := stallproxy.Start(t, b.Host)
	ctx := testCtx(t, 2*time.Minute)
	clientID := fmt.Sprintf("redial-%d", time.Now().UnixNano())
	cfg := Config{User: b.User, Password: b.Password, MaxInactivityDuration: 2 * time.Second}
	old, err := Dial(ctx, proxy.URL(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := old.NewSessionAs(ctx, clientID, false); err != nil {
		t.Fatal(err)
	}
	proxy.Stall()
	select {
	case <-old.Done():
	case <-ctx.Done():
		t.Fatal("the stalled Conn was not given up")
	}
	if !errors.Is(old.Err(), ErrInactive) {
		t.Fatalf("old Conn ended with %v, want ErrInactive", old.Err())
	}

	fresh, err := Dial(ctx, b.URL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	_, err = fresh.NewSessionAs(ctx, clientID, false)
	var be *BrokerError
	if !errors.As(err, &be) || be.Class != "javax.jms.InvalidClientIDException" {
		t.Fatalf("a new ConnectionId under the stale client ID: %v, want InvalidClientIDException", err)
	}

	cfg.ConnectionID = old.ConnectionID()
	redial, err := Dial(ctx, b.URL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer redial.Close()
	s, err := redial.NewSessionAs(ctx, clientID, false)
	if err != nil {
		t.Fatalf("redial with the old ConnectionID: %v", err)
	}
	q := newQueue(t)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sendTexts(t, redial, Queue(q), "after")
	if m := receiveN(t, k, 1, 20*time.Second)[0]; m.Text != "after" {
		t.Fatalf("got %q", m.Text)
	}
}
