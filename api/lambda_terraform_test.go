package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
	"github.com/mqtrigger/mqtrigger/internal/testhandler"
)

// These tests replay what terraform-provider-aws sends for aws_lambda_function,
// aws_lambda_alias, aws_lambda_permission and aws_lambda_event_source_mapping
// (internal/service/lambda/function.go, alias.go, permission.go,
// event_source_mapping.go): create, read, update, read, delete, with the provider's
// inputs and its waiters, and check that every attribute read back equals the
// declaration and that destroy leaves nothing.

// tfFunction is the declaration of an aws_lambda_function (the attributes that
// reach the API).
type tfFunction struct {
	name, description, role, handler, runtime string
	zip                                       []byte
	memory, timeout                           int32
	env                                       map[string]string
	publish                                   bool
	reserved                                  int32 // -1: none
	logFormat, logGroup, appLevel, sysLevel   string
	tracing                                   string
	subnets, securityGroups                   []string
	ephemeral                                 int32
}

// tfFunctionState is what resourceFunctionRead sets.
type tfFunctionState struct {
	arn, description, role, handler, runtime, codeSHA256, version, qualifiedARN, codeSigning string
	architectures, layers, subnets, securityGroups                                           []string
	memory, timeout, reserved, ephemeral                                                     int32
	codeSize                                                                                 int64
	env                                                                                      map[string]string
	logFormat, logGroup, appLevel, sysLevel, tracing                                         string
	deadLetter                                                                               bool
	tags                                                                                     map[string]string
}

// tfReadFunction is resourceFunctionRead: GetFunction, ListVersionsByFunction (the
// last version of the last page), GetFunctionCodeSigningConfig.
func tfReadFunction(t *testing.T, c *lambda.Client, id string) (st tfFunctionState, gone bool) {
	t.Helper()
	ctx := context.Background()
	out, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(id)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return st, true
	}
	if err != nil || out.Code == nil || out.Configuration == nil {
		t.Fatalf("GetFunction: %v", err)
	}
	f := out.Configuration
	st = tfFunctionState{arn: aws.ToString(f.FunctionArn), description: aws.ToString(f.Description), role: aws.ToString(f.Role),
		handler: aws.ToString(f.Handler), runtime: string(f.Runtime), codeSHA256: aws.ToString(f.CodeSha256), codeSize: f.CodeSize,
		memory: aws.ToInt32(f.MemorySize), timeout: aws.ToInt32(f.Timeout), reserved: -1, layers: []string{}, tags: out.Tags,
		tracing: string(types.TracingModePassThrough)}
	for _, a := range f.Architectures {
		st.architectures = append(st.architectures, string(a))
	}
	for _, l := range f.Layers {
		st.layers = append(st.layers, aws.ToString(l.Arn))
	}
	if f.Environment != nil {
		st.env = f.Environment.Variables
	}
	if f.EphemeralStorage != nil {
		st.ephemeral = aws.ToInt32(f.EphemeralStorage.Size)
	}
	if l := f.LoggingConfig; l != nil {
		st.logFormat, st.logGroup, st.appLevel, st.sysLevel = string(l.LogFormat), aws.ToString(l.LogGroup), string(l.ApplicationLogLevel), string(l.SystemLogLevel)
	}
	if f.TracingConfig != nil {
		st.tracing = string(f.TracingConfig.Mode)
	}
	// flattenVPCConfigResponse: nothing unless there are subnets and security groups.
	if v := f.VpcConfig; v != nil && len(v.SubnetIds) > 0 && len(v.SecurityGroupIds) > 0 {
		st.subnets, st.securityGroups = slices.Sorted(slices.Values(v.SubnetIds)), slices.Sorted(slices.Values(v.SecurityGroupIds))
	}
	st.deadLetter = f.DeadLetterConfig != nil && f.DeadLetterConfig.TargetArn != nil
	if out.Concurrency != nil {
		st.reserved = aws.ToInt32(out.Concurrency.ReservedConcurrentExecutions)
	}
	pages := lambda.NewListVersionsByFunctionPaginator(c, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(id), MaxItems: aws.Int32(10000)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListVersionsByFunction: %v", err)
		}
		if len(page.Versions) > 0 && page.NextMarker == nil {
			last := page.Versions[len(page.Versions)-1]
			st.version, st.qualifiedARN = aws.ToString(last.Version), aws.ToString(last.FunctionArn)
		}
	}
	csc, err := c.GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String(id)})
	if err != nil {
		t.Fatalf("GetFunctionCodeSigningConfig: %v", err)
	}
	st.codeSigning = aws.ToString(csc.CodeSigningConfigArn)
	return st, false
}

