package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/logtest"
	"github.com/mqtrigger/mqtrigger/internal/pgtest"
	"github.com/mqtrigger/mqtrigger/store"
)

const (
	keyID     = "AKIDEXAMPLE"
	secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	fnName    = "MQ-Example-Function"
)

// settler is a Supervisor for these tests: it makes the state transitions the real
// supervisor makes (without consuming anything), so that a create can be followed by
// an update as with Lambda.
type settler struct {
	st    store.Store
	ch    chan string
	mu    sync.Mutex
	ran   bool
	ended bool
}

func newSettler(d SupervisorDeps) (Supervisor, error) {
	return &settler{st: d.Store, ch: make(chan string, 100)}, nil
}

func (s *settler) Notify(m *esm.Mapping) { s.ch <- m.UUID }

func (s *settler) SecretChanged(string) {}

func (s *settler) state() (ran, ended bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ran, s.ended
}

func (s *settler) Run(ctx context.Context) error {
	s.mu.Lock()
	s.ran = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.ended = true
		s.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case id := <-s.ch:
			for {
				m, err := s.st.GetMapping(ctx, id)
				if err != nil {
					break
				}
				if m.State == esm.StateDeleting {
					_ = s.st.DeleteMapping(ctx, id)
					break
				}
				m.State = esm.StateEnabled
				if !m.Enabled {
					m.State = esm.StateDisabled
				}
				if err := s.st.UpdateMapping(ctx, m); !errors.Is(err, esm.ErrConflict) {
					break
				}
			}
		}
	}
}

type testServer struct {
	*Server
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returns, with its error in err
	err    error
	logs   *logtest.Buffer
	engine *settler
}

