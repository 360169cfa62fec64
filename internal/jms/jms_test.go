package jms_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/jms"
)

func TestMain(m *testing.M) { os.Exit(brokertest.Main(m)) }

var queueSeq atomic.Int64

// queueName gives each test its own queue on the shared broker.
func queueName(t *testing.T) string {
	return fmt.Sprintf("jms-test-%s-%d-%d", strings.ReplaceAll(t.Name(), "/", "-"), os.Getpid(), queueSeq.Add(1))
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestRoundTripEveryKindAndPropertyType(t *testing.T) {
	b := brokertest.Shared(t)
	tool := jms.New(t)
	ctx := ctxFor(t, time.Minute)
	q := queueName(t)

	props := jms.EveryPropertyType
	body := make([]byte, 70000)
	for i := range body {
		body[i] = byte(i * 7)
	}
	sent := []jms.Message{
		{Kind: "text", Text: "Grüße, 世界 🎉🚀", Properties: props, CorrelationID: "corr-1",
			ReplyTo: "queue://replies", Type: "greeting", Priority: 7, Persistent: true},
		{Kind: "bytes", Bytes: body, ReplyTo: "topic://events", TimeToLive: int64(time.Hour / time.Millisecond)},
		{Kind: "map", Map: map[string]any{"s": "x ✓ 🚀", "i": 42, "big": int64(1) << 40, "d": 2.5, "b": true,
			"short": jms.MapEntry{Type: "short", Value: "7"}}},
		{Kind: "object", Text: "serialized string"},
		{Kind: "object", Map: map[string]any{"k": "v 🚀", "n": 3}},
		{Kind: "stream", Items: []any{"one 🚀", 2, true, 1.5}},
		{Kind: "text", Text: ""},
	}
	ids, err := tool.Send(ctx, jms.SendOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q, Messages: sent})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(sent) {
		t.Fatalf("Send returned %d ids for %d messages: %v", len(ids), len(sent), ids)
	}
	got, err := tool.Receive(ctx, jms.ReceiveOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
		Count: len(sent), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sent) {
		t.Fatalf("received %d messages, want %d: %+v", len(got), len(sent), got)
	}
	for i, m := range got {
		if m.MessageID != ids[i] {
			t.Errorf("message %d: id %q, want %q", i, m.MessageID, ids[i])
		}
		if m.Kind != sent[i].Kind {
			t.Errorf("message %d: kind %q, want %q", i, m.Kind, sent[i].Kind)
		}
		if m.Destination != "queue://"+q {
			t.Errorf("message %d: destination %q", i, m.Destination)
		}
		if m.Timestamp == 0 || m.Redelivered {
			t.Errorf("message %d: timestamp %d redelivered %v", i, m.Timestamp, m.Redelivered)
		}
	}

	text := got[0]
	if text.Text != sent[0].Text || text.CorrelationID != "corr-1" || text.ReplyTo != "queue://replies" ||
		text.Type != "greeting" || text.Priority != 7 || !text.Persistent {
		t.Errorf("text message headers/body: %+v", text)
	}
	for _, want := range props {
		p, ok := text.Property(want.Name)
		if !ok || p != want {
			t.Errorf("property %s: got %+v (present %v), want %+v", want.Name, p, ok, want)
		}
	}
	if got[1].Priority != 4 || got[1].Persistent || got[1].Expiration == 0 || got[1].ReplyTo != "topic://events" {
		t.Errorf("bytes message headers: %+v", got[1])
	}
	if !bytes.Equal(got[1].Bytes, body) {
		t.Errorf("bytes body: %d bytes, want %d identical", len(got[1].Bytes), len(body))
	}
	wantMap := map[string]any{"s": "x ✓ 🚀", "i": 42.0, "big": float64(int64(1) << 40), "d": 2.5, "b": true, "short": 7.0}
	if fmt.Sprint(got[2].Map) != fmt.Sprint(wantMap) {
		t.Errorf("map body: %v, want %v", got[2].Map, wantMap)
	}
	if got[3].Text != "serialized string" {
		t.Errorf("object string body: %q", got[3].Text)
	}
	if fmt.Sprint(got[4].Map) != fmt.Sprint(map[string]any{"k": "v 🚀", "n": 3.0}) {
		t.Errorf("object map body: %v", got[4].Map)
	}
	if fmt.Sprint(got[5].Items) != fmt.Sprint([]any{"one 🚀", 2.0, true, 1.5}) {
		t.Errorf("stream body: %v", got[5].Items)
	}
	if got[6].Text != "" || got[6].Kind != "text" {
		t.Errorf("empty text message: %+v", got[6])
	}
}

