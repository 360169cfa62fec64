package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/internal/testhandler"
)

// createHandler creates the test handler as function name, answering greeting.
func (e *env) createHandler(name, greeting string, mod func(*lambda.CreateFunctionInput)) *lambda.CreateFunctionOutput {
	e.t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Role: aws.String(testRole),
		Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: testhandler.Zip(e.t)},
		Environment: &types.Environment{Variables: map[string]string{"GREETING": greeting}},
	}
	if mod != nil {
		mod(in)
	}
	out, err := e.lambda.CreateFunction(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// invokeGreeting invokes name and returns the greeting it answered and the version
// that ran.
func (e *env) invokeGreeting(name string) (greeting, version string) {
	e.t.Helper()
	out, err := e.lambda.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(name), Payload: testhandler.MQEvent(e.t, "hi")})
	if err != nil {
		e.t.Fatalf("Invoke %s: %v", name, err)
	}
	var r testhandler.Response
	if err := json.Unmarshal(out.Payload, &r); err != nil || out.FunctionError != nil {
		e.t.Fatalf("Invoke %s: %s (%v)", name, out.Payload, err)
	}
	return r.Greeting, aws.ToString(out.ExecutedVersion)
}

// TestVersionsAndAliases: published versions keep their code and configuration, an
// alias is followed when it moves, and the errors are Lambda's.
func TestVersionsAndAliases(t *testing.T) {
	e := newFunctionsEnv(t)
	ctx := context.Background()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:blue"
	out := e.createHandler("blue", "one", func(in *lambda.CreateFunctionInput) { in.Publish = true })
	if aws.ToString(out.Version) != "$LATEST" {
		t.Fatalf("CreateFunction with Publish answered version %q", aws.ToString(out.Version))
	}
	_, err := e.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("blue"),
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "two"}}})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := e.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("blue"), Description: aws.String("second")})
	if err != nil || aws.ToString(v2.Version) != "2" || aws.ToString(v2.FunctionArn) != arn+":2" || aws.ToString(v2.Description) != "second" {
		t.Fatalf("PublishVersion: %v %+v", err, v2)
	}
	again, err := e.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("blue")})
	if err != nil || aws.ToString(again.Version) != "2" {
		t.Fatalf("PublishVersion of an unchanged $LATEST: %v, version %q, want 2", err, aws.ToString(again.Version))
	}
	_, err = e.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("blue"), CodeSha256: aws.String("bad")})
	apiError(t, err, "InvalidParameterValueException", 400, "CodeSHA256 (bad) is different from current CodeSHA256 in $LATEST")

	list, err := e.lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("blue"), MaxItems: aws.Int32(10000)})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, v := range list.Versions {
		arns = append(arns, aws.ToString(v.Version)+"="+aws.ToString(v.FunctionArn))
	}
	if got, want := strings.Join(arns, " "), "$LATEST="+arn+":$LATEST 1="+arn+":1 2="+arn+":2"; got != want {
		t.Fatalf("versions %s, want %s", got, want)
	}

	// $LATEST moves on; the versions do not.
	if _, err := e.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("blue"),
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "three"}}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, greeting, version string }{
		{"blue", "three", "$LATEST"}, {"blue:1", "one", "1"}, {arn + ":2", "two", "2"},
	} {
		if g, v := e.invokeGreeting(tt.name); g != tt.greeting || v != tt.version {
			t.Errorf("Invoke %s: greeting %q, version %q; want %q, %q", tt.name, g, v, tt.greeting, tt.version)
		}
	}
	got, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("blue"), Qualifier: aws.String("1")})
	if err != nil || got.Configuration.Environment.Variables["GREETING"] != "one" || aws.ToString(got.Configuration.Version) != "1" {
		t.Fatalf("GetFunction blue:1: %v %+v", err, got)
	}

	// An alias, followed when it moves.
	al, err := e.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("blue"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	if err != nil || aws.ToString(al.AliasArn) != arn+":live" || aws.ToString(al.RevisionId) == "" {
		t.Fatalf("CreateAlias: %v %+v", err, al)
	}
	_, err = e.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("blue"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	apiError(t, err, "ResourceConflictException", 409, "Alias already exists: "+arn+":live")
	_, err = e.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("blue"), Name: aws.String("dark"), FunctionVersion: aws.String("9")})
	apiError(t, err, "ResourceNotFoundException", 404, "Function not found: "+arn+":9")
	_, err = e.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("blue"), Name: aws.String("nope")})
	apiError(t, err, "ResourceNotFoundException", 404, "Alias not found: "+arn+":nope")
	if g, v := e.invokeGreeting("blue:live"); g != "one" || v != "1" {
		t.Fatalf("Invoke blue:live: %q %q", g, v)
	}
	conf, err := e.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(arn + ":live")})
	if err != nil || aws.ToString(conf.FunctionArn) != arn+":live" || aws.ToString(conf.Version) != "1" {
		t.Fatalf("GetFunctionConfiguration blue:live: %v %+v", err, conf)
	}
	if _, err := e.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("blue"), Name: aws.String("live"),
		FunctionVersion: aws.String("2"), RevisionId: al.RevisionId}); err != nil {
		t.Fatal(err)
	}
	if g, v := e.invokeGreeting("blue:live"); g != "two" || v != "2" {
		t.Fatalf("Invoke blue:live after UpdateAlias: %q %q, want two 2", g, v)
	}
	_, err = e.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("blue"), Name: aws.String("live"), RevisionId: al.RevisionId})
	apiError(t, err, "PreconditionFailedException", 412, "Revision Id provided does not match")
	_, err = e.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("blue"), Qualifier: aws.String("2")})
	apiError(t, err, "ResourceConflictException", 409, "aliases reference it: [live]")
	if _, err := e.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("blue"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("blue:1")})
	apiError(t, err, "ResourceNotFoundException", 404, "Function not found: "+arn+":1")

	// A mapping on the alias shows the alias.
	m, err := e.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(e.brokerArn), FunctionName: aws.String("blue:live"), Queues: []string{"orders"},
		SourceAccessConfigurations: []types.SourceAccessConfiguration{{Type: types.SourceAccessTypeBasicAuth, URI: aws.String(e.secret("blue-mq"))}},
	})
	if err != nil || aws.ToString(m.FunctionArn) != arn+":live" {
		t.Fatalf("CreateEventSourceMapping on an alias: %v %+v", err, m)
	}

	// Deleting the function takes its versions and aliases.
	if _, err := e.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("blue")}); err != nil {
		t.Fatal(err)
	}
	e.createHandler("blue", "again", nil)
	list, err = e.lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("blue")})
	if err != nil || len(list.Versions) != 1 {
		t.Fatalf("versions of a new function of the same name: %v %d", err, len(list.Versions))
	}
	aliases, err := e.lambda.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("blue")})
	if err != nil || len(aliases.Aliases) != 0 {
		t.Fatalf("aliases of a new function of the same name: %v %+v", err, aliases)
	}
}

