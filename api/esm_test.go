package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/esm"
)

func (e *env) createInput(queue, secretArn string) *lambda.CreateEventSourceMappingInput {
	return &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(e.brokerArn),
		FunctionName:   aws.String(fnName),
		Queues:         []string{queue},
		SourceAccessConfigurations: []types.SourceAccessConfiguration{
			{Type: types.SourceAccessTypeBasicAuth, URI: aws.String(secretArn)},
		},
	}
}

func TestMappingLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sec := e.secret("MQaccess")
	before := time.Now().Add(-time.Second)

	out, err := e.lambda.CreateEventSourceMapping(ctx, e.createInput("ExampleQueue", sec))
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.UUID)
	if len(id) != 36 {
		t.Fatalf("UUID %q", id)
	}
	if aws.ToString(out.State) != "Creating" || aws.ToString(out.StateTransitionReason) != "USER_INITIATED" ||
		aws.ToString(out.LastProcessingResult) != "No records processed" {
		t.Fatalf("state fields: %s %s %s", aws.ToString(out.State), aws.ToString(out.StateTransitionReason), aws.ToString(out.LastProcessingResult))
	}
	if aws.ToInt32(out.BatchSize) != 100 || aws.ToString(out.EventSourceArn) != e.brokerArn ||
		aws.ToString(out.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:"+fnName ||
		aws.ToString(out.EventSourceMappingArn) != "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:"+id {
		t.Fatalf("create output: %+v", out)
	}
	if len(out.Queues) != 1 || out.Queues[0] != "ExampleQueue" || len(out.SourceAccessConfigurations) != 1 ||
		aws.ToString(out.SourceAccessConfigurations[0].URI) != sec || out.SourceAccessConfigurations[0].Type != types.SourceAccessTypeBasicAuth {
		t.Fatalf("queues/access: %+v %+v", out.Queues, out.SourceAccessConfigurations)
	}
	if aws.ToInt32(out.MaximumRetryAttempts) != 6 || out.MaximumBatchingWindowInSeconds != nil || out.ScalingConfig != nil {
		t.Fatalf("defaults: retry %v window %v scaling %v", out.MaximumRetryAttempts, out.MaximumBatchingWindowInSeconds, out.ScalingConfig)
	}
	if lm := aws.ToTime(out.LastModified); lm.Before(before) || lm.After(time.Now().Add(time.Second)) {
		t.Fatalf("LastModified %v", lm)
	}
	if !e.notifiedWith(id) {
		t.Fatal("engine not notified of the create")
	}

	got, err := e.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.State) != "Creating" || aws.ToString(got.UUID) != id || aws.ToInt32(got.BatchSize) != 100 {
		t.Fatalf("get: %+v", got)
	}

	// Lambda refuses to update a mapping that is still being created.
	_, err = e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), BatchSize: aws.Int32(2)})
	apiError(t, err, "ResourceInUseException", 400, "Creating")

	e.settle(id, esm.StateEnabled)
	upd, err := e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{
		UUID: aws.String(id), BatchSize: aws.Int32(2), MaximumBatchingWindowInSeconds: aws.Int32(5),
		ScalingConfig:         &types.ScalingConfig{MaximumConcurrency: aws.Int32(1)},
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
		MaximumRetryAttempts:  aws.Int32(-1),
		FilterCriteria:        &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`{"data":{"a":[1]}}`)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.State) != "Updating" || aws.ToInt32(upd.BatchSize) != 2 || aws.ToInt32(upd.MaximumBatchingWindowInSeconds) != 5 ||
		aws.ToInt32(upd.ScalingConfig.MaximumConcurrency) != 1 || len(upd.FunctionResponseTypes) != 1 ||
		aws.ToInt32(upd.MaximumRetryAttempts) != -1 || len(upd.FilterCriteria.Filters) != 1 || len(upd.Queues) != 1 {
		t.Fatalf("update output: %+v", upd)
	}
	// Lambda refuses to delete a mapping that is being updated.
	_, err = e.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	apiError(t, err, "ResourceInUseException", 400, "Updating")

	e.settle(id, esm.StateEnabled)
	dis, err := e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(dis.State) != "Disabling" || aws.ToInt32(dis.BatchSize) != 2 {
		t.Fatalf("disable: %s", aws.ToString(dis.State))
	}
	e.settle(id, esm.StateDisabled)
	en, err := e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(true),
		FilterCriteria: &types.FilterCriteria{}, ScalingConfig: &types.ScalingConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(en.State) != "Enabling" || en.FilterCriteria != nil || en.ScalingConfig != nil {
		t.Fatalf("enable: %s %+v %+v", aws.ToString(en.State), en.FilterCriteria, en.ScalingConfig)
	}
	e.settle(id, esm.StateEnabled)

	del, err := e.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(del.State) != "Deleting" || aws.ToString(del.UUID) != id {
		t.Fatalf("delete: %+v", del)
	}
	// Delete is idempotent while the mapping goes away.
	del, err = e.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil || aws.ToString(del.State) != "Deleting" {
		t.Fatalf("second delete: %v %+v", err, del)
	}
	_, err = e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), BatchSize: aws.Int32(3)})
	apiError(t, err, "ResourceInUseException", 400, "Deleting")

	// The engine removes the row; then the mapping is gone.
	if err := e.store.DeleteMapping(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = e.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	apiError(t, err, "ResourceNotFoundException", 404, "The resource you requested does not exist.")
}

