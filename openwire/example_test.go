package openwire_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// exampleTB lets the examples use the test binary's shared broker.
type exampleTB struct{ testing.TB }

func (exampleTB) Helper()                           {}
func (exampleTB) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }

func broker() *brokertest.Broker { return brokertest.Shared(exampleTB{}) }

// Example connects, sends a message, consumes it and acknowledges it.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := broker()
	conn, err := openwire.Dial(ctx, b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession(ctx, false)
	if err != nil {
		log.Fatal(err)
	}
	prod, _ := sess.NewProducer(ctx)
	err = prod.Send(ctx, openwire.Queue("example.orders"), &openwire.Message{
		Kind: openwire.KindText, Text: "order 42", Persistent: true, Priority: 4,
		Properties: map[string]any{"customer": "ACME", "amount": int64(1200)},
	})
	if err != nil {
		log.Fatal(err)
	}
	cons, err := sess.NewConsumer(ctx, "example.orders", openwire.ConsumerOptions{Prefetch: 10})
	if err != nil {
		log.Fatal(err)
	}
	m, err := cons.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Kind, m.Text, m.Properties["customer"], m.Properties["amount"], m.RedeliveryCounter)
	if err := cons.Ack(ctx, m); err != nil {
		log.Fatal(err)
	}
	// Output: text order 42 ACME 1200 0
}

// ExampleConsumer_Redeliver hands a failed message back; after the policy's
// maximum it goes to the broker's dead-letter queue.
func ExampleConsumer_Redeliver() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := broker()
	conn, err := openwire.Dial(ctx, b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	sess, _ := conn.NewSession(ctx, false)
	prod, _ := sess.NewProducer(ctx)
	_ = prod.Send(ctx, openwire.Queue("example.retry"), &openwire.Message{Kind: openwire.KindText, Text: "flaky", Persistent: true})

	policy := openwire.DefaultRedeliveryPolicy()
	policy.MaximumRedeliveries = 2
	policy.InitialRedeliveryDelay = 10 * time.Millisecond
	policy.RedeliveryDelay = 10 * time.Millisecond
	cons, _ := sess.NewConsumer(ctx, "example.retry", openwire.ConsumerOptions{Redelivery: policy})
	for {
		m, err := cons.Receive(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("attempt", m.RedeliveryCounter+1)
		if err := cons.Redeliver(ctx, "handler failed", m); err != nil {
			log.Fatal(err)
		}
		if policy.Exceeded(m.RedeliveryCounter) {
			break // poison-acknowledged: now in ActiveMQ.DLQ
		}
	}
	// Output:
	// attempt 1
	// attempt 2
	// attempt 3
}

// ExampleDial_failover connects with a failover URL: the connection reconnects
// by itself and re-creates its sessions and consumers. Acks of messages received
// before a reconnect fail with an error matching ErrStale (the broker redelivers
// those messages), so callers simply drop them.
func ExampleDial_failover() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := broker()
	url := "failover:(" + b.URL + ")?randomize=false&maxReconnectDelay=2000"
	conn, err := openwire.Dial(ctx, url, openwire.Config{
		User: b.User, Password: b.Password,
		OnReconnect: func(err error) { log.Printf("reconnected after: %v", err) },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	ack := func(cons *openwire.Consumer, m *openwire.Message) error {
		if err := cons.Ack(ctx, m); err != nil && !errors.Is(err, openwire.ErrStale) {
			return err
		}
		return nil
	}
	_ = ack
	fmt.Println("connected")
	// Output: connected
}