// noFunctionDiff fails unless the read state equals the declaration; version is the
// version the provider expects (the newest published, or $LATEST).
func noFunctionDiff(t *testing.T, d tfFunction, st tfFunctionState, version string) {
	t.Helper()
	arn := "arn:aws:lambda:us-east-1:123456789012:function:" + d.name
	sum := sha256.Sum256(d.zip)
	logGroup := d.logGroup
	if logGroup == "" {
		logGroup = "/aws/lambda/" + d.name // computed
	}
	want := tfFunctionState{arn: arn, description: d.description, role: d.role, handler: d.handler, runtime: d.runtime,
		codeSHA256: base64.StdEncoding.EncodeToString(sum[:]), codeSize: int64(len(d.zip)), version: version,
		qualifiedARN: arn + ":" + version, codeSigning: "", architectures: []string{"x86_64"}, layers: []string{},
		subnets: d.subnets, securityGroups: d.securityGroups, memory: d.memory, timeout: d.timeout, reserved: d.reserved,
		ephemeral: d.ephemeral, env: d.env, logFormat: d.logFormat, logGroup: logGroup, tracing: d.tracing, tags: st.tags}
	if want.ephemeral == 0 {
		want.ephemeral = 512 // computed
	}
	// suppressLoggingConfigUnspecifiedLogLevels: levels Lambda filled in are no diff.
	want.appLevel, want.sysLevel = st.appLevel, st.sysLevel
	if d.appLevel != "" {
		want.appLevel = d.appLevel
	}
	if d.sysLevel != "" {
		want.sysLevel = d.sysLevel
	}
	if !reflect.DeepEqual(want, st) {
		t.Fatalf("diff:\ndeclared %+v\nread     %+v", want, st)
	}
}

// tfCreateFunction is resourceFunctionCreate: CreateFunction, the waiter, then
// PutFunctionConcurrency when reserved_concurrent_executions >= 0.
func tfCreateFunction(t *testing.T, c *lambda.Client, d tfFunction) {
	t.Helper()
	ctx := context.Background()
	in := &lambda.CreateFunctionInput{Code: &types.FunctionCode{ZipFile: d.zip}, Description: aws.String(d.description),
		FunctionName: aws.String(d.name), MemorySize: aws.Int32(d.memory), PackageType: types.PackageTypeZip, Publish: d.publish,
		Role: aws.String(d.role), Timeout: aws.Int32(d.timeout), Handler: aws.String(d.handler), Runtime: types.Runtime(d.runtime)}
	if len(d.env) > 0 {
		in.Environment = &types.Environment{Variables: d.env}
	}
	if d.ephemeral > 0 {
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(d.ephemeral)}
	}
	if d.logFormat != "" {
		in.LoggingConfig = tfLogging(d)
	}
	if d.tracing != "" {
		in.TracingConfig = &types.TracingConfig{Mode: types.TracingMode(d.tracing)}
	}
	if len(d.subnets) > 0 {
		in.VpcConfig = &types.VpcConfig{Ipv6AllowedForDualStack: aws.Bool(false), SecurityGroupIds: d.securityGroups, SubnetIds: d.subnets}
	}
	if _, err := c.CreateFunction(ctx, in); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	tfWaitFunction(t, c, d.name, func(f *types.FunctionConfiguration) bool { return f.State == types.StateActive })
	if d.reserved >= 0 {
		if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(d.name),
			ReservedConcurrentExecutions: aws.Int32(d.reserved)}); err != nil {
			t.Fatalf("PutFunctionConcurrency: %v", err)
		}
	}
}

