package openwire

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
)

// clientIDTaken reports whether the broker holds a connection with clientID, by
// trying to open one more (on a socket of its own) with that client ID: the broker
// refuses a client ID in use with javax.jms.InvalidClientIDException.
func clientIDTaken(t *testing.T, b *brokertest.Broker, clientID string) bool {
	t.Helper()
	c, err := Dial(testCtx(t, 10*time.Second), b.URL, Config{User: b.User, Password: b.Password, ClientID: clientID})
	if err == nil {
		c.Close()
		return false
	}
	var be *BrokerError
	if errors.As(err, &be) && be.Class == "javax.jms.InvalidClientIDException" {
		return true
	}
	t.Fatalf("probing client ID %q: %v", clientID, err)
	return false
}

// Two consumers on one socket, each under its own client ID: the broker knows both
// client IDs while their sessions are open and forgets each once its last session
// closes, and each consumer gets and acknowledges its own queue's messages.
func TestSessionsUnderTheirOwnClientIDs(t *testing.T) {
	b := brokertest.Shared(t)
	c := dialShared(t, Config{})
	ctx := testCtx(t, 60*time.Second)
	idA := fmt.Sprintf("test-client-a-%d", time.Now().UnixNano())
	idB := fmt.Sprintf("test-client-b-%d", time.Now().UnixNano())
	qA, qB := newQueue(t), newQueue(t)
	sendTexts(t, c, Queue(qA), "a1", "a2")
	sendTexts(t, c, Queue(qB), "b1")

	sA1, err := c.NewSessionAs(ctx, idA, true)
	if err != nil {
		t.Fatal(err)
	}
	sA2, err := c.NewSessionAs(ctx, idA, false) // a second session joins the same logical connection
	if err != nil {
		t.Fatal(err)
	}
	sB, err := c.NewSessionAs(ctx, idB, false)
	if err != nil {
		t.Fatal(err)
	}
	if !clientIDTaken(t, b, idA) || !clientIDTaken(t, b, idB) {
		t.Fatal("the broker does not hold both client IDs")
	}

	kA, err := sA1.NewConsumer(ctx, qA, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range receiveN(t, kA, 2, 10*time.Second) {
		if err := kA.Ack(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := sA1.Commit(ctx); err != nil {
		t.Fatalf("commit under a logical connection: %v", err)
	}
	kB, err := sB.NewConsumer(ctx, qB, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	m := receiveN(t, kB, 1, 10*time.Second)[0]
	if m.Text != "b1" {
		t.Fatalf("consumer B got %q", m.Text)
	}
	if err := kB.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}

	// A closes one of two sessions: its connection stays; after the second, it is gone.
	if err := sA1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !clientIDTaken(t, b, idA) {
		t.Fatal("client ID A was removed while a session still used it")
	}
	if err := sA2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	checkfor.Within(t, 5*time.Second, func() error {
		if clientIDTaken(t, b, idA) {
			return errors.New("client ID A still held after its last session closed")
		}
		return nil
	})
	if !clientIDTaken(t, b, idB) {
		t.Fatal("closing A's sessions removed B")
	}
	// The acknowledgements under A took effect: nothing is left on A's queue.
	k, err := mustSession(t, c, false).NewConsumer(ctx, qA, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if m, err := k.Receive(rctx); err == nil {
		t.Fatalf("queue A after its messages were committed still has %q", m.Text)
	}
	// A client ID that another connection holds is refused, with the broker's reason.
	other, err := Dial(ctx, b.URL, Config{User: b.User, Password: b.Password, ClientID: idA + "-other"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = c.NewSessionAs(ctx, idA+"-other", false)
	var be *BrokerError
	if !errors.As(err, &be) || be.Class != "javax.jms.InvalidClientIDException" {
		t.Fatalf("NewSessionAs with a client ID in use: %v, want InvalidClientIDException", err)
	}
}

// A failover reconnect re-creates the logical connection before its sessions, and its
// consumer goes on receiving.
func TestFailoverRestoresLogicalConnections(t *testing.T) {
	ctx := testCtx(t, 90*time.Second)
	r := dialRestartable(t, ctx)
	c := r.c
	q := newQueue(t)
	id := fmt.Sprintf("test-failover-client-%d", time.Now().UnixNano())
	s, err := c.NewSessionAs(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	r.restart(t)
	if !clientIDTaken(t, r.b, id) {
		t.Fatal("the reconnect did not re-create the logical connection")
	}
	sendTexts(t, c, Queue(q), "after")
	m, err := k.Receive(ctx)
	if err != nil || m.Text != "after" {
		t.Fatalf("after the reconnect: %v %v", m, err)
	}
	if err := k.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatalf("commit after the reconnect: %v", err)
	}
}
