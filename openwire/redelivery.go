package openwire

import (
	"fmt"
	"time"
)

// RedeliveryPolicy is the client-side redelivery policy of ActiveMQ's Java client
// (org.apache.activemq.RedeliveryPolicy). A message handed back with
// Consumer.Redeliver or Session.Rollback comes back through Receive after the
// delay with RedeliveryCounter+1; once the counter passes MaximumRedeliveries it
// is poison-acknowledged instead, and the broker moves it to its dead-letter queue.
//
// The zero value means DefaultRedeliveryPolicy(); to change one setting, start
// from DefaultRedeliveryPolicy() so the other fields keep Java's defaults.
type RedeliveryPolicy struct {
	MaximumRedeliveries    int           // -1: unlimited; 0: none (first failure dead-letters)
	InitialRedeliveryDelay time.Duration // delay before the first redelivery
	RedeliveryDelay        time.Duration // delay before later ones (without back-off)
	UseExponentialBackOff  bool
	BackOffMultiplier      float64       // with UseExponentialBackOff
	MaximumRedeliveryDelay time.Duration // cap on the delay; <= 0: none
}

// DefaultRedeliveryPolicy returns Java's defaults: 6 redeliveries, 1s delays,
// no back-off (multiplier 5 when enabled), no cap.
func DefaultRedeliveryPolicy() RedeliveryPolicy {
	return RedeliveryPolicy{
		MaximumRedeliveries:    6,
		InitialRedeliveryDelay: time.Second,
		RedeliveryDelay:        time.Second,
		BackOffMultiplier:      5,
	}
}

func (p RedeliveryPolicy) orDefault() RedeliveryPolicy {
	if p == (RedeliveryPolicy{}) {
		return DefaultRedeliveryPolicy()
	}
	return p
}

// Exceeded reports whether a message with this redelivery counter must be
// dead-lettered rather than delivered again.
func (p RedeliveryPolicy) Exceeded(counter int) bool {
	return p.MaximumRedeliveries >= 0 && counter > p.MaximumRedeliveries
}

// Delay is the wait before redelivery number n (n >= 1), computed as Java's
// consumer does: the initial delay first, then getNextRedeliveryDelay of the previous.
func (p RedeliveryPolicy) Delay(n int) time.Duration {
	d := p.InitialRedeliveryDelay
	for i := 1; i < n; i++ {
		next := p.RedeliveryDelay
		if p.UseExponentialBackOff && p.BackOffMultiplier > 1 && d > 0 {
			f := float64(d) * p.BackOffMultiplier
			if f > float64(maxDelay) {
				f = float64(maxDelay)
			}
			next = time.Duration(f)
		}
		if p.MaximumRedeliveryDelay > 0 && next > p.MaximumRedeliveryDelay {
			next = p.MaximumRedeliveryDelay
		}
		if next == d {
			break // steady state
		}
		d = next
	}
	return max(d, 0)
}

const maxDelay = 365 * 24 * time.Hour

func (p RedeliveryPolicy) String() string {
	return fmt.Sprintf("RedeliveryPolicy{maximumRedeliveries=%d, initialRedeliveryDelay=%d, redeliveryDelay=%d, useExponentialBackOff=%t, backOffMultiplier=%g, maximumRedeliveryDelay=%d}",
		p.MaximumRedeliveries, p.InitialRedeliveryDelay.Milliseconds(), p.RedeliveryDelay.Milliseconds(),
		p.UseExponentialBackOff, p.BackOffMultiplier, p.MaximumRedeliveryDelay.Milliseconds())
}
