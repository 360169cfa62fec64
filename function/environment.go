package function

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// initTimeout bounds a new environment's init phase, as Lambda's 10 s init limit.
const initTimeout = 10 * time.Second

// envConfig is what every environment of one function shares.
type envConfig struct {
	name    string
	arn     string
	path    string   // the bootstrap or command
	args    []string // the command's arguments
	dir     string   // working directory: LAMBDA_TASK_ROOT for a zip
	env     []string // the process environment, except AWS_LAMBDA_RUNTIME_API
	timeout time.Duration
	log     *slog.Logger
	version string        // $LATEST or a published version's number
	memory  int           // MB, for REPORT lines
	logging LoggingConfig // LogFormat JSON: Lambda's JSON log lines
}

// invocation is one event on its way to a runtime and back.
type invocation struct {
	id      string
	payload []byte
	use     *payloadUse // held by the /next answer that writes payload
	traceID string
	done    chan runResult // buffered: the runtime's answer
}

// runResult is what a runtime posted: its response, or an error payload.
type runResult struct {
	payload   []byte
	errorType string // "" for /response
}

// environment is one execution environment: one process that speaks the Runtime
// API and runs one invocation at a time.
type environment struct {
	cfg  *envConfig
	host *runtimeHost
	ln   net.Listener
	cmd  *exec.Cmd

	next   chan *invocation // unbuffered: a send completes when /next takes the event
	exited chan struct{}    // closed once the process is gone
	// exitErr is the process's exit error; read only after exited is closed.
	exitErr error

	mu      sync.Mutex
	current *invocation // delivered and not answered
	initErr []byte      // posted to /init/error
	killed  bool

	reqID atomic.Pointer[string]  // for log lines
	tail  atomic.Pointer[logTail] // the invocation's log, when its caller wants the end

	// Owned by the pool: touched only by whoever holds the environment.
	served   int
	lastUsed time.Time
}

var errNotDelivered = errors.New("execution environment exited before taking the event")

// startEnvironment starts a process for cfg and returns at once; the process
// initialises while the first event waits for its /next.
func startEnvironment(host *runtimeHost, cfg *envConfig) (*environment, error) {
	e := &environment{
		cfg:    cfg,
		host:   host,
		next:   make(chan *invocation),
		exited: make(chan struct{}),
	}
	ln, err := host.listen(e)
	if err != nil {
		return nil, fmt.Errorf("function %s: listen for the Runtime API: %w", cfg.name, err)
	}
	e.ln = ln
	cmd := exec.Command(cfg.path, cfg.args...)
	cmd.Dir = cfg.dir
	cmd.Env = append(cfg.env[:len(cfg.env):len(cfg.env)], "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	cmd.Stdout = &lineLogger{env: e, stream: "stdout"}
	cmd.Stderr = &lineLogger{env: e, stream: "stderr"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so a kill reaches its children too
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		host.unlisten(ln)
		return nil, err
	}
	e.cmd = cmd
	cfg.log.Debug("execution environment started", "function", cfg.name, "pid", cmd.Process.Pid)
	go e.wait()
	return e, nil
}

func (e *environment) wait() {
	err := e.cmd.Wait()
	e.exitErr = err
	e.host.unlisten(e.ln)
	e.mu.Lock()
	killed := e.killed
	e.mu.Unlock()
	if !killed {
		e.cfg.log.Info("execution environment exited", "function", e.cfg.name, "pid", e.cmd.Process.Pid, "exit", exitText(err))
	}
	close(e.exited)
}

// kill stops the process and its children; the wait goroutine then cleans up.
func (e *environment) kill() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.killed || e.isExited() {
		return
	}
	e.killed = true
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
}

func (e *environment) isExited() bool {
	select {
	case <-e.exited:
		return true
	default:
		return false
	}
}

