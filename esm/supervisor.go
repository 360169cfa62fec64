package esm

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// Functions runs the functions mappings name; *function.Registry is one.
type Functions interface {
	// Invoke runs the function synchronously with payload. It returns an error only
	// when the function could not be run at all; one matching
	// function.ErrFunctionNotFound or function.ErrFunctionConfig stops the mapping
	// with FUNCTION_CONFIG_NOT_VALID.
	Invoke(ctx context.Context, name string, payload []byte) (*function.Result, error)
	// FunctionArn resolves a function, with an error matching
	// function.ErrFunctionNotFound when it does not exist: a runner checks this
	// before it takes any message.
	FunctionArn(ctx context.Context, name string) (string, error)
	// Reserve hints how many batches of the function may run at once (the
	// mapping's MaximumConcurrency), so environments can be kept warm.
	Reserve(name string, concurrency int)
}

// bufferInvoker is Functions that says when it is done with an event's buffer, so
// the buffer can be reused (internal/bufpool); *function.Registry is one.
type bufferInvoker interface {
	InvokeBuffer(ctx context.Context, name string, payload []byte, released func()) (*function.Result, error)
}

// Credentials reads a BASIC_AUTH secret; *secrets.Manager is one. Its errors name
// the secret, as the mapping's LastProcessingResult shows them.
type Credentials interface {
	BasicAuth(ctx context.Context, secretARN string) (username, password string, err error)
}

// Broker is what the supervisor needs to reach one configured broker.
type Broker struct {
	ARN        string
	Name       string
	URL        string // tcp://, ssl:// or failover:(...)
	TLS        *tls.Config
	Redelivery openwire.RedeliveryPolicy // delays; MaximumRedeliveries comes from each mapping
}

// Assigner shares each mapping's concurrency slots with the other nodes of a
// cluster (package cluster implements it on the PostgreSQL store). Without one,
// the node runs every slot of every enabled mapping.
type Assigner interface {
	// Assign brings this node's slots of m toward its share and returns how many
	// it holds. Before it gives any back it calls shrink(keep), which returns once
	// the mapping runs at most keep workers here (0: none).
	Assign(ctx context.Context, m *Mapping, shrink func(keep int)) (int, error)
	// Release gives back every slot this node holds of the mapping, whose
	// consumers here have stopped, and reports whether other nodes still hold
	// some: a mapping is Disabled, or deleted, once no node does.
	Release(ctx context.Context, uuid string) (othersHold bool, err error)
}

// Options configure a Supervisor. Store, Credentials, Functions and Brokers are
// required.
type Options struct {
	Store       Store
	Credentials Credentials
	Functions   Functions
	Brokers     func(arn string) (Broker, bool)
	Registerer  prometheus.Registerer // nil: metrics are not registered
	Logger      *slog.Logger
	// Assigner, when set, says how many of each mapping's slots this node runs.
	Assigner Assigner

	// ResyncInterval is how often the whole store is compared with what runs, so that
	// changes made by another node, or missed notifications, are picked up. Default 10s.
	ResyncInterval time.Duration
	// IdleTimeout is how long an extra worker waits for a message before it leaves.
	// Default 10s.
	IdleTimeout time.Duration
	// RetryDelay bounds the backoff between attempts to reach a broker. Default 30s.
	RetryDelay time.Duration
	// MaxInvocationTime caps one invocation from a mapping, whatever the function's
	// own timeout: Lambda's 14 minutes for MQ event sources (DefaultMaxInvocationTime).
	// A capped invocation fails its batch as a timed-out function does.
	MaxInvocationTime time.Duration
}

// DefaultMaxInvocationTime is Lambda's limit on one invocation from an Amazon MQ
// event source mapping: 14 minutes, below the 15 a function may be configured with.
const DefaultMaxInvocationTime = 14 * time.Minute

// Supervisor keeps the running consumers equal to the stored mappings.
type Supervisor struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	conns   *connPool
	notify  chan *Mapping
	resyncs chan struct{}

	mu      sync.Mutex
	fenced  bool // Fence: no runner starts until Unfence
	runners map[string]*runner
	locks   map[string]*sync.Mutex // one reconcile at a time per mapping
	ctx     context.Context        // set by Run; runners live under it
	wg      sync.WaitGroup         // reconcile goroutines
}

// NewSupervisor returns a Supervisor; Run starts it.
func NewSupervisor(opts Options) *Supervisor {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ResyncInterval <= 0 {
		opts.ResyncInterval = 10 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Second
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 30 * time.Second
	}
	if opts.MaxInvocationTime <= 0 {
		opts.MaxInvocationTime = DefaultMaxInvocationTime
	}
	m := newMetrics(opts.Registerer)
	return &Supervisor{
		opts:    opts,
		log:     opts.Logger.With("component", "esm"),
		metrics: m,
		conns:   newConnPool(opts.Logger, m),
		notify:  make(chan *Mapping, 1024),
		resyncs: make(chan struct{}, 1),
		runners: make(map[string]*runner),
		locks:   make(map[string]*sync.Mutex),
	}
}

