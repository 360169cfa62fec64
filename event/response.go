package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ParseBatchItemFailures reads a function's partial-batch response,
// {"batchItemFailures":[{"itemIdentifier":"<messageID>"}]}, for the batch of records
// it was invoked with. Lambda offers this response for SQS but not for Amazon MQ;
// mqtrigger honours it when the mapping's FunctionResponseTypes holds
// ReportBatchItemFailures, with the rules Lambda documents for SQS
// (services-sqs-errorhandling, "Success and failure conditions"):
//
//   - ok is true and failed is empty when every record succeeded: an empty or null
//     batchItemFailures list, an empty response, JSON null, an object without
//     batchItemFailures ("an empty EventResponse"), or any other JSON value that is not
//     an object (a handler that returns a string or a number does not use the feature);
//   - ok is true and failed lists the message IDs to redeliver, each once, in the
//     response's order, when every itemIdentifier names a record of the batch;
//   - ok is false, and err says why, when the whole batch failed: the response is not
//     valid JSON, batchItemFailures is not a list, an entry is not an object, or an
//     itemIdentifier is missing (a bad key name), null, not a string, empty, or not the
//     messageID of a record in batch.
//
// Keys match exactly, as in Lambda's Java deserializer (encoding/json would also accept
// "BatchItemFailures").
func ParseBatchItemFailures(response []byte, batch []Record) (failed []string, ok bool, err error) {
	response = bytes.TrimSpace(response)
	if len(response) == 0 {
		return nil, true, nil
	}
	if !json.Valid(response) {
		return nil, false, errors.New("function response is not valid JSON (whole batch failed)")
	}
	if response[0] != '{' {
		return nil, true, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(response, &top); err != nil {
		return nil, false, fmt.Errorf("function response: %v (whole batch failed)", err)
	}
	raw, present := top["batchItemFailures"]
	if !present || string(raw) == "null" {
		return nil, true, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, false, errors.New("function response: batchItemFailures is not a list (whole batch failed)")
	}
	var seen map[string]uint8 // for long responses: 1 in the batch, 2 reported
	if len(items) > 8 {
		seen = make(map[string]uint8, len(batch))
		for i := range batch {
			seen[batch[i].MessageID] = 1
		}
	}
	for i, item := range items {
		var entry map[string]json.RawMessage
		if err := json.Unmarshal(item, &entry); err != nil || entry == nil {
			return nil, false, fmt.Errorf("function response: batchItemFailures[%d] is not an object (whole batch failed)", i)
		}
		idRaw, present := entry["itemIdentifier"]
		if !present {
			return nil, false, fmt.Errorf("function response: batchItemFailures[%d] has no itemIdentifier (whole batch failed)", i)
		}
		var id *string
		if err := json.Unmarshal(idRaw, &id); err != nil || id == nil {
			return nil, false, fmt.Errorf("function response: batchItemFailures[%d].itemIdentifier is not a string (whole batch failed)", i)
		}
		if *id == "" {
			return nil, false, fmt.Errorf("function response: batchItemFailures[%d].itemIdentifier is empty (whole batch failed)", i)
		}
		if seen != nil && seen[*id] == 0 || seen == nil && !inBatch(batch, *id) {
			return nil, false, fmt.Errorf("function response: batchItemFailures[%d].itemIdentifier %q is not a message of the batch (whole batch failed)", i, *id)
		}
		switch {
		case seen == nil && !contains(failed, *id):
			failed = append(failed, *id)
		case seen != nil && seen[*id] == 1:
			seen[*id] = 2
			failed = append(failed, *id)
		}
	}
	return failed, true, nil
}

func inBatch(batch []Record, id string) bool {
	for i := range batch {
		if batch[i].MessageID == id {
			return true
		}
	}
	return false
}

func contains(ids []string, id string) bool {
	for _, s := range ids {
		if s == id {
			return true
		}
	}
	return false
}
