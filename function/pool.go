package function

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// maxEnvironments bounds one function's environments when no larger concurrency
// was reserved; callers beyond it wait for a free environment.
const maxEnvironments = 64

var errPoolClosed = errors.New("function was replaced or deleted while the invocation waited")

// pool runs one function's execution environments: started on demand, one
// invocation each at a time, reused warm, replaced when they die, reaped when idle.
type pool struct {
	host *runtimeHost
	cfg  *envConfig

	mu       sync.Mutex
	idle     []*environment // least recently used first
	all      map[*environment]struct{}
	total    int // environments counted against max, including ones starting
	keepWarm int
	waiters  []chan *environment // a nil environment is a slot to start one
	closed   bool
	drained  func() // run once when closed and empty
}

func newPool(host *runtimeHost, cfg *envConfig, drained func()) *pool {
	return &pool{host: host, cfg: cfg, all: make(map[*environment]struct{}), drained: drained}
}

func (p *pool) reserve(n int) {
	p.mu.Lock()
	p.keepWarm = max(n, 0)
	p.mu.Unlock()
}

func (p *pool) maxLocked() int { return max(maxEnvironments, p.keepWarm) }

func (p *pool) invoke(ctx context.Context, requestID string, payload []byte, use *payloadUse) (*Result, error) {
	start := time.Now()
	inv := &invocation{id: requestID, payload: payload, use: use, traceID: newTraceID(start), done: make(chan runResult, 1)}
	for attempt := 0; ; attempt++ {
		env, err := p.acquire(ctx)
		if err != nil {
			var se *startError
			if errors.As(err, &se) {
				return failure(requestID, start, "Runtime.InvalidEntrypoint",
					fmt.Sprintf("RequestId: %s Error: %v", requestID, se.err)), nil
			}
			return nil, err
		}
		res, err := env.invoke(ctx, inv, env.served == 0, start)
		env.served++
		env.lastUsed = time.Now()
		p.release(env)
		if errors.Is(err, errNotDelivered) {
			// A warm environment died between invocations (for instance a runtime that
			// exits after reporting a panic): the event never reached it, so a fresh
			// environment takes it.
			if attempt < 3 {
				continue
			}
			return env.crashFailure(requestID, start), nil
		}
		return res, err
	}
}

type startError struct{ err error }

func (e *startError) Error() string { return e.err.Error() }

// acquire returns an environment for this caller alone.
func (p *pool) acquire(ctx context.Context) (*environment, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errPoolClosed
	}
	for len(p.idle) > 0 {
		env := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if env.dead() {
			p.forgetLocked(env)
			p.total--
			continue
		}
		p.mu.Unlock()
		return env, nil
	}
	if p.total < p.maxLocked() {
		p.total++
		p.mu.Unlock()
		return p.start()
	}
	ch := make(chan *environment, 1)
	p.waiters = append(p.waiters, ch)
	p.mu.Unlock()
	select {
	case env, ok := <-ch:
		if !ok {
			return nil, errPoolClosed
		}
		if env == nil {
			return p.start()
		}
		return env, nil
	case <-ctx.Done():
		p.mu.Lock()
		for i, w := range p.waiters {
			if w == ch {
				p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
				p.mu.Unlock()
				return nil, ctx.Err()
			}
		}
		p.mu.Unlock()
		// Something was handed over meanwhile: pass it on.
		if env, ok := <-ch; ok {
			if env == nil {
				p.mu.Lock()
				p.freeSlotLocked()
				p.mu.Unlock()
			} else {
				p.release(env)
			}
		}
		return nil, ctx.Err()
	}
}

// start starts an environment in a slot already counted in total.
func (p *pool) start() (*environment, error) {
	env, err := startEnvironment(p.host, p.cfg)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.freeSlotLocked()
		return nil, &startError{err}
	}
	if p.closed {
		env.kill()
		p.freeSlotLocked()
		return nil, errPoolClosed
	}
	p.all[env] = struct{}{}
	return env, nil
}

// release gives back an environment: to a waiter, to the idle list, or, if it died
// or the pool closed, to the reaper.
func (p *pool) release(env *environment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if env.dead() || p.closed {
		env.kill()
		p.forgetLocked(env)
		p.freeSlotLocked()
		return
	}
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		w <- env
		return
	}
	p.idle = append(p.idle, env)
}

func (p *pool) forgetLocked(env *environment) { delete(p.all, env) }

// freeSlotLocked gives a freed slot to a waiter, or returns it.
func (p *pool) freeSlotLocked() {
	if len(p.waiters) > 0 && !p.closed {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		w <- nil
		return
	}
	p.total--
	if p.closed && p.total == 0 && p.drained != nil {
		d := p.drained
		p.drained = nil
		d()
	}
}

// reap stops environments idle since before cutoff, keeping the keepWarm most
// recently used ones.
func (p *pool) reap(cutoff time.Time) {
	p.mu.Lock()
	var victims []*environment
	keep := p.idle[:0]
	for i, env := range p.idle {
		stale := env.dead() || (env.lastUsed.Before(cutoff) && len(p.idle)-i > p.keepWarm)
		if stale {
			victims = append(victims, env)
			p.forgetLocked(env)
			p.freeSlotLocked()
		} else {
			keep = append(keep, env)
		}
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	p.mu.Unlock()
	for _, env := range victims {
		env.kill()
	}
}

// close stops the pool: idle environments at once, busy ones when their invocation
// ends.
func (p *pool) close() { p.shutdown(false) }

// shutdown stops the pool. Idle environments stop at once; busy ones when their
// invocation ends, or at once if now is set. With now, shutdown waits for the
// processes to exit.
func (p *pool) shutdown(now bool) {
	p.mu.Lock()
	p.closed = true
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
	idle := p.idle
	p.idle = nil
	for _, env := range idle {
		p.forgetLocked(env)
		p.freeSlotLocked()
	}
	var busy []*environment
	if now {
		for env := range p.all {
			busy = append(busy, env)
		}
	}
	if p.total == 0 && p.drained != nil {
		d := p.drained
		p.drained = nil
		d()
	}
	p.mu.Unlock()
	for _, env := range append(idle, busy...) {
		env.kill()
	}
	if now {
		for _, env := range append(idle, busy...) {
			select {
			case <-env.exited:
			case <-time.After(5 * time.Second):
			}
		}
	}
}

// dead says the environment's process is gone or going.
func (e *environment) dead() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.killed || e.isExited()
}

// newRequestID returns a random UUID (version 4) for an invocation.
func newRequestID() string {
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	var s [36]byte
	j := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hex[x>>4], hex[x&0xf]
		j += 2
	}
	return string(s[:])
}

// newTraceID returns an X-Ray trace header like Lambda's.
func newTraceID(t time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%08x%016x;Parent=%016x;Sampled=0", t.Unix(), rand.Uint32(), rand.Uint64(), rand.Uint64())
}