// expandLoggingConfig.
func tfLogging(d tfFunction) *types.LoggingConfig {
	l := &types.LoggingConfig{LogFormat: types.LogFormat(d.logFormat), ApplicationLogLevel: types.ApplicationLogLevel(d.appLevel),
		SystemLogLevel: types.SystemLogLevel(d.sysLevel)}
	if d.logGroup != "" {
		l.LogGroup = aws.String(d.logGroup)
	}
	return l
}

// tfWaitFunction is the provider's waiters on GetFunction: ready must hold at once
// (a node applies changes before it answers).
func tfWaitFunction(t *testing.T, c *lambda.Client, id string, ready func(*types.FunctionConfiguration) bool) {
	t.Helper()
	out, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(id)})
	if err != nil || !ready(out.Configuration) {
		t.Fatalf("waiting for %s: %v %+v", id, err, out)
	}
}

// tfUpdateFunction is resourceFunctionUpdate for the changes between old and d.
func tfUpdateFunction(t *testing.T, c *lambda.Client, old, d tfFunction) {
	t.Helper()
	ctx := context.Background()
	in := &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(d.name)}
	if d.description != old.description {
		in.Description = aws.String(d.description)
	}
	if !reflect.DeepEqual(d.env, old.env) {
		in.Environment = &types.Environment{Variables: map[string]string{}}
		if len(d.env) > 0 {
			in.Environment.Variables = d.env
		}
	}
	if d.logFormat != old.logFormat || d.logGroup != old.logGroup {
		in.LoggingConfig = tfLogging(d)
	}
	if d.memory != old.memory {
		in.MemorySize = aws.Int32(d.memory)
	}
	if d.timeout != old.timeout {
		in.Timeout = aws.Int32(d.timeout)
	}
	if d.tracing != old.tracing {
		in.TracingConfig = &types.TracingConfig{Mode: types.TracingMode(d.tracing)}
	}
	if !reflect.DeepEqual(d.subnets, old.subnets) || !reflect.DeepEqual(d.securityGroups, old.securityGroups) {
		in.VpcConfig = &types.VpcConfig{Ipv6AllowedForDualStack: aws.Bool(false), SecurityGroupIds: []string{}, SubnetIds: []string{}}
		if len(d.subnets) > 0 {
			in.VpcConfig.SecurityGroupIds, in.VpcConfig.SubnetIds = d.securityGroups, d.subnets
		}
	}
	if _, err := c.UpdateFunctionConfiguration(ctx, in); err != nil {
		t.Fatalf("UpdateFunctionConfiguration: %v", err)
	}
	tfWaitFunction(t, c, d.name, func(f *types.FunctionConfiguration) bool {
		return f.LastUpdateStatus == types.LastUpdateStatusSuccessful
	})
	codeUpdate := !slices.Equal(d.zip, old.zip)
	if codeUpdate {
		if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(d.name), ZipFile: d.zip}); err != nil {
			t.Fatalf("UpdateFunctionCode: %v", err)
		}
		tfWaitFunction(t, c, d.name, func(f *types.FunctionConfiguration) bool {
			return f.LastUpdateStatus == types.LastUpdateStatusSuccessful
		})
	}
	if d.reserved != old.reserved {
		var err error
		if d.reserved >= 0 {
			_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(d.name), ReservedConcurrentExecutions: aws.Int32(d.reserved)})
		} else {
			_, err = c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(d.name)})
		}
		if err != nil {
			t.Fatalf("concurrency: %v", err)
		}
	}
	if d.publish {
		out, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(d.name)})
		if err != nil {
			t.Fatalf("PublishVersion: %v", err)
		}
		// waitFunctionConfigurationUpdated, with the version's ARN and number.
		conf, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: out.FunctionArn, Qualifier: out.Version})
		if err != nil || conf.LastUpdateStatus != types.LastUpdateStatusSuccessful {
			t.Fatalf("waiting for version %s: %v %+v", aws.ToString(out.Version), err, conf)
		}
	}
}

// tfDeleteFunction is resourceFunctionDelete: DeleteFunction, then waitFunctionDeleted.
func tfDeleteFunction(t *testing.T, c *lambda.Client, id string) {
	t.Helper()
	if _, err := c.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String(id)}); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	if _, gone := tfReadFunction(t, c, id); !gone {
		t.Fatalf("%s still there after DeleteFunction", id)
	}
}

