package event

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestParseBatchItemFailures(t *testing.T) {
	batch := []Record{{MessageID: "ID:a"}, {MessageID: "ID:b"}, {MessageID: "ID:c"}}
	for _, tt := range []struct {
		resp   string
		failed []string
		ok     bool
	}{
		// Complete success.
		{``, nil, true},
		{"  \n", nil, true},
		{`null`, nil, true},
		{`{}`, nil, true},
		{`{"batchItemFailures":[]}`, nil, true},
		{`{"batchItemFailures":null}`, nil, true},
		{`{"statusCode":200,"body":"ok"}`, nil, true},
		{`"done"`, nil, true},
		{`42`, nil, true},
		{`[{"itemIdentifier":"ID:a"}]`, nil, true},
		{`{"BatchItemFailures":[{"itemIdentifier":"ID:a"}]}`, nil, true}, // keys are exact
		// Partial failure.
		{`{"batchItemFailures":[{"itemIdentifier":"ID:b"}]}`, []string{"ID:b"}, true},
		{`{"batchItemFailures":[{"itemIdentifier":"ID:c"},{"itemIdentifier":"ID:a"},{"itemIdentifier":"ID:c"}]}`, []string{"ID:c", "ID:a"}, true},
		{`{"batchItemFailures":[{"itemIdentifier":"ID:a","extra":1}],"other":true}`, []string{"ID:a"}, true},
		// Complete failure.
		{`not json`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifier":"ID:a"}]`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifier":""}]}`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifier":null}]}`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifer":"ID:a"}]}`, nil, false},
		{`{"batchItemFailures":[{"ItemIdentifier":"ID:a"}]}`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifier":"ID:zz"}]}`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifier":"ID:a"},{"itemIdentifier":"ID:zz"}]}`, nil, false},
		{`{"batchItemFailures":[{"itemIdentifier":5}]}`, nil, false},
		{`{"batchItemFailures":["ID:a"]}`, nil, false},
		{`{"batchItemFailures":[null]}`, nil, false},
		{`{"batchItemFailures":{"itemIdentifier":"ID:a"}}`, nil, false},
		{`{"batchItemFailures":"ID:a"}`, nil, false},
	} {
		failed, ok, err := ParseBatchItemFailures([]byte(tt.resp), batch)
		if ok != tt.ok || !reflect.DeepEqual(failed, tt.failed) || (err != nil) == ok {
			t.Errorf("ParseBatchItemFailures(%s) = %q, %v, %v; want %q, %v", tt.resp, failed, ok, err, tt.failed, tt.ok)
		}
	}
}

// TestParseBatchItemFailuresFromLambdaGo reads what an aws-lambda-go handler returns
// when it uses events.SQSEventResponse, the type Go functions use for this response.
func TestParseBatchItemFailuresFromLambdaGo(t *testing.T) {
	var batch []Record
	var resp events.SQSEventResponse
	for i := range 50 { // long enough for the map path
		id := fmt.Sprintf("ID:m-%d", i)
		batch = append(batch, Record{MessageID: id})
		if i%3 == 0 {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	resp.BatchItemFailures = append(resp.BatchItemFailures, resp.BatchItemFailures[0])
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	failed, ok, err := ParseBatchItemFailures(b, batch)
	if !ok || err != nil || len(failed) != 17 || failed[16] != "ID:m-48" {
		t.Fatalf("got %q, %v, %v", failed, ok, err)
	}
	b = []byte(strings.Replace(string(b), "ID:m-3", "ID:zz", 1))
	if _, ok, err := ParseBatchItemFailures(b, batch); ok || err == nil || !strings.Contains(err.Error(), `"ID:zz"`) {
		t.Fatalf("unknown id: ok %v, err %v", ok, err)
	}
}

func FuzzParseBatchItemFailures(f *testing.F) {
	f.Add([]byte(`{"batchItemFailures":[{"itemIdentifier":"ID:a"}]}`))
	f.Add([]byte(`{"batchItemFailures":[{"itemIdentifier":""}]}`))
	f.Add([]byte(`null`))
	batch := []Record{{MessageID: "ID:a"}, {MessageID: "ID:b"}}
	f.Fuzz(func(t *testing.T, resp []byte) {
		failed, ok, err := ParseBatchItemFailures(resp, batch)
		if ok == (err != nil) {
			t.Fatalf("ok %v with err %v", ok, err)
		}
		if !ok && failed != nil {
			t.Fatalf("whole-batch failure with ids %q", failed)
		}
		for _, id := range failed {
			if id != "ID:a" && id != "ID:b" {
				t.Fatalf("id %q not in batch", id)
			}
		}
	})
}
