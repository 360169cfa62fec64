// Command orders is an example function for mqtrigger: an ordinary AWS Lambda handler
// built with aws-lambda-go that takes the aws:mq event. It runs unchanged on Lambda
// and on mqtrigger.
//
// Build it as Lambda's provided.al2023 runtime expects, a static binary named
// bootstrap in a zip:
//
//	CGO_ENABLED=0 go build -o bootstrap ./examples/orders && zip orders.zip bootstrap
//
// Messages whose body contains "fail" make it report that message in
// batchItemFailures, so a mapping with FunctionResponseTypes ReportBatchItemFailures
// redelivers only those.
package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// Response is the partial-batch answer mqtrigger reads when the mapping asks for it.
type Response struct {
	BatchItemFailures []ItemFailure `json:"batchItemFailures"`
}

// ItemFailure names one failed message.
type ItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

func handle(ctx context.Context, ev events.ActiveMQEvent) (Response, error) {
	var resp Response
	for _, m := range ev.Messages {
		body, err := base64.StdEncoding.DecodeString(m.Data)
		if err != nil {
			return resp, fmt.Errorf("message %s: data is not base64: %w", m.MessageID, err)
		}
		fmt.Printf("order %s from %s (%s, redelivered=%t): %s\n",
			m.MessageID, m.Destination.PhysicalName, m.MessageType, m.Redelivered, body)
		if strings.Contains(string(body), "fail") {
			resp.BatchItemFailures = append(resp.BatchItemFailures, ItemFailure{ItemIdentifier: m.MessageID})
		}
	}
	return resp, nil
}

func main() { lambda.Start(handle) }
