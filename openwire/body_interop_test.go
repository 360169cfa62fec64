package openwire

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/jms"
)

// javaGrowthSizes are body sizes around the growth steps of ActiveMQ's
// ByteArrayOutputStream (1028 bytes, doubled) up to a few hundred KB.
func javaGrowthSizes() []int {
	sizes := []int{0, 1, 2, 3, 511, 512, 513}
	for c := javaBufferSize; c <= 1028<<8; c <<= 1 {
		sizes = append(sizes, c-1, c, c+1)
	}
	return sizes
}

func sweepBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131 + i>>8) // not all zero, so padding would show
	}
	return b
}

func sweepText(n int) string {
	const unit = "abcdéfg€😀 " // 1, 2, 3 and 4-byte UTF-8 (the last is CESU-8 from Java): 16 bytes
	return strings.Repeat(unit, n/len(unit)) + strings.Repeat("x", n%len(unit))
}

// TestInteropJavaBodySweep sends bytes (written whole and in pieces), text and map
// bodies of every size around the Java buffer's growth steps from the real Java
// client, with and without jms.useCompression, and checks each arrives byte-exact.
func TestInteropJavaBodySweep(t *testing.T) {
	b := brokertest.Shared(t)
	tool := jms.New(t)
	ctx := testCtx(t, 3*time.Minute)
	q := newQueue(t)
	type want struct {
		kind  MessageKind
		body  []byte
		text  string
		label string
	}
	var msgs []jms.Message
	var wants []want
	for _, n := range javaGrowthSizes() {
		body, text := sweepBody(n), sweepText(n)
		msgs = append(msgs,
			jms.Message{Kind: "bytes", Bytes: body},
			jms.Message{Kind: "bytes", Bytes: body, Chunk: 100},
			jms.Message{Kind: "text", Text: text},
			jms.Message{Kind: "map", Map: map[string]any{
				"b": jms.MapEntry{Type: "bytes", Value: base64.StdEncoding.EncodeToString(body)}, "s": text}},
		)
		wants = append(wants,
			want{KindBytes, body, "", fmt.Sprintf("bytes %d", n)},
			want{KindBytes, body, "", fmt.Sprintf("bytes %d in pieces", n)},
			want{KindText, nil, text, fmt.Sprintf("text %d", n)},
			want{KindMap, body, text, fmt.Sprintf("map %d", n)},
		)
	}
	index := map[string]int{}
	for _, compress := range []bool{false, true} {
		ids, err := tool.Send(ctx, jms.SendOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q, Compress: compress, Messages: msgs})
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			index[id] = i + len(msgs)*boolInt(compress)
		}
	}
	c := dialShared(t, Config{})
	k, err := mustSession(t, c, false).NewConsumer(ctx, q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A body the client cannot decode is dead-lettered on arrival and never comes:
	// count what does come.
	seen := map[int]bool{}
	for len(seen) < 2*len(msgs) {
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		m, err := k.Receive(rctx)
		cancel()
		if err != nil {
			var missing []string
			for i := range 2 * len(msgs) {
				if !seen[i] {
					missing = append(missing, fmt.Sprintf("%s compressed=%v", wants[i%len(msgs)].label, i >= len(msgs)))
				}
			}
			t.Fatalf("received %d of %d: %v; missing %q", len(seen), 2*len(msgs), err, missing)
		}
		i, ok := index[m.ID]
		if !ok {
			t.Fatalf("ID %q is none of Java's", m.ID)
		}
		seen[i] = true
		w := wants[i%len(msgs)]
		compressed := i >= len(msgs)
		label := fmt.Sprintf("%s compressed=%v", w.label, compressed)
		if m.Kind != w.kind || m.Compressed != compressed {
			t.Errorf("%s: kind %v compressed %v", label, m.Kind, m.Compressed)
			continue
		}
		switch w.kind {
		case KindBytes:
			if !bytes.Equal(m.Body, w.body) || !bytes.Equal(m.Data(), w.body) {
				t.Errorf("%s: %d bytes, not the body", label, len(m.Body))
			}
		case KindText:
			if m.Text != w.text {
				t.Errorf("%s: text of %d bytes, not the text", label, len(m.Text))
			}
		case KindMap:
			if got, _ := m.Map["b"].([]byte); !bytes.Equal(got, w.body) || m.Map["s"] != w.text || len(m.Map) != 2 {
				t.Errorf("%s: map %d bytes, text ok %v, %d entries", label, len(got), m.Map["s"] == w.text, len(m.Map))
			}
		}
		if err := k.Ack(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