// Notify asks the supervisor to look at one mapping now, after the API wrote m. It
// never blocks; a dropped notification is caught by the next resync. While m is the
// stored version, the runner uses what the API prepared in it (compiled filters,
// the resolved function) instead of doing that work again.
func (e *Supervisor) Notify(m *Mapping) {
	select {
	case e.notify <- m:
	default:
	}
}

// MappingChanged asks the supervisor to look at a mapping another node wrote, or
// whose slots were freed. It never blocks.
func (e *Supervisor) MappingChanged(uuid string) { e.Notify(&Mapping{UUID: uuid}) }

// Resync asks for a comparison of every stored mapping with what runs, soon. It
// never blocks.
func (e *Supervisor) Resync() {
	select {
	case e.resyncs <- struct{}{}:
	default:
	}
}

// Fence stops every mapping's consumers at once, abandoning the invocations in
// flight (their messages go back to the broker), and starts none until Unfence:
// the node's cluster lease can no longer be trusted, so its slots may soon be
// another node's. It returns once every consumer is stopped.
func (e *Supervisor) Fence() {
	e.mu.Lock()
	e.fenced = true
	list := make([]*runner, 0, len(e.runners))
	for uuid, r := range e.runners {
		list = append(list, r)
		delete(e.runners, uuid)
	}
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range list {
		wg.Add(1)
		go func() { defer wg.Done(); r.halt(); r.stop() }()
	}
	wg.Wait()
}

// Unfence lets mappings run again after Fence, and resyncs.
func (e *Supervisor) Unfence() {
	e.mu.Lock()
	e.fenced = false
	e.mu.Unlock()
	e.Resync()
}

// SecretChanged tells the supervisor a secret's value changed: mappings using it that
// wait to retry after refused credentials try again now instead of after
// RetryDelay.
func (e *Supervisor) SecretChanged(arn string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.runners {
		if r.cfg.SecretARN() == arn {
			r.retryNow()
		}
	}
}

// FunctionChanged tells the supervisor a function was created or changed: mappings
// of it that wait to retry after it was missing or could not run try again now
// instead of after RetryDelay. name is the plain name; a mapping's FunctionName may
// be an ARN or carry a version or alias (fn:live), which follow the same function.
func (e *Supervisor) FunctionChanged(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.runners {
		if n, err := function.ParseName(r.cfg.FunctionName); err == nil && n.Name == name {
			r.retryNow()
		}
	}
}

// Run supervises mappings until ctx is cancelled, then stops every mapping's
// consumers: in-flight batches finish, unacknowledged messages go back to the broker.
func (e *Supervisor) Run(ctx context.Context) error {
	e.mu.Lock()
	e.ctx = ctx
	e.mu.Unlock()

	e.resync(ctx)
	tick := time.NewTicker(e.opts.ResyncInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			e.wg.Wait()
			e.stopAll()
			e.conns.closeAll()
			return nil
		case m := <-e.notify:
			e.reconcileAsync(ctx, m.UUID, m)
		case <-tick.C:
			e.resync(ctx)
		case <-e.resyncs:
			e.resync(ctx)
		}
	}
}

func (e *Supervisor) resync(ctx context.Context) {
	seen := make(map[string]bool)
	marker := ""
	for {
		page, err := e.opts.Store.ListMappings(ctx, ListFilter{Marker: marker, Limit: 500})
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("listing mappings failed; will retry", "err", err)
			}
			return
		}
		for _, m := range page {
			seen[m.UUID] = true
			e.reconcileAsync(ctx, m.UUID, nil)
		}
		if len(page) < 500 {
			break
		}
		marker = page[len(page)-1].UUID
	}
	// Runners whose mapping is gone (deleted elsewhere).
	e.mu.Lock()
	var gone []string
	for uuid := range e.runners {
		if !seen[uuid] {
			gone = append(gone, uuid)
		}
	}
	e.mu.Unlock()
	for _, uuid := range gone {
		e.reconcileAsync(ctx, uuid, nil)
	}
}

func (e *Supervisor) reconcileAsync(ctx context.Context, uuid string, hint *Mapping) {
	e.mu.Lock()
	l, ok := e.locks[uuid]
	if !ok {
		l = new(sync.Mutex)
		e.locks[uuid] = l
	}
	e.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if !l.TryLock() {
			// A reconcile of this mapping is under way; it reads the store after
			// taking the lock, so ask again once it is done.
			l.Lock()
		}
		defer l.Unlock()
		if ctx.Err() != nil {
			return
		}
		// Bounded, so a database that stopped answering does not hold the
		// mapping's lock for ever.
		rctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
		defer cancel()
		e.reconcile(rctx, uuid, hint)
	}()
}

