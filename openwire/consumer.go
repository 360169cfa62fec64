package openwire

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// ConsumerOptions configure a consumer.
type ConsumerOptions struct {
	Prefetch   int    // messages the broker may push ahead of Receive (default 1000)
	Selector   string // JMS message selector
	Redelivery RedeliveryPolicy
	// OrderedRedelivery holds back newer messages while handed-back ones wait for
	// their redelivery delay, so a single consumer sees the queue in order even
	// across failures (Java's default, nonBlockingRedelivery=false). Without it,
	// newer messages keep flowing during the delay.
	OrderedRedelivery bool
}

// Message states inside a consumer.
const (
	stPrefetched uint8 = iota // waiting in the consumer for Receive
	stDelivered               // returned by Receive, not acknowledged
	stTxAcked                 // acknowledged in the open transaction
	stWaiting                 // handed back, redelivery timer running
	stDone                    // acknowledged, poisoned or dropped
)

// Consumer receives messages from a queue (or topic).
type Consumer struct {
	s        *Session
	c        *Conn
	id       int64
	dest     Destination
	prefetch atomic.Int32 // SetPrefetch changes it while messages arrive
	selector string
	policy   RedeliveryPolicy
	ordered  bool

	mu                sync.Mutex
	queue             []*Message // prefetched, in dispatch order, from qhead on
	qhead             int
	ready             []*Message // due local redeliveries: ahead of queue
	outstanding       map[uint64]*Message
	txAcked           []*Message // acknowledged in the open transaction
	timers            map[*Message]*time.Timer
	seq               uint64
	deliveredSinceAck int
	notify            chan struct{}
	closed            bool
	closedCh          chan struct{}
	// closeDeferred: Close came inside an open transaction; the consumer is
	// removed at the broker once the transaction ends, as Java does, so the
	// broker does not redispatch messages whose acks the commit carries.
	closeDeferred bool
	aborted       bool       // the broker closed it (ConsumerControl)
	expired       []*Message // dropped by next, their EXPIRED acks not yet sent

	browser     bool     // a queue browser (browser.go): copies, nothing consumed
	browseDone  bool     // the broker sent the end of the browse
	browseLost  bool     // a reconnect interrupted the browse
	browseFirst *Message // oldest message handed out and not yet acked (window)
	browseN     int      // messages handed out since the last window ack
}

// NewConsumer consumes from the queue named queue.
func (s *Session) NewConsumer(ctx context.Context, queue string, opts ConsumerOptions) (*Consumer, error) {
	return s.newConsumer(ctx, Queue(queue), opts)
}

// NewTopicConsumer subscribes (non-durably) to the topic named topic.
func (s *Session) NewTopicConsumer(ctx context.Context, topic string, opts ConsumerOptions) (*Consumer, error) {
	return s.newConsumer(ctx, Topic(topic), opts)
}

func (s *Session) newConsumer(ctx context.Context, dest Destination, opts ConsumerOptions) (*Consumer, error) {
	if dest.Name == "" {
		return nil, errors.New("openwire: consumer needs a destination name")
	}
	if opts.Prefetch < 0 {
		return nil, fmt.Errorf("openwire: prefetch %d: must be >= 1 (0 means the default 1000)", opts.Prefetch)
	}
	if opts.Prefetch == 0 {
		opts.Prefetch = 1000
	}
	k := s.consumerFor(dest, opts.Selector)
	k.policy, k.ordered = opts.Redelivery.orDefault(), opts.OrderedRedelivery
	if err := k.subscribe(ctx, opts.Prefetch, "consumer"); err != nil {
		return nil, err
	}
	return k, nil
}

// consumerFor is a new, not yet subscribed consumer of the session.
func (s *Session) consumerFor(dest Destination, selector string) *Consumer {
	return &Consumer{
		s: s, c: s.c, id: s.c.next.Add(1), dest: dest, selector: selector,
		outstanding: map[uint64]*Message{}, timers: map[*Message]*time.Timer{},
		notify: make(chan struct{}, 1), closedCh: make(chan struct{}),
	}
}

