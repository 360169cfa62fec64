package event

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// benchRecords is a batch of 100 text messages with 1 KB bodies and three properties.
func benchRecords() []Record {
	body := []byte(strings.Repeat(`{"order":12345,"status":"NEW","note":"Grüße"}`, 1024/46+1)[:1024])
	recs := make([]Record, 100)
	for i := range recs {
		recs[i] = Record{
			MessageID: fmt.Sprintf("ID:b-9bcfa592-423a-4942-879d-eb284b418fc8-1.mq.us-east-2.amazonaws.com-37557-1234520418293-4:1:1:1:%d", i),
			Kind:      Text, Data: body, Timestamp: 1598827811958, Persistent: true, CorrelationID: "corr-" + strconv.Itoa(i),
			Priority: 4, Destination: "orders", BrokerInTime: 1598827811958, BrokerOutTime: 1598827811959,
			Properties: map[string]any{"index": int32(i), "doAlarm": false, "tenant": "acme"},
		}
	}
	return recs
}

func BenchmarkAppendEvent(b *testing.B) {
	recs := benchRecords()
	buf := AppendEvent(nil, testARN, recs)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEvent(buf[:0], testARN, recs)
	}
}

func BenchmarkRecordSize(b *testing.B) {
	recs := benchRecords()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for i := range recs {
			n += RecordSize(&recs[i])
		}
		if n == 0 {
			b.Fatal("no size")
		}
	}
}

// BenchmarkAppendEventEncodingJSON is the baseline: the same event built as
// aws-lambda-go's struct (base64 and property strings included) and encoding/json.Marshal.
func BenchmarkAppendEventEncodingJSON(b *testing.B) {
	recs := benchRecords()
	b.SetBytes(int64(len(AppendEvent(nil, testARN, recs))))
	b.ReportAllocs()
	for b.Loop() {
		ev := events.ActiveMQEvent{EventSource: "aws:mq", EventSourceARN: testARN, Messages: make([]events.ActiveMQMessage, len(recs))}
		for i := range recs {
			r := &recs[i]
			props := make(map[string]string, len(r.Properties))
			for k, v := range r.Properties {
				props[k] = fmt.Sprint(v)
			}
			ev.Messages[i] = events.ActiveMQMessage{
				MessageID: r.MessageID, MessageType: "jms/text-message", Timestamp: r.Timestamp, DeliveryMode: 2,
				CorrelationID: r.CorrelationID, ReplyTo: "null", Destination: events.ActiveMQDestination{PhysicalName: r.Destination},
				Priority: r.Priority, Data: base64.StdEncoding.EncodeToString(r.Data),
				BrokerInTime: r.BrokerInTime, BrokerOutTime: r.BrokerOutTime, Properties: props,
			}
		}
		if _, err := json.Marshal(&ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBase64 measures the encoder the events use (segmentio/asm) against the
// standard library's, for the bodies of the benchmark's two message sizes.
func BenchmarkBase64(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		src := make([]byte, size)
		for i := range src {
			src[i] = byte(i * 7)
		}
		dst := make([]byte, 0, base64.StdEncoding.EncodedLen(size))
		b.Run(fmt.Sprintf("stdlib/%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				dst = base64.StdEncoding.AppendEncode(dst[:0], src)
			}
		})
		b.Run(fmt.Sprintf("segmentio-asm/%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				dst = appendBase64(dst[:0], src)
			}
		})
	}
}
