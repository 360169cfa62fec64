package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/mqtrigger/mqtrigger/openwire"
)

// group is one kind of message the throughput rows share: the Java reference and
// every mqtrigger row of a group consume the same number of the same messages.
type group struct {
	Label      string // "1 KB persistent"
	Slug       string // for queue names
	Size       int
	Count      int
	Persistent bool
	Target     targetKind // what its concurrency-5 rows are held to
}

// targetKind says which targets a group's concurrency-5 rows carry.
type targetKind uint8

const (
	targetNone  targetKind = iota
	targetJava             // every function ≥ 0.9× Java (1 KB)
	targetLarge            // HTTP ≥ 0.9× Java, Runtime API ≥ 1.6× its concurrency-1 row (64 KB)
)

// fnKind is a kind of no-op function.
type fnKind struct {
	Name  string // function name in mqtrigger
	Label string // in the table
	Slug  string
	Sink  *sink
}

const (
	targetRatio    = 0.9
	targetScaleOut = 1.6
	targetP99      = 10 * time.Millisecond
	targetIdleRSS  = 100 << 20
	targetIdleN    = 1000
	batchSize      = 100
)

// queue names a fresh queue for one scenario.
func (b *bench) queue(parts ...any) string {
	b.seq++
	return fmt.Sprintf("bench.%d.%s", b.seq, fmt.Sprint(parts...))
}

// javaRow measures the reference for a group.
func (b *bench) javaRow(ctx context.Context, g group) row {
	r := row{Scenario: "Java client (reference), " + g.Label, Messages: g.Count}
	q := b.queue(g.Slug, ".java")
	b.progress("filling %s with %d × %d B messages (persistent %v)", q, g.Count, g.Size, g.Persistent)
	if err := b.java.Fill(ctx, q, g.Count, g.Size, g.Persistent); err != nil {
		r.Err = err
		return r
	}
	b.progress("Java reference consuming %d messages from %s", g.Count, q)
	cpu := b.meterCPU()
	res, err := b.java.Reference(ctx, q, g.Count)
	if err != nil {
		r.Err = err
		return r
	}
	r.Note = cpu.Note() + " (including the JVM's start)"
	r.Seconds, r.Rate, r.Ratio = res.Seconds, res.PerSecond, 1
	b.progress("Java reference: %.0f msgs/s", res.PerSecond)
	return r
}