// nothingLeft checks that destroy left no row of the function in the store.
func (e *env) nothingLeft(name string, aliases ...string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.store.GetFunction(ctx, name); !errors.Is(err, function.ErrNotStored) {
		e.t.Fatalf("function %s still stored: %v", name, err)
	}
	if vs, err := e.store.ListVersions(ctx, name); err != nil || len(vs) != 0 {
		e.t.Fatalf("versions of %s left: %v %d", name, err, len(vs))
	}
	if as, err := e.store.ListAliases(ctx, name); err != nil || len(as) != 0 {
		e.t.Fatalf("aliases of %s left: %v %d", name, err, len(as))
	}
	for _, q := range append([]string{""}, aliases...) {
		if _, err := e.store.GetPolicy(ctx, name, q); !errors.Is(err, function.ErrNotStored) {
			e.t.Fatalf("policy of %s:%s left: %v", name, q, err)
		}
	}
}

// secondZip is the test handler with one more file: other code, same behaviour.
func secondZip(t *testing.T) []byte {
	t.Helper()
	exe, err := os.ReadFile(testhandler.Binary(t))
	if err != nil {
		t.Fatal(err)
	}
	z, err := lambdazip.Build(lambdazip.Entry{Name: "bootstrap", Mode: 0o755, Body: exe}, lambdazip.Entry{Name: "VERSION", Mode: 0o644, Body: []byte("2\n")})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestTerraformFunctionLifecycle(t *testing.T) {
	e := newFunctionsEnv(t)
	c := e.lambda
	decl := tfFunction{name: "tf-fn", description: "orders", role: testRole, handler: "bootstrap", runtime: "provided.al2023",
		zip: testhandler.Zip(t), memory: 256, timeout: 10, env: map[string]string{"GREETING": "one"}, publish: true, reserved: 5,
		logFormat: "JSON", appLevel: "WARN", tracing: "Active", subnets: []string{"subnet-a", "subnet-b"}, securityGroups: []string{"sg-1"},
		ephemeral: 1024}
	tfCreateFunction(t, c, decl)
	st, gone := tfReadFunction(t, c, decl.name)
	if gone {
		t.Fatal("gone after create")
	}
	noFunctionDiff(t, decl, st, "1")

	// Change the code, settings and reserve; the provider then publishes version 2.
	next := decl
	next.description, next.memory, next.env, next.zip, next.reserved = "orders v2", 512, map[string]string{"GREETING": "two"}, secondZip(t), 2
	next.logFormat, next.appLevel, next.logGroup, next.tracing, next.subnets, next.securityGroups = "Text", "", "/custom/orders", "PassThrough", nil, nil
	tfUpdateFunction(t, c, decl, next)
	st, _ = tfReadFunction(t, c, next.name)
	noFunctionDiff(t, next, st, "2")
	if g, v := e.invokeGreeting("tf-fn:1"); g != "one" || v != "1" {
		t.Fatalf("version 1 answers %q from %q", g, v)
	}
	if g, v := e.invokeGreeting("tf-fn"); g != "two" || v != "$LATEST" {
		t.Fatalf("$LATEST answers %q from %q", g, v)
	}

	// Without publish and with no reserve: the next read keeps version 2 as the newest.
	last := next
	last.publish, last.reserved, last.timeout = false, -1, 30
	tfUpdateFunction(t, c, next, last)
	st, _ = tfReadFunction(t, c, last.name)
	noFunctionDiff(t, last, st, "2")

	tfDeleteFunction(t, c, last.name)
	e.nothingLeft(last.name)
}

// tfAlias is the declaration of an aws_lambda_alias.
type tfAlias struct{ name, function, version, description string }

// tfReadAlias is resourceAliasRead: GetAlias.
func tfReadAlias(t *testing.T, c *lambda.Client, d tfAlias) (st tfAlias, arn string, weights int, gone bool) {
	t.Helper()
	out, err := c.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(d.function), Name: aws.String(d.name)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return st, "", 0, true
	}
	if err != nil {
		t.Fatalf("GetAlias: %v", err)
	}
	if out.RoutingConfig != nil {
		weights = len(out.RoutingConfig.AdditionalVersionWeights)
	}
	return tfAlias{name: aws.ToString(out.Name), function: d.function, version: aws.ToString(out.FunctionVersion),
		description: aws.ToString(out.Description)}, aws.ToString(out.AliasArn), weights, false
}

