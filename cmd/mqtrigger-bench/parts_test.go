package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\tmqtrigger\nVmPeak:\t  900000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n"
	rss, hwm, err := parseStatus([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if rss != 40960<<10 || hwm != 51200<<10 {
		t.Fatalf("rss %d hwm %d", rss, hwm)
	}
	if _, _, err := parseStatus([]byte("Name:\tx\n")); err == nil {
		t.Fatal("no error without VmRSS")
	}
	if _, _, err := parseStatus([]byte("VmRSS:\tmany kB\nVmHWM:\t1 kB\n")); err == nil {
		t.Fatal("no error for a bad number")
	}
}

func TestServiceMemoryOfThisProcess(t *testing.T) {
	s := &service{pid: os.Getpid()}
	rss, hwm, err := s.Memory()
	if err != nil {
		t.Fatal(err)
	}
	if rss <= 0 || hwm < rss {
		t.Fatalf("rss %d hwm %d", rss, hwm)
	}
	s.ResetPeak()
	// The peak restarts from the current RSS, which may have grown a little.
	if p := s.Peak(); p <= 0 || p > 2*hwm {
		t.Fatalf("peak after reset %d, hwm before %d", p, hwm)
	}
}

func TestSumMetric(t *testing.T) {
	text := `# HELP mqtrigger_messages_acknowledged_total Messages acknowledged.
# TYPE mqtrigger_messages_acknowledged_total counter
mqtrigger_messages_acknowledged_total{function="f",mapping="a"} 100
mqtrigger_messages_acknowledged_total{function="f",mapping="b"} 2.5e+06
mqtrigger_messages_acknowledged_total_extra{mapping="a"} 7
mqtrigger_consumers{function="f",mapping="a"} 5
mqtrigger_consumers{function="f",mapping="b"} 1
go_goroutines 12
`
	cases := []struct {
		name  string
		match []string
		want  float64
		found bool
	}{
		{"mqtrigger_messages_acknowledged_total", []string{`mapping="a"`}, 100, true},
		{"mqtrigger_messages_acknowledged_total", []string{`mapping="b"`}, 2.5e6, true},
		{"mqtrigger_messages_acknowledged_total", []string{`mapping="c"`}, 0, false},
		{"mqtrigger_consumers", nil, 6, true},
		{"go_goroutines", nil, 12, true},
		{"go_threads", nil, 0, false},
	}
	for _, c := range cases {
		got, found, err := sumMetric(strings.NewReader(text), c.name, c.match...)
		if err != nil || got != c.want || found != c.found {
			t.Errorf("%s %v: got %v %v %v, want %v %v", c.name, c.match, got, found, err, c.want, c.found)
		}
	}
	if _, _, err := sumMetric(strings.NewReader("m{a=\"b\"} x\n"), "m"); err == nil {
		t.Error("no error for a bad value")
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p := percentile(d, 50); p != 500*time.Millisecond {
		t.Errorf("p50 %s", p)
	}
	if p := percentile(d, 99); p != 990*time.Millisecond {
		t.Errorf("p99 %s", p)
	}
	if p := percentile(d[:1], 99); p != time.Millisecond {
		t.Errorf("p99 of one %s", p)
	}
	if p := percentile(nil, 50); p != 0 {
		t.Errorf("p50 of none %s", p)
	}
}

func TestParseReport(t *testing.T) {
	a, err := parseReport("1700000000000000000 100 bGF0LTE=")
	if err != nil || a.Count != 100 || a.First != "bGF0LTE=" || a.At.UnixNano() != 1700000000000000000 {
		t.Fatalf("%+v %v", a, err)
	}
	for _, bad := range []string{"", "x 1 y", "1 -3", "1"} {
		if _, err := parseReport(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestHTTPFunctionCounts(t *testing.T) {
	f, err := startHTTPFunction()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Sink.Arm(3, true)
	post := func(body string) {
		t.Helper()
		resp, err := http.Post(f.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %s", resp.Status)
		}
	}
	post(`{"eventSource":"aws:mq","messages":[{"messageID":"ID:1","data":"bGF0LTE=","properties":{"seq":"1"}},{"messageID":"ID:2","data":"eA=="}]}`)
	select {
	case <-f.Sink.Reached():
		t.Fatal("reached after 2 of 3")
	default:
	}
	a := <-f.Sink.Arrivals()
	if a.Count != 2 || a.First != "bGF0LTE=" {
		t.Fatalf("arrival %+v", a)
	}
	post(`{"eventSource":"aws:mq","messages":[{"messageID":"ID:3","data":"eA=="}]}`)
	select {
	case <-f.Sink.Reached():
	case <-time.After(5 * time.Second):
		t.Fatal("not reached after 3 of 3")
	}
	n, inv, first, last := f.Sink.Snapshot()
	if n != 3 || inv != 2 || last.Before(first) {
		t.Fatalf("snapshot %d %d %s %s", n, inv, first, last)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestRuntimeFunctionReports(t *testing.T) {
	f, err := startRuntimeFunction()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Sink.Arm(150, false)
	c, err := net.Dial("udp", f.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, r := range []string{"1000 100 eA==", "garbage", "2000 50 "} {
		if _, err := c.Write([]byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-f.Sink.Reached():
	case <-time.After(5 * time.Second):
		t.Fatal("reports not counted")
	}
	n, inv, first, last := f.Sink.Snapshot()
	if n != 150 || inv != 2 || first.UnixNano() != 1000 || last.UnixNano() != 2000 {
		t.Fatalf("snapshot %d %d %d %d", n, inv, first.UnixNano(), last.UnixNano())
	}
}

func TestParseFlagsShort(t *testing.T) {
	o, err := parseFlags([]string{"-short", "-messages", "500"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Messages != 500 || o.LargeMessages != 1000 || o.LatencySamples != 200 || len(o.Idle) != 1 || o.Idle[0] != 100 {
		t.Fatalf("%+v", o)
	}
	o, err = parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Messages != 100000 || o.LargeMessages != 10000 || o.LatencySamples != 1000 || len(o.Idle) != 2 || len(o.Functions) != 2 {
		t.Fatalf("%+v", o)
	}
	for _, bad := range [][]string{{"-concurrency", "0"}, {"-functions", "lambda"}, {"-idle", "x"}, {"extra"}, {"-size", "0"}, {"-repeat", "0"}, {"-window", "301"}} {
		if _, err := parseFlags(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestRepeatedTakesTheMedian: -repeat shows the median run of a row and notes
// the range; a run that fails ends the row with its error.
func TestRepeatedTakesTheMedian(t *testing.T) {
	b := &bench{opts: options{Repeat: 3}}
	rates := []float64{900, 300, 600}
	i := 0
	r := b.repeated(func() row { i++; return row{Rate: rates[i-1], Note: fmt.Sprint("run ", i)} })
	if i != 3 || r.Rate != 600 || r.Note != "run 3; median of 3 runs, 300–900 msgs/s" {
		t.Fatalf("%d runs, row %+v", i, r)
	}
	i = 0
	r = b.repeated(func() row {
		i++
		if i == 2 {
			return row{Err: errors.New("broker gone")}
		}
		return row{Rate: 1}
	})
	if i != 2 || r.Err == nil {
		t.Fatalf("%d runs, row %+v", i, r)
	}
	b.opts.Repeat = 1
	i = 0
	if r = b.repeated(func() row { i++; return row{Rate: 5} }); i != 1 || r.Note != "" {
		t.Fatalf("%d runs, row %+v", i, r)
	}
}

func TestPrintTable(t *testing.T) {
	var buf bytes.Buffer
	printTable(&buf, options{Short: true}, []row{
		{Scenario: "Java client (reference), 1 KB persistent", Messages: 100, Seconds: 1, Rate: 100, Ratio: 1},
		{Scenario: "x", Messages: 100, Seconds: 2, Rate: 50, Ratio: 0.5, Target: "≥ 0.9× Java", Result: "FAIL", RSS: 30 << 20},
		{Scenario: "y", Err: errors.New("broke\nbadly")},
	})
	out := buf.String()
	for _, want := range []string{
		"| Java client (reference), 1 KB persistent | 100 | 1.00 | 100 | 1.00 | – | – | – | – | – |",
		"| x | 100 | 2.00 | 50 | 0.50 | – | – | 30.0 | ≥ 0.9× Java | FAIL |",
		"| y | – | – | – | – | – | – | – | – | ERROR |",
		"- y: ERROR: broke badly",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestBrokerAndJavaReference runs the parts that need no mqtrigger: a private
// broker, filling a queue and the Java reference consumer.
func TestBrokerAndJavaReference(t *testing.T) {
	repo, err := findRepo()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := startBroker(ctx, repo, t.TempDir(), "512M")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop(false)
	j, err := newJava(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Fill(ctx, "bench.ref", 2000, 1024, true); err != nil {
		t.Fatal(err)
	}
	if n, err := j.QueueSize(ctx, "bench.ref"); err != nil || n != 2000 {
		t.Fatalf("queue size %d, %v", n, err)
	}
	res, err := j.Reference(ctx, "bench.ref", 2000)
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 2000 || res.PerSecond <= 0 || res.Seconds <= 0 {
		t.Fatalf("%+v", res)
	}
	t.Logf("Java reference: %.0f msgs/s", res.PerSecond)
	if n, err := j.QueueSize(ctx, "bench.ref"); err != nil || n != 0 {
		t.Fatalf("queue size after the reference %d, %v", n, err)
	}
	if err := b.Stop(false); err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(false); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestParseStat(t *testing.T) {
	stat := "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 9 0 100 1000000 2000 18446744073709551615"
	st, err := parseStat(stat)
	if err != nil || st.cpu != 3250*time.Millisecond || st.ppid != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	if _, err := parseStat("4242 (x) S 1 2"); err == nil {
		t.Fatal("no error for a short line")
	}
	if own, err := cpuTime(os.Getpid()); err != nil || own < 0 {
		t.Fatalf("own CPU %s %v", own, err)
	}
	if kids := children(os.Getppid()); len(kids) == 0 {
		t.Fatal("this process is not among its parent's children")
	}
}

func TestBothMeasuresTheBaselineInTurn(t *testing.T) {
	b := &bench{main: &instance{Label: "mqtrigger"}}
	measure := func() row {
		return row{Scenario: b.cur.Label, Rate: map[string]float64{"mqtrigger": 300, "baseline": 200}[b.cur.Label]}
	}
	if rows := b.both(1, measure, rateRatio); len(rows) != 1 || rows[0].Scenario != "mqtrigger" || rows[0].Note != "" {
		t.Fatalf("without a baseline: %+v", rows)
	}
	b.base = &instance{Label: "baseline"}
	rows := b.both(1, measure, rateRatio)
	if len(rows) != 2 || rows[0].Scenario != "mqtrigger" || rows[1].Scenario != "baseline" {
		t.Fatalf("with a baseline: %+v", rows)
	}
	if rows[0].Note != "1.50× baseline (this build first)" || rows[1].Note != "" {
		t.Fatalf("notes %q, %q", rows[0].Note, rows[1].Note)
	}
	var order []string
	measure2 := func() row { order = append(order, b.cur.Label); return measure() }
	if rows := b.both(1, measure2, rateRatio); rows[0].Note != "1.50× baseline (baseline first)" || order[0] != "baseline" {
		t.Fatalf("the next pair: order %v, note %q", order, rows[0].Note)
	}
	if b.cur != b.main {
		t.Fatal("the build under test is not current again after the baseline's row")
	}

	// Repeated, the builds take turns run by run, and each row is its build's median.
	order = nil
	runs := map[string][]float64{"mqtrigger": {300, 900, 600}, "baseline": {100, 400, 200}}
	measure3 := func() row {
		l := b.cur.Label
		order = append(order, l)
		r := row{Scenario: l, Rate: runs[l][0]}
		runs[l] = runs[l][1:]
		return r
	}
	rows = b.both(3, measure3, rateRatio)
	if got := strings.Join(order, ","); got != "mqtrigger,baseline,baseline,mqtrigger,mqtrigger,baseline" {
		t.Fatalf("order of runs: %s", got)
	}
	if rows[0].Rate != 600 || rows[1].Rate != 200 {
		t.Fatalf("medians %v and %v, want 600 and 200", rows[0].Rate, rows[1].Rate)
	}
	if rows[0].Note != "median of 3 runs, 300–900 msgs/s; 3.00× baseline (runs alternated)" || rows[1].Note != "median of 3 runs, 100–400 msgs/s" {
		t.Fatalf("notes %q, %q", rows[0].Note, rows[1].Note)
	}
	// A failed run ends its build's row; the other build still runs its turns.
	order = nil
	fails := func() row {
		order = append(order, b.cur.Label)
		if b.cur == b.base {
			return row{Scenario: "baseline", Err: errors.New("broker gone")}
		}
		return row{Scenario: "mqtrigger", Rate: 1}
	}
	rows = b.both(3, fails, rateRatio)
	if rows[1].Err == nil || strings.Count(strings.Join(order, ","), "baseline") != 1 || strings.Count(strings.Join(order, ","), "mqtrigger") != 3 {
		t.Fatalf("order %v, rows %+v", order, rows)
	}
	if strings.Contains(rows[0].Note, "baseline") {
		t.Fatalf("a ratio against a failed baseline: %q", rows[0].Note)
	}
}
