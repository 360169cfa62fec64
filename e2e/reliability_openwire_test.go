package e2e

import (
	"bytes"
	"context"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/stallproxy"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// A broker that stops answering while the client is writing (a producer of large
// messages, so the socket buffers fill): the inactivity monitor must still drop
// the connection, within the same bound as for an idle one (55 s), so that the
// application sees an error instead of hanging.
func TestReliabilityFrozenBrokerWhileWriting(t *testing.T) {
	t.Parallel()
	b := brokertest.Shared(t)
	proxy := stallproxy.Start(t, b.Host)
	ctx := context.Background()
	conn, err := openwire.Dial(ctx, proxy.URL(), openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := conn.NewSession(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sess.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	queue := openwire.Queue(queueFor(t))
	if err := p.Send(ctx, queue, &openwire.Message{Kind: openwire.KindText, Text: "before", Persistent: true}); err != nil {
		t.Fatal(err)
	}

	proxy.Freeze()
	frozenAt := time.Now()
	// 32 senders of 1 MiB each: more than the kernel buffers on both sides of the
	// proxy hold, so a write blocks.
	sendCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	body := make([]byte, 1<<20)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.Send(sendCtx, queue, &openwire.Message{Kind: openwire.KindBytes, Body: body, Persistent: true})
		}()
	}
	var failure string
	select {
	case <-conn.Done():
		t.Logf("the connection to the frozen broker failed %v after the freeze: %v", time.Since(frozenAt).Round(100*time.Millisecond), conn.Err())
	case <-time.After(70 * time.Second):
		failure = "finding: 70 s after the broker stopped answering a client that was writing, the connection is still up: the inactivity monitor did not drop it; it is at:\n" +
			stackOf("openwire.(*link).monitor")
	}
	// Unblock whatever is stuck (closing the proxy's sockets fails the writes), then clean up.
	cancel()
	proxy.Thaw()
	wg.Wait()
	conn.Close()
	if failure != "" {
		t.Fatal(failure)
	}
}

// stackOf is the stack of this process's goroutines that run fn.
func stackOf(fn string) string {
	var buf bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&buf, 2)
	var out []string
	for _, g := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(g, fn) {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}