// subscribe registers k with its session and connection and sends its
// ConsumerInfo with this prefetch; what names it in errors ("consumer",
// "browser").
func (k *Consumer) subscribe(ctx context.Context, prefetch int, what string) error {
	s := k.s
	l, _, err := s.c.current(ctx, 0, true)
	if err != nil {
		return err
	}
	k.prefetch.Store(int32(prefetch))
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.consumers[k.id] = k
	s.mu.Unlock()
	s.c.cmu.Lock()
	s.c.consumers[k.id] = k
	s.c.cmu.Unlock()
	info := k.info(l)
	if err := l.request(ctx, func(e *encoder, id int32) { e.consumerInfo(id, &info) }); err != nil {
		k.unregister()
		return fmt.Errorf("openwire: creating %s on %s: %w", what, k.dest, security(err, ErrAuthorization))
	}
	return nil
}

func (k *Consumer) info(l *link) consumerInfo {
	return consumerInfo{id: k.cid(l), dest: k.dest, prefetch: k.prefetch.Load(), selector: k.selector, browser: k.browser}
}

func (k *Consumer) cid(l *link) consumerID {
	return consumerID{conn: l.connectionOf(k.s), session: k.s.id, value: k.id}
}

func (k *Consumer) unregister() {
	k.s.mu.Lock()
	delete(k.s.consumers, k.id)
	k.s.mu.Unlock()
	k.c.cmu.Lock()
	delete(k.c.consumers, k.id)
	k.c.cmu.Unlock()
}

// Destination is what the consumer reads from.
func (k *Consumer) Destination() Destination { return k.dest }

func (k *Consumer) arrive(l *link, m *Message, bodyErr error) {
	m.consumer = k
	m.gen = l.gen
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return
	}
	k.seq++
	m.seq = k.seq
	if k.browser {
		k.browseArrive(m, bodyErr)
		return
	}
	k.outstanding[m.seq] = m
	var cause string
	switch {
	case bodyErr != nil:
		cause = fmt.Sprintf("openwire client cannot decode message: %v", bodyErr)
	case k.policy.Exceeded(m.RedeliveryCounter):
		cause = fmt.Sprintf("Delivery[%d] exceeds redelivery policy limit:%s", m.RedeliveryCounter, k.policy)
	}
	if cause != "" {
		m.state = stDone
		delete(k.outstanding, m.seq)
		k.mu.Unlock()
		k.c.log.Warn("openwire: dead-lettering message on arrival", "message", m.ID, "destination", k.dest.String(), "cause", cause)
		_ = l.write(func(e *encoder) { e.messageAck(l.cmdID.Add(1), false, k.poisonAck(l, m, cause)) })
		return
	}
	m.state = stPrefetched
	if k.qhead > 256 && k.qhead*2 > len(k.queue) { // compact the consumed prefix
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

func (k *Consumer) poisonAck(l *link, m *Message, cause string) *messageAck {
	return &messageAck{dest: &k.dest, consumer: k.cid(l), ackType: ackPoison, first: &m.id, last: &m.id, count: 1, poisonCause: cause}
}

// next pops the next message (due redeliveries first), setting expired ones
// aside for sendExpired; k.mu must be held.
func (k *Consumer) next() *Message {
	for {
		m := k.pop()
		if m == nil || m.Expiration <= 0 || time.Now().UnixMilli() <= m.Expiration {
			return m
		}
		m.state = stDone
		delete(k.outstanding, m.seq)
		k.expired = append(k.expired, m)
	}
}

func (k *Consumer) pop() *Message {
	var m *Message
	if len(k.ready) > 0 {
		m = k.ready[0]
		k.ready[0] = nil
		k.ready = k.ready[1:]
	} else if k.ordered && len(k.timers) > 0 {
		return nil // handed-back messages come first: wait for their delay
	} else if k.qhead < len(k.queue) {
		m = k.queue[k.qhead]
		k.queue[k.qhead] = nil
		k.qhead++
		if k.qhead == len(k.queue) { // empty: reuse the array
			k.queue, k.qhead = k.queue[:0], 0
		}
	} else {
		return nil
	}
	m.state = stDelivered
	return m
}

// SetPrefetch changes how many messages the broker may push ahead of Receive,
// with a ConsumerControl: ActiveMQ applies it to the subscription at once (its
// AbstractRegion.processConsumerControl), so a consumer can shrink its window once
// it sees how large the messages are. Messages already pushed stay; a reconnect
// subscribes with the new value.
func (k *Consumer) SetPrefetch(n int) error {
	if n < 1 {
		return fmt.Errorf("openwire: prefetch %d: must be >= 1", n)
	}
	k.mu.Lock()
	closed := k.closed
	k.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if int(k.prefetch.Swap(int32(n))) == n {
		return nil
	}
	l := k.c.linkNow(k.c.currentGen())
	if l == nil {
		return nil // reconnecting: the new subscription carries n
	}
	return l.write(func(e *encoder) { e.consumerControl(l.cmdID.Add(1), k.cid(l), &k.dest, int32(n)) })
}

// Buffered is the number of messages the broker has pushed to the consumer that
// Receive has not yet handed out (redeliveries still waiting out their delay
// excluded).
func (k *Consumer) Buffered() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.ready) + len(k.queue) - k.qhead
}