func TestTerraformAliasPermissionMappingLifecycle(t *testing.T) {
	e := newFunctionsEnv(t)
	c := e.lambda
	ctx := context.Background()
	fn := tfFunction{name: "tf-live", description: "", role: testRole, handler: "bootstrap", runtime: "provided.al2023",
		zip: testhandler.Zip(t), memory: 128, timeout: 3, env: map[string]string{"GREETING": "blue"}, publish: true, reserved: -1}
	tfCreateFunction(t, c, fn)
	green := fn
	green.env = map[string]string{"GREETING": "green"}
	tfUpdateFunction(t, c, fn, green)
	const fnARN = "arn:aws:lambda:us-east-1:123456789012:function:tf-live"

	// aws_lambda_alias "live": create on version 1, read, move to 2, read.
	alias := tfAlias{name: "live", function: "tf-live", version: "1", description: "blue"}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{Description: aws.String(alias.description), FunctionName: aws.String(alias.function),
		FunctionVersion: aws.String(alias.version), Name: aws.String(alias.name), RoutingConfig: &types.AliasRoutingConfiguration{}}); err != nil {
		t.Fatal(err)
	}
	st, aliasARN, weights, gone := tfReadAlias(t, c, alias)
	if gone || st != alias || aliasARN != fnARN+":live" || weights != 0 {
		t.Fatalf("alias diff: declared %+v, read %+v %s %d", alias, st, aliasARN, weights)
	}

	// aws_lambda_permission on the alias (function_name = the alias's function, qualifier = live).
	perm := &lambda.AddPermissionInput{Action: aws.String("lambda:InvokeFunction"), FunctionName: aws.String("tf-live"),
		Principal: aws.String("events.amazonaws.com"), StatementId: aws.String("AllowEvents"), Qualifier: aws.String("live"),
		SourceArn: aws.String("arn:aws:events:us-east-1:123456789012:rule/tick")}
	if _, err := c.AddPermission(ctx, perm); err != nil {
		t.Fatal(err)
	}
	tfReadPermission(t, c, perm)

	// aws_lambda_event_source_mapping on the alias (function_name = aws_lambda_alias.live.arn).
	m, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(e.brokerArn),
		FunctionName: aws.String(aliasARN), Queues: []string{"orders"}, BatchSize: aws.Int32(10), Enabled: aws.Bool(true),
		SourceAccessConfigurations: []types.SourceAccessConfiguration{{Type: types.SourceAccessTypeBasicAuth, URI: aws.String(e.secret("tf-live-mq"))}}})
	if err != nil {
		t.Fatal(err)
	}
	// The provider waits for Creating to end; the supervisor (absent here) would end it.
	e.settle(aws.ToString(m.UUID), "Enabled")
	tfReadMapping := func(batch int32) {
		t.Helper()
		got, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: m.UUID})
		if err != nil || aws.ToString(got.FunctionArn) != aliasARN || aws.ToInt32(got.BatchSize) != batch ||
			aws.ToString(got.EventSourceArn) != e.brokerArn || !slices.Equal(got.Queues, []string{"orders"}) {
			t.Fatalf("mapping diff: %v %+v", err, got)
		}
		tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: got.EventSourceMappingArn})
		if err != nil || len(tags.Tags) != 0 {
			t.Fatalf("ListTags of the mapping: %v %+v", err, tags)
		}
	}
	tfReadMapping(10)
	if g, _ := e.invokeGreeting(aliasARN); g != "blue" {
		t.Fatalf("the alias answers %q before it moves", g)
	}

	// Blue/green: the alias moves to version 2; what invokes it follows.
	alias.version, alias.description = "2", "green"
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{Description: aws.String(alias.description), FunctionName: aws.String(alias.function),
		FunctionVersion: aws.String(alias.version), Name: aws.String(alias.name), RoutingConfig: &types.AliasRoutingConfiguration{}}); err != nil {
		t.Fatal(err)
	}
	if st, _, _, _ := tfReadAlias(t, c, alias); st != alias {
		t.Fatalf("alias diff after update: declared %+v, read %+v", alias, st)
	}
	if g, v := e.invokeGreeting(aliasARN); g != "green" || v != "2" {
		t.Fatalf("the alias answers %q from %q after it moved", g, v)
	}
	// A canary: routing_config sends a quarter of the invocations back to version 1.
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{Description: aws.String(alias.description), FunctionName: aws.String(alias.function),
		FunctionVersion: aws.String(alias.version), Name: aws.String(alias.name),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.25}}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(alias.function), Name: aws.String(alias.name)})
	if err != nil || got.RoutingConfig == nil || !reflect.DeepEqual(got.RoutingConfig.AdditionalVersionWeights, map[string]float64{"1": 0.25}) {
		t.Fatalf("routing_config diff: %v %+v", err, got)
	}
	seen := map[string]int{}
	for range 40 {
		g, _ := e.invokeGreeting(aliasARN)
		seen[g]++
	}
	if seen["blue"] == 0 || seen["green"] == 0 || seen["blue"] > seen["green"] {
		t.Fatalf("a 25%% canary answered %v", seen)
	}
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{Description: aws.String(alias.description), FunctionName: aws.String(alias.function),
		FunctionVersion: aws.String(alias.version), Name: aws.String(alias.name), RoutingConfig: &types.AliasRoutingConfiguration{}}); err != nil {
		t.Fatal(err)
	}
	if _, _, weights, _ := tfReadAlias(t, c, alias); weights != 0 {
		t.Fatalf("routing_config left after it was removed: %d weights", weights)
	}
	if _, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: m.UUID, BatchSize: aws.Int32(20)}); err != nil {
		t.Fatal(err)
	}
	e.settle(aws.ToString(m.UUID), "Enabled")
	tfReadMapping(20)

	// A permission change is a replacement: remove, add, read.
	if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("tf-live"), StatementId: perm.StatementId, Qualifier: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	perm.SourceArn = aws.String("arn:aws:events:us-east-1:123456789012:rule/tock")
	if _, err := c.AddPermission(ctx, perm); err != nil {
		t.Fatal(err)
	}
	tfReadPermission(t, c, perm)

	// Destroy, in dependency order.
	if _, err := c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: m.UUID}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteMapping(ctx, aws.ToString(m.UUID)); err != nil { // the supervisor's part of a delete
		t.Fatal(err)
	}
	if _, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: m.UUID}); err == nil {
		t.Fatal("mapping still there after delete")
	}
	if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("tf-live"), StatementId: perm.StatementId, Qualifier: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("tf-live"), Qualifier: aws.String("live")}); err == nil {
		t.Fatal("policy still there after RemovePermission")
	}
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("tf-live"), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, gone := tfReadAlias(t, c, alias); !gone {
		t.Fatal("alias still there after DeleteAlias")
	}
	tfDeleteFunction(t, c, "tf-live")
	e.nothingLeft("tf-live", "live")
}

