package openwire

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// linkLost runs on the reader goroutine of a link that ended. Without failover
// (or for a permanent error) the connection fails; with failover a reconnect starts.
func (c *Conn) linkLost(l *link, err error) {
	c.mu.Lock()
	if c.link != l || c.closed {
		c.mu.Unlock()
		return
	}
	c.link = nil
	c.gen++
	if c.fo == nil || errors.Is(err, ErrFrameTooLarge) {
		c.mu.Unlock()
		c.fail(err)
		return
	}
	c.linkUp = make(chan struct{})
	c.wg.Add(1)
	c.mu.Unlock()
	c.log.Warn("openwire: connection lost, reconnecting", "endpoint", l.ep.String(), "err", err)
	c.resetConsumers()
	for _, s := range c.sortedSessions() {
		s.linkLost()
	}
	go c.reconnect(err, l.ep)
}

// reconnect dials the failover endpoints with backoff until one works, then
// re-creates sessions, consumers and producers.
//
// As Java's failover transport does, the endpoint that failed is tried last, so a
// broker that accepts connections and then drops them cannot keep the client from
// the others.
func (c *Conn) reconnect(cause error, failed endpoint) {
	defer c.wg.Done()
	var last error = cause
	start := 0
	for i, ep := range c.endpoints {
		if ep == failed {
			start = i + 1
		}
	}
	// maxReconnectAttempts counts passes over the whole list, as in Java's
	// FailoverTransport; the backoff delay runs before each pass.
	for pass := 1; ; pass++ {
		if c.fo.maxReconnectAttempts >= 0 && pass > c.fo.maxReconnectAttempts {
			c.fail(fmt.Errorf("openwire: failover gave up after %d passes over %d endpoints: %w", pass-1, len(c.endpoints), last))
			return
		}
		t := time.NewTimer(c.fo.delay(pass))
		select {
		case <-c.closing:
			t.Stop()
			return
		case <-t.C:
		}
		for i := range c.endpoints {
			ep := c.endpoints[(start+i)%len(c.endpoints)]
			l, err := c.tryReconnect(ep)
			if err != nil {
				last = err
				c.log.Info("openwire: reconnect failed", "endpoint", ep.String(), "pass", pass, "err", err)
				select {
				case <-c.closing:
					return
				default:
				}
				continue
			}
			c.mu.Lock()
			if c.closed {
				c.mu.Unlock()
				l.close(ErrClosed)
				l.wg.Wait()
				return
			}
			c.link = l
			close(c.linkUp)
			c.mu.Unlock()
			if err := l.lostEarly(); err != nil {
				c.linkLost(l, err) // died before it was installed: go round again
				return
			}
			c.log.Info("openwire: reconnected", "endpoint", ep.String(), "pass", pass)
			if cb := c.cfg.OnReconnect; cb != nil {
				cb(cause)
			}
			return
		}
	}
}

// tryReconnect connects to ep and restores the Conn's state on the new link.
func (c *Conn) tryReconnect(ep endpoint) (*link, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	l, err := c.connect(ctx, ep)
	if err != nil {
		return nil, err
	}
	if err := c.restore(ctx, l); err != nil {
		l.close(err)
		l.wg.Wait()
		// messages that arrived on the half-restored link are stale too
		c.mu.Lock()
		c.gen++
		c.mu.Unlock()
		c.resetConsumers()
		return nil, err
	}
	return l, nil
}

// restore re-creates every open session, consumer and producer on a new link.
func (c *Conn) restore(ctx context.Context, l *link) error {
	for _, s := range c.sortedSessions() {
		if s.client != "" {
			if _, err := l.logicalConnection(ctx, s.client); err != nil {
				return fmt.Errorf("re-creating the connection for client ID %q: %w", s.client, err)
			}
		}
		if err := l.request(ctx, func(e *encoder, id int32) { e.sessionInfo(id, l.connectionOf(s), s.id) }); err != nil {
			return fmt.Errorf("re-creating session %d: %w", s.id, err)
		}
		for _, k := range s.consumerList() {
			if k.browser {
				k.loseBrowse() // a new browse would start again from the head
				continue
			}
			info := k.info(l)
			if err := l.request(ctx, func(e *encoder, id int32) { e.consumerInfo(id, &info) }); err != nil {
				return fmt.Errorf("re-creating consumer on %s: %w", k.dest, err)
			}
		}
		for _, p := range s.producerList() {
			if err := l.request(ctx, func(e *encoder, id int32) { e.producerInfo(id, p.pid(l)) }); err != nil {
				return fmt.Errorf("re-creating producer: %w", err)
			}
		}
	}
	return nil
}

// resetConsumers drops every consumer's local messages: the broker takes back
// whatever the lost connection held and redelivers it.
func (c *Conn) resetConsumers() {
	c.cmu.RLock()
	list := make([]*Consumer, 0, len(c.consumers))
	for _, k := range c.consumers {
		list = append(list, k)
	}
	c.cmu.RUnlock()
	for _, k := range list {
		k.reset()
	}
}
