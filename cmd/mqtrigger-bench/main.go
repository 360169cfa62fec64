// Command mqtrigger-bench measures mqtrigger end to end against the broker's own
// limit, in one run on one private broker, and prints one markdown table: ActiveMQ's
// Java client as the reference, mqtrigger delivering the same messages to no-op
// functions, the latency of a lone message, and mqtrigger's memory. See
// docs/benchmark.md.
//
//	go run ./cmd/mqtrigger-bench            # full run (100,000 messages per 1 KB row)
//	go run ./cmd/mqtrigger-bench -short     # the CI form
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the benchmark's flags.
type options struct {
	Messages        int // 1 KB messages per throughput row
	LargeMessages   int // 64 KB messages per throughput row
	HugeMessages    int // 256 KB messages per throughput row
	Size, LargeSize int
	HugeSize        int
	LatencySamples  int
	Idle            []int // idle mapping counts, ascending
	IdleConcurrency int   // 0: the service's default
	Concurrency     []int
	Repeat          int      // runs of each throughput row; the median is shown
	Window          int      // MaximumBatchingWindowInSeconds of the throughput rows
	Functions       []string // "http", "runtime"
	Short           bool
	Strict          bool // exit 1 when a target fails
	Repo            string
	Binary          string // a prebuilt mqtrigger; empty: build it
	Baseline        string // a git revision or a binary measured beside it in the same run; empty: none
	BrokerHeap      string
	BrokerData      string // parent directory of the broker's data (KahaDB); empty: the work directory
	ProfileDir      string
	Keep            bool
}

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "mqtrigger-bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, opts, os.Stdout, os.Stderr))
}

// run runs the benchmark, prints the table on out and progress on log, and returns
// the exit code: 1 if a scenario could not run (or, with -strict, a target failed).
func run(ctx context.Context, opts options, out, log io.Writer) int {
	start := time.Now()
	rows, err := runBench(ctx, opts, log)
	printTable(out, opts, rows)
	fmt.Fprintf(log, "benchmark took %s\n", time.Since(start).Round(time.Second))
	if err != nil {
		fmt.Fprintln(log, "mqtrigger-bench:", err)
		return 1
	}
	code := 0
	for _, r := range rows {
		if r.Err != nil || (opts.Strict && r.Result == "FAIL") {
			code = 1
		}
	}
	return code
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("mqtrigger-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var idle, conc, fns string
	fs.IntVar(&o.Messages, "messages", 100000, "messages per 1 KB throughput row (-short: 10000)")
	fs.IntVar(&o.LargeMessages, "large-messages", 10000, "messages per 64 KB throughput row, 0 to skip (-short: 1000)")
	fs.IntVar(&o.Size, "size", 1024, "body size of the small messages, bytes")
	fs.IntVar(&o.LargeSize, "large-size", 64<<10, "body size of the large messages, bytes")
	fs.IntVar(&o.HugeMessages, "huge-messages", 2000, "messages per 256 KB throughput row, 0 to skip (-short: 200)")
	fs.IntVar(&o.HugeSize, "huge-size", 256<<10, "body size of the huge messages, bytes")
	fs.IntVar(&o.LatencySamples, "latency-samples", 1000, "lone messages per latency row, 0 to skip (-short: 200)")
	fs.StringVar(&idle, "idle", "100,1000", "idle mapping counts to read RSS at, empty to skip (-short: 100)")
	fs.IntVar(&o.IdleConcurrency, "idle-concurrency", 0, "ScalingConfig.MaximumConcurrency of idle mappings (0: the service default, 5)")
	fs.StringVar(&conc, "concurrency", "1,5", "mapping concurrencies of the throughput rows")
	fs.IntVar(&o.Window, "window", 0, "MaximumBatchingWindowInSeconds of the throughput rows' mappings (0 to 300); a row's time then includes up to one window for its last batch")
	fs.IntVar(&o.Repeat, "repeat", 1, "run each throughput row (and its Java reference) this many times and show the median run, with the range in its note")
	fs.StringVar(&fns, "functions", "http,runtime", "no-op functions: http (an HTTP endpoint), runtime (aws-lambda-go via the Runtime API)")
	fs.BoolVar(&o.Short, "short", false, "the CI form: fewer messages and samples, 100 idle mappings")
	fs.BoolVar(&o.Strict, "strict", false, "exit 1 when a target fails")
	fs.StringVar(&o.Repo, "repo", "", "the mqtrigger repository (default: found from the working directory)")
	fs.StringVar(&o.Binary, "mqtrigger", "", "a prebuilt mqtrigger binary (default: go build ./cmd/mqtrigger)")
	fs.StringVar(&o.Baseline, "baseline", "", "also measure this mqtrigger (a git revision such as main or HEAD~3, or a binary) in the same run, row by row")
	fs.StringVar(&o.BrokerHeap, "broker-heap", "2G", "the broker's Java heap (-Xmx); 1G ran out with the 256 KB rows after the 64 KB ones")
	fs.StringVar(&o.BrokerData, "broker-data", "", "keep the broker's data (its KahaDB store) under this directory, e.g. /dev/shm to take the disk out of the persistent rows (default: the work directory)")
	fs.StringVar(&o.ProfileDir, "profile", "", "write CPU and heap profiles of mqtrigger here, if it serves /debug/pprof/")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work directory (logs, broker data)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.Short {
		if !set["messages"] {
			o.Messages = 10000
		}
		if !set["large-messages"] {
			o.LargeMessages = 1000
		}
		if !set["huge-messages"] {
			o.HugeMessages = 200
		}
		if !set["latency-samples"] {
			o.LatencySamples = 200
		}
		if !set["idle"] {
			idle = "100"
		}
	}
	var err error
	if o.Idle, err = intList(idle); err != nil {
		return o, fmt.Errorf("-idle: %w", err)
	}
	slices.Sort(o.Idle)
	if o.Concurrency, err = intList(conc); err != nil {
		return o, fmt.Errorf("-concurrency: %w", err)
	}
	for _, c := range o.Concurrency {
		if c < 1 {
			return o, fmt.Errorf("-concurrency: %d: must be at least 1", c)
		}
	}
	for _, f := range strings.Split(fns, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if f != "http" && f != "runtime" {
			return o, fmt.Errorf("-functions: %q: want http or runtime", f)
		}
		o.Functions = append(o.Functions, f)
	}
	if o.Window < 0 || o.Window > 300 {
		return o, fmt.Errorf("-window: %d: must be 0 to 300", o.Window)
	}
	if o.Repeat < 1 || o.Repeat > 99 {
		return o, fmt.Errorf("-repeat: %d: must be 1 to 99", o.Repeat)
	}
	if o.Messages < 0 || o.LargeMessages < 0 || o.HugeMessages < 0 || o.LatencySamples < 0 || o.Size < 1 || o.LargeSize < 1 || o.HugeSize < 1 {
		return o, errors.New("message counts must not be negative and sizes must be positive")
	}
	if o.Repo == "" {
		if o.Repo, err = findRepo(); err != nil {
			return o, err
		}
	}
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return o, err
		}
	}
	return o, nil
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a count", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// findRepo walks up from the working directory to mqtrigger's go.mod.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/mqtrigger/mqtrigger\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the mqtrigger repository: run from it or pass -repo")
		}
		dir = parent
	}
}

