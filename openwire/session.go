package openwire

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Session groups consumers and producers. A transacted session puts their acks
// and sends in a local transaction ended by Commit or Rollback; a non-transacted
// session acknowledges each message explicitly (INDIVIDUAL_ACKNOWLEDGE style).
type Session struct {
	c          *Conn
	id         int64
	transacted bool
	client     string // the client ID of its logical connection ("": the Conn's own)

	mu        sync.Mutex
	consumers map[int64]*Consumer
	producers map[int64]*Producer
	tx        *txID
	txGen     uint64
	txLost    bool // a failover reconnect ended the open transaction
	// rollbackOnly: the broker reported a failed one-way command of the open
	// transaction (ConnectionError); Commit rolls back instead
	rollbackOnly error
	closed       bool
}

// NewSession opens a session.
func (c *Conn) NewSession(ctx context.Context, transacted bool) (*Session, error) {
	l, _, err := c.current(ctx, 0, true)
	if err != nil {
		return nil, err
	}
	return c.newSession(ctx, l, "", transacted)
}

func (c *Conn) newSession(ctx context.Context, l *link, client string, transacted bool) (*Session, error) {
	s := &Session{c: c, id: c.next.Add(1), transacted: transacted, client: client, consumers: map[int64]*Consumer{}, producers: map[int64]*Producer{}}
	c.mu.Lock()
	c.sessions[s.id] = s
	c.mu.Unlock()
	if err := l.request(ctx, func(e *encoder, id int32) { e.sessionInfo(id, l.connectionOf(s), s.id) }); err != nil {
		c.mu.Lock()
		delete(c.sessions, s.id)
		c.mu.Unlock()
		return nil, fmt.Errorf("openwire: creating session: %w", err)
	}
	return s, nil
}

// Transacted reports whether the session is transacted.
func (s *Session) Transacted() bool { return s.transacted }

func (s *Session) consumerList() []*Consumer {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]*Consumer, 0, len(s.consumers))
	for _, k := range s.consumers {
		list = append(list, k)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	return list
}

func (s *Session) producerList() []*Producer {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]*Producer, 0, len(s.producers))
	for _, p := range s.producers {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	return list
}

func (s *Session) linkLost() {
	s.mu.Lock()
	if s.tx != nil {
		s.tx = nil
		s.txLost = true
	}
	s.rollbackOnly = nil
	s.mu.Unlock()
}

// inTx reports whether a transaction is open (acks or sends since the last
// Commit or Rollback).
func (s *Session) inTx() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx != nil
}

// closeDeferred removes the consumers whose Close came inside the transaction
// that just ended.
func (s *Session) closeDeferred(ctx context.Context) {
	for _, k := range s.consumerList() {
		k.mu.Lock()
		deferred := k.closeDeferred
		k.mu.Unlock()
		if deferred {
			if err := k.Close(ctx); err != nil {
				s.c.log.Info("openwire: closing a consumer after its transaction", "destination", k.dest.String(), "err", err)
			}
		}
	}
}

// setRollbackOnly marks the open transaction, if any, so that Commit rolls it back.
func (s *Session) setRollbackOnly(cause error) {
	s.mu.Lock()
	if s.tx != nil && s.rollbackOnly == nil {
		s.rollbackOnly = cause
	}
	s.mu.Unlock()
}

var errTxLost = fmt.Errorf("transaction rolled back because the connection was lost and re-established (its acknowledgements and sends were discarded): %w", ErrStale)

// begin returns the session's open local transaction, starting one (BEGIN is
// sent without waiting, as Java does) if there is none.
func (s *Session) begin(l *link, gen uint64) (*txID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.txLost {
		return nil, fmt.Errorf("openwire: %w; call Rollback", errTxLost)
	}
	if s.tx != nil {
		if s.txGen != gen {
			return nil, ErrStale
		}
		return s.tx, nil
	}
	conn := l.connectionOf(s)
	tx := &txID{value: s.c.next.Add(1), conn: conn}
	if err := l.write(func(e *encoder) { e.transactionInfo(l.cmdID.Add(1), false, conn, *tx, txBegin) }); err != nil {
		return nil, err
	}
	s.tx, s.txGen = tx, gen
	return tx, nil
}

