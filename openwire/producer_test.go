package openwire

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestProduceToTopicsAndVirtualTopics(t *testing.T) {
	c := dialShared(t, Config{})
	ctx := testCtx(t, 30*time.Second)
	s := mustSession(t, c, false)
	name := newQueue(t)
	vt := "VirtualTopic." + name
	viaQueue, err := s.NewConsumer(ctx, "Consumer.A."+vt, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.NewTopicConsumer(ctx, name, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte{0, 1, 2, 0xff}
	vm := &Message{Kind: KindBytes, Body: body, Properties: map[string]any{"k": "v"}}
	if err := p.Send(ctx, Topic(vt), vm); err != nil {
		t.Fatal(err)
	}
	tm := &Message{Kind: KindText, Text: "to topic", Persistent: false}
	if err := p.Send(ctx, Topic(name), tm); err != nil {
		t.Fatal(err)
	}
	m, err := viaQueue.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != vm.ID || !bytes.Equal(m.Body, body) || m.Kind != KindBytes || m.Properties["k"] != "v" || m.Persistent {
		t.Fatalf("virtual topic: %+v", m)
	}
	if err := viaQueue.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}
	m, err = plain.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "to topic" || m.Destination != Topic(name) || m.Destination.String() != "topic://"+name {
		t.Fatalf("topic: %+v", m)
	}
	if err := plain.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}
}

func TestSendLimits(t *testing.T) {
	c := dialShared(t, Config{MaxFrameSize: 64 << 10})
	ctx := testCtx(t, 10*time.Second)
	p, err := mustSession(t, c, false).NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Send(ctx, Queue(newQueue(t)), &Message{Kind: KindBytes, Body: make([]byte, 100<<10)})
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized send: %v", err)
	}
	if err := p.Send(ctx, Queue(newQueue(t)), &Message{Kind: KindText, Properties: map[string]any{"x": struct{}{}}}); err == nil {
		t.Fatal("unsupported property type accepted")
	}
	if err := p.Send(ctx, Queue(newQueue(t)), &Message{Kind: KindObject}); err == nil {
		t.Fatal("object message accepted")
	}
	// the connection is still fine
	if err := p.Send(ctx, Queue(newQueue(t)), &Message{Kind: KindText, Text: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Send(ctx, Queue("x"), &Message{Kind: KindText}); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
}
