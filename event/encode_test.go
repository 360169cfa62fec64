package event

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

const testARN = "arn:aws:mq:us-east-1:123456789012:broker:ExampleMQBroker:b-1234"

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// encodeRecordTests covers every field, every property type and awkward text.
var encodeRecordTests = []struct {
	name string
	rec  Record
	// props is what events.ActiveMQMessage.Properties must hold.
	props map[string]string
}{
	{
		name: "every field",
		rec: Record{
			MessageID: "ID:b-9bcfa592-423a-4942-879d-eb284b418fc8-1.mq.us-east-2.amazonaws.com-37557-1234520418293-4:1:1:1:1",
			Kind:      Text, Data: []byte("ABC:AAAA"), Timestamp: 1598827811958, Persistent: true,
			CorrelationID: "myJMSCoID", ReplyTo: "queue://replies", Type: "orders.v1",
			Expiration: 1598827871958, Priority: 9, Redelivered: true, Destination: "testQueue",
			BrokerInTime: 1598827811958, BrokerOutTime: 1598827811959,
			Properties: map[string]any{"index": int32(1), "doAlarm": false, "myCustomProperty": "value"},
		},
		props: map[string]string{"index": "1", "doAlarm": "false", "myCustomProperty": "value"},
	},
	{
		name: "zero record",
		rec:  Record{},
	},
	{
		name: "every property type",
		rec: Record{
			MessageID: "ID:x-1:1:1:1:1", Kind: Bytes, Data: []byte{1, 2, 3}, Destination: "q",
			Properties: map[string]any{
				"t": true, "f": false, "i8": int8(-128), "i16": int16(32767), "i32": int32(-2147483648),
				"i64": int64(math.MaxInt64), "f32": float32(1.5), "f32big": float32(1e10),
				"f64": 0.1, "f64int": 100.0, "f64small": 1e-5, "f64big": 1.2345e300,
				"f64neg": -2.5e-7, "nan": math.NaN(), "inf": math.Inf(1), "ninf": math.Inf(-1),
				"zero": 0.0, "negzero": math.Copysign(0, -1), "s": "text", "empty": "",
				"bytes": []byte{0, 255, 16}, "nil": nil, "int": 7, "uint64": uint64(math.MaxUint64),
			},
		},
		props: map[string]string{
			"t": "true", "f": "false", "i8": "-128", "i16": "32767", "i32": "-2147483648",
			"i64": "9223372036854775807", "f32": "1.5", "f32big": "1.0E10",
			"f64": "0.1", "f64int": "100.0", "f64small": "1.0E-5", "f64big": "1.2345E300",
			"f64neg": "-2.5E-7", "nan": "NaN", "inf": "Infinity", "ninf": "-Infinity",
			"zero": "0.0", "negzero": "-0.0", "s": "text", "empty": "",
			"bytes": "AP8Q", "nil": "", "int": "7", "uint64": "18446744073709551615",
		},
	},
	{
		name: "non-ASCII and emoji text",
		rec: Record{
			MessageID: "ID:ü-😀", Kind: Text, Data: []byte("Grüße, 世界 😀"), Destination: "queue-é",
			CorrelationID: "κ", Type: "тип", Properties: map[string]any{"ключ": "значение 😀", "😀": int16(1)},
		},
		props: map[string]string{"ключ": "значение 😀", "😀": "1"},
	},
	{
		name: "JSON control characters",
		rec: Record{
			MessageID: "ID:\"quoted\"\\back\x00\x01\x1f\n\r\t\b\f\u2028\u2029</script>&",
			Kind:      Text, Data: []byte("{\"a\":\"\\n\"}\x00"), Destination: "q\"\\",
			CorrelationID: "\x7f", ReplyTo: "queue://\"x\"", Type: "\t",
			Properties: map[string]any{"k\"\\\n": "v\x00\"\\\u2028"},
		},
		props: map[string]string{"k\"\\\n": "v\x00\"\\\u2028"},
	},
	{
		name: "invalid UTF-8 in strings",
		rec: Record{
			MessageID: "ID:\xff\xfe", Kind: Text, Destination: "q\xc3", Properties: map[string]any{"\xc3(": "\xed\xa0\x80"},
		},
		props: map[string]string{"\uFFFD(": "\uFFFD\uFFFD\uFFFD"},
	},
	{
		name: "empty body",
		rec:  Record{MessageID: "ID:e", Kind: Text, Data: []byte{}, Destination: "q"},
	},
	{
		name: "bytes 0x00 to 0xff",
		rec:  Record{MessageID: "ID:b", Kind: Bytes, Data: allBytes(), Destination: "q", Priority: 4},
	},
	{
		name: "negative numbers and unknown kind",
		rec: Record{MessageID: "ID:n", Kind: Kind(9), Timestamp: -1, Expiration: math.MinInt64,
			Priority: -3, BrokerInTime: math.MaxInt64, BrokerOutTime: math.MinInt64},
	},
}

