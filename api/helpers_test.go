package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/logtest"
	"github.com/mqtrigger/mqtrigger/secrets"
	"github.com/mqtrigger/mqtrigger/store"
)

const (
	testKey    = "AKIDTEST"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
	testAcct   = "123456789012"
	brokerName = "ExampleMQBroker"
	fnName     = "MQ-Example-Function"
	// secretValue is the password in every test secret; it must never be logged.
	secretValue = "s3cr3t-pa55word"
)

type env struct {
	t         *testing.T
	srv       *httptest.Server
	store     store.Store
	cfg       *config.Config
	brokerArn string
	lambda    *lambda.Client
	sm        *secretsmanager.Client
	metrics   *prometheus.Registry

	logs logtest.Buffer

	mu       sync.Mutex
	notified []string
	changed  []string // FunctionChanged's names
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWithStore(t, openStore(t))
}

// openStore opens a SQLite store for one test.
func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newEnvWithStore(t *testing.T, st store.Store) *env {
	t.Helper()
	return newEnvWith(t, st, []function.Spec{
		{Name: fnName, URL: "http://127.0.0.1:9/mq"},
		{Name: "other-fn", URL: "http://127.0.0.1:9/other"},
	})
}

// newEnvWith is newEnvWithStore with the given functions in the config file.
func newEnvWith(t *testing.T, st store.Store, configured []function.Spec) *env {
	t.Helper()
	cfg, err := config.Parse([]byte(`
credentials: [{accessKeyId: ` + testKey + `, secretAccessKey: "` + testSecret + `"}]
brokers:
  - name: ` + brokerName + `
    endpoints: ["tcp://127.0.0.1:61616"]
  - name: Second
    endpoints: ["tcp://127.0.0.1:61617"]
`))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, cfg: cfg, brokerArn: cfg.Brokers[0].ARN, metrics: prometheus.NewRegistry()}
	key := make([]byte, secrets.KeySize)
	sm, err := secrets.New(st, key, cfg.Region, cfg.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := function.NewRegistry(function.RegistryOptions{
		Store: st, DataDir: t.TempDir(), Region: cfg.Region, AccountID: cfg.AccountID,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Configured: configured,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	a, err := New(Options{
		Config:    cfg,
		Store:     st,
		Secrets:   sm,
		Functions: reg,
		Notify: func(m *esm.Mapping) {
			e.mu.Lock()
			e.notified = append(e.notified, m.UUID)
			e.mu.Unlock()
		},
		FunctionChanged: func(name string) {
			e.mu.Lock()
			e.changed = append(e.changed, name)
			e.mu.Unlock()
		},
		Metrics: e.metrics,
		Logger:  slog.New(slog.NewJSONHandler(&e.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(a)
	t.Cleanup(e.srv.Close)
	creds := credentials.NewStaticCredentialsProvider(testKey, testSecret, "")
	e.lambda = lambda.New(lambda.Options{
		Region: testRegion, Credentials: creds, BaseEndpoint: aws.String(e.srv.URL),
		RetryMaxAttempts: 1,
	})
	e.sm = secretsmanager.New(secretsmanager.Options{
		Region: testRegion, Credentials: creds, BaseEndpoint: aws.String(e.srv.URL),
		RetryMaxAttempts: 1,
	})
	return e
}

// secret creates a BASIC_AUTH secret through the Secrets Manager API and returns its ARN.
func (e *env) secret(name string) string {
	e.t.Helper()
	out, err := e.sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(`{"username":"app","password":"` + secretValue + `"}`),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

// settle writes a mapping's state as the supervisor would after a transition.
func (e *env) settle(id, state string) {
	e.t.Helper()
	ctx := context.Background()
	for {
		m, err := e.store.GetMapping(ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		m.State = state
		err = e.store.UpdateMapping(ctx, m)
		if errors.Is(err, esm.ErrConflict) {
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		return
	}
}

func (e *env) notifiedWith(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, n := range e.notified {
		if n == id {
			return true
		}
	}
	return false
}

// apiError checks err is the AWS error code with HTTP status and a message containing msg.
func apiError(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%v is not an API error", err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("code %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("message %q does not contain %q", ae.ErrorMessage(), msg)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("%v carries no HTTP response", err)
	}
	if re.HTTPStatusCode() != status {
		t.Fatalf("status %d, want %d", re.HTTPStatusCode(), status)
	}
	if re.ServiceRequestID() == "" {
		t.Fatal("no x-amzn-RequestId on the error")
	}
}

// signed builds a request signed as the Go SDK signs, with the given key and time.
func (e *env) signed(method, path, service string, body []byte, key, secret string, at time.Time, hdr map[string]string) *http.Request {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if v := req.Header.Get("X-Amz-Content-Sha256"); v != "" {
		hash = v
	}
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
		req, hash, service, testRegion, at)
	if err != nil {
		e.t.Fatal(err)
	}
	return req
}

type rawResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := rawResponse{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &out.body)
	return out
}

func ptr[T any](v T) *T { return &v }
