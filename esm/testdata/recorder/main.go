// Command recorder is an aws-lambda-go function for esm's end-to-end tests:
// it appends every message it receives, as JSON, to a file of its own in
// $RECORD_DIR and succeeds.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	path := filepath.Join(os.Getenv("RECORD_DIR"), fmt.Sprintf("%d.jsonl", os.Getpid()))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		panic(err)
	}
	lambda.Start(func(ctx context.Context, ev events.ActiveMQEvent) error {
		if ev.EventSource != "aws:mq" {
			return fmt.Errorf("eventSource %q", ev.EventSource)
		}
		var buf []byte
		for _, m := range ev.Messages {
			line, err := json.Marshal(struct {
				Arn string `json:"arn"`
				events.ActiveMQMessage
			}{ev.EventSourceARN, m})
			if err != nil {
				return err
			}
			buf = append(append(buf, line...), '\n')
		}
		_, err := f.Write(buf)
		return err
	})
}