func TestCreateDisabled(t *testing.T) {
	e := newEnv(t)
	in := e.createInput("q", e.secret("s"))
	in.Enabled = aws.Bool(false)
	in.BatchSize = aws.Int32(10000)
	in.Tags = map[string]string{"team": "orders"}
	out, err := e.lambda.CreateEventSourceMapping(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	// Lambda answers Creating; the engine settles the mapping Disabled.
	if aws.ToString(out.State) != "Creating" || aws.ToInt32(out.BatchSize) != 10000 {
		t.Fatalf("%+v", out)
	}
	m, e2 := (&API{opts: Options{Store: e.store}}).load(context.Background(), aws.ToString(out.UUID))
	if e2 != nil {
		t.Fatal(e2)
	}
	if m.Enabled || m.Tags["team"] != "orders" || m.State != "Creating" {
		t.Fatalf("stored: enabled=%v tags=%v state=%s", m.Enabled, m.Tags, m.State)
	}
}

func TestFunctionNameForms(t *testing.T) {
	e := newEnv(t)
	sec := e.secret("s")
	for i, name := range []string{
		fnName,
		"arn:aws:lambda:us-east-1:123456789012:function:" + fnName,
		"123456789012:function:" + fnName,
		fnName + ":$LATEST",
	} {
		in := e.createInput(fmt.Sprintf("q%d", i), sec)
		in.FunctionName = aws.String(name)
		out, err := e.lambda.CreateEventSourceMapping(context.Background(), in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if aws.ToString(out.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:"+fnName {
			t.Fatalf("%s: FunctionArn %s", name, aws.ToString(out.FunctionArn))
		}
	}
}

func TestListPaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sec := e.secret("s")
	want := map[string]bool{}
	for i := 0; i < 7; i++ {
		in := e.createInput(fmt.Sprintf("q%d", i), sec)
		if i%2 == 1 {
			in.FunctionName = aws.String("other-fn")
		}
		if i == 6 {
			in.EventSourceArn = aws.String(e.cfg.Brokers[1].ARN)
		}
		out, err := e.lambda.CreateEventSourceMapping(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		want[aws.ToString(out.UUID)] = true
	}

	seen := map[string]bool{}
	pages := 0
	p := lambda.NewListEventSourceMappingsPaginator(e.lambda, &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.EventSourceMappings) > 3 {
			t.Fatalf("page of %d", len(page.EventSourceMappings))
		}
		for _, m := range page.EventSourceMappings {
			if seen[aws.ToString(m.UUID)] {
				t.Fatalf("%s twice", aws.ToString(m.UUID))
			}
			seen[aws.ToString(m.UUID)] = true
		}
	}
	if pages != 3 || len(seen) != 7 {
		t.Fatalf("%d pages, %d mappings", pages, len(seen))
	}
	for id := range want {
		if !seen[id] {
			t.Fatalf("%s missing", id)
		}
	}

	count := func(in *lambda.ListEventSourceMappingsInput) int {
		out, err := e.lambda.ListEventSourceMappings(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if out.NextMarker != nil {
			t.Fatalf("NextMarker %s on the only page", *out.NextMarker)
		}
		return len(out.EventSourceMappings)
	}
	if n := count(&lambda.ListEventSourceMappingsInput{FunctionName: aws.String("other-fn")}); n != 3 {
		t.Fatalf("by function: %d", n)
	}
	if n := count(&lambda.ListEventSourceMappingsInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:" + fnName)}); n != 4 {
		t.Fatalf("by function ARN: %d", n)
	}
	if n := count(&lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(e.brokerArn)}); n != 6 {
		t.Fatalf("by broker: %d", n)
	}
	if n := count(&lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(e.brokerArn), FunctionName: aws.String(fnName)}); n != 3 {
		t.Fatalf("by both: %d", n)
	}
	// Lambda does not care whether the filters name anything.
	if n := count(&lambda.ListEventSourceMappingsInput{FunctionName: aws.String("nobody")}); n != 0 {
		t.Fatalf("unknown function: %d", n)
	}
	if n := count(&lambda.ListEventSourceMappingsInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:123456789012:function:" + fnName)}); n != 0 {
		t.Fatalf("function of another region: %d", n)
	}
	_, err := e.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(0)})
	apiError(t, err, "InvalidParameterValueException", 400, "maxItems")
	_, err = e.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{Marker: aws.String("garbage")})
	apiError(t, err, "InvalidParameterValueException", 400, "Marker")
}