func TestSendCompressedWithSelector(t *testing.T) {
	b := brokertest.Shared(t)
	tool := jms.New(t)
	ctx := ctxFor(t, time.Minute)
	q := queueName(t)
	big := strings.Repeat("compressible ", 10000)
	_, err := tool.Send(ctx, jms.SendOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q, Compress: true,
		Messages: []jms.Message{
			{Text: "skip", Properties: []jms.Property{{Name: "color", Type: "string", Value: "red"}}},
			{Text: big, Properties: []jms.Property{{Name: "color", Type: "string", Value: "blue"}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tool.Receive(ctx, jms.ReceiveOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
		Count: 5, Timeout: 500 * time.Millisecond, Selector: "color = 'blue'"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Text != big {
		t.Fatalf("selector receive: got %d messages, want the one blue message", len(got))
	}
	n, err := tool.QueueSize(ctx, b.URL, b.User, b.Password, q)
	if err != nil || n != 1 {
		t.Fatalf("QueueSize after selective receive = %d, %v; want 1", n, err)
	}
	if err := tool.Purge(ctx, b.URL, b.User, b.Password, q); err != nil {
		t.Fatal(err)
	}
	if n, err := tool.QueueSize(ctx, b.URL, b.User, b.Password, q); err != nil || n != 0 {
		t.Fatalf("QueueSize after Purge = %d, %v; want 0", n, err)
	}
}

func TestRollbackRedelivers(t *testing.T) {
	b := brokertest.Shared(t)
	tool := jms.New(t)
	ctx := ctxFor(t, time.Minute)
	q := queueName(t)
	if _, err := tool.Send(ctx, jms.SendOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
		Messages: []jms.Message{{Text: "again", Persistent: true}}}); err != nil {
		t.Fatal(err)
	}
	first, err := tool.Receive(ctx, jms.ReceiveOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
		Count: 1, Rollback: true})
	if err != nil || len(first) != 1 {
		t.Fatalf("first receive: %v, %v", first, err)
	}
	if first[0].Redelivered || first[0].DeliveryCount != 1 {
		t.Errorf("first delivery: redelivered %v, delivery count %d; want false, 1", first[0].Redelivered, first[0].DeliveryCount)
	}
	again, err := tool.Receive(ctx, jms.ReceiveOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
		Count: 1, ClientAck: true})
	if err != nil || len(again) != 1 {
		t.Fatalf("second receive: %v, %v", again, err)
	}
	if !again[0].Redelivered || again[0].DeliveryCount != 2 || again[0].MessageID != first[0].MessageID {
		t.Errorf("after rollback: %+v; want the same message redelivered with delivery count 2", again[0])
	}
	if n, err := tool.QueueSize(ctx, b.URL, b.User, b.Password, q); err != nil || n != 0 {
		t.Fatalf("QueueSize after client ack = %d, %v; want 0", n, err)
	}
}

func TestConnect(t *testing.T) {
	b := brokertest.Shared(t)
	tool := jms.New(t)
	ctx := ctxFor(t, time.Minute)
	if err := tool.Connect(ctx, b.URL, b.User, b.Password); err != nil {
		t.Fatalf("Connect with the right password: %v", err)
	}
	err := tool.Connect(ctx, b.URL, b.User, "wrong-password")
	if err == nil {
		t.Fatal("Connect with a wrong password succeeded")
	}
	want := fmt.Sprintf("User name [%s] or password is invalid", b.User)
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("Connect error %q does not contain %q", err, want)
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("Connect error leaks the password: %v", err)
	}
}

func TestConnectRefusedAndCanceled(t *testing.T) {
	tool := jms.New(t)
	err := tool.Connect(ctxFor(t, time.Minute), "tcp://127.0.0.1:1", "u", "p")
	if err == nil || !strings.Contains(err.Error(), "Connection refused") {
		t.Fatalf("Connect to a closed port: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tool.Connect(ctx, "tcp://127.0.0.1:1", "u", "p"); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("Connect with a canceled context: %v", err)
	}
}

func TestProduceBenchQueueSize(t *testing.T) {
	b := brokertest.Shared(t)
	tool := jms.New(t)
	ctx := ctxFor(t, 90*time.Second)
	q := queueName(t)
	const n = 10000
	if err := tool.Produce(ctx, jms.ProduceOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
		Count: n, Size: 256}); err != nil {
		t.Fatal(err)
	}
	// A QueueBrowser sees at most the broker's maxBrowsePageSize (default 400)
	// messages; Bench taking all n below shows that Produce delivered them.
	size, err := tool.QueueSize(ctx, b.URL, b.User, b.Password, q)
	if err != nil {
		t.Fatal(err)
	}
	if size < 400 {
		t.Fatalf("QueueSize = %d after producing %d", size, n)
	}
	res, err := tool.Bench(ctx, jms.BenchOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
		Count: n, Transacted: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != n || res.Seconds <= 0 || res.PerSecond <= 0 {
		t.Fatalf("Bench result %+v", res)
	}
	t.Logf("Java client consumed %d messages in %.3fs: %.0f msg/s (transacted, commit every 100, prefetch 1000)",
		res.Messages, res.Seconds, res.PerSecond)
	if size, err := tool.QueueSize(ctx, b.URL, b.User, b.Password, q); err != nil || size != 0 {
		t.Fatalf("QueueSize after Bench = %d, %v; want 0", size, err)
	}
}

func TestBenchClientAckPersistent(t *testing.T) {
	b := brokertest.Shared(t)
	tool := jms.New(t)
	ctx := ctxFor(t, 90*time.Second)
	q := queueName(t)
	if err := tool.Produce(ctx, jms.ProduceOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
		Count: 2000, Size: 100, Persistent: true, Text: true}); err != nil {
		t.Fatal(err)
	}
	small := queueName(t)
	if err := tool.Produce(ctx, jms.ProduceOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: small,
		Count: 321, Size: 10}); err != nil {
		t.Fatal(err)
	}
	if size, err := tool.QueueSize(ctx, b.URL, b.User, b.Password, small); err != nil || size != 321 {
		t.Fatalf("QueueSize = %d, %v; want 321", size, err)
	}
	res, err := tool.Bench(ctx, jms.BenchOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
		Count: 2000, AckEvery: 50})
	if err != nil || res.Messages != 2000 {
		t.Fatalf("Bench = %+v, %v", res, err)
	}
	t.Logf("client ack, persistent: %.0f msg/s", res.PerSecond)
	// Asking for more than the queue holds fails with what it got.
	_, err = tool.Bench(ctx, jms.BenchOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
		Count: 1, Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "got 0 of 1") {
		t.Fatalf("Bench on an empty queue: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	tool := jms.New(t)
	ctx := ctxFor(t, time.Minute)
	_, err := tool.Send(ctx, jms.SendOptions{URL: "tcp://127.0.0.1:1", Queue: "q",
		Messages: []jms.Message{{Kind: "nonsense"}}})
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	if _, err := tool.Receive(ctx, jms.ReceiveOptions{}); err == nil || !strings.Contains(err.Error(), "no broker URL") {
		t.Fatalf("Receive without URL: %v", err)
	}
}

// TestStartCost measures one JVM start plus a refused connection, the floor of every call.
func TestStartCost(t *testing.T) {
	tool := jms.New(t)
	ctx := ctxFor(t, time.Minute)
	start := time.Now()
	const runs = 3
	for i := 0; i < runs; i++ {
		_ = tool.Connect(ctx, "tcp://127.0.0.1:1", "u", "p")
	}
	t.Logf("JVM start + refused connect: %v per call", time.Since(start)/runs)
}
