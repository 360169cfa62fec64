package openwire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a connection. The zero value works for an unauthenticated broker.
type Config struct {
	User, Password string
	// ClientID is the JMS client ID. Default: the ConnectionID.
	ClientID string
	// ConnectionID is the OpenWire ConnectionId of this Conn's connection at the
	// broker; logical connections (NewSessionAs) get IDs derived from it and
	// their client ID. Default: unique per Dial ("ID:<host>-<random>-1:1").
	// Every reconnect of the Conn presents the same IDs, so the broker, which
	// keys connections by ConnectionId, replaces a stale connection it still
	// holds for a lost link at once ("Killing previous stale connection") rather
	// than refusing its client ID as already connected. A caller that redials
	// after a Conn is gone (no failover, or failover gave up) gets the same
	// benefit by passing the old Conn's ConnectionID here. Never give two live
	// Conns the same ConnectionID: each would take the other's place.
	ConnectionID string
	// TLSConfig is used for ssl:// URLs (nil: system roots, server name from the URL).
	TLSConfig *tls.Config
	// MaxFrameSize bounds frames in both directions (default 64 MiB) and
	// decompressed bodies. A larger message from the broker is read as far as its
	// id, the rest discarded, and dead-lettered with a cause matching
	// ErrFrameTooLarge; the connection stays. Any other larger frame ends the
	// connection with ErrFrameTooLarge, even under failover (it would only be
	// sent again). It is enforced by this client, not told to the broker: a
	// broker that knew it would refuse to send a larger message at all (with
	// tight encoding it checks before writing) and drop the connection instead.
	MaxFrameSize int
	// MaxInactivityDuration: the broker must send something this often (it sends
	// KeepAliveInfo every third of it) and so does this client. 0 means 30s, < 0 disables.
	MaxInactivityDuration time.Duration
	// DialTimeout bounds each TCP/TLS connect plus handshake (default 10s).
	DialTimeout time.Duration
	// OnReconnect is called after the transport was lost (err) and a failover
	// reconnect succeeded. It runs on the connection's goroutine and must not block.
	OnReconnect func(err error)
	// OnAsyncError is called with an error matching *BrokerError when the broker
	// reports, with a ConnectionError, that a command sent without waiting for a
	// response failed (an acknowledgement it cannot match, a send the user may
	// not make). The connection stays open; the open transactions the error
	// concerns are rollback-only (their Commit returns ErrRollbackOnly). It runs
	// on the connection's goroutine and must not block.
	OnAsyncError func(err error)
	// Logger gets connection events (default slog.Default()). Passwords are never logged.
	Logger *slog.Logger
}

const (
	defaultMaxFrameSize = 64 << 20
	defaultInactivity   = 30 * time.Second
	defaultDialTimeout  = 10 * time.Second
)

// Validate reports settings that cannot work.
func (cfg *Config) Validate() error {
	switch {
	case cfg.MaxFrameSize < 0:
		return fmt.Errorf("openwire: MaxFrameSize %d: must be >= 0 (0 means 64 MiB)", cfg.MaxFrameSize)
	case cfg.MaxFrameSize > 0 && cfg.MaxFrameSize < 1024:
		return fmt.Errorf("openwire: MaxFrameSize %d: must be at least 1024 bytes", cfg.MaxFrameSize)
	case cfg.DialTimeout < 0:
		return fmt.Errorf("openwire: DialTimeout %v: must be >= 0 (0 means 10s)", cfg.DialTimeout)
	case cfg.MaxInactivityDuration > 0 && cfg.MaxInactivityDuration < 30*time.Millisecond:
		return fmt.Errorf("openwire: MaxInactivityDuration %v: too short (use >= 1s, or < 0 to disable)", cfg.MaxInactivityDuration)
	}
	return nil
}

