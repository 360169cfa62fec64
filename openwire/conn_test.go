package openwire

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
)

func TestMain(m *testing.M) { os.Exit(brokertest.Main(m)) }

var queueSeq atomic.Int64

// newQueue returns a queue name no other test uses.
func newQueue(t testing.TB) string {
	return fmt.Sprintf("openwire.%s.%d.%d", strings.ReplaceAll(t.Name(), "/", "."), time.Now().UnixNano()%1e6, queueSeq.Add(1))
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func dialShared(t testing.TB, cfg Config) *Conn {
	t.Helper()
	b := brokertest.Shared(t)
	if cfg.User == "" {
		cfg.User, cfg.Password = b.User, b.Password
	}
	c, err := Dial(testCtx(t, 30*time.Second), b.URL, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustSession(t testing.TB, c *Conn, transacted bool) *Session {
	t.Helper()
	s, err := c.NewSession(testCtx(t, 10*time.Second), transacted)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sendTexts(t testing.TB, c *Conn, dest Destination, texts ...string) []*Message {
	t.Helper()
	ctx := testCtx(t, 30*time.Second)
	s := mustSession(t, c, false)
	p, err := s.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Message
	for _, txt := range texts {
		m := &Message{Kind: KindText, Text: txt, Persistent: true, Priority: 4}
		if err := p.Send(ctx, dest, m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func receiveN(t testing.TB, k *Consumer, n int, timeout time.Duration) []*Message {
	t.Helper()
	ctx := testCtx(t, timeout)
	var out []*Message
	for len(out) < n {
		m, err := k.Receive(ctx)
		if err != nil {
			t.Fatalf("received %d of %d: %v", len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// expectNone checks that nothing arrives within d.
func expectNone(t testing.TB, k *Consumer, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if m, err := k.Receive(ctx); err == nil {
		t.Fatalf("unexpected message %s %q (counter %d)", m.ID, m.Text, m.RedeliveryCounter)
	}
}

func TestConnectSendReceiveAck(t *testing.T) {
	c := dialShared(t, Config{})
	q := newQueue(t)
	sent := sendTexts(t, c, Queue(q), "one", "two", "three")
	s := mustSession(t, c, false)
	k, err := s.NewConsumer(testCtx(t, 10*time.Second), q, ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := receiveN(t, k, 3, 10*time.Second)
	for i, m := range got {
		if m.Text != sent[i].Text || m.ID != sent[i].ID || m.Kind != KindText {
			t.Errorf("message %d: got %q %s %v, want %q %s", i, m.Text, m.ID, m.Kind, sent[i].Text, sent[i].ID)
		}
		if !m.Persistent || m.Destination != Queue(q) || m.BrokerInTime == 0 || m.Timestamp == 0 || m.Priority != 4 {
			t.Errorf("message %d headers: %+v", i, m)
		}
	}
	if !strings.HasPrefix(got[0].ID, "ID:") {
		t.Errorf("ID %q lacks the ID: prefix", got[0].ID)
	}
	ctx := testCtx(t, 10*time.Second)
	if err := k.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	if err := k.Ack(ctx, got[0]); err == nil {
		t.Error("acking twice succeeded")
	}
	if err := k.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Receive(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Receive after Close: %v", err)
	}
	// acked messages are gone
	k2, err := s.NewConsumer(ctx, q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expectNone(t, k2, 500*time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("Err after Close: %v", c.Err())
	}
}

func TestBadCredentials(t *testing.T) {
	b := brokertest.Shared(t)
	_, err := Dial(testCtx(t, 20*time.Second), b.URL, Config{User: b.User, Password: "wrong-" + b.Password})
	if !errors.Is(err, ErrAuthentication) {
		t.Fatalf("want ErrAuthentication, got %v", err)
	}
	var be *BrokerError
	if !errors.As(err, &be) || be.Class != "java.lang.SecurityException" || !strings.Contains(be.Message, "User name ["+b.User+"] or password is invalid") {
		t.Fatalf("want the broker's SecurityException, got %#v", be)
	}
	if strings.Contains(err.Error(), "wrong-") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestClientIDs(t *testing.T) {
	a, b := dialShared(t, Config{}), dialShared(t, Config{})
	a.mu.Lock()
	idA := a.link.clientID
	a.mu.Unlock()
	b.mu.Lock()
	idB := b.link.clientID
	b.mu.Unlock()
	if idA == idB || !strings.HasPrefix(idA, "ID:") {
		t.Fatalf("client IDs %q and %q", idA, idB)
	}
	fixed := fmt.Sprintf("fixed-%d", time.Now().UnixNano())
	dialShared(t, Config{ClientID: fixed})
	br := brokertest.Shared(t)
	_, err := Dial(testCtx(t, 10*time.Second), br.URL, Config{User: br.User, Password: br.Password, ClientID: fixed})
	var be *BrokerError
	if !errors.As(err, &be) || !strings.HasSuffix(be.Class, "InvalidClientIDException") || errors.Is(err, ErrAuthentication) {
		t.Fatalf("duplicate client ID: %v", err)
	}
}
