package function

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// countingConn records the size of every Write on a connection.
type countingConn struct {
	net.Conn
	mu     sync.Mutex
	writes []int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, len(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// TestEventBodyGoesInOneWrite sends events through the HTTP functions' own
// transport: each arrives byte for byte, the body of a 6 MB one in a single Write
// (not net/http's 32 KB copy loop), and a retried request still carries its body.
func TestEventBodyGoesInOneWrite(t *testing.T) {
	var got [][]byte
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil || int64(len(b)) != r.ContentLength || len(r.TransferEncoding) > 0 {
			t.Errorf("body: %d bytes, Content-Length %d, Transfer-Encoding %v, err %v", len(b), r.ContentLength, r.TransferEncoding, err)
		}
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
	}))
	defer srv.Close()
	tr := newHTTPTransport()
	var conns []*countingConn
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc := &countingConn{Conn: c.(wholeWriteConn).Conn}
		mu.Lock()
		conns = append(conns, cc)
		mu.Unlock()
		return wholeWriteConn{cc}, nil
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	payloads := [][]byte{make([]byte, 6<<20), []byte(`{"k":1}`), nil}
	rand.Read(payloads[0])
	for _, p := range payloads {
		req, err := newEventRequest(context.Background(), srv.URL, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if len(got) != len(payloads) {
		t.Fatalf("server got %d requests, want %d", len(got), len(payloads))
	}
	for i, p := range payloads {
		if !bytes.Equal(got[i], p) {
			t.Errorf("request %d: server got %d bytes, not the %d sent", i, len(got[i]), len(p))
		}
	}
	largest := 0
	for _, c := range conns {
		for _, n := range c.writes {
			largest = max(largest, n)
		}
	}
	// net/http writes the head and the body's first bytes from its 4 KB buffer;
	// the rest must go in one Write.
	if largest < len(payloads[0])-4096 {
		t.Errorf("largest Write was %d bytes; the 6 MB body went in pieces", largest)
	}
	// GetBody gives the whole body again, for the transport's retries.
	req, _ := newEventRequest(context.Background(), srv.URL, payloads[1], nil)
	rc, err := req.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(rc); !bytes.Equal(b, payloads[1]) {
		t.Errorf("GetBody gave %q", b)
	}
}
