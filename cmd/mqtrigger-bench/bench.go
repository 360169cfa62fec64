package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// bench is one run of the benchmark: a broker, the Java client, the no-op
// functions and one mqtrigger service for the throughput and latency scenarios.
type bench struct {
	opts options
	log  io.Writer
	dir  string

	broker  *broker
	java    *java
	http    *httpFunction
	runtime *runtimeFunction
	noop    string // the aws-lambda-go no-op bootstrap
	cfg     serviceConfig
	pprof   bool

	// The mqtrigger under measurement, and the baseline measured beside it row by
	// row (nil without -baseline). cur is the one the scenarios use now; svc and ctl
	// are its service and API client.
	main, base, cur *instance
	svc             *service
	ctl             *control

	seq   int
	pairs int // scenarios measured on both builds so far
}

const runtimeFunctionName = "noop-runtime"

// instance is one mqtrigger build under measurement.
type instance struct {
	Label string // how its rows are named: "mqtrigger" or "baseline"
	bin   string
	peak  int64 // the highest RSS of its throughput and latency rows
	svc   *service
	ctl   *control
}

// use makes in the mqtrigger the scenarios measure.
func (b *bench) use(in *instance) { b.cur, b.svc, b.ctl = in, in.svc, in.ctl }

// prefix starts the names of the baseline's rows that do not start with its label.
func (b *bench) prefix() string {
	if b.measured() {
		return ""
	}
	return b.cur.Label + ": "
}

// measured is true for the build under test, whose rows carry targets.
func (b *bench) measured() bool { return b.cur == b.main }

// both runs one scenario on the build under test and, with -baseline, on the
// baseline beside it, times runs each (the median shown), and notes the ratio
// between the two on the build's row. The builds take turns run by run: the run
// just after another program's has been seen up to 2x slower than the next on a
// busy machine (either build), and a slow spell of the disk then lands on both
// rather than on the three runs of one.
func (b *bench) both(times int, measure func() row, ratio func(cur, base row) (float64, bool)) []row {
	times = max(times, 1)
	var mine, theirs []row
	run := func(in *instance, into *[]row) {
		if n := len(*into); n > 0 && (*into)[n-1].Err != nil {
			return // a failed run ends the row
		}
		b.use(in)
		*into = append(*into, measure())
	}
	if b.base == nil {
		for range times {
			run(b.main, &mine)
		}
		return []row{median(mine)}
	}
	b.pairs++
	mainFirst := b.pairs%2 == 1
	for i := range times {
		if mainFirst == (i%2 == 0) {
			run(b.main, &mine)
			run(b.base, &theirs)
		} else {
			run(b.base, &theirs)
			run(b.main, &mine)
		}
	}
	b.use(b.main)
	r, br := median(mine), median(theirs)
	order := "this build first"
	switch {
	case times > 1:
		order = "runs alternated"
	case !mainFirst:
		order = "baseline first"
	}
	if x, ok := ratio(r, br); ok && r.Err == nil && br.Err == nil {
		r.Note = join(r.Note, fmt.Sprintf("%.2f× baseline (%s)", x, order))
	}
	return []row{r, br}
}

// repeated runs measure -repeat times and returns the median run (median).
func (b *bench) repeated(measure func() row) row {
	var runs []row
	for range max(b.opts.Repeat, 1) {
		r := measure()
		runs = append(runs, r)
		if r.Err != nil {
			break
		}
	}
	return median(runs)
}

// median returns the run with the median rate, noting the range: on a small
// shared machine one run of a row can differ from the next by a quarter or
// more. A failed run (the last) is returned as it is.
func median(runs []row) row {
	n := len(runs)
	if n == 1 || runs[n-1].Err != nil {
		return runs[n-1]
	}
	runs = slices.Clone(runs)
	slices.SortStableFunc(runs, func(x, y row) int { return cmp.Compare(x.Rate, y.Rate) })
	m := runs[(n-1)/2]
	m.Note = join(m.Note, fmt.Sprintf("median of %d runs, %.0f–%.0f msgs/s", n, runs[0].Rate, runs[n-1].Rate))
	return m
}

func rateRatio(cur, base row) (float64, bool) { return cur.Rate / base.Rate, base.Rate > 0 }

