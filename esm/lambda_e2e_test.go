package esm_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/jms"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
)

// buildRecorder builds testdata/recorder, a real aws-lambda-go function.
func buildRecorder(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/recorder")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the recorder function: %v\n%s", err, out)
	}
	return bin
}

type recorded struct {
	Arn string `json:"arn"`
	events.ActiveMQMessage
}

func readRecorded(t *testing.T, dir string) []recorded {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	var out []recorded
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var r recorded
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = append(out, r)
		}
		fh.Close()
	}
	return out
}

// Messages of mixed kinds with properties, sent by ActiveMQ's own Java client, reach
// an unchanged aws-lambda-go function through the Runtime API exactly as sent, each
// once, and leave the queue empty.
func TestJavaToLambdaFunction(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	recordDir := t.TempDir()
	fn := function.Spec{Name: "recorder", Command: []string{buildRecorder(t)}, Timeout: 30 * time.Second,
		Environment: map[string]string{"RECORD_DIR": recordDir}}
	h := newHarness(t, harnessOptions{functions: []function.Spec{fn}})
	q := queueName(t)

	sent := make([]jms.Message, n)
	for i := range sent {
		m := jms.Message{
			Persistent:    i%2 == 0,
			CorrelationID: fmt.Sprintf("corr-%d", i),
			Type:          "OrderPlaced",
			Priority:      1 + i%9,
			ReplyTo:       "queue://replies",
			Properties: []jms.Property{
				{Name: "index", Type: "int", Value: strconv.Itoa(i)},
				{Name: "big", Type: "long", Value: strconv.FormatInt(int64(i)<<40, 10)},
				{Name: "flag", Type: "boolean", Value: strconv.FormatBool(i%3 == 0)},
				{Name: "ratio", Type: "double", Value: "0.25"},
				{Name: "small", Type: "short", Value: "-7"},
				{Name: "tiny", Type: "byte", Value: "5"},
				{Name: "name", Type: "string", Value: fmt.Sprintf("naïve café ☕ %d", i)},
			},
		}
		if i%2 == 0 {
			m.Kind, m.Text = "text", fmt.Sprintf(`{"order":%d,"note":"grüße 🚀"}`, i)
		} else {
			m.Kind, m.Bytes = "bytes", []byte{0, 1, 2, 0xfe, 0xff, byte(i), byte(i >> 8)}
		}
		sent[i] = m
	}
	tool := jms.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ids, err := tool.Send(ctx, jms.SendOptions{URL: h.broker.URL, User: h.broker.User, Password: h.broker.Password, Queue: q, Messages: sent})
	if err != nil {
		t.Fatal(err)
	}
	h.create(esm.Config{FunctionName: "recorder", Queues: []string{q}, BatchSize: 100, MaximumBatchingWindowInSeconds: intp(0)})

	var got []recorded
	checkfor.Within(t, 4*time.Minute, func() error {
		got = readRecorded(t, recordDir)
		if len(got) < n {
			return fmt.Errorf("%d of %d messages recorded by the function", len(got), n)
		}
		return nil
	})
	byID := make(map[string]recorded, len(got))
	for _, r := range got {
		if _, dup := byID[r.MessageID]; dup {
			t.Errorf("message %s delivered twice", r.MessageID)
		}
		byID[r.MessageID] = r
	}
	for i, m := range sent {
		r, ok := byID[ids[i]]
		if !ok {
			t.Fatalf("message %d (%s) never reached the function", i, ids[i])
		}
		compare(t, i, m, r)
	}
	if left := queuetest.Drain(t, h.broker, q, 300*time.Millisecond); len(left) != 0 {
		t.Fatalf("%d messages left on the queue", len(left))
	}
}

func compare(t *testing.T, i int, m jms.Message, r recorded) {
	t.Helper()
	fail := func(field string, got, want any) { t.Errorf("message %d %s: got %v, want %v", i, field, got, want) }
	if r.Arn != brokerARN {
		fail("eventSourceArn", r.Arn, brokerARN)
	}
	data, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		fail("data", r.Data, "base64")
	}
	wantType, wantData := "jms/text-message", []byte(m.Text)
	if m.Kind == "bytes" {
		wantType, wantData = "jms/bytes-message", m.Bytes
	}
	if r.MessageType != wantType {
		fail("messageType", r.MessageType, wantType)
	}
	if string(data) != string(wantData) {
		fail("data", data, wantData)
	}
	wantMode := 1
	if m.Persistent {
		wantMode = 2
	}
	if r.DeliveryMode != wantMode {
		fail("deliveryMode", r.DeliveryMode, wantMode)
	}
	if r.CorrelationID != m.CorrelationID {
		fail("correlationID", r.CorrelationID, m.CorrelationID)
	}
	if r.Type != m.Type {
		fail("type", r.Type, m.Type)
	}
	if r.Priority != m.Priority {
		fail("priority", r.Priority, m.Priority)
	}
	if r.ReplyTo != m.ReplyTo {
		fail("replyTo", r.ReplyTo, m.ReplyTo)
	}
	if r.Redelivered {
		fail("redelivered", true, false)
	}
	if r.Destination.PhysicalName == "" || r.Expiration != 0 {
		fail("destination/expiration", r.Destination, "queue and 0")
	}
	if r.Timestamp == 0 || r.BrokerInTime < r.Timestamp || r.BrokerOutTime < r.BrokerInTime {
		fail("timestamps", []int64{r.Timestamp, r.BrokerInTime, r.BrokerOutTime}, "ordered and set")
	}
	for _, p := range m.Properties {
		if got := r.Properties[p.Name]; got != p.Value {
			fail("property "+p.Name, got, p.Value)
		}
	}
}
