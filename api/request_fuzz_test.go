package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
	"github.com/mqtrigger/mqtrigger/secrets"
	"github.com/mqtrigger/mqtrigger/store"
)

// fuzzTarget is an API over a real SQLite store, a Secrets Manager and a function
// registry, called in-process with correctly signed requests, so the fuzzer's bytes
// reach the request decoders and validation rather than the signature check.
type fuzzTarget struct {
	api    *API
	secret string // ARN of a BASIC_AUTH secret
	broker string // ARN of the configured broker
}

func newFuzzTarget(f *testing.F) *fuzzTarget {
	f.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "", f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	cfg, err := config.Parse([]byte(`
credentials: [{accessKeyId: ` + testKey + `, secretAccessKey: "` + testSecret + `"}]
brokers:
  - name: ` + brokerName + `
    endpoints: ["tcp://127.0.0.1:61616"]
`))
	if err != nil {
		f.Fatal(err)
	}
	sm, err := secrets.New(st, make([]byte, secrets.KeySize), cfg.Region, cfg.AccountID)
	if err != nil {
		f.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, err := function.NewRegistry(function.RegistryOptions{
		Store: st, DataDir: f.TempDir(), Region: cfg.Region, AccountID: cfg.AccountID, Logger: quiet,
		Configured: []function.Spec{{Name: fnName, URL: "http://127.0.0.1:9/mq"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { reg.Close() })
	a, err := New(Options{
		Config: cfg, Store: st, Secrets: sm, Functions: reg, Metrics: prometheus.NewRegistry(), Logger: quiet,
	})
	if err != nil {
		f.Fatal(err)
	}
	ft := &fuzzTarget{api: a, broker: cfg.Brokers[0].ARN}
	out, err := sm.Create(ctx, secrets.CreateInput{Name: "fuzz", SecretString: `{"username":"u","password":"p"}`})
	if err != nil {
		f.Fatal(err)
	}
	ft.secret = out.ARN
	return ft
}

// do serves one signed request in-process.
func (ft *fuzzTarget) do(t *testing.T, method, path, service string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := &http.Request{Method: method, URL: &url.URL{Scheme: "http", Host: "127.0.0.1:9070", Path: path},
		Host: "127.0.0.1:9070", Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
	req = req.WithContext(context.Background())
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret},
		req, hex.EncodeToString(sum[:]), service, testRegion, time.Now())
	if err != nil {
		t.Skip() // a path the signer cannot sign is not a request a client sends
	}
	w := httptest.NewRecorder()
	ft.api.ServeHTTP(w, req)
	return w
}

// checkShape fails unless w is a success or a client error in the protocol's shape.
func checkShape(t *testing.T, w *httptest.ResponseRecorder, jsonProtocol bool) map[string]any {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil && w.Code != http.StatusNoContent && w.Body.Len() > 0 {
		t.Fatalf("status %d with a body that is not a JSON object: %q", w.Code, w.Body.String())
	}
	if w.Code < 400 {
		return body
	}
	code := w.Header().Get("x-amzn-ErrorType")
	if code == "" {
		t.Fatalf("error %d without x-amzn-ErrorType: %s", w.Code, w.Body.String())
	}
	if jsonProtocol && body["__type"] != code {
		t.Fatalf("json1.1 error %d: __type %v, header %s", w.Code, body["__type"], code)
	}
	if !jsonProtocol && w.Code != http.StatusForbidden && body["Type"] != "User" {
		t.Fatalf("rest-json error %d: Type %v: %s", w.Code, body["Type"], w.Body.String())
	}
	return body
}

// FuzzCreateEventSourceMappingRequest sends arbitrary bodies to CreateEventSourceMapping:
// never a panic or a 5xx, errors in Lambda's shape, and a created mapping reads back.
func FuzzCreateEventSourceMappingRequest(f *testing.F) {
	ft := newFuzzTarget(f)
	valid := `{"EventSourceArn":"` + ft.broker + `","FunctionName":"` + fnName + `","Queues":["q"],` +
		`"SourceAccessConfigurations":[{"Type":"BASIC_AUTH","URI":"` + ft.secret + `"}]`
	for _, s := range []string{
		valid + `}`,
		valid + `,"BatchSize":10000,"MaximumBatchingWindowInSeconds":300,"ScalingConfig":{"MaximumConcurrency":2}}`,
		valid + `,"FilterCriteria":{"Filters":[{"Pattern":"{\"data\":{\"a\":[{\"numeric\":[\">\",1]}]}}"}]}}`,
		valid + `,"BatchSize":"ten"}`,
		valid + `,"Enabled":"yes","Tags":{"a":"b"}}`,
		valid + `,"StartingPosition":"LATEST"}`,
		`{"FunctionName":null}`, `[]`, `null`, `{`, ``, `{"Queues":[null]}`, `{} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := ft.do(t, "POST", esmPath, serviceLambda, body, map[string]string{"Content-Type": "application/json"})
		out := checkShape(t, w, false)
		if w.Code != http.StatusAccepted {
			return
		}
		id, _ := out["UUID"].(string)
		if id == "" {
			t.Fatalf("202 without a UUID: %s", w.Body.String())
		}
		g := ft.do(t, "GET", esmPath+"/"+id, serviceLambda, nil, nil)
		got := checkShape(t, g, false)
		if g.Code != http.StatusOK || got["BatchSize"] != out["BatchSize"] {
			t.Fatalf("created %s but reading it back gives %d %s", w.Body.String(), g.Code, g.Body.String())
		}
		ft.do(t, "DELETE", esmPath+"/"+id, serviceLambda, nil, nil)
	})
}

// FuzzUpdateEventSourceMappingRequest sends arbitrary bodies to UpdateEventSourceMapping
// of an existing mapping: never a panic or a 5xx, and the mapping stays readable.
func FuzzUpdateEventSourceMappingRequest(f *testing.F) {
	ft := newFuzzTarget(f)
	for _, s := range []string{
		`{"BatchSize":5}`, `{"Enabled":false}`, `{"BatchSize":"ten"}`, `{"FunctionName":"other"}`,
		`{"FilterCriteria":{"Filters":[]}}`, `{"FilterCriteria":{"Filters":[{"Pattern":"nope"}]}}`,
		`{"ScalingConfig":{"MaximumConcurrency":-1}}`, `{"MaximumBatchingWindowInSeconds":1e9}`, `{`, `null`,
		`{"SourceAccessConfigurations":[{"Type":"BASIC_AUTH","URI":"arn:aws:secretsmanager:us-east-1:123456789012:secret:none"}]}`,
	} {
		f.Add([]byte(s))
	}
	create := `{"EventSourceArn":"` + ft.broker + `","FunctionName":"` + fnName + `","Queues":["update"],` +
		`"SourceAccessConfigurations":[{"Type":"BASIC_AUTH","URI":"` + ft.secret + `"}]}`
	var id string
	f.Fuzz(func(t *testing.T, body []byte) {
		if id == "" {
			w := ft.do(t, "POST", esmPath, serviceLambda, []byte(create), nil)
			var out map[string]any
			json.Unmarshal(w.Body.Bytes(), &out)
			if id, _ = out["UUID"].(string); id == "" {
				t.Fatalf("cannot create the mapping to update: %d %s", w.Code, w.Body.String())
			}
		}
		w := ft.do(t, "PUT", esmPath+"/"+id, serviceLambda, body, map[string]string{"Content-Type": "application/json"})
		checkShape(t, w, false)
		g := ft.do(t, "GET", esmPath+"/"+id, serviceLambda, nil, nil)
		if g.Code != http.StatusOK {
			t.Fatalf("after update %q (%d), the mapping reads as %d %s", body, w.Code, g.Code, g.Body.String())
		}
	})
}

// FuzzSecretsManagerRequest sends arbitrary targets and bodies to the Secrets Manager
// endpoint: never a panic or a 5xx, errors in the json1.1 shape, and no response but
// GetSecretValue's carries the secret's password.
func FuzzSecretsManagerRequest(f *testing.F) {
	ft := newFuzzTarget(f)
	for _, s := range [][2]string{
		{"CreateSecret", `{"Name":"n","SecretString":"v"}`},
		{"CreateSecret", `{"Name":"b","SecretBinary":"AAEC"}`},
		{"CreateSecret", `{"Name":5}`},
		{"GetSecretValue", `{"SecretId":"fuzz"}`},
		{"PutSecretValue", `{"SecretId":"fuzz","SecretString":"{\"username\":\"u\",\"password\":\"q\"}"}`},
		{"DescribeSecret", `{"SecretId":"fuzz"}`},
		{"ListSecrets", `{"MaxResults":1,"NextToken":"garbage"}`},
		{"DeleteSecret", `{"SecretId":"n","ForceDeleteWithoutRecovery":true,"RecoveryWindowInDays":7}`},
		{"RotateSecret", `{}`},
		{"", `{`},
	} {
		f.Add(s[0], []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, target string, body []byte) {
		hdr := map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": smTarget + target}
		if strings.ContainsAny(target, "\r\n\x00") {
			return // not a header value a client can send
		}
		w := ft.do(t, "POST", "/", serviceSecretsManager, body, hdr)
		checkShape(t, w, true)
		if target != "GetSecretValue" && strings.Contains(w.Body.String(), `\"password\":\"p\"`) {
			t.Fatalf("%s returned the secret's value: %s", target, w.Body.String())
		}
	})
}

// FuzzRequestPath sends signed requests with arbitrary methods and paths: never a
// panic or a 5xx, and every error in the shape of its protocol.
func FuzzRequestPath(f *testing.F) {
	ft := newFuzzTarget(f)
	for _, s := range [][2]string{
		{"GET", esmPath}, {"GET", esmPath + "/\x00"}, {"DELETE", esmPath + "/../functions"},
		{"GET", "/2015-03-31/functions/" + fnName}, {"GET", "/2015-03-31/functions/\u2603/configuration"},
		{"POST", "/2015-03-31/functions/x/invocations"}, {"PATCH", "/"}, {"GET", "/healthz"}, {"PUT", esmPath + "/" + strings.Repeat("a", 300)},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n\x00()<>@,;:\\\"/[]?={}") || !strings.HasPrefix(path, "/") {
			return
		}
		if method == "POST" && strings.HasSuffix(path, "/invocations") {
			return // Invoke calls the function; not a decoding question
		}
		w := ft.do(t, method, path, serviceLambda, nil, nil)
		if w.Code >= 500 {
			t.Fatalf("%s %q: %d %s", method, path, w.Code, w.Body.String())
		}
		if w.Code >= 400 && w.Header().Get("x-amzn-ErrorType") == "" {
			t.Fatalf("%s %q: error %d without x-amzn-ErrorType: %s", method, path, w.Code, w.Body.String())
		}
	})
}

// FuzzFunctionsRequest: bodies of the versions, alias, policy and concurrency
// operations on an existing function answer in Lambda's error shape, never 5xx.
func FuzzFunctionsRequest(f *testing.F) {
	ft := newFuzzTarget(f)
	zip, err := lambdazip.Bootstrap([]byte("#!/bin/sh\n"))
	if err != nil {
		f.Fatal(err)
	}
	create, _ := json.Marshal(map[string]any{"FunctionName": "fz", "Runtime": "provided.al2023", "Role": "arn:aws:iam::123456789012:role/r",
		"Handler": "bootstrap", "Code": map[string]any{"ZipFile": zip}, "Publish": true})
	t := &testing.T{}
	if w := ft.do(t, "POST", functionsPath, serviceLambda, create, nil); w.Code != 201 {
		f.Fatalf("CreateFunction: %d %s", w.Code, w.Body.String())
	}
	for _, s := range [][3]string{
		{"POST", "/2015-03-31/functions/fz/versions", `{"Description":"d"}`},
		{"POST", "/2015-03-31/functions/fz/versions", `{"CodeSha256":5}`},
		{"POST", "/2015-03-31/functions/fz/aliases", `{"Name":"live","FunctionVersion":"1"}`},
		{"POST", "/2015-03-31/functions/fz/aliases", `{"Name":"w","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"$LATEST":2}}}`},
		{"PUT", "/2015-03-31/functions/fz/aliases/live", `{"FunctionVersion":"$LATEST","RevisionId":"x"}`},
		{"POST", "/2015-03-31/functions/fz/policy", `{"StatementId":"s","Action":"lambda:InvokeFunction","Principal":"*"}`},
		{"POST", "/2015-03-31/functions/fz/policy", `{"StatementId":"s","Action":"lambda:InvokeFunction","Principal":"123456789012","FunctionUrlAuthType":"X"}`},
		{"PUT", "/2017-10-31/functions/fz/concurrency", `{"ReservedConcurrentExecutions":-3}`},
		{"PUT", "/2015-03-31/functions/fz/configuration", `{"VpcConfig":{"SubnetIds":[null]},"LoggingConfig":{"LogFormat":"JSON","SystemLogLevel":"TRACE"}}`},
		{"PUT", "/2015-03-31/functions/fz/configuration", `{"EphemeralStorage":{"Size":1e9},"TracingConfig":{},"Layers":[]}`},
		{"PUT", "/2015-03-31/functions/fz/code", `{"ZipFile":"AAAA","Publish":true,"Architectures":["arm64"]}`},
	} {
		f.Add(s[0], s[1], []byte(s[2]))
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		if !strings.HasPrefix(path, "/20") || strings.HasSuffix(path, "/invocations") || method == "" ||
			strings.ContainsAny(method, " \t\r\n\x00()<>@,;:\\\"/[]?={}") {
			return
		}
		w := ft.do(t, method, path, serviceLambda, body, nil)
		if w.Code >= 500 {
			t.Fatalf("%s %q %q: %d %s", method, path, body, w.Code, w.Body.String())
		}
		if w.Code >= 400 && w.Header().Get("x-amzn-ErrorType") == "" {
			t.Fatalf("%s %q: error %d without x-amzn-ErrorType: %s", method, path, w.Code, w.Body.String())
		}
	})
}
