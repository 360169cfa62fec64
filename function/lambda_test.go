package function_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/mqtrigger/mqtrigger/api"
	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/store"
)

// TestRemoteLambda invokes a function through Lambda's Invoke API with the AWS SDK;
// the remote side is another registry behind mqtrigger's API.
func TestRemoteLambda(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	remote, err := function.NewRegistry(function.RegistryOptions{Store: st, DataDir: t.TempDir(), Logger: quiet,
		Configured: []function.Spec{{Name: "target", Command: []string{function.HandlerBinary(t)}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { remote.Close() })
	cfg, err := config.Parse([]byte("credentials: [{accessKeyId: AKIDEXAMPLE, secretAccessKey: wJalrXUtnFEMI}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Options{Config: cfg, Store: st, Functions: remote, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	local, err := function.NewRegistry(function.RegistryOptions{
		DataDir:     t.TempDir(),
		Logger:      quiet,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI", ""),
		Configured: []function.Spec{
			{Name: "remote", ARN: "arn:aws:lambda:us-east-1:123456789012:function:target", Endpoint: srv.URL},
			{Name: "missing", ARN: "arn:aws:lambda:us-east-1:123456789012:function:nothing", Endpoint: srv.URL},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	invoke := func(name, data string, out any) *function.Result {
		t.Helper()
		payload, _ := json.Marshal(map[string]any{"eventSource": "aws:mq", "messages": []any{map[string]any{"data": data}}})
		res, err := local.Invoke(ctx, name, payload)
		if err != nil {
			t.Fatalf("invoke %s: %v", name, err)
		}
		if err := json.Unmarshal(res.Payload, out); err != nil {
			t.Fatalf("invoke %s: payload %q: %v", name, res.Payload, err)
		}
		return res
	}
	var got struct {
		FunctionName string `json:"functionName"`
		Data         string `json:"data"`
	}
	if res := invoke("remote", "b3ZlciB0aGUgd2lyZQ==", &got); res.FunctionError != "" || got.FunctionName != "target" || got.Data != "over the wire" {
		t.Fatalf("remote handler saw %+v (%s)", got, res.Payload)
	}
	var eb struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if res := invoke("remote", "ZXJyb3I=", &eb); res.FunctionError != "Unhandled" || eb.ErrorMessage != "handler failed on purpose" {
		t.Fatalf("remote error payload %+v", eb)
	}
	if res := invoke("missing", "eA==", &eb); res.FunctionError != "Unhandled" || eb.ErrorType != "ResourceNotFoundException" || !strings.Contains(eb.ErrorMessage, "function:nothing") {
		t.Fatalf("missing remote function: %+v", eb)
	}
	// The SDK gives no sign of when it stops reading a request: a buffer lent for a
	// remote invocation is never handed back for reuse.
	released := make(chan struct{}, 1)
	payload, _ := json.Marshal(map[string]any{"eventSource": "aws:mq", "messages": []any{map[string]any{"data": "eA=="}}})
	if res, err := local.InvokeBuffer(ctx, "remote", payload, func() { released <- struct{}{} }); err != nil || res.FunctionError != "" {
		t.Fatalf("InvokeBuffer remote: %v %+v", err, res)
	}
	select {
	case <-released:
		t.Error("a remote invocation's buffer was released for reuse")
	case <-time.After(200 * time.Millisecond):
	}
	arn, err := local.FunctionArn(ctx, "123456789012:function:remote")
	if err != nil || arn != "arn:aws:lambda:us-east-1:123456789012:function:remote" {
		t.Fatalf("FunctionArn: %q %v", arn, err)
	}
}
