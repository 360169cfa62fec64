package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
	"github.com/mqtrigger/mqtrigger/internal/testhandler"
)

const testRole = "arn:aws:iam::123456789012:role/lambda-role"

// newFunctionsEnv is an API whose config file defines the function "configured".
func newFunctionsEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, openStore(t), []function.Spec{{Name: "configured", URL: "http://127.0.0.1:1/"}})
}

func TestMain(m *testing.M) {
	code := m.Run()
	testhandler.Cleanup()
	os.Exit(code)
}

// TestCreateFunctionErrors: what the functions API answers for bad input, as the SDK
// sees it, and Get, List and the updates.
func TestCreateFunctionErrors(t *testing.T) {
	e := newFunctionsEnv(t)
	good, err := lambdazip.Bootstrap([]byte("#!/bin/sh\n"))
	if err != nil {
		t.Fatal(err)
	}
	create := func(mod func(*lambda.CreateFunctionInput)) error {
		in := &lambda.CreateFunctionInput{
			FunctionName: aws.String("fn"), Runtime: types.RuntimeProvidedal2, Role: aws.String(testRole),
			Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: good},
		}
		mod(in)
		_, err := e.lambda.CreateFunction(context.Background(), in)
		return err
	}
	escape, err := lambdazip.Build(lambdazip.Entry{Name: "bootstrap", Mode: 0o755}, lambdazip.Entry{Name: "../../x", Mode: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	noBootstrap, err := lambdazip.Build(lambdazip.Entry{Name: "handler", Mode: 0o755})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mod  func(*lambda.CreateFunctionInput)
		code string
		msg  string
	}{
		{"runtime", func(in *lambda.CreateFunctionInput) { in.Runtime = types.RuntimePython312 },
			"InvalidParameterValueException", "Value python3.12 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [provided.al2023, provided.al2]"},
		{"not a zip", func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = []byte("nope") },
			"InvalidParameterValueException", "Could not unzip uploaded file"},
		{"path escape", func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = escape },
			"InvalidParameterValueException", "outside the function's folder"},
		{"no bootstrap", func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = noBootstrap },
			"InvalidParameterValueException", "Couldn't find valid bootstrap(s)"},
		{"timeout", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) },
			"ValidationException", "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"memory", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) },
			"ValidationException", "Member must have value greater than or equal to 128"},
		{"role", func(in *lambda.CreateFunctionInput) { in.Role = aws.String("r1") },
			"ValidationException", "Value 'r1' at 'role'"},
		{"name", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("bad name!") },
			"ValidationException", "at 'functionName'"},
		{"long name", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String(strings.Repeat("a", 65)) },
			"InvalidParameterValueException", "Member must have length less than or equal to 64"},
		{"qualified name", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("fn:1") },
			"ValidationException", "at 'functionName'"},
		{"configured name", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("configured") },
			"ResourceConflictException", "Function already exist: configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := create(tt.mod)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code || !strings.Contains(ae.ErrorMessage(), tt.msg) {
				t.Fatalf("got %v, want %s containing %q", err, tt.code, tt.msg)
			}
		})
	}
	if err := create(func(*lambda.CreateFunctionInput) {}); err != nil {
		t.Fatal(err)
	}
	err = create(func(*lambda.CreateFunctionInput) {})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) || aws.ToString(conflict.Message) != "Function already exist: fn" {
		t.Fatalf("second create: %v", err)
	}
	// Get, list and update code.
	ctx := context.Background()
	got, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn")})
	if err != nil || aws.ToString(got.Configuration.Handler) != "bootstrap" || got.Configuration.State != types.StateActive {
		t.Fatalf("GetFunction: %v %+v", err, got)
	}
	_, err = e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:123456789012:function:fn")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')" {
		t.Fatalf("GetFunction in another region: %v", err)
	}
	_, err = e.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn"), Qualifier: aws.String("7")})
	apiError(t, err, "ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn:7")
	_, err = e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn:live"), Qualifier: aws.String("7")})
	apiError(t, err, "InvalidParameterValueException", 400, "The derived qualifier from the function name does not match the specified qualifier.")
	list, err := e.lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1)})
	if err != nil || len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != "configured" || aws.ToString(list.NextMarker) == "" {
		t.Fatalf("ListFunctions page 1: %v %+v", err, list)
	}
	list, err = e.lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: list.NextMarker})
	if err != nil || len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != "fn" || list.NextMarker != nil {
		t.Fatalf("ListFunctions page 2: %v %+v", err, list)
	}
	newZip, err := lambdazip.Bootstrap([]byte("#!/bin/sh\n# v2\n"))
	if err != nil {
		t.Fatal(err)
	}
	upd, err := e.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: newZip})
	if err != nil || upd.CodeSize != int64(len(newZip)) {
		t.Fatalf("UpdateFunctionCode: %v %+v", err, upd)
	}
	_, err = e.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), RevisionId: aws.String("stale")})
	var pf *types.PreconditionFailedException
	if !errors.As(err, &pf) {
		t.Fatalf("update with a stale RevisionId: %v", err)
	}
	_, err = e.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("configured"), Timeout: aws.Int32(5)})
	apiError(t, err, "ResourceConflictException", 409, "Function configured is defined in the config file and cannot be changed through the API: change the config file")
	// The API shows the configured function but will not delete it.
	fn, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("configured")})
	if err != nil || aws.ToString(fn.Configuration.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:configured" ||
		aws.ToString(fn.Configuration.Description) != "defined in the config file (url http://127.0.0.1:1/)" {
		t.Fatalf("GetFunction: %v %+v", err, fn)
	}
	_, err = e.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("configured")})
	apiError(t, err, "ResourceConflictException", 409, "Function configured is defined in the config file and cannot be deleted through the API: remove it from the config file")
	_, err = e.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("$LATEST")})
	apiError(t, err, "InvalidParameterValueException", 400, "$LATEST version cannot be deleted without deleting the function.")
	if _, err := e.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn")})
	apiError(t, err, "ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn")
}

