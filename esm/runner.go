package esm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mqtrigger/mqtrigger/filter"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/bufpool"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// runner runs one enabled mapping: it holds a broker connection and up to
// MaximumConcurrency workers.
type runner struct {
	e      *Supervisor
	m      *Mapping // as read when the runner was made; only the runner's goroutine writes it
	cfg    *Config  // &m.Config: what it runs, to notice changes
	log    *slog.Logger
	filter *filter.Set
	met    *mappingMetrics
	// clientID names the mapping's logical connection at the broker for the
	// runner's life, "mqtrigger:<mapping UUID>:<random>": kept across reconnects, so
	// with the pool's reused ConnectionId the broker replaces a stale connection of
	// the mapping's instead of keeping its consumers; new for each runner, so a
	// restarted mapping never collides with a predecessor the broker still knows.
	clientID string

	startMu  sync.Mutex
	stopping bool
	cancel   context.CancelFunc
	done     chan struct{}

	retry chan struct{} // wakes a runner waiting to retry
	// limit is how many workers may run: the mapping's MaximumConcurrency, or in
	// a cluster the slots this node holds (setLimit, shrink).
	limit   atomic.Int32
	resized chan struct{} // the session loop lowers its workers to limit
	// active counts the workers that have a consumer open or a batch in hand, up
	// to the moment their consumer is closed; exited wakes shrink.
	active    atomic.Int32
	exited    chan struct{}
	haltCtx   context.Context // invocations run under it; halt cancels it
	halt      context.CancelFunc
	workers   atomic.Int32
	lastSpawn atomic.Int64 // unix nanos
	spawn     chan struct{}
	// msgSize is the largest message (frame bytes) of the last batch: the prefetch
	// of the workers that follow is sized from it (worker.go, prefetchFor).
	msgSize atomic.Int64

	resultMu   sync.Mutex
	lastResult string
	lastReason string
}

func newRunner(e *Supervisor, m *Mapping, slots int) *runner {
	haltCtx, halt := context.WithCancel(context.Background())
	r := &runner{
		e:        e,
		m:        m,
		cfg:      &m.Config,
		log:      e.opts.Logger.With("mapping", m.UUID, "function", m.FunctionName, "queue", m.Queue()),
		met:      e.metrics.forMapping(m.UUID, m.FunctionName),
		clientID: consumerClientID(m.UUID),
		done:     make(chan struct{}),
		spawn:    make(chan struct{}, 1),
		retry:    make(chan struct{}, 1),
		resized:  make(chan struct{}, 1),
		exited:   make(chan struct{}, 1),
		haltCtx:  haltCtx,
		halt:     halt,
	}
	r.limit.Store(int32(min(slots, m.MaximumConcurrency())))
	return r
}

// setLimit sets how many workers may run; lowering it stops the newest workers
// beyond it once their batch is done (shrink waits for that).
func (r *runner) setLimit(n int) {
	n = min(n, r.cfg.MaximumConcurrency())
	if old := int(r.limit.Swap(int32(n))); n < old {
		r.resize()
	}
}

// resize asks the session loop to stop the workers beyond the limit.
func (r *runner) resize() {
	select {
	case r.resized <- struct{}{}:
	default:
	}
}

// shrink lowers the limit to n and returns once at most n workers have a consumer
// open: their in-flight batches are settled and what they prefetched is back with
// the broker, so another node may take the slots.
func (r *runner) shrink(n int) {
	r.setLimit(n)
	for int(r.active.Load()) > n && !r.stopped() {
		r.resize() // again: a worker that was leaving idle may have been counted
		select {
		case <-r.exited:
		case <-r.done:
		case <-time.After(time.Second): // belt and braces: look again
		}
	}
}

func (r *runner) maxWorkers() int { return int(r.limit.Load()) }

func (r *runner) start(parent context.Context) {
	r.startMu.Lock()
	defer r.startMu.Unlock()
	if r.stopping { // stopped before it started
		close(r.done)
		return
	}
	ctx, cancel := context.WithCancel(parent)
	r.cancel = cancel
	go func() {
		defer close(r.done)
		defer r.halt()
		r.run(ctx)
	}()
}

// stop ends the runner: workers finish the batch they are invoking, then close their
// consumers, which hands every unacknowledged message back to the broker.
func (r *runner) stop() {
	r.startMu.Lock()
	r.stopping = true
	cancel := r.cancel
	r.startMu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-r.done
}

func (r *runner) stopped() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// fault is an error that stops a mapping's consumers with one of Lambda's reasons.
type fault struct {
	reason string
	err    error
}

func (f *fault) Error() string { return f.err.Error() }
func (f *fault) Unwrap() error { return f.err }

