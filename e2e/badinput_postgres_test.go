package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mqtrigger/mqtrigger/internal/pgtest"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

// With the PostgreSQL store, identifiers and values PostgreSQL cannot hold as text
// (NUL, invalid UTF-8) are client errors, never server faults.
func TestBadInputPostgresOddIdentifiers(t *testing.T) {
	svc := servicetest.Start(t, servicetest.Options{
		Store:     pgtest.Schema(t),
		Brokers:   []servicetest.Broker{{Name: "e2e", ARN: brokerARN, Endpoints: []string{"tcp://127.0.0.1:1"}}},
		Functions: []servicetest.Function{{Name: "fn", URL: "http://127.0.0.1:9/fn"}},
	})
	secret, err := svc.CreateBasicAuthSecret(t.Context(), "pg", "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	const esm = "/2015-03-31/event-source-mappings"
	create := func(extra string) string {
		return fmt.Sprintf(`{"EventSourceArn":%q,"FunctionName":"fn","Queues":["pg.q"],"SourceAccessConfigurations":[{"Type":"BASIC_AUTH","URI":%q}]%s}`, brokerARN, secret, extra)
	}
	for _, tc := range []struct {
		name, method, path, target, body string
	}{
		{"get NUL", "GET", esm + "/%00", "", ""},
		{"get invalid UTF-8", "GET", esm + "/%FF%FE", "", ""},
		{"update NUL", "PUT", esm + "/a%00b", "", `{"BatchSize":5}`},
		{"delete NUL", "DELETE", esm + "/%00", "", ""},
		{"list by NUL function", "GET", esm + "?FunctionName=a%00b", "", ""},
		{"list by NUL source", "GET", esm + "?EventSourceArn=%00", "", ""},
		{"list with NUL marker", "GET", esm + "?Marker=%00", "", ""},
		{"list with invalid UTF-8 marker", "GET", esm + "?Marker=%FF", "", ""},
		{"create NUL queue", "POST", esm, "", create(`,"Queues":["a\u0000b"]`)},
		{"create NUL tag", "POST", esm, "", create(`,"Tags":{"k\u0000":"v"}`)},
		{"create NUL filter", "POST", esm, "", create(`,"FilterCriteria":{"Filters":[{"Pattern":"{\"data\":{\"a\":[\"\u0000\"]}}"}]}`)},
		{"function NUL", "GET", "/2015-03-31/functions/%00", "", ""},
		{"function invalid UTF-8", "DELETE", "/2015-03-31/functions/%FF", "", ""},
		{"GetSecretValue NUL", "POST", "/", "GetSecretValue", `{"SecretId":"a\u0000b"}`},
		{"GetSecretValue NUL version", "POST", "/", "GetSecretValue", `{"SecretId":"pg","VersionId":"\u0000"}`},
		{"DescribeSecret NUL", "POST", "/", "DescribeSecret", `{"SecretId":"\u0000"}`},
		{"DeleteSecret NUL", "POST", "/", "DeleteSecret", `{"SecretId":"\u0000"}`},
		{"PutSecretValue NUL token", "POST", "/", "PutSecretValue", `{"SecretId":"pg","ClientRequestToken":"\u0000` + strings.Repeat("a", 40) + `","SecretString":"x"}`},
		{"CreateSecret NUL name", "POST", "/", "CreateSecret", `{"Name":"a\u0000","SecretString":"x"}`},
		{"CreateSecret NUL description", "POST", "/", "CreateSecret", `{"Name":"desc","Description":"a\u0000b","SecretString":"x"}`},
		{"CreateSecret NUL tag", "POST", "/", "CreateSecret", `{"Name":"tag","Tags":[{"Key":"k\u0000","Value":"v"}],"SecretString":"x"}`},
		{"ListSecrets NUL filter", "POST", "/", "ListSecrets", `{"Filters":[{"Key":"name","Values":["\u0000"]}]}`},
		{"ListSecrets NUL token", "POST", "/", "ListSecrets", `{"NextToken":"\u0000"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{"Content-Type": "application/json"}
			if tc.target != "" {
				hdr = map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager." + tc.target}
			}
			r := secRequest(t, svc, tc.method, tc.path, []byte(tc.body), hdr, signing{})
			if r.status >= 500 {
				t.Errorf("%d %s", r.status, r.raw)
			}
			if strings.Contains(string(r.raw), "postgres://") || strings.Contains(string(r.raw), "SQLSTATE") {
				t.Errorf("the response shows the store's internals: %s", r.raw)
			}
		})
	}
	healthy(t, svc)
}