// reconcileTimeout bounds one reconcile's calls to the store.
const reconcileTimeout = 30 * time.Second

// reconcile brings one mapping's consumers in line with its stored state and moves
// transitional states on. hint is the mapping as the API wrote it, or nil.
func (e *Supervisor) reconcile(ctx context.Context, uuid string, hint *Mapping) {
	m, err := e.opts.Store.GetMapping(ctx, uuid)
	if errors.Is(err, ErrNotFound) {
		e.stopRunner(uuid)
		return
	}
	if err != nil {
		e.log.Error("reading mapping failed; will retry", "mapping", uuid, "err", err)
		return
	}
	if hint != nil && hint.Version == m.Version {
		m.filter, m.resolved = hint.filter, hint.resolved
	}

	switch m.State {
	case StateDeleting:
		e.stopRunner(uuid)
		if !e.released(ctx, uuid) {
			return // another node still runs it; the last one to stop deletes it
		}
		if err := e.opts.Store.DeleteMapping(ctx, uuid); err != nil && !errors.Is(err, ErrNotFound) {
			e.log.Error("deleting mapping failed; will retry", "mapping", uuid, "err", err)
			return
		}
		e.mu.Lock()
		delete(e.locks, uuid)
		e.mu.Unlock()
		e.metrics.forget(uuid)
		e.log.Info("mapping deleted", "mapping", uuid)
	case StateDisabling, StateDisabled:
		e.stopRunner(uuid)
		if m.State != StateDisabled && e.released(ctx, uuid) {
			e.setState(ctx, uuid, StateDisabled, ReasonUserInitiated, "")
			e.logSettled(m, StateDisabled)
		}
	default: // Creating, Enabling, Updating, Enabled
		if !m.Enabled {
			e.stopRunner(uuid)
			if e.released(ctx, uuid) {
				e.setState(ctx, uuid, StateDisabled, ReasonUserInitiated, "")
				e.logSettled(m, StateDisabled)
			}
			return
		}
		slots := m.MaximumConcurrency()
		if a := e.opts.Assigner; a != nil {
			n, err := a.Assign(ctx, m, func(keep int) { e.shrinkRunner(uuid, keep) })
			if err != nil {
				// What runs stays as it is (shrink has already run if slots were
				// given back); the next notification or resync tries again.
				e.log.Error("assigning the mapping's slots failed; will retry", "mapping", uuid, "err", err)
				return
			}
			slots = n
		}
		var fresh *runner
		if slots == 0 {
			e.stopRunner(uuid) // other nodes run it
		} else {
			fresh = e.replaceRunner(m, slots)
		}
		// The state is recorded before the new runner starts, so a fault the runner
		// reports (a refused password, a missing function) is not overwritten.
		if m.State != StateEnabled {
			e.setState(ctx, uuid, StateEnabled, ReasonUserInitiated, "")
			e.logSettled(m, StateEnabled)
		}
		if fresh != nil {
			e.mu.Lock()
			parent := e.ctx
			e.mu.Unlock()
			if parent == nil {
				parent = ctx
			}
			fresh.start(parent)
		}
	}
}

// released gives back this node's slots of a mapping it stopped and reports
// whether no node runs it any more (always, without an Assigner).
func (e *Supervisor) released(ctx context.Context, uuid string) bool {
	a := e.opts.Assigner
	if a == nil {
		return true
	}
	others, err := a.Release(ctx, uuid)
	if err != nil {
		e.log.Error("giving back the mapping's slots failed; will retry", "mapping", uuid, "err", err)
		return false
	}
	return !others
}

// shrinkRunner brings a mapping's workers on this node down to keep, and returns
// once they are.
func (e *Supervisor) shrinkRunner(uuid string, keep int) {
	if keep <= 0 {
		e.stopRunner(uuid)
		return
	}
	e.mu.Lock()
	r := e.runners[uuid]
	e.mu.Unlock()
	if r != nil {
		r.shrink(keep)
	}
}

// logSettled writes the engine log's one line for a user's change of a mapping,
// once the supervisor has carried it out.
func (e *Supervisor) logSettled(m *Mapping, to string) {
	what := map[string]string{StateCreating: "created", StateEnabling: "enabled", StateUpdating: "updated", StateDisabling: "disabled"}[m.State]
	if what == "" {
		what = map[string]string{StateEnabled: "enabled", StateDisabled: "disabled"}[to]
	}
	e.log.Info("mapping "+what, "mapping", m.UUID, "function", m.FunctionName, "queue", m.Queue(), "state", to)
}