// run connects, runs workers until the connection fails or the runner stops, and
// starts over with backoff.
func (r *runner) run(ctx context.Context) {
	delay := time.Second
	for ctx.Err() == nil {
		err := r.session(ctx)
		if ctx.Err() != nil {
			return
		}
		var f *fault
		wait := delay
		if errors.As(err, &f) {
			// Lambda stops the consumers on these; mqtrigger also retries slowly so the
			// mapping heals once the secret, broker user or function is fixed.
			r.record(f.reason, "PROBLEM: "+f.Error())
			r.log.Error("mapping stopped", "reason", f.reason, "err", err)
			wait = r.e.opts.RetryDelay
		} else if err != nil {
			r.record("", resultConnectionError+" "+err.Error())
			r.log.Warn("broker connection lost; reconnecting", "err", err, "retry_in", delay)
			delay = min(delay*2, r.e.opts.RetryDelay)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		case <-r.retry:
		}
	}
}

// retryNow ends the runner's wait before its next attempt, if it is waiting.
func (r *runner) retryNow() {
	select {
	case r.retry <- struct{}{}:
	default:
	}
}

// session runs the mapping on one broker connection until it fails.
func (r *runner) session(ctx context.Context) error {
	broker, ok := r.e.opts.Brokers(r.cfg.EventSourceArn)
	if !ok {
		return &fault{ReasonESMConfigNotValid, fmt.Errorf("broker %s is not configured", r.cfg.EventSourceArn)}
	}
	set, err := r.m.filters()
	if err != nil {
		return &fault{ReasonESMConfigNotValid, err}
	}
	r.filter = set
	secret := r.cfg.SecretARN()
	user, password, err := r.e.opts.Credentials.BasicAuth(ctx, secret)
	if err != nil {
		// The error names the secret already (see Credentials).
		return &fault{ReasonEventSourceAuthnError, err}
	}
	// A missing function stops the mapping before it takes any message, so no message
	// is redelivered (and eventually dead-lettered) for want of a function. A
	// function the API has just resolved is not looked up again for the first attempt.
	if r.m.resolved {
		r.m.resolved = false
	} else if _, err := r.e.opts.Functions.FunctionArn(ctx, r.cfg.FunctionName); err != nil {
		return &fault{ReasonFunctionConfigInvalid, fmt.Errorf("function %s: %w", r.cfg.FunctionName, err)}
	}
	r.e.opts.Functions.Reserve(r.cfg.FunctionName, r.cfg.MaximumConcurrency())

	lease, err := r.e.conns.acquire(ctx, broker, user, password)
	if err != nil {
		if errors.Is(err, openwire.ErrAuthentication) {
			return &fault{ReasonEventSourceAuthnError, fmt.Errorf("%w (the user comes from the BASIC_AUTH secret)", err)}
		}
		return err
	}
	defer r.e.conns.release(lease)
	// The mapping's consumers share the pooled socket but sit under a logical
	// connection of their own, so the broker (its console, JMX, advisories) shows the
	// mapping's UUID as their client ID.
	clientID := r.clientID
	var once sync.Once
	consuming := func() { // when the first consumer is subscribed
		once.Do(func() {
			r.log.Info("consuming", "broker", broker.Name, "client_id", clientID)
			// Subscribed: a fault an earlier attempt recorded is no longer true, and an
			// idle mapping has no batch to say so later.
			r.recordHealthy()
		})
	}

	policy := broker.Redelivery
	policy.MaximumRedeliveries = r.cfg.MaxRedeliveries()

	wctx, cancelWorkers := context.WithCancel(ctx)
	defer cancelWorkers()
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	// Only the session loop touches live: the workers' own cancels, newest
	// last, so a lower limit stops the newest.
	type running struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	var live []running
	prune := func() {
		live = slices.DeleteFunc(live, func(w running) bool {
			select {
			case <-w.done:
				return true
			default:
				return false
			}
		})
	}
	startWorker := func() {
		prune()
		r.workers.Add(1)
		r.active.Add(1)
		r.met.workers.Inc()
		r.lastSpawn.Store(time.Now().UnixNano())
		ctx, cancel := context.WithCancel(wctx)
		done := make(chan struct{})
		live = append(live, running{cancel, done})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { // last: the consumer is closed and the gauge says so
				close(done)
				r.active.Add(-1)
				select {
				case r.exited <- struct{}{}:
				default:
				}
			}()
			defer r.met.workers.Dec()
			defer cancel()
			w := &worker{r: r, conn: lease.conn, clientID: clientID, policy: policy, subscribed: consuming}
			err := w.run(ctx)
			if !w.left { // a worker that left idle already gave its slot back
				r.workers.Add(-1)
			}
			if err != nil && wctx.Err() == nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	startWorker()

	var result error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-lease.conn.Done():
			result = fmt.Errorf("connection to %s closed: %w", broker.Name, lease.conn.Err())
			break loop
		case err := <-errs:
			result = r.classify(err)
			break loop
		case <-r.spawn:
			if int(r.workers.Load()) < r.maxWorkers() {
				startWorker()
			}
		case <-r.resized:
			// workers counts neither the workers that left idle nor those about
			// to; the newest beyond the limit are stopped (again, if asked again).
			prune()
			excess := int(r.workers.Load()) - r.maxWorkers()
			for i := len(live) - 1; i >= 0 && excess > 0; i, excess = i-1, excess-1 {
				live[i].cancel()
			}
		}
	}
	cancelWorkers()
	wg.Wait()
	return result
}