// TestInvokeAPI creates a real aws-lambda-go handler and invokes it through the API,
// as the AWS CLI would, in each invocation type.
func TestInvokeAPI(t *testing.T) {
	e := newFunctionsEnv(t)
	ctx := context.Background()
	zipped := testhandler.Zip(t)
	out, err := e.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("orders"), Runtime: types.RuntimeProvidedal2023, Role: aws.String(testRole),
		Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zipped}, Timeout: aws.Int32(2),
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "hello"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(zipped)
	if got, want := aws.ToString(out.CodeSha256), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("CodeSha256 = %s, want %s", got, want)
	}
	if out.CodeSize != int64(len(zipped)) || aws.ToString(out.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:orders" ||
		out.State != types.StateActive || out.LastUpdateStatus != types.LastUpdateStatusSuccessful ||
		aws.ToString(out.Version) != "$LATEST" || aws.ToInt32(out.Timeout) != 2 || aws.ToInt32(out.MemorySize) != 128 ||
		out.PackageType != types.PackageTypeZip || out.Runtime != types.RuntimeProvidedal2023 ||
		out.Environment == nil || out.Environment.Variables["GREETING"] != "hello" {
		t.Errorf("CreateFunction answered %+v", out)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(out.LastModified)); err != nil {
		t.Errorf("LastModified %q: %v", aws.ToString(out.LastModified), err)
	}

	inv, err := e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: testhandler.MQEvent(t, "first")})
	if err != nil {
		t.Fatal(err)
	}
	var first testhandler.Response
	if err := json.Unmarshal(inv.Payload, &first); err != nil || inv.StatusCode != 200 || inv.FunctionError != nil {
		t.Fatalf("Invoke: status %d, error %v, payload %s (%v)", inv.StatusCode, aws.ToString(inv.FunctionError), inv.Payload, err)
	}
	if aws.ToString(inv.ExecutedVersion) != "$LATEST" {
		t.Errorf("ExecutedVersion %q", aws.ToString(inv.ExecutedVersion))
	}
	now := time.Now().UnixMilli()
	if first.EventSource != "aws:mq" || first.Messages != 1 || first.Data != "first" || first.Greeting != "hello" ||
		first.FunctionName != "orders" || first.Memory != 128 || first.RequestID == "" ||
		first.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:orders" ||
		first.DeadlineMs < now || first.DeadlineMs > now+2100 {
		t.Fatalf("handler saw %+v", first)
	}

	// A function that fails answers HTTP 200 with X-Amz-Function-Error.
	inv, err = e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: testhandler.MQEvent(t, "error")})
	if err != nil || inv.StatusCode != 200 || aws.ToString(inv.FunctionError) != "Unhandled" || !strings.Contains(string(inv.Payload), "handler failed on purpose") {
		t.Fatalf("Invoke: %v, %+v, %s", err, inv, inv.Payload)
	}
	inv, err = e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: types.InvocationTypeEvent, Payload: testhandler.MQEvent(t, "log")})
	if err != nil || inv.StatusCode != 202 {
		t.Fatalf("Event: %v %+v", err, inv)
	}
	inv, err = e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || inv.StatusCode != 204 {
		t.Fatalf("DryRun: %v %+v", err, inv)
	}
	_, err = e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: []byte("not json")})
	apiError(t, err, "InvalidRequestContentException", 400, "Could not parse payload into json")
	_, err = e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`"` + strings.Repeat("a", maxAsyncPayload) + `"`)})
	apiError(t, err, "RequestEntityTooLargeException", 413, "payload is too large for the Event invocation type (limit 1048576 bytes)")

	if _, err := e.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Function not found: arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST" {
		t.Fatalf("Invoke after delete: %v", err)
	}
}

