package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	bin     string // mqtrigger
	noop    string // the aws-lambda-go no-op bootstrap
	cfg     serviceConfig
	svc     *service
	ctl     *control
	pprof   bool

	seq     int
	runPeak int64
}

const runtimeFunctionName = "noop-runtime"

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
		ref := b.javaRow(ctx, g)
		rows = append(rows, ref)
		for _, fn := range fns {
			for _, c := range opts.Concurrency {
				rows = append(rows, b.throughputRow(ctx, g, fn, c, ref.Rate))
				if ctx.Err() != nil {
					return rows, ctx.Err()
				}
			}
		}
	}
	if opts.LatencySamples > 0 {
		for _, fn := range fns {
			for _, persistent := range []bool{false, true} {
				rows = append(rows, b.latencyRow(ctx, fn, persistent, opts.LatencySamples))
				if ctx.Err() != nil {
					return rows, ctx.Err()
				}
			}
		}
	}
	rows = append(rows, row{Scenario: "mqtrigger peak RSS over the scenarios above", RSS: b.runPeak})
	b.svc.Stop()
	if len(opts.Idle) > 0 {
		rows = append(rows, b.idleRows(ctx, opts.Idle, opts.IdleConcurrency)...)
	}
	return rows, nil
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
	add := func(size, count int, target bool) {
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
	add(b.opts.Size, b.opts.Messages, true)
	add(b.opts.LargeSize, b.opts.LargeMessages, false)
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
	b.bin = b.opts.Binary
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
		b.broker, err = startBroker(ctx, b.opts.Repo, b.dir, b.opts.BrokerHeap)
		return err
	})
	if b.bin == "" {
		b.bin = filepath.Join(b.dir, "mqtrigger")
		step("go build ./cmd/mqtrigger", func() error { return goBuild(ctx, b.opts.Repo, "./cmd/mqtrigger", b.bin, "") })
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

	b.svc, b.ctl, err = b.startService(ctx, "main")
	if err != nil {
		return err
	}
	b.pprof = b.opts.ProfileDir != "" && b.svc.HasPprof(ctx)
	if b.opts.ProfileDir != "" && !b.pprof {
		b.progress("mqtrigger serves no /debug/pprof/ on its listen address: no profiles")
	}
	if slicesContains(b.opts.Functions, "runtime") {
		b.progress("creating the Runtime API function %s", runtimeFunctionName)
		if err := b.ctl.CreateFunction(ctx, runtimeFunctionName, b.noop); err != nil {
			return err
		}
	}
	return nil
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
	svc, err := startService(ctx, b.bin, filepath.Join(b.dir, name), b.cfg)
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
	if b.svc != nil {
		b.svc.Stop()
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
