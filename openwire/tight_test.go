package openwire

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
)

// encodings are the two wire encodings: tight (ActiveMQ's default, used when both
// sides offer it) and loose (a broker or URL with tightEncodingEnabled=false).
var encodings = []struct {
	name  string
	tight bool
}{{"tight", true}, {"loose", false}}

// dialEncoding dials the shared broker, offering tight encoding or not, and checks
// that the link negotiated what was asked for.
func dialEncoding(t testing.TB, cfg Config, tight bool) *Conn {
	t.Helper()
	b := brokertest.Shared(t)
	if cfg.User == "" {
		cfg.User, cfg.Password = b.User, b.Password
	}
	url := b.URL
	if !tight {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		url += sep + "wireFormat.tightEncodingEnabled=false"
	}
	c, err := Dial(testCtx(t, 30*time.Second), url, cfg)
	if err != nil {
		t.Fatalf("Dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	c.mu.Lock()
	l := c.link
	c.mu.Unlock()
	if l == nil || l.tight != tight {
		t.Fatalf("%s: link %v, want tight encoding %v", url, l != nil, tight)
	}
	return c
}

// dispatchFrameAs is dispatchFrame in the given encoding.
func dispatchFrameAs(m *Message, redeliveries int32, tight bool) []byte {
	content, has, err := m.encodeContent()
	if err != nil {
		panic(err)
	}
	props, _ := encodeProperties(m.Properties)
	if m.id.producer.conn == "" {
		m.id = messageID{producer: producerID{conn: "ID:host-1234-1700000000000-1:1", value: 1, session: 1}, prodSeq: 7, brokerSeq: 42}
	}
	e := encoder{tight: tight}
	start := e.beginFrame(typeMessageDispatch)
	e.command(0, false)
	e.consumerID(consumerID{conn: "ID:client-1:1", session: 1, value: 2})
	e.destination(&m.Destination)
	e.bool1(true)
	e.byte1(m.Kind.commandType())
	if tight {
		e.bool1(false) // no cached marshalled form
	}
	e.messageFields(0, false, m, m.id.producer, &m.Destination, nil, content, has, props)
	e.int32(redeliveries)
	e.endFrame(start)
	return e.b
}

// The two encodings carry the same message: every decoded field agrees.
func TestTightDecodesAsLoose(t *testing.T) {
	for i, wire := range fuzzSeedMessages() {
		loose := dispatchFrameAs(wire(), 3, false)
		tight := dispatchFrameAs(wire(), 3, true)
		if len(tight) >= len(loose) {
			t.Errorf("%d: tight frame of %d bytes, loose %d: tight should be smaller", i, len(tight), len(loose))
		}
		lf, err := decodeFrame(loose[4:], false, 1<<20, nil)
		if err != nil || lf.bodyErr != nil {
			t.Fatalf("%d: loose: %v %v", i, err, lf.bodyErr)
		}
		tf, err := decodeFrame(tight[4:], true, 1<<20, nil)
		if err != nil || tf.bodyErr != nil {
			t.Fatalf("%d: tight: %v %v", i, err, tf.bodyErr)
		}
		lf.msg.Size, tf.msg.Size = 0, 0 // the frames' sizes differ
		if !reflect.DeepEqual(lf.msg, tf.msg) || lf.consumer != tf.consumer {
			t.Errorf("%d: tight decoded\n%+v\nloose\n%+v", i, tf.msg, lf.msg)
		}
		if tf.msg.RedeliveryCounter != 3 {
			t.Errorf("%d: redelivery counter %d", i, tf.msg.RedeliveryCounter)
		}
		// read as the other encoding, a frame is an error or a failed message, never a panic
		if f, err := decodeFrame(tight[4:], false, 1<<20, nil); err == nil && f.msg != nil && f.bodyErr == nil {
			f.msg.Size = 0
			if reflect.DeepEqual(f.msg, tf.msg) {
				t.Errorf("%d: a tight frame decoded as loose to the same message", i)
			}
		}
	}
}

// Longs take 0, 2, 4 or 8 bytes, read back unsigned as Java does; strings of ASCII
// take the short form, the others writeUTF's.
func TestTightPrimitives(t *testing.T) {
	longs := []int64{0, 1, 0xFFFF, 0x10000, 0xFFFFFFFF, 0x100000000, -1, math.MinInt64, math.MaxInt64, 1700000000000}
	sizes := []int{0, 2, 2, 4, 4, 8, 8, 8, 8, 8}
	strs := []string{"", "a", "ID:host-1:1", "Grüße 世界 😀", "nul\x00byte", strings.Repeat("x", math.MaxInt16-1),
		strings.Repeat("y", math.MaxInt16), strings.Repeat("é", 30000)}
	e := encoder{tight: true}
	start := e.beginFrame(typeResponse)
	for i, v := range longs {
		before := len(e.b)
		e.long(v)
		if n := len(e.b) - before; n != sizes[i] {
			t.Errorf("long %d took %d bytes, want %d", v, n, sizes[i])
		}
	}
	for _, s := range strs {
		e.str(s)
	}
	e.endFrame(start)
	if e.err != nil {
		t.Fatal(e.err)
	}
	d := frameDecoder(e.b[5:], true, nil)
	for _, v := range longs {
		if got := d.long(); got != v {
			t.Errorf("long %d read back as %d", v, got)
		}
	}
	for _, s := range strs {
		if got := d.str(); got != s {
			t.Errorf("string of %d bytes read back as %d bytes", len(s), len(got))
		}
	}
	if d.err != nil || d.remaining() != 0 {
		t.Errorf("decoder: %v, %d bytes left", d.err, d.remaining())
	}
	// Java reads the short form's bytes as Latin-1 characters.
	j := encoder{tight: true}
	start = j.beginFrame(typeResponse)
	j.bool1(true)
	j.bool1(true)
	j.int16(2)
	j.b = append(j.b, 0xE9, 'a')
	j.endFrame(start)
	if d := frameDecoder(j.b[5:], true, nil); d.str() != "éa" {
		t.Error("short-form string not read as Latin-1")
	}
}

// The bit stream's length prefix takes Java's three forms, and every bit comes back.
func TestTightBitStream(t *testing.T) {
	for _, tc := range []struct {
		bools int
		head  string
	}{{0, "00"}, {3, "01"}, {63 * 8, "3f"}, {64 * 8, "c040"}, {255 * 8, "c0ff"}, {256 * 8, "800100"}, {3000 * 8, "800bb8"}} {
		e := encoder{tight: true}
		start := e.beginFrame(typeResponse)
		for i := 0; i < tc.bools; i++ {
			e.bool1(i%3 == 0)
		}
		e.int32(77)
		e.endFrame(start)
		if got := hex.EncodeToString(e.b[5 : 5+len(tc.head)/2]); got != tc.head {
			t.Errorf("%d booleans: prefix %s, want %s", tc.bools, got, tc.head)
		}
		d := frameDecoder(e.b[5:], true, nil)
		for i := 0; i < tc.bools; i++ {
			if d.bool1() != (i%3 == 0) {
				t.Fatalf("%d booleans: bit %d differs", tc.bools, i)
			}
		}
		if d.int32() != 77 || d.err != nil {
			t.Errorf("%d booleans: data after the bits: %v", tc.bools, d.err)
		}
		for i := tc.bools; i < (tc.bools+7)/8*8; i++ {
			if d.bool1() {
				t.Fatalf("%d booleans: padding bit %d set", tc.bools, i)
			}
		}
		if d.bool1(); !errors.Is(d.err, ErrMalformed) {
			t.Errorf("%d booleans: reading past the stream: %v", tc.bools, d.err)
		}
	}
}

// A KeepAliveInfo as Java's OpenWireFormat writes it tight: size 7, type 10, a
// one-byte bit stream holding responseRequired, then the command id.
func TestTightKeepAliveBytes(t *testing.T) {
	e := encoder{tight: true}
	e.keepAlive(5)
	if got, want := hex.EncodeToString(e.b), "000000070a010000000005"; got != want {
		t.Errorf("keep-alive %s, want %s", got, want)
	}
	e = encoder{tight: true}
	start := e.beginFrame(typeKeepAliveInfo)
	e.command(5, true)
	e.endFrame(start)
	if got, want := hex.EncodeToString(e.b), "000000070a010100000005"; got != want {
		t.Errorf("keep-alive with a response %s, want %s", got, want)
	}
}

// A message in a cached marshalled form (which no ActiveMQ writes) is refused, not misread.
func TestTightCachedMessageRefused(t *testing.T) {
	e := encoder{tight: true}
	start := e.beginFrame(typeMessageDispatch)
	e.command(0, false)
	e.consumerID(consumerID{conn: "c", session: 1, value: 2})
	e.destination(&Destination{Kind: DestQueue, Name: "q"})
	e.bool1(true)
	e.byte1(typeTextMessage)
	e.bool1(true) // cached form follows
	e.b = append(e.b, make([]byte, 16)...)
	e.endFrame(start)
	if _, err := decodeFrame(e.b[4:], true, 1<<20, nil); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "cached") {
		t.Errorf("cached message form: %v", err)
	}
}

// Against the real broker: tight encoding is negotiated by default, the URL option
// turns it off, and messages of every kind go both ways byte-exact in each.
func TestEncodingsAgainstBroker(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			c := dialEncoding(t, Config{}, enc.tight)
			q := newQueue(t)
			p, err := mustSession(t, c, false).NewProducer(ctx)
			if err != nil {
				t.Fatal(err)
			}
			reply := Topic("replies")
			big := sweepBody(200 << 10)
			sent := []*Message{
				{Kind: KindText, Text: interopText, CorrelationID: "corr-é", Type: "t", ReplyTo: &reply, Priority: 9,
					Persistent: true, Expiration: time.Now().Add(time.Hour).UnixMilli(),
					Properties: map[string]any{"i": int32(-7), "l": int64(math.MinInt64), "s": "ü", "b": true}},
				{Kind: KindBytes, Body: big, Persistent: true, Priority: 4},
				{Kind: KindBytes, Body: big, Compressed: true, Priority: 4},
				{Kind: KindMap, Map: map[string]any{"k": []byte{1, 2}, "n": int16(3)}, Priority: 4, GroupID: "g", GroupSequence: 70000},
			}
			for _, m := range sent {
				if err := p.Send(ctx, Queue(q), m); err != nil {
					t.Fatal(err)
				}
			}
			s := mustSession(t, c, true)
			k, err := s.NewConsumer(ctx, q, ConsumerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := receiveN(t, k, len(sent), 30*time.Second)
			for i, m := range got {
				w := sent[i]
				if m.ID != w.ID || m.Kind != w.Kind || m.Text != w.Text || !bytes.Equal(m.Body, w.Body) || !reflect.DeepEqual(m.Map, w.Map) ||
					m.CorrelationID != w.CorrelationID || m.Type != w.Type || m.Priority != w.Priority || m.Expiration != w.Expiration ||
					m.GroupID != w.GroupID || m.GroupSequence != w.GroupSequence || !reflect.DeepEqual(m.Properties, w.Properties) ||
					(w.ReplyTo != nil && (m.ReplyTo == nil || *m.ReplyTo != *w.ReplyTo)) || m.BrokerInTime == 0 {
					t.Errorf("%d: received %+v\nsent %+v", i, m, w)
				}
			}
			// a rollback redelivers in the same encoding, counted; the commit settles
			if err := k.Ack(ctx, got...); err != nil {
				t.Fatal(err)
			}
			if err := s.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			again := receiveN(t, k, len(sent), 30*time.Second)
			for i, m := range again {
				if m.ID != sent[i].ID || m.RedeliveryCounter != 1 {
					t.Errorf("%d: redelivered %s with counter %d", i, m.ID, m.RedeliveryCounter)
				}
			}
			if err := k.Ack(ctx, again...); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			if m, err := k.Receive(rctx); m != nil || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("after the commit: %v %v", m, err)
			}
			if c.Err() != nil {
				t.Errorf("connection: %v", c.Err())
			}
		})
	}
}

// FuzzDecodeTightFrame feeds a byte stream through the frame reader and the tight
// decoders, the control commands' and the oversized path's included.
func FuzzDecodeTightFrame(f *testing.F) {
	for _, s := range fuzzSeedsAs(true) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if fr, err := readOversizedDispatch(bufio.NewReader(bytes.NewReader(data)), 64, true, nil); err == nil && (fr.msg == nil || !errors.Is(fr.bodyErr, ErrFrameTooLarge)) {
			t.Fatalf("oversized: message %+v, bodyErr %v", fr.msg, fr.bodyErr)
		}
		decodeStream(data, true)
	})
}
