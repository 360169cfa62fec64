package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/dlqtest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// TestMain runs the command itself when a test starts this binary as a
// subprocess (MQTRIGGER_TEST_MAIN=1), so a test can kill it.
func TestMain(m *testing.M) {
	if os.Getenv("MQTRIGGER_TEST_MAIN") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(brokertest.Main(m))
}

func dialBroker(t *testing.T) (*brokertest.Broker, *openwire.Conn) {
	t.Helper()
	b := brokertest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := openwire.Dial(ctx, b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return b, c
}

// browse leaves the queue as it was, and shows a dead-lettered message's
// cause, original destination, redelivery count, typed properties and body,
// cut unless --full; --json gives the same as one object per line.
func TestBrowseCommand(t *testing.T) {
	b, c := dialBroker(t)
	run := fmt.Sprint("browsecmd", time.Now().UnixNano())
	q := "cmd.browse." + run
	long := strings.Repeat("x", 300)
	msgs := dlqtest.Texts(run, `{"order": 1}`, long)
	msgs[0].Type, msgs[0].Properties["amount"] = "order", int64(1200)
	ids := dlqtest.DeadLetter(t, c, q, "function failed: boom", msgs)
	t.Setenv("MQTRIGGER_BROKER_PASSWORD", b.Password)
	sel := fmt.Sprintf("run = '%s'", run)
	flags := []string{"browse", "--broker", b.URL, "--user", b.User, "--selector", sel}

	code, out, errOut := runCmd(append(flags, "ActiveMQ.DLQ")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"#1 " + ids[0], "kind: text, type order", "original destination: queue://" + q,
		"dlqDeliveryFailureCause: java.lang.Throwable: function failed: boom",
		"amount = 1200 (long)", `run = "` + run + `" (String)`, `body (12 bytes): {"order": 1}`,
		"#2 " + ids[1], "body (300 bytes): " + strings.Repeat("x", 200) + " ... (100 more bytes; --full shows all)",
		"2 message(s) in ActiveMQ.DLQ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "redelivery count: ") {
		t.Errorf("no redelivery count:\n%s", out)
	}
	_, out, _ = runCmd(append(flags, "--full", "--limit", "1", "ActiveMQ.DLQ")...)
	if !strings.Contains(out, "1 message(s) in ActiveMQ.DLQ (--limit reached") || strings.Contains(out, "#2") {
		t.Errorf("--limit 1:\n%s", out)
	}
	_, out, _ = runCmd(append(flags, "--full", "ActiveMQ.DLQ")...)
	if !strings.Contains(out, "body (300 bytes): "+long+"\n") {
		t.Errorf("--full does not show the whole body:\n%s", out)
	}

	code, out, errOut = runCmd(append(flags, "--json", "ActiveMQ.DLQ")...)
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var got []browsedMessage
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m browsedMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		got = append(got, m)
	}
	if len(got) != 2 || got[0].MessageID != ids[0] || *got[1].Text != long || got[0].OriginalDestination != "queue://"+q ||
		!strings.Contains(got[0].DLQDeliveryFailureCause, "boom") || got[0].Properties["amount"] != float64(1200) {
		t.Fatalf("--json: %+v", got)
	}

	// the DLQ still holds both, and a consumer can take them
	if n := len(dlqtest.Browse(t, c, "ActiveMQ.DLQ", sel)); n != 2 {
		t.Fatalf("DLQ holds %d after browsing, want 2", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, _ := c.NewSession(ctx, false)
	k, err := s.NewConsumer(ctx, "ActiveMQ.DLQ", openwire.ConsumerOptions{Selector: sel, Redelivery: openwire.RedeliveryPolicy{MaximumRedeliveries: -1}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		m, err := k.Receive(ctx)
		if err != nil || m.ID != ids[i] {
			t.Fatalf("consuming after browse: %v %v", m, err)
		}
		if err := k.Ack(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	if code, _, errOut := runCmd("browse", "--broker", b.URL); code != 2 || !strings.Contains(errOut, "give one QUEUE") {
		t.Fatalf("no queue: exit %d %s", code, errOut)
	}
}

// A redrive killed with SIGKILL while it moves thousands of messages (in
// transactions of 10, so one is most likely open at the kill) leaves each
// exactly once, in the queue or in the DLQ; run again, it moves the rest.
func TestRedriveKilledMidway(t *testing.T) {
	b, c := dialBroker(t)
	run := fmt.Sprint("kill", time.Now().UnixNano())
	q := "cmd.redrive." + run
	const n = 3000
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = fmt.Sprint("n", i)
	}
	dlqtest.DeadLetter(t, c, q, "function failed", dlqtest.Texts(run, bodies...))
	sel := fmt.Sprintf("run = '%s'", run)

	cmd := exec.Command(os.Args[0], "redrive", "--broker", b.URL, "--user", b.User, "--queue", q, "--batch", "10")
	cmd.Env = append(os.Environ(), "MQTRIGGER_TEST_MAIN=1", "MQTRIGGER_BROKER_PASSWORD="+b.Password)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	checkfor.Within(t, 60*time.Second, func() error {
		if moved := len(dlqtest.Browse(t, c, q, "")); moved < 50 {
			return fmt.Errorf("%d moved so far", moved)
		}
		return nil
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("redrive was not killed (it ended first: %v): %s", err, out.String())
	}
	// The broker rolls the killed redrive's open batch back when it sees the
	// connection drop; until then a message may be in neither browse, never in both.
	var inQueue int
	checkfor.Within(t, 30*time.Second, func() error {
		seen := map[string]int{}
		queued := dlqtest.Browse(t, c, q, "")
		for _, m := range queued {
			seen[m.Text]++
		}
		for _, m := range dlqtest.Browse(t, c, "ActiveMQ.DLQ", sel) {
			seen[m.Text]++
		}
		for _, body := range bodies {
			if seen[body] > 1 {
				t.Fatalf("%s is %d times in the queue and the DLQ", body, seen[body])
			}
		}
		if len(seen) != n {
			return fmt.Errorf("%d of %d messages found", len(seen), n)
		}
		inQueue = len(queued)
		return nil
	})
	if inQueue == 0 || inQueue == n {
		t.Fatalf("%d in the queue after the kill: not killed midway", inQueue)
	}
	t.Logf("killed after moving %d of %d", inQueue, n)

	code, stdout, errOut := runCmd("redrive", "--broker", b.URL, "--user", b.User, "--password", b.Password, "--queue", q, "--wait", "1s")
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("moved %d message(s) from ActiveMQ.DLQ\n  %d to %s\n", n-inQueue, n-inQueue, q)) {
		t.Fatalf("second redrive: exit %d: %s%s", code, stdout, errOut)
	}
	seen := map[string]int{}
	for _, m := range dlqtest.Browse(t, c, q, "") {
		seen[m.Text]++
	}
	for _, body := range bodies {
		if seen[body] != 1 {
			t.Fatalf("%s is %d times in the queue", body, seen[body])
		}
	}
	if left := dlqtest.Browse(t, c, "ActiveMQ.DLQ", sel); len(left) != 0 {
		t.Fatalf("%d still in the DLQ", len(left))
	}
}

func TestDLQCommandsHelp(t *testing.T) {
	for _, c := range []struct{ cmd, want string }{
		{"browse", "Usage: mqtrigger browse [flags] QUEUE"},
		{"redrive", "exactly once: still in the dead-letter queue"},
	} {
		code, out, errOut := runCmd("help", c.cmd)
		if code != 0 || !strings.Contains(out, c.want) || errOut != "" {
			t.Errorf("help %s: exit %d, stdout %q, stderr %q", c.cmd, code, out, errOut)
		}
	}
	if code, _, errOut := runCmd("redrive", "orders"); code != 2 || !strings.Contains(errOut, "queues go with --queue") {
		t.Errorf("redrive orders: exit %d %s", code, errOut)
	}
	_, out, _ := runCmd("--help")
	if !strings.Contains(out, "mqtrigger browse [flags] QUEUE") || !strings.Contains(out, "mqtrigger redrive [flags]") {
		t.Errorf("usage lacks the commands:\n%s", out)
	}
}