// invoke hands inv to the runtime and waits for its answer. It returns
// errNotDelivered if the process exited before taking the event and ctx's error if
// ctx ended; any other outcome is a Result. fresh says the process has not yet
// finished its init phase.
func (e *environment) invoke(ctx context.Context, inv *invocation, fresh bool, start time.Time) (*Result, error) {
	wait := e.cfg.timeout
	if fresh {
		wait = initTimeout
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	inv.use.hold() // for serveNext, which may write payload after a timeout here
	select {
	case e.next <- inv:
	case <-e.exited:
		inv.use.release()
		if fresh {
			return e.initFailure(inv.id, start), nil
		}
		return nil, errNotDelivered
	case <-t.C:
		inv.use.release()
		e.kill()
		if fresh {
			return failure(inv.id, start, "Runtime.InitTimeout",
				fmt.Sprintf("RequestId: %s Error: Runtime failed to initialize within %.2f seconds", inv.id, initTimeout.Seconds())), nil
		}
		return e.timedOut(inv.id, start), nil
	case <-ctx.Done():
		inv.use.release()
		return nil, ctx.Err()
	}
	e.reqID.Store(&inv.id)
	if lt := tailFrom(ctx); lt != nil {
		e.tail.Store(lt)
		defer e.tail.Store(nil)
		lt.platformStart(e.cfg, inv.id)
	}
	t.Reset(e.cfg.timeout)
	res, err := e.await(ctx, inv, t, start)
	if lt := tailFrom(ctx); lt != nil && res != nil {
		lt.settle()
		lt.platformEnd(e.cfg, inv.id, res)
	}
	return res, err
}

// await waits for the answer to an event the runtime took.
func (e *environment) await(ctx context.Context, inv *invocation, t *time.Timer, start time.Time) (*Result, error) {
	select {
	case rr := <-inv.done:
		return e.result(inv.id, start, rr), nil
	case <-e.exited:
		select {
		case rr := <-inv.done:
			return e.result(inv.id, start, rr), nil
		default:
		}
		return e.crashFailure(inv.id, start), nil
	case <-t.C:
		e.kill()
		return e.timedOut(inv.id, start), nil
	case <-ctx.Done():
		e.kill() // the runtime is busy with an event nobody waits for
		return nil, ctx.Err()
	}
}

func (e *environment) result(id string, start time.Time, rr runResult) *Result {
	res := &Result{Payload: rr.payload, Duration: time.Since(start), RequestID: id}
	if rr.errorType != "" {
		res.FunctionError = unhandled
	}
	return res
}

func (e *environment) timedOut(id string, start time.Time) *Result {
	return failure(id, start, "Sandbox.Timedout",
		fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, e.cfg.timeout.Seconds()))
}

// initFailure is the Result of a process that failed before taking its first event.
func (e *environment) initFailure(id string, start time.Time) *Result {
	e.mu.Lock()
	initErr := e.initErr
	e.mu.Unlock()
	if initErr != nil {
		return &Result{Payload: initErr, FunctionError: unhandled, Duration: time.Since(start), RequestID: id}
	}
	return e.crashFailure(id, start)
}

func (e *environment) crashFailure(id string, start time.Time) *Result {
	return failure(id, start, "Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: %s", id, exitText(e.exitErr)))
}

// exitText says why a runtime exited, in Lambda's words.
func exitText(err error) string {
	if err == nil {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + err.Error()
}

// serveNext answers GET /runtime/invocation/next with the next event.
func (e *environment) serveNext(w http.ResponseWriter, r *http.Request) {
	var inv *invocation
	select {
	case inv = <-e.next:
	case <-r.Context().Done():
		return
	}
	e.mu.Lock()
	e.current = inv
	e.mu.Unlock()
	deadline := time.Now().Add(e.cfg.timeout).UnixMilli()
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(inv.payload))}
	h["Lambda-Runtime-Aws-Request-Id"] = []string{inv.id}
	h["Lambda-Runtime-Deadline-Ms"] = []string{strconv.FormatInt(deadline, 10)}
	h["Lambda-Runtime-Invoked-Function-Arn"] = []string{e.cfg.arn}
	h["Lambda-Runtime-Trace-Id"] = []string{inv.traceID}
	w.WriteHeader(http.StatusOK)
	w.Write(inv.payload)
	inv.use.release()
}

