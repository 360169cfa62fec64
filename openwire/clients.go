package openwire

import (
	"context"
	"fmt"
	"sync"
)

// A broker keeps any number of logical connections on one socket, each with its own
// ConnectionInfo, client ID and sessions (ActiveMQ's TransportConnection registers
// every ConnectionInfo it is sent). NewSessionAs uses that so that many consumers can
// share one socket, and so one slot of the broker's connection limit, while each still
// shows up at the broker under a client ID of its own.

// NewSessionAs opens a session under the logical connection whose client ID is
// clientID, on this connection's socket. The logical connection is opened with the
// first such session (with this Conn's user and password), removed at the broker
// when its last session closes, and re-created by a failover reconnect. As for any
// connection, the broker refuses a client ID that another connection is using (a
// *BrokerError for javax.jms.InvalidClientIDException); ActiveMQ then also closes
// the socket two seconds later (AMQ-6561: it does so for any refused
// ConnectionInfo), which this Conn handles as any lost transport. So pick client IDs
// no one else uses. An empty clientID is NewSession.
func (c *Conn) NewSessionAs(ctx context.Context, clientID string, transacted bool) (*Session, error) {
	if clientID == "" {
		return c.NewSession(ctx, transacted)
	}
	l, _, err := c.current(ctx, 0, true)
	if err != nil {
		return nil, err
	}
	c.clientMu.Lock()
	c.clientRefs[clientID]++
	_, err = l.logicalConnection(ctx, clientID)
	c.clientMu.Unlock()
	if err != nil {
		c.releaseClient(ctx, clientID)
		return nil, fmt.Errorf("openwire: opening connection for client ID %q: %w", clientID, err)
	}
	s, err := c.newSession(ctx, l, clientID, transacted)
	if err != nil {
		c.releaseClient(ctx, clientID)
		return nil, err
	}
	return s, nil
}

// releaseClient drops one session's hold on clientID's logical connection and removes
// the connection at the broker once no session holds it.
func (c *Conn) releaseClient(ctx context.Context, clientID string) {
	c.clientMu.Lock()
	defer c.clientMu.Unlock()
	c.clientRefs[clientID]--
	if c.clientRefs[clientID] > 0 {
		return
	}
	delete(c.clientRefs, clientID)
	c.mu.Lock()
	l := c.link
	c.mu.Unlock()
	if l == nil {
		return // no link: a reconnect re-creates only what sessions still use
	}
	connID, ok := l.lookup(clientID)
	if ok {
		l.set(clientID, "")
		_ = l.request(ctx, func(e *encoder, id int32) {
			e.removeInfo(id, func(e *encoder) { e.connectionID(connID) }, -1)
		})
	}
}

// logicalConnections is a link's logical connections beside its own. mu is held
// only for map accesses, never across I/O: frames are built under the link's write
// lock and look connection IDs up. Opening and removing are ordered by Conn.clientMu
// (or happen on a link that is not yet installed, during a failover restore).
type logicalConnections struct {
	mu      sync.RWMutex
	logical map[string]string // client ID → connection ID
}

// logicalID is the ConnectionId of clientID's logical connection: the same on
// every link of the Conn (and for a redial with the same Config.ConnectionID),
// so a reconnect replaces the broker's stale copy instead of colliding with it.
func (c *Conn) logicalID(clientID string) string {
	return c.connID + "-" + clientID
}

func (lc *logicalConnections) lookup(clientID string) (string, bool) {
	lc.mu.RLock()
	defer lc.mu.RUnlock()
	id, ok := lc.logical[clientID]
	return id, ok
}

// set records clientID's connection ID, or removes it when connID is "".
func (lc *logicalConnections) set(clientID, connID string) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if connID == "" {
		delete(lc.logical, clientID)
		return
	}
	if lc.logical == nil {
		lc.logical = map[string]string{}
	}
	lc.logical[clientID] = connID
}

// logicalConnection returns the connection ID of clientID's logical connection on
// this link, opening it if need be.
func (l *link) logicalConnection(ctx context.Context, clientID string) (string, error) {
	if id, ok := l.lookup(clientID); ok {
		return id, nil
	}
	c := l.c
	connID := c.logicalID(clientID)
	err := l.request(ctx, func(e *encoder, id int32) {
		e.connectionInfo(id, connectionInfo{connID: connID, clientID: clientID, password: c.cfg.Password, user: c.cfg.User,
			faultTolerant: c.fo != nil, failoverReconnect: l.failoverReconnect})
	})
	if err != nil {
		return "", security(err, ErrAuthentication)
	}
	l.set(clientID, connID)
	return connID, nil
}

// connectionOf is the connection ID that session s uses on l. It never blocks.
func (l *link) connectionOf(s *Session) string {
	if s.client == "" {
		return l.connID
	}
	if id, ok := l.lookup(s.client); ok {
		return id
	}
	return l.connID // only on a stale link the session was never set up on
}
