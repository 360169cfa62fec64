package function

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
)

// reuser stands for a caller of InvokeBuffer that reuses the buffer at once: when
// released, it counts and overwrites the payload with 'X', so anything still
// reading it would send X (and the race detector would see the write).
type reuser struct {
	payload  []byte
	released atomic.Int32
}

func newReuser(payload []byte) *reuser { return &reuser{payload: payload} }

func (u *reuser) release() {
	u.released.Add(1)
	for i := range u.payload {
		u.payload[i] = 'X'
	}
}

// releasedOnce waits until the buffer came back, then checks it came back once.
func (u *reuser) releasedOnce(t *testing.T, what string) {
	t.Helper()
	checkfor.Within(t, 10*time.Second, func() error {
		if u.released.Load() == 0 {
			return errors.New(what + ": buffer not released")
		}
		return nil
	})
	time.Sleep(100 * time.Millisecond) // a second release would come now
	if n := u.released.Load(); n != 1 {
		t.Errorf("%s: buffer released %d times", what, n)
	}
}

// TestInvokeBufferHTTP: an HTTP function gives the buffer back once, after the
// request is done with it, whether the endpoint reads the whole event, answers
// before reading it, reads it too slowly for the timeout, or cannot be reached;
// and no byte the endpoint reads was overwritten by the reuse.
func TestInvokeBufferHTTP(t *testing.T) {
	var mu sync.Mutex
	var seen []byte // every body byte the endpoint read
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var got []byte
		defer func() {
			mu.Lock()
			seen = append(seen, got...)
			mu.Unlock()
		}()
		switch r.URL.Path {
		case "/read":
			got, _ = io.ReadAll(r.Body)
			w.Write([]byte(`{}`))
		case "/early":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/slow":
			buf := make([]byte, 64<<10)
			for {
				n, err := r.Body.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}))
	defer srv.Close()
	te := newTestEnv(t, RegistryOptions{Configured: []Spec{
		{Name: "read", URL: srv.URL + "/read"},
		{Name: "early", URL: srv.URL + "/early"},
		{Name: "slow", URL: srv.URL + "/slow", Timeout: 300 * time.Millisecond},
		{Name: "refused", URL: "http://127.0.0.1:1/nothing"},
	}})
	for _, c := range []struct{ name, wantError string }{
		{"read", ""}, {"early", "Function.HTTPError"}, {"slow", "Sandbox.Timedout"}, {"refused", "Function.ConnectionError"},
	} {
		u := newReuser(bytes.Repeat([]byte("a"), 6<<20))
		res, err := te.reg.InvokeBuffer(context.Background(), c.name, u.payload, u.release)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if (c.wantError == "") != (res.FunctionError == "") || !bytes.Contains(res.Payload, []byte(c.wantError)) {
			t.Errorf("%s: result %s %s, want %q", c.name, res.FunctionError, res.Payload, c.wantError)
		}
		u.releasedOnce(t, c.name)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("the endpoint read nothing")
	}
	if i := bytes.IndexByte(seen, 'X'); i >= 0 {
		t.Errorf("the endpoint read a byte overwritten after release, at %d of %d", i, len(seen))
	}
}

// TestInvokeBufferRuntime: a Runtime API function gives the buffer back once,
// after its runtime took the event, and after a timeout too.
func TestInvokeBufferRuntime(t *testing.T) {
	te := newTestEnv(t, RegistryOptions{Configured: []Spec{
		{Name: "local", Command: []string{handlerBinary(t)}, Timeout: time.Second},
	}})
	for _, data := range []string{"hello", "sleep"} {
		u := newReuser(mqEvent(t, data))
		res, err := te.reg.InvokeBuffer(context.Background(), "local", u.payload, u.release)
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if timedOut := bytes.Contains(res.Payload, []byte("Sandbox.Timedout")); timedOut != (data == "sleep") {
			t.Errorf("%s: result %s %s", data, res.FunctionError, res.Payload)
		}
		u.releasedOnce(t, data)
	}
}
