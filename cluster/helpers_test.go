package cluster_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/pgtest"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

func TestMain(m *testing.M) { os.Exit(brokertest.Main(m)) }

// Test timings: a 6 s lease is renewed every 1.2 s, and a node that cannot renew
// fences itself after 4 s.
const (
	testLease = 6 * time.Second
	testPoll  = 2 * time.Second
)

var brokerARN = config.BrokerARN(servicetest.Region, servicetest.AccountID, "b")

// function is an HTTP function that measures its own concurrency: how many
// invocations are inside it at once, at the most, and what it has seen.
type function struct {
	srv   *httptest.Server
	delay time.Duration

	inflight atomic.Int32
	peak     atomic.Int32
	calls    atomic.Int64

	mu    sync.Mutex
	seen  map[string]int
	order []string // bodies in the order they first arrived
}

func newFunction(t *testing.T, delay time.Duration) *function {
	f := &function{delay: delay, seen: make(map[string]int)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *function) serve(w http.ResponseWriter, r *http.Request) {
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	f.calls.Add(1)
	var ev struct {
		Messages []struct {
			Data string `json:"data"`
		} `json:"messages"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	time.Sleep(f.delay) // the function's work
	f.mu.Lock()
	for _, m := range ev.Messages {
		b, _ := base64.StdEncoding.DecodeString(m.Data)
		s := string(b)
		if f.seen[s] == 0 {
			f.order = append(f.order, s)
		}
		f.seen[s]++
	}
	f.mu.Unlock()
	io.WriteString(w, "{}")
}

// distinct is how many different bodies arrived, and dups how many arrived again.
func (f *function) distinct() (distinct, dups int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.seen {
		dups += n - 1
	}
	return len(f.seen), dups
}

// testCluster is a broker, a PostgreSQL schema, a function and the nodes on them.
type testCluster struct {
	t       *testing.T
	broker  *brokertest.Broker
	store   string
	keyFile string
	fn      *function
	secret  string
	nodes   int
	poll    time.Duration // cluster.pollInterval of the nodes started next
}

func newCluster(t *testing.T, delay time.Duration) *testCluster {
	return &testCluster{t: t, broker: brokertest.Shared(t), store: pgtest.Schema(t),
		keyFile: filepath.Join(t.TempDir(), "secret.key"), fn: newFunction(t, delay), poll: testPoll}
}

// node starts one more mqtrigger serve on the cluster's store; storeURL overrides
// the store's URL (a proxy in front of it), extra adds config.
func (c *testCluster) node(storeURL, extra string) *servicetest.Service {
	c.t.Helper()
	if storeURL == "" {
		storeURL = c.store
	}
	c.nodes++
	return c.nodeWith(storeURL, fmt.Sprintf("secretKeyFile: %s\ncluster:\n  nodeName: node%d\n  lease: %s\n  pollInterval: %s\n%s",
		c.keyFile, c.nodes, testLease, c.poll, extra))
}

func (c *testCluster) nodeWith(storeURL, extra string) *servicetest.Service {
	c.t.Helper()
	svc := servicetest.Start(c.t, servicetest.Options{
		Brokers:   []servicetest.Broker{{Name: "b", Endpoints: []string{c.broker.URL}}},
		Functions: []servicetest.Function{{Name: "counter", URL: c.fn.srv.URL}},
		Store:     storeURL,
		Extra:     extra,
	})
	if c.secret == "" {
		arn, err := svc.CreateBasicAuthSecret(context.Background(), "broker", c.broker.User, c.broker.Password)
		if err != nil {
			c.t.Fatal(err)
		}
		c.secret = arn
	}
	return svc
}

// mapping creates a mapping of queue to the function through svc and waits for
// it to be Enabled.
func (c *testCluster) mapping(svc *servicetest.Service, queue string, batch, concurrency int) string {
	c.t.Helper()
	ctx := context.Background()
	out, err := svc.Lambda().CreateEventSourceMapping(ctx, c.createInput(queue, batch, concurrency))
	if err != nil {
		c.t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	id := aws.ToString(out.UUID)
	checkfor.Within(c.t, 30*time.Second, func() error {
		return wantState(svc, id, "Enabled")
	})
	return id
}

func (c *testCluster) createInput(queue string, batch, concurrency int) *lambda.CreateEventSourceMappingInput {
	return &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(brokerARN),
		FunctionName:   aws.String("counter"),
		Queues:         []string{queue},
		BatchSize:      aws.Int32(int32(batch)),
		// No batching window: a batch is what the queue has, so the test's
		// timing is the function's.
		MaximumBatchingWindowInSeconds: aws.Int32(0),
		ScalingConfig:                  &types.ScalingConfig{MaximumConcurrency: aws.Int32(int32(concurrency))},
		SourceAccessConfigurations: []types.SourceAccessConfiguration{{
			Type: types.SourceAccessTypeBasicAuth, URI: aws.String(c.secret)}},
	}
}

func wantState(svc *servicetest.Service, id, state string) error {
	got, err := svc.Lambda().GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		return err
	}
	if s := aws.ToString(got.State); s != state {
		return fmt.Errorf("mapping %s is %s, want %s", id, s, state)
	}
	return nil
}

// health is what a node's /healthz says of the cluster.
type health struct {
	fenced bool
	slots  map[string]int
}

func healthOf(svc *servicetest.Service) (health, error) {
	h := health{slots: map[string]int{}}
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(svc.URL + "/healthz")
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "cluster":
			h.fenced = strings.HasSuffix(line, "fenced true")
		case len(f) == 3 && f[0] == "slots":
			h.slots[f[1]], _ = strconv.Atoi(f[2])
		}
	}
	return h, nil
}

// slotsOf is how many slots of the mapping each node says it runs (-1: no answer).
func slotsOf(id string, nodes ...*servicetest.Service) []int {
	out := make([]int, len(nodes))
	for i, n := range nodes {
		h, err := healthOf(n)
		if err != nil {
			out[i] = -1
			continue
		}
		out[i] = h.slots[id]
	}
	return out
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += max(x, 0)
	}
	return s
}

// send puts n numbered messages ("<prefix>-<i>", zero-padded) on queue over
// several connections, or one when ordered.
func send(t *testing.T, b *brokertest.Broker, queue, prefix string, n int, ordered bool) {
	t.Helper()
	parts := 4
	if ordered {
		parts = 1
	}
	var wg sync.WaitGroup
	for p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var msgs []*openwire.Message
			for i := p; i < n; i += parts {
				msgs = append(msgs, queuetest.Text(fmt.Sprintf("%s-%06d", prefix, i)))
			}
			queuetest.Send(t, b, queue, msgs...)
		}()
	}
	wg.Wait()
}

func queueName(t *testing.T) string {
	return fmt.Sprintf("cluster.%s.%d", strings.ReplaceAll(t.Name(), "/", "."), time.Now().UnixNano())
}

// batchesOf is the node's mqtrigger_batches_total for the mapping (batches it
// sent to the function), or -1 when /metrics does not answer.
func batchesOf(svc *servicetest.Service, id string) float64 {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(svc.URL + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "mqtrigger_batches_total{") && strings.Contains(line, `mapping="`+id+`"`) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			return v
		}
	}
	return 0
}

// viaProxy is the store URL with its host replaced by a proxy's.
func viaProxy(storeURL, proxyURL string) string {
	u, err := url.Parse(storeURL)
	if err != nil {
		panic(err)
	}
	u.Host = strings.TrimPrefix(proxyURL, "tcp://")
	return u.String()
}

// pgHost is the host:port of the store URL.
func pgHost(storeURL string) string {
	u, err := url.Parse(storeURL)
	if err != nil {
		panic(err)
	}
	return u.Host
}
