package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// dlqRetries is MaximumRetryAttempts in these tests: a poison message is delivered
// exactly 1 + dlqRetries times, then dead-lettered.
const dlqRetries = 2

// faultService starts mqtrigger on a private broker whose dead-letter queues are
// per queue (DLQ.<queue>), with 100 ms redelivery delays.
func faultService(t *testing.T, functions ...servicetest.Function) (*brokertest.Broker, *servicetest.Service, string) {
	t.Helper()
	b := brokertest.Start(t, brokertest.Options{DLQ: "individual"})
	svc := servicetest.Start(t, servicetest.Options{
		Brokers:   []servicetest.Broker{{Name: "e2e", ARN: brokerARN, Endpoints: []string{b.URL}, RedeliveryDelay: 100 * time.Millisecond}},
		Functions: functions,
	})
	secret, err := svc.CreateBasicAuthSecret(t.Context(), "broker", b.User, b.Password)
	if err != nil {
		t.Fatal(err)
	}
	return b, svc, secret
}

func retryingMapping(fn, queue, secret string, batch, concurrency int32) *lambda.CreateEventSourceMappingInput {
	in := mappingInput(fn, queue, secret, batch, concurrency)
	in.MaximumRetryAttempts = aws.Int32(dlqRetries)
	return in
}

// checkDeadLettered checks that the dead-lettered messages are exactly want (by
// body), each with a cause containing causes[prefix of its body].
func checkDeadLettered(t *testing.T, dead []*openwire.Message, want []string, causes map[string]string) {
	t.Helper()
	got := make(map[string]bool)
	for _, m := range dead {
		body := string(m.Data())
		got[body] = true
		cause, _ := m.Properties["dlqDeliveryFailureCause"].(string)
		prefix, _, _ := strings.Cut(body, "-")
		if !strings.Contains(cause, causes[prefix]) {
			t.Errorf("%s dead-lettered with cause %q, want it to contain %q", body, cause, causes[prefix])
		}
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("%s is not on the dead-letter queue", w)
		}
	}
}

// An aws-lambda-go function that returns errors, times out or crashes for some
// messages, created through the API: each such message is delivered exactly
// 1 + MaximumRetryAttempts times and then reaches DLQ.<queue> with its cause, and
// every other message is processed. A function whose init fails dead-letters its
// messages with the init error.
func TestReliabilityLambdaFaults(t *testing.T) {
	t.Parallel()
	b, svc, secret := faultService(t)
	code := faultyZip(t)
	dir := createFaulty(t, svc, "faulty", code, 1, nil)
	createFaulty(t, svc, "broken", code, 3, map[string]string{"FAIL_INIT": "cannot read ORDERS_TABLE"})

	var bodies, poison []string
	for i := range 30 {
		bodies = append(bodies, fmt.Sprintf("ok-%d", i))
		if i%5 == 0 {
			kind := []string{"error", "timeout", "crash"}[i/5%3]
			p := fmt.Sprintf("%s-%d", kind, i)
			bodies, poison = append(bodies, p), append(poison, p)
		}
	}
	queue := queueFor(t)
	createMapping(t, svc, retryingMapping("faulty", queue, secret, 1, 5))
	queuetest.Send(t, b, queue, queuetest.Texts(bodies...)...)

	initQueue := queue + ".init"
	createMapping(t, svc, retryingMapping("broken", initQueue, secret, 1, 1))
	initBodies := []string{"init-0", "init-1", "init-2"}
	queuetest.Send(t, b, initQueue, queuetest.Texts(initBodies...)...)

	dead := waitDLQ(t, b, "DLQ."+queue, len(poison), 2*time.Minute)
	checkDeadLettered(t, dead, poison, map[string]string{
		"error": "refusing", "timeout": "Sandbox.Timedout", "crash": "Runtime.ExitError",
	})
	checkfor.Within(t, time.Minute, func() error {
		got, _ := recordedBy(t, dir)
		for _, body := range bodies {
			if got[body] == 0 {
				return fmt.Errorf("%s never reached the function", body)
			}
		}
		return nil
	})
	got, _ := recordedBy(t, dir)
	for _, p := range poison {
		if got[p] != 1+dlqRetries {
			t.Errorf("%s was delivered %d times, want exactly %d (1 + MaximumRetryAttempts)", p, got[p], 1+dlqRetries)
		}
	}
	deadInit := waitDLQ(t, b, "DLQ."+initQueue, len(initBodies), 2*time.Minute)
	checkDeadLettered(t, deadInit, initBodies, map[string]string{"init": "cannot read ORDERS_TABLE"})

	// Nothing more arrives on the dead-letter queue: the good messages were not dead-lettered.
	if extra := queuetest.Drain(t, b, "DLQ."+queue, time.Second); len(extra) > 0 {
		t.Errorf("%d more messages were dead-lettered, e.g. %q", len(extra), extra[0].Data())
	}
}

