package openwire

import (
	"errors"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
)

// A broker with abortSlowAckConsumerStrategy aborts a consumer that holds
// messages unacknowledged: Receive returns ErrConsumerAborted, the consumer is
// gone at the broker too (a new consumer gets the held message, redelivered),
// and the connection goes on.
func TestSlowAckConsumerAborted(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{AbortSlowAck: "1000,500"})
	ctx := testCtx(t, 90*time.Second)
	c, err := Dial(ctx, b.URL, Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := newQueue(t)
	sendTexts(t, c, Queue(q), "held")
	s := mustSession(t, c, false)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m := receiveN(t, k, 1, 20*time.Second)[0]; m.Text != "held" {
		t.Fatalf("got %q", m.Text)
	}
	// never acknowledged: the broker aborts the consumer
	_, err = k.Receive(ctx)
	if !errors.Is(err, ErrConsumerAborted) {
		t.Fatalf("Receive: %v, want ErrConsumerAborted", err)
	}
	if c.Err() != nil {
		t.Fatalf("connection: %v", c.Err())
	}
	// no zombie left holding the message: a new consumer gets it
	k2, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got *Message
	checkfor.Within(t, 30*time.Second, func() error {
		if got = k2.TryReceive(); got == nil {
			return errors.New("the held message did not come back")
		}
		return nil
	})
	if got.Text != "held" || got.RedeliveryCounter < 1 {
		t.Fatalf("redelivered %q with counter %d", got.Text, got.RedeliveryCounter)
	}
	if err := k2.Ack(ctx, got); err != nil {
		t.Fatal(err)
	}
}
