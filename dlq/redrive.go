// Package dlq holds the operator's tools for ActiveMQ's dead-letter queue:
// Redrive moves dead-lettered messages back to the queue they came from.
//
// A redrive consumes the dead-letter queue and sends each message's copy to
// its original destination in one transacted session, committing per batch:
// the broker applies a batch's acknowledgements and sends together or not at
// all, so a redrive that crashes, is killed or loses its connection leaves
// every message exactly once, either still in the dead-letter queue or in its
// queue. Running it again moves the rest.
package dlq

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mqtrigger/mqtrigger/openwire"
)

// DefaultQueue is ActiveMQ's shared dead-letter queue.
const DefaultQueue = "ActiveMQ.DLQ"

// Options select what Redrive moves.
type Options struct {
	DLQ string // the dead-letter queue to read (default ActiveMQ.DLQ)
	// IDs, when set, limits the redrive to these JMSMessageIDs (as browse
	// shows them: the id of the dead-lettered copy, which is the original's).
	IDs []string
	// Queues, when set, limits the redrive to messages whose original
	// destination is one of these queues (or matches one of these wildcards
	// or composites: MatchQueue).
	Queues []string
	// BatchSize is the number of messages moved per transaction (default 100).
	BatchSize int
	// Wait ends the redrive once no message has arrived for this long
	// (default 2s): the broker dispatches what the queue holds at once, so a
	// pause means it is empty of selected messages.
	Wait time.Duration
	// Progress, when set, is called after each committed batch with the total
	// moved so far.
	Progress func(moved int)
}

// Skip is a message left in the dead-letter queue, and why.
type Skip struct {
	MessageID string `json:"MessageId"`
	Reason    string `json:"Reason"`
}

// Result counts what a redrive did.
type Result struct {
	Moved        int            `json:"Moved"`        // messages moved back
	MovedByQueue map[string]int `json:"MovedByQueue"` // moved, per original queue
	Skipped      int            `json:"Skipped"`      // messages left in the dead-letter queue
	// SkippedByReason counts the skipped messages per reason.
	SkippedByReason map[string]int `json:"SkippedByReason"`
	// SkippedMessages lists the first MaxSkipList skipped messages.
	SkippedMessages []Skip `json:"SkippedMessages"`
	// NotFound lists the Options.IDs the dead-letter queue did not hold.
	NotFound []string `json:"NotFound,omitempty"`
}

// MaxSkipList bounds Result.SkippedMessages.
const MaxSkipList = 100

// Reasons a message is skipped.
const (
	ReasonNoOriginal  = "no original destination: the broker did not dead-letter it (it was sent to the dead-letter queue directly)"
	ReasonTopic       = "its original destination is a topic: sending it back would deliver it to every subscriber again"
	ReasonOtherQueue  = "its original queue is not one of those selected"
	ReasonUnsupported = "its body kind cannot be sent by this client (object or stream message)"
	ReasonAgain       = "dead-lettered again during this redrive: the consumer of its queue still fails it"
)

// RedeliveryPolicy of the redrive's consumer: never dead-letter, since the
// messages read are already dead-lettered (the broker drops a DLQ message it
// would dead-letter into the same DLQ).
var noRedeliveryLimit = openwire.RedeliveryPolicy{MaximumRedeliveries: -1, InitialRedeliveryDelay: time.Millisecond, RedeliveryDelay: time.Millisecond, BackOffMultiplier: 1}

// Selector returns the JMS selector for messages with the given ids ("" for none).
func Selector(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "'" + strings.ReplaceAll(id, "'", "''") + "'"
	}
	return "JMSMessageID IN (" + strings.Join(q, ", ") + ")"
}