// tfReadPermission is resourcePermissionRead: GetPolicy, the statement by Sid, and
// each attribute parsed back as the provider does.
func tfReadPermission(t *testing.T, c *lambda.Client, decl *lambda.AddPermissionInput) {
	t.Helper()
	out, err := c.GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: decl.FunctionName, Qualifier: decl.Qualifier})
	if err != nil {
		t.Fatalf("GetPolicy: %v", err)
	}
	var pol struct {
		Statement []struct {
			Condition map[string]map[string]string
			Action    string
			Resource  string
			Effect    string
			Principal any
			Sid       string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &pol); err != nil {
		t.Fatalf("policy %s: %v", aws.ToString(out.Policy), err)
	}
	for _, s := range pol.Statement {
		if s.Sid != aws.ToString(decl.StatementId) {
			continue
		}
		principal := ""
		if m, ok := s.Principal.(map[string]any); ok {
			if v, ok := m["AWS"]; ok {
				principal, _ = v.(string)
			} else {
				principal, _ = m["Service"].(string)
			}
		}
		resource := "arn:aws:lambda:us-east-1:123456789012:function:" + aws.ToString(decl.FunctionName)
		if q := aws.ToString(decl.Qualifier); q != "" {
			resource += ":" + q
		}
		if s.Action != aws.ToString(decl.Action) || principal != aws.ToString(decl.Principal) || s.Resource != resource ||
			s.Condition["ArnLike"]["AWS:SourceArn"] != aws.ToString(decl.SourceArn) || s.Condition["StringEquals"]["AWS:SourceAccount"] != aws.ToString(decl.SourceAccount) {
			t.Fatalf("permission diff: declared %+v, read %+v", decl, s)
		}
		return
	}
	t.Fatalf("statement %s not in %s", aws.ToString(decl.StatementId), aws.ToString(out.Policy))
}

