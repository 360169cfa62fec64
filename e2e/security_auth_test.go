package e2e

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

const (
	mismatchText = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	badTokenText = "The security token included in the request is invalid."
)

// authCases are the ways a request can fail authentication, with AWS's code and message.
func authCases() []struct {
	name, code, msg string
	s               signing
} {
	now := time.Now()
	return []struct {
		name, code, msg string
		s               signing
	}{
		{"unsigned", "MissingAuthenticationTokenException", "Missing Authentication Token", signing{unsigned: true}},
		{"unknown key", "UnrecognizedClientException", badTokenText, signing{key: "AKIDNOBODY", secret: servicetest.SecretAccessKey}},
		{"wrong secret", "InvalidSignatureException", mismatchText, signing{key: servicetest.AccessKeyID, secret: "not-the-secret"}},
		{"body changed after signing", "InvalidSignatureException", mismatchText, signing{signedBody: []byte(`{"other":"body"}`)}},
		{"signature altered", "InvalidSignatureException", mismatchText, signing{tamper: func(r *http.Request) {
			h := r.Header.Get("Authorization")
			last := h[len(h)-1]
			swap := map[byte]byte{'0': '1'}[last]
			if swap == 0 {
				swap = '0'
			}
			r.Header.Set("Authorization", h[:len(h)-1]+string(swap))
		}}},
		{"path changed after signing", "InvalidSignatureException", mismatchText, signing{tamper: func(r *http.Request) {
			r.URL.RawQuery = "MaxItems=1"
		}}},
		{"replayed 6 min later", "InvalidSignatureException", "Signature expired: ", signing{at: now.Add(-6 * time.Minute)}},
		{"an hour old", "InvalidSignatureException", " - 5 min.)", signing{at: now.Add(-time.Hour)}},
		{"from the future", "InvalidSignatureException", "Signature not yet current: ", signing{at: now.Add(6 * time.Minute)}},
		{"session token", "UnrecognizedClientException", badTokenText, signing{tamper: func(r *http.Request) {
			r.Header.Set("X-Amz-Security-Token", "token")
		}}},
		{"garbage Authorization", "IncompleteSignatureException", "", signing{tamper: func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 garbage")
		}}},
		{"other algorithm", "IncompleteSignatureException", "AWS4-HMAC-SHA256", signing{tamper: func(r *http.Request) {
			r.Header.Set("Authorization", "Basic YWRtaW46YWRtaW4=")
		}}},
	}
}

// Requests that are unsigned, signed with an unknown key or the wrong secret, altered
// after signing, or signed outside the allowed clock skew are refused with AWS's
// codes and messages (Lambda: 403; Secrets Manager: 400, as AWS's json1.1 services
// answer), and change nothing.
func TestSecurityRefusesBadSignatures(t *testing.T) {
	svc := apiService(t, "")
	secret, err := svc.CreateBasicAuthSecret(t.Context(), "auth", "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	create := []byte(`{"EventSourceArn":"` + brokerARN + `","FunctionName":"fn","Queues":["auth.q"],"SourceAccessConfigurations":[{"Type":"BASIC_AUTH","URI":"` + secret + `"}]}`)
	for _, tc := range authCases() {
		t.Run("lambda/"+tc.name, func(t *testing.T) {
			r := secRequest(t, svc, "POST", "/2015-03-31/event-source-mappings", create, map[string]string{"Content-Type": "application/json"}, tc.s)
			lambdaError(t, tc.name, r, http.StatusForbidden, tc.code, tc.msg)
			if _, ok := r.body["Type"]; ok {
				t.Errorf("Lambda auth errors carry a bare {\"message\"} body, got %s", r.raw)
			}
			if strings.Contains(string(r.raw), servicetest.SecretAccessKey) {
				t.Errorf("the response names the secret access key: %s", r.raw)
			}
		})
		t.Run("secretsmanager/"+tc.name, func(t *testing.T) {
			body := []byte(`{"Name":"auth-refused","SecretString":"x"}`)
			r := secRequest(t, svc, "POST", "/", body, map[string]string{
				"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.CreateSecret"}, tc.s)
			smError(t, tc.name, r, http.StatusBadRequest, tc.code, tc.msg)
		})
	}
	// nothing was created by the refused requests
	ms, err := svc.Lambda().ListEventSourceMappings(t.Context(), &lambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.EventSourceMappings) != 0 {
		t.Fatalf("refused requests created %d mappings", len(ms.EventSourceMappings))
	}
	if _, err := svc.SecretsManager().DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("auth-refused")}); err == nil {
		t.Fatal("a refused CreateSecret created the secret")
	}
	// the control: the same request signed properly works
	if r := secRequest(t, svc, "POST", "/2015-03-31/event-source-mappings", create, nil, signing{}); r.status != 202 {
		t.Fatalf("properly signed request refused: %d %s", r.status, r.raw)
	}
	// refusals are logged without the signature
	if log := svc.Log(); !strings.Contains(log, "InvalidSignatureException") {
		t.Errorf("refusals not logged")
	}
	healthy(t, svc)
}

// The real AWS CLI with an unknown key, or with the wrong secret, is refused; with the
// configured key it works.
func TestSecurityAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	svc := apiService(t, "")
	cli := func(key, secret string, args ...string) (string, error) {
		cmd := exec.Command("aws", append([]string{"--endpoint-url", svc.URL, "--region", servicetest.Region, "--output", "json"}, args...)...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	for _, tc := range []struct {
		args []string
	}{
		{[]string{"lambda", "list-event-source-mappings"}},
		{[]string{"secretsmanager", "list-secrets"}},
	} {
		out, err := cli("AKIDNOBODY", "whatever", tc.args...)
		if err == nil || !strings.Contains(out, "UnrecognizedClientException") || !strings.Contains(out, badTokenText) {
			t.Errorf("%v with an unknown key: err %v, output %q", tc.args, err, out)
		}
		out, err = cli(servicetest.AccessKeyID, "wrong-secret", tc.args...)
		if err == nil || !strings.Contains(out, "InvalidSignatureException") {
			t.Errorf("%v with the wrong secret: err %v, output %q", tc.args, err, out)
		}
		out, err = cli(servicetest.AccessKeyID, servicetest.SecretAccessKey, tc.args...)
		if err != nil {
			t.Errorf("%v with the right key: %v\n%s", tc.args, err, out)
		}
	}
	healthy(t, svc)
}
