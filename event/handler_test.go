package event

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// TestLambdaGoHandler runs an aws-lambda-go handler, as a function built for Lambda is
// written, on an encoded event and reads its partial-batch response back.
func TestLambdaGoHandler(t *testing.T) {
	var batch []Record
	for i := range 5 {
		body := "ok"
		if i%2 == 1 {
			body = "fail"
		}
		batch = append(batch, Record{
			MessageID: fmt.Sprintf("ID:host-1:1:1:1:%d", i), Kind: Text, Data: []byte(body), Destination: "orders",
			Timestamp: int64(1000 + i), Properties: map[string]any{"attempt": int32(i), "source": "test"},
		})
	}
	var seen []events.ActiveMQMessage
	h := lambda.NewHandler(func(ctx context.Context, ev events.ActiveMQEvent) (events.SQSEventResponse, error) {
		if ev.EventSource != "aws:mq" || ev.EventSourceARN != testARN {
			return events.SQSEventResponse{}, errors.New("bad envelope")
		}
		var resp events.SQSEventResponse
		for _, m := range ev.Messages {
			seen = append(seen, m)
			data, err := base64.StdEncoding.DecodeString(m.Data)
			if err != nil {
				return resp, err
			}
			if string(data) == "fail" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageID})
			}
		}
		return resp, nil
	})
	out, err := h.Invoke(context.Background(), AppendEvent(nil, testARN, batch))
	if err != nil {
		t.Fatalf("handler: %v", err)
	}
	if len(seen) != len(batch) {
		t.Fatalf("handler saw %d messages, want %d", len(seen), len(batch))
	}
	for i := range batch {
		checkMessage(t, &batch[i], &seen[i])
		if got := seen[i].Properties; !reflect.DeepEqual(got, map[string]string{"attempt": fmt.Sprint(i), "source": "test"}) {
			t.Errorf("message %d properties = %v", i, got)
		}
	}
	failed, ok, err := ParseBatchItemFailures(out, batch)
	if !ok || err != nil || !reflect.DeepEqual(failed, []string{batch[1].MessageID, batch[3].MessageID}) {
		t.Fatalf("ParseBatchItemFailures(%s) = %q, %v, %v", out, failed, ok, err)
	}
}
