package esm

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"reflect"
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

// Credentials reads a BASIC_AUTH secret; *secrets.Manager is one.
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

// Options configure a Supervisor. Store, Credentials, Functions and Brokers are
// required.
type Options struct {
	Store       Store
	Credentials Credentials
	Functions   Functions
	Brokers     func(arn string) (Broker, bool)
	Registerer  prometheus.Registerer // nil: metrics are not registered
	Logger      *slog.Logger

	// ResyncInterval is how often the whole store is compared with what runs, so that
	// changes made by another node, or missed notifications, are picked up. Default 10s.
	ResyncInterval time.Duration
	// IdleTimeout is how long an extra worker waits for a message before it leaves.
	// Default 10s.
	IdleTimeout time.Duration
	// RetryDelay bounds the backoff between attempts to reach a broker. Default 30s.
	RetryDelay time.Duration
}

// Supervisor keeps the running consumers equal to the stored mappings.
type Supervisor struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	conns   *connPool
	notify  chan *Mapping

	mu      sync.Mutex
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
	m := newMetrics(opts.Registerer)
	return &Supervisor{
		opts:    opts,
		log:     opts.Logger.With("component", "esm"),
		metrics: m,
		conns:   newConnPool(opts.Logger, m),
		notify:  make(chan *Mapping, 1024),
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
		e.reconcile(ctx, uuid, hint)
	}()
}

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
		if m.State != StateDisabled {
			e.setState(ctx, uuid, StateDisabled, ReasonUserInitiated, "")
		}
	default: // Creating, Enabling, Updating, Enabled
		if !m.Enabled {
			e.stopRunner(uuid)
			e.setState(ctx, uuid, StateDisabled, ReasonUserInitiated, "")
			return
		}
		fresh := e.replaceRunner(m)
		// The state is recorded before the new runner starts, so a fault the runner
		// reports (a refused password, a missing function) is not overwritten.
		if m.State != StateEnabled {
			e.setState(ctx, uuid, StateEnabled, ReasonUserInitiated, "")
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

// replaceRunner returns a new, not yet started runner for the mapping, or nil when
// the running one already runs this Config (a change of tags or state alone
// restarts nothing). A runner being replaced finishes its in-flight batches first,
// and what it had not acknowledged goes back to the broker: nothing is lost.
func (e *Supervisor) replaceRunner(m *Mapping) *runner {
	e.mu.Lock()
	old := e.runners[m.UUID]
	if old != nil && reflect.DeepEqual(old.cfg, &m.Config) && !old.stopped() {
		e.mu.Unlock()
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
	r := newRunner(e, m)
	e.mu.Lock()
	e.runners[m.UUID] = r
	e.mu.Unlock()
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

// report records a running mapping's processing result or fault, without changing
// its State.
func (e *Supervisor) report(uuid, reason, result string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.setState(ctx, uuid, "", reason, result)
}