func TestListCapsAt100(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sec := e.secret("s")
	for i := 0; i < 101; i++ {
		if _, err := e.lambda.CreateEventSourceMapping(ctx, e.createInput(fmt.Sprintf("q%03d", i), sec)); err != nil {
			t.Fatal(err)
		}
	}
	out, err := e.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.EventSourceMappings) != 100 || out.NextMarker == nil {
		t.Fatalf("%d mappings, NextMarker %v", len(out.EventSourceMappings), out.NextMarker)
	}
	out, err = e.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{Marker: out.NextMarker})
	if err != nil || len(out.EventSourceMappings) != 1 || out.NextMarker != nil {
		t.Fatalf("second page: %v %d %v", err, len(out.EventSourceMappings), out.NextMarker)
	}
}

func TestCreateErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sec := e.secret("s")
	const ipv = "InvalidParameterValueException"
	cases := []struct {
		name   string
		mod    func(in *lambda.CreateEventSourceMappingInput)
		code   string
		status int
		msg    string
	}{
		{"batch size 0", func(in *lambda.CreateEventSourceMappingInput) { in.BatchSize = aws.Int32(0) }, ipv, 400, "at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"batch size too big", func(in *lambda.CreateEventSourceMappingInput) { in.BatchSize = aws.Int32(10001) }, ipv, 400, "Member must have value less than or equal to 10000"},
		{"window too long", func(in *lambda.CreateEventSourceMappingInput) { in.MaximumBatchingWindowInSeconds = aws.Int32(301) }, ipv, 400, "at 'maximumBatchingWindowInSeconds'"},
		{"window negative", func(in *lambda.CreateEventSourceMappingInput) { in.MaximumBatchingWindowInSeconds = aws.Int32(-1) }, ipv, 400, "greater than or equal to 0"},
		{"no queue", func(in *lambda.CreateEventSourceMappingInput) { in.Queues = nil }, ipv, 400, "Queues is required"},
		{"two queues", func(in *lambda.CreateEventSourceMappingInput) { in.Queues = []string{"a", "b"} }, ipv, 400, "at 'queues' failed to satisfy constraint: Member must have length less than or equal to 1"},
		{"no event source", func(in *lambda.CreateEventSourceMappingInput) { in.EventSourceArn = nil }, ipv, 400, "Unrecognized event source."},
		{"11-digit account", func(in *lambda.CreateEventSourceMappingInput) {
			in.EventSourceArn = aws.String("arn:aws:mq:us-east-1:12345678901:broker:ExampleMQBroker:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9")
		}, "ValidationException", 400, "at 'eventSourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*)"},
		{"11-digit account, said", func(in *lambda.CreateEventSourceMappingInput) {
			in.EventSourceArn = aws.String("arn:aws:mq:us-east-1:12345678901:broker:ExampleMQBroker:b-1")
		}, "ValidationException", 400, `(the account id must be 12 digits, not "12345678901")`},
		{"bad region", func(in *lambda.CreateEventSourceMappingInput) {
			in.EventSourceArn = aws.String("arn:aws:mq:useast1:123456789012:broker:ExampleMQBroker:b-1")
		}, "ValidationException", 400, `(the region "useast1" is not a region name such as us-east-1)`},
		{"destination options", func(in *lambda.CreateEventSourceMappingInput) { in.Queues = []string{"Q?consumer.prefetchSize=1"} }, "ValidationException", 400,
			`a queue name may not carry ActiveMQ destination options ("consumer.prefetchSize=1" after '?')`},
		{"empty composite member", func(in *lambda.CreateEventSourceMappingInput) { in.Queues = []string{"a,,b"} }, "ValidationException", 400, "each queue of a composite"},
		{"topic in a composite", func(in *lambda.CreateEventSourceMappingInput) { in.Queues = []string{"a,topic://t"} }, "ValidationException", 400, "without a queue:// or topic:// prefix"},
		{"unknown broker", func(in *lambda.CreateEventSourceMappingInput) {
			in.EventSourceArn = aws.String("arn:aws:mq:us-east-1:123456789012:broker:Nope:b-1")
		}, ipv, 400, "is not a configured broker"},
		{"no BASIC_AUTH", func(in *lambda.CreateEventSourceMappingInput) { in.SourceAccessConfigurations = nil }, ipv, 400, "No BASIC_AUTH"},
		{"VIRTUAL_HOST", func(in *lambda.CreateEventSourceMappingInput) {
			in.SourceAccessConfigurations = append(in.SourceAccessConfigurations, types.SourceAccessConfiguration{Type: types.SourceAccessTypeVirtualHost, URI: aws.String("/")})
		}, ipv, 400, "VIRTUAL_HOST"},
		{"missing secret", func(in *lambda.CreateEventSourceMappingInput) {
			in.SourceAccessConfigurations[0].URI = aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf")
		}, ipv, 400, "does not exist"},
		{"unknown function", func(in *lambda.CreateEventSourceMappingInput) { in.FunctionName = aws.String("doesnotexist") }, ipv, 400, "Function does not exist"},
		{"function in another region", func(in *lambda.CreateEventSourceMappingInput) {
			in.FunctionName = aws.String("arn:aws:lambda:eu-west-1:123456789012:function:" + fnName)
		}, ipv, 400, "Function does not exist"},
		{"function alias", func(in *lambda.CreateEventSourceMappingInput) { in.FunctionName = aws.String(fnName + ":prod") }, ipv, 400, "Function does not exist"},
		{"bad function name", func(in *lambda.CreateEventSourceMappingInput) { in.FunctionName = aws.String("a b") }, "ValidationException", 400, "functionName"},
		{"bad filter", func(in *lambda.CreateEventSourceMappingInput) {
			in.FilterCriteria = &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String("{not json")}}}
		}, ipv, 400, "Invalid filter pattern definition."},
		{"six filters", func(in *lambda.CreateEventSourceMappingInput) {
			f := types.Filter{Pattern: aws.String(`{"data":{"a":[1]}}`)}
			in.FilterCriteria = &types.FilterCriteria{Filters: []types.Filter{f, f, f, f, f, f}}
		}, ipv, 400, "at most 5 filters"},
		{"concurrency 0", func(in *lambda.CreateEventSourceMappingInput) {
			in.ScalingConfig = &types.ScalingConfig{MaximumConcurrency: aws.Int32(0)}
		}, ipv, 400, "greater than or equal to 1"},
		{"concurrency 1001", func(in *lambda.CreateEventSourceMappingInput) {
			in.ScalingConfig = &types.ScalingConfig{MaximumConcurrency: aws.Int32(1001)}
		}, ipv, 400, "less than or equal to 1000"},
		{"retries", func(in *lambda.CreateEventSourceMappingInput) { in.MaximumRetryAttempts = aws.Int32(-2) }, ipv, 400, "maximumRetryAttempts"},
		{"starting position", func(in *lambda.CreateEventSourceMappingInput) { in.StartingPosition = types.EventSourcePositionLatest }, ipv, 400,
			"Unsupported StartingPosition parameter for given event source mapping type."},
		{"destination", func(in *lambda.CreateEventSourceMappingInput) {
			in.DestinationConfig = &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:123456789012:q")}}
		}, ipv, 400, "Unsupported DestinationConfig parameter"},
		{"metrics", func(in *lambda.CreateEventSourceMappingInput) {
			in.MetricsConfig = &types.EventSourceMappingMetricsConfig{Metrics: []types.EventSourceMappingMetric{"KafkaMetrics"}}
		}, ipv, 400, "only EventCount"},
		{"tag key", func(in *lambda.CreateEventSourceMappingInput) { in.Tags = map[string]string{"": "x"} }, ipv, 400, "at 'tags'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := e.createInput("ExampleQueue", sec)
			tc.mod(in)
			_, err := e.lambda.CreateEventSourceMapping(ctx, in)
			apiError(t, err, tc.code, tc.status, tc.msg)
		})
	}
	// None of them stored anything.
	out, err := e.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil || len(out.EventSourceMappings) != 0 {
		t.Fatalf("%v, %d stored", err, len(out.EventSourceMappings))
	}
}