// TestFunctionsRequestID: a functions operation and Invoke answer with the request id
// the API logged, and Invoke gives the handler the same one.
func TestFunctionsRequestID(t *testing.T) {
	e := newFunctionsEnv(t)
	ctx := context.Background()
	loggedID := func(op string) string {
		t.Helper()
		var id string
		for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
			var l map[string]any
			if err := json.Unmarshal([]byte(line), &l); err == nil && l["msg"] == "request" && l["operation"] == op {
				id, _ = l["request_id"].(string) // the last one
			}
		}
		if id == "" {
			t.Fatalf("no log line for %s:\n%s", op, e.logs.String())
		}
		return id
	}
	out, err := e.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("ids"), Runtime: types.RuntimeProvidedal2023, Role: aws.String(testRole),
		Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: testhandler.Zip(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); id == "" || id != loggedID("CreateFunction") {
		t.Fatalf("CreateFunction answered request id %q, the log says %q", id, loggedID("CreateFunction"))
	}
	_, err = e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("absent")})
	var re interface{ ServiceRequestID() string }
	if !errors.As(err, &re) || re.ServiceRequestID() == "" || re.ServiceRequestID() != loggedID("GetFunction") {
		t.Fatalf("GetFunction error %v: request id vs the log's %q", err, loggedID("GetFunction"))
	}
	inv, err := e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("ids"), Payload: testhandler.MQEvent(t, "x")})
	if err != nil {
		t.Fatal(err)
	}
	var hr testhandler.Response
	if err := json.Unmarshal(inv.Payload, &hr); err != nil {
		t.Fatal(err)
	}
	id, _ := awsmiddleware.GetRequestIDMetadata(inv.ResultMetadata)
	if logged := loggedID("Invoke"); id == "" || id != logged || hr.RequestID != logged {
		t.Fatalf("Invoke: response request id %q, handler's %q, the log's %q", id, hr.RequestID, logged)
	}
}

