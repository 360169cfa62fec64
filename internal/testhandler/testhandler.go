// Package testhandler is a real aws-lambda-go function for tests: testdata/handler,
// built once per test binary, with the aws:mq event it reads and the response it
// answers. The data of the event's first message selects what it does (see
// testdata/handler).
package testhandler

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
)

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte

	zipOnce sync.Once
	zip     []byte
	zipErr  error
}

// Binary builds the handler for linux, once per test binary, and returns its path.
// Call Cleanup from TestMain to remove it.
func Binary(t testing.TB) string {
	t.Helper()
	b := &build
	b.once.Do(func() {
		_, self, _, _ := runtime.Caller(0)
		src := filepath.Join(filepath.Dir(self), "testdata", "handler")
		b.dir, b.err = os.MkdirTemp("", "mqtrigger-handler-")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "bootstrap")
		cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", b.path, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("building the test handler: %v\n%s", b.err, b.out)
	}
	return b.path
}

// Zip is the handler's deployment package, its binary as the bootstrap.
func Zip(t testing.TB) []byte {
	t.Helper()
	path := Binary(t)
	b := &build
	b.zipOnce.Do(func() {
		var exe []byte
		if exe, b.zipErr = os.ReadFile(path); b.zipErr == nil {
			b.zip, b.zipErr = lambdazip.Bootstrap(exe)
		}
	})
	if b.zipErr != nil {
		t.Fatalf("zipping the test handler: %v", b.zipErr)
	}
	return b.zip
}

// Cleanup removes the built handler.
func Cleanup() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// MQEvent is the aws:mq event Lambda sends, with one message whose data is data.
func MQEvent(t testing.TB, data string) []byte {
	t.Helper()
	ev := events.ActiveMQEvent{
		EventSource:    "aws:mq",
		EventSourceARN: "arn:aws:mq:us-east-1:123456789012:broker:ExampleMQBroker:b-1234",
		Messages: []events.ActiveMQMessage{{
			MessageID:   "ID:b-1234-1.mq.us-east-1.amazonaws.com-37557-1234520418293-4:1:1:1:1",
			MessageType: "jms/text-message",
			Timestamp:   time.Now().UnixMilli(),
			Destination: events.ActiveMQDestination{PhysicalName: "orders"},
			Data:        base64.StdEncoding.EncodeToString([]byte(data)),
		}},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Response is what the handler answers.
type Response struct {
	PID          int    `json:"pid"`
	EventSource  string `json:"eventSource"`
	Messages     int    `json:"messages"`
	Data         string `json:"data"`
	RequestID    string `json:"requestId"`
	FunctionArn  string `json:"functionArn"`
	FunctionName string `json:"functionName"`
	Memory       int    `json:"memory"`
	Greeting     string `json:"greeting"`
	TaskRoot     string `json:"taskRoot"`
	DeadlineMs   int64  `json:"deadlineMs"`
}