func p99Ratio(cur, base row) (float64, bool) {
	return float64(cur.P99) / float64(base.P99), base.P99 > 0
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// runBench runs every scenario the options ask for and returns the rows.
func runBench(ctx context.Context, opts options, log io.Writer) (rows []row, err error) {
	b := &bench{opts: opts, log: log}
	if b.dir, err = os.MkdirTemp("", "mqtrigger-bench-"); err != nil {
		return nil, err
	}
	defer func() { b.close(&err, rows) }()
	if err := b.setup(ctx); err != nil {
		return nil, err
	}

	fns := b.functions()
	for _, g := range b.groups() {
		ref := b.repeated(func() row { return b.javaRow(ctx, g) })
		rows = append(rows, ref)
		for _, fn := range fns {
			var c1 float64 // the build under test's concurrency-1 rate
			for _, c := range opts.Concurrency {
				rs := b.both(opts.Repeat, func() row { return b.throughputRow(ctx, g, fn, c, ref.Rate) }, rateRatio)
				if c == 1 {
					c1 = rs[0].Rate
				}
				if c == 5 && g.Target == targetLarge && fn.Slug == "runtime" {
					// The function decoding large events is the limit: concurrency
					// must run several at once, on every core.
					rs[0].Target = fmt.Sprintf("≥ %.1f× concurrency 1", targetScaleOut)
					if c1 > 0 && rs[0].Rate > 0 {
						rs[0].Result = passFail(rs[0].Rate >= targetScaleOut*c1)
						rs[0].Note = join(rs[0].Note, fmt.Sprintf("%.2f× concurrency 1", rs[0].Rate/c1))
						if ref.Rate > 0 && c1 >= targetRatio*ref.Rate {
							// The target's premise does not hold: say so beside it.
							rs[0].Note = join(rs[0].Note, fmt.Sprintf("concurrency 1 already ran at %.2f× Java, so the broker, not the function, was the limit", c1/ref.Rate))
						}
					}
				}
				rows = append(rows, rs...)
				if ctx.Err() != nil {
					return rows, ctx.Err()
				}
			}
		}
	}
	if opts.LatencySamples > 0 {
		for _, fn := range fns {
			for _, persistent := range []bool{false, true} {
				rows = append(rows, b.both(1, func() row { return b.latencyRow(ctx, fn, persistent, opts.LatencySamples) }, p99Ratio)...)
				if ctx.Err() != nil {
					return rows, ctx.Err()
				}
			}
		}
	}
	for _, in := range b.instances() {
		b.use(in)
		rows = append(rows, row{Scenario: b.prefix() + "mqtrigger peak RSS over the scenarios above", RSS: in.peak})
		in.svc.Stop()
	}
	if len(opts.Idle) > 0 {
		for _, in := range b.instances() {
			b.use(in)
			rows = append(rows, b.idleRows(ctx, opts.Idle, opts.IdleConcurrency)...)
		}
		b.use(b.main)
	}
	return rows, nil
}

// instances are the builds measured: the one under test, then the baseline.
func (b *bench) instances() []*instance {
	if b.base == nil {
		return []*instance{b.main}
	}
	return []*instance{b.main, b.base}
}

func (b *bench) functions() []fnKind {
	var fns []fnKind
	for _, f := range b.opts.Functions {
		switch f {
		case "http":
			fns = append(fns, fnKind{Name: b.cfg.HTTPFunction, Label: "HTTP function", Slug: "http", Sink: b.http.Sink})
		case "runtime":
			fns = append(fns, fnKind{Name: runtimeFunctionName, Label: "aws-lambda-go (Runtime API)", Slug: "runtime", Sink: b.runtime.Sink})
		}
	}
	return fns
}

func (b *bench) groups() []group {
	var gs []group
	add := func(size, count int, target targetKind) {
		if count <= 0 {
			return
		}
		for _, p := range []bool{true, false} {
			label, slug := sizeLabel(size)+" ", fmt.Sprintf("%d", size)
			if p {
				label, slug = label+"persistent", slug+"p"
			} else {
				label, slug = label+"non-persistent", slug+"n"
			}
			gs = append(gs, group{Label: label, Slug: slug, Size: size, Count: count, Persistent: p, Target: target})
		}
	}
	add(b.opts.Size, b.opts.Messages, targetJava)
	add(b.opts.LargeSize, b.opts.LargeMessages, targetLarge)
	add(b.opts.HugeSize, b.opts.HugeMessages, targetNone)
	return gs
}

func sizeLabel(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// setup starts the broker, builds mqtrigger and the no-op function, prepares the
// Java client (all at once), then starts the service and creates the secret and
// the Runtime API function.
func (b *bench) setup(ctx context.Context) error {
	var err error
	if b.http, err = startHTTPFunction(); err != nil {
		return err
	}
	if b.runtime, err = startRuntimeFunction(); err != nil {
		return err
	}
	b.main = &instance{Label: "mqtrigger", bin: b.opts.Binary}
	if b.opts.Baseline != "" {
		b.base = &instance{Label: "baseline", bin: b.opts.Baseline}
	}
	b.noop = filepath.Join(b.dir, "bootstrap")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	step := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if err := fn(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				mu.Unlock()
				return
			}
			b.progress("%s: done in %.1fs", name, time.Since(start).Seconds())
		}()
	}
	b.progress("starting the broker, building mqtrigger and the no-op function, preparing the Java client")
	step("broker", func() (err error) {
		parent := b.dir
		if b.opts.BrokerData != "" {
			parent = b.opts.BrokerData
		}
		b.broker, err = startBroker(ctx, b.opts.Repo, parent, b.opts.BrokerHeap)
		return err
	})
	if b.main.bin == "" {
		b.main.bin = filepath.Join(b.dir, "mqtrigger")
		step("go build ./cmd/mqtrigger", func() error { return goBuild(ctx, b.opts.Repo, "./cmd/mqtrigger", b.main.bin, "") })
	}
	if b.base != nil && !isFile(b.base.bin) {
		rev := b.base.bin
		b.base.bin = filepath.Join(b.dir, "mqtrigger-baseline")
		step("go build the baseline "+rev, func() error { return buildRevision(ctx, b.opts.Repo, rev, b.dir, b.base.bin) })
	}
	step("go build the no-op function", func() error { return buildNoop(ctx, b.opts.Repo, b.noop, b.runtime.Addr) })
	step("Java client", func() error {
		tool, err := newJava(nil)
		b.java = tool
		return err
	})
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	b.java.b = b.broker

	for _, in := range b.instances() {
		b.use(in)
		if in.svc, in.ctl, err = b.startService(ctx, "service-"+in.Label); err != nil {
			return err
		}
		b.use(in)
		if slicesContains(b.opts.Functions, "runtime") {
			b.progress("creating the Runtime API function %s in %s", runtimeFunctionName, in.Label)
			if err := in.ctl.CreateFunction(ctx, runtimeFunctionName, b.noop); err != nil {
				return err
			}
		}
	}
	b.use(b.main)
	b.pprof = b.opts.ProfileDir != "" && b.svc.HasPprof(ctx)
	if b.opts.ProfileDir != "" && !b.pprof {
		b.progress("mqtrigger serves no /debug/pprof/ on its listen address: no profiles")
	}
	return nil
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// buildRevision builds ./cmd/mqtrigger as it is at the git revision rev into out,
// from a copy of that revision's tree under dir.
func buildRevision(ctx context.Context, repo, rev, dir, out string) error {
	src := filepath.Join(dir, "baseline-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	archive := exec.CommandContext(ctx, "git", "-C", repo, "archive", "--format=tar", rev)
	extract := exec.CommandContext(ctx, "tar", "-x", "-C", src)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return err
	}
	extract.Stdin = pipe
	var stderr bytes.Buffer
	archive.Stderr = &stderr
	if err := extract.Start(); err != nil {
		return err
	}
	if err := archive.Run(); err != nil {
		_ = extract.Wait()
		return fmt.Errorf("-baseline %s is neither a file nor a git revision: %v %s", rev, err, bytes.TrimSpace(stderr.Bytes()))
	}
	if err := extract.Wait(); err != nil {
		return fmt.Errorf("unpacking revision %s: %w", rev, err)
	}
	return goBuild(ctx, src, "./cmd/mqtrigger", out, "")
}

// startService starts a fresh mqtrigger (its own data directory and port) and
// creates the broker secret in it.
func (b *bench) startService(ctx context.Context, name string) (*service, *control, error) {
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	b.cfg = serviceConfig{
		Listen:      fmt.Sprintf("127.0.0.1:%d", port),
		AccessKeyID: "AKIDMQTRIGGERBENCH", SecretKey: hex.EncodeToString(key),
		Region: "us-east-1", AccountID: "123456789012",
		BrokerName: "bench", BrokerARN: "arn:aws:mq:us-east-1:123456789012:broker:bench:b-bench",
		BrokerURL:    b.broker.URL,
		HTTPFunction: "noop-http", HTTPTarget: b.http.URL,
		Pprof: b.opts.ProfileDir != "",
	}
	b.progress("starting mqtrigger (%s) on %s", name, b.cfg.Listen)
	svc, err := startService(ctx, b.cur.bin, filepath.Join(b.dir, name), b.cfg)
	if err != nil {
		return nil, nil, err
	}
	ctl := newControl(svc.Base, b.cfg.Region, b.cfg.AccessKeyID, b.cfg.SecretKey, b.cfg.BrokerARN)
	if err := ctl.CreateSecret(ctx, "bench/broker", b.broker.User, b.broker.Password); err != nil {
		svc.Stop()
		return nil, nil, err
	}
	return svc, ctl, nil
}

// close stops everything and removes the work directory, unless -keep or the run
// or a row failed, when it says where the logs are.
func (b *bench) close(runErr *error, rows []row) {
	for _, in := range []*instance{b.main, b.base} {
		if in != nil && in.svc != nil {
			in.svc.Stop()
		}
	}
	keep := b.opts.Keep || *runErr != nil
	for _, r := range rows {
		keep = keep || r.Err != nil
	}
	if b.broker != nil {
		if err := b.broker.Stop(keep); err != nil && *runErr == nil {
			*runErr = err
		}
	}
	if b.http != nil {
		b.http.Close()
	}
	if b.runtime != nil {
		b.runtime.Close()
	}
	if keep {
		b.progress("logs kept in %s (mqtrigger: */mqtrigger.log, broker: broker-*/activemq.log)", b.dir)
		return
	}
	os.RemoveAll(b.dir)
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
