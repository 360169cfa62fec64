package function

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"
)

// Errors Registry.Invoke returns when it cannot invoke a function at all.
var (
	ErrFunctionNotFound = errors.New("function not found")
	ErrFunctionConfig   = errors.New("function configuration is invalid")
)

// Result is the outcome of one invocation that reached the function.
type Result struct {
	// Payload is the function's response body, or the error payload
	// {"errorMessage","errorType"} when FunctionError is set.
	Payload []byte
	// FunctionError is "" on success and "Unhandled" when the function failed, as
	// Lambda's X-Amz-Function-Error header says.
	FunctionError string
	Duration      time.Duration
	RequestID     string
	// ExecutedVersion is the version that ran: $LATEST or a number.
	ExecutedVersion string
	// Log is the end of the invocation's log (at most 4 KB), when asked for.
	Log []byte
}

// Failed reports whether the function ran and failed.
func (r *Result) Failed() bool { return r.FunctionError != "" }

// Invoker invokes functions by name; *Registry is one.
type Invoker interface {
	Invoke(ctx context.Context, name string, payload []byte) (*Result, error)
}

// unhandled is the FunctionError of every failure, as on Lambda's current runtimes.
const unhandled = "Unhandled"

// backend is one kind of function: Runtime API environments, an HTTP endpoint or a
// remote Lambda function.
type backend interface {
	// invoke runs one invocation. It returns an error only when the invocation could
	// not start (the context ended first); a failure of the function is a Result.
	// Whatever it starts that may read payload after it returns holds use until done.
	invoke(ctx context.Context, requestID string, payload []byte, use *payloadUse) (*Result, error)
	// reserve hints how many environments to keep warm.
	reserve(n int)
	// close stops the backend; invocations in flight finish first where they can.
	close()
}

// errorPayload is the error body Lambda returns for a failed invocation.
func errorPayload(errorType, message string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{message, errorType})
	return b
}

// failure builds the Result of a failed invocation.
func failure(requestID string, start time.Time, errorType, message string) *Result {
	return &Result{
		Payload:       errorPayload(errorType, message),
		FunctionError: unhandled,
		Duration:      time.Since(start),
		RequestID:     requestID,
	}
}

// payloadUse counts what still reads an invocation's payload, so that the caller
// of Registry.InvokeBuffer learns when it may reuse the buffer: the invocation
// holds it while it runs, and so does anything it starts that can outlive it (a
// request body net/http is still writing, an event still going to a runtime that
// timed out). The last release calls back. A nil *payloadUse tracks nothing.
type payloadUse struct {
	n        atomic.Int32
	released func()
}

func newPayloadUse(released func()) *payloadUse {
	if released == nil {
		return nil
	}
	u := &payloadUse{released: released}
	u.n.Store(1)
	return u
}

func (u *payloadUse) hold() {
	if u != nil {
		u.n.Add(1)
	}
}

func (u *payloadUse) release() {
	if u != nil && u.n.Add(-1) == 0 {
		u.released()
	}
}
