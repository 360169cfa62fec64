package esm

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mqtrigger/mqtrigger/openwire"
)

// connPool shares broker connections: mappings on the same broker with the same
// credentials use one connection, each worker with its own session, so thousands of
// mappings do not exhaust a broker's connection limit.
type connPool struct {
	log     *slog.Logger
	metrics *metrics
	mu      sync.Mutex
	conns   map[connKey]*pooledConn
	// lastID is the ConnectionId of each key's last connection. A redial after the
	// connection was lost uses it again, so the broker replaces the stale copy it may
	// still hold (a half-open link) at once instead of keeping its consumers, and
	// their prefetched messages, until its own inactivity check drops it.
	lastID map[connKey]string
}

type connKey struct {
	broker string
	user   string
	secret [32]byte // hash of the password: a changed secret gets a new connection
}

type pooledConn struct {
	ready chan struct{} // closed once dialing finished
	conn  *openwire.Conn
	err   error
	refs  int
}

// lease is one runner's use of a pooled connection.
type lease struct {
	key  connKey
	pc   *pooledConn
	conn *openwire.Conn
}

func newConnPool(log *slog.Logger, m *metrics) *connPool {
	return &connPool{log: log.With("component", "connections"), metrics: m, conns: make(map[connKey]*pooledConn),
		lastID: make(map[connKey]string)}
}

func (p *connPool) acquire(ctx context.Context, b Broker, user, password string) (*lease, error) {
	key := connKey{broker: b.ARN, user: user, secret: sha256.Sum256([]byte(password))}
	for {
		p.mu.Lock()
		pc := p.conns[key]
		// pc.conn is written by the dialing goroutine before it closes ready: read it
		// only after that.
		if pc != nil && isClosed(pc.ready) && pc.conn != nil && isDone(pc.conn) {
			delete(p.conns, key)
			pc = nil
		}
		if pc == nil {
			pc = &pooledConn{ready: make(chan struct{})}
			p.conns[key] = pc
			pc.refs++
			p.mu.Unlock()
			pc.conn, pc.err = p.dial(ctx, key, b, user, password)
			close(pc.ready)
			if pc.err != nil {
				p.mu.Lock()
				if p.conns[key] == pc {
					delete(p.conns, key)
				}
				p.mu.Unlock()
				return nil, pc.err
			}
			return &lease{key: key, pc: pc, conn: pc.conn}, nil
		}
		pc.refs++
		p.mu.Unlock()
		select {
		case <-pc.ready:
		case <-ctx.Done():
			p.drop(key, pc)
			return nil, ctx.Err()
		}
		if pc.err != nil {
			p.drop(key, pc)
			continue // the dial this waited on failed; try once more on our own
		}
		return &lease{key: key, pc: pc, conn: pc.conn}, nil
	}
}

// dial connects for key. It is called with no connection of key's in the pool, so
// the ConnectionId it reuses belongs to no live connection.
func (p *connPool) dial(ctx context.Context, key connKey, b Broker, user, password string) (*openwire.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	up := p.metrics.connectionUp.WithLabelValues(b.Name)
	p.mu.Lock()
	id := p.lastID[key]
	p.mu.Unlock()
	conn, err := openwire.Dial(dctx, b.URL, openwire.Config{
		User:         user,
		Password:     password,
		TLSConfig:    b.TLS,
		ConnectionID: id,
		Logger:       p.log,
		OnReconnect: func(err error) {
			p.log.Warn("broker connection failed over", "broker", b.Name, "err", err)
			p.metrics.reconnects.WithLabelValues(b.Name).Inc()
		},
		// The broker keeps the connection; the transaction concerned becomes
		// rollback-only, and its worker sees that at its commit.
		OnAsyncError: func(err error) {
			p.log.Warn("broker reported a failed command; the connection stays", "broker", b.Name, "err", err)
			p.metrics.asyncErrors.WithLabelValues(b.Name).Inc()
		},
	})
	if err != nil {
		up.Set(0)
		return nil, fmt.Errorf("connecting to broker %s: %w", b.Name, err)
	}
	p.mu.Lock()
	p.lastID[key] = conn.ConnectionID()
	p.mu.Unlock()
	up.Set(1)
	p.log.Info("connected to broker", "broker", b.Name, "user", user)
	return conn, nil
}

func (p *connPool) release(l *lease) { p.drop(l.key, l.pc) }

// drop gives back one reference; the last one closes the connection.
func (p *connPool) drop(key connKey, pc *pooledConn) {
	p.mu.Lock()
	pc.refs--
	last := pc.refs == 0
	if last && p.conns[key] == pc {
		delete(p.conns, key)
	}
	if last && pc.conn != nil && !isDone(pc.conn) {
		// Closed by us, not lost: the broker forgets the ID, and a redial must not
		// race the close with it.
		delete(p.lastID, key)
	}
	p.mu.Unlock()
	if last && pc.conn != nil {
		_ = pc.conn.Close()
	}
}

func (p *connPool) closeAll() {
	p.mu.Lock()
	list := p.conns
	p.conns = make(map[connKey]*pooledConn)
	p.mu.Unlock()
	for _, pc := range list {
		<-pc.ready
		if pc.conn != nil {
			_ = pc.conn.Close()
		}
	}
}

func isDone(c *openwire.Conn) bool { return isClosed(c.Done()) }

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
