// Command handler is an aws-lambda-go function for tests (see package testhandler) and
// the function benchmark. The data of the first message selects what it does: "error", "panic",
// "sleep", "exit", "log" or "wait:<ms>"; anything else (or no message) answers at
// once. EXIT_DURING_INIT makes it exit before starting the runtime loop;
// SERVE_HTTP=<addr> makes it an HTTP server instead of a Lambda runtime.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type response struct {
	PID          int    `json:"pid"`
	EventSource  string `json:"eventSource,omitempty"`
	Messages     int    `json:"messages"`
	Data         string `json:"data,omitempty"`
	RequestID    string `json:"requestId"`
	FunctionArn  string `json:"functionArn"`
	FunctionName string `json:"functionName"`
	Memory       int    `json:"memory"`
	Greeting     string `json:"greeting,omitempty"`
	TaskRoot     string `json:"taskRoot,omitempty"`
	DeadlineMs   int64  `json:"deadlineMs"`
}

func handle(ctx context.Context, ev events.ActiveMQEvent) (*response, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	data := ""
	if len(ev.Messages) > 0 {
		b, _ := base64.StdEncoding.DecodeString(ev.Messages[0].Data)
		data = string(b)
	}
	switch {
	case data == "error":
		return nil, errors.New("handler failed on purpose")
	case data == "panic":
		panic("handler panicked on purpose")
	case data == "sleep":
		time.Sleep(time.Hour)
	case data == "exit":
		os.Exit(7)
	case data == "log":
		fmt.Println("hello from the handler")
	case strings.HasPrefix(data, "wait:"):
		ms, _ := strconv.Atoi(strings.TrimPrefix(data, "wait:"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	deadline, _ := ctx.Deadline()
	r := &response{
		PID:          os.Getpid(),
		EventSource:  ev.EventSource,
		Messages:     len(ev.Messages),
		Data:         data,
		FunctionName: lambdacontext.FunctionName,
		Memory:       lambdacontext.MemoryLimitInMB,
		Greeting:     os.Getenv("GREETING"),
		TaskRoot:     os.Getenv("LAMBDA_TASK_ROOT"),
		DeadlineMs:   deadline.UnixMilli(),
	}
	if lc != nil {
		r.RequestID, r.FunctionArn = lc.AwsRequestID, lc.InvokedFunctionArn
	}
	return r, nil
}

func main() {
	if addr := os.Getenv("SERVE_HTTP"); addr != "" {
		// The same handler as an HTTP server: the benchmark's cross-process baseline.
		http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var ev events.ActiveMQEvent
			body, _ := io.ReadAll(r.Body)
			json.Unmarshal(body, &ev)
			resp, _ := handle(context.Background(), ev)
			b, _ := json.Marshal(resp)
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
		}))
		return
	}
	if os.Getenv("EXIT_DURING_INIT") != "" {
		fmt.Fprintln(os.Stderr, "init failed on purpose")
		os.Exit(3)
	}
	lambda.Start(handle)
}