// TestReservedConcurrency: the reserve caps invocations in flight; 0 throttles.
func TestReservedConcurrency(t *testing.T) {
	e := newFunctionsEnv(t)
	ctx := context.Background()
	e.createHandler("capped", "x", nil)
	put := func(n int32) {
		t.Helper()
		out, err := e.lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("capped"), ReservedConcurrentExecutions: aws.Int32(n)})
		if err != nil || aws.ToInt32(out.ReservedConcurrentExecutions) != n {
			t.Fatalf("PutFunctionConcurrency %d: %v", n, err)
		}
	}
	put(0)
	_, err := e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("capped")})
	apiError(t, err, "TooManyRequestsException", 429, "Rate Exceeded.")
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) || tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Fatalf("throttle: %v", err)
	}
	got, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("capped")})
	if err != nil || got.Concurrency == nil || aws.ToInt32(got.Concurrency.ReservedConcurrentExecutions) != 0 {
		t.Fatalf("GetFunction Concurrency: %v %+v", err, got.Concurrency)
	}

	// With 1 reserved, two at once: one runs, one is throttled.
	put(1)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("capped"), Payload: testhandler.MQEvent(t, "wait:500")})
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two invocations with 1 reserved: %v, %v; want one throttled", errs[0], errs[1])
	}

	if _, err := e.lambda.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("capped")}); err != nil {
		t.Fatal(err)
	}
	gc, err := e.lambda.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("capped")})
	if err != nil || gc.ReservedConcurrentExecutions != nil {
		t.Fatalf("GetFunctionConcurrency after delete: %v %+v", err, gc)
	}
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("capped"), Payload: testhandler.MQEvent(t, "wait:200")})
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("without a reserve: %v, %v", errs[0], errs[1])
	}
}