// Prefetch is the consumer's current prefetch window.
func (k *Consumer) Prefetch() int { return int(k.prefetch.Load()) }

// handOut finishes a delivery: like Java's ackLater it sends a DELIVERED ack once
// half the prefetch window is held, so the broker keeps dispatching while the
// caller holds unacknowledged messages.
func (k *Consumer) handOut(m *Message) *Message {
	k.deliveredSinceAck++
	n := k.deliveredSinceAck
	if n < max(1, int(k.prefetch.Load())/2) {
		k.mu.Unlock()
		return m
	}
	k.deliveredSinceAck = 0
	k.mu.Unlock()
	if l := k.c.linkNow(m.gen); l != nil {
		ack := &messageAck{dest: &k.dest, consumer: k.cid(l), ackType: ackDelivered, first: &m.id, last: &m.id, count: int32(n)}
		_ = l.write(func(e *encoder) { e.messageAck(l.cmdID.Add(1), false, ack) })
	}
	return m
}

// Receive returns the next message, waiting until one arrives, ctx ends or the
// consumer is closed (ErrClosed). During a failover reconnect it keeps waiting.
func (k *Consumer) Receive(ctx context.Context) (*Message, error) {
	for {
		k.mu.Lock()
		if k.closed {
			err := k.closedErr()
			k.mu.Unlock()
			return nil, err
		}
		if m := k.next(); m != nil {
			m = k.handOut(m)
			k.sendExpired()
			return m, nil
		}
		k.mu.Unlock()
		k.sendExpired()
		select {
		case <-k.notify:
		case <-k.closedCh:
		case <-k.c.done:
			k.mu.Lock()
			empty := len(k.ready) == 0 && k.qhead == len(k.queue)
			k.mu.Unlock()
			if empty {
				if err := k.c.Err(); err != nil && err != ErrClosed {
					return nil, fmt.Errorf("%w: %w", ErrClosed, err)
				}
				return nil, ErrClosed
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// TryReceive returns a message that is ready now, or nil. It never blocks.
func (k *Consumer) TryReceive() *Message {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	m := k.next()
	if m == nil {
		k.mu.Unlock()
		k.sendExpired()
		return nil
	}
	m = k.handOut(m)
	k.sendExpired()
	return m
}

// sendExpired acknowledges the messages next dropped as expired with the
// EXPIRED ack type, as Java's consumer does: the broker then treats them as
// expired (its dead-letter strategy decides what becomes of them).
func (k *Consumer) sendExpired() {
	k.mu.Lock()
	list := k.expired
	k.expired = nil
	k.mu.Unlock()
	for _, m := range list {
		if l := k.c.linkNow(m.gen); l != nil {
			a := &messageAck{dest: &k.dest, consumer: k.cid(l), ackType: ackExpired, first: &m.id, last: &m.id, count: 1}
			_ = l.write(func(e *encoder) { e.messageAck(l.cmdID.Add(1), false, a) })
		}
	}
}

// check validates that msgs are this consumer's, delivered and from the current
// connection; k.mu must be held.
func (k *Consumer) check(gen uint64, msgs []*Message, states ...uint8) error {
	for _, m := range msgs {
		if m == nil || m.consumer != k {
			return errors.New("openwire: message does not belong to this consumer")
		}
		if m.gen != gen {
			return fmt.Errorf("openwire: message %s was received before a reconnect; the broker will redeliver it: %w", m.ID, ErrStale)
		}
		ok := false
		for _, s := range states {
			ok = ok || m.state == s
		}
		if !ok {
			return fmt.Errorf("openwire: message %s is not in a state that allows this (already acknowledged, or not received)", m.ID)
		}
	}
	return nil
}

// Ack acknowledges exactly msgs and waits for the broker's confirmation. Messages
// that are contiguous in delivery order go as one range ack, others as individual
// acks. In a transacted session the acks are sent without waiting (as Java
// does) and take effect at Commit, which reports the outcome. A message
// received before a failover reconnect gives an error matching ErrStale and
// nothing is sent.
func (k *Consumer) Ack(ctx context.Context, msgs ...*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	gen := msgs[0].gen
	l, gen, err := k.c.current(ctx, gen, false)
	if err != nil {
		if errors.Is(err, ErrStale) {
			return fmt.Errorf("openwire: ack: message %s was received before a reconnect; the broker will redeliver it: %w", msgs[0].ID, ErrStale)
		}
		return err
	}
	var tx *txID
	if k.s.transacted {
		if tx, err = k.s.begin(l, gen); err != nil {
			return err
		}
	}
	k.mu.Lock()
	if k.closed {
		err := k.closedErr()
		k.mu.Unlock()
		return err
	}
	if err := k.check(gen, msgs, stDelivered); err != nil {
		k.mu.Unlock()
		return err
	}
	sorted := append([]*Message(nil), msgs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].seq < sorted[j].seq })
	var acks []*messageAck
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && k.adjacent(sorted[j-1].seq, sorted[j].seq) {
			j++
		}
		first, last := sorted[i], sorted[j-1]
		a := &messageAck{dest: &k.dest, tx: tx, consumer: k.cid(l), ackType: ackIndividual, first: &first.id, last: &last.id, count: int32(j - i)}
		if j-i > 1 {
			a.ackType = ackStandard
		}
		acks = append(acks, a)
		i = j
	}
	for _, m := range sorted {
		if tx != nil {
			m.state = stTxAcked
			k.txAcked = append(k.txAcked, m)
		} else {
			m.state = stDone
			delete(k.outstanding, m.seq)
		}
	}
	k.mu.Unlock()
	if tx != nil {
		// like Java: acks in a transaction are one-way; Commit reports the outcome
		if err := l.write(func(e *encoder) {
			for _, a := range acks {
				e.messageAck(l.cmdID.Add(1), false, a)
			}
		}); err != nil {
			return fmt.Errorf("openwire: ack: %w", staleIfLost(l, err))
		}
		return nil
	}
	if err := l.requestAll(ctx, len(acks), func(e *encoder, i int, id int32) { e.messageAck(id, true, acks[i]) }); err != nil {
		return fmt.Errorf("openwire: ack: %w", staleIfLost(l, err))
	}
	return nil
}

// staleIfLost makes the error of a request whose link died before the broker
// answered match ErrStale: the broker takes back what the dead link held and
// redelivers it, unless the command reached it first (a redelivered message may
// then be one whose ack got through: at least once, never lost).
func staleIfLost(l *link, err error) error {
	var be *BrokerError
	if l.lostEarly() == nil || errors.As(err, &be) || errors.Is(err, ErrStale) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrStale, err)
}

