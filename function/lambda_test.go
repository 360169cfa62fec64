package function

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestRemoteLambda invokes a function through Lambda's Invoke API with the AWS SDK;
// the remote side is another registry serving that API.
func TestRemoteLambda(t *testing.T) {
	remote := newTestEnv(t, RegistryOptions{Configured: []Spec{{Name: "target", Command: []string{handlerBinary(t)}}}})
	local := newTestEnv(t, RegistryOptions{
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI", ""),
		Configured: []Spec{
			{Name: "remote", ARN: "arn:aws:lambda:us-east-1:123456789012:function:target", Endpoint: remote.srv.URL},
			{Name: "missing", ARN: "arn:aws:lambda:us-east-1:123456789012:function:nothing", Endpoint: remote.srv.URL},
		},
	})
	got := invokeOK(t, local.reg, "remote", "over the wire")
	if got.FunctionName != "target" || got.Data != "over the wire" {
		t.Fatalf("remote handler saw %+v", got)
	}
	eb, _ := invokeFail(t, local.reg, "remote", "error")
	if eb.ErrorMessage != "handler failed on purpose" {
		t.Fatalf("remote error payload %+v", eb)
	}
	eb, _ = invokeFail(t, local.reg, "missing", "x")
	if eb.ErrorType != "ResourceNotFoundException" || !strings.Contains(eb.ErrorMessage, "function:nothing") {
		t.Fatalf("missing remote function: %+v", eb)
	}
	arn, err := local.reg.FunctionArn(context.Background(), "123456789012:function:remote")
	if err != nil || arn != "arn:aws:lambda:us-east-1:123456789012:function:remote" {
		t.Fatalf("FunctionArn: %q %v", arn, err)
	}
}