// TestFunctionErrorCodes: each error of the function registry becomes Lambda's code
// and status, with its text.
func TestFunctionErrorCodes(t *testing.T) {
	arn := "arn:aws:lambda:us-east-1:123456789012:function:f"
	tests := []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{&function.ValidationError{Field: "timeout", Value: 0, Constraint: "Member must have value greater than or equal to 1"},
			400, "ValidationException", "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{&function.InvalidParameterError{Field: "Code.ZipFile", Message: "Could not unzip uploaded file."}, 400, "InvalidParameterValueException", "Could not unzip uploaded file."},
		{&function.TooLargeError{Message: "Zipped size must be smaller than 52428800 bytes"}, 413, "RequestEntityTooLargeException", "Zipped size must be smaller than 52428800 bytes"},
		{&function.NotFoundError{ARN: arn}, 404, "ResourceNotFoundException", "Function not found: " + arn},
		{&function.NotFoundError{ARN: arn, Qualifier: "7"}, 404, "ResourceNotFoundException", "Function not found: " + arn + ":7"},
		{fmt.Errorf("%w: f", function.ErrFunctionExists), 409, "ResourceConflictException", "Function already exist: f"},
		{fmt.Errorf("%w: f", function.ErrConfiguredFunction), 409, "ResourceConflictException", "Function f is defined in the config file and cannot be changed through the API: change the config file"},
		{fmt.Errorf("%w: f", function.ErrRevisionMismatch), 412, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id."},
		{errors.New("storing function f: disk full"), 500, "ServiceException", "storing function f: disk full"},
	}
	for _, tt := range tests {
		e := functionError("f", tt.err)
		if e.Status != tt.status || e.Code != tt.code || !strings.HasPrefix(e.Message, tt.msg) {
			t.Errorf("%v: got %d %s %q, want %d %s %q", tt.err, e.Status, e.Code, e.Message, tt.status, tt.code, tt.msg)
		}
	}
	for _, tt := range []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{&function.NotFoundError{ARN: arn}, 404, "ResourceNotFoundException", "Function not found: " + arn + ":$LATEST"},
		{fmt.Errorf("%w: function f: unpacking its code: zip: not a valid zip file", function.ErrFunctionConfig), 502, "InvalidZipFileException", "function configuration is invalid: function f: unpacking"},
		{function.ErrShuttingDown, 500, "ServiceException", "the service is shutting down"},
	} {
		e := invokeError("f", tt.err)
		if e.Status != tt.status || e.Code != tt.code || !strings.HasPrefix(e.Message, tt.msg) {
			t.Errorf("Invoke %v: got %d %s %q, want %d %s %q", tt.err, e.Status, e.Code, e.Message, tt.status, tt.code, tt.msg)
		}
	}
}

