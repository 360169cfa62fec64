package main

import (
	"context"
	"fmt"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/jms"
)

// java runs ActiveMQ's own Java client (Debian's libactivemq-java) against the
// benchmark's broker: it fills queues and measures the reference consumer.
type java struct {
	tool *jms.Tool
	b    *broker
}

func newJava(b *broker) (*java, error) {
	tool, err := jms.NewTool()
	if err != nil {
		return nil, fmt.Errorf("preparing ActiveMQ's Java client: %w", err)
	}
	return &java{tool: tool, b: b}, nil
}

// Fill sends count bytes messages of size bytes to queue from one session.
func (j *java) Fill(ctx context.Context, queue string, count, size int, persistent bool) error {
	err := j.tool.Produce(ctx, jms.ProduceOptions{
		URL: j.b.URL, User: j.b.User, Password: j.b.Password,
		Queue: queue, Count: count, Size: size, Persistent: persistent,
	})
	if err != nil {
		return fmt.Errorf("filling %s with %d messages: %w", queue, count, err)
	}
	return nil
}

// Reference consumes count messages from queue the way mqtrigger acknowledges
// them (a transacted session committed every 100 messages, prefetch 1000) doing no
// work per message, and reports the time from the first message to the last commit.
func (j *java) Reference(ctx context.Context, queue string, count int) (jms.BenchResult, error) {
	res, err := j.tool.Bench(ctx, jms.BenchOptions{
		URL: j.b.URL, User: j.b.User, Password: j.b.Password, Queue: queue, Count: count,
		Prefetch: 1000, Transacted: true, AckEvery: 100, Timeout: time.Minute,
	})
	if err != nil {
		return res, fmt.Errorf("Java reference consumer on %s: %w", queue, err)
	}
	if res.Messages != count {
		return res, fmt.Errorf("Java reference consumer on %s: got %d of %d messages", queue, res.Messages, count)
	}
	return res, nil
}

// QueueSize counts the messages left in queue.
func (j *java) QueueSize(ctx context.Context, queue string) (int, error) {
	return j.tool.QueueSize(ctx, j.b.URL, j.b.User, j.b.Password, queue)
}