// adjacent reports whether no message the broker still counts as dispatched to
// this consumer lies between seq a and b (so a range ack covers exactly them).
func (k *Consumer) adjacent(a, b uint64) bool {
	if b-a > 1024 {
		return false
	}
	for s := a + 1; s < b; s++ {
		if _, ok := k.outstanding[s]; ok {
			return false
		}
	}
	return true
}

// Poison dead-letters msgs now: the broker moves them to its DLQ with cause as
// dlqDeliveryFailureCause ("java.lang.Throwable: <cause>"). Poison acks are never
// transacted (the broker refuses that).
func (k *Consumer) Poison(ctx context.Context, cause string, msgs ...*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	l, gen, err := k.c.current(ctx, msgs[0].gen, false)
	if err != nil {
		if errors.Is(err, ErrStale) {
			return fmt.Errorf("openwire: poison: message %s was received before a reconnect: %w", msgs[0].ID, ErrStale)
		}
		return err
	}
	k.mu.Lock()
	if k.closed {
		err := k.closedErr()
		k.mu.Unlock()
		return err
	}
	if err := k.check(gen, msgs, stDelivered); err != nil {
		k.mu.Unlock()
		return err
	}
	acks := make([]*messageAck, len(msgs))
	for i, m := range msgs {
		m.state = stDone
		delete(k.outstanding, m.seq)
		acks[i] = k.poisonAck(l, m, cause)
	}
	k.mu.Unlock()
	return l.requestAll(ctx, len(acks), func(e *encoder, i int, id int32) { e.messageAck(id, true, acks[i]) })
}

