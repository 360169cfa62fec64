package brokertest_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

func TestMain(m *testing.M) { os.Exit(brokertest.Main(m)) }

// The shared broker answers OpenWire over TCP, lets its user in and refuses a wrong
// password with ActiveMQ's own message.
func TestSharedBrokerAuthenticates(t *testing.T) {
	b := brokertest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := openwire.Dial(ctx, b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatalf("right credentials: %v", err)
	}
	conn.Close()
	_, err = openwire.Dial(ctx, b.URL, openwire.Config{User: b.User, Password: "wrong"})
	if !errors.Is(err, openwire.ErrAuthentication) {
		t.Fatalf("wrong password: got %v, want ErrAuthentication", err)
	}
	if !strings.Contains(err.Error(), "password is invalid") {
		t.Fatalf("error %q does not carry the broker's message", err)
	}
}

// A private broker keeps persistent messages across a restart, and extra users can
// log in.
func TestPrivateBrokerRestart(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{ExtraUsers: []string{"app:s3cret"}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := openwire.Dial(ctx, b.URL, openwire.Config{User: "app", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := conn.NewSession(ctx, false)
	p, err := sess.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Send(ctx, openwire.Queue("kept"), &openwire.Message{Kind: openwire.KindText, Text: "survives", Persistent: true}); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	conn, err = openwire.Dial(ctx, b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, _ = conn.NewSession(ctx, false)
	c, err := sess.NewConsumer(ctx, "kept", openwire.ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Receive(ctx)
	if err != nil || m.Text != "survives" {
		t.Fatalf("after restart: %v %v", m, err)
	}
	if err := c.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}
}
