package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

// rawResponse is an HTTP answer of the service, with its JSON body decoded if it is JSON.
type rawResponse struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// signing says how secRequest signs: with the service's key by default.
type signing struct {
	unsigned        bool
	key, secret     string
	at              time.Time // zero: now
	service         string    // default from the path: lambda or secretsmanager
	tamper          func(r *http.Request)
	signedBody      []byte // sign this body instead of the one sent
	noContentLength bool
}

// secRequest sends a request signed with SigV4 (unless s.unsigned) whose body is
// exactly body, so the test controls every byte the service sees.
func secRequest(t *testing.T, svc *servicetest.Service, method, path string, body []byte, hdr map[string]string, s signing) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, svc.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if path != "" && strings.ContainsAny(path, "%") {
		// keep odd escapes exactly as written
		req.URL.RawPath = strings.SplitN(path, "?", 2)[0]
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if !s.unsigned {
		if s.key == "" {
			s.key, s.secret = servicetest.AccessKeyID, servicetest.SecretAccessKey
		}
		if s.at.IsZero() {
			s.at = time.Now()
		}
		if s.service == "" {
			s.service = "lambda"
			if req.Header.Get("X-Amz-Target") != "" || path == "/" {
				s.service = "secretsmanager"
			}
		}
		signed := body
		if s.signedBody != nil {
			signed = s.signedBody
		}
		sum := sha256.Sum256(signed)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: s.key, SecretAccessKey: s.secret},
			req, hex.EncodeToString(sum[:]), s.service, servicetest.Region, s.at)
		if err != nil {
			t.Fatal(err)
		}
		if s.tamper != nil {
			s.tamper(req)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := rawResponse{status: resp.StatusCode, header: resp.Header, raw: b}
	_ = json.Unmarshal(b, &out.body)
	return out
}

// message returns the error message of a Lambda or Secrets Manager error body.
func (r rawResponse) message() string {
	for _, k := range []string{"message", "Message"} {
		if m, ok := r.body[k].(string); ok {
			return m
		}
	}
	return ""
}

// lambdaError checks r is a Lambda rest-json error: the status, x-amzn-ErrorType, a
// JSON body with Type User and a message containing msg.
func lambdaError(t *testing.T, what string, r rawResponse, status int, code, msg string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d (%s)", what, r.status, status, r.raw)
		return
	}
	if got := r.header.Get("x-amzn-ErrorType"); got != code {
		t.Errorf("%s: x-amzn-ErrorType %q, want %q (%s)", what, got, code, r.raw)
	}
	if r.body == nil {
		t.Errorf("%s: body is not JSON: %q", what, r.raw)
		return
	}
	if status != http.StatusForbidden && r.body["Type"] != "User" {
		t.Errorf("%s: body Type %v, want User (%s)", what, r.body["Type"], r.raw)
	}
	if !strings.Contains(r.message(), msg) {
		t.Errorf("%s: message %q does not contain %q", what, r.message(), msg)
	}
	if r.header.Get("x-amzn-RequestId") == "" {
		t.Errorf("%s: no x-amzn-RequestId", what)
	}
}

// smError checks r is a Secrets Manager json1.1 error.
func smError(t *testing.T, what string, r rawResponse, status int, code, msg string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d (%s)", what, r.status, status, r.raw)
		return
	}
	if got := r.header.Get("x-amzn-ErrorType"); got != code {
		t.Errorf("%s: x-amzn-ErrorType %q, want %q (%s)", what, got, code, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	if r.body == nil || r.body["__type"] != code {
		t.Errorf("%s: body %q lacks __type %s", what, r.raw, code)
	}
	if !strings.Contains(r.message(), msg) {
		t.Errorf("%s: message %q does not contain %q", what, r.message(), msg)
	}
}

// healthy checks the service still answers /healthz and its process runs.
func healthy(t *testing.T, svc *servicetest.Service) {
	t.Helper()
	resp, err := http.Get(svc.URL + "/healthz")
	if err != nil {
		t.Fatalf("service down: %v\n%s", err, svc.Log())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz: %d", resp.StatusCode)
	}
	if strings.Contains(svc.Log(), "panic") {
		t.Fatalf("the service logged a panic:\n%s", svc.Log())
	}
}

// apiService starts the service with one broker (not necessarily running) and one
// HTTP function.
func apiService(t *testing.T, brokerURL string) *servicetest.Service {
	t.Helper()
	if brokerURL == "" {
		brokerURL = "tcp://127.0.0.1:1"
	}
	return servicetest.Start(t, servicetest.Options{
		Brokers:   []servicetest.Broker{{Name: "e2e", ARN: brokerARN, Endpoints: []string{brokerURL}}},
		Functions: []servicetest.Function{{Name: "fn", URL: "http://127.0.0.1:9/fn"}},
	})
}

// apiServiceIn is apiService with its data in dir.
func apiServiceIn(t *testing.T, dir string) *servicetest.Service {
	t.Helper()
	return servicetest.Start(t, servicetest.Options{
		DataDir:   dir,
		Brokers:   []servicetest.Broker{{Name: "e2e", ARN: brokerARN, Endpoints: []string{"tcp://127.0.0.1:1"}}},
		Functions: []servicetest.Function{{Name: "fn", URL: "http://127.0.0.1:9/fn"}},
	})
}

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}