// throughputRow measures mqtrigger end to end for a group: a queue is filled, a
// mapping created, and the time taken from the function's first invocation until
// mqtrigger has acknowledged every message.
func (b *bench) throughputRow(ctx context.Context, g group, fn fnKind, conc int, ref float64) row {
	r := row{Scenario: fmt.Sprintf("%s → %s, concurrency %d, %s", b.cur.Label, fn.Label, conc, g.Label), Messages: g.Count}
	if conc == 5 && b.measured() && (g.Target == targetJava || g.Target == targetLarge && fn.Slug == "http") {
		r.Target = fmt.Sprintf("≥ %.1f× Java", targetRatio)
	}
	q := b.queue(g.Slug, ".", fn.Slug, ".c", conc, ".", b.cur.Label)
	b.progress("filling %s with %d × %d B messages (persistent %v)", q, g.Count, g.Size, g.Persistent)
	if err := b.java.Fill(ctx, q, g.Count, g.Size, g.Persistent); err != nil {
		r.Err = err
		return r
	}
	fn.Sink.Arm(int64(g.Count), false)
	b.svc.ResetPeak()
	b.progress("%s: mapping %s -> %s", r.Scenario, q, fn.Name)
	cpu := b.meterCPU()
	uuid, err := b.ctl.CreateMapping(ctx, mappingSpec{Function: fn.Name, Queue: q, BatchSize: batchSize, Concurrency: conc, Window: b.opts.Window})
	if err != nil {
		r.Err = err
		return r
	}
	defer func() {
		if err := b.ctl.DeleteMapping(ctx, uuid); err != nil && r.Err == nil {
			r.Err = err
		}
	}()
	stopProfile := b.profileCPU(ctx, fmt.Sprintf("%s-%s-c%d", g.Slug, fn.Slug, conc), g.Count, ref)
	defer stopProfile()
	if err := b.waitFunction(ctx, fn.Sink, g.Count, uuid); err != nil {
		r.Err = err
		return r
	}
	n, _, first, last := fn.Sink.Snapshot()
	end, acked, err := b.waitAcked(ctx, uuid, g.Count)
	if err != nil {
		r.Err = err
		return r
	}
	r.Note = join(cpu.Note()+" (from the mapping's creation)", cpu.perGB(int64(g.Count)*int64(g.Size)))
	if !acked {
		end = last
		r.Note = join(r.Note, "end = last invocation (no ack metric on /metrics)")
	}
	r.RSS = b.svc.Peak()
	b.cur.peak = max(b.cur.peak, r.RSS)
	r.Seconds = end.Sub(first).Seconds()
	if r.Seconds > 0 {
		r.Rate = float64(g.Count) / r.Seconds
	}
	if ref > 0 {
		r.Ratio = r.Rate / ref
	}
	if n > int64(g.Count) {
		r.Note = join(r.Note, fmt.Sprintf("%d messages delivered more than once", n-int64(g.Count)))
	}
	if r.Target != "" && r.Ratio > 0 {
		r.Result = passFail(r.Ratio >= targetRatio)
	}
	b.profileHeap(ctx, fmt.Sprintf("%s-%s-c%d", g.Slug, fn.Slug, conc))
	if !acked {
		if left, err := b.java.QueueSize(ctx, q); err != nil {
			r.Err = err
		} else if left != 0 {
			r.Err = fmt.Errorf("%d messages left in %s after the function got them all", left, q)
		}
	}
	b.progress("%s: %.0f msgs/s (%.2f× Java)", r.Scenario, r.Rate, r.Ratio)
	return r
}

// waitFunction waits until the sink counted want messages, reporting progress and
// failing when nothing arrives for a minute.
func (b *bench) waitFunction(ctx context.Context, s *sink, want int, uuid string) error {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	var seen int64
	lastProgress := time.Now()
	for {
		select {
		case <-s.Reached():
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			n, inv, _, _ := s.Snapshot()
			b.progress("  function got %d of %d messages in %d invocations", n, want, inv)
			if !b.svc.Alive() {
				return fmt.Errorf("mqtrigger exited; see %s", b.svc.Log)
			}
			if n > seen {
				seen, lastProgress = n, time.Now()
			} else if time.Since(lastProgress) > time.Minute {
				return fmt.Errorf("stalled: the function got %d of %d messages and nothing for a minute; %s; see %s",
					n, want, b.ctl.Describe(ctx, uuid), b.svc.Log)
			}
		}
	}
}