func TestAppendEventDecodes(t *testing.T) {
	for _, tt := range encodeRecordTests {
		t.Run(tt.name, func(t *testing.T) {
			recs := []Record{tt.rec, tt.rec}
			out := AppendEvent([]byte("prefix"), testARN, recs)
			if !bytes.HasPrefix(out, []byte("prefix")) {
				t.Fatal("AppendEvent lost dst's contents")
			}
			out = out[len("prefix"):]
			if !json.Valid(out) {
				t.Fatalf("invalid JSON: %s", out)
			}
			if !utf8.Valid(out) {
				t.Fatalf("output is not UTF-8: %q", out)
			}
			var ev events.ActiveMQEvent
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.DisallowUnknownFields() // every key we send is one aws-lambda-go knows
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("decode into events.ActiveMQEvent: %v\n%s", err, out)
			}
			if ev.EventSource != "aws:mq" || ev.EventSourceARN != testARN || len(ev.Messages) != 2 {
				t.Fatalf("envelope: %+v", ev)
			}
			checkMessage(t, &tt.rec, &ev.Messages[1])
			if tt.props == nil {
				tt.props = map[string]string{}
			}
			if !reflect.DeepEqual(ev.Messages[0].Properties, tt.props) {
				t.Errorf("properties = %#v, want %#v", ev.Messages[0].Properties, tt.props)
			}
			checkSize(t, recs)
		})
	}
}

// checkMessage compares a decoded message with the record it came from.
func checkMessage(t *testing.T, r *Record, m *events.ActiveMQMessage) {
	t.Helper()
	wantType := "jms/bytes-message"
	if r.Kind == Text {
		wantType = "jms/text-message"
	}
	wantMode := 1
	if r.Persistent {
		wantMode = 2
	}
	wantReply := valid(r.ReplyTo)
	if r.ReplyTo == "" {
		wantReply = "null"
	}
	data, err := base64.StdEncoding.DecodeString(m.Data)
	if err != nil {
		t.Fatalf("data %q is not base64: %v", m.Data, err)
	}
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"messageID", m.MessageID, valid(r.MessageID)},
		{"messageType", m.MessageType, wantType},
		{"timestamp", m.Timestamp, r.Timestamp},
		{"deliveryMode", m.DeliveryMode, wantMode},
		{"correlationID", m.CorrelationID, valid(r.CorrelationID)},
		{"replyTo", m.ReplyTo, wantReply},
		{"destination", m.Destination.PhysicalName, valid(r.Destination)},
		{"redelivered", m.Redelivered, r.Redelivered},
		{"type", m.Type, valid(r.Type)},
		{"expiration", m.Expiration, r.Expiration},
		{"priority", m.Priority, r.Priority},
		{"data", string(data), string(r.Data)},
		{"brokerInTime", m.BrokerInTime, r.BrokerInTime},
		{"brokerOutTime", m.BrokerOutTime, r.BrokerOutTime},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
}

// valid is s with each invalid UTF-8 byte replaced by U+FFFD, as encoding/json reads it.
func valid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

func checkSize(t *testing.T, recs []Record) {
	t.Helper()
	empty := len(AppendEvent(nil, testARN, nil))
	sum := 0
	for i := range recs {
		sum += RecordSize(&recs[i])
		one := len(AppendEvent(nil, testARN, recs[i:i+1]))
		if got := RecordSize(&recs[i]); got != one-empty+1 {
			t.Fatalf("RecordSize = %d, want %d", got, one-empty+1)
		}
	}
	got := len(AppendEvent(nil, testARN, recs))
	want := empty + sum
	if len(recs) > 0 {
		want--
	}
	if got != want {
		t.Fatalf("len(event) = %d, want empty %d + Σ RecordSize %d (-1)", got, empty, sum)
	}
}

// TestAppendEventShape pins the exact bytes for a record shaped like the aws-lambda-go
// fixture captured from a real broker.
func TestAppendEventShape(t *testing.T) {
	r := Record{
		MessageID: "ID:b-0f5b7522-2b41-4f85-a615-735a4e6d96b5-2.mq.us-west-2.amazonaws.com-34859-1598944546501-4:12:1:1:3",
		Kind:      Text, Data: []byte("Enter some text here for the message body..."),
		Timestamp: 1599863938941, Destination: "testQueue",
		BrokerInTime: 1599863938943, BrokerOutTime: 1599863938944,
		Properties: map[string]any{"testKey": "testValue"},
	}
	got := string(AppendEvent(nil, "arn:aws:mq:us-west-2:533019413397:broker:shask-test:b-0f5b7522-2b41-4f85-a615-735a4e6d96b5", []Record{r}))
	want := `{"eventSource":"aws:mq","eventSourceArn":"arn:aws:mq:us-west-2:533019413397:broker:shask-test:b-0f5b7522-2b41-4f85-a615-735a4e6d96b5","messages":[` +
		`{"messageID":"ID:b-0f5b7522-2b41-4f85-a615-735a4e6d96b5-2.mq.us-west-2.amazonaws.com-34859-1598944546501-4:12:1:1:3",` +
		`"messageType":"jms/text-message","timestamp":1599863938941,"deliveryMode":1,"correlationID":"","replyTo":"null",` +
		`"destination":{"physicalName":"testQueue"},"redelivered":false,"type":"","expiration":0,"priority":0,` +
		`"data":"RW50ZXIgc29tZSB0ZXh0IGhlcmUgZm9yIHRoZSBtZXNzYWdlIGJvZHkuLi4=","brokerInTime":1599863938943,` +
		`"brokerOutTime":1599863938944,"properties":{"testKey":"testValue"}}]}`
	if got != want {
		t.Fatalf("event:\n got %s\nwant %s", got, want)
	}
	if got := string(AppendEvent(nil, "a", nil)); got != `{"eventSource":"aws:mq","eventSourceArn":"a","messages":[]}` {
		t.Fatalf("empty event = %s", got)
	}
}

