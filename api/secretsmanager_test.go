package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func TestSecretsManager(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	created, err := e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("mq/app"), Description: aws.String("broker user"),
		SecretString: aws.String(`{"username":"app","password":"one"}`),
		Tags:         []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("orders")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:mq/app-") || len(arn) != len("arn:aws:secretsmanager:us-east-1:123456789012:secret:mq/app-")+6 {
		t.Fatalf("ARN %s", arn)
	}
	if aws.ToString(created.Name) != "mq/app" || aws.ToString(created.VersionId) == "" {
		t.Fatalf("%+v", created)
	}
	_, err = e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("mq/app"), SecretString: aws.String("x")})
	apiError(t, err, "ResourceExistsException", 400, "The operation failed because the secret mq/app already exists.")

	for _, id := range []string{"mq/app", arn, strings.TrimSuffix(arn, arn[len(arn)-7:])} {
		v, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if aws.ToString(v.SecretString) != `{"username":"app","password":"one"}` || aws.ToString(v.ARN) != arn ||
			len(v.VersionStages) != 1 || v.VersionStages[0] != "AWSCURRENT" || v.CreatedDate == nil {
			t.Fatalf("%s: %+v", id, v)
		}
	}
	put, err := e.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(`{"username":"app","password":"two"}`)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("mq/app")})
	if err != nil || aws.ToString(v.SecretString) != `{"username":"app","password":"two"}` || aws.ToString(v.VersionId) != aws.ToString(put.VersionId) {
		t.Fatalf("after put: %v %+v", err, v)
	}
	prev, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("mq/app"), VersionStage: aws.String("AWSPREVIOUS")})
	if err != nil || aws.ToString(prev.SecretString) != `{"username":"app","password":"one"}` {
		t.Fatalf("previous: %v %+v", err, prev)
	}
	bin, err := e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bin"), SecretBinary: []byte{0, 1, 2, 255}})
	if err != nil {
		t.Fatal(err)
	}
	bv, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: bin.ARN})
	if err != nil || string(bv.SecretBinary) != "\x00\x01\x02\xff" || bv.SecretString != nil {
		t.Fatalf("binary: %v %+v", err, bv)
	}

	d, err := e.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("mq/app")})
	if err != nil || aws.ToString(d.Description) != "broker user" || len(d.VersionIdsToStages) != 2 || len(d.Tags) != 1 {
		t.Fatalf("describe: %v %+v", err, d)
	}
	list, err := e.sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	if err != nil || len(list.SecretList) != 2 || aws.ToString(list.SecretList[1].Name) != "mq/app" || len(list.SecretList[1].SecretVersionsToStages) != 2 {
		t.Fatalf("list: %v %+v", err, list)
	}
	if raw, _ := json.Marshal(list.SecretList); strings.Contains(string(raw), "password") {
		t.Fatal("ListSecrets returned a value")
	}

	_, err = e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
	apiError(t, err, "ResourceNotFoundException", 400, "Secrets Manager can't find the specified secret.")

	// A mapping can use the secret; once it is scheduled for deletion it cannot.
	in := e.createInput("q1", arn)
	if _, err := e.lambda.CreateEventSourceMapping(ctx, in); err != nil {
		t.Fatal(err)
	}
	del, err := e.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("mq/app"), RecoveryWindowInDays: aws.Int64(7)})
	if err != nil {
		t.Fatal(err)
	}
	if dd := aws.ToTime(del.DeletionDate); dd.Before(time.Now().Add(7*24*time.Hour - time.Minute)) {
		t.Fatalf("DeletionDate %v", dd)
	}
	_, err = e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("mq/app")})
	apiError(t, err, "InvalidRequestException", 400, "marked for deletion")
	_, err = e.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("bin"), RecoveryWindowInDays: aws.Int64(3)})
	apiError(t, err, "InvalidParameterException", 400, "RecoveryWindowInDays")
	_, err = e.lambda.CreateEventSourceMapping(ctx, e.createInput("q2", arn))
	apiError(t, err, "InvalidParameterValueException", 400, "does not exist")

	// Unknown operation and a body that is not JSON.
	r := do(t, e.signed("POST", "/", "secretsmanager", []byte("{}"), testKey, testSecret, time.Now(),
		map[string]string{"Content-Type": smContentType, "X-Amz-Target": "secretsmanager.RotateSecret"}))
	if r.status != 400 || r.body["__type"] != "UnknownOperationException" {
		t.Fatalf("unknown op: %d %s", r.status, r.raw)
	}
	r = do(t, e.signed("POST", "/", "secretsmanager", []byte("{"), testKey, testSecret, time.Now(),
		map[string]string{"Content-Type": smContentType, "X-Amz-Target": "secretsmanager.ListSecrets"}))
	if r.status != 400 || r.body["__type"] != "SerializationException" {
		t.Fatalf("bad json: %d %s", r.status, r.raw)
	}
}

// TestRequestLogs checks one structured line per request, with no secret value and
// no Authorization header.
func TestRequestLogs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	arn := e.secret("logged")
	if _, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{}); err != nil {
		t.Fatal(err)
	}
	_, _ = e.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String("0b2f6a3e-0000-4000-8000-000000000000")})
	logs := e.logs.String()
	for _, bad := range []string{secretValue, testSecret, "Signature=", "AWS4-HMAC-SHA256"} {
		if strings.Contains(logs, bad) {
			t.Fatalf("logs contain %q:\n%s", bad, logs)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d log lines, want 4:\n%s", len(lines), logs)
	}
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[3]), &last); err != nil {
		t.Fatal(err)
	}
	if last["operation"] != "GetEventSourceMapping" || last["status"] != float64(404) || last["error"] != "ResourceNotFoundException" ||
		last["request_id"] == "" || last["access_key_id"] != testKey {
		t.Fatalf("log line %v", last)
	}
}
