package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

func TestSigV4Refusals(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	listPath := "/2015-03-31/event-source-mappings?MaxItems=5"
	smHeaders := map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.ListSecrets"}

	unsigned, _ := http.NewRequest("GET", e.srv.URL+listPath, nil)
	unsignedSM, _ := http.NewRequest("POST", e.srv.URL+"/", strings.NewReader("{}"))
	for k, v := range smHeaders {
		unsignedSM.Header.Set(k, v)
	}
	tampered := e.signed("GET", listPath, "lambda", nil, testKey, testSecret, now, nil)
	tampered.URL.RawQuery = "MaxItems=6"
	bodySwap := e.signed("POST", "/", "secretsmanager", []byte("{}"), testKey, testSecret, now, smHeaders)
	bodySwap.Body = http.NoBody
	bodySwap.ContentLength = 0
	partial, _ := http.NewRequest("GET", e.srv.URL+listPath, nil)
	partial.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testKey+"/20240101/us-east-1/lambda/aws4_request")
	partial.Header.Set("X-Amz-Date", now.Format(amzDateLayout))
	badHash := e.signed("GET", listPath, "lambda", nil, testKey, testSecret, now, map[string]string{"X-Amz-Content-Sha256": strings.Repeat("0", 64)})

	cases := []struct {
		name    string
		req     *http.Request
		status  int
		code    string
		message string
	}{
		{"unsigned lambda", unsigned, 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"unsigned functions API", mustRequest(t, "GET", e.srv.URL+"/2015-03-31/functions/"), 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"unsigned secrets manager", unsignedSM, 400, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"unknown key", e.signed("GET", listPath, "lambda", nil, "AKIDNOBODY", testSecret, now, nil), 403, "UnrecognizedClientException", badTokenText},
		{"unknown key secrets manager", e.signed("POST", "/", "secretsmanager", []byte("{}"), "AKIDNOBODY", testSecret, now, smHeaders), 400, "UnrecognizedClientException", badTokenText},
		{"wrong secret", e.signed("GET", listPath, "lambda", nil, testKey, "not-the-secret", now, nil), 403, "InvalidSignatureException", mismatchText},
		{"wrong secret secrets manager", e.signed("POST", "/", "secretsmanager", []byte("{}"), testKey, "nope", now, smHeaders), 400, "InvalidSignatureException", mismatchText},
		{"tampered query", tampered, 403, "InvalidSignatureException", mismatchText},
		{"tampered body", bodySwap, 400, "InvalidSignatureException", mismatchText},
		{"expired", e.signed("GET", listPath, "lambda", nil, testKey, testSecret, now.Add(-6*time.Minute), nil), 403, "InvalidSignatureException",
			"Signature expired: " + now.Add(-6*time.Minute).Format(amzDateLayout) + " is now earlier than "},
		{"future", e.signed("GET", listPath, "lambda", nil, testKey, testSecret, now.Add(6*time.Minute), nil), 403, "InvalidSignatureException", "Signature not yet current: "},
		{"wrong service", e.signed("GET", listPath, "secretsmanager", nil, testKey, testSecret, now, nil), 403, "InvalidSignatureException", "Credential should be scoped to correct service: 'lambda'. "},
		{"missing parts", partial, 403, "IncompleteSignatureException", "Authorization header requires 'Signature' parameter."},
		{"content hash mismatch", badHash, 403, "InvalidSignatureException", "x-amz-content-sha256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.req)
			if r.status != tc.status || r.header.Get("x-amzn-ErrorType") != tc.code {
				t.Fatalf("%d %s, want %d %s: %s", r.status, r.header.Get("x-amzn-ErrorType"), tc.status, tc.code, r.raw)
			}
			if r.header.Get("x-amzn-RequestId") == "" {
				t.Fatal("no x-amzn-RequestId")
			}
			msg, _ := r.body["message"].(string)
			if !strings.Contains(msg, tc.message) {
				t.Fatalf("message %q, want %q", msg, tc.message)
			}
			if tc.status == 400 && r.body["__type"] != tc.code {
				t.Fatalf("__type %v", r.body["__type"])
			}
			if strings.Contains(r.raw, testSecret) {
				t.Fatal("secret in the response")
			}
		})
	}
}

func TestSigV4Accepts(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	for name, req := range map[string]*http.Request{
		"plain":            e.signed("GET", "/2015-03-31/event-source-mappings?FunctionName=a%20b&MaxItems=5", "lambda", nil, testKey, testSecret, now, nil),
		"unsigned payload": e.signed("GET", "/2015-03-31/event-source-mappings", "lambda", nil, testKey, testSecret, now, map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}),
		"content hash":     e.signed("GET", "/2015-03-31/event-source-mappings", "lambda", nil, testKey, testSecret, now, map[string]string{"X-Amz-Content-Sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}),
		"4 minutes skew":   e.signed("GET", "/2015-03-31/event-source-mappings", "lambda", nil, testKey, testSecret, now.Add(-4*time.Minute), nil),
		"functions":        e.signed("GET", "/2015-03-31/functions/", "lambda", nil, testKey, testSecret, now, nil),
	} {
		r := do(t, req)
		// "a b" is not a function name, which shows the request got past authentication.
		if r.status != 200 && !(name == "plain" && r.status == 400 && r.header.Get("x-amzn-ErrorType") == "ValidationException") {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	// A client whose region differs from the configured one is told so.
	other := lambda.New(lambda.Options{Region: "eu-west-1", BaseEndpoint: aws.String(e.srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, "")})
	_, err := other.ListEventSourceMappings(context.Background(), &lambda.ListEventSourceMappingsInput{})
	apiError(t, err, "InvalidSignatureException", 403, "Credential should be scoped to a valid region, not 'eu-west-1'. This endpoint's region is 'us-east-1': sign with it (AWS_DEFAULT_REGION or --region).")
}

func TestOpenEndpointsAndMetrics(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("healthz: %v %v", err, resp)
	}
	resp.Body.Close()
	if _, err := e.lambda.ListEventSourceMappings(context.Background(), &lambda.ListEventSourceMappingsInput{}); err != nil {
		t.Fatal(err)
	}
	_, _ = e.lambda.GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: aws.String("0b2f6a3e-0000-4000-8000-000000000000")})
	r := do(t, mustRequest(t, "GET", e.srv.URL+"/metrics"))
	for _, want := range []string{
		`mqtrigger_api_requests_total{code="200",operation="ListEventSourceMappings"} 1`,
		`mqtrigger_api_requests_total{code="404",operation="GetEventSourceMapping"} 1`,
		`mqtrigger_api_request_duration_seconds_count{operation="ListEventSourceMappings"} 1`,
	} {
		if !strings.Contains(r.raw, want) {
			t.Errorf("metrics lack %s:\n%s", want, r.raw)
		}
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
