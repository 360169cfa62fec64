package api

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
)

func (e *env) tags(arn string) map[string]string {
	e.t.Helper()
	out, err := e.lambda.ListTags(context.Background(), &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil {
		e.t.Fatalf("ListTags %s: %v", arn, err)
	}
	return out.Tags
}

func wantTags(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Fatalf("%s: tags %v, want %v", what, got, want)
	}
}

// A mapping's tags, given at creation and changed with TagResource and UntagResource,
// are read back with ListTags through the SDK, and changing them leaves the mapping's
// state alone.
func TestMappingTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := e.createInput("TaggedQueue", e.secret("MQaccess"))
	in.Tags = map[string]string{"team": "orders"}
	out, err := e.lambda.CreateEventSourceMapping(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	id, arn := aws.ToString(out.UUID), aws.ToString(out.EventSourceMappingArn)
	e.settle(id, "Enabled")
	wantTags(t, "after create", e.tags(arn), map[string]string{"team": "orders"})

	if _, err := e.lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"env": "prod", "team": "billing"}}); err != nil {
		t.Fatal(err)
	}
	wantTags(t, "after TagResource", e.tags(arn), map[string]string{"env": "prod", "team": "billing"})
	if _, err := e.lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team", "absent"}}); err != nil {
		t.Fatal(err)
	}
	wantTags(t, "after UntagResource", e.tags(arn), map[string]string{"env": "prod"})
	got, err := e.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.State) != "Enabled" {
		t.Fatalf("state %s after tag changes, want Enabled", aws.ToString(got.State))
	}

	// Errors in the API's shape.
	_, err = e.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:event-source-mapping:00000000-0000-0000-0000-000000000000")})
	apiError(t, err, "ResourceNotFoundException", 404, "Event source mapping not found: arn:aws:lambda:us-east-1:123456789012:event-source-mapping:00000000-0000-0000-0000-000000000000")
	_, err = e.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("not-an-arn")})
	apiError(t, err, "ValidationException", 400, "Value 'not-an-arn' at 'resource' failed to satisfy constraint")
	_, err = e.lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"bad#key": "v"}})
	apiError(t, err, "InvalidParameterValueException", 400, "bad#key")
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	_, err = e.lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: many})
	apiError(t, err, "InvalidParameterValueException", 400, "at most 50 tags")
	wantTags(t, "after refused changes", e.tags(arn), map[string]string{"env": "prod"})
}

// A function's tags: given to CreateFunction, returned by GetFunction and ListTags,
// changed with TagResource and UntagResource. A function from the config file has no
// tags and cannot be tagged.
func TestFunctionTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	code, err := lambdazip.Bootstrap([]byte("#!/bin/sh\nexit 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	created, err := e.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("tagged"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("x"),
		Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: code},
		Tags: map[string]string{"team": "orders"},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.FunctionArn)
	got, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("tagged")})
	if err != nil {
		t.Fatal(err)
	}
	wantTags(t, "GetFunction", got.Tags, map[string]string{"team": "orders"})
	wantTags(t, "ListTags after create", e.tags(arn), map[string]string{"team": "orders"})
	if _, err := e.lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	wantTags(t, "after changes", e.tags(arn), map[string]string{"env": "prod"})
	after, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("tagged")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(after.Configuration.RevisionId) != aws.ToString(got.Configuration.RevisionId) {
		t.Fatal("tagging changed the function's revision")
	}

	configured := "arn:aws:lambda:us-east-1:123456789012:function:" + fnName
	wantTags(t, "configured function", e.tags(configured), map[string]string{})
	_, err = e.lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(configured), Tags: map[string]string{"a": "b"}})
	apiError(t, err, "ResourceConflictException", 409, "config file")
	_, err = e.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:absent")})
	apiError(t, err, "ResourceNotFoundException", 404, "absent")
}