func (cfg *Config) withDefaults() Config {
	c := *cfg
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = defaultMaxFrameSize
	}
	if c.MaxInactivityDuration == 0 {
		c.MaxInactivityDuration = defaultInactivity
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = defaultDialTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Conn is a connection to a broker (or, with a failover: URL, to one of several).
// It is safe for concurrent use.
type Conn struct {
	cfg       Config
	log       *slog.Logger
	endpoints []endpoint
	fo        *failoverOptions
	connID    string // see Config.ConnectionID
	linkSeq   atomic.Int64
	next      atomic.Int64 // session, consumer, producer and transaction numbers

	mu       sync.Mutex
	link     *link
	linkUp   chan struct{} // closed while link != nil
	gen      uint64        // incremented whenever a link is lost
	sessions map[int64]*Session
	closed   bool
	err      error
	closing  chan struct{}
	done     chan struct{}
	doneOnce sync.Once
	wg       sync.WaitGroup // the reconnect goroutine

	cmu       sync.RWMutex
	consumers map[int64]*Consumer

	// clientRefs counts the sessions of each logical connection (NewSessionAs);
	// clientMu orders opening and removing them.
	clientMu   sync.Mutex
	clientRefs map[string]int
}

// Dial connects to url (tcp://host:port, ssl://host:port or
// failover:(uri,...)?options, checked as ParseURL does), negotiates the wire
// format and logs in.
func Dial(ctx context.Context, url string, cfg Config) (*Conn, error) {
	eps, fo, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Conn{
		cfg: cfg, log: cfg.Logger.With("broker", endpointList(eps)), endpoints: eps, fo: fo,
		connID: cfg.ConnectionID, sessions: map[int64]*Session{}, clientRefs: map[string]int{}, consumers: map[int64]*Consumer{},
		closing: make(chan struct{}), done: make(chan struct{}), linkUp: make(chan struct{}),
	}
	if c.connID == "" {
		c.connID = newIDPrefix() + "-1:1"
	}
	if fo != nil && fo.randomize {
		shuffle(c.endpoints)
	}
	l, err := c.dialStartup(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.link = l
	close(c.linkUp)
	c.mu.Unlock()
	if err := l.lostEarly(); err != nil {
		if c.fo == nil {
			c.Close()
			return nil, err
		}
		c.linkLost(l, err) // it died before it was installed: reconnect now
	}
	return c, nil
}

func (c *Conn) dialStartup(ctx context.Context) (*link, error) {
	if c.fo == nil {
		return c.connect(ctx, c.endpoints[0])
	}
	var last error
	// startupMaxReconnectAttempts counts passes over the list after the first, as in Java.
	for pass := 0; ; pass++ {
		if c.fo.startupMaxAttempts >= 0 && pass > c.fo.startupMaxAttempts {
			return nil, fmt.Errorf("openwire: failover gave up after %d passes over %d endpoints: %w", pass, len(c.endpoints), last)
		}
		if pass > 0 {
			t := time.NewTimer(c.fo.delay(pass))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("openwire: connecting: %w (last error: %v)", ctx.Err(), last)
			case <-t.C:
			}
		}
		for _, ep := range c.endpoints {
			l, err := c.connect(ctx, ep)
			if err == nil {
				return l, nil
			}
			last = err
			if errors.Is(err, ErrAuthentication) {
				return nil, err // retrying will not fix credentials
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("openwire: connecting: %w (last error: %v)", ctx.Err(), last)
			}
			c.log.Info("openwire: connect failed, retrying", "endpoint", ep.String(), "pass", pass+1, "err", err)
		}
	}
}

func newIDPrefix() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "ID:" + host + "-" + hex.EncodeToString(b[:])
}

// endpointList names the brokers for logs (never with credentials a URL might carry).
func endpointList(eps []endpoint) string {
	names := make([]string, len(eps))
	for i, ep := range eps {
		names[i] = ep.String()
	}
	return strings.Join(names, ",")
}

func shuffle(eps []endpoint) {
	for i := len(eps) - 1; i > 0; i-- {
		var b [8]byte
		_, _ = rand.Read(b[:])
		j := int(binary.BigEndian.Uint64(b[:]) % uint64(i+1))
		eps[i], eps[j] = eps[j], eps[i]
	}
}

// current returns the link messages of generation gen must use; it waits
// while a failover reconnect is in progress.
func (c *Conn) current(ctx context.Context, gen uint64, anyGen bool) (*link, uint64, error) {
	for {
		c.mu.Lock()
		if c.closed {
			err := c.err
			c.mu.Unlock()
			if err == nil || err == ErrClosed {
				return nil, 0, ErrClosed
			}
			return nil, 0, fmt.Errorf("%w: %w", ErrClosed, err)
		}
		if !anyGen && gen != c.gen {
			c.mu.Unlock()
			return nil, 0, ErrStale
		}
		if l := c.link; l != nil {
			g := c.gen
			c.mu.Unlock()
			return l, g, nil
		}
		up := c.linkUp
		c.mu.Unlock()
		select {
		case <-up:
		case <-c.done:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
}

// ConnectionID is the ConnectionId this Conn presents to the broker (see
// Config.ConnectionID).
func (c *Conn) ConnectionID() string { return c.connID }

// Done is closed when the connection is permanently gone (closed, or failed
// without failover, or failover gave up). It is not closed during a reconnect.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err says why the connection is gone (nil while it is usable).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close removes the connection at the broker and closes the socket. Unacknowledged
// messages go back to the broker. Safe to call more than once.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	l := c.link
	c.mu.Unlock()
	if l != nil {
		// Consumers first, each naming the last message it delivered: removing
		// the connection alone makes the broker count every message it had
		// dispatched, prefetched ones too, as redelivered.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		for _, s := range c.sortedSessions() {
			_ = s.Close(ctx)
		}
		cancel()
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.err = ErrClosed
	close(c.closing)
	l = c.link
	c.link = nil
	c.mu.Unlock()
	if l != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = l.request(ctx, func(e *encoder, id int32) {
			e.removeInfo(id, func(e *encoder) { e.connectionID(l.connID) }, -1)
		})
		cancel()
		_ = l.write(func(e *encoder) { e.shutdownInfo(l.cmdID.Add(1)) })
		l.close(ErrClosed)
		l.wg.Wait()
	}
	c.wg.Wait()
	c.finish()
	return nil
}

// fail ends the connection permanently with err.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.err = err
	close(c.closing)
	c.mu.Unlock()
	c.log.Warn("openwire: connection failed", "err", err)
	c.finish()
}

func (c *Conn) finish() {
	c.doneOnce.Do(func() {
		c.resetConsumers()
		close(c.done)
	})
}

func (c *Conn) consumer(id int64) *Consumer {
	c.cmu.RLock()
	k := c.consumers[id]
	c.cmu.RUnlock()
	return k
}

func (c *Conn) sortedSessions() []*Session {
	c.mu.Lock()
	list := make([]*Session, 0, len(c.sessions))
	for _, s := range c.sessions {
		list = append(list, s)
	}
	c.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	return list
}

// linkNow returns the live link of generation gen, or nil. It never waits.
func (c *Conn) linkNow(gen uint64) *link {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.gen != gen {
		return nil
	}
	return c.link
}

func (c *Conn) currentGen() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}