func TestDuplicateAndNotFound(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sec := e.secret("s")
	first, err := e.lambda.CreateEventSourceMapping(ctx, e.createInput("ExampleQueue", sec))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.lambda.CreateEventSourceMapping(ctx, e.createInput("ExampleQueue", sec))
	apiError(t, err, "ResourceConflictException", 409, "already exists. Please update or delete the existing mapping with UUID "+aws.ToString(first.UUID))
	// Another queue, or another function, is another mapping.
	if _, err := e.lambda.CreateEventSourceMapping(ctx, e.createInput("OtherQueue", sec)); err != nil {
		t.Fatal(err)
	}
	// A composite names the same queues whatever their order; a wildcard is compared
	// as written, so it may overlap a plain queue (the broker gives each message to
	// one of the two).
	comp, err := e.lambda.CreateEventSourceMapping(ctx, e.createInput("a,b", sec))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.lambda.CreateEventSourceMapping(ctx, e.createInput("b,a", sec))
	apiError(t, err, "ResourceConflictException", 409, "Please update or delete the existing mapping with UUID "+aws.ToString(comp.UUID))
	for _, q := range []string{"Example.*", "Example.>", "a,b,c"} {
		if _, err := e.lambda.CreateEventSourceMapping(ctx, e.createInput(q, sec)); err != nil {
			t.Fatalf("queue %q: %v", q, err)
		}
	}
	in := e.createInput("ExampleQueue", sec)
	in.FunctionName = aws.String("other-fn")
	second, err := e.lambda.CreateEventSourceMapping(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	// Updating the second onto the first's function makes a duplicate.
	e.settle(aws.ToString(second.UUID), esm.StateEnabled)
	_, err = e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: second.UUID, FunctionName: aws.String(fnName)})
	apiError(t, err, "ResourceConflictException", 409, "already exists")
	_, err = e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: second.UUID, FunctionName: aws.String("doesnotexist")})
	apiError(t, err, "InvalidParameterValueException", 400, "Function does not exist")
	_, err = e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: second.UUID, BatchSize: aws.Int32(10001)})
	apiError(t, err, "InvalidParameterValueException", 400, "batchSize")
	_, err = e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: second.UUID, SourceAccessConfigurations: []types.SourceAccessConfiguration{}})
	apiError(t, err, "InvalidParameterValueException", 400, "No BASIC_AUTH")
	_, err = e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: second.UUID, SourceAccessConfigurations: []types.SourceAccessConfiguration{
		{Type: types.SourceAccessTypeBasicAuth, URI: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf")}}})
	apiError(t, err, "InvalidParameterValueException", 400, "does not exist")

	unknown := "0b2f6a3e-0000-4000-8000-000000000000"
	_, err = e.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(unknown)})
	apiError(t, err, "ResourceNotFoundException", 404, "The resource you requested does not exist.")
	_, err = e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(unknown), BatchSize: aws.Int32(1)})
	apiError(t, err, "ResourceNotFoundException", 404, "The resource you requested does not exist.")
	_, err = e.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(unknown)})
	apiError(t, err, "ResourceNotFoundException", 404, "The resource you requested does not exist.")
}

