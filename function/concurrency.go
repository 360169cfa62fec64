package function

import (
	"context"
	"sync"
)

// Reserved concurrency: a cap on a function's invocations in flight on this node,
// across its versions, aliases, mappings and Invoke calls. (Lambda's reserve is
// also a floor taken from the account's pool; a node has no such pool.)

// maxReservedConcurrency is Lambda's default account limit, the most a function may
// reserve.
const maxReservedConcurrency = 1000

// limiter counts a function's invocations in flight against its reserve.
type limiter struct {
	mu       sync.Mutex
	limit    int
	inflight int
	free     chan struct{} // closed and replaced when a slot frees
}

// limit returns the function's limiter; nil when it reserves nothing.
func (r *Registry) limit(name string) *limiter {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.limits[name]
}

// setLimit applies a function's reserve as stored.
func (r *Registry) setLimit(name string, reserved *int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.limits[name]
	switch {
	case reserved == nil && l != nil:
		delete(r.limits, name)
		l.setLimit(-1)
	case reserved == nil:
	case l == nil:
		r.limits[name] = &limiter{limit: *reserved, free: make(chan struct{})}
	default:
		l.setLimit(*reserved)
	}
}

func (l *limiter) setLimit(n int) {
	l.mu.Lock()
	l.limit = n
	close(l.free) // waiters look again
	l.free = make(chan struct{})
	l.mu.Unlock()
}

// acquire takes a slot; with wait it waits for one unless the reserve is 0, else it
// answers ErrThrottled at once. A nil limiter has no cap.
func (l *limiter) acquire(ctx context.Context, wait bool) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	for {
		l.mu.Lock()
		if l.limit < 0 || l.inflight < l.limit {
			l.inflight++
			l.mu.Unlock()
			return l.release, nil
		}
		if !wait || l.limit == 0 {
			l.mu.Unlock()
			return nil, ErrThrottled
		}
		free := l.free
		l.mu.Unlock()
		select {
		case <-free:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (l *limiter) release() {
	l.mu.Lock()
	l.inflight--
	close(l.free)
	l.free = make(chan struct{})
	l.mu.Unlock()
}

// PutConcurrency sets a function's reserved concurrency (0 throttles every
// invocation); nil removes it. It does not change the function's revision.
func (r *Registry) PutConcurrency(ctx context.Context, functionName string, reserved *int) error {
	name, err := r.latest(functionName)
	if err != nil {
		return err
	}
	if reserved != nil && (*reserved < 0 || *reserved > maxReservedConcurrency) {
		if *reserved < 0 {
			return &ValidationError{Field: "reservedConcurrentExecutions", Value: *reserved, Constraint: "Member must have value greater than or equal to 0"}
		}
		return invalidParameter("ReservedConcurrentExecutions", "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].")
	}
	err = r.editConfig(ctx, name, func(c *storedConfig) error {
		c.ReservedConcurrency = reserved
		return nil
	})
	if err != nil {
		return err
	}
	r.setLimit(name, reserved)
	return nil
}

// Concurrency returns a function's reserved concurrency; nil when none.
func (r *Registry) Concurrency(ctx context.Context, functionName string) (*int, error) {
	c, err := r.Get(ctx, functionName)
	if err != nil {
		return nil, err
	}
	return c.ReservedConcurrency, nil
}
