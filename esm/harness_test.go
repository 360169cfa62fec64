package esm_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/jms"
	"github.com/mqtrigger/mqtrigger/internal/logtest"
	"github.com/mqtrigger/mqtrigger/internal/testhandler"
	"github.com/mqtrigger/mqtrigger/openwire"
	"github.com/mqtrigger/mqtrigger/secrets"
	"github.com/mqtrigger/mqtrigger/store"
)

func TestMain(m *testing.M) {
	code := brokertest.Main(m)
	testhandler.Cleanup()
	os.Exit(code)
}

const (
	region    = "us-east-1"
	accountID = "123456789012"
	brokerARN = "arn:aws:mq:us-east-1:123456789012:broker:test:b-0001"
)

// harness runs a Supervisor against a real broker, a real SQLite store, real secrets and
// a real function registry.
type harness struct {
	t         *testing.T
	broker    *brokertest.Broker
	store     store.Store
	secrets   *secrets.Manager
	functions *function.Registry
	sup       *esm.Supervisor
	secretARN string
	registry  *prometheus.Registry
	// brokerURL may be changed before newHarness returns (failover tests).
	brokerURL string
	logs      *logtest.Buffer
}

type harnessOptions struct {
	broker    *brokertest.Broker
	brokerURL string // default broker.URL
	functions []function.Spec
	// maxInvocation is esm.Options.MaxInvocationTime (0: the default).
	maxInvocation time.Duration
	retryDelay    time.Duration // default 1s
	assigner      esm.Assigner  // nil: every slot runs here
}

