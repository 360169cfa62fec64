package function

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHTTPFunction(t *testing.T) {
	var gotBody []byte
	var gotType, gotID string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			gotBody, _ = io.ReadAll(r.Body)
			gotType, gotID = r.Header.Get("Content-Type"), r.Header.Get("Lambda-Runtime-Aws-Request-Id")
			w.Write([]byte(`{"batchItemFailures":[]}`))
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte("database unavailable " + strings.Repeat("x", 2000)))
		case "/hang":
			io.ReadAll(r.Body) // so that the server notices when the client leaves
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}
	}))
	defer srv.Close()
	te := newTestEnv(t, RegistryOptions{Configured: []Spec{
		{Name: "ok", URL: srv.URL + "/ok"},
		{Name: "fail", URL: srv.URL + "/fail"},
		{Name: "hang", URL: srv.URL + "/hang", Timeout: 300 * time.Millisecond},
		{Name: "refused", URL: "http://127.0.0.1:1/nothing"},
	}})
	ctx := context.Background()
	event := mqEvent(t, "hello")

	res, err := te.reg.Invoke(ctx, "ok", event)
	if err != nil || res.FunctionError != "" || string(res.Payload) != `{"batchItemFailures":[]}` {
		t.Fatalf("200: %v %+v", err, res)
	}
	if string(gotBody) != string(event) || gotType != "application/json" || gotID != res.RequestID {
		t.Fatalf("the endpoint got body %q, type %q, request ID %q", gotBody, gotType, gotID)
	}

	checkFailure := func(name, wantType, wantIn string) time.Duration {
		t.Helper()
		start := time.Now()
		res, err := te.reg.Invoke(ctx, name, event)
		if err != nil || res.FunctionError != "Unhandled" {
			t.Fatalf("%s: %v %+v", name, err, res)
		}
		var eb errorBody
		if err := json.Unmarshal(res.Payload, &eb); err != nil || eb.ErrorType != wantType || !strings.Contains(eb.ErrorMessage, wantIn) {
			t.Fatalf("%s: payload %s, want %s containing %q", name, res.Payload, wantType, wantIn)
		}
		return time.Since(start)
	}
	checkFailure("fail", "Function.HTTPError", "HTTP 500 Internal Server Error: database unavailable xxx")
	if d := checkFailure("hang", "Sandbox.Timedout", "Task timed out after 0.30 seconds"); d < 300*time.Millisecond || d > 2*time.Second {
		t.Fatalf("the hanging endpoint failed after %v, want its 300ms timeout", d)
	}
	checkFailure("refused", "Function.ConnectionError", "connection refused")

	// The excerpt is bounded.
	res, _ = te.reg.Invoke(ctx, "fail", event)
	if len(res.Payload) > 1000 {
		t.Fatalf("failure payload of %d bytes quotes the whole body", len(res.Payload))
	}
}