// TestUpdateRetriesOnConflict checks that a write racing with the engine's own state
// writes is not lost.
func TestUpdateRetriesOnConflict(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out, err := e.lambda.CreateEventSourceMapping(ctx, e.createInput("q", e.secret("s")))
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.UUID)
	e.settle(id, esm.StateEnabled)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // stands in for the engine writing LastProcessingResult
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			m, err := e.store.GetMapping(ctx, id)
			if err != nil {
				return
			}
			m.LastProcessingResult = "OK"
			_ = e.store.UpdateMapping(ctx, m)
		}
	}()
	for i := 1; i <= 20; i++ {
		e.settle(id, esm.StateEnabled)
		if _, err := e.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), BatchSize: aws.Int32(int32(i))}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	<-done
	got, err := e.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil || aws.ToInt32(got.BatchSize) != 20 {
		t.Fatalf("%v batch %d", err, aws.ToInt32(got.BatchSize))
	}
}

func TestMalformedAndOversized(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	for _, body := range []string{`{"FunctionName":`, `{"BatchSize":"ten","FunctionName":"f"}`, `[1,2]`} {
		r := do(t, e.signed("POST", "/2015-03-31/event-source-mappings", "lambda", []byte(body), testKey, testSecret, now,
			map[string]string{"Content-Type": "application/json"}))
		if r.status != 400 || r.header.Get("x-amzn-ErrorType") != "InvalidRequestContentException" ||
			!strings.HasPrefix(r.body["message"].(string), "Could not parse request body into json") {
			t.Fatalf("%s: %d %s %s", body, r.status, r.header.Get("x-amzn-ErrorType"), r.raw)
		}
	}
	big := []byte(`{"FunctionName":"` + strings.Repeat("x", 2<<20) + `"}`)
	r := do(t, e.signed("POST", "/2015-03-31/event-source-mappings", "lambda", big, testKey, testSecret, now, nil))
	if r.status != http.StatusRequestEntityTooLarge || r.header.Get("x-amzn-ErrorType") != "RequestEntityTooLargeException" {
		t.Fatalf("oversized: %d %s", r.status, r.raw)
	}
	// Unknown members are ignored, as Lambda's JSON parser ignores them.
	sec := e.secret("s")
	body := fmt.Sprintf(`{"FunctionName":%q,"EventSourceArn":%q,"Queues":["q"],"SourceAccessConfigurations":[{"Type":"BASIC_AUTH","URI":%q}],"Whatever":1}`,
		fnName, e.brokerArn, sec)
	r = do(t, e.signed("POST", "/2015-03-31/event-source-mappings/", "lambda", []byte(body), testKey, testSecret, now, nil))
	if r.status != 202 || !strings.Contains(r.raw, `"LastModified":1`) {
		t.Fatalf("unknown member: %d %s", r.status, r.raw)
	}
	// LastModified is epoch seconds with a millisecond fraction.
	if lm, ok := r.body["LastModified"].(float64); !ok || lm < float64(now.Unix()-5) {
		t.Fatalf("LastModified %v", r.body["LastModified"])
	}
}