// Redeliver hands msgs back ("rollback" of just these): each comes back through
// Receive after the policy's delay with RedeliveryCounter+1, ahead of newer
// prefetched messages, or is poison-acknowledged with cause once its counter
// passes MaximumRedeliveries. Unlike the Java client's default, newer messages
// are not held back while the delay runs. The broker keeps the messages
// assigned to this consumer meanwhile. The *Message values are reused: do not
// touch them until Receive returns them again.
func (k *Consumer) Redeliver(ctx context.Context, cause string, msgs ...*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	l, gen, err := k.c.current(ctx, msgs[0].gen, false)
	if err != nil {
		if errors.Is(err, ErrStale) {
			return fmt.Errorf("openwire: redeliver: message %s was received before a reconnect; the broker will redeliver it: %w", msgs[0].ID, ErrStale)
		}
		return err
	}
	k.mu.Lock()
	if k.closed {
		err := k.closedErr()
		k.mu.Unlock()
		return err
	}
	if err := k.check(gen, msgs, stDelivered); err != nil {
		k.mu.Unlock()
		return err
	}
	poison, notices := k.handBack(l, gen, msgs, cause)
	k.mu.Unlock()
	if len(notices) > 0 {
		_ = l.write(func(e *encoder) {
			for _, a := range notices {
				e.messageAck(l.cmdID.Add(1), false, a)
			}
		})
	}
	if len(poison) > 0 {
		return l.requestAll(ctx, len(poison), func(e *encoder, i int, id int32) { e.messageAck(id, true, poison[i]) })
	}
	return nil
}

// handBack schedules local redelivery of msgs or, past the policy's maximum,
// returns poison acks for them. k.mu must be held.
func (k *Consumer) handBack(l *link, gen uint64, msgs []*Message, cause string) (poison, notices []*messageAck) {
	var batches []batch
	for _, m := range msgs {
		m.RedeliveryCounter++
		if k.policy.Exceeded(m.RedeliveryCounter) {
			m.state = stDone
			delete(k.outstanding, m.seq)
			c := cause
			if c == "" {
				c = fmt.Sprintf("Delivery[%d] exceeds redelivery policy limit:%s", m.RedeliveryCounter, k.policy)
			}
			poison = append(poison, k.poisonAck(l, m, c))
			continue
		}
		m.state = stWaiting
		// tell the broker (as Java does) so its own counter survives a consumer crash
		notices = append(notices, &messageAck{dest: &k.dest, consumer: k.cid(l), ackType: ackRedelivered, first: &m.id, last: &m.id, count: 1})
		d := k.policy.Delay(m.RedeliveryCounter)
		if len(batches) == 0 || batches[len(batches)-1].d != d {
			batches = append(batches, batch{d: d})
		}
		batches[len(batches)-1].msgs = append(batches[len(batches)-1].msgs, m)
	}
	// one timer per delay, so messages handed back together come back in order
	for _, b := range batches {
		msgs := b.msgs
		t := time.AfterFunc(b.d, func() { k.due(msgs, gen) })
		for _, m := range msgs {
			k.timers[m] = t
		}
	}
	return poison, notices
}

type batch struct {
	d    time.Duration
	msgs []*Message
}

func (k *Consumer) due(msgs []*Message, gen uint64) {
	k.mu.Lock()
	n := 0
	for _, m := range msgs {
		delete(k.timers, m)
		if k.closed || m.state != stWaiting || m.gen != gen {
			continue
		}
		m.state = stPrefetched
		k.ready = append(k.ready, m)
		n++
	}
	k.mu.Unlock()
	if n == 0 {
		return
	}
	select {
	case k.notify <- struct{}{}:
	default:
	}
}

// committed finalizes the acks of a committed transaction.
func (k *Consumer) committed(gen uint64) {
	k.mu.Lock()
	for _, m := range k.txAcked {
		if m.state == stTxAcked && m.gen == gen {
			m.state = stDone
			delete(k.outstanding, m.seq)
		}
	}
	clear(k.txAcked)
	k.txAcked = k.txAcked[:0]
	k.mu.Unlock()
}