// waitAcked polls mqtrigger_messages_acknowledged_total for the mapping until it
// reaches want, and returns when it saw that. acked is false when the service has
// no such series.
func (b *bench) waitAcked(ctx context.Context, uuid string, want int) (end time.Time, acked bool, err error) {
	deadline := time.Now().Add(time.Minute)
	for {
		v, found, err := b.svc.Metric(ctx, "mqtrigger_messages_acknowledged_total", `mapping="`+uuid+`"`)
		now := time.Now()
		if err != nil {
			return now, false, err
		}
		if !found {
			return now, false, nil
		}
		if v >= float64(want) {
			return now, true, nil
		}
		if now.After(deadline) {
			return now, false, fmt.Errorf("mqtrigger acknowledged %.0f of %d messages a minute after the function got them all", v, want)
		}
		select {
		case <-ctx.Done():
			return now, false, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// latencyRow sends samples messages one at a time and measures from just before
// each send to the function's start on it.
func (b *bench) latencyRow(ctx context.Context, fn fnKind, persistent bool, samples int) row {
	mode := "non-persistent"
	if persistent {
		mode = "persistent"
	}
	r := row{Scenario: fmt.Sprintf("%slone message send → %s start, %s", b.prefix(), fn.Label, mode), Messages: samples}
	if b.measured() {
		r.Target = fmt.Sprintf("p99 < %d ms", targetP99.Milliseconds())
	}
	q := b.queue("latency.", fn.Slug, ".", mode, ".", b.cur.Label)
	b.svc.ResetPeak()
	uuid, err := b.ctl.CreateMapping(ctx, mappingSpec{Function: fn.Name, Queue: q, BatchSize: batchSize, Concurrency: 1})
	if err != nil {
		r.Err = err
		return r
	}
	defer func() {
		if err := b.ctl.DeleteMapping(ctx, uuid); err != nil && r.Err == nil {
			r.Err = err
		}
	}()
	if err := b.ctl.WaitEnabled(ctx, []string{uuid}, time.Minute); err != nil {
		r.Err = err
		return r
	}
	conn, err := openwire.Dial(ctx, b.broker.URL, openwire.Config{User: b.broker.User, Password: b.broker.Password})
	if err != nil {
		r.Err = fmt.Errorf("connecting the producer: %w", err)
		return r
	}
	defer conn.Close()
	sess, err := conn.NewSession(ctx, false)
	if err != nil {
		r.Err = err
		return r
	}
	prod, err := sess.NewProducer(ctx)
	if err != nil {
		r.Err = err
		return r
	}
	fn.Sink.Arm(0, true)
	arrivals := fn.Sink.Arrivals()
	var sends []time.Duration // how long the broker took to confirm each send
	send := func(body string, wait time.Duration) (time.Duration, error) {
		m := &openwire.Message{Kind: openwire.KindBytes, Body: []byte(body), Persistent: persistent}
		t0 := time.Now()
		if err := prod.Send(ctx, openwire.Queue(q), m); err != nil {
			return 0, fmt.Errorf("sending to %s: %w", q, err)
		}
		sends = append(sends, time.Since(t0))
		want := base64.StdEncoding.EncodeToString([]byte(body))
		timeout := time.After(wait)
		for {
			select {
			case a := <-arrivals:
				if a.First == want {
					return a.At.Sub(t0), nil
				}
			case <-timeout:
				return 0, fmt.Errorf("message %q did not reach the function within %s", body, wait)
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
	}
	// The first messages wait for the consumer and warm the function.
	b.progress("%s: warming up", r.Scenario)
	for i := range 10 {
		if _, err := send(fmt.Sprintf("warm-%d", i), time.Minute); err != nil {
			r.Err = err
			return r
		}
	}
	b.progress("%s: %d samples", r.Scenario, samples)
	sends = sends[:0]
	lat := make([]time.Duration, 0, samples)
	for i := range samples {
		d, err := send(fmt.Sprintf("lat-%d", i), 10*time.Second)
		if err != nil {
			r.Err = err
			return r
		}
		lat = append(lat, d)
	}
	slices.Sort(lat)
	r.P50, r.P99 = percentile(lat, 50), percentile(lat, 99)
	r.RSS = b.svc.Peak()
	b.cur.peak = max(b.cur.peak, r.RSS)
	if r.Target != "" {
		r.Result = passFail(r.P99 < targetP99)
	}
	slices.Sort(sends)
	r.Note = fmt.Sprintf("max %s; the broker confirmed sends in p50 %s, p99 %s",
		ms(lat[len(lat)-1]), ms(percentile(sends, 50)), ms(percentile(sends, 99)))
	b.progress("%s: p50 %s p99 %s; %s", r.Scenario, r.P50, r.P99, r.Note)
	return r
}

// percentile returns the p-th percentile (nearest rank) of sorted values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// idleRows start a fresh service and read its RSS with no mappings, then with each
// count of idle mappings on distinct empty queues, once all are Enabled and their
// consumers are up.
func (b *bench) idleRows(ctx context.Context, counts []int, conc int) []row {
	var rows []row
	svc, ctl, err := b.startService(ctx, "service-"+b.cur.Label+"-idle")
	if err != nil {
		return []row{{Scenario: "idle service", Err: err}}
	}
	defer svc.Stop()
	base := row{Scenario: b.prefix() + "idle service, no mappings"}
	base.RSS, base.Err = settledRSS(ctx, svc)
	rows = append(rows, base)
	perMapping := conc
	if perMapping == 0 {
		perMapping = 5 // the documented default, Lambda's fixed concurrency for ActiveMQ
	}
	var uuids []string
	for _, n := range counts {
		r := row{Scenario: fmt.Sprintf("%sidle service, %d mappings (concurrency %d each)", b.prefix(), n, perMapping), Messages: 0}
		if n >= targetIdleN && b.measured() {
			r.Target = fmt.Sprintf("RSS < %d MB", targetIdleRSS>>20)
		}
		if n < len(uuids) {
			continue
		}
		b.progress("creating %d idle mappings", n-len(uuids))
		from := len(uuids)
		uuids = append(uuids, make([]string, n-from)...)
		err := parallel(ctx, n-from, 8, func(i int) error {
			u, err := ctl.CreateMapping(ctx, mappingSpec{Function: b.cfg.HTTPFunction,
				Queue: fmt.Sprintf("bench.idle.%d", from+i), BatchSize: batchSize, Concurrency: conc})
			uuids[from+i] = u
			return err
		})
		if err == nil {
			b.progress("waiting for %d mappings to be Enabled", n)
			err = ctl.WaitEnabled(ctx, uuids, 5*time.Minute)
		}
		if err == nil {
			// An idle mapping keeps one consumer; more start only when messages wait.
			b.progress("waiting for a consumer on each of %d mappings", n)
			var consumers float64
			var confirmed bool
			consumers, confirmed, err = waitConsumers(ctx, svc, n)
			switch {
			case err == nil && !confirmed:
				r.Note = "consumers not confirmed (no mqtrigger_consumers metric)"
			case err == nil:
				r.Note = fmt.Sprintf("%.0f consumers", consumers)
			}
		}
		if err != nil {
			r.Err = err
			rows = append(rows, r)
			break
		}
		r.RSS, r.Err = settledRSS(ctx, svc)
		if r.Target != "" && r.Err == nil {
			r.Result = passFail(r.RSS < targetIdleRSS)
		}
		b.profileHeapOf(ctx, svc, fmt.Sprintf("%s-idle-%d", b.cur.Label, n))
		b.progress("%s: RSS %.1f MB", r.Scenario, mb(r.RSS))
		rows = append(rows, r)
	}
	return rows
}

// waitConsumers waits until mqtrigger_consumers sums to at least want and returns
// the sum; confirmed is false when the service has no such series.
func waitConsumers(ctx context.Context, svc *service, want int) (consumers float64, confirmed bool, err error) {
	err = pollEvery(ctx, 5*time.Minute, 250*time.Millisecond, func() (bool, error) {
		v, found, err := svc.Metric(ctx, "mqtrigger_consumers")
		if err != nil {
			return false, err
		}
		if !found {
			return true, nil
		}
		consumers = v
		confirmed = v >= float64(want)
		return confirmed, nil
	})
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("%.0f consumers up for %d mappings: %w", consumers, want, err)
	}
	return consumers, confirmed, err
}

// settledRSS waits for the service to go quiet and returns its VmRSS.
func settledRSS(ctx context.Context, svc *service) (int64, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(3 * time.Second):
	}
	rss, _, err := svc.Memory()
	return rss, err
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	if a == "" {
		return b
	}
	return a + "; " + b
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
