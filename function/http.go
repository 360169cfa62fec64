package function

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// excerptSize is how much of a failed HTTP function's body a failure quotes.
const excerptSize = 512

// newHTTPTransport returns the transport every HTTP function shares: connections
// kept alive and pooled per host, sized for a mapping's concurrency.
func newHTTPTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return wholeWriteConn{c}, nil
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: 0, // the function's timeout bounds the whole call
	}
}

// wholeWriteConn sends a request body held in memory with one Write. net/http hands
// a body of known length to the connection's ReadFrom inside an io.LimitedReader,
// which hides the bytes.Reader from net.TCPConn: it would copy the body through a
// 32 KB buffer, a copy and a write syscall per 32 KB. One Write of the whole event
// lets the kernel fill its largest segments: BenchmarkLargeEventPOST measures 23%
// less CPU per 6 MB event, client and server together.
type wholeWriteConn struct{ net.Conn }

func (c wholeWriteConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if b, ok := lr.R.(*eventBody); ok && int64(b.Len()) <= lr.N {
			n, err := b.WriteTo(c.Conn)
			lr.N -= n
			return n, err
		}
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r) // sendfile and splice, where they apply
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// eventBody is an invocation's request body, a type of its own so that
// wholeWriteConn knows it holds exactly the request's Content-Length bytes. It
// holds the payload's use until net/http closes it and no read of it is under way:
// the transport may close a body from another goroutine while its write loop is
// still reading it.
type eventBody struct {
	mu      sync.Mutex
	r       bytes.Reader
	use     *payloadUse
	reading bool
	closed  bool
}

var errBodyClosed = errors.New("request body closed")

func newEventBody(payload []byte, use *payloadUse) *eventBody {
	use.hold()
	b := &eventBody{use: use}
	b.r.Reset(payload)
	return b
}

func (b *eventBody) begin() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.reading = true
	return true
}

func (b *eventBody) end() {
	b.mu.Lock()
	b.reading = false
	closed := b.closed
	b.mu.Unlock()
	if closed {
		b.use.release() // Close came during the read and left the release to it
	}
}

func (b *eventBody) Read(p []byte) (int, error) {
	if !b.begin() {
		return 0, errBodyClosed
	}
	defer b.end()
	return b.r.Read(p)
}

func (b *eventBody) WriteTo(w io.Writer) (int64, error) {
	if !b.begin() {
		return 0, errBodyClosed
	}
	defer b.end()
	return b.r.WriteTo(w)
}

// Len is the number of bytes not yet read.
func (b *eventBody) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.r.Len()
}

func (b *eventBody) Close() error {
	b.mu.Lock()
	first, reading := !b.closed, b.reading
	b.closed = true
	b.mu.Unlock()
	if first && !reading {
		b.use.release()
	}
	return nil
}

// newEventRequest makes the POST of payload to url. Every body it makes (one
// now, more through GetBody for the transport's retries) holds use until closed.
func newEventRequest(ctx context.Context, url string, payload []byte, use *payloadUse) (*http.Request, error) {
	if len(payload) == 0 {
		return http.NewRequestWithContext(ctx, http.MethodPost, url, http.NoBody)
	}
	body := newEventBody(payload, use)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		body.Close()
		return nil, err
	}
	req.ContentLength = int64(len(payload))
	req.GetBody = func() (io.ReadCloser, error) { return newEventBody(payload, use), nil }
	return req, nil
}

// httpFunction is a function that is an HTTP endpoint: the event is POSTed to it.
type httpFunction struct {
	url     string
	timeout time.Duration
	client  *http.Client
}

func (f *httpFunction) reserve(int) {}
func (f *httpFunction) close()      {}

func (f *httpFunction) invoke(ctx context.Context, requestID string, payload []byte, use *payloadUse) (*Result, error) {
	start := time.Now()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := newEventRequest(ctx, f.url, payload, use)
	if err != nil {
		return nil, fmt.Errorf("%w: url %q: %v", ErrFunctionConfig, f.url, err)
	}
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["Lambda-Runtime-Aws-Request-Id"] = []string{requestID}
	req.Header["Lambda-Runtime-Deadline-Ms"] = []string{strconv.FormatInt(start.Add(f.timeout).UnixMilli(), 10)}
	resp, err := f.client.Do(req)
	if err != nil {
		return f.transportFailure(parent, ctx, requestID, start, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if resp.ContentLength > 0 && resp.ContentLength <= maxResponseSize {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(http.MaxBytesReader(nil, resp.Body, maxResponseSize+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			return f.transportFailure(parent, ctx, requestID, start, err)
		}
	}
	if n > maxResponseSize {
		return failure(requestID, start, "Function.ResponseSizeTooLarge",
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponseSize)), nil
	}
	body := buf.Bytes()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return failure(requestID, start, "Function.HTTPError",
			fmt.Sprintf("POST %s: HTTP %s: %s", f.url, resp.Status, excerpt(body))), nil
	}
	return &Result{Payload: body, Duration: time.Since(start), RequestID: requestID}, nil
}

// transportFailure makes the outcome of a call that got no complete answer: the
// caller's context ended (an error), the function's timeout passed, or the
// endpoint could not be reached (failures).
func (f *httpFunction) transportFailure(parent, ctx context.Context, requestID string, start time.Time, err error) (*Result, error) {
	if parent.Err() != nil {
		return nil, parent.Err()
	}
	if ctx.Err() != nil {
		return failure(requestID, start, "Sandbox.Timedout",
			fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, f.timeout.Seconds())), nil
	}
	return failure(requestID, start, "Function.ConnectionError", fmt.Sprintf("POST %s: %v", f.url, err)), nil
}

// excerpt returns the start of a body, cut on a character boundary.
func excerpt(b []byte) string {
	if len(b) <= excerptSize {
		return string(b)
	}
	b = b[:excerptSize]
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b) + "..."
}
