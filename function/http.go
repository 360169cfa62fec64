package function

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// excerptSize is how much of a failed HTTP function's body a failure quotes.
const excerptSize = 512

// newHTTPTransport returns the transport every HTTP function shares: connections
// kept alive and pooled per host, sized for a mapping's concurrency.
func newHTTPTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: 0, // the function's timeout bounds the whole call
	}
}

// httpFunction is a function that is an HTTP endpoint: the event is POSTed to it.
type httpFunction struct {
	url     string
	timeout time.Duration
	client  *http.Client
}

func (f *httpFunction) reserve(int) {}
func (f *httpFunction) close()      {}

func (f *httpFunction) invoke(ctx context.Context, requestID string, payload []byte) (*Result, error) {
	start := time.Now()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(payload))
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