// A slow aws-lambda-go function (50–200 ms a message) with MaximumConcurrency 50:
// mqtrigger scales past Lambda's fixed 5 and every message is processed.
func TestReliabilitySlowFunctionConcurrency50(t *testing.T) {
	t.Parallel()
	n := byForm(2000, 20000)
	b, svc, secret := faultService(t)
	rss := watchRSS(t, svc)
	dir := createFaulty(t, svc, "slow", faultyZip(t), 30, nil)
	queue := queueFor(t)
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("slow-%06d", i)
	}
	queuetest.Send(t, b, queue, queuetest.Texts(bodies...)...)
	start := time.Now()
	createMapping(t, svc, retryingMapping("slow", queue, secret, 5, 50))
	var got map[string]int
	var pids map[string]bool
	checkfor.Within(t, 4*time.Minute, func() error {
		got, pids = recordedBy(t, dir)
		if len(got) < n {
			return fmt.Errorf("%d of %d messages processed (%d environments)", len(got), n, len(pids))
		}
		return nil
	})
	took := time.Since(start)
	total := 0
	for _, c := range got {
		total += c
	}
	t.Logf("%d messages in %v by %d environments: %.0f messages/s", n, took.Round(100*time.Millisecond), len(pids), float64(n)/took.Seconds())
	if len(pids) <= 5 || len(pids) > 50 {
		t.Errorf("%d function environments ran; with MaximumConcurrency 50 and a full queue want 6..50", len(pids))
	}
	figures(t, n, len(got), total-len(got), 0, rss.Peak())
}

// garbageFunction is an HTTP function that answers every event with status and
// body, counting deliveries per message.
type garbageFunction struct {
	mu   sync.Mutex
	seen map[string]int
}

func newGarbage(t *testing.T, status int, body string) (*garbageFunction, string) {
	g := &garbageFunction{seen: make(map[string]int)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var ev events.ActiveMQEvent
		if err := json.Unmarshal(raw, &ev); err == nil {
			g.mu.Lock()
			for _, m := range ev.Messages {
				d, _ := base64.StdEncoding.DecodeString(m.Data)
				g.seen[string(d)]++
			}
			g.mu.Unlock()
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return g, srv.URL
}

func (g *garbageFunction) deliveries(body string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seen[body]
}

// An HTTP function that answers garbage: 200 with a body that is not JSON, under
// ReportBatchItemFailures, fails the whole batch; 500 with an HTML page fails it
// too. Each message is delivered exactly 1 + MaximumRetryAttempts times and reaches
// the dead-letter queue with the cause.
func TestReliabilityHTTPGarbage(t *testing.T) {
	t.Parallel()
	notJSON, notJSONURL := newGarbage(t, 200, "<html>OK, I guess</html>")
	page, pageURL := newGarbage(t, 500, "<html><body><h1>Internal Server Error</h1></body></html>")
	b, svc, secret := faultService(t,
		servicetest.Function{Name: "notjson", URL: notJSONURL},
		servicetest.Function{Name: "html500", URL: pageURL})

	cases := []struct {
		fn      string
		g       *garbageFunction
		partial bool
		cause   string
	}{
		{"notjson", notJSON, true, "not valid JSON"},
		{"html500", page, false, "HTTP 500"},
	}
	for _, c := range cases {
		t.Run(c.fn, func(t *testing.T) {
			queue := queueFor(t)
			in := retryingMapping(c.fn, queue, secret, 5, 1)
			if c.partial {
				in.FunctionResponseTypes = []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}
			}
			createMapping(t, svc, in)
			bodies := make([]string, 10)
			for i := range bodies {
				bodies[i] = fmt.Sprintf("%s-%d", c.fn, i)
			}
			queuetest.Send(t, b, queue, queuetest.Texts(bodies...)...)
			dead := waitDLQ(t, b, "DLQ."+queue, len(bodies), time.Minute)
			checkDeadLettered(t, dead, bodies, map[string]string{c.fn: c.cause})
			for _, body := range bodies {
				if d := c.g.deliveries(body); d != 1+dlqRetries {
					t.Errorf("%s was delivered %d times, want exactly %d", body, d, 1+dlqRetries)
				}
			}
		})
	}
}
