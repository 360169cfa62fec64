package engine

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/mapping"
	"github.com/mqtrigger/mqtrigger/openwire"
	"github.com/mqtrigger/mqtrigger/store"
)

// Invoker runs functions by name; *function.Registry is one.
type Invoker interface {
	Invoke(ctx context.Context, name string, payload []byte) (*function.Result, error)
}

// Credentials reads a BASIC_AUTH secret; *secrets.Manager is one.
type Credentials interface {
	BasicAuth(ctx context.Context, secretARN string) (username, password string, err error)
}

// Broker is what the engine needs to reach one configured broker.
type Broker struct {
	ARN        string
	Name       string
	URL        string // tcp://, ssl:// or failover:(...)
	TLS        *tls.Config
	Redelivery openwire.RedeliveryPolicy // delays; MaximumRedeliveries comes from each mapping
}

// Options configure an Engine.
type Options struct {
	Store       store.Store
	Credentials Credentials
	Functions   Invoker
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

// Engine keeps the running consumers equal to the stored mappings.
type Engine struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	conns   *connPool
	notify  chan string

	mu      sync.Mutex
	runners map[string]*runner
	locks   map[string]*sync.Mutex // one reconcile at a time per mapping
	ctx     context.Context        // set by Run; runners live under it
	wg      sync.WaitGroup         // reconcile goroutines
}

// New returns an Engine; Run starts it.
func New(opts Options) *Engine {
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
	return &Engine{
		opts:    opts,
		log:     opts.Logger.With("component", "engine"),
		metrics: m,
		conns:   newConnPool(opts.Logger, m),
		notify:  make(chan string, 1024),
		runners: make(map[string]*runner),
		locks:   make(map[string]*sync.Mutex),
	}
}

// Notify asks the engine to look at one mapping now, after the API changed it. It
// never blocks; a dropped notification is caught by the next resync.
func (e *Engine) Notify(uuid string) {
	select {
	case e.notify <- uuid:
	default:
	}
}

// SecretChanged tells the engine a secret's value changed: mappings using it that
// wait to retry after refused credentials try again now instead of after
// RetryDelay.
func (e *Engine) SecretChanged(arn string) {
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
func (e *Engine) Run(ctx context.Context) error {
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
		case uuid := <-e.notify:
			e.reconcileAsync(ctx, uuid)
		case <-tick.C:
			e.resync(ctx)
		}
	}
}

func (e *Engine) resync(ctx context.Context) {
	seen := make(map[string]bool)
	marker := ""
	for {
		page, err := e.opts.Store.ListMappings(ctx, store.MappingFilter{Marker: marker, Limit: 500})
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("listing mappings failed; will retry", "err", err)
			}
			return
		}
		for _, m := range page {
			seen[m.UUID] = true
			e.reconcileAsync(ctx, m.UUID)
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
		e.reconcileAsync(ctx, uuid)
	}
}

func (e *Engine) reconcileAsync(ctx context.Context, uuid string) {
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
		e.reconcile(ctx, uuid)
	}()
}

// reconcile brings one mapping's consumers in line with its stored state and moves
// transitional states on.
func (e *Engine) reconcile(ctx context.Context, uuid string) {
	rec, err := e.opts.Store.GetMapping(ctx, uuid)
	if errors.Is(err, store.ErrNotFound) {
		e.stopRunner(uuid)
		return
	}
	if err != nil {
		e.log.Error("reading mapping failed; will retry", "mapping", uuid, "err", err)
		return
	}
	var cfg mapping.Config
	if err := json.Unmarshal(rec.Config, &cfg); err != nil {
		e.stopRunner(uuid)
		e.setState(ctx, uuid, "", mapping.ReasonESMConfigNotValid, "PROBLEM: stored configuration cannot be read: "+err.Error())
		return
	}
	cfg.UUID = uuid

	switch rec.State {
	case mapping.StateDeleting:
		e.stopRunner(uuid)
		if err := e.opts.Store.DeleteMapping(ctx, uuid); err != nil && !errors.Is(err, store.ErrNotFound) {
			e.log.Error("deleting mapping failed; will retry", "mapping", uuid, "err", err)
			return
		}
		e.mu.Lock()
		delete(e.locks, uuid)
		e.mu.Unlock()
		e.metrics.forget(uuid)
		e.log.Info("mapping deleted", "mapping", uuid)
	case mapping.StateDisabling, mapping.StateDisabled:
		e.stopRunner(uuid)
		if rec.State != mapping.StateDisabled {
			e.setState(ctx, uuid, mapping.StateDisabled, mapping.ReasonUserInitiated, "")
		}
	default: // Creating, Enabling, Updating, Enabled
		if !cfg.Enabled {
			e.stopRunner(uuid)
			e.setState(ctx, uuid, mapping.StateDisabled, mapping.ReasonUserInitiated, "")
			return
		}
		fresh := e.replaceRunner(&cfg, runKey(cfg))
		// The state is recorded before the new runner starts, so a fault the runner
		// reports (a refused password, a missing function) is not overwritten.
		if rec.State != mapping.StateEnabled {
			e.setState(ctx, uuid, mapping.StateEnabled, mapping.ReasonUserInitiated, "")
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

// runKey is the configuration as a runner uses it: a change of tags alone does not
// restart the mapping's consumers.
func runKey(cfg mapping.Config) []byte {
	cfg.Tags = nil
	b, _ := json.Marshal(cfg)
	return b
}

// replaceRunner returns a new, not yet started runner for the mapping, or nil when
// the running one already has this configuration. A runner being replaced finishes
// its in-flight batches first, and what it had not acknowledged goes back to the
// broker: nothing is lost.
func (e *Engine) replaceRunner(cfg *mapping.Config, raw []byte) *runner {
	e.mu.Lock()
	old := e.runners[cfg.UUID]
	if old != nil && string(old.raw) == string(raw) && !old.stopped() {
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()
	if old != nil {
		old.stop()
	}
	r := newRunner(e, cfg, raw)
	e.mu.Lock()
	e.runners[cfg.UUID] = r
	e.mu.Unlock()
	return r
}

func (e *Engine) stopRunner(uuid string) {
	e.mu.Lock()
	r := e.runners[uuid]
	delete(e.runners, uuid)
	e.mu.Unlock()
	if r != nil {
		r.stop()
	}
}

func (e *Engine) stopAll() {
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
// overwrites a state the API set after the engine last read it (a newer Updating,
// Disabling or Deleting wins), since that change brings its own reconcile.
func (e *Engine) setState(ctx context.Context, uuid, state, reason, result string) {
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
		if err == nil || !errors.Is(err, store.ErrConflict) {
			if err != nil && ctx.Err() == nil {
				e.log.Error("recording mapping state failed", "mapping", uuid, "err", err)
			}
			return
		}
	}
}

// settles tells whether the engine may move a mapping from state from to state to.
func settles(from, to string) bool {
	switch to {
	case mapping.StateEnabled:
		return from == mapping.StateCreating || from == mapping.StateEnabling || from == mapping.StateUpdating || from == mapping.StateEnabled
	case mapping.StateDisabled:
		return from != mapping.StateDeleting
	}
	return false
}

// report records a running mapping's processing result or fault, without changing
// its State.
func (e *Engine) report(uuid, reason, result string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.setState(ctx, uuid, "", reason, result)
}
