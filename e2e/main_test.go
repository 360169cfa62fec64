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
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
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

// createMapping makes a mapping through the API and waits until it is Enabled.
func createMapping(t *testing.T, svc *servicetest.Service, in *lambda.CreateEventSourceMappingInput) string {
	t.Helper()
	ctx := context.Background()
	out, err := svc.Lambda().CreateEventSourceMapping(ctx, in)
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	id := aws.ToString(out.UUID)
	checkfor.Within(t, 30*time.Second, func() error {
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

// produce sends persistent text messages msg-<from>..msg-<to-1>.
func produce(t *testing.T, b *brokertest.Broker, queue string, from, to int) {
	t.Helper()
	msgs := make([]*openwire.Message, 0, to-from)
	for i := from; i < to; i++ {
		msgs = append(msgs, queuetest.Text(fmt.Sprintf("msg-%06d", i)))
	}
	queuetest.Send(t, b, queue, msgs...)
}
