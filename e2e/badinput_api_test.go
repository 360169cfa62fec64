package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

// Malformed Lambda requests get a 4xx in Lambda's rest-json error shape, and the
// service stays up.
func TestBadInputLambdaRequests(t *testing.T) {
	svc := apiService(t, "")
	secret, err := svc.CreateBasicAuthSecret(t.Context(), "badinput", "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	valid := func(extra string) []byte {
		return fmt.Appendf(nil, `{"EventSourceArn":%q,"FunctionName":"fn","Queues":["badinput.q%s"],`+
			`"SourceAccessConfigurations":[{"Type":"BASIC_AUTH","URI":%q}]%s}`, brokerARN, strings.ReplaceAll(extra, `"`, ""), secret, extra)
	}
	const esm = "/2015-03-31/event-source-mappings"
	big := bytes.Repeat([]byte("x"), 7<<20)
	copy(big, `{"FunctionName":"`)
	for _, tc := range []struct {
		name, method, path string
		body               []byte
		status             int
		code, msg          string
	}{
		{"bad JSON", "POST", esm, []byte(`{"FunctionName":`), 400, "InvalidRequestContentException", "Could not parse request body into json"},
		{"not an object", "POST", esm, []byte(`[1,2,3]`), 400, "InvalidRequestContentException", "Could not parse request body into json"},
		{"trailing data", "POST", esm, []byte(`{} {}`), 400, "InvalidRequestContentException", "Could not parse request body into json"},
		{"BatchSize ten", "POST", esm, valid(`,"BatchSize":"ten"`), 400, "InvalidRequestContentException", "BatchSize"},
		{"Queues a string", "POST", esm, []byte(`{"FunctionName":"fn","Queues":"q"}`), 400, "InvalidRequestContentException", "Queues"},
		{"BatchSize too big for int", "POST", esm, valid(`,"BatchSize":1e400`), 400, "InvalidRequestContentException", ""},
		{"BatchSize out of range", "POST", esm, valid(`,"BatchSize":10001`), 400, "InvalidParameterValueException", "'batchSize' failed to satisfy constraint"},
		{"null FunctionName", "POST", esm, []byte(`{"FunctionName":null}`), 400, "ValidationException", "functionName"},
		{"Kafka member", "POST", esm, valid(`,"StartingPosition":"LATEST"`), 400, "InvalidParameterValueException", "Unsupported StartingPosition parameter"},
		{"7 MB body", "POST", esm, big, 413, "RequestEntityTooLargeException", "Request must be smaller than"},
		{"7 MB update", "PUT", esm + "/0f1c2d3e-0000-4000-8000-000000000000", big, 413, "RequestEntityTooLargeException", "Request must be smaller than"},
		{"update unknown", "PUT", esm + "/0f1c2d3e-0000-4000-8000-000000000000", []byte(`{"BatchSize":5}`), 404, "ResourceNotFoundException", "does not exist"},
		{"update bad JSON", "PUT", esm + "/0f1c2d3e-0000-4000-8000-000000000000", []byte(`{"BatchSize":`), 400, "InvalidRequestContentException", ""},
		{"NUL in UUID", "GET", esm + "/%00", nil, 404, "ResourceNotFoundException", ""},
		{"invalid UTF-8 UUID", "GET", esm + "/%FF%FE", nil, 404, "ResourceNotFoundException", ""},
		{"unicode UUID", "GET", esm + "/%E2%98%83-%F0%9F%98%80", nil, 404, "ResourceNotFoundException", ""},
		{"very long UUID", "GET", esm + "/" + strings.Repeat("a", 8000), nil, 404, "ResourceNotFoundException", ""},
		{"dot-dot", "GET", esm + "/../functions", nil, 404, "UnknownOperationException", ""},
		{"escaped dot-dot", "GET", esm + "/..%2Ffunctions", nil, 404, "UnknownOperationException", ""},
		{"delete with NUL", "DELETE", esm + "/%00", nil, 404, "ResourceNotFoundException", ""},
		{"unknown path", "GET", "/2015-03-31/bogus", nil, 404, "UnknownOperationException", ""},
		{"unknown version", "GET", "/2099-01-01/event-source-mappings", nil, 404, "UnknownOperationException", ""},
		{"PATCH", "PATCH", esm, []byte(`{}`), 404, "UnknownOperationException", ""},
		{"DELETE collection", "DELETE", esm, nil, 404, "UnknownOperationException", ""},
		{"function NUL", "GET", "/2015-03-31/functions/%00", nil, 0, "", ""},
		{"function dot-dot", "GET", "/2015-03-31/functions/../../etc/passwd", nil, 0, "", ""},
		{"function very long", "GET", "/2015-03-31/functions/" + strings.Repeat("f", 8000), nil, 0, "", ""},
		{"CreateFunction bad JSON", "POST", "/2015-03-31/functions", []byte(`{"FunctionName":`), 400, "InvalidRequestContentException", ""},
		{"CreateFunction wrong type", "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"x","Timeout":"long","Code":{"ZipFile":"AA=="}}`), 400, "InvalidRequestContentException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := secRequest(t, svc, tc.method, tc.path, tc.body, map[string]string{"Content-Type": "application/json"}, signing{})
			if r.status < 400 || r.status >= 500 {
				t.Fatalf("status %d, want a 4xx: %s", r.status, r.raw)
			}
			if tc.status == 0 { // any client error in the right shape
				lambdaError(t, tc.name, r, r.status, r.header.Get("x-amzn-ErrorType"), "")
				if r.header.Get("x-amzn-ErrorType") == "" {
					t.Errorf("no x-amzn-ErrorType: %d %s", r.status, r.raw)
				}
				return
			}
			lambdaError(t, tc.name, r, tc.status, tc.code, tc.msg)
		})
	}
	// an unknown member is ignored, as AWS's deserializers do
	r := secRequest(t, svc, "POST", esm, valid(`,"NoSuchMember":{"a":[1,2]}`), nil, signing{})
	if r.status != 202 || r.body["UUID"] == nil {
		t.Errorf("unknown member: %d %s, want 202 with a UUID", r.status, r.raw)
	}
	healthy(t, svc)
}

