package openwire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// messageTail is the number of bytes after the properties of a message that
// encoder.message writes, from dataStructure to jmsXGroupFirstForConsumer, plus the
// MessageDispatch's redelivery counter.
const messageTail = 37 + 4

// withDataStructure returns the dispatch frame wire with its message's (null)
// dataStructure replaced by ds.
func withDataStructure(wire, ds []byte) []byte {
	at := len(wire) - messageTail
	if wire[at] != 0 {
		panic("dataStructure is not null where expected")
	}
	out := append(append(append([]byte{}, wire[:at]...), ds...), wire[at+1:]...)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

// A nested structure the client does not know, inside the message, fails that
// message only: it comes with its id (so it can be acknowledged) and the cause.
func TestUnknownNestedFailsTheMessage(t *testing.T) {
	wire := dispatchFrame(&Message{Kind: KindText, Text: "advisory", Destination: Topic("ActiveMQ.Advisory.Consumer.Queue.q")}, 5)
	// a ConsumerInfo, as advisory messages carry, and bytes the decoder cannot size
	odd := withDataStructure(wire, []byte{1, typeConsumerInfo, 0, 0, 0, 1, 0, 1, typeConsumerID, 0xde, 0xad})
	f, err := decodeFrame(odd[4:], false, 1<<20, nil)
	if err != nil {
		t.Fatalf("the link would end: %v", err)
	}
	if f.msg == nil || f.msg.ID != "ID:host-1234-1700000000000-1:1:1:1:7" || f.consumer.value != 2 {
		t.Fatalf("message %+v consumer %+v", f.msg, f.consumer)
	}
	if !errors.Is(f.bodyErr, ErrMalformed) || !strings.Contains(f.bodyErr.Error(), "unsupported nested object type 5") {
		t.Fatalf("bodyErr %v", f.bodyErr)
	}
	if f.msg.RedeliveryCounter != 5 {
		t.Errorf("redelivery counter %d, want the dispatch's 5", f.msg.RedeliveryCounter)
	}
	// before the message id nothing can be acknowledged: the frame is an error
	e := encoder{}
	start := e.beginFrame(typeMessageDispatch)
	e.command(0, false)
	e.consumerID(consumerID{conn: "ID:c", session: 1, value: 2})
	e.destination(&Destination{Name: "q"})
	e.bool1(true)
	e.byte1(typeTextMessage)
	e.command(0, false)
	e.bool1(true)
	e.byte1(typeConsumerInfo) // as producerId
	e.int32(7)
	e.endFrame(start)
	if _, err := decodeFrame(e.b[4:], false, 1<<20, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unknown producerId: %v", err)
	}
}

// A MessageDispatch over the limit is read as far as its message's id and the rest
// discarded; the next frame reads normally and nothing near the frame's size is
// allocated.
func TestOversizedDispatch(t *testing.T) {
	const limit = 64 << 10
	big := dispatchFrame(&Message{Kind: KindBytes, Body: make([]byte, 8<<20), Destination: Queue("q"), CorrelationID: "c1"}, 3)
	next := dispatchFrame(&Message{Kind: KindText, Text: "next", Destination: Queue("q")}, 0)
	br := bufio.NewReader(bytes.NewReader(append(append([]byte{}, big...), next...)))
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(big)), nil, limit); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("readFrame: %v", err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, err := readOversizedDispatch(br, limit, false, nil)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 2*oversizedHead {
		t.Errorf("allocated %d bytes for an 8 MiB frame", d)
	}
	m := f.msg
	if m == nil || m.ID != "ID:host-1234-1700000000000-1:1:1:1:7" || m.Destination != Queue("q") || m.CorrelationID != "c1" ||
		m.RedeliveryCounter != 3 || m.Size != len(big) || f.consumer.value != 2 {
		t.Fatalf("head %+v consumer %+v", m, f.consumer)
	}
	if !errors.Is(f.bodyErr, ErrFrameTooLarge) || !strings.Contains(f.bodyErr.Error(), "limit 65536") {
		t.Fatalf("bodyErr %v", f.bodyErr)
	}
	if m.Body != nil || m.Properties != nil {
		t.Errorf("body or properties decoded from a discarded frame")
	}
	fr, err := readFrame(br, nil, limit)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := decodeFrame(fr, false, limit, nil); err != nil || g.msg == nil || g.msg.Text != "next" {
		t.Fatalf("next frame: %v %+v", err, g.msg)
	}

	// a frame over the limit that is not a dispatch, or ends early, ends the link
	var e encoder
	start := e.beginFrame(typeResponse)
	e.command(1, false)
	e.int32(1)
	e.b = append(e.b, make([]byte, limit)...)
	e.endFrame(start)
	if _, err := readOversizedDispatch(bufio.NewReader(bytes.NewReader(e.b)), limit, false, nil); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("oversized response: %v", err)
	}
	if _, err := readOversizedDispatch(bufio.NewReader(bytes.NewReader(big[:len(big)-10])), limit, false, nil); err == nil {
		t.Errorf("truncated oversized frame: no error")
	}
}

// FuzzOversizedDispatch: whatever an oversized frame holds, reading it never
// panics, and a message comes back only with the frame-too-large cause.
func FuzzOversizedDispatch(f *testing.F) {
	for _, s := range fuzzSeeds()[:5] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 64
		fr, err := readOversizedDispatch(bufio.NewReader(bytes.NewReader(data)), limit, false, nil)
		if err == nil && (fr.msg == nil || !errors.Is(fr.bodyErr, ErrFrameTooLarge)) {
			t.Fatalf("message %+v, bodyErr %v", fr.msg, fr.bodyErr)
		}
	})
}

// Against the real broker: a message over the consumer's MaxFrameSize is
// dead-lettered with the cause, the connection stays, and the next message arrives.
func TestOversizedMessageDeadLettered(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	sender := dialShared(t, Config{})
	q := newQueue(t)
	p, err := mustSession(t, sender, false).NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	big := &Message{Kind: KindBytes, Body: make([]byte, 256<<10), Persistent: true, Priority: 4}
	if err := p.Send(ctx, Queue(q), big); err != nil {
		t.Fatal(err)
	}
	sendTexts(t, sender, Queue(q), "next")
	c := dialShared(t, Config{MaxFrameSize: 64 << 10})
	k, err := mustSession(t, c, false).NewConsumer(ctx, q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := k.Receive(ctx)
	if err != nil || m.Text != "next" {
		t.Fatalf("next message: %v %v (connection: %v)", m, err, c.Err())
	}
	if err := k.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}
	dlq, err := mustSession(t, sender, false).NewConsumer(ctx, "ActiveMQ.DLQ", ConsumerOptions{Selector: "JMSMessageID = '" + big.ID + "'"})
	if err != nil {
		t.Fatal(err)
	}
	dead, err := dlq.Receive(ctx)
	if err != nil {
		t.Fatalf("the oversized message is not in ActiveMQ.DLQ: %v", err)
	}
	cause := fmt.Sprint(dead.Properties["dlqDeliveryFailureCause"])
	if !bytes.Equal(dead.Body, big.Body) || !strings.Contains(cause, "limit 65536 (raise Config.MaxFrameSize)") {
		t.Fatalf("dead-lettered %d bytes with cause %q", len(dead.Body), cause)
	}
	if err := dlq.Ack(ctx, dead); err != nil || c.Err() != nil {
		t.Fatalf("ack %v, connection %v", err, c.Err())
	}
}
