package openwire

import (
	"fmt"
	"strconv"
	"strings"
)

// The broker's control commands: ConnectionError, ConsumerControl and
// ConnectionControl. None of them ends the link by itself.

// ackExpired is MessageAck.EXPIRED_ACK_TYPE: the client dropped an expired message.
const ackExpired = 6

// connectionError is a decoded ConnectionError.
type connectionError struct {
	err    *BrokerError
	connID string // usually empty: ActiveMQ's serviceException does not set it
}

func decodeConnectionError(frame []byte, tight bool) (connectionError, error) {
	d := frameDecoder(frame[1:], tight, nil)
	d.command()
	ce := connectionError{err: d.throwable(false, 0)}
	if ce.err == nil {
		ce.err = &BrokerError{Class: "unknown"}
	}
	if t := d.nestedType(); t != 0 && d.expect(t, typeConnectionID, "ConnectionError.connectionId") {
		ce.connID = d.str()
	}
	return ce, d.err
}

type consumerControl struct {
	consumer consumerID
	close    bool
	prefetch int32
}

func decodeConsumerControl(frame []byte, tight bool) (consumerControl, error) {
	d := frameDecoder(frame[1:], tight, nil)
	d.command()
	d.destination()
	var cc consumerControl
	cc.close = d.bool1()
	if t := d.nestedType(); t != 0 && d.expect(t, typeConsumerID, "ConsumerControl.consumerId") {
		cc.consumer = d.consumerIDBody()
	}
	cc.prefetch = d.int32()
	return cc, d.err
}

type connectionControl struct {
	close, exit, faultTolerant, resume, suspend bool
	connectedBrokers, reconnectTo               string
	rebalance                                   bool
}

func decodeConnectionControl(frame []byte, tight bool) (connectionControl, error) {
	d := frameDecoder(frame[1:], tight, nil)
	d.command()
	var cc connectionControl
	cc.close, cc.exit, cc.faultTolerant, cc.resume, cc.suspend = d.bool1(), d.bool1(), d.bool1(), d.bool1(), d.bool1()
	cc.connectedBrokers, cc.reconnectTo = d.str(), d.str()
	cc.rebalance = d.bool1()
	d.bytes() // token
	return cc, d.err
}

// onConnectionError handles a ConnectionError: the broker reports a one-way
// command it could not carry out (an ack it cannot match, a send the user may not
// make) and keeps the connection open, so the link stays. Transactions the error
// concerns become rollback-only; Config.OnAsyncError hears of it.
func (l *link) onConnectionError(frame []byte) error {
	ce, err := decodeConnectionError(frame, l.tight)
	if err != nil {
		return fmt.Errorf("openwire: from %s: %w", l.ep, err)
	}
	if strings.HasSuffix(ce.err.Class, "BrokerStoppedException") {
		// the broker sends this one before closing the socket itself
		return fmt.Errorf("openwire: broker %s is stopping: %w", l.ep, ce.err)
	}
	c := l.c
	var hit []*Session
	var open []*Session
	for _, s := range c.sortedSessions() {
		s.mu.Lock()
		tx := s.tx
		s.mu.Unlock()
		if tx == nil {
			continue
		}
		conn := l.connectionOf(s)
		named := ce.connID == conn ||
			strings.Contains(ce.err.Message, "TX:"+conn+":"+strconv.FormatInt(tx.value, 10))
		for _, k := range s.consumerList() {
			named = named || strings.Contains(ce.err.Message, conn+":"+strconv.FormatInt(s.id, 10)+":"+strconv.FormatInt(k.id, 10))
		}
		if ce.connID != "" && ce.connID != conn {
			continue
		}
		open = append(open, s)
		if named {
			hit = append(hit, s)
		}
	}
	if len(hit) == 0 {
		// The error names no transaction of ours: any open one may have lost the
		// command, so none may commit as if it had not (a rollback only redelivers).
		hit = open
	}
	for _, s := range hit {
		s.setRollbackOnly(ce.err)
	}
	c.log.Warn("openwire: broker reported a failed command; connection kept", "endpoint", l.ep.String(),
		"class", ce.err.Class, "message", ce.err.Message, "rollbackOnly", len(hit))
	if cb := c.cfg.OnAsyncError; cb != nil {
		cb(fmt.Errorf("openwire: broker %s: %w", l.ep, ce.err))
	}
	return nil
}

// onConsumerControl honours ConsumerControl{close}: the broker aborted the
// consumer (abortSlowConsumerStrategy, abortSlowAckConsumerStrategy). Other
// ConsumerControl uses (prefetch changes by a network of brokers) are ignored.
func (l *link) onConsumerControl(frame []byte) error {
	cc, err := decodeConsumerControl(frame, l.tight)
	if err != nil {
		return fmt.Errorf("openwire: from %s: %w", l.ep, err)
	}
	if !cc.close {
		l.c.log.Debug("openwire: ignoring ConsumerControl", "consumer", cc.consumer.value, "prefetch", cc.prefetch)
		return nil
	}
	k := l.c.consumer(cc.consumer.value)
	if k == nil || k.cid(l) != cc.consumer {
		return nil // closed meanwhile
	}
	l.c.log.Warn("openwire: broker aborted consumer", "endpoint", l.ep.String(), "destination", k.dest.String())
	// Not on the reader goroutine: removing the consumer waits for a response.
	go k.abort()
	return nil
}

// onConnectionControl logs and otherwise ignores ConnectionControl: this client
// does not follow a broker's cluster updates (updateClusterClients) or
// rebalancing (rebalanceClusterClients, reconnectTo); the failover URL alone
// names the brokers.
func (l *link) onConnectionControl(frame []byte) error {
	cc, err := decodeConnectionControl(frame, l.tight)
	if err != nil {
		return fmt.Errorf("openwire: from %s: %w", l.ep, err)
	}
	if cc.connectedBrokers != "" || cc.reconnectTo != "" || cc.rebalance {
		l.c.log.Info("openwire: ignoring the broker's cluster update (only the URL's brokers are used)", "endpoint", l.ep.String(),
			"connectedBrokers", cc.connectedBrokers, "reconnectTo", cc.reconnectTo, "rebalance", cc.rebalance)
	}
	return nil
}