// Redrive moves the selected messages of the dead-letter queue back to their
// original queues over conn. On an error the result counts what was committed
// before it; the batch in progress is rolled back (or, with an error matching
// openwire.ErrCommitInDoubt, either fully moved or not at all).
func Redrive(ctx context.Context, conn *openwire.Conn, opts Options) (Result, error) {
	res := Result{MovedByQueue: map[string]int{}, SkippedByReason: map[string]int{}, SkippedMessages: []Skip{}}
	if opts.DLQ == "" {
		opts.DLQ = DefaultQueue
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100
	}
	if opts.Wait <= 0 {
		opts.Wait = 2 * time.Second
	}
	sess, err := conn.NewSession(ctx, true)
	if err != nil {
		return res, fmt.Errorf("redrive: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = sess.Close(cctx) // rolls back an unfinished batch
	}()
	prod, err := sess.NewProducer(ctx)
	if err != nil {
		return res, fmt.Errorf("redrive: %w", err)
	}
	cons, err := sess.NewConsumer(ctx, opts.DLQ, openwire.ConsumerOptions{
		Prefetch: opts.BatchSize, Selector: Selector(opts.IDs), Redelivery: noRedeliveryLimit,
	})
	if err != nil {
		return res, fmt.Errorf("redrive: reading %s: %w", opts.DLQ, err)
	}
	pending := map[string]int{} // moved in the open transaction, per queue
	// The ids of the copies sent: a copy that fails again comes back to the
	// dead-letter queue under its id, and moving it once more would loop for
	// as long as its consumer fails.
	sent := map[string]bool{}
	seen := map[string]bool{} // ids received, for Result.NotFound
	inBatch := 0
	commit := func() error {
		if inBatch == 0 {
			return nil
		}
		if err := sess.Commit(ctx); err != nil {
			if errors.Is(err, openwire.ErrCommitInDoubt) {
				return fmt.Errorf("redrive: the last batch of %d message(s) is either moved or still in %s (browse both to see): %w", inBatch, opts.DLQ, err)
			}
			return fmt.Errorf("redrive: batch of %d message(s) rolled back, still in %s: %w", inBatch, opts.DLQ, err)
		}
		for q, n := range pending {
			res.MovedByQueue[q] += n
			res.Moved += n
		}
		clear(pending)
		inBatch = 0
		if opts.Progress != nil {
			opts.Progress(res.Moved)
		}
		return nil
	}
	for {
		m := cons.TryReceive()
		if m == nil {
			// a lull: commit what is moved before waiting for more
			if err := commit(); err != nil {
				return res, err
			}
			rctx, cancel := context.WithTimeout(ctx, opts.Wait)
			var err error
			m, err = cons.Receive(rctx)
			cancel()
			if err != nil {
				if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
					break // nothing more to move
				}
				return res, fmt.Errorf("redrive: reading %s: %w", opts.DLQ, err)
			}
		}
		seen[m.ID] = true
		reason := skipReason(m, opts.Queues)
		if sent[m.ID] {
			reason = ReasonAgain
		}
		if reason != "" {
			// Left unacknowledged: it goes back to the dead-letter queue
			// when the consumer closes.
			res.Skipped++
			res.SkippedByReason[reason]++
			if len(res.SkippedMessages) < MaxSkipList {
				res.SkippedMessages = append(res.SkippedMessages, Skip{MessageID: m.ID, Reason: reason})
			}
			continue
		}
		dest := *m.OriginalDestination
		out := copyOf(m)
		if err := prod.Send(ctx, dest, out); err != nil {
			return res, fmt.Errorf("redrive: sending %s back to %s: %w", m.ID, dest, err)
		}
		sent[out.ID] = true
		if err := cons.Ack(ctx, m); err != nil {
			return res, fmt.Errorf("redrive: %w", err)
		}
		pending[dest.Name]++
		inBatch++
		if inBatch >= opts.BatchSize {
			if err := commit(); err != nil {
				return res, err
			}
		}
	}
	for _, id := range opts.IDs {
		if !seen[id] {
			res.NotFound = append(res.NotFound, id)
		}
	}
	return res, nil
}

func skipReason(m *openwire.Message, queues []string) string {
	switch {
	case m.OriginalDestination == nil || m.OriginalDestination.Name == "":
		return ReasonNoOriginal
	case m.OriginalDestination.Kind != openwire.DestQueue:
		return ReasonTopic
	case len(queues) > 0 && !matchAny(queues, m.OriginalDestination.Name):
		return ReasonOtherQueue
	case m.Kind != openwire.KindText && m.Kind != openwire.KindBytes && m.Kind != openwire.KindMap && m.Kind != openwire.KindPlain:
		return ReasonUnsupported
	}
	return ""
}

func matchAny(patterns []string, queue string) bool {
	for _, p := range patterns {
		if MatchQueue(p, queue) {
			return true
		}
	}
	return false
}

// copyOf is the message to send back: body, headers and properties as the
// producer sent them, without the properties the broker added when it
// dead-lettered it (dlqDeliveryFailureCause, originalExpiration: a later
// failure sets them anew) and without an expiration (the broker cleared it on
// the dead-lettered copy, or the copy would expire again at once).
func copyOf(m *openwire.Message) *openwire.Message {
	props := make(map[string]any, len(m.Properties))
	for k, v := range m.Properties {
		if k != "dlqDeliveryFailureCause" && k != "originalExpiration" {
			props[k] = v
		}
	}
	return &openwire.Message{
		Kind: m.Kind, Text: m.Text, Body: m.Body, Map: m.Map, Properties: props,
		Persistent: m.Persistent, CorrelationID: m.CorrelationID, ReplyTo: m.ReplyTo, Type: m.Type,
		Priority: m.Priority, Timestamp: m.Timestamp, Compressed: m.Compressed,
	}
}

// Queues returns the result's queues in name order.
func (r Result) Queues() []string {
	qs := make([]string, 0, len(r.MovedByQueue))
	for q := range r.MovedByQueue {
		qs = append(qs, q)
	}
	sort.Strings(qs)
	return qs
}
