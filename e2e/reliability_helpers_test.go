package e2e

// Helpers of the reliability tests (reliability_*_test.go).
//
// Every reliability test has a short form, run by `go test ./e2e`, and a long form
// enabled by MQTRIGGER_LONG_TESTS=1 (more messages, more kills, longer load):
//
//	MQTRIGGER_LONG_TESTS=1 go test ./e2e -run Reliability -count=1 -v -timeout 60m
//
// Each test that streams messages ends with one line in a fixed format that the
// README's figures come from:
//
//	FIGURES <test>: sent=N processed=N lost=N duplicates=N kills=N peak_rss_mib=N

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// longTests tells whether the long forms run (MQTRIGGER_LONG_TESTS=1).
func longTests() bool { return os.Getenv("MQTRIGGER_LONG_TESTS") == "1" }

// byForm picks the short or the long form of a figure.
func byForm[T any](short, long T) T {
	if longTests() {
		return long
	}
	return short
}

// figures logs a test's outcome in the fixed format.
func figures(t *testing.T, sent, processed, duplicates, kills int, peakRSS int64) {
	t.Helper()
	t.Logf("FIGURES %s: sent=%d processed=%d lost=%d duplicates=%d kills=%d peak_rss_mib=%.1f",
		t.Name(), sent, processed, sent-processed, duplicates, kills, float64(peakRSS)/(1<<20))
}

// rssWatch samples a service's peak RSS every 200 ms until stopped; it survives the
// process being killed and started again (each process's own peak is read while it
// runs, so call sample just before a Kill too).
type rssWatch struct {
	svc  *servicetest.Service
	mu   sync.Mutex
	peak int64
	stop chan struct{}
	done chan struct{}
}

func watchRSS(t *testing.T, svc *servicetest.Service) *rssWatch {
	w := &rssWatch{svc: svc, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
				w.sample()
			}
		}
	}()
	t.Cleanup(w.close)
	return w
}

// sample reads the running process's peak; the caller must not race it with
// Kill/Resume of the same service (the watcher's own calls tolerate a gone process).
func (w *rssWatch) sample() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, peak := w.svc.RSS(); peak > w.peak {
		w.peak = peak
	}
}

// lock keeps the watcher off the process while the caller kills or restarts it.
func (w *rssWatch) lock()   { w.mu.Lock() }
func (w *rssWatch) unlock() { w.mu.Unlock() }

func (w *rssWatch) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// Peak is the highest RSS seen so far.
func (w *rssWatch) Peak() int64 {
	w.sample()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

// killService SIGKILLs the service and starts it again, keeping the RSS watch safe.
func killService(svc *servicetest.Service, w *rssWatch) {
	w.lock()
	defer w.unlock()
	if _, peak := svc.RSS(); peak > w.peak {
		w.peak = peak
	}
	svc.Kill()
	svc.Resume()
}

// count is how often the counter saw one body.
func (c *counter) count(body string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[body]
}

// missing lists the bodies msg-<from>..msg-<to-1> the counter has not seen (at most 10).
func (c *counter) missing(from, to int) (n int, some []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := from; i < to; i++ {
		b := fmt.Sprintf("msg-%06d", i)
		if c.seen[b] == 0 {
			n++
			if len(some) < 10 {
				some = append(some, b)
			}
		}
	}
	return n, some
}

// waitProcessed waits until the counter has seen msg-<from>..msg-<to-1>.
func waitProcessed(t *testing.T, c *counter, from, to int, within time.Duration) {
	t.Helper()
	checkfor.Within(t, within, func() error {
		if n, some := c.missing(from, to); n > 0 {
			return fmt.Errorf("%d of messages %d..%d not processed, e.g. %v", n, from, to-1, some)
		}
		return nil
	})
}

// waitDLQ waits until the dead-letter queue has given n messages, and returns them.
func waitDLQ(t *testing.T, b *brokertest.Broker, dlq string, n int, within time.Duration) []*openwire.Message {
	t.Helper()
	var got []*openwire.Message
	checkfor.Within(t, within, func() error {
		got = append(got, queuetest.Drain(t, b, dlq, 300*time.Millisecond)...)
		if len(got) < n {
			return fmt.Errorf("%d of %d messages on %s", len(got), n, dlq)
		}
		return nil
	})
	if len(got) != n {
		t.Fatalf("%d messages on %s, want %d", len(got), dlq, n)
	}
	return got
}

// getESM reads a mapping through the API.
func getESM(t *testing.T, svc *servicetest.Service, id string) *lambda.GetEventSourceMappingOutput {
	t.Helper()
	out, err := svc.Lambda().GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		t.Fatalf("GetEventSourceMapping %s: %v", id, err)
	}
	return out
}

var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// goroutines reads go_goroutines from the service's /metrics.
func goroutines(t *testing.T, svc *servicetest.Service) int {
	t.Helper()
	resp, err := noKeepAlive.Get(svc.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("go_goroutines %q: %v", v, err)
			}
			return int(n)
		}
	}
	t.Fatal("/metrics has no go_goroutines")
	return 0
}

