// Command noop is the benchmark's aws-lambda-go function: it does no work on the
// messages and, so the benchmark can count deliveries from the function's side,
// sends one UDP datagram per invocation to the address linked in as main.report:
//
//	<handler start, Unix ns> <messages in the event> <base64 data of the first message>
package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// report is set with -ldflags "-X main.report=127.0.0.1:PORT".
var report string

func main() {
	conn, err := net.Dial("udp", report)
	if err != nil {
		panic(fmt.Sprintf("noop: report address %q: %v", report, err))
	}
	lambda.Start(func(ctx context.Context, ev events.ActiveMQEvent) error {
		start := time.Now()
		first := ""
		if len(ev.Messages) > 0 && len(ev.Messages[0].Data) <= 256 {
			first = ev.Messages[0].Data
		}
		_, err := fmt.Fprintf(conn, "%d %d %s", start.UnixNano(), len(ev.Messages), first)
		return err
	})
}
