package openwire

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
)

// A shared-storage active/standby pair (Amazon MQ's active/standby mode): two
// brokers on one KahaDB directory, the standby waiting on its file lock. Behind
// a failover URL over both, killing the active makes the standby take over,
// and deliveries resume from it with nothing lost.
func TestSharedStoragePairFailover(t *testing.T) {
	data, err := os.MkdirTemp("", "mqtrigger-shared-kahadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(data) })
	active := brokertest.Start(t, brokertest.Options{SharedData: data})
	standby := brokertest.Start(t, brokertest.Options{SharedData: data, Standby: true})
	ctx := testCtx(t, 4*time.Minute)

	var reconnects atomic.Int32
	url := fmt.Sprintf("failover:(%s,%s)?randomize=false&initialReconnectDelay=100&maxReconnectDelay=1000", active.URL, standby.URL)
	c, err := Dial(ctx, url, Config{User: active.User, Password: active.Password, OnReconnect: func(error) { reconnects.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := newQueue(t)
	const n = 20
	var texts []string
	for i := 0; i < n; i++ {
		texts = append(texts, fmt.Sprint(i))
	}
	sendTexts(t, c, Queue(q), texts...)
	k, err := mustSession(t, c, false).NewConsumer(ctx, q, ConsumerOptions{Prefetch: 5})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range receiveN(t, k, 5, 20*time.Second) {
		got[m.Text] = true
		if err := k.Ack(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	if err := active.Kill(); err != nil {
		t.Fatal(err)
	}
	checkfor.Within(t, 150*time.Second, func() error {
		if reconnects.Load() == 0 {
			return errors.New("not reconnected to the standby yet")
		}
		return nil
	})
	for len(got) < n {
		m, err := k.Receive(ctx)
		if err != nil {
			t.Fatalf("after the takeover, %d of %d: %v", len(got), n, err)
		}
		got[m.Text] = true
		if err := k.Ack(ctx, m); err != nil && !errors.Is(err, ErrStale) {
			t.Fatal(err)
		}
	}
	// the standby is the broker now: a new message goes through it
	sendTexts(t, c, Queue(q), "after")
	for {
		m := receiveN(t, k, 1, 30*time.Second)[0]
		if err := k.Ack(ctx, m); err != nil && !errors.Is(err, ErrStale) {
			t.Fatal(err)
		}
		if m.Text == "after" {
			break
		}
	}
}
