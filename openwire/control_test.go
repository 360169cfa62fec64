package openwire

import (
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/fakebroker"
	"github.com/mqtrigger/mqtrigger/internal/logtest"
)

func startFake(t *testing.T, o fakebroker.Options) *fakebroker.Server {
	t.Helper()
	srv, err := fakebroker.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// A ConnectionError for a transacted ack the broker cannot match (a real broker
// sends it for one-way commands and keeps the connection open): the socket is
// kept, OnAsyncError hears of it, and the transaction becomes rollback-only, so
// Commit fails with ErrRollbackOnly and rolls back instead of committing.
func TestConnectionErrorMakesTransactionRollbackOnly(t *testing.T) {
	srv := startFake(t, fakebroker.Options{Fault: fakebroker.UnmatchedAck, Stage: fakebroker.AfterConsumer})
	ctx := testCtx(t, 20*time.Second)
	var logs logtest.Buffer
	var async atomic.Value
	c, err := Dial(ctx, srv.URL(), Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		OnAsyncError: func(err error) { async.Store(err) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := mustSession(t, c, true)
	k, err := s.NewConsumer(ctx, "fake", ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := receiveN(t, k, 1, 10*time.Second)[0]
	if err := k.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}
	checkfor.Within(t, 10*time.Second, func() error {
		if async.Load() == nil {
			return errors.New("OnAsyncError not called")
		}
		return nil
	})
	var be *BrokerError
	if err := async.Load().(error); !errors.As(err, &be) || !strings.Contains(be.Message, "Unmatched acknowledge") {
		t.Fatalf("OnAsyncError got %v", err)
	}
	err = s.Commit(ctx)
	if !errors.Is(err, ErrRollbackOnly) || !errors.As(err, &be) || !strings.Contains(err.Error(), "Unmatched acknowledge") {
		t.Fatalf("Commit: %v, want ErrRollbackOnly with the broker's error", err)
	}
	if n := srv.Commits(); n != 0 {
		t.Fatalf("the broker got %d commits, want 0 (rolled back instead)", n)
	}
	// the connection is the same and works
	select {
	case <-c.Done():
		t.Fatalf("connection ended: %v", c.Err())
	default:
	}
	if _, err := c.NewSession(ctx, false); err != nil {
		t.Fatal(err)
	}
	if n := srv.Accepted(); n != 1 {
		t.Fatalf("%d connections, want the first one kept", n)
	}
	// the rolled-back message comes again, and the next transaction commits
	m = receiveN(t, k, 1, 10*time.Second)[0]
	if m.Text != "hello" || m.RedeliveryCounter != 1 {
		t.Fatalf("redelivered %q with counter %d", m.Text, m.RedeliveryCounter)
	}
	if err := k.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "broker reported a failed command; connection kept") {
		t.Fatalf("not logged:\n%s", logs.String())
	}
}

// A ConnectionError naming no transaction of a connection with no open
// transaction only logs and reports: nothing is torn down.
func TestConnectionErrorOutsideTransactions(t *testing.T) {
	srv := startFake(t, fakebroker.Options{Fault: fakebroker.UnmatchedAck, Stage: fakebroker.AfterConsumer,
		ErrorClass: "java.lang.SecurityException", ErrorMessage: "User anonymous is not authorized to write to: queue://other"})
	ctx := testCtx(t, 20*time.Second)
	var async atomic.Int32
	c, err := Dial(ctx, srv.URL(), Config{OnAsyncError: func(error) { async.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k, err := mustSession(t, c, false).NewConsumer(ctx, "fake", ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := receiveN(t, k, 1, 10*time.Second)[0]
	if err := k.Ack(ctx, m); err != nil { // answered: the ConnectionError comes first
		t.Fatal(err)
	}
	checkfor.Within(t, 10*time.Second, func() error {
		if async.Load() == 0 {
			return errors.New("OnAsyncError not called")
		}
		return nil
	})
	if _, err := c.NewSession(ctx, true); err != nil || c.Err() != nil || srv.Accepted() != 1 {
		t.Fatalf("after the ConnectionError: %v, %v, %d connections", err, c.Err(), srv.Accepted())
	}
}

// The link is lost while COMMIT is in flight: Commit returns ErrCommitInDoubt,
// distinct from a rollback or ErrStale, and after the failover reconnect the
// message comes again (the broker did not commit).
func TestCommitInDoubt(t *testing.T) {
	srv := startFake(t, fakebroker.Options{Fault: fakebroker.DropOnCommit, Stage: fakebroker.AfterConsumer, Times: 1})
	ctx := testCtx(t, 30*time.Second)
	var reconnects atomic.Int32
	c, err := Dial(ctx, "failover:("+srv.URL()+")?initialReconnectDelay=10", Config{OnReconnect: func(error) { reconnects.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := mustSession(t, c, true)
	k, err := s.NewConsumer(ctx, "fake", ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := receiveN(t, k, 1, 10*time.Second)[0]
	if err := k.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}
	err = s.Commit(ctx)
	if !errors.Is(err, ErrCommitInDoubt) || errors.Is(err, ErrStale) || errors.Is(err, ErrRollbackOnly) {
		t.Fatalf("Commit: %v, want ErrCommitInDoubt only", err)
	}
	if srv.Commits() != 1 {
		t.Fatalf("the broker got %d commits", srv.Commits())
	}
	checkfor.Within(t, 10*time.Second, func() error {
		if reconnects.Load() == 0 {
			return errors.New("no reconnect")
		}
		return nil
	})
	// the session goes on: a new transaction starts cleanly
	if err := s.Commit(ctx); err != nil {
		t.Fatalf("empty commit after the reconnect: %v", err)
	}
}

// ConsumerControl{close=true} (the broker's abort of a slow consumer): Receive
// returns ErrConsumerAborted, and the Conn goes on.
func TestConsumerControlCloseFake(t *testing.T) {
	srv := startFake(t, fakebroker.Options{Fault: fakebroker.ConsumerAbort, Stage: fakebroker.AfterConsumer})
	ctx := testCtx(t, 20*time.Second)
	c, err := Dial(ctx, srv.URL(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k, err := mustSession(t, c, false).NewConsumer(ctx, "fake", ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkfor.Within(t, 10*time.Second, func() error {
		_, err := k.Receive(ctx)
		if errors.Is(err, ErrConsumerAborted) {
			return nil
		}
		return errors.New("still receiving")
	})
	if _, err := k.Receive(ctx); !errors.Is(err, ErrConsumerAborted) {
		t.Fatalf("Receive after abort: %v", err)
	}
	if _, err := c.NewSession(ctx, false); err != nil || c.Err() != nil {
		t.Fatalf("Conn after the abort: %v %v", err, c.Err())
	}
}

// ConnectionControl with a cluster update (updateClusterClients,
// rebalanceClusterClients): logged and ignored; the client stays where it is.
func TestConnectionControlIgnored(t *testing.T) {
	srv := startFake(t, fakebroker.Options{Fault: fakebroker.ClusterUpdate, Stage: fakebroker.AfterConnect, ReconnectTo: "tcp://127.0.0.1:2"})
	ctx := testCtx(t, 20*time.Second)
	var logs logtest.Buffer
	c, err := Dial(ctx, srv.URL(), Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkfor.Within(t, 10*time.Second, func() error {
		if !strings.Contains(logs.String(), "ignoring the broker's cluster update") || !strings.Contains(logs.String(), "reconnectTo=tcp://127.0.0.1:2") {
			return errors.New("not logged yet")
		}
		return nil
	})
	if _, err := c.NewSession(ctx, false); err != nil || srv.Accepted() != 1 {
		t.Fatalf("after ConnectionControl: %v, %d connections", err, srv.Accepted())
	}
}