// replaceRunner returns a new, not yet started runner for the mapping with slots
// workers at most, or nil when the node is fenced or the running one already runs
// this Config (its limit becomes slots) (a change of tags or state alone
// restarts nothing). A runner being replaced finishes its in-flight batches first,
// and what it had not acknowledged goes back to the broker: nothing is lost.
func (e *Supervisor) replaceRunner(m *Mapping, slots int) *runner {
	e.mu.Lock()
	if e.fenced {
		e.mu.Unlock()
		return nil
	}
	old := e.runners[m.UUID]
	if old != nil && reflect.DeepEqual(old.cfg, &m.Config) && !old.stopped() {
		e.mu.Unlock()
		old.setLimit(slots)
		return nil
	}
	e.mu.Unlock()
	if old != nil {
		old.stop()
		// Stopped, the old runner no longer touches its mapping: its compiled
		// filters serve the new one when the patterns did not change.
		if m.filter == nil && reflect.DeepEqual(old.m.FilterCriteria, m.FilterCriteria) {
			m.filter = old.m.filter
		}
	}
	r := newRunner(e, m, slots)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fenced {
		return nil
	}
	e.runners[m.UUID] = r
	return r
}

func (e *Supervisor) stopRunner(uuid string) {
	e.mu.Lock()
	r := e.runners[uuid]
	delete(e.runners, uuid)
	e.mu.Unlock()
	if r != nil {
		r.stop()
	}
}

func (e *Supervisor) stopAll() {
	e.mu.Lock()
	list := make([]*runner, 0, len(e.runners))
	for uuid, r := range e.runners {
		list = append(list, r)
		delete(e.runners, uuid)
	}
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range list {
		wg.Add(1)
		go func() { defer wg.Done(); r.stop() }()
	}
	wg.Wait()
}

// setState writes State (unless empty), StateTransitionReason and, unless empty,
// LastProcessingResult, retrying when another writer got there first. It never
// overwrites a state the API set after the supervisor last read it (a newer Updating,
// Disabling or Deleting wins), since that change brings its own reconcile.
func (e *Supervisor) setState(ctx context.Context, uuid, state, reason, result string) {
	for attempt := 0; attempt < 10; attempt++ {
		rec, err := e.opts.Store.GetMapping(ctx, uuid)
		if err != nil {
			return
		}
		if state != "" && !settles(rec.State, state) {
			return
		}
		changed := false
		if state != "" && rec.State != state {
			rec.State, changed = state, true
		}
		if reason != "" && rec.StateTransitionReason != reason {
			rec.StateTransitionReason, changed = reason, true
		}
		if result != "" && rec.LastProcessingResult != result {
			rec.LastProcessingResult, changed = result, true
		}
		if !changed {
			return
		}
		if state != "" {
			rec.LastModified = time.Now()
		}
		err = e.opts.Store.UpdateMapping(ctx, rec)
		if err == nil || !errors.Is(err, ErrConflict) {
			if err != nil && ctx.Err() == nil {
				e.log.Error("recording mapping state failed", "mapping", uuid, "err", err)
			}
			return
		}
	}
}

// faulty tells whether a stored reason and result describe a fault that a mapping
// consuming again disproves: a stopping reason or a lost connection. A failed
// function call stays true until the next batch says otherwise.
func faulty(reason, result string) bool {
	return (reason != "" && reason != ReasonUserInitiated) || strings.HasPrefix(result, resultConnectionError)
}

// clearFault records OK for a mapping whose stored state shows a fault (see faulty)
// and returns the reason and result now stored; ok is false if the store could not
// be read.
func (e *Supervisor) clearFault(uuid string) (reason, result string, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for attempt := 0; attempt < 10; attempt++ {
		rec, err := e.opts.Store.GetMapping(ctx, uuid)
		if err != nil {
			return "", "", false
		}
		if !faulty(rec.StateTransitionReason, rec.LastProcessingResult) {
			return rec.StateTransitionReason, rec.LastProcessingResult, true
		}
		rec.StateTransitionReason, rec.LastProcessingResult = ReasonUserInitiated, ResultOK
		err = e.opts.Store.UpdateMapping(ctx, rec)
		if err == nil {
			return rec.StateTransitionReason, rec.LastProcessingResult, true
		}
		if !errors.Is(err, ErrConflict) {
			e.log.Error("recording mapping state failed", "mapping", uuid, "err", err)
			return "", "", false
		}
	}
	return "", "", false
}

// report records a running mapping's processing result or fault, without changing
// its State.
func (e *Supervisor) report(uuid, reason, result string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.setState(ctx, uuid, "", reason, result)
}
