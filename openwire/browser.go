package openwire

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// BrowserOptions configure a queue browser.
type BrowserOptions struct {
	Prefetch int    // messages the broker may push ahead of Next (default 500, Java's queueBrowserPrefetch)
	Selector string // JMS message selector
}

// Browser looks at the messages of a queue without consuming them, like Java's
// QueueBrowser: the broker dispatches copies, in queue order, of the messages
// the queue holds when the browser subscribes, and then an end-of-browse
// marker. Nothing is acknowledged as consumed, redelivery counters do not
// change, and the messages stay available to consumers.
//
// The broker pages at most its destination policy's maxBrowsePageSize
// messages (400 by default) into a browse, so a browser of a deeper queue sees
// only the first ones. A failover reconnect ends the browse: Next then returns
// an error matching ErrStale, and a new browser starts again from the head.
type Browser struct {
	k *Consumer
}

// NewBrowser browses the queue named queue.
func (s *Session) NewBrowser(ctx context.Context, queue string, opts BrowserOptions) (*Browser, error) {
	if queue == "" {
		return nil, errors.New("openwire: browser needs a queue name")
	}
	if opts.Prefetch < 0 {
		return nil, fmt.Errorf("openwire: browser prefetch %d: must be >= 1 (0 means the default 500)", opts.Prefetch)
	}
	if opts.Prefetch == 0 {
		opts.Prefetch = 500
	}
	k := s.consumerFor(Queue(queue), opts.Selector)
	k.browser = true
	if err := k.subscribe(ctx, opts.Prefetch, "browser"); err != nil {
		return nil, err
	}
	return &Browser{k: k}, nil
}

// Destination is the queue browsed.
func (b *Browser) Destination() Destination { return b.k.dest }

// Next returns the next message of the browse, waiting until the broker sends
// one; io.EOF once every message has been seen, ErrClosed after Close, or
// ctx's error. The messages are copies: they cannot be acknowledged.
func (b *Browser) Next(ctx context.Context) (*Message, error) {
	k := b.k
	for {
		k.mu.Lock()
		if k.closed {
			err := k.closedErr()
			k.mu.Unlock()
			return nil, err
		}
		if k.qhead < len(k.queue) {
			m := k.queue[k.qhead]
			k.queue[k.qhead] = nil
			k.qhead++
			ack := k.browseWindow(m)
			k.mu.Unlock()
			if ack != nil {
				if l := k.c.linkNow(m.gen); l != nil {
					_ = l.write(func(e *encoder) { e.messageAck(l.cmdID.Add(1), false, ack) })
				}
			}
			return m, nil
		}
		if k.browseDone {
			k.mu.Unlock()
			return nil, io.EOF
		}
		k.mu.Unlock()
		select {
		case <-k.notify:
		case <-k.closedCh:
		case <-k.c.done:
			if err := k.c.Err(); err != nil && err != ErrClosed {
				return nil, fmt.Errorf("%w: %w", ErrClosed, err)
			}
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close ends the browse and removes the browser at the broker. Safe twice.
func (b *Browser) Close(ctx context.Context) error {
	k := b.k
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	k.markClosed()
	k.outstanding = map[uint64]*Message{} // copies: nothing to give back
	return k.remove(ctx)
}

// browseWindow counts m as handed out and, once half the prefetch window has
// been, returns the standard ack that frees it: the broker dispatches a
// browser's copies within the window like a consumer's, and its browser
// subscription ignores the ack otherwise (nothing is removed from the queue).
// k.mu must be held.
func (k *Consumer) browseWindow(m *Message) *messageAck {
	if k.browseFirst == nil {
		k.browseFirst = m
	}
	k.browseN++
	if k.browseN < max(1, int(k.prefetch.Load())/2) {
		return nil
	}
	first, n := k.browseFirst, k.browseN
	k.browseFirst, k.browseN = nil, 0
	if first.gen != m.gen {
		return nil
	}
	return &messageAck{dest: &k.dest, ackType: ackStandard, first: &first.id, last: &m.id, count: int32(n), consumer: consumerIDOf(k, m.gen)}
}

// consumerIDOf is the consumer's id on the link of generation gen (a zero
// value when that link is gone, whose ack is then never written).
func consumerIDOf(k *Consumer, gen uint64) consumerID {
	if l := k.c.linkNow(gen); l != nil {
		return k.cid(l)
	}
	return consumerID{}
}

// browseArrive queues a browsed copy; k.mu is held and released. A copy whose
// body does not decode is still shown (as far as it decoded): a browser must
// not dead-letter what it only looks at.
func (k *Consumer) browseArrive(m *Message, bodyErr error) {
	if bodyErr != nil {
		k.c.log.Warn("openwire: browsed message does not decode", "message", m.ID, "destination", k.dest.String(), "err", bodyErr)
	}
	m.state = stPrefetched
	if k.qhead > 256 && k.qhead*2 > len(k.queue) {
		n := copy(k.queue, k.queue[k.qhead:])
		clear(k.queue[n:])
		k.queue, k.qhead = k.queue[:n], 0
	}
	k.queue = append(k.queue, m)
	k.mu.Unlock()
	select {
	case k.notify <- struct{}{}:
	default:
	}
}

// browseEnd records the broker's end-of-browse marker.
func (k *Consumer) browseEnd() {
	k.mu.Lock()
	if !k.browser {
		k.mu.Unlock()
		return
	}
	k.browseDone = true
	k.mu.Unlock()
	select {
	case k.notify <- struct{}{}:
	default:
	}
}

// loseBrowse ends a browse a reconnect interrupted.
func (k *Consumer) loseBrowse() {
	k.mu.Lock()
	if !k.closed {
		k.browseLost = true
		k.markClosed()
	}
	k.mu.Unlock()
	k.unregister()
}
