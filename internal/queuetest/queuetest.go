// Package queuetest puts messages on and takes them off a test broker's queues with
// the OpenWire client.
package queuetest

import (
	"context"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// Text is a persistent text message.
func Text(body string) *openwire.Message {
	return &openwire.Message{Kind: openwire.KindText, Text: body, Persistent: true}
}

// Texts are persistent text messages with the given bodies.
func Texts(bodies ...string) []*openwire.Message {
	out := make([]*openwire.Message, len(bodies))
	for i, b := range bodies {
		out[i] = Text(b)
	}
	return out
}

func connect(ctx context.Context, b *brokertest.Broker) (*openwire.Conn, *openwire.Session, error) {
	conn, err := openwire.Dial(ctx, b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		return nil, nil, err
	}
	sess, err := conn.NewSession(ctx, false)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, sess, nil
}

// Send puts msgs on queue, each confirmed by the broker. It may run on another
// goroutine than the test's, so it reports failures with t.Error.
func Send(t testing.TB, b *brokertest.Broker, queue string, msgs ...*openwire.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, sess, err := connect(ctx, b)
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	p, err := sess.NewProducer(ctx)
	if err != nil {
		t.Error(err)
		return
	}
	for _, m := range msgs {
		if err := p.Send(ctx, openwire.Queue(queue), m); err != nil {
			t.Error(err)
			return
		}
	}
}

// Drain takes and acknowledges what queue holds, until nothing has arrived for
// quiet, and returns it.
func Drain(t testing.TB, b *brokertest.Broker, queue string, quiet time.Duration) []*openwire.Message {
	t.Helper()
	ctx := context.Background()
	conn, sess, err := connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := sess.NewConsumer(ctx, queue, openwire.ConsumerOptions{Prefetch: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []*openwire.Message
	for {
		rctx, cancel := context.WithTimeout(ctx, quiet)
		m, err := c.Receive(rctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, m)
		if err := c.Ack(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}