func TestPropertiesSorted(t *testing.T) {
	r := Record{Properties: map[string]any{}}
	for _, k := range []string{"q", "b", "z", "a", "m", "c", "y", "d", "x", "e", "w", "f", "v", "g", "u", "h", "t", "i", "s", "j", "r", "k", "p", "l", "o", "n", "aa", "ab", "ba", "bb", "ca", "cb", "da", "db"} {
		r.Properties[k] = k
	}
	out := string(AppendEvent(nil, "a", []Record{r}))
	props := out[strings.Index(out, `"properties":{`):]
	if !strings.Contains(props, `"a":"a","aa":"aa","ab":"ab","b":"b","ba":"ba"`) || !strings.HasSuffix(props, `"z":"z"}}]}`) {
		t.Fatalf("properties not sorted: %s", props)
	}
}

func TestJavaFloat(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		bits int
		want string
	}{
		{1, 64, "1.0"}, {0.001, 64, "0.001"}, {0.0001, 64, "1.0E-4"}, {9999999, 64, "9999999.0"},
		{1e7, 64, "1.0E7"}, {123456789, 64, "1.23456789E8"}, {-1.5e-10, 64, "-1.5E-10"},
		{math.MaxFloat64, 64, "1.7976931348623157E308"}, {5e-324, 64, "4.9E-324"},
		{float64(float32(0.1)), 32, "0.1"}, {float64(float32(3.4e38)), 32, "3.4E38"}, {0.5, 64, "0.5"},
	} {
		if got := string(appendJavaFloat(nil, tt.f, tt.bits)); got != tt.want {
			t.Errorf("appendJavaFloat(%v, %d) = %s, want %s", tt.f, tt.bits, got, tt.want)
		}
	}
}

func FuzzAppendEvent(f *testing.F) {
	f.Add("ID:1", true, []byte("hello"), int64(1), true, "c", "queue://r", "t", int64(0), 4, false, "q", int64(2), int64(3), "k", "v", "arn")
	f.Add("\xff\"\\\x00", false, allBytes(), int64(-1), false, "", "", "", int64(-5), -1, true, "", int64(0), int64(0), "", "", "")
	f.Add("😀", true, []byte("\u2028</script>"), int64(math.MaxInt64), false, "\n", "\t", "é", int64(math.MinInt64), 9, true, "ü", int64(7), int64(8), "\x01", "\xc3", "\"")
	f.Fuzz(func(t *testing.T, id string, text bool, data []byte, ts int64, persistent bool, corr, reply, typ string,
		exp int64, prio int, redelivered bool, dest string, in, out int64, pk, pv, arn string) {
		kind := Bytes
		if text {
			kind = Text
		}
		r := Record{MessageID: id, Kind: kind, Data: data, Timestamp: ts, Persistent: persistent,
			CorrelationID: corr, ReplyTo: reply, Type: typ, Expiration: exp, Priority: prio,
			Redelivered: redelivered, Destination: dest, BrokerInTime: in, BrokerOutTime: out,
			Properties: map[string]any{pk: pv, pk + "#i": int64(prio), pk + "#f": float64(ts) / 7, pk + "#b": data}}
		recs := []Record{r}
		buf := AppendEvent(nil, arn, recs)
		if !json.Valid(buf) {
			t.Fatalf("invalid JSON: %q", buf)
		}
		var ev events.ActiveMQEvent
		if err := json.Unmarshal(buf, &ev); err != nil {
			t.Fatalf("decode: %v\n%q", err, buf)
		}
		if ev.EventSourceARN != valid(arn) || len(ev.Messages) != 1 {
			t.Fatalf("envelope: %+v", ev)
		}
		checkMessage(t, &r, &ev.Messages[0])
		if got := ev.Messages[0].Properties[valid(pk)]; got != valid(pv) {
			t.Fatalf("property %q = %q, want %q", pk, got, pv)
		}
		checkSize(t, recs)
	})
}
