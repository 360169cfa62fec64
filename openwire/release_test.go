package openwire

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/mqtrigger/mqtrigger/internal/bufpool"
)

// releaseBody is message i's body: different from every other's in every byte.
func releaseBody(i, size int) []byte {
	b := make([]byte, size)
	for j := range b {
		b[j] = byte(i*131 + j*7 + j>>8)
	}
	return b
}

// A large bytes message is read into a recycled buffer. Release gives it to a
// later message only once the message is committed; before that it does nothing,
// so a message rolled back comes again intact. A message never released keeps its
// body, and a large text message or a small bytes message holds no buffer at all.
func TestReleaseRecyclesLargeFrames(t *testing.T) {
	const n, size = 40, 100 << 10
	if size <= bufpool.Min {
		t.Fatal("the test's messages must be large enough to be pooled")
	}
	c := dialShared(t, Config{})
	q := newQueue(t)
	ctx := testCtx(t, 60*time.Second)
	ps := mustSession(t, c, false)
	p, err := ps.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	longText := strings.Repeat("text body, ", size/10)
	if err := p.Send(ctx, Queue(q), &Message{Kind: KindText, Text: longText}); err != nil {
		t.Fatal(err)
	}
	small := releaseBody(7, 1<<10)
	if err := p.Send(ctx, Queue(q), &Message{Kind: KindBytes, Body: small}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := p.Send(ctx, Queue(q), &Message{Kind: KindBytes, Body: releaseBody(i, size)}); err != nil {
			t.Fatal(err)
		}
	}

	s := mustSession(t, c, true)
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 2, Redelivery: fastPolicy(6), OrderedRedelivery: true})
	if err != nil {
		t.Fatal(err)
	}
	// A large text body and a small bytes body hold no recycled buffer: Release
	// leaves them as they are.
	two := receiveN(t, k, 2, 10*time.Second)
	text, little := two[0], two[1]
	if text.Text != longText || text.frame != nil {
		t.Fatalf("text message: %d characters, holds a frame: %v", len(text.Text), text.frame != nil)
	}
	if err := k.Ack(ctx, two...); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	text.Release()
	little.Release()
	if text.Text != longText || !bytes.Equal(little.Body, small) {
		t.Fatal("Release changed a message that holds no recycled buffer")
	}

	// Released before its commit, then rolled back: the body stays and comes again.
	first := receiveN(t, k, 1, 10*time.Second)[0]
	first.Release()
	if err := k.Ack(ctx, first); err != nil {
		t.Fatal(err)
	}
	first.Release()
	if !bytes.Equal(first.Body, releaseBody(0, size)) {
		t.Fatal("Release before the commit changed the body")
	}
	if err := s.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	released := map[*byte]bool{}
	reused := 0
	var kept *Message
	for i := range n {
		m := receiveN(t, k, 1, 10*time.Second)[0]
		if !bytes.Equal(m.Body, releaseBody(i, size)) {
			t.Fatalf("message %d (redelivery %d): body is not the one sent", i, m.RedeliveryCounter)
		}
		if i == 0 && m.RedeliveryCounter != 1 {
			t.Fatalf("message 0 came back with counter %d, want 1", m.RedeliveryCounter)
		}
		data := unsafe.SliceData(m.Body)
		if released[data] {
			reused++
		}
		if err := k.Ack(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			kept = m // never released: its body must survive every reuse
			continue
		}
		m.Release()
		if m.Body != nil {
			t.Fatalf("message %d: Body still set after Release", i)
		}
		m.Release() // twice is harmless
		released[data] = true
	}
	if !bytes.Equal(kept.Body, releaseBody(1, size)) {
		t.Fatal("a message never released had its body overwritten")
	}
	// sync.Pool may drop buffers (the race detector makes it drop some on
	// purpose), but with 38 released most must come round again.
	if reused == 0 {
		t.Fatal("no released buffer was used for a later message")
	}
	t.Logf("%d of %d messages were read into a released buffer", reused, n)
}