// rollback redelivers (or poisons) everything delivered and not committed.
func (k *Consumer) rollback(gen uint64) {
	l := k.c.linkNow(gen)
	if l == nil {
		return // the connection was lost: reset already dropped everything
	}
	k.mu.Lock()
	var msgs []*Message
	for _, m := range k.outstanding {
		if (m.state == stDelivered || m.state == stTxAcked) && m.gen == gen {
			msgs = append(msgs, m)
		}
	}
	clear(k.txAcked)
	k.txAcked = k.txAcked[:0]
	if len(msgs) == 0 {
		k.mu.Unlock()
		return
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].seq < msgs[j].seq })
	poison, notices := k.handBack(l, gen, msgs, "")
	k.mu.Unlock()
	all := append(notices, poison...)
	_ = l.write(func(e *encoder) {
		for _, a := range all {
			e.messageAck(l.cmdID.Add(1), false, a)
		}
	})
}

// reset drops all local state after the connection was lost.
func (k *Consumer) reset() {
	k.mu.Lock()
	for m, t := range k.timers {
		t.Stop()
		delete(k.timers, m)
	}
	for _, m := range k.outstanding {
		m.state = stDone
	}
	k.outstanding = map[uint64]*Message{}
	k.queue, k.qhead, k.ready, k.txAcked = nil, 0, nil, nil
	k.deliveredSinceAck = 0
	k.mu.Unlock()
}

// Close removes the consumer at the broker; messages not acknowledged go back to
// it (those handed out get their redelivery counter incremented). Safe twice.
// Inside an open transaction the consumer stops delivering at once and is
// removed at the broker when the transaction ends (Commit or Rollback), so the
// broker does not hand the transaction's acknowledged messages to another
// consumer before the commit (duplicates).
func (k *Consumer) Close(ctx context.Context) error {
	if k.s.transacted && k.s.inTx() {
		k.mu.Lock()
		if !k.closed {
			k.markClosed()
			k.closeDeferred = true
		}
		k.mu.Unlock()
		return nil
	}
	k.mu.Lock()
	if k.closed && !k.closeDeferred {
		k.mu.Unlock()
		return nil
	}
	if !k.closed {
		k.markClosed()
	}
	k.closeDeferred = false
	return k.remove(ctx)
}

// closedErr is what calls on a closed consumer return: ErrConsumerAborted when
// the broker closed it, else ErrClosed. k.mu must be held.
func (k *Consumer) closedErr() error {
	if k.browseLost {
		return fmt.Errorf("openwire: browse of %s interrupted by a reconnect (browse again): %w", k.dest, ErrStale)
	}
	if k.aborted {
		return fmt.Errorf("openwire: consumer on %s: %w", k.dest, ErrConsumerAborted)
	}
	return ErrClosed
}

// abort closes the consumer after the broker aborted it (ConsumerControl
// close): Receive returns ErrConsumerAborted, and the consumer is removed at the
// broker as Java's client does, so no subscription lingers there.
func (k *Consumer) abort() {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return
	}
	k.aborted = true
	k.markClosed()
	k.closeDeferred = false
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := k.remove(ctx); err != nil {
		k.c.log.Info("openwire: removing an aborted consumer", "destination", k.dest.String(), "err", err)
	}
}

// markClosed stops deliveries; k.mu must be held.
func (k *Consumer) markClosed() {
	k.closed = true
	close(k.closedCh)
}

// remove removes the consumer at the broker; it is called with k.mu held and
// releases it.
func (k *Consumer) remove(ctx context.Context) error {
	for m, t := range k.timers {
		t.Stop()
		delete(k.timers, m)
	}
	// The broker increments the redelivery counter of its unacked messages up to
	// the one with this sequence (in dispatch order), so name the newest message
	// the caller saw that is still unacknowledged; -1 increments none.
	last, lastSeq := int64(-1), uint64(0)
	for s, m := range k.outstanding {
		if m.state != stPrefetched && s >= lastSeq {
			last, lastSeq = m.id.brokerSeq, s
		}
	}
	k.queue, k.qhead, k.ready = nil, 0, nil
	k.mu.Unlock()
	k.unregister()
	l, _, err := k.c.current(ctx, 0, true)
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return nil
		}
		return err
	}
	err = l.request(ctx, func(e *encoder, id int32) {
		e.removeInfo(id, func(e *encoder) { e.consumerID(k.cid(l)) }, last)
	})
	if err != nil && !errors.Is(err, ErrClosed) {
		return fmt.Errorf("openwire: closing consumer on %s: %w", k.dest, err)
	}
	return nil
}