// serveResult answers POST /runtime/invocation/{id}/response and /error.
func (e *environment) serveResult(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	body, tooLarge, err := readBody(r, maxResponseSize)
	var rr runResult
	switch {
	case err != nil:
		rr = runResult{errorPayload("Runtime.TruncatedResponse", "reading the function's response: "+err.Error()), "Runtime.TruncatedResponse"}
	case tooLarge:
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponseSize)
		rr = runResult{errorPayload("Function.ResponseSizeTooLarge", msg), "Function.ResponseSizeTooLarge"}
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		// A streamed response that failed midway says so in trailers.
		typ := r.Trailer.Get("Lambda-Runtime-Function-Error-Type")
		payload, derr := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
		if derr != nil || !json.Valid(payload) {
			payload = errorPayload(typ, "the function failed while sending its response")
		}
		rr = runResult{payload, typ}
	case isError:
		rr = errorResult(r.Header.Get("Lambda-Runtime-Function-Error-Type"), body)
	default:
		rr = runResult{payload: body}
	}

	e.mu.Lock()
	inv := e.current
	if inv == nil || inv.id != id {
		e.mu.Unlock()
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation "+id+" is in progress in this environment")
		return
	}
	e.current = nil
	// done has room for one answer; it is filled before the runtime hears 202, so
	// that a runtime exiting right after (as after a panic) never hides its answer.
	inv.done <- rr
	e.mu.Unlock()

	if tooLarge {
		runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", maxResponseSize))
		return
	}
	writeAccepted(w)
	// Flush now rather than when the handler returns: the runtime asks for its
	// next event as soon as it has this answer.
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// errorResult makes the payload of an /error or /init/error post: the runtime's own
// JSON object when it sent one, else one built from what it sent.
func errorResult(typ string, body []byte) runResult {
	if typ == "" {
		typ = "Runtime.Unknown"
	}
	if len(body) > 0 && body[0] == '{' && json.Valid(body) {
		return runResult{body, typ}
	}
	msg := string(bytes.TrimSpace(body))
	if msg == "" {
		msg = "the function reported an error without a message"
	}
	return runResult{errorPayload(typ, msg), typ}
}

// serveInitError answers POST /runtime/init/error; the environment is then
// discarded, as Lambda does.
func (e *environment) serveInitError(w http.ResponseWriter, r *http.Request) {
	body, _, _ := readBody(r, maxResponseSize)
	rr := errorResult(r.Header.Get("Lambda-Runtime-Function-Error-Type"), body)
	e.mu.Lock()
	e.initErr = rr.payload
	e.mu.Unlock()
	e.cfg.log.Warn("function failed to initialise", "function", e.cfg.name, "error", string(rr.payload))
	writeAccepted(w)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	e.kill()
}

// lineLogger logs a process's output a line at a time, tagged with the function and
// the request in progress.
type lineLogger struct {
	env    *environment
	stream string
	buf    []byte
}

const maxLogLine = 64 * 1024

func (l *lineLogger) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.buf = append(l.buf, p...)
			if len(l.buf) >= maxLogLine {
				l.emit(l.buf)
				l.buf = l.buf[:0]
			}
			break
		}
		if len(l.buf) > 0 {
			l.buf = append(l.buf, p[:i]...)
			l.emit(l.buf)
			l.buf = l.buf[:0]
		} else {
			l.emit(p[:i])
		}
		p = p[i+1:]
	}
	return n, nil
}

func (l *lineLogger) emit(line []byte) {
	line = bytes.TrimRight(line, "\r")
	id := ""
	if p := l.env.reqID.Load(); p != nil {
		id = *p
	}
	line, keep := formatLine(l.env.cfg.logging, line, id, time.Now())
	if !keep {
		return // below the function's ApplicationLogLevel
	}
	if lt := l.env.tail.Load(); lt != nil {
		lt.add(line)
	}
	l.env.cfg.log.LogAttrs(context.Background(), slog.LevelInfo, string(line),
		slog.String("function", l.env.cfg.name), slog.String("requestId", id), slog.String("stream", l.stream))
}
