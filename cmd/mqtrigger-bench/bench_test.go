package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestShortBenchmark runs the benchmark end to end in a form smaller than -short
// and checks that the table has every row and no scenario failed to run. Targets
// may FAIL here: the numbers of so small a run mean little.
func TestShortBenchmark(t *testing.T) {
	opts, err := parseFlags([]string{"-short", "-messages", "2000", "-large-messages", "200", "-huge-messages", "40",
		"-latency-samples", "50", "-idle", "100", "-idle-concurrency", "1"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	code := run(ctx, opts, &out, &log)
	t.Logf("table:\n%s", out.String())
	if code != 0 {
		t.Fatalf("exit code %d; progress:\n%s", code, log.String())
	}
	table := out.String()
	var want []string
	for _, g := range []string{"1 KB persistent", "1 KB non-persistent", "64 KB persistent", "64 KB non-persistent",
		"256 KB persistent", "256 KB non-persistent"} {
		want = append(want, "| Java client (reference), "+g+" | ")
		for _, fn := range []string{"HTTP function", "aws-lambda-go (Runtime API)"} {
			for _, c := range []string{"1", "5"} {
				want = append(want, "| mqtrigger → "+fn+", concurrency "+c+", "+g+" | ")
			}
		}
	}
	for _, fn := range []string{"HTTP function", "aws-lambda-go (Runtime API)"} {
		for _, mode := range []string{"non-persistent", "persistent"} {
			want = append(want, "| lone message send → "+fn+" start, "+mode+" | 50 | ")
		}
	}
	want = append(want, "| mqtrigger peak RSS over the scenarios above | ",
		"| idle service, no mappings | ", "| idle service, 100 mappings (concurrency 1 each) | ")
	for _, w := range want {
		if !strings.Contains(table, w) {
			t.Errorf("table lacks a row starting %q", w)
		}
	}
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, "| mqtrigger → ") && strings.Count(line, " – ") > 4 {
			t.Errorf("row without figures: %s", line)
		}
		if strings.HasSuffix(line, "| ERROR |") {
			t.Errorf("scenario failed: %s", line)
		}
	}
}
