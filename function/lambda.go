package function

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// lambdaFunction is a real AWS Lambda function (or anything that speaks Lambda's
// Invoke API at Endpoint), invoked synchronously.
type lambdaFunction struct {
	arn      string
	region   string
	endpoint string
	timeout  time.Duration
	creds    aws.CredentialsProvider

	once      sync.Once
	client    *lambda.Client
	clientErr error
}

func newLambdaFunction(spec *Spec, creds aws.CredentialsProvider) (*lambdaFunction, error) {
	// arn:<partition>:lambda:<region>:<account>:function:<name>[:qualifier]
	parts := strings.Split(spec.ARN, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[3] == "" || parts[5] != "function" {
		return nil, fmt.Errorf("arn %q is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)", spec.ARN)
	}
	return &lambdaFunction{arn: spec.ARN, region: parts[3], endpoint: spec.Endpoint, timeout: spec.Timeout, creds: creds}, nil
}

func (f *lambdaFunction) reserve(int) {}
func (f *lambdaFunction) close()      {}

func (f *lambdaFunction) lambdaClient(ctx context.Context) (*lambda.Client, error) {
	f.once.Do(func() {
		// The SDK's own HTTP client pools connections and honours AWS_CA_BUNDLE.
		opts := []func(*config.LoadOptions) error{config.WithRegion(f.region)}
		if f.creds != nil {
			opts = append(opts, config.WithCredentialsProvider(f.creds))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			f.clientErr = fmt.Errorf("%w: loading AWS configuration for %s: %v", ErrFunctionConfig, f.arn, err)
			return
		}
		f.client = lambda.NewFromConfig(cfg, func(o *lambda.Options) {
			if f.endpoint != "" {
				o.BaseEndpoint = aws.String(f.endpoint)
			}
		})
	})
	return f.client, f.clientErr
}

func (f *lambdaFunction) invoke(ctx context.Context, requestID string, payload []byte, use *payloadUse) (*Result, error) {
	// The SDK's transport may still write the request after Invoke returns, and
	// nothing says when it stops: the payload stays held, never reused.
	use.hold()
	start := time.Now()
	client, err := f.lambdaClient(ctx)
	if err != nil {
		return nil, err
	}
	callCtx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	out, err := client.Invoke(callCtx, &lambda.InvokeInput{
		FunctionName:   aws.String(f.arn),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if callCtx.Err() != nil {
			return failure(requestID, start, "Sandbox.Timedout",
				fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, f.timeout.Seconds())), nil
		}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return failure(requestID, start, ae.ErrorCode(), fmt.Sprintf("invoking %s: %s", f.arn, ae.ErrorMessage())), nil
		}
		return failure(requestID, start, "Function.ConnectionError", fmt.Sprintf("invoking %s: %v", f.arn, err)), nil
	}
	// Lambda's request ID for the call is the invocation's: the one the function saw.
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); ok && id != "" {
		requestID = id
	}
	res := &Result{Payload: out.Payload, Duration: time.Since(start), RequestID: requestID}
	if out.FunctionError != nil && *out.FunctionError != "" {
		res.FunctionError = *out.FunctionError
		if len(res.Payload) == 0 {
			res.Payload = errorPayload(*out.FunctionError, "the remote function failed without an error payload")
		}
	}
	return res, nil
}
