package openwire

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Producer sends messages to any destination.
type Producer struct {
	s      *Session
	id     int64
	seq    atomic.Int64
	closed atomic.Bool
}

// NewProducer creates a producer (not bound to a destination).
func (s *Session) NewProducer(ctx context.Context) (*Producer, error) {
	l, _, err := s.c.current(ctx, 0, true)
	if err != nil {
		return nil, err
	}
	p := &Producer{s: s, id: s.c.next.Add(1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.producers[p.id] = p
	s.mu.Unlock()
	if err := l.request(ctx, func(e *encoder, id int32) { e.producerInfo(id, p.pid(l)) }); err != nil {
		s.mu.Lock()
		delete(s.producers, p.id)
		s.mu.Unlock()
		return nil, fmt.Errorf("openwire: creating producer: %w", security(err, ErrAuthorization))
	}
	return p, nil
}

func (p *Producer) pid(l *link) producerID {
	return producerID{conn: l.connectionOf(p.s), value: p.id, session: p.s.id}
}

// Send sends m to dest. m.Kind must be text, bytes, map or plain; Text, Body,
// Map, Properties, Persistent, CorrelationID, ReplyTo, Type, Priority,
// TimeToLive (or Expiration) and Compressed are used. Send sets m.ID,
// m.Destination and m.Timestamp (when 0). Outside a transaction Send waits for the
// broker's receipt; in a transacted session the message is delivered at Commit.
func (p *Producer) Send(ctx context.Context, dest Destination, m *Message) error {
	if p.closed.Load() {
		return ErrClosed
	}
	if dest.Name == "" {
		return errors.New("openwire: send needs a destination name")
	}
	if m.Priority > 9 {
		return fmt.Errorf("openwire: priority %d: must be 0-9", m.Priority)
	}
	content, hasContent, err := m.encodeContent()
	if err != nil {
		return err
	}
	props, err := encodeProperties(m.Properties)
	if err != nil {
		return err
	}
	l, gen, err := p.s.c.current(ctx, 0, true)
	if err != nil {
		return err
	}
	var tx *txID
	if p.s.transacted {
		if tx, err = p.s.begin(l, gen); err != nil {
			return err
		}
	}
	pid := p.pid(l)
	m.id = messageID{producer: pid, prodSeq: p.seq.Add(1)}
	m.ID = m.id.String()
	m.Destination = dest
	if m.Timestamp == 0 {
		m.Timestamp = time.Now().UnixMilli()
	}
	if m.TimeToLive > 0 && m.Expiration == 0 {
		m.Expiration = m.Timestamp + m.TimeToLive.Milliseconds()
	}
	build := func(e *encoder, id int32, respReq bool) {
		e.message(id, respReq, m, pid, &dest, tx, content, hasContent, props)
	}
	if tx != nil {
		err = l.write(func(e *encoder) { build(e, l.cmdID.Add(1), false) })
	} else {
		err = l.request(ctx, func(e *encoder, id int32) { build(e, id, true) })
	}
	if err != nil {
		return fmt.Errorf("openwire: send to %s: %w", dest, security(err, ErrAuthorization))
	}
	return nil
}

// Close removes the producer. Safe to call twice.
func (p *Producer) Close(ctx context.Context) error {
	if p.closed.Swap(true) {
		return nil
	}
	p.s.mu.Lock()
	delete(p.s.producers, p.id)
	p.s.mu.Unlock()
	l := p.s.c.linkNow(p.s.c.currentGen())
	if l == nil {
		return nil
	}
	err := l.request(ctx, func(e *encoder, id int32) {
		e.removeInfo(id, func(e *encoder) { e.producerID(p.pid(l)) }, -1)
	})
	if err != nil && !errors.Is(err, ErrClosed) {
		return fmt.Errorf("openwire: closing producer: %w", err)
	}
	return nil
}
