package function

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
	"github.com/mqtrigger/mqtrigger/internal/logtest"
	"github.com/mqtrigger/mqtrigger/internal/testhandler"
)

const (
	testRegion  = "us-east-1"
	testAccount = "123456789012"
	testRole    = "arn:aws:iam::123456789012:role/lambda-role"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testhandler.Cleanup()
	os.Exit(code)
}

// The test handler, a real aws-lambda-go function, its event and its answer.
var (
	handlerBinary = testhandler.Binary
	handlerZip    = testhandler.Zip
	mqEvent       = testhandler.MQEvent
)

type handlerResponse = testhandler.Response

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

type testEnv struct {
	reg  *Registry
	logs *logtest.Buffer
}

// newTestEnv starts a registry on a store of its own, logging to a buffer.
func newTestEnv(t testing.TB, opts RegistryOptions) *testEnv {
	t.Helper()
	st := newMemStore()
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

// newMemStore is a Store that outlives the registries given it, as the real one
// does (package store's suite tests the real ones; they import this package).
func newMemStore() Store { return newMemFunctions() }