// Commit commits the session's transaction: the acknowledgements made since the
// last Commit or Rollback take effect and the messages sent are delivered. It
// fails with an error matching ErrStale if a failover reconnect ended the
// transaction (the broker rolled it back; the messages will be redelivered),
// ErrRollbackOnly if the broker reported a failed command of the transaction
// (Commit then rolls it back), ErrCommitInDoubt if the link was lost or ctx
// ended before the broker answered the commit, or a *BrokerError if the broker
// refused the commit (the transaction is rolled back).
func (s *Session) Commit(ctx context.Context) error {
	if !s.transacted {
		return errors.New("openwire: Commit on a non-transacted session")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	tx, gen, lost, rbOnly := s.tx, s.txGen, s.txLost, s.rollbackOnly
	s.tx, s.txLost, s.rollbackOnly = nil, false, nil
	s.mu.Unlock()
	defer s.closeDeferred(ctx)
	if lost {
		return fmt.Errorf("openwire: commit: %w", errTxLost)
	}
	if tx == nil {
		return nil
	}
	l, _, err := s.c.current(ctx, gen, false)
	if err == nil && rbOnly != nil {
		rerr := l.request(ctx, func(e *encoder, id int32) { e.transactionInfo(id, true, l.connectionOf(s), *tx, txRollback) })
		for _, k := range s.consumerList() {
			k.rollback(gen)
		}
		if rerr != nil && !errors.Is(rerr, ErrClosed) {
			// A lost link rolls the transaction back at the broker as well.
			s.c.log.Warn("openwire: rollback of a rollback-only transaction failed", "err", rerr)
		}
		return fmt.Errorf("openwire: commit: %w, so it was rolled back; the broker had reported: %w", ErrRollbackOnly, rbOnly)
	}
	if err == nil {
		err = l.request(ctx, func(e *encoder, id int32) { e.transactionInfo(id, true, l.connectionOf(s), *tx, txCommit1) })
		var be *BrokerError
		if err != nil && !errors.As(err, &be) {
			// COMMIT may have reached the broker: the outcome is unknown.
			for _, k := range s.consumerList() {
				k.rollback(gen)
			}
			return fmt.Errorf("openwire: commit: %w (the broker redelivers the transaction's messages if it did not commit): %w", ErrCommitInDoubt, err)
		}
	}
	if err != nil {
		if errors.Is(err, ErrStale) {
			return fmt.Errorf("openwire: commit: %w", errTxLost)
		}
		// the broker rolled the transaction back (or it is in doubt): redeliver locally as Java does
		for _, k := range s.consumerList() {
			k.rollback(gen)
		}
		return fmt.Errorf("openwire: commit failed, transaction rolled back: %w", err)
	}
	for _, k := range s.consumerList() {
		k.committed(gen)
	}
	return nil
}

// Rollback rolls the session's transaction back. Every message the session's
// consumers delivered and did not commit is redelivered locally according to
// the consumer's RedeliveryPolicy (or dead-lettered once past its maximum).
func (s *Session) Rollback(ctx context.Context) error {
	if !s.transacted {
		return errors.New("openwire: Rollback on a non-transacted session")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	tx, gen := s.tx, s.txGen
	s.tx, s.txLost, s.rollbackOnly = nil, false, nil
	s.mu.Unlock()
	defer s.closeDeferred(ctx)
	var err error
	if tx != nil {
		var l *link
		l, _, err = s.c.current(ctx, gen, false)
		if err == nil {
			err = l.request(ctx, func(e *encoder, id int32) { e.transactionInfo(id, true, l.connectionOf(s), *tx, txRollback) })
		}
		if errors.Is(err, ErrStale) {
			err = nil // the broker already rolled it back
		}
	}
	s.c.mu.Lock()
	cur := s.c.gen
	s.c.mu.Unlock()
	for _, k := range s.consumerList() {
		k.rollback(cur)
	}
	if err != nil {
		return fmt.Errorf("openwire: rollback: %w", err)
	}
	return nil
}

// Close closes the session's consumers and producers (rolling back an open
// transaction) and removes the session at the broker. Safe to call twice.
func (s *Session) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	hasTx := s.tx != nil
	s.mu.Unlock()
	if hasTx {
		_ = s.Rollback(ctx)
	}
	var first error
	for _, k := range s.consumerList() {
		if err := k.Close(ctx); err != nil && first == nil {
			first = err
		}
	}
	for _, p := range s.producerList() {
		_ = p.Close(ctx)
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.c.mu.Lock()
	delete(s.c.sessions, s.id)
	s.c.mu.Unlock()
	if s.client != "" {
		defer s.c.releaseClient(ctx, s.client)
	}
	l, _, err := s.c.current(ctx, 0, true)
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return first
		}
		return err
	}
	if err := l.request(ctx, func(e *encoder, id int32) {
		e.removeInfo(id, func(e *encoder) { e.sessionID(l.connectionOf(s), s.id) }, -1)
	}); err != nil && first == nil && !errors.Is(err, ErrClosed) {
		first = fmt.Errorf("openwire: closing session: %w", err)
	}
	return first
}