// TestPermissions: the resource policy is kept and returned as Lambda renders it.
func TestPermissions(t *testing.T) {
	e := newFunctionsEnv(t)
	ctx := context.Background()
	e.createHandler("guarded", "x", nil)
	_, err := e.lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("guarded")})
	apiError(t, err, "ResourceNotFoundException", 404, "The resource you requested does not exist.")
	add := &lambda.AddPermissionInput{FunctionName: aws.String("guarded"), StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("s3.amazonaws.com"), SourceArn: aws.String("arn:aws:s3:::bucket"), SourceAccount: aws.String("123456789012")}
	out, err := e.lambda.AddPermission(ctx, add)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:guarded","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"},"StringEquals":{"AWS:SourceAccount":"123456789012"}}}`
	if aws.ToString(out.Statement) != want {
		t.Fatalf("Statement\n%s\nwant\n%s", aws.ToString(out.Statement), want)
	}
	_, err = e.lambda.AddPermission(ctx, add)
	apiError(t, err, "ResourceConflictException", 409, "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement.")
	if _, err := e.lambda.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("guarded"), StatementId: aws.String("acct"),
		Action: aws.String("lambda:*"), Principal: aws.String("111122223333")}); err != nil {
		t.Fatal(err)
	}
	pol, err := e.lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("guarded")})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version, Id string
		Statement   []struct {
			Sid       string
			Principal any
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil || doc.Version != "2012-10-17" || doc.Id != "default" ||
		len(doc.Statement) != 2 || doc.Statement[1].Principal.(map[string]any)["AWS"] != "arn:aws:iam::111122223333:root" || aws.ToString(pol.RevisionId) == "" {
		t.Fatalf("GetPolicy %s: %v", aws.ToString(pol.Policy), err)
	}
	_, err = e.lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("guarded"), StatementId: aws.String("nope")})
	apiError(t, err, "ResourceNotFoundException", 404, "Statement nope is not found in resource policy.")
	_, err = e.lambda.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("guarded"), StatementId: aws.String("v"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), Qualifier: aws.String("7")})
	apiError(t, err, "ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:guarded:7")
	_, err = e.lambda.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("guarded"), StatementId: aws.String("bad id!"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")})
	apiError(t, err, "ValidationException", 400, "at 'statementId'")
	for _, sid := range []string{"s3", "acct"} {
		if _, err := e.lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("guarded"), StatementId: aws.String(sid)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("guarded")})
	apiError(t, err, "ResourceNotFoundException", 404, "The resource you requested does not exist.")
}

