package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

func TestMain(m *testing.M) { os.Exit(brokertest.Main(m)) }

const brokerARN = "arn:aws:mq:us-east-1:123456789012:broker:e2e:b-e2e"

// counter is an HTTP function that counts how often each message body arrives.
type counter struct {
	mu    sync.Mutex
	seen  map[string]int
	total int
	delay func() time.Duration
}

func newCounter(t *testing.T, delay func() time.Duration) (*counter, string) {
	c := &counter{seen: make(map[string]int), delay: delay}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev events.ActiveMQEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			w.WriteHeader(400)
			return
		}
		if c.delay != nil {
			time.Sleep(c.delay()) // the function's own work time
		}
		c.mu.Lock()
		for _, m := range ev.Messages {
			b, _ := base64.StdEncoding.DecodeString(m.Data)
			c.seen[string(b)]++
			c.total++
		}
		c.mu.Unlock()
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return c, srv.URL
}

func (c *counter) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

func (c *counter) counts() (distinct, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen), c.total
}

func waitFor(t *testing.T, total time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", total, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// createMapping makes a mapping through the API and waits until it is Enabled.
func createMapping(t *testing.T, svc *servicetest.Service, in *lambda.CreateEventSourceMappingInput) string {
	t.Helper()
	ctx := context.Background()
	out, err := svc.Lambda().CreateEventSourceMapping(ctx, in)
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	id := aws.ToString(out.UUID)
	waitFor(t, 30*time.Second, func() error {
		got, err := svc.Lambda().GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if err != nil {
			return err
		}
		if aws.ToString(got.State) != "Enabled" {
			return fmt.Errorf("state %s", aws.ToString(got.State))
		}
		return nil
	})
	return id
}

func mappingInput(fn, queue, secretARN string, batch, concurrency int32) *lambda.CreateEventSourceMappingInput {
	return &lambda.CreateEventSourceMappingInput{
		EventSourceArn:                 aws.String(brokerARN),
		FunctionName:                   aws.String(fn),
		Queues:                         []string{queue},
		BatchSize:                      aws.Int32(batch),
		MaximumBatchingWindowInSeconds: aws.Int32(0),
		ScalingConfig:                  &types.ScalingConfig{MaximumConcurrency: aws.Int32(concurrency)},
		SourceAccessConfigurations: []types.SourceAccessConfiguration{
			{Type: types.SourceAccessTypeBasicAuth, URI: aws.String(secretARN)},
		},
	}
}

// produce sends n numbered persistent text messages.
func produce(t *testing.T, b *brokertest.Broker, queue string, from, to int) {
	t.Helper()
	ctx := context.Background()
	conn, err := openwire.Dial(ctx, b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	sess, err := conn.NewSession(ctx, false)
	if err != nil {
		t.Error(err)
		return
	}
	p, err := sess.NewProducer(ctx)
	if err != nil {
		t.Error(err)
		return
	}
	for i := from; i < to; i++ {
		m := &openwire.Message{Kind: openwire.KindText, Text: fmt.Sprintf("msg-%06d", i), Persistent: true}
		if err := p.Send(ctx, openwire.Queue(queue), m); err != nil {
			t.Error(err)
			return
		}
	}
}
