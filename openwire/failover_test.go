package openwire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
)

// restartable is a private broker and a connection to it through a failover: URL
// that counts its reconnects.
type restartable struct {
	b          *brokertest.Broker
	c          *Conn
	reconnects atomic.Int32
}

func dialRestartable(t *testing.T, ctx context.Context) *restartable {
	t.Helper()
	r := &restartable{b: brokertest.Start(t, brokertest.Options{})}
	url := fmt.Sprintf("failover:(%s)?randomize=false&initialReconnectDelay=100&maxReconnectDelay=1000&useExponentialBackOff=true", r.b.URL)
	c, err := Dial(ctx, url, Config{User: r.b.User, Password: r.b.Password, OnReconnect: func(error) { r.reconnects.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r.c = c
	return r
}

// restart restarts the broker and waits until the connection is back.
func (r *restartable) restart(t *testing.T) {
	t.Helper()
	if err := r.b.Restart(); err != nil {
		t.Fatal(err)
	}
	checkfor.Within(t, 60*time.Second, func() error {
		if r.reconnects.Load() == 0 {
			return errors.New("no reconnect yet")
		}
		return nil
	})
}

// A broker restart under a failover URL: the connection comes back by itself,
// the consumer is re-created, nothing persistent is lost, and a message received
// before the restart cannot be acknowledged (ErrStale) but comes again.
func TestFailoverSurvivesBrokerRestart(t *testing.T) {
	ctx := testCtx(t, 90*time.Second)
	r := dialRestartable(t, ctx)
	c := r.c
	q := newQueue(t)
	sendTexts(t, c, Queue(q), "m1", "m2", "m3")
	s := mustSession(t, c, false)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	held := receiveN(t, k, 1, 10*time.Second)[0]

	r.restart(t)
	select {
	case <-c.Done():
		t.Fatalf("connection reported gone during failover: %v", c.Err())
	default:
	}
	if err := k.Ack(ctx, held); !errors.Is(err, ErrStale) {
		t.Fatalf("ack of a message from before the reconnect: %v, want ErrStale", err)
	}
	got := map[string]*Message{}
	for len(got) < 3 {
		m, err := k.Receive(ctx)
		if err != nil {
			t.Fatalf("after restart, have %v: %v", len(got), err)
		}
		got[m.Text] = m
		if err := k.Ack(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, txt := range []string{"m1", "m2", "m3"} {
		if got[txt] == nil {
			t.Errorf("%s lost in the restart", txt)
		}
	}
	// the connection is fully usable: a new message goes through
	sendTexts(t, c, Queue(q), "after")
	if m, err := k.Receive(ctx); err != nil || m.Text != "after" {
		t.Fatalf("after restart: %v %v", m, err)
	}
}

// Without failover a lost broker ends the connection: Done closes and Err says why.
func TestConnectionLostWithoutFailover(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{})
	ctx := testCtx(t, 60*time.Second)
	c, err := Dial(ctx, b.URL, Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k, err := mustSession(t, c, false).NewConsumer(ctx, newQueue(t), ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// a failover connection that may try twice gives up too
	fc, err := Dial(ctx, "failover:("+b.URL+")?initialReconnectDelay=50&maxReconnectAttempts=2", Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	if err := b.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fc.Done():
		if err := fc.Err(); err == nil || !strings.Contains(err.Error(), "gave up after 2 passes") {
			t.Fatalf("failover Err: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("failover with maxReconnectAttempts=2 never gave up")
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("Done not closed after the broker died")
	}
	if c.Err() == nil || errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("Err: %v", c.Err())
	}
	if _, err := k.Receive(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Receive on a dead connection: %v", err)
	}
	if _, err := c.NewSession(ctx, false); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewSession on a dead connection: %v", err)
	}
}

// Startup walks the failover list: a dead first broker is skipped.
func TestFailoverStartupSkipsDeadBroker(t *testing.T) {
	b := brokertest.Shared(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	url := fmt.Sprintf("failover:(tcp://%s,%s)?randomize=false&initialReconnectDelay=10", dead, b.URL)
	c, err := Dial(testCtx(t, 20*time.Second), url, Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.NewSession(testCtx(t, 5*time.Second), false); err != nil {
		t.Fatal(err)
	}
	// and bad credentials are not retried forever
	_, err = Dial(testCtx(t, 20*time.Second), url, Config{User: b.User, Password: "bad"})
	if !errors.Is(err, ErrAuthentication) {
		t.Fatalf("bad credentials under failover: %v", err)
	}
}
