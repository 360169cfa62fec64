package openwire

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestMessageRoundTrip(t *testing.T) {
	reply := Topic("replies")
	for _, compressed := range []bool{false, true} {
		for _, in := range []*Message{
			{Kind: KindText, Text: strings.Repeat("héllo 😀 ", 50), Persistent: true, CorrelationID: "corr", ReplyTo: &reply,
				Type: "t", Expiration: 99, Priority: 7, Timestamp: 12345, Destination: Queue("q"),
				Properties: map[string]any{"i": int32(1), "s": "x"}},
			{Kind: KindBytes, Body: bytes.Repeat([]byte{0, 1, 2, 250}, 300), Destination: Topic("t")},
			{Kind: KindMap, Map: map[string]any{"a": int64(1), "b": "c"}, Destination: Queue("m")},
			{Kind: KindPlain, Destination: Queue("p")},
		} {
			in.Compressed = compressed && in.Kind != KindPlain
			f := decodeOne(t, dispatchFrame(in, 3))
			m := f.msg
			if f.bodyErr != nil || m == nil {
				t.Fatalf("%v: %v", in.Kind, f.bodyErr)
			}
			if m.Kind != in.Kind || m.Text != in.Text || !bytes.Equal(m.Body, in.Body) || !reflect.DeepEqual(m.Map, in.Map) ||
				m.Persistent != in.Persistent || m.CorrelationID != in.CorrelationID || m.Type != in.Type ||
				m.Expiration != in.Expiration || m.Priority != in.Priority || m.Timestamp != in.Timestamp ||
				m.Destination != in.Destination || !reflect.DeepEqual(m.ReplyTo, in.ReplyTo) ||
				!reflect.DeepEqual(m.Properties, in.Properties) || m.RedeliveryCounter != 3 || m.Compressed != in.Compressed {
				t.Errorf("%v compressed=%v:\n in %+v\nout %+v", in.Kind, compressed, in, m)
			}
			if m.ID != "ID:host-1234-1700000000000-1:1:1:1:7" {
				t.Errorf("ID %q", m.ID)
			}
			if f.consumer.value != 2 {
				t.Errorf("consumer %+v", f.consumer)
			}
		}
	}
}

func TestMessageIDTextView(t *testing.T) {
	id := messageID{textView: "abc:1"}
	if id.String() != "ID:abc:1" {
		t.Fatal(id.String())
	}
	id.textView = "ID:x"
	if id.String() != "ID:x" {
		t.Fatal(id.String())
	}
}

func TestDestinationString(t *testing.T) {
	for d, want := range map[Destination]string{
		Queue("a"): "queue://a", Topic("b"): "topic://b",
		{Kind: DestTempQueue, Name: "c"}: "temp-queue://c", {Kind: DestTempTopic, Name: "d"}: "temp-topic://d",
	} {
		if d.String() != want {
			t.Errorf("%v: %q", d, d.String())
		}
	}
}
