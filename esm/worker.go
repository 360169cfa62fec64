package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/mqtrigger/mqtrigger/event"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/bufpool"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// envelopeBytes bounds the event's bytes outside its records, for the 6 MB cap.
const envelopeBytes = 512

// maxCauseBytes bounds the failure cause carried to the dead-letter queue.
const maxCauseBytes = 2048

// worker owns one session and consumer and handles one batch at a time.
type worker struct {
	r        *runner
	conn     *openwire.Conn
	clientID string // of the mapping's logical connection on conn
	// subscribed is called once the consumer is subscribed.
	subscribed func()
	policy     openwire.RedeliveryPolicy
	sess       *openwire.Session
	cons       *openwire.Consumer
	carry      *carried // received but left for the next batch (6 MB cap)
	left       bool     // left because idle; its slot is already given back
}

func (w *worker) run(ctx context.Context) error {
	r := w.r
	// A transacted session: a batch's acknowledgements go out without waiting and one
	// commit settles them, so the broker writes its store once per batch instead of
	// once per message (the Java client's transacted mode; 4-5x faster on
	// persistent messages).
	sess, err := w.conn.NewSessionAs(ctx, w.clientID, true)
	if err != nil {
		return fmt.Errorf("opening session: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sess.Close(cctx)
	}()
	w.sess = sess
	if err := w.subscribe(ctx); err != nil {
		return err
	}
	w.subscribed()
	defer func() { w.closeConsumer() }()

	for {
		b, err := w.collect(ctx)
		if err == nil {
			w.fitPrefetch(b)
			if b.full {
				r.wantMore()
			}
			err = w.process(b)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil || w.left:
			return nil
		case errors.Is(err, openwire.ErrConsumerAborted):
			// The broker's slow-consumer policy closed the consumer; it redelivers
			// what the consumer held, so subscribe again and go on.
			if err := w.resubscribe(ctx, err); err != nil {
				return err
			}
		default:
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// subscribe opens the worker's queue consumer.
func (w *worker) subscribe(ctx context.Context) error {
	r := w.r
	cons, err := w.sess.NewConsumer(ctx, r.cfg.Queue(), openwire.ConsumerOptions{
		Prefetch:   prefetchFor(r.cfg.BatchSize, r.cfg.MaximumConcurrency(), w.sizeHint()),
		Redelivery: w.policy,
		// With one consumer, failed messages come back before newer ones: queue order.
		OrderedRedelivery: r.cfg.MaximumConcurrency() == 1,
	})
	if err != nil {
		return fmt.Errorf("subscribing to queue %q: %w", r.cfg.Queue(), err)
	}
	w.cons = cons
	return nil
}

// resubscribe replaces a consumer the broker aborted. What it held (a message
// carried to the next batch included) is the broker's to redeliver.
func (w *worker) resubscribe(ctx context.Context, cause error) error {
	w.r.met.consumersAborted.Inc()
	w.r.log.Warn("the broker aborted the consumer (its slow-consumer policy); subscribing again", "err", cause)
	w.carry = nil
	_ = w.sess.Rollback(ctx)
	w.closeConsumer()
	return w.subscribe(ctx)
}

func (w *worker) closeConsumer() {
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = w.cons.Close(cctx)
}

// Prefetched messages are held in memory until a batch takes them, so their bytes
// are bounded: at most prefetchWorkerBytes per worker and prefetchMappingBytes
// across a mapping's MaximumConcurrency workers, never less than one message per
// worker. 8 MB is more than one 6 MB event, so a worker always has its next batch
// ready; at concurrency 100 a worker prefetches 640 KB (one 1 MB message).
const (
	prefetchWorkerBytes  = 8 << 20
	prefetchMappingBytes = 64 << 20
)

// prefetchFor sizes a consumer's prefetch: one batch ready while one is invoked
// (2 × BatchSize, 10 to 2000 messages), and with messages of msgSize bytes no
// more than the byte bounds above.
func prefetchFor(batchSize, concurrency, msgSize int) int {
	n := min(max(2*batchSize, 10), 2000)
	if msgSize > 0 {
		budget := min(prefetchWorkerBytes, prefetchMappingBytes/max(concurrency, 1))
		n = min(n, max(1, budget/msgSize))
	}
	return n
}

// assumedMsgSize stands for the message size until a batch has shown it. Only a
// mapping's first worker starts blind (the others start after a batch), so it is
// small enough to leave small messages the count rule (a smaller window cut 1 KB
// persistent throughput by a third) and still keeps a queue of 1 MB messages at
// concurrency 100 to 40 messages ahead, not 200.
const assumedMsgSize = 16 << 10

func (w *worker) sizeHint() int {
	if n := w.r.msgSize.Load(); n > 0 {
		return int(n)
	}
	return assumedMsgSize
}

// fitPrefetch resizes the consumer's prefetch to the largest message of b, and
// keeps that size for the workers that start later. A ConsumerControl is one small
// one-way command, so it follows every change.
func (w *worker) fitPrefetch(b *batch) {
	largest := 0
	for _, m := range b.msgs {
		largest = max(largest, m.Size)
	}
	if largest == 0 {
		return
	}
	r := w.r
	r.msgSize.Store(int64(largest))
	want := prefetchFor(r.cfg.BatchSize, r.cfg.MaximumConcurrency(), largest)
	if want != w.cons.Prefetch() {
		if err := w.cons.SetPrefetch(want); err != nil {
			r.log.Debug("resizing the prefetch failed", "prefetch", want, "err", err)
		}
	}
}

// batch is a batch being built or processed: the messages, their event records
// (built once, on arrival) and the event's size in bytes.
type batch struct {
	msgs    []*openwire.Message
	records []event.Record
	size    int
	// full: cut by BatchSize or by the 6 MB cap. Either way the queue has more
	// than one invocation takes, which is what scaling out answers; with large
	// messages the cap comes first, so counting only BatchSize never scaled.
	full    bool
	largest int // the largest record's size
}

func (b *batch) add(m *openwire.Message, rec event.Record, size int) {
	b.msgs = append(b.msgs, m)
	b.records = append(b.records, rec)
	b.size += size
	b.largest = max(b.largest, size)
}

// collect gathers the next batch: up to BatchSize messages, until the batching window
// passes (with a window of 0, whatever is already here), and never more than the
// 6 MB event payload. Messages the event cannot carry are dead-lettered on the way.
// When ctx ends mid-batch, what was gathered is returned to be invoked.
func (w *worker) collect(ctx context.Context) (*batch, error) {
	r := w.r
	b := &batch{size: envelopeBytes}
	if c := w.carry; c != nil {
		w.carry = nil
		b.add(c.m, c.rec, c.size)
	}
	for len(b.msgs) == 0 {
		m, err := w.receiveFirst(ctx)
		if err != nil {
			return nil, err
		}
		if rec, size, ok := w.admit(m); ok {
			b.add(m, rec, size)
		}
	}
	window := r.cfg.BatchingWindow()
	deadline := time.Now().Add(window)
	for len(b.msgs) < r.cfg.BatchSize {
		m := w.cons.TryReceive()
		if m == nil {
			if b.size+b.largest > MaxPayloadBytes {
				// No room for another message like the largest so far: full by
				// size, so it goes now rather than at the window's end.
				b.full = true
				break
			}
			remaining := time.Until(deadline)
			if window <= 0 || remaining <= 0 || ctx.Err() != nil {
				break
			}
			rctx, cancel := context.WithTimeout(ctx, remaining)
			var err error
			m, err = w.cons.Receive(rctx)
			cancel()
			if err != nil {
				if rctx.Err() != nil { // window over or stopping: send what we have
					break
				}
				// The connection failed; what was gathered is unacknowledged and
				// goes back to the broker when the consumer closes.
				return nil, err
			}
		}
		rec, size, ok := w.admit(m)
		if !ok {
			continue
		}
		if b.size+size > MaxPayloadBytes {
			// Full by size: goes at once, whatever is left of the window.
			w.carry = &carried{m, rec, size}
			b.full = true
			break
		}
		b.add(m, rec, size)
	}
	if len(b.msgs) >= r.cfg.BatchSize {
		b.full = true
	}
	return b, nil
}

// backlogCheck is how often a worker whose invocation is running looks at its
// prefetch. A full batch waiting there means the queue holds more than the
// running workers take, so it asks for another worker. A full batch invoked asks
// too, but with a slow function a new worker's first batch is often not full (its
// prefetch is still arriving) and its next one may be many seconds away, so
// scaling out on full batches alone took about one invocation per step.
const backlogCheck = 100 * time.Millisecond

// watchBacklog asks for more workers while a full batch waits in the consumer's
// prefetch during the invocation of b; stop ends it.
func (w *worker) watchBacklog(b *batch) (stop func()) {
	r, cons := w.r, w.cons
	if int(r.workers.Load()) >= r.maxWorkers() {
		return func() {}
	}
	full := w.fullBatch(b)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(backlogCheck)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if cons.Buffered() >= full {
					r.wantMore()
				}
			}
		}
	}()
	return func() { close(done) }
}

// fullBatch is how many waiting messages make a full batch: BatchSize, or fewer
// when messages like b's largest fill the 6 MB event first, or the whole prefetch
// when that holds less. A few messages waiting are no backlog: when the broker
// hands out messages no faster than the workers take them (a persistent backlog
// paged in from its store), more workers only split the same flow into smaller
// batches, each a commit the broker writes to its store. Scaling out on any
// message waiting ran a persistent 64 KB backlog at concurrency 5 in batches of
// 1.3 messages.
func (w *worker) fullBatch(b *batch) int {
	n := min(w.r.cfg.BatchSize, w.cons.Prefetch())
	if b.largest > 0 {
		n = min(n, (MaxPayloadBytes-envelopeBytes)/b.largest)
	}
	return max(n, 1)
}

// carried is a message left for the next batch by the 6 MB cap.
type carried struct {
	m    *openwire.Message
	rec  event.Record
	size int
}

// receiveFirst waits for the first message of a batch. An extra worker that waits
// longer than IdleTimeout leaves: the queue no longer needs it.
func (w *worker) receiveFirst(ctx context.Context) (*openwire.Message, error) {
	for {
		if w.r.workers.Load() <= 1 {
			return w.cons.Receive(ctx)
		}
		rctx, cancel := context.WithTimeout(ctx, w.r.e.opts.IdleTimeout)
		m, err := w.cons.Receive(rctx)
		cancel()
		if err == nil || ctx.Err() != nil || rctx.Err() == nil {
			return m, err
		}
		if w.r.mayLeave() {
			w.left = true
			return nil, context.Canceled
		}
	}
}

// admit counts a received message, builds its event record, and dead-letters the
// messages no aws:mq event can carry: kinds other than text and bytes, and messages
// larger than 6 MB by themselves. Lambda drops the latter silently; mqtrigger says why.
func (w *worker) admit(m *openwire.Message) (rec event.Record, size int, ok bool) {
	r := w.r
	r.met.received.Inc()
	var cause string
	if m.Kind != openwire.KindText && m.Kind != openwire.KindBytes {
		cause = fmt.Sprintf("mqtrigger: %s messages cannot be delivered in an aws:mq event (only text and bytes messages)", m.Kind)
	} else {
		rec = toRecord(m)
		size = event.RecordSize(&rec)
		if envelopeBytes+size <= MaxPayloadBytes {
			return rec, size, true
		}
		cause = fmt.Sprintf("mqtrigger: message of %d bytes exceeds the 6 MB synchronous invocation payload limit", len(rec.Data))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.deadLetter(ctx, cause, m); err != nil {
		r.log.Warn("dead-lettering an undeliverable message failed; the broker will redeliver it", "message_id", m.ID, "err", err)
	}
	return rec, 0, false
}

// process filters a batch, invokes the function and settles every message: acked on
// success, redelivered (or dead-lettered past the limit) on failure.
func (w *worker) process(b *batch) error {
	r := w.r
	// Settling uses its own context: a stopping mapping still finishes its batch.
	ctx := context.Background()

	matched, records := b.msgs, b.records
	var filtered []*openwire.Message
	if r.filter != nil {
		matched, records = nil, nil
		for i, m := range b.msgs {
			if r.filter.Match(b.records[i].Data) {
				matched = append(matched, m)
				records = append(records, b.records[i])
			} else {
				filtered = append(filtered, m)
			}
		}
	}
	if len(filtered) > 0 {
		// Lambda acknowledges messages that match no filter without invoking.
		if err := w.ack(ctx, filtered); err != nil {
			return err
		}
		r.met.filtered.Add(float64(len(filtered)))
	}
	if len(matched) == 0 {
		return nil
	}

	// Sized up front: growing a multi-megabyte event was a third of the CPU with
	// 64 KB messages. Encoded into a recycled buffer, given back by invokeCapped.
	payload := event.AppendEvent(bufpool.Get(b.size)[:0], r.cfg.EventSourceArn, records)
	r.met.batches.Inc()
	r.met.batchSize.Observe(float64(len(matched)))
	r.met.concurrent.Inc()
	start := time.Now()
	// A fenced node abandons the invocation (halt): its slot may be another node's.
	stopWatch := w.watchBacklog(b)
	res, err := r.invokeCapped(r.haltCtx, payload)
	stopWatch()
	r.met.concurrent.Dec()
	r.met.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		// The function could not be run at all: give the batch back and stop.
		r.met.invokeErrors.Inc()
		return fmt.Errorf("invoking %s: %w", r.cfg.FunctionName, err)
	}
	r.met.invocations.Inc()

	if res.FunctionError == "" {
		if r.cfg.ReportBatchItemFailures() {
			failedIDs, ok, perr := event.ParseBatchItemFailures(res.Payload, records)
			if !ok { // a malformed partial response fails the whole batch, as on Lambda
				return w.fail(ctx, matched, "mqtrigger: "+perr.Error())
			}
			if len(failedIDs) > 0 {
				return w.settlePartial(ctx, matched, failedIDs)
			}
		}
		r.record("", ResultOK)
		return w.ack(ctx, matched)
	}
	r.met.invokeErrors.Inc()
	return w.fail(ctx, matched, functionErrorCause(res))
}

// settlePartial acks the messages the function did not report as failed and
// redelivers the rest.
func (w *worker) settlePartial(ctx context.Context, batch []*openwire.Message, failedIDs []string) error {
	failed := make(map[string]bool, len(failedIDs))
	for _, id := range failedIDs {
		failed[id] = true
	}
	var ok, bad []*openwire.Message
	for _, m := range batch {
		if failed[m.ID] {
			bad = append(bad, m)
		} else {
			ok = append(ok, m)
		}
	}
	if len(ok) > 0 {
		if err := w.ack(ctx, ok); err != nil {
			return err
		}
	}
	return w.fail(ctx, bad, "mqtrigger: the function reported these messages in batchItemFailures")
}

// fail settles messages the function failed: each goes to the dead-letter queue
// with the cause once it has been redelivered the maximum number of times, and is
// otherwise handed back for redelivery after the policy's delay. The decision is
// taken here, once, with the consumer's own rule (RedeliveryPolicy.Exceeded on the
// counter the redelivery would give the message), so what the metrics count is what
// happened.
func (w *worker) fail(ctx context.Context, msgs []*openwire.Message, cause string) error {
	r := w.r
	r.record("", ResultFunctionCallFailed)
	if len(cause) > maxCauseBytes {
		cause = cause[:maxCauseBytes]
	}
	var dead, again []*openwire.Message
	for _, m := range msgs {
		if w.policy.Exceeded(m.RedeliveryCounter + 1) {
			dead = append(dead, m)
		} else {
			again = append(again, m)
		}
	}
	if err := w.deadLetter(ctx, cause, dead...); err != nil {
		return err
	}
	err := w.cons.Redeliver(ctx, cause, again...)
	if errors.Is(err, openwire.ErrStale) {
		return nil // the connection was replaced; the broker redelivers them anyway
	}
	if err != nil {
		return fmt.Errorf("redelivering: %w", err)
	}
	r.met.redelivered.Add(float64(len(again)))
	return nil
}

// deadLetter sends msgs to the broker's dead-letter queue with cause: messages no
// event can carry, and failed messages past their last redelivery.
func (w *worker) deadLetter(ctx context.Context, cause string, msgs ...*openwire.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	err := w.cons.Poison(ctx, cause, msgs...)
	if errors.Is(err, openwire.ErrStale) {
		return nil // the connection was replaced; the broker redelivers them
	}
	if err != nil {
		return fmt.Errorf("dead-lettering: %w", err)
	}
	w.r.met.deadLettered.Add(float64(len(msgs)))
	if len(msgs) == 1 {
		w.r.log.Warn("message dead-lettered", "message_id", msgs[0].ID, "cause", cause)
	} else {
		w.r.log.Warn("messages dead-lettered", "count", len(msgs), "cause", cause)
	}
	return nil
}

func (w *worker) ack(ctx context.Context, msgs []*openwire.Message) error {
	err := w.cons.Ack(ctx, msgs...)
	if err == nil {
		err = w.sess.Commit(ctx)
	}
	switch {
	case errors.Is(err, openwire.ErrStale):
		// The connection failed over after these were received: the broker
		// redelivers them, so the function may see them again (at-least-once).
		_ = w.sess.Rollback(ctx)
		w.r.log.Warn("acknowledgement lost to a reconnect; messages will be redelivered", "count", len(msgs))
		return nil
	case errors.Is(err, openwire.ErrRollbackOnly):
		// The broker refused a command of this transaction (ConnectionError); the
		// commit rolled it back, so the messages come again.
		w.r.log.Warn("the broker refused part of the acknowledgement; rolled back, messages will be redelivered", "count", len(msgs), "err", err)
		return nil
	case errors.Is(err, openwire.ErrCommitInDoubt):
		// Either the broker committed (done) or it will redeliver: nothing is lost,
		// and the function may see these again. Not counted as acknowledged.
		w.r.log.Warn("the link was lost during the commit; the messages are acknowledged or will be redelivered", "count", len(msgs), "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("acknowledging: %w", err)
	}
	w.r.met.acked.Add(float64(len(msgs)))
	// Committed: nothing reads these bodies again (the event holds copies), so
	// their frames go to later messages. Any other outcome leaves them to the
	// collector, as the consumer may hand them out again.
	for _, m := range msgs {
		m.Release()
	}
	return nil
}

// functionErrorCause is the failure as the dead-letter queue will carry it.
func functionErrorCause(res *function.Result) string {
	var fe struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(res.Payload, &fe) == nil && (fe.ErrorType != "" || fe.ErrorMessage != "") {
		return fmt.Sprintf("%s: %s", fe.ErrorType, fe.ErrorMessage)
	}
	body := res.Payload
	if len(body) > 512 {
		body = body[:512]
	}
	return fmt.Sprintf("function error (%s): %s", res.FunctionError, body)
}

// body is the message's body as bytes without copying a text body: the event only
// reads it (base64, filters), and a copy per message was a second pass over every
// byte.
func body(m *openwire.Message) []byte {
	if m.Kind == openwire.KindText {
		return unsafe.Slice(unsafe.StringData(m.Text), len(m.Text))
	}
	return m.Body
}

func toRecord(m *openwire.Message) event.Record {
	rec := event.Record{
		MessageID:     m.ID,
		Data:          body(m),
		Timestamp:     m.Timestamp,
		Persistent:    m.Persistent,
		CorrelationID: m.CorrelationID,
		Type:          m.Type,
		Expiration:    m.Expiration,
		Priority:      int(m.Priority),
		Redelivered:   m.RedeliveryCounter > 0,
		Destination:   m.Destination.Name,
		BrokerInTime:  m.BrokerInTime,
		BrokerOutTime: m.BrokerOutTime,
		Properties:    m.Properties,
	}
	if m.Kind == openwire.KindText {
		rec.Kind = event.Text
	} else {
		rec.Kind = event.Bytes
	}
	if m.ReplyTo != nil {
		rec.ReplyTo = m.ReplyTo.String()
	}
	return rec
}
