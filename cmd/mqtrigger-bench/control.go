package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
)

// control drives mqtrigger through its Lambda and Secrets Manager API with the
// AWS SDK, as a user would.
type control struct {
	lambda    *lambda.Client
	secrets   *secretsmanager.Client
	brokerARN string
	secretARN string // BASIC_AUTH secret for every mapping
}

func newControl(base, region, accessKey, secretKey, brokerARN string) *control {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
	}
	return &control{
		lambda:    lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(base) }),
		secrets:   secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(base) }),
		brokerARN: brokerARN,
	}
}

// CreateSecret stores the broker credentials that every mapping uses.
func (c *control) CreateSecret(ctx context.Context, name, user, password string) error {
	value := fmt.Sprintf(`{"username":%q,"password":%q}`, user, password)
	out, err := c.secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value),
	})
	if err != nil {
		return fmt.Errorf("CreateSecret %s: %w", name, err)
	}
	c.secretARN = aws.ToString(out.ARN)
	return nil
}

// CreateFunction uploads a zip holding bootstrap as a provided.al2023 function and
// waits until it is Active.
func (c *control) CreateFunction(ctx context.Context, name, bootstrap string) error {
	code, err := zipBootstrap(bootstrap)
	if err != nil {
		return err
	}
	_, err = c.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Role:         aws.String("arn:aws:iam::123456789012:role/mqtrigger-bench"),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &types.FunctionCode{ZipFile: code},
		Timeout:      aws.Int32(30),
		MemorySize:   aws.Int32(128),
	})
	if err != nil {
		return fmt.Errorf("CreateFunction %s: %w", name, err)
	}
	return poll(ctx, 30*time.Second, func() (bool, error) {
		out, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			return false, fmt.Errorf("GetFunction %s: %w", name, err)
		}
		st := out.Configuration.State
		if st == types.StateFailed {
			return false, fmt.Errorf("function %s is Failed: %s", name, aws.ToString(out.Configuration.StateReason))
		}
		return st == "" || st == types.StateActive, nil
	})
}

func zipBootstrap(path string) ([]byte, error) {
	exe, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return lambdazip.Bootstrap(exe)
}

// mappingSpec is one mapping the benchmark creates.
type mappingSpec struct {
	Function    string
	Queue       string
	BatchSize   int
	Concurrency int // 0: the service's default
	Window      int // MaximumBatchingWindowInSeconds
}

// CreateMapping creates a mapping and returns its UUID.
func (c *control) CreateMapping(ctx context.Context, m mappingSpec) (string, error) {
	in := &lambda.CreateEventSourceMappingInput{
		EventSourceArn:                 aws.String(c.brokerARN),
		FunctionName:                   aws.String(m.Function),
		BatchSize:                      aws.Int32(int32(m.BatchSize)),
		MaximumBatchingWindowInSeconds: aws.Int32(int32(m.Window)),
		Queues:                         []string{m.Queue},
		SourceAccessConfigurations: []types.SourceAccessConfiguration{
			{Type: types.SourceAccessTypeBasicAuth, URI: aws.String(c.secretARN)},
		},
	}
	if m.Concurrency > 0 {
		in.ScalingConfig = &types.ScalingConfig{MaximumConcurrency: aws.Int32(int32(m.Concurrency))}
	}
	out, err := c.lambda.CreateEventSourceMapping(ctx, in)
	if err != nil {
		return "", fmt.Errorf("CreateEventSourceMapping %s -> %s: %w", m.Queue, m.Function, err)
	}
	return aws.ToString(out.UUID), nil
}

// WaitEnabled polls until every mapping in uuids is Enabled.
func (c *control) WaitEnabled(ctx context.Context, uuids []string, timeout time.Duration) error {
	want := make(map[string]bool, len(uuids))
	for _, u := range uuids {
		want[u] = true
	}
	// Many mappings take many pages to list: ask less often.
	interval := 20 * time.Millisecond
	if len(want) > 50 {
		interval = 250 * time.Millisecond
	}
	var enabled int
	var waiting string // a mapping not yet Enabled
	err := pollEvery(ctx, timeout, interval, func() (bool, error) {
		enabled, waiting = 0, ""
		var marker *string
		for {
			out, err := c.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{
				Marker: marker, MaxItems: aws.Int32(100),
			})
			if err != nil {
				return false, fmt.Errorf("ListEventSourceMappings: %w", err)
			}
			for _, m := range out.EventSourceMappings {
				u := aws.ToString(m.UUID)
				if !want[u] {
					continue
				}
				switch aws.ToString(m.State) {
				case "Enabled":
					enabled++
				case "Disabled", "Deleting":
					return false, fmt.Errorf("mapping %s is %s: %s", u, aws.ToString(m.State), aws.ToString(m.StateTransitionReason))
				default:
					waiting = u
				}
			}
			if out.NextMarker == nil || aws.ToString(out.NextMarker) == "" {
				break
			}
			marker = out.NextMarker
		}
		return enabled == len(want), nil
	})
	if err != nil && ctx.Err() == nil {
		detail := ""
		if waiting != "" {
			detail = "; " + c.Describe(ctx, waiting)
		}
		return fmt.Errorf("%d of %d mappings Enabled: %w%s", enabled, len(want), err, detail)
	}
	return err
}

// Describe returns a mapping's state and last processing result, for messages.
func (c *control) Describe(ctx context.Context, uuid string) string {
	out, err := c.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
	if err != nil {
		return fmt.Sprintf("GetEventSourceMapping: %v", err)
	}
	s := fmt.Sprintf("mapping %s %s, last processing result %q", uuid, aws.ToString(out.State), aws.ToString(out.LastProcessingResult))
	if r := aws.ToString(out.StateTransitionReason); r != "" {
		s += fmt.Sprintf(" (%s)", r)
	}
	return s
}

// DeleteMapping deletes a mapping and waits until it is gone, so that its consumers
// are closed before the next scenario starts.
func (c *control) DeleteMapping(ctx context.Context, uuid string) error {
	_, err := c.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(uuid)})
	if err != nil {
		return fmt.Errorf("DeleteEventSourceMapping %s: %w", uuid, err)
	}
	return poll(ctx, 30*time.Second, func() (bool, error) {
		_, err := c.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return true, nil
		}
		return false, nil
	})
}

// DeleteMappings deletes many mappings, a few at a time.
func (c *control) DeleteMappings(ctx context.Context, uuids []string) error {
	return parallel(ctx, len(uuids), 8, func(i int) error {
		_, err := c.lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(uuids[i])})
		return err
	})
}

// parallel runs fn(0..n-1) on up to workers goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// poll calls done every 20 ms until it reports true, fails, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, done func() (bool, error)) error {
	return pollEvery(ctx, timeout, 20*time.Millisecond, done)
}

// pollEvery is poll with another interval.
func pollEvery(ctx context.Context, timeout, interval time.Duration, done func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := done()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done within %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