func (ts *testServer) stop(t *testing.T) {
	t.Helper()
	ts.cancel()
	select {
	case <-ts.done:
		if ts.err != nil {
			t.Fatalf("Run: %v", ts.err)
		}
	case <-time.After(ShutdownTimeout + 5*time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func start(t *testing.T, cfg *config.Config) *testServer {
	t.Helper()
	logs := &logtest.Buffer{}
	var eng *settler
	s, err := New(cfg, slog.New(slog.NewTextHandler(logs, nil)), WithSupervisor(func(d SupervisorDeps) (Supervisor, error) {
		e, err := newSettler(d)
		eng = e.(*settler)
		return e, err
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: s, cancel: cancel, done: make(chan struct{}), logs: logs, engine: eng}
	go func() {
		ts.err = s.Run(ctx)
		close(ts.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-ts.done
	})
	return ts
}

func testConfig(t *testing.T, dataDir, storeURL, fnURL string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
listen: 127.0.0.1:0
dataDir: %s
store: %q
credentials: [{accessKeyId: %s, secretAccessKey: %q}]
brokers:
  - name: ExampleMQBroker
    endpoints: ["tcp://127.0.0.1:61616"]
functions:
  - name: %s
    url: %s
`, dataDir, storeURL, keyID, secretKey, fnName, fnURL)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func fnServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }))
	t.Cleanup(srv.Close)
	return srv.URL
}

func clients(url string) (*lambda.Client, *secretsmanager.Client) {
	creds := credentials.NewStaticCredentialsProvider(keyID, secretKey, "")
	return lambda.New(lambda.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(url)}),
		secretsmanager.New(secretsmanager.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(url)})
}

// waitState polls until the mapping reaches state.
func waitState(t *testing.T, lc *lambda.Client, id, state string) {
	t.Helper()
	checkfor.Within(t, 10*time.Second, func() error {
		out, err := lc.GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if err != nil {
			return err
		}
		if got := aws.ToString(out.State); got != state {
			return fmt.Errorf("mapping %s is %s, want %s", id, got, state)
		}
		return nil
	})
}

// awsCLI runs Debian's aws command against url and decodes its JSON output.
func awsCLI(t *testing.T, url string, args ...string) map[string]any {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", url}, args...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_ACCESS_KEY_ID=" + keyID, "AWS_SECRET_ACCESS_KEY=" + secretKey, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_PAGER=", "AWS_DEFAULT_OUTPUT=json", "AWS_EC2_METADATA_DISABLED=true",
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws command (Debian's awscli) is needed for this test: apt-get install awscli")
	}
	cfg := testConfig(t, t.TempDir(), "", fnServer(t))
	ts := start(t, cfg)
	url := ts.URL()
	brokerArn := cfg.Brokers[0].ARN

	sec := awsCLI(t, url, "secretsmanager", "create-secret", "--name", "MQaccess", "--secret-string", `{"username":"admin","password":"admin"}`)
	secretArn, _ := sec["ARN"].(string)
	if !strings.HasPrefix(secretArn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:MQaccess-") || sec["Name"] != "MQaccess" {
		t.Fatalf("create-secret: %v", sec)
	}

	created := awsCLI(t, url, "lambda", "create-event-source-mapping", "--event-source-arn", brokerArn,
		"--function-name", fnName, "--source-access-configuration", "Type=BASIC_AUTH,URI="+secretArn, "--queues", "ExampleQueue")
	id, _ := created["UUID"].(string)
	fnArn := "arn:aws:lambda:us-east-1:123456789012:function:" + fnName
	checkMapping(t, "create", created, map[string]any{
		"UUID": id, "BatchSize": 100.0, "EventSourceArn": brokerArn, "FunctionArn": fnArn,
		"LastProcessingResult": "No records processed", "State": "Creating", "StateTransitionReason": "USER_INITIATED",
		"Queues": []any{"ExampleQueue"}, "SourceAccessConfigurations": []any{map[string]any{"Type": "BASIC_AUTH", "URI": secretArn}},
		"MaximumRetryAttempts": 6.0, "EventSourceMappingArn": "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:" + id,
	})
	lc, _ := clients(url)
	waitState(t, lc, id, "Enabled")

	updated := awsCLI(t, url, "lambda", "update-event-source-mapping", "--uuid", id, "--batch-size", "2")
	if updated["State"] != "Updating" || updated["BatchSize"] != 2.0 || updated["UUID"] != id {
		t.Fatalf("update: %v", updated)
	}
	waitState(t, lc, id, "Enabled")

	got := awsCLI(t, url, "lambda", "get-event-source-mapping", "--uuid", id)
	checkMapping(t, "get", got, map[string]any{
		"UUID": id, "BatchSize": 2.0, "EventSourceArn": brokerArn, "FunctionArn": fnArn,
		"LastProcessingResult": "No records processed", "State": "Enabled", "StateTransitionReason": "USER_INITIATED",
		"Queues": []any{"ExampleQueue"}, "SourceAccessConfigurations": []any{map[string]any{"Type": "BASIC_AUTH", "URI": secretArn}},
		"MaximumRetryAttempts": 6.0, "EventSourceMappingArn": "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:" + id,
	})
	if got["LastModified"].(float64) < created["LastModified"].(float64) {
		t.Fatalf("LastModified went back: %v < %v", got["LastModified"], created["LastModified"])
	}
	if ran, _ := ts.engine.state(); !ran {
		t.Fatal("the engine hook was not run")
	}
}

// checkMapping compares a mapping field by field; LastModified must be a recent
// epoch-seconds number, and no other field may be present.
func checkMapping(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: %s missing", what, k)
			continue
		}
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if !bytes.Equal(gj, wj) {
			t.Errorf("%s: %s = %s, want %s", what, k, gj, wj)
		}
	}
	lm, ok := got["LastModified"].(float64)
	if !ok || lm < float64(time.Now().Add(-time.Minute).Unix()) || lm > float64(time.Now().Add(time.Minute).Unix()) {
		t.Errorf("%s: LastModified %v", what, got["LastModified"])
	}
	for k := range got {
		if _, ok := want[k]; !ok && k != "LastModified" {
			t.Errorf("%s: unexpected field %s = %v", what, k, got[k])
		}
	}
}

func TestRestartSQLite(t *testing.T) {
	testRestart(t, "")
}

func TestRestartPostgres(t *testing.T) {
	testRestart(t, pgtest.Schema(t))
}

func testRestart(t *testing.T, storeURL string) {
	dataDir := t.TempDir()
	cfg := testConfig(t, dataDir, storeURL, fnServer(t))
	ctx := context.Background()

	ts := start(t, cfg)
	lc, sm := clients(ts.URL())
	sec, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("MQaccess"), SecretString: aws.String(`{"username":"u","password":"p"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, q := range []string{"q1", "q2", "q3"} {
		out, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
			EventSourceArn: aws.String(cfg.Brokers[0].ARN), FunctionName: aws.String(fnName), Queues: []string{q},
			BatchSize: aws.Int32(7), Enabled: aws.Bool(q != "q2"),
			SourceAccessConfigurations: []ltypes.SourceAccessConfiguration{{Type: ltypes.SourceAccessTypeBasicAuth, URI: sec.ARN}},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.UUID))
	}
	waitState(t, lc, ids[1], "Disabled")
	waitState(t, lc, ids[2], "Enabled")
	ts.stop(t)

	if fi, err := os.Stat(filepath.Join(dataDir, "secret.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v %v", err, fi)
	}

	ts = start(t, cfg)
	lc, sm = clients(ts.URL())
	list, err := lc.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.EventSourceMappings) != 3 {
		t.Fatalf("%d mappings after restart", len(list.EventSourceMappings))
	}
	for _, m := range list.EventSourceMappings {
		if aws.ToInt32(m.BatchSize) != 7 || aws.ToString(m.SourceAccessConfigurations[0].URI) != aws.ToString(sec.ARN) {
			t.Fatalf("after restart: %+v", m)
		}
	}
	got, err := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(ids[1])})
	if err != nil || aws.ToString(got.State) != "Disabled" {
		t.Fatalf("disabled mapping after restart: %v %v", err, got)
	}
	v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("MQaccess")})
	if err != nil || aws.ToString(v.SecretString) != `{"username":"u","password":"p"}` || aws.ToString(v.ARN) != aws.ToString(sec.ARN) {
		t.Fatalf("secret after restart: %v %+v", err, v)
	}
	ts.stop(t)
	if _, ended := ts.engine.state(); !ended {
		t.Fatal("the engine was not stopped")
	}
}

func TestBadConfigFailsFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Brokers = []config.Broker{{Name: "b", Endpoints: []string{"htp://x"}}}
	_, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), `brokers[0].endpoints[0]: openwire: URL "htp://x": scheme must be tcp, ssl or failover`) {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dataDir created before validation: %v", err)
	}
	if cfg.Brokers[0].ARN != "" {
		t.Fatal("New changed the caller's config")
	}
	// An address in use fails New, not Run.
	busy, err := New(testConfig(t, t.TempDir(), "", "http://127.0.0.1:9/"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg2 := testConfig(t, t.TempDir(), "", "http://127.0.0.1:9/")
	cfg2.Listen = busy.Addr().String()
	if _, err := New(cfg2, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "listen:") {
		t.Fatalf("busy address: %v", err)
	}
	if err := busy.Close(); err != nil {
		t.Fatal(err)
	}
	if err := busy.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestDefaultCredentials(t *testing.T) {
	dataDir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.Listen = "127.0.0.1:0"
	ts := start(t, cfg)
	path := filepath.Join(dataDir, CredentialsFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", err, fi)
	}
	cred, err := readCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ts.logs.String(), cred.AccessKeyID) || strings.Contains(ts.logs.String(), cred.SecretAccessKey) ||
		!strings.Contains(ts.logs.String(), path) {
		t.Fatalf("log should name the key id and file, never the secret:\n%s", ts.logs.String())
	}
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, "")})
	if _, err := lc.ListEventSourceMappings(context.Background(), &lambda.ListEventSourceMappingsInput{}); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Credentials) != 0 {
		t.Fatal("New changed the caller's config")
	}
	ts.stop(t)
	// The pair is kept across restarts.
	ts = start(t, cfg)
	again, err := readCredentials(path)
	if err != nil || again != cred {
		t.Fatalf("credentials changed on restart: %v", err)
	}
	resp, err := http.Get(ts.URL() + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, resp)
	}
	resp.Body.Close()
	resp, err = http.Get(ts.URL() + "/metrics")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("metrics: %v %v", err, resp)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "go_goroutines") || !strings.Contains(string(b), "mqtrigger_api_requests_total") {
		t.Fatalf("metrics:\n%.2000s", b)
	}
}

// With pprof on, Go's profiles answer at /debug/pprof/ without a signature; without
// it, that path is the API's and needs one.
func TestPprofOnlyWhenConfigured(t *testing.T) {
	for _, on := range []bool{true, false} {
		cfg := config.Default()
		cfg.Listen = "127.0.0.1:0"
		cfg.DataDir = t.TempDir()
		cfg.Pprof = on
		s, err := New(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		resp, err := http.Get("http://" + s.Addr().String() + "/debug/pprof/goroutine?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if (resp.StatusCode == 200) != on {
			t.Errorf("pprof=%v: /debug/pprof/goroutine answered %d", on, resp.StatusCode)
		}
		cancel()
		<-done
	}
}