// TestFunctionRoutes: the functions API's paths and methods, and what is not one of
// its operations.
func TestFunctionRoutes(t *testing.T) {
	for _, tt := range []struct{ method, rest, op, name string }{
		{"POST", "", "CreateFunction", ""},
		{"POST", "/", "CreateFunction", ""},
		{"GET", "", "ListFunctions", ""},
		{"HEAD", "/", "ListFunctions", ""},
		{"GET", "/f", "GetFunction", "f"},
		{"GET", "/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af", "GetFunction", "arn:aws:lambda:us-east-1:123456789012:function:f"},
		{"DELETE", "/f", "DeleteFunction", "f"},
		{"GET", "/f/configuration", "GetFunctionConfiguration", "f"},
		{"PUT", "/f/configuration", "UpdateFunctionConfiguration", "f"},
		{"PUT", "/f/code", "UpdateFunctionCode", "f"},
		{"POST", "/f/invocations", "Invoke", "f"},
		{"PUT", "/f", unknownFunctionOperation, ""},
		{"GET", "/f/", unknownFunctionOperation, ""},
		{"GET", "//configuration", unknownFunctionOperation, ""},
		{"POST", "/f/invocations/x", unknownFunctionOperation, ""},
		{"GET", "/a%2Fb", "GetFunction", "a/b"},
	} {
		op, name, _ := functionOperation(tt.method, "/2015-03-31", tt.rest)
		if op != tt.op || name != tt.name {
			t.Errorf("%s %s: %s %q, want %s %q", tt.method, tt.rest, op, name, tt.op, tt.name)
		}
	}
	for _, tt := range []struct{ version, method, rest, op, name, sub string }{
		{"/2015-03-31", "POST", "/f/versions", "PublishVersion", "f", ""},
		{"/2015-03-31", "GET", "/f/versions", "ListVersionsByFunction", "f", ""},
		{"/2015-03-31", "POST", "/f/aliases", "CreateAlias", "f", ""},
		{"/2015-03-31", "GET", "/f/aliases", "ListAliases", "f", ""},
		{"/2015-03-31", "GET", "/f/aliases/live", "GetAlias", "f", "live"},
		{"/2015-03-31", "PUT", "/f/aliases/live", "UpdateAlias", "f", "live"},
		{"/2015-03-31", "DELETE", "/f/aliases/live", "DeleteAlias", "f", "live"},
		{"/2015-03-31", "POST", "/f/policy", "AddPermission", "f", ""},
		{"/2015-03-31", "GET", "/f/policy", "GetPolicy", "f", ""},
		{"/2015-03-31", "DELETE", "/f/policy/s%2F1", "RemovePermission", "f", "s/1"},
		{"/2017-10-31", "PUT", "/f/concurrency", "PutFunctionConcurrency", "f", ""},
		{"/2017-10-31", "DELETE", "/f/concurrency", "DeleteFunctionConcurrency", "f", ""},
		{"/2019-09-30", "GET", "/f/concurrency", "GetFunctionConcurrency", "f", ""},
		{"/2020-06-30", "GET", "/f/code-signing-config", "GetFunctionCodeSigningConfig", "f", ""},
		{"/2017-10-31", "GET", "/f/concurrency", unknownFunctionOperation, "", ""},
		{"/2017-10-31", "GET", "", unknownFunctionOperation, "", ""},
		{"/2015-03-31", "DELETE", "/f/aliases/", unknownFunctionOperation, "", ""},
		{"/2015-03-31", "GET", "/f/aliases/a/b", unknownFunctionOperation, "", ""},
	} {
		op, name, sub := functionOperation(tt.method, tt.version, tt.rest)
		if op != tt.op || name != tt.name || sub != tt.sub {
			t.Errorf("%s %s %s: %s %q %q, want %s %q %q", tt.version, tt.method, tt.rest, op, name, sub, tt.op, tt.name, tt.sub)
		}
	}
	e := newFunctionsEnv(t)
	resp := do(t, e.signed("PATCH", functionsPath+"/f", serviceLambda, nil, testKey, testSecret, time.Now(), nil))
	if resp.status != http.StatusNotFound || resp.header.Get("x-amzn-ErrorType") != "UnknownOperationException" ||
		!strings.Contains(resp.raw, "PATCH /2015-03-31/functions/f is not an operation of the Lambda functions API") {
		t.Fatalf("PATCH: %d %v %s", resp.status, resp.header, resp.raw)
	}
}

// CreateFunction and both updates tell the supervisor the function changed (so
// mappings stopped for want of it retry at once); a failed create does not.
func TestFunctionChangedNotified(t *testing.T) {
	e := newFunctionsEnv(t)
	ctx := context.Background()
	code, err := lambdazip.Bootstrap([]byte("#!/bin/sh\n"))
	if err != nil {
		t.Fatal(err)
	}
	changed := func() []string {
		e.mu.Lock()
		defer e.mu.Unlock()
		return append([]string(nil), e.changed...)
	}
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:healed"), Runtime: types.RuntimeProvidedal2,
		Role: aws.String(testRole), Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: code},
	}
	if _, err := e.lambda.CreateFunction(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.lambda.CreateFunction(ctx, in); err == nil {
		t.Fatal("a second CreateFunction succeeded")
	}
	if _, err := e.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("healed"), ZipFile: code}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("healed"), Timeout: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	if got := changed(); !reflect.DeepEqual(got, []string{"healed", "healed", "healed"}) {
		t.Fatalf("FunctionChanged got %q, want the plain name three times", got)
	}
}

// MaxItems out of Lambda's range is refused the same way by every functions list.
func TestFunctionListsRefuseMaxItems(t *testing.T) {
	e := newFunctionsEnv(t)
	ctx := context.Background()
	const msg = "1 validation error detected: Value '20000' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000"
	_, err := e.lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(20000)})
	apiError(t, err, "ValidationException", 400, msg)
	_, err = e.lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("any"), MaxItems: aws.Int32(20000)})
	apiError(t, err, "ValidationException", 400, msg)
	_, err = e.lambda.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("any"), MaxItems: aws.Int32(20000)})
	apiError(t, err, "ValidationException", 400, msg)
}