// Malformed Secrets Manager requests get a 400 in the json1.1 error shape.
func TestBadInputSecretsManagerRequests(t *testing.T) {
	svc := apiService(t, "")
	sm := func(target string) map[string]string {
		h := map[string]string{"Content-Type": "application/x-amz-json-1.1"}
		if target != "" {
			h["X-Amz-Target"] = target
		}
		return h
	}
	for _, tc := range []struct {
		name, target string
		body         []byte
		code, msg    string
	}{
		{"unknown target", "secretsmanager.RotateSecret", []byte(`{}`), "UnknownOperationException", ""},
		{"foreign target", "DynamoDB_20120810.ListTables", []byte(`{}`), "UnknownOperationException", ""},
		// Lambda has no POST /, so this is a json1.1 request without its target
		{"missing target", "", []byte(`{}`), "UnknownOperationException", ""},
		{"bad JSON", "secretsmanager.CreateSecret", []byte(`{"Name":`), "SerializationException", ""},
		{"wrong type", "secretsmanager.CreateSecret", []byte(`{"Name":5,"SecretString":"x"}`), "SerializationException", ""},
		{"array body", "secretsmanager.GetSecretValue", []byte(`[]`), "SerializationException", ""},
		{"NUL in id", "secretsmanager.GetSecretValue", []byte(`{"SecretId":"a\u0000b"}`), "ResourceNotFoundException", ""},
		{"huge id", "secretsmanager.DescribeSecret", []byte(`{"SecretId":"` + strings.Repeat("é", 5000) + `"}`), "", ""},
		{"no name", "secretsmanager.CreateSecret", []byte(`{"SecretString":"x"}`), "", ""},
		{"7 MB body", "secretsmanager.CreateSecret", bytes.Repeat([]byte(" "), 7<<20), "", "Request must be smaller than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := secRequest(t, svc, "POST", "/", tc.body, sm(tc.target), signing{service: "secretsmanager"})
			if r.status < 400 || r.status >= 500 {
				t.Fatalf("status %d, want a 4xx: %s", r.status, r.raw)
			}
			code := tc.code
			if code == "" {
				code = r.header.Get("x-amzn-ErrorType")
				if code == "" {
					t.Fatalf("no x-amzn-ErrorType: %d %s", r.status, r.raw)
				}
			}
			status := 400
			if tc.name == "7 MB body" {
				status = 413
			}
			smError(t, tc.name, r, status, code, tc.msg)
			t.Logf("%d %s", r.status, r.raw)
		})
	}
	healthy(t, svc)
}

// Bad filter patterns are refused with Lambda's exact error.
func TestBadInputFilterPatterns(t *testing.T) {
	svc := apiService(t, "")
	secret, err := svc.CreateBasicAuthSecret(t.Context(), "filters", "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	for i, pattern := range []string{
		`not json`,
		`{"data":`,
		`[]`,
		`"string"`,
		`{"data":{"a":"not an array"}}`,
		`{"data":{"a":[{"bogusOperator":1}]}}`,
		`{"data":{"a":[{"numeric":[">"]}]}}`,
		`{"data":{"a":[{"numeric":["<",5,">",1,"=",2]}]}}`,
		`{"data":{"a":[{"prefix":5}]}}`,
		`{"data":{"a":[{"exists":"yes"}]}}`,
		`{"data":{"a":[{"anything-but":{"bogus":1}}]}}`,
		`{"data":{"a":[{"wildcard":"**"}]}}`,
		`{"data":{"a":[]}}`,
		`{"data":{}}`,
		strings.Repeat(`{"a":`, 200) + `[1]` + strings.Repeat(`}`, 200),
	} {
		body := fmt.Appendf(nil, `{"EventSourceArn":%q,"FunctionName":"fn","Queues":["filters.%d"],`+
			`"SourceAccessConfigurations":[{"Type":"BASIC_AUTH","URI":%q}],"FilterCriteria":{"Filters":[{"Pattern":%q}]}}`,
			brokerARN, i, secret, pattern)
		r := secRequest(t, svc, "POST", "/2015-03-31/event-source-mappings", body, nil, signing{})
		what := fmt.Sprintf("pattern %.60q", pattern)
		lambdaError(t, what, r, 400, "InvalidParameterValueException", "Invalid filter pattern definition.")
	}
	// the control: a good pattern is accepted
	body := fmt.Appendf(nil, `{"EventSourceArn":%q,"FunctionName":"fn","Queues":["filters.ok"],`+
		`"SourceAccessConfigurations":[{"Type":"BASIC_AUTH","URI":%q}],"FilterCriteria":{"Filters":[{"Pattern":%q}]}}`,
		brokerARN, secret, `{"data":{"a":[{"numeric":[">",1]}]}}`)
	if r := secRequest(t, svc, "POST", "/2015-03-31/event-source-mappings", body, nil, signing{}); r.status != 202 {
		t.Errorf("good pattern refused: %d %s", r.status, r.raw)
	}
	healthy(t, svc)
}

var _ = servicetest.Region
var _ = http.MethodGet