// consumerClientID is a new client ID for a mapping's consumers:
// "mqtrigger:<mapping UUID>:<random>".
func consumerClientID(uuid string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "mqtrigger:" + uuid + ":" + hex.EncodeToString(b[:])
}

// classify maps a worker's error to a fault where Lambda names a reason.
func (r *runner) classify(err error) error {
	switch {
	case errors.Is(err, openwire.ErrAuthentication):
		return &fault{ReasonEventSourceAuthnError, err}
	case errors.Is(err, openwire.ErrAuthorization):
		return &fault{ReasonEventSourceAuthzError, fmt.Errorf("the broker user may not read queue %q (check the broker's authorization map): %w", r.cfg.Queue(), err)}
	case errors.Is(err, function.ErrFunctionNotFound), errors.Is(err, function.ErrFunctionConfig):
		return &fault{ReasonFunctionConfigInvalid, err}
	}
	return err
}

// wantMore asks for one more worker: the queue keeps full batches coming.
func (r *runner) wantMore() {
	if int(r.workers.Load()) >= r.maxWorkers() {
		return
	}
	// At most one new worker per 100 ms, so a burst does not open every slot at once.
	if time.Since(time.Unix(0, r.lastSpawn.Load())) < 100*time.Millisecond {
		return
	}
	select {
	case r.spawn <- struct{}{}:
	default:
	}
}

// mayLeave lets an idle worker go when others remain.
func (r *runner) mayLeave() bool {
	for {
		n := r.workers.Load()
		if n <= 1 {
			return false
		}
		if r.workers.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// record writes LastProcessingResult (and a reason, if given) when it changed.
func (r *runner) record(reason, result string) {
	r.resultMu.Lock()
	if r.lastResult == result && (reason == "" || r.lastReason == reason) {
		r.resultMu.Unlock()
		return
	}
	r.lastResult = result
	if reason != "" {
		r.lastReason = reason
	}
	r.resultMu.Unlock()
	r.e.report(r.m.UUID, reason, result)
}

// recordHealthy clears a stored fault or connection error once the mapping
// consumes again. It asks the store, not the runner's cache: a fault may have been
// recorded by an earlier runner (before a restart or an update).
func (r *runner) recordHealthy() {
	// Under resultMu, so no batch's result lands between the store's answer and the
	// cache. It runs in the first worker before its first batch, which is the only
	// one that waits.
	r.resultMu.Lock()
	defer r.resultMu.Unlock()
	reason, result, ok := r.e.clearFault(r.m.UUID)
	if ok {
		r.lastReason, r.lastResult = reason, result
	}
}

// invokeCapped invokes the function for a batch within MaxInvocationTime (Lambda's
// 14 minutes for MQ). Past the cap the invocation is abandoned and the batch fails
// as a function timeout does, so its messages are redelivered.
func (r *runner) invokeCapped(ctx context.Context, payload []byte) (*function.Result, error) {
	limit := r.e.opts.MaxInvocationTime
	ictx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var res *function.Result
	var err error
	if bi, ok := r.e.opts.Functions.(bufferInvoker); ok {
		res, err = bi.InvokeBuffer(ictx, r.cfg.FunctionName, payload, func() { bufpool.Put(payload) })
	} else {
		res, err = r.e.opts.Functions.Invoke(ictx, r.cfg.FunctionName, payload)
	}
	if r.haltCtx.Err() != nil && err == nil {
		// Fenced while the function ran: the batch is not this node's to settle.
		return nil, fmt.Errorf("invocation abandoned: %w", context.Canceled)
	}
	if err != nil && ctx.Err() == nil && errors.Is(ictx.Err(), context.DeadlineExceeded) {
		msg, _ := json.Marshal(map[string]string{
			"errorType":    "Sandbox.Timedout",
			"errorMessage": fmt.Sprintf("Task timed out after %.2f seconds (the %v limit on invocations from an event source mapping)", limit.Seconds(), limit),
		})
		return &function.Result{Payload: msg, FunctionError: "Unhandled"}, nil
	}
	return res, err
}