// row is one line of the table; zero fields print as "–".
type row struct {
	Scenario string
	Messages int
	Seconds  float64
	Rate     float64 // messages per second
	Ratio    float64 // Rate over the Java reference's of the same messages
	P50, P99 time.Duration
	RSS      int64 // bytes: peak during the row, or resident for idle rows
	Target   string
	Result   string // PASS, FAIL
	Note     string
	Err      error
}

// printTable prints the rows as one markdown table, then notes and definitions.
func printTable(w io.Writer, opts options, rows []row) {
	dash := func(ok bool, s string) string {
		if !ok {
			return "–"
		}
		return s
	}
	form := "full"
	if opts.Short {
		form = "short"
	}
	fmt.Fprintf(w, "## mqtrigger benchmark (%s form, %s)\n\n", form, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(w, "| scenario | messages | seconds | msgs/s | × Java | p50 ms | p99 ms | mqtrigger RSS MB | target | result |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
	var notes []string
	for _, r := range rows {
		result := r.Result
		if r.Err != nil {
			result = "ERROR"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Scenario,
			dash(r.Messages > 0, strconv.Itoa(r.Messages)),
			dash(r.Seconds > 0, fmt.Sprintf("%.2f", r.Seconds)),
			dash(r.Rate > 0, fmt.Sprintf("%.0f", r.Rate)),
			dash(r.Ratio > 0, fmt.Sprintf("%.2f", r.Ratio)),
			dash(r.P50 > 0, ms(r.P50)),
			dash(r.P99 > 0, ms(r.P99)),
			dash(r.RSS > 0, fmt.Sprintf("%.1f", mb(r.RSS))),
			dash(r.Target != "", r.Target),
			dash(result != "", result))
		if r.Note != "" {
			notes = append(notes, fmt.Sprintf("- %s: %s", r.Scenario, r.Note))
		}
		if r.Err != nil {
			notes = append(notes, fmt.Sprintf("- %s: ERROR: %s", r.Scenario, strings.ReplaceAll(r.Err.Error(), "\n", " ")))
		}
	}
	fmt.Fprintln(w)
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, `Java client: ActiveMQ's own client consumes the queue in a transacted session, committing every
100 messages, prefetch 1000, no work per message; seconds from its first message to its last commit.
mqtrigger rows: the queue is filled first, then a mapping is created (BatchSize 100, window %d s);
seconds from the no-op function's first invocation to the moment mqtrigger's /metrics shows every
message acknowledged. × Java divides by the Java client's rate for the same messages.
Latency: one message at a time (the next is sent after the function got the previous one);
from just before the producer's send to the function's start on it.
RSS: mqtrigger's own process (function processes excluded); the peak (VmHWM) during a row,
or the resident size (VmRSS) of a fresh service with idle mappings on empty queues.
CPU notes: CPU time used during a row, as a share of one core; when no process is near 100%%
(and all together are well under the machine's cores) the row waits, not computes.
`, opts.Window)
	if opts.BrokerData != "" {
		fmt.Fprintf(w, "Broker data (KahaDB) under %s, not in the work directory.\n", opts.BrokerData)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