// TestFunctionSettings: each setting takes effect, is returned as given, or is
// refused naming it.
func TestFunctionSettings(t *testing.T) {
	e := newFunctionsEnv(t)
	ctx := context.Background()
	zip := testhandler.Zip(t)
	create := func(name string, mod func(*lambda.CreateFunctionInput)) (*lambda.CreateFunctionOutput, error) {
		in := &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Role: aws.String(testRole),
			Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip}}
		mod(in)
		return e.lambda.CreateFunction(ctx, in)
	}
	for _, tt := range []struct {
		member string
		mod    func(*lambda.CreateFunctionInput)
	}{
		{"Layers", func(in *lambda.CreateFunctionInput) {
			in.Layers = []string{"arn:aws:lambda:us-east-1:123456789012:layer:l:1"}
		}},
		{"DeadLetterConfig", func(in *lambda.CreateFunctionInput) {
			in.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:us-east-1:123456789012:dlq")}
		}},
		{"KMSKeyArn", func(in *lambda.CreateFunctionInput) {
			in.KMSKeyArn = aws.String("arn:aws:kms:us-east-1:123456789012:key/k")
		}},
		{"FileSystemConfigs", func(in *lambda.CreateFunctionInput) {
			in.FileSystemConfigs = []types.FileSystemConfig{{Arn: aws.String("arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1"), LocalMountPath: aws.String("/mnt/x")}}
		}},
		{"SnapStart", func(in *lambda.CreateFunctionInput) {
			in.SnapStart = &types.SnapStart{ApplyOn: types.SnapStartApplyOnPublishedVersions}
		}},
		{"Architectures", func(in *lambda.CreateFunctionInput) { in.Architectures = []types.Architecture{types.ArchitectureArm64} }},
	} {
		_, err := create("refused", tt.mod)
		apiError(t, err, "InvalidParameterValueException", 400, tt.member)
	}
	_, err := create("refused", func(in *lambda.CreateFunctionInput) { in.Architectures = []types.Architecture{types.ArchitectureArm64} })
	apiError(t, err, "InvalidParameterValueException", 400, "The bootstrap in the zip is built for x86_64, but the function's architecture is arm64")

	out, err := create("kept", func(in *lambda.CreateFunctionInput) {
		in.VpcConfig = &types.VpcConfig{SubnetIds: []string{"subnet-1", "subnet-2"}, SecurityGroupIds: []string{"sg-1"}, Ipv6AllowedForDualStack: aws.Bool(true)}
		in.TracingConfig = &types.TracingConfig{Mode: types.TracingModeActive}
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(2048)}
		in.LoggingConfig = &types.LoggingConfig{LogFormat: types.LogFormatJson, ApplicationLogLevel: types.ApplicationLogLevelDebug, LogGroup: aws.String("/custom/kept")}
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := out.VpcConfig; v == nil || strings.Join(v.SubnetIds, ",") != "subnet-1,subnet-2" || strings.Join(v.SecurityGroupIds, ",") != "sg-1" || !aws.ToBool(v.Ipv6AllowedForDualStack) ||
		out.TracingConfig.Mode != types.TracingModeActive || aws.ToInt32(out.EphemeralStorage.Size) != 2048 ||
		out.LoggingConfig.LogFormat != types.LogFormatJson || out.LoggingConfig.ApplicationLogLevel != types.ApplicationLogLevelDebug ||
		out.LoggingConfig.SystemLogLevel != types.SystemLogLevelInfo || aws.ToString(out.LoggingConfig.LogGroup) != "/custom/kept" {
		t.Fatalf("CreateFunction answered VpcConfig %+v, TracingConfig %+v, EphemeralStorage %+v, LoggingConfig %+v", out.VpcConfig, out.TracingConfig, out.EphemeralStorage, out.LoggingConfig)
	}

	// JSON log lines, and the end of the log with LogType Tail.
	inv, err := e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("kept"), LogType: types.LogTypeTail, Payload: testhandler.MQEvent(t, "log")})
	if err != nil {
		t.Fatal(err)
	}
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(inv.LogResult))
	if err != nil {
		t.Fatal(err)
	}
	var sawMessage, sawStart, sawReport bool
	for _, line := range strings.Split(strings.TrimSpace(string(tail)), "\n") {
		var l struct {
			Level, Message, RequestID, Type string
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		sawMessage = sawMessage || (l.Message == "hello from the handler" && l.Level == "INFO" && len(l.RequestID) == 36)
		sawStart = sawStart || l.Type == "platform.start"
		sawReport = sawReport || l.Type == "platform.report"
	}
	if !sawStart || !sawReport || !sawMessage {
		t.Fatalf("tail log:\n%s", tail)
	}

	// Text: Lambda's START/END/REPORT lines around the function's own.
	if _, err := e.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("kept"),
		LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatText}, VpcConfig: &types.VpcConfig{SubnetIds: []string{}, SecurityGroupIds: []string{}}}); err != nil {
		t.Fatal(err)
	}
	inv, err = e.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("kept"), LogType: types.LogTypeTail, Payload: testhandler.MQEvent(t, "log")})
	if err != nil {
		t.Fatal(err)
	}
	tail, _ = base64.StdEncoding.DecodeString(aws.ToString(inv.LogResult))
	lines := strings.Split(strings.TrimSpace(string(tail)), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "START RequestId: ") || lines[1] != "hello from the handler" ||
		!strings.HasPrefix(lines[2], "END RequestId: ") || !strings.HasPrefix(lines[3], "REPORT RequestId: ") {
		t.Fatalf("text tail log:\n%s", tail)
	}
	got, err := e.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("kept")})
	if err != nil || got.VpcConfig != nil || got.LoggingConfig.ApplicationLogLevel != "" || got.TracingConfig.Mode != types.TracingModeActive {
		t.Fatalf("after removing the VPC config and going back to Text: %v %+v %+v", err, got.VpcConfig, got.LoggingConfig)
	}
	csc, err := e.lambda.GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String("kept")})
	if err != nil || aws.ToString(csc.CodeSigningConfigArn) != "" || aws.ToString(csc.FunctionName) != "kept" {
		t.Fatalf("GetFunctionCodeSigningConfig: %v %+v", err, csc)
	}
}

// TestListFunctionsAllVersions: FunctionVersion=ALL lists every version with its
// qualified ARN.
func TestListFunctionsAllVersions(t *testing.T) {
	e := newFunctionsEnv(t)
	ctx := context.Background()
	e.createHandler("multi", "one", func(in *lambda.CreateFunctionInput) { in.Publish = true })
	out, err := e.lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, f := range out.Functions {
		arns = append(arns, aws.ToString(f.FunctionArn))
	}
	want := "arn:aws:lambda:us-east-1:123456789012:function:configured:$LATEST arn:aws:lambda:us-east-1:123456789012:function:multi:$LATEST arn:aws:lambda:us-east-1:123456789012:function:multi:1"
	if strings.Join(arns, " ") != want {
		t.Fatalf("ListFunctions ALL: %v", arns)
	}
	_, err = e.lambda.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("absent"), Name: aws.String("live")})
	apiError(t, err, "ResourceNotFoundException", 404, "Function not found")
}
