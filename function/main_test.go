package function

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
	"github.com/mqtrigger/mqtrigger/internal/logtest"
	"github.com/mqtrigger/mqtrigger/store"
)

const (
	testRegion  = "us-east-1"
	testAccount = "123456789012"
	testRole    = "arn:aws:iam::123456789012:role/lambda-role"
)

var handlerBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte

	zipOnce sync.Once
	zip     []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if handlerBuild.dir != "" {
		os.RemoveAll(handlerBuild.dir)
	}
	os.Exit(code)
}

// handlerBinary builds testdata/handler, a real aws-lambda-go function, once per
// test binary.
func handlerBinary(t testing.TB) string {
	t.Helper()
	b := &handlerBuild
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "mqtrigger-handler-")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "bootstrap")
		cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", b.path, "./testdata/handler")
		cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("building the test handler: %v\n%s", b.err, b.out)
	}
	return b.path
}

type zipEntry struct {
	name string
	mode fs.FileMode
	data []byte
}

func makeZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	members := make([]lambdazip.Entry, len(entries))
	for i, e := range entries {
		members[i] = lambdazip.Entry{Name: e.name, Mode: e.mode, Body: e.data}
	}
	z, err := lambdazip.Build(members...)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// handlerZip is the deployment package of the test handler.
func handlerZip(t testing.TB) []byte {
	t.Helper()
	path := handlerBinary(t)
	b := &handlerBuild
	b.zipOnce.Do(func() {
		bin, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b.zip = makeZip(t, zipEntry{"bootstrap", 0o755, bin})
	})
	if b.zip == nil {
		t.Fatal("zipping the test handler failed")
	}
	return b.zip
}

type testEnv struct {
	reg  *Registry
	logs *logtest.Buffer
}

// newTestEnv starts a registry on a real SQLite store, logging to a buffer.
func newTestEnv(t testing.TB, opts RegistryOptions) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &logtest.Buffer{}
	opts.Store = st
	opts.DataDir = t.TempDir()
	opts.Region, opts.AccountID = testRegion, testAccount
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg, err := NewRegistry(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return &testEnv{reg: reg, logs: logs}
}

// mqEvent is the aws:mq event Lambda sends, with one message whose data is data.
func mqEvent(t testing.TB, data string) []byte {
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

// handlerResponse is what testdata/handler answers.
type handlerResponse struct {
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

type errorBody struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// invokeOK invokes through the registry and expects success.
func invokeOK(t testing.TB, reg *Registry, name, data string) handlerResponse {
	t.Helper()
	res, err := reg.Invoke(context.Background(), name, mqEvent(t, data))
	if err != nil {
		t.Fatalf("invoke %s: %v", name, err)
	}
	if res.FunctionError != "" {
		t.Fatalf("invoke %s: function error %s: %s", name, res.FunctionError, res.Payload)
	}
	var hr handlerResponse
	if err := json.Unmarshal(res.Payload, &hr); err != nil {
		t.Fatalf("invoke %s: response %q: %v", name, res.Payload, err)
	}
	if hr.RequestID != res.RequestID {
		t.Fatalf("handler saw request ID %q, Result says %q", hr.RequestID, res.RequestID)
	}
	return hr
}

// invokeFail invokes through the registry and expects a function failure.
func invokeFail(t testing.TB, reg *Registry, name, data string) (errorBody, *Result) {
	t.Helper()
	res, err := reg.Invoke(context.Background(), name, mqEvent(t, data))
	if err != nil {
		t.Fatalf("invoke %s: %v", name, err)
	}
	if res.FunctionError != "Unhandled" {
		t.Fatalf("invoke %s with %q: FunctionError %q, payload %s; want Unhandled", name, data, res.FunctionError, res.Payload)
	}
	var eb errorBody
	if err := json.Unmarshal(res.Payload, &eb); err != nil {
		t.Fatalf("error payload %q: %v", res.Payload, err)
	}
	return eb, res
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// writeScript writes a shell script that speaks the Runtime API with curl.
func writeScript(t testing.TB, body string) string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	p := filepath.Join(t.TempDir(), "bootstrap.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
