package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mqtrigger/mqtrigger/dlq"
)

const redriveUsage = `Usage: mqtrigger redrive [flags]

Moves dead-lettered messages back to the queue each came from (the original
destination the broker keeps on its dead-letter copy), after the function that
failed them is fixed: all of them, or those given with --id, or those from the
queues given with --queue. A message's body, type and properties go back as they
were sent, without dlqDeliveryFailureCause; it gets a new message id.

Each batch is consumed from the dead-letter queue and sent to its queue in one
transaction, so a redrive that is interrupted (killed, disconnected) leaves every
message exactly once: still in the dead-letter queue, or back in its queue. Run it
again to move the rest. Messages without an original destination (sent to the
DLQ directly), from a topic, or not selected stay, counted as skipped.

The redrive ends once no selected message arrives for --wait.

Example:
  mqtrigger redrive --broker tcp://127.0.0.1:61616 --user admin --password admin --queue orders

Flags:
`

// listFlag collects a repeatable flag; commas separate values too.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runRedrive(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("redrive", redriveUsage, stderr)
	bf := addBrokerFlags(fs)
	dlqName := fs.String("dlq", dlq.DefaultQueue, "dead-letter queue to move messages from")
	var ids, queues listFlag
	fs.Var(&ids, "id", "move only this message `ID` (repeatable)")
	fs.Var(&queues, "queue", "move only messages dead-lettered from this `QUEUE` (repeatable)")
	batch := fs.Int("batch", 100, "messages moved per transaction")
	wait := fs.Duration("wait", 2*time.Second, "end once no message arrives for this long")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mqtrigger redrive: unexpected argument %q (queues go with --queue)\n", fs.Arg(0))
		return 2
	}
	if *batch < 1 {
		fmt.Fprintln(stderr, "mqtrigger redrive: --batch must be at least 1")
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	conn, err := bf.dial(dctx)
	cancel()
	if err != nil {
		fmt.Fprintln(stderr, "mqtrigger: redrive:", err)
		return 1
	}
	defer conn.Close()
	res, err := dlq.Redrive(ctx, conn, dlq.Options{DLQ: *dlqName, IDs: ids, Queues: queues, BatchSize: *batch, Wait: *wait})
	if *asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		printRedrive(stdout, *dlqName, res)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mqtrigger:", err)
		return 1
	}
	return 0
}

func printRedrive(w io.Writer, from string, r dlq.Result) {
	fmt.Fprintf(w, "moved %d message(s) from %s\n", r.Moved, from)
	for _, q := range r.Queues() {
		fmt.Fprintf(w, "  %d to %s\n", r.MovedByQueue[q], q)
	}
	if len(r.NotFound) > 0 {
		fmt.Fprintf(w, "not in %s: %s\n", from, strings.Join(r.NotFound, ", "))
	}
	if r.Skipped == 0 {
		return
	}
	fmt.Fprintf(w, "skipped %d message(s), left in %s:\n", r.Skipped, from)
	reasons := make([]string, 0, len(r.SkippedByReason))
	for reason := range r.SkippedByReason {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		fmt.Fprintf(w, "  %d: %s\n", r.SkippedByReason[reason], reason)
		shown := 0
		for _, s := range r.SkippedMessages {
			if s.Reason == reason && shown < 10 {
				fmt.Fprintf(w, "      %s\n", s.MessageID)
				shown++
			}
		}
		if n := r.SkippedByReason[reason]; n > shown {
			fmt.Fprintf(w, "      ... and %d more\n", n-shown)
		}
	}
}
