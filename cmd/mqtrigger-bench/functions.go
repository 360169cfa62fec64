package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// arrival is one invocation as the function saw it.
type arrival struct {
	At    time.Time // when the function started on the event
	Count int       // messages in the event
	First string    // base64 data of the first message (short messages only)
}

// sink counts what a no-op function received. The benchmark arms it before a
// scenario and reads it after.
type sink struct {
	mu          sync.Mutex
	messages    int64
	invocations int64
	first, last time.Time
	target      int64
	reached     chan struct{} // closed when messages >= target
	arrivals    chan arrival  // nil unless a latency scenario listens
}

func newSink() *sink { return &sink{reached: make(chan struct{})} }

// Arm resets the counts; Reached is closed once target messages arrived. With
// listen, every invocation is also sent on Arrivals.
func (s *sink) Arm(target int64, listen bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages, s.invocations, s.first, s.last = 0, 0, time.Time{}, time.Time{}
	s.target = target
	s.reached = make(chan struct{})
	s.arrivals = nil
	if listen {
		s.arrivals = make(chan arrival, 1024)
	}
}

func (s *sink) record(a arrival) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.invocations == 0 || a.At.Before(s.first) {
		s.first = a.At
	}
	if a.At.After(s.last) {
		s.last = a.At
	}
	s.invocations++
	before := s.messages
	s.messages += int64(a.Count)
	if s.target > 0 && before < s.target && s.messages >= s.target {
		close(s.reached)
	}
	if s.arrivals != nil {
		select {
		case s.arrivals <- a:
		default: // nobody listens fast enough; the count above still holds
		}
	}
}

// Reached is closed when the armed target is met.
func (s *sink) Reached() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reached
}

// Arrivals delivers invocations while armed with listen.
func (s *sink) Arrivals() <-chan arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.arrivals
}

// Snapshot returns the counts so far.
func (s *sink) Snapshot() (messages, invocations int64, first, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messages, s.invocations, s.first, s.last
}

// httpFunction is the no-op HTTP function: a server in this process that counts the
// messages of each aws:mq event POSTed to it and answers 200 at once.
type httpFunction struct {
	URL  string
	Sink *sink
	srv  *http.Server
	done chan struct{}
}

// bodyBuffers keep the no-op function from allocating a fresh buffer for every
// event of up to 6 MB.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var (
	keyMessageID = []byte(`{"messageID":`)
	keyData      = []byte(`,"data":"`)
)

func startHTTPFunction() (*httpFunction, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the HTTP function: %w", err)
	}
	f := &httpFunction{URL: "http://" + l.Addr().String() + "/", Sink: newSink(), done: make(chan struct{})}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(f.done)
		_ = f.srv.Serve(l)
	}()
	return f, nil
}

// ServeHTTP counts messages by their `{"messageID":` keys rather than decoding the
// event, so that the no-op function costs as little CPU as possible next to
// mqtrigger and the broker on the same machine.
func (f *httpFunction) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer bodyBuffers.Put(buf)
	buf.Reset()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body := buf.Bytes()
	f.Sink.record(arrival{At: start, Count: bytes.Count(body, keyMessageID), First: firstData(body)})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("null"))
}

// firstData returns the data of the event's first message if it is short.
func firstData(body []byte) string {
	i := bytes.Index(body, keyData)
	if i < 0 {
		return ""
	}
	rest := body[i+len(keyData):]
	if len(rest) > 256 {
		rest = rest[:256]
	}
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// Close stops the server. Safe to call twice.
func (f *httpFunction) Close() error {
	err := f.srv.Close()
	<-f.done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// runtimeFunction receives the reports of the aws-lambda-go no-op function (see
// testdata/noop): one UDP datagram per invocation.
type runtimeFunction struct {
	Addr string
	Sink *sink
	conn net.PacketConn
	done chan struct{}
}

func startRuntimeFunction() (*runtimeFunction, error) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the function's reports: %w", err)
	}
	// Bursts of reports from five environments must not be dropped.
	if uc, ok := conn.(*net.UDPConn); ok {
		_ = uc.SetReadBuffer(4 << 20)
	}
	f := &runtimeFunction{Addr: conn.LocalAddr().String(), Sink: newSink(), conn: conn, done: make(chan struct{})}
	go f.read()
	return f, nil
}

func (f *runtimeFunction) read() {
	defer close(f.done)
	buf := make([]byte, 2048)
	for {
		n, _, err := f.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if a, err := parseReport(string(buf[:n])); err == nil {
			f.Sink.record(a)
		}
	}
}

// parseReport parses "<start Unix ns> <count> <first data>".
func parseReport(s string) (arrival, error) {
	f := strings.SplitN(s, " ", 3)
	if len(f) < 2 {
		return arrival{}, fmt.Errorf("bad report %q", s)
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return arrival{}, fmt.Errorf("bad report %q: %w", s, err)
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 {
		return arrival{}, fmt.Errorf("bad report %q", s)
	}
	a := arrival{At: time.Unix(0, ns), Count: n}
	if len(f) == 3 {
		a.First = f[2]
	}
	return a, nil
}

// Close stops listening. Safe to call twice.
func (f *runtimeFunction) Close() error {
	err := f.conn.Close()
	<-f.done
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// buildNoop builds the aws-lambda-go no-op function with its report address.
func buildNoop(ctx context.Context, repo, out, report string) error {
	return goBuild(ctx, repo, "./cmd/mqtrigger-bench/testdata/noop", out, "-s -w -X main.report="+report)
}
