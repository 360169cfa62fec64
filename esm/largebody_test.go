package esm_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// largeBody is message i's body: its index, then bytes that differ from every
// other message's at almost every offset.
func largeBody(i, size int) []byte {
	b := make([]byte, size)
	binary.BigEndian.PutUint64(b, uint64(i))
	x := uint32(i)*2654435761 + 1
	for j := 8; j < size; j++ {
		x = x*1664525 + 1013904223
		b[j] = byte(x >> 24)
	}
	return b
}

// Large bytes messages are read into recycled buffers (internal/bufpool), handed
// to later messages once a batch commits. Every body must still reach the
// function exactly as sent: with five workers, and with every fifth invocation
// failing, so that messages held for redelivery sit beside buffers going round.
func TestLargeBodiesArriveIntact(t *testing.T) {
	const n, size = 600, 70 << 10
	var (
		mu          sync.Mutex
		delivered   = map[int]bool{}
		invocations atomic.Int32
		bad         atomic.Int32
	)
	rec := newRecorder(t, func(msgs []events.ActiveMQMessage) (int, string) {
		var got []int
		for _, m := range msgs {
			b, err := base64.StdEncoding.DecodeString(m.Data)
			if err != nil || len(b) != size {
				if bad.Add(1) == 1 {
					t.Errorf("message %s: %d bytes (%v), want %d", m.MessageID, len(b), err, size)
				}
				continue
			}
			i := int(binary.BigEndian.Uint64(b))
			if i < 0 || i >= n || !bytes.Equal(b, largeBody(i, size)) {
				if bad.Add(1) == 1 {
					t.Errorf("message %s: body is not the one sent (index %d)", m.MessageID, i)
				}
				continue
			}
			got = append(got, i)
		}
		if invocations.Add(1)%5 == 0 {
			return 500, `{"errorType":"Retry","errorMessage":"every fifth batch fails once"}`
		}
		mu.Lock()
		for _, i := range got {
			delivered[i] = true
		}
		mu.Unlock()
		return 200, "{}"
	})
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	q := queueName(t)
	msgs := make([]*openwire.Message, n)
	for i := range msgs {
		msgs[i] = &openwire.Message{Kind: openwire.KindBytes, Body: largeBody(i, size)}
	}
	queuetest.Send(t, h.broker, q, msgs...)
	h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 100,
		MaximumBatchingWindowInSeconds: intp(0), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 5}})
	checkfor.Within(t, 120*time.Second, func() error {
		if bad.Load() > 0 {
			return nil // reported above
		}
		mu.Lock()
		defer mu.Unlock()
		if len(delivered) < n {
			return fmt.Errorf("%d of %d messages delivered intact", len(delivered), n)
		}
		return nil
	})
	if b := bad.Load(); b > 0 {
		t.Fatalf("%d bodies reached the function altered", b)
	}
	if f := invocations.Load() / 5; f == 0 {
		t.Fatal("no invocation failed: the test did not exercise redelivery")
	}
}