// TestLambdaAWSCLI: the new operations as the AWS CLI (botocore) sends them.
func TestLambdaAWSCLI(t *testing.T) {
	e := newFunctionsEnv(t)
	zipPath := t.TempDir() + "/function.zip"
	if err := os.WriteFile(zipPath, testhandler.Zip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) map[string]any { t.Helper(); return e.cli("lambda", args...) }
	cli("create-function", "--function-name", "cli-fn", "--runtime", "provided.al2023", "--role", testRole, "--handler", "bootstrap",
		"--zip-file", "fileb://"+zipPath, "--environment", "Variables={GREETING=cli}", "--logging-config", "LogFormat=JSON")
	if o := cli("publish-version", "--function-name", "cli-fn", "--description", "first"); o["Version"] != "1" || o["Description"] != "first" {
		t.Fatalf("publish-version: %v", o)
	}
	if o := cli("create-alias", "--function-name", "cli-fn", "--name", "live", "--function-version", "1"); o["AliasArn"] != "arn:aws:lambda:us-east-1:123456789012:function:cli-fn:live" {
		t.Fatalf("create-alias: %v", o)
	}
	if o := cli("list-aliases", "--function-name", "cli-fn"); len(o["Aliases"].([]any)) != 1 {
		t.Fatalf("list-aliases: %v", o)
	}
	if o := cli("list-versions-by-function", "--function-name", "cli-fn"); len(o["Versions"].([]any)) != 2 {
		t.Fatalf("list-versions-by-function: %v", o)
	}
	if o := cli("put-function-concurrency", "--function-name", "cli-fn", "--reserved-concurrent-executions", "3"); o["ReservedConcurrentExecutions"] != 3.0 {
		t.Fatalf("put-function-concurrency: %v", o)
	}
	if o := cli("get-function-concurrency", "--function-name", "cli-fn"); o["ReservedConcurrentExecutions"] != 3.0 {
		t.Fatalf("get-function-concurrency: %v", o)
	}
	cli("add-permission", "--function-name", "cli-fn", "--qualifier", "live", "--statement-id", "sns", "--action", "lambda:InvokeFunction",
		"--principal", "sns.amazonaws.com")
	if o := cli("get-policy", "--function-name", "cli-fn:live"); !strings.Contains(o["Policy"].(string), `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:cli-fn:live"`) {
		t.Fatalf("get-policy: %v", o)
	}
	o := cli("invoke", "--function-name", "cli-fn", "--qualifier", "live", "--log-type", "Tail", "--payload", string(testhandler.MQEvent(t, "log")), t.TempDir()+"/out.json")
	tail, err := base64.StdEncoding.DecodeString(o["LogResult"].(string))
	if err != nil || o["ExecutedVersion"] != "1" || !strings.Contains(string(tail), `"message":"hello from the handler"`) {
		t.Fatalf("invoke --log-type Tail: %v\n%s", o, tail)
	}
	if o := cli("get-function-code-signing-config", "--function-name", "cli-fn"); o["FunctionName"] != "cli-fn" {
		t.Fatalf("get-function-code-signing-config: %v", o)
	}
	cli("delete-function", "--function-name", "cli-fn")
	e.nothingLeft("cli-fn", "live")
}
