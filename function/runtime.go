package function

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Runtime API paths (version 2018-06-01) that a runtime calls.
const (
	runtimePrefix   = "/2018-06-01/runtime/"
	pathNext        = runtimePrefix + "invocation/next"
	pathInvocation  = runtimePrefix + "invocation/"
	pathInitError   = runtimePrefix + "init/error"
	maxResponseSize = 6*1024*1024 + 100 // Lambda's response limit (6291556 bytes)
)

// runtimeHost serves the Lambda Runtime API to every execution environment. It is one
// HTTP server; each environment gets its own listener on 127.0.0.1, so a runtime sees
// AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port> and the standard paths, and the server
// knows the environment of a request by the port the connection came in on.
type runtimeHost struct {
	srv *http.Server
	log *slog.Logger

	mu     sync.Mutex
	envs   map[int]*environment // by local port
	closed bool
	wg     sync.WaitGroup // Serve goroutines
}

type envKey struct{}

func newRuntimeHost(log *slog.Logger) *runtimeHost {
	h := &runtimeHost{log: log, envs: make(map[int]*environment)}
	h.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
				h.mu.Lock()
				env := h.envs[a.Port]
				h.mu.Unlock()
				if env != nil {
					return context.WithValue(ctx, envKey{}, env)
				}
			}
			return ctx
		},
	}
	return h
}

// listen opens env's listener and starts serving it; the listener is closed by
// unlisten or close.
func (h *runtimeHost) listen(env *environment) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		ln.Close()
		return nil, errors.New("runtime API host is closed")
	}
	h.envs[port] = env
	h.wg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		_ = h.srv.Serve(ln) // returns when ln is closed
	}()
	return ln, nil
}

func (h *runtimeHost) unlisten(ln net.Listener) {
	port := ln.Addr().(*net.TCPAddr).Port
	h.mu.Lock()
	delete(h.envs, port)
	h.mu.Unlock()
	ln.Close()
}

// close stops the server; environments must have been stopped first.
func (h *runtimeHost) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		h.srv.Close()
	}
	h.wg.Wait()
}

func (h *runtimeHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	env, _ := r.Context().Value(envKey{}).(*environment)
	if env == nil {
		runtimeError(w, http.StatusForbidden, "InvalidStateTransition", "no execution environment listens on this port")
		return
	}
	p := r.URL.Path
	switch {
	case p == pathNext && r.Method == http.MethodGet:
		env.serveNext(w, r)
	case p == pathInitError && r.Method == http.MethodPost:
		env.serveInitError(w, r)
	case strings.HasPrefix(p, pathInvocation) && r.Method == http.MethodPost:
		rest := p[len(pathInvocation):]
		id, kind, ok := strings.Cut(rest, "/")
		if !ok || id == "" || (kind != "response" && kind != "error") {
			runtimeError(w, http.StatusNotFound, "InvalidRequest", "unknown Runtime API path "+p)
			return
		}
		env.serveResult(w, r, id, kind == "error")
	case p == "/2018-06-01/ping":
		w.WriteHeader(http.StatusOK)
	default:
		runtimeError(w, http.StatusNotFound, "InvalidRequest", "unknown Runtime API path "+r.Method+" "+p)
	}
}

// runtimeError answers a runtime with the Runtime API's error shape.
func runtimeError(w http.ResponseWriter, status int, errorType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(errorPayload(errorType, msg))
}

var accepted = []byte(`{"status":"OK"}`)

func writeAccepted(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(accepted))}
	w.WriteHeader(http.StatusAccepted)
	w.Write(accepted)
}

// readBody reads at most limit bytes of r's body; tooLarge says it had more.
func readBody(r *http.Request, limit int64) (body []byte, tooLarge bool, err error) {
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf.Grow(int(r.ContentLength))
	} else {
		buf.Grow(512)
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, false, err
	}
	if n > limit {
		return nil, true, nil
	}
	return buf.Bytes(), false, nil
}