func newHarness(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	if o.broker == nil {
		o.broker = brokertest.Shared(t)
	}
	if o.brokerURL == "" {
		o.brokerURL = o.broker.URL
	}
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	sec, err := secrets.New(st, key, region, accountID)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, broker: o.broker, store: st, secrets: sec, brokerURL: o.brokerURL, registry: prometheus.NewRegistry(), logs: &logtest.Buffer{}}
	h.secretARN = h.putSecret("broker-"+uuid.NewString()[:8], o.broker.User, o.broker.Password)

	logger := slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, h.logs), &slog.HandlerOptions{Level: slog.LevelInfo}))
	fns, err := function.NewRegistry(function.RegistryOptions{
		Store: st, DataDir: dir, Region: region, AccountID: accountID, Logger: logger, Configured: o.functions,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.functions = fns
	t.Cleanup(func() { fns.Close() })

	if o.retryDelay == 0 {
		o.retryDelay = time.Second
	}
	policy := openwire.DefaultRedeliveryPolicy()
	policy.InitialRedeliveryDelay = 20 * time.Millisecond
	policy.RedeliveryDelay = 20 * time.Millisecond
	h.sup = esm.NewSupervisor(esm.Options{
		Store:       st,
		Credentials: sec,
		Functions:   fns,
		Brokers: func(arn string) (esm.Broker, bool) {
			if arn != brokerARN {
				return esm.Broker{}, false
			}
			return esm.Broker{ARN: arn, Name: "test", URL: h.brokerURL, Redelivery: policy}, true
		},
		Registerer:     h.registry,
		Logger:         logger,
		ResyncInterval: time.Second,
		IdleTimeout:    time.Second,
		RetryDelay:     o.retryDelay,

		MaxInvocationTime: o.maxInvocation,
		Assigner:          o.assigner,
	})
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.sup.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// testWriter sends logs to t.Log, so they show only for failing tests.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

func (h *harness) putSecret(name, user, password string) string {
	h.t.Helper()
	value, _ := json.Marshal(map[string]string{"username": user, "password": password})
	out, err := h.secrets.Create(context.Background(), secrets.CreateInput{Name: name, SecretString: string(value)})
	if err != nil {
		h.t.Fatal(err)
	}
	return out.ARN
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9]+`)

// queueName is a queue of the test's own.
func queueName(t *testing.T) string {
	return unsafeChars.ReplaceAllString(t.Name(), ".") + "." + uuid.NewString()[:8]
}

// create stores a mapping as the API does and waits until the supervisor enabled it.
func (h *harness) create(cfg esm.Config) string {
	h.t.Helper()
	if cfg.EventSourceArn == "" {
		cfg.EventSourceArn = brokerARN
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = esm.DefaultBatchSize
	}
	if cfg.SourceAccessConfigurations == nil {
		cfg.SourceAccessConfigurations = []esm.SourceAccessConfiguration{{Type: "BASIC_AUTH", URI: h.secretARN}}
	}
	cfg.Enabled = true
	cfg.FunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:" + cfg.FunctionName
	m := &esm.Mapping{UUID: uuid.NewString(), Config: cfg}
	if _, err := esm.Transition(m, esm.Create, time.Now()); err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.CreateMapping(context.Background(), m); err != nil {
		h.t.Fatal(err)
	}
	h.sup.Notify(m)
	h.waitState(m.UUID, esm.StateEnabled)
	return m.UUID
}

// update changes a mapping as the API does: the new config and a transitional state.
func (h *harness) update(id, state string, change func(*esm.Mapping)) {
	h.t.Helper()
	for {
		m, err := h.store.GetMapping(context.Background(), id)
		if err != nil {
			h.t.Fatal(err)
		}
		change(m)
		m.State = state
		m.StateTransitionReason = esm.ReasonUserInitiated
		err = h.store.UpdateMapping(context.Background(), m)
		if err == nil {
			h.sup.Notify(m)
			return
		}
		if !errors.Is(err, esm.ErrConflict) {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) mapping(id string) *esm.Mapping {
	rec, err := h.store.GetMapping(context.Background(), id)
	if err != nil {
		h.t.Fatalf("mapping %s: %v", id, err)
	}
	return rec
}

func (h *harness) waitState(id, state string) {
	h.t.Helper()
	checkfor.Within(h.t, 30*time.Second, func() error {
		rec, err := h.store.GetMapping(context.Background(), id)
		if err != nil {
			return err
		}
		if rec.State != state {
			return fmt.Errorf("state %s, want %s (reason %s, result %q)", rec.State, state, rec.StateTransitionReason, rec.LastProcessingResult)
		}
		return nil
	})
}

// recorder is an HTTP function that records every invocation.
type recorder struct {
	mu          sync.Mutex
	invocations [][]events.ActiveMQMessage
	// respond decides the answer; nil answers 200 {}.
	respond func(msgs []events.ActiveMQMessage) (status int, body string)
	server  *httptest.Server
}

func newRecorder(t *testing.T, respond func([]events.ActiveMQMessage) (int, string)) *recorder {
	r := &recorder{respond: respond}
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev events.ActiveMQEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("function got an event that does not decode: %v", err)
			w.WriteHeader(400)
			return
		}
		r.mu.Lock()
		r.invocations = append(r.invocations, ev.Messages)
		r.mu.Unlock()
		status, out := 200, "{}"
		if r.respond != nil {
			status, out = r.respond(ev.Messages)
		}
		w.WriteHeader(status)
		io.WriteString(w, out)
	}))
	t.Cleanup(r.server.Close)
	return r
}

func (r *recorder) spec(name string) function.Spec {
	return function.Spec{Name: name, URL: r.server.URL, Timeout: 30 * time.Second}
}

// deliveries counts how often each body reached the function.
func (r *recorder) deliveries() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int)
	for _, inv := range r.invocations {
		for _, m := range inv {
			out[decode(m.Data)]++
		}
	}
	return out
}

func (r *recorder) batchSizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, inv := range r.invocations {
		out = append(out, len(inv))
	}
	return out
}

func (r *recorder) total() int {
	n := 0
	for _, s := range r.batchSizes() {
		n += s
	}
	return n
}

func decode(data string) string {
	b, _ := base64.StdEncoding.DecodeString(data)
	return string(b)
}

func storeFilter() esm.ListFilter { return esm.ListFilter{} }

// waitQueueEmpty polls the queue's depth, as a JMS QueueBrowser sees it, until the
// supervisor has taken and acknowledged everything.
func waitQueueEmpty(t *testing.T, b *brokertest.Broker, queue string, total time.Duration) {
	t.Helper()
	tool := jms.New(t)
	checkfor.Within(t, total, func() error {
		n, err := tool.QueueSize(context.Background(), b.URL, b.User, b.Password, queue)
		if err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("%d messages still on %s", n, queue)
		}
		return nil
	})
}
