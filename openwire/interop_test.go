package openwire

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/jms"
)

// goValue is the Go value a Java property must decode to.
func goValue(t *testing.T, p jms.Property) any {
	var v any
	var err error
	switch p.Type {
	case "boolean":
		v, err = strconv.ParseBool(p.Value)
	case "byte":
		var n int64
		n, err = strconv.ParseInt(p.Value, 10, 8)
		v = int8(n)
	case "short":
		var n int64
		n, err = strconv.ParseInt(p.Value, 10, 16)
		v = int16(n)
	case "int":
		var n int64
		n, err = strconv.ParseInt(p.Value, 10, 32)
		v = int32(n)
	case "long":
		v, err = strconv.ParseInt(p.Value, 10, 64)
	case "float":
		var f float64
		f, err = strconv.ParseFloat(p.Value, 32)
		v = float32(f)
	case "double":
		v, err = strconv.ParseFloat(p.Value, 64)
	case "string":
		v = p.Value
	default:
		t.Fatalf("unknown property type %q", p.Type)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const interopText = "Grüße, 世界 🎉🚀 nul:\x00 end"

func TestInteropJavaToGo(t *testing.T) {
	b := brokertest.Shared(t)
	tool := jms.New(t)
	ctx := testCtx(t, 90*time.Second)
	q := newQueue(t)
	body := make([]byte, 70000)
	for i := range body {
		body[i] = byte(i * 7)
	}
	msgs := []jms.Message{
		{Kind: "text", Text: interopText, Properties: jms.EveryPropertyType, CorrelationID: "corr-1",
			ReplyTo: "queue://replies", Type: "greeting", Priority: 7, Persistent: true, TimeToLive: 3600000},
		{Kind: "bytes", Bytes: body, ReplyTo: "topic://events", Priority: 2},
	}
	var ids []string
	for _, compress := range []bool{false, true} {
		got, err := tool.Send(ctx, jms.SendOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q, Compress: compress, Messages: msgs})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	c := dialShared(t, Config{})
	k, err := mustSession(t, c, false).NewConsumer(ctx, q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := receiveN(t, k, 4, 30*time.Second)
	index := map[string]int{}
	for i, id := range ids {
		index[id] = i
	}
	for _, m := range got {
		i, ok := index[m.ID]
		if !ok {
			t.Errorf("ID %q is none of Java's %q", m.ID, ids)
			continue
		}
		want := msgs[i%2]
		compressed := i >= 2
		if m.Compressed != compressed {
			t.Errorf("%d: Compressed %v", i, m.Compressed)
		}
		if m.Priority != uint8(want.Priority) || m.CorrelationID != want.CorrelationID || m.Type != want.Type ||
			m.ReplyTo == nil || m.ReplyTo.String() != want.ReplyTo || m.Persistent != want.Persistent || m.Destination != Queue(q) {
			t.Errorf("%d: headers %+v", i, m)
		}
		if m.Timestamp == 0 || m.BrokerInTime == 0 || m.BrokerOutTime == 0 {
			t.Errorf("%d: times %d %d %d", i, m.Timestamp, m.BrokerInTime, m.BrokerOutTime)
		}
		if want.TimeToLive > 0 && m.Expiration != m.Timestamp+want.TimeToLive {
			t.Errorf("%d: expiration %d, timestamp %d", i, m.Expiration, m.Timestamp)
		}
		switch want.Kind {
		case "text":
			if m.Kind != KindText || m.Text != interopText || string(m.Data()) != interopText {
				t.Errorf("%d: text %v %q", i, m.Kind, m.Text)
			}
			for _, p := range jms.EveryPropertyType {
				if v := goValue(t, p); !reflect.DeepEqual(m.Properties[p.Name], v) {
					t.Errorf("%d: property %s = %#v (%T), want %#v (%T)", i, p.Name, m.Properties[p.Name], m.Properties[p.Name], v, v)
				}
			}
		case "bytes":
			if m.Kind != KindBytes || !bytes.Equal(m.Body, body) {
				t.Errorf("%d: bytes %v len %d", i, m.Kind, len(m.Body))
			}
		}
	}
	if err := k.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
}

func TestInteropGoToJava(t *testing.T) {
	b := brokertest.Shared(t)
	tool := jms.New(t)
	ctx := testCtx(t, 90*time.Second)
	q := newQueue(t)
	c := dialShared(t, Config{})
	p, err := mustSession(t, c, false).NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]any{}
	for _, jp := range jms.EveryPropertyType {
		props[jp.Name] = goValue(t, jp)
	}
	reply := Queue("replies")
	body := bytes.Repeat([]byte{0, 1, 2, 3, 255}, 3000)
	var sent []*Message
	for _, compressed := range []bool{false, true} {
		for _, m := range []*Message{
			{Kind: KindText, Text: interopText, Properties: props, CorrelationID: "corr-2", ReplyTo: &reply,
				Type: "greeting", Priority: 8, Persistent: true, TimeToLive: time.Hour, Compressed: compressed},
			{Kind: KindBytes, Body: body, Priority: 1, Compressed: compressed, Properties: map[string]any{"n": int32(5)}},
		} {
			if err := p.Send(ctx, Queue(q), m); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, m)
		}
	}
	got, err := tool.Receive(ctx, jms.ReceiveOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q, Count: 4, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("Java received %d messages", len(got))
	}
	for i, j := range got {
		var m *Message
		for _, s := range sent {
			if s.ID == j.MessageID {
				m = s
			}
		}
		if m == nil {
			t.Errorf("%d: Java JMSMessageID %q is none of Go's", i, j.MessageID)
			continue
		}
		if j.Priority != int(m.Priority) || j.Persistent != m.Persistent || j.CorrelationID != m.CorrelationID || j.Type != m.Type ||
			j.Timestamp != m.Timestamp || j.Expiration != m.Expiration || j.Destination != "queue://"+q || j.DeliveryCount != 1 {
			t.Errorf("%d: Java saw priority %d persistent %v corr %q type %q ts %d exp %d dest %q count %d; sent %d %v %q %q %d %d",
				i, j.Priority, j.Persistent, j.CorrelationID, j.Type, j.Timestamp, j.Expiration, j.Destination, j.DeliveryCount,
				m.Priority, m.Persistent, m.CorrelationID, m.Type, m.Timestamp, m.Expiration)
		}
		if m.ReplyTo != nil && j.ReplyTo != m.ReplyTo.String() {
			t.Errorf("%d: reply-to %q", i, j.ReplyTo)
		}
		switch m.Kind {
		case KindText:
			if j.Kind != "text" || j.Text != interopText {
				t.Errorf("%d: Java text %q %q", i, j.Kind, j.Text)
			}
			for _, jp := range jms.EveryPropertyType {
				gp, ok := j.Property(jp.Name)
				if !ok || gp != jp {
					t.Errorf("%d: Java property %+v, want %+v", i, gp, jp)
				}
			}
		case KindBytes:
			if j.Kind != "bytes" || !bytes.Equal(j.Bytes, body) {
				t.Errorf("%d: Java bytes %q len %d", i, j.Kind, len(j.Bytes))
			}
			if gp, _ := j.Property("n"); gp != (jms.Property{Name: "n", Type: "int", Value: "5"}) {
				t.Errorf("%d: property n %+v", i, gp)
			}
		}
	}
	_ = fmt.Sprint()
}