// faultyZip builds testdata/faulty into a deployment package with its bootstrap.
func faultyZip(t *testing.T) []byte {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/faulty")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building testdata/faulty: %v\n%s", err, out)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	z, err := lambdazip.Bootstrap(exe)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// createFaulty creates a function from testdata/faulty through the API; it records
// what it receives in the returned directory.
func createFaulty(t *testing.T, svc *servicetest.Service, name string, code []byte, timeout int32, env map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	vars := map[string]string{"RECORD_DIR": dir}
	for k, v := range env {
		vars[k] = v
	}
	_, err := svc.Lambda().CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeProvidedal2023,
		Role:         aws.String("arn:aws:iam::123456789012:role/e2e"),
		Handler:      aws.String("bootstrap"),
		Code:         &types.FunctionCode{ZipFile: code},
		Timeout:      aws.Int32(timeout),
		Environment:  &types.Environment{Variables: vars},
	})
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return dir
}

// recordedBy reads what a faulty function recorded: deliveries per body, and the
// process ids that handled them.
func recordedBy(t *testing.T, dir string) (deliveries map[string]int, pids map[string]bool) {
	t.Helper()
	deliveries, pids = make(map[string]int), make(map[string]bool)
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			body, pid, ok := strings.Cut(line, " ")
			if !ok {
				continue
			}
			deliveries[body]++
			pids[pid] = true
		}
	}
	return deliveries, pids
}

// serviceOn starts mqtrigger with one broker (its endpoints, in order) and one HTTP
// function named "counter", and stores a BASIC_AUTH secret for user and password.
func serviceOn(t *testing.T, endpoints []string, fnURL, user, password string) (*servicetest.Service, string) {
	t.Helper()
	svc := servicetest.Start(t, servicetest.Options{
		Brokers:   []servicetest.Broker{{Name: "e2e", ARN: brokerARN, Endpoints: endpoints}},
		Functions: []servicetest.Function{{Name: "counter", URL: fnURL}},
	})
	secret, err := svc.CreateBasicAuthSecret(context.Background(), "broker", user, password)
	if err != nil {
		t.Fatal(err)
	}
	return svc, secret
}

// queueFor names a fresh queue for the test.
func queueFor(t *testing.T) string {
	return fmt.Sprintf("e2e.%s.%d", strings.ReplaceAll(t.Name(), "/", "."), time.Now().UnixNano())
}

// goroutineDump ends the service with SIGQUIT, which makes the Go runtime print
// every goroutine's stack to the service's log, and returns a summary: how many
// goroutines wait in each function, most first.
func goroutineDump(t *testing.T, svc *servicetest.Service) string {
	t.Helper()
	before := len(svc.Log())
	pid := svc.Pid()
	syscall.Kill(pid, syscall.SIGQUIT)
	checkfor.Within(t, 20*time.Second, func() error {
		if syscall.Kill(pid, 0) == nil {
			return fmt.Errorf("mqtrigger (pid %d) still writing its goroutine dump", pid)
		}
		return nil
	})
	dump := svc.Log()[before:]
	counts := make(map[string]int)
	for _, g := range strings.Split(dump, "\n\n") {
		lines := strings.Split(strings.TrimSpace(g), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[0], "goroutine ") {
			continue
		}
		// The first frame of mqtrigger or net/http says what it waits in; arguments
		// are dropped so that goroutines in the same place count together.
		where := ""
		for i := 1; i < len(lines); i += 2 {
			if strings.Contains(lines[i], "mqtrigger/") || strings.HasPrefix(lines[i], "net/http.") || strings.HasPrefix(lines[i], "created by") {
				where = lines[i]
				break
			}
		}
		if where == "" {
			where = lines[1]
		}
		if i := strings.LastIndex(where, "("); i > 0 && !strings.HasPrefix(where, "created by") {
			where = where[:i]
		}
		counts[where]++
	}
	type row struct {
		where string
		n     int
	}
	var rows []row
	for w, n := range counts {
		rows = append(rows, row{w, n})
	}
	slices.SortFunc(rows, func(a, b row) int { return b.n - a.n })
	var out strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&out, "%4d %s\n", r.n, r.where)
	}
	return out.String()
}

// quietLambda is a Lambda client that keeps no idle connection open to the service,
// so the service's goroutine count is not inflated by the test's own API calls
// (each keep-alive connection holds a server goroutine until the client drops it).
func quietLambda(svc *servicetest.Service) *lambda.Client {
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return lambda.NewFromConfig(svc.AWSConfig(), func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(svc.URL)
		o.HTTPClient = hc
	})
}

// createMappingWith is createMapping through the given client.
func createMappingWith(t *testing.T, client *lambda.Client, in *lambda.CreateEventSourceMappingInput) string {
	t.Helper()
	ctx := context.Background()
	out, err := client.CreateEventSourceMapping(ctx, in)
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	id := aws.ToString(out.UUID)
	checkfor.Within(t, 30*time.Second, func() error {
		got, err := client.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if err != nil {
			return err
		}
		if s := aws.ToString(got.State); s != "Enabled" {
			return fmt.Errorf("state %s", s)
		}
		return nil
	})
	return id
}

// newCounterServer is newCounter that also returns the function's server, so a test
// can close the service's keep-alive connections to it.
func newCounterServer(t *testing.T, delay func() time.Duration) (*counter, *httptest.Server) {
	c := &counter{seen: make(map[string]int), delay: delay}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev events.ActiveMQEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			w.WriteHeader(400)
			return
		}
		if c.delay != nil {
			time.Sleep(c.delay())
		}
		c.mu.Lock()
		for _, m := range ev.Messages {
			b, _ := base64.StdEncoding.DecodeString(m.Data)
			c.seen[string(b)]++
			c.total++
		}
		c.mu.Unlock()
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return c, srv
}
