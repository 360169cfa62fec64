package fakebroker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/fakebroker"
	"github.com/mqtrigger/mqtrigger/openwire"
)

func TestMain(m *testing.M) { os.Exit(brokertest.Main(m)) }

const frameLimit = 1 << 20 // the client's MaxFrameSize in these tests

func start(t *testing.T, o fakebroker.Options) *fakebroker.Server {
	t.Helper()
	s, err := fakebroker.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func config() openwire.Config {
	return openwire.Config{
		MaxFrameSize: frameLimit, DialTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// consume opens a session and a consumer on queue "q".
func consume(t *testing.T, conn *openwire.Conn) *openwire.Consumer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sess, err := conn.NewSession(ctx, false)
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	k, err := sess.NewConsumer(ctx, "q", openwire.ConsumerOptions{Prefetch: 10})
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	return k
}

// The control case: the fake's encoding is right, so a well-formed dispatch arrives
// intact; the faults below fail because of the fault alone.
func TestBadInputWellFormedMessageArrives(t *testing.T) {
	s := start(t, fakebroker.Options{Fault: fakebroker.Message, Stage: fakebroker.AfterConsumer})
	conn, err := openwire.Dial(t.Context(), s.URL(), config())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	k := consume(t, conn)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	m, err := k.Receive(ctx)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if m.Text != "hello" || m.Destination.Name != "q" || !m.Persistent {
		t.Fatalf("got %+v", m)
	}
}

// Faults sent in place of the answer to ConnectionInfo make Dial fail with an error
// that names the broker and matches the right sentinel, without a panic.
func TestBadInputDialFailsOnMalformedFrames(t *testing.T) {
	for _, tc := range []struct {
		fault fakebroker.Fault
		is    error
		text  string
	}{
		{fakebroker.Truncated, io.ErrUnexpectedEOF, "closed the connection"},
		{fakebroker.Oversized, openwire.ErrFrameTooLarge, "limit 1048576"},
		{fakebroker.NegativeSize, openwire.ErrMalformed, "frame size -1"},
		{fakebroker.WrongType, openwire.ErrMalformed, "consumerId has type 121"},
		{fakebroker.Random, nil, ""},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			s := start(t, fakebroker.Options{Fault: tc.fault, Stage: fakebroker.AtConnect, Seed: 7})
			conn, err := openwire.Dial(t.Context(), s.URL(), config())
			if err == nil {
				conn.Close()
				t.Fatal("Dial succeeded against a broker that sent garbage")
			}
			if !strings.Contains(err.Error(), s.Addr()) {
				t.Errorf("error does not name the broker %s: %v", s.Addr(), err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not match %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not say %q", err, tc.text)
			}
			if s.FaultsSent() != 1 {
				t.Errorf("%d faults sent, want 1", s.FaultsSent())
			}
			t.Logf("%v: %v", tc.fault, err)
		})
	}
}

// A command type no OpenWire version defines is skipped, as a newer broker's
// extra commands must be: the connection keeps working.
func TestBadInputUnknownCommandIsSkipped(t *testing.T) {
	s := start(t, fakebroker.Options{Fault: fakebroker.UnknownCommand, Stage: fakebroker.AtConnect})
	conn, err := openwire.Dial(t.Context(), s.URL(), config())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer conn.Close()
	consume(t, conn)
	if s.FaultsSent() != 1 || conn.Err() != nil {
		t.Fatalf("faults %d, conn err %v", s.FaultsSent(), conn.Err())
	}
}

// Faults on an established connection without failover end it: Done closes and Err
// says why.
func TestBadInputEstablishedConnectionFails(t *testing.T) {
	testEstablishedConnectionFails(t, 300*time.Millisecond)
}

// The same with the fault right behind the answer to ConnectionInfo: the link can die
// before Dial has installed it, and that must not be lost either.
func TestBadInputFaultRightAfterConnectIsNotLost(t *testing.T) {
	testEstablishedConnectionFails(t, 0)
}

func testEstablishedConnectionFails(t *testing.T, delay time.Duration) {
	for _, tc := range []struct {
		fault fakebroker.Fault
		is    error
	}{
		{fakebroker.Truncated, io.ErrUnexpectedEOF},
		{fakebroker.Oversized, openwire.ErrFrameTooLarge},
		{fakebroker.NegativeSize, openwire.ErrMalformed},
		{fakebroker.WrongType, openwire.ErrMalformed},
		{fakebroker.Random, nil},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			s := start(t, fakebroker.Options{Fault: tc.fault, Stage: fakebroker.AfterConnect, Seed: 11, Delay: delay})
			conn, err := openwire.Dial(t.Context(), s.URL(), config())
			if err != nil {
				// the fault can overtake the answer; then Dial reports it, also fine
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Fatalf("Dial: %v, want %v", err, tc.is)
				}
				return
			}
			defer conn.Close()
			select {
			case <-conn.Done():
			case <-time.After(5 * time.Second):
				_, serr := conn.NewSession(t.Context(), false)
				t.Fatalf("Done not closed 5 s after the fault (Err() = %v; NewSession: %v)", conn.Err(), serr)
			}
			if err := conn.Err(); err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("Err() = %v, want %v", err, tc.is)
			}
			if _, err := conn.NewSession(t.Context(), false); !errors.Is(err, openwire.ErrClosed) {
				t.Fatalf("NewSession on a failed connection: %v, want ErrClosed", err)
			}
		})
	}
}

// A size prefix far beyond MaxFrameSize is refused before anything is allocated for it.
func TestBadInputOversizedFrameAllocatesNothing(t *testing.T) {
	s := start(t, fakebroker.Options{Fault: fakebroker.Oversized, Stage: fakebroker.AtConnect})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := openwire.Dial(t.Context(), s.URL(), config())
	runtime.ReadMemStats(&after)
	if !errors.Is(err, openwire.ErrFrameTooLarge) {
		t.Fatalf("Dial: %v, want ErrFrameTooLarge", err)
	}
	// the frame claims 1 GiB; the client may allocate its buffers, never the frame
	if d := after.TotalAlloc - before.TotalAlloc; d > frameLimit {
		t.Fatalf("Dial allocated %d bytes for a refused 1 GiB frame (limit %d)", d, frameLimit)
	}
}

// The broker's own MaxFrameSize lowers the client's: a message between the two is
// dead-lettered as too large, and the connection stays.
func TestBadInputNegotiatedFrameLimit(t *testing.T) {
	s := start(t, fakebroker.Options{Fault: fakebroker.OversizedMessage, Stage: fakebroker.AfterConsumer, MaxFrameSize: 64 << 10})
	conn, err := openwire.Dial(t.Context(), s.URL(), config())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	k := consume(t, conn)
	cause := awaitPoison(t, s)
	if !strings.Contains(cause, "frame too large") || !strings.Contains(cause, "limit 65536") {
		t.Fatalf("poison cause %q does not name the broker's frame limit of 65536", cause)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if m, err := k.Receive(ctx); err != nil || m.Text != "hello" || conn.Err() != nil {
		t.Fatalf("next message %v %v, connection %v", m, err, conn.Err())
	}
}

func awaitPoison(t *testing.T, s *fakebroker.Server) string {
	t.Helper()
	checkfor.Within(t, 10*time.Second, func() error {
		if len(s.PoisonCauses()) == 0 {
			return errors.New("no poison ack")
		}
		return nil
	})
	return s.PoisonCauses()[0]
}

// A message over MaxFrameSize, or one holding a nested structure the client does
// not know, is dead-lettered with the cause; the connection stays up and the next
// message arrives.
func TestBadInputOneBadMessageFailsAlone(t *testing.T) {
	for fault, want := range map[fakebroker.Fault]string{
		fakebroker.OversizedMessage: fmt.Sprintf("limit %d (raise Config.MaxFrameSize)", frameLimit),
		fakebroker.UnknownNested:    "unsupported nested object type 5",
	} {
		t.Run(fault.String(), func(t *testing.T) {
			s := start(t, fakebroker.Options{Fault: fault, Stage: fakebroker.AfterConsumer})
			conn, err := openwire.Dial(t.Context(), s.URL(), config())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			k := consume(t, conn)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			m, err := k.Receive(ctx)
			if err != nil {
				t.Fatalf("the next message did not arrive: %v (connection: %v)", err, conn.Err())
			}
			if m.Text != "hello" {
				t.Fatalf("got %q, want the next message, hello", m.Text)
			}
			if c := awaitPoison(t, s); !strings.Contains(c, "cannot decode message") || !strings.Contains(c, want) {
				t.Fatalf("poison cause %q, want one containing %q", c, want)
			}
			if n := len(s.PoisonCauses()); n != 1 {
				t.Fatalf("%d poison acks, want 1", n)
			}
			if err := k.Ack(ctx, m); err != nil || conn.Err() != nil {
				t.Fatalf("ack: %v, connection: %v", err, conn.Err())
			}
		})
	}
}

// A message whose body cannot be decoded is not handed to the application and does
// not end the connection: the client dead-letters it with the cause.
func TestBadInputUndecodableBodyIsPoisoned(t *testing.T) {
	for _, fault := range []fakebroker.Fault{fakebroker.GarbageBody, fakebroker.GarbageCompressed, fakebroker.CompressedBomb} {
		t.Run(fault.String(), func(t *testing.T) {
			s := start(t, fakebroker.Options{Fault: fault, Stage: fakebroker.AfterConsumer})
			conn, err := openwire.Dial(t.Context(), s.URL(), config())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			k := consume(t, conn)
			checkfor.Within(t, 5*time.Second, func() error {
				if len(s.PoisonCauses()) == 0 {
					return errors.New("no poison ack for the undecodable message")
				}
				return nil
			})
			if c := s.PoisonCauses()[0]; !strings.Contains(c, "cannot decode message") {
				t.Fatalf("poison cause %q does not say the body was undecodable", c)
			}
			if m := k.TryReceive(); m != nil {
				t.Fatalf("undecodable message handed out: %+v", m)
			}
			if conn.Err() != nil {
				t.Fatalf("connection ended: %v", conn.Err())
			}
		})
	}
}

// With failover, a malformed frame drops the link and the client reconnects; its
// session and consumer are restored on the new link.
func TestBadInputFailoverReconnectsAfterMalformedFrame(t *testing.T) {
	// (Random is left out: its bytes usually read as a size prefix over the limit,
	// which ends the connection for good; TestFailoverGivesUpOnOversizedFrame.)
	for _, fault := range []fakebroker.Fault{fakebroker.Truncated, fakebroker.NegativeSize, fakebroker.WrongType} {
		t.Run(fault.String(), func(t *testing.T) {
			s := start(t, fakebroker.Options{Fault: fault, Stage: fakebroker.AfterConsumer, Times: 1, Seed: 3, Delay: 100 * time.Millisecond})
			var mu sync.Mutex
			var causes []error
			cfg := config()
			cfg.OnReconnect = func(err error) { mu.Lock(); causes = append(causes, err); mu.Unlock() }
			conn, err := openwire.Dial(t.Context(), "failover:("+s.URL()+")?initialReconnectDelay=10", cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			consume(t, conn)
			checkfor.Within(t, 10*time.Second, func() error {
				mu.Lock()
				defer mu.Unlock()
				if len(causes) == 0 {
					return fmt.Errorf("no reconnect (accepted %d, faults %d, err %v)", s.Accepted(), s.FaultsSent(), conn.Err())
				}
				return nil
			})
			if s.Accepted() != 2 {
				t.Fatalf("%d connections, want 2", s.Accepted())
			}
			mu.Lock()
			cause := causes[0]
			mu.Unlock()
			if !errors.Is(cause, openwire.ErrMalformed) && !errors.Is(cause, io.ErrUnexpectedEOF) && !errors.Is(cause, openwire.ErrFrameTooLarge) {
				t.Errorf("reconnect cause %v is not a framing error", cause)
			}
			// the restored connection works
			consume(t, conn)
			if conn.Err() != nil {
				t.Fatal(conn.Err())
			}
		})
	}
}

// A frame over the limit is not retried under failover: the broker would only send it
// again, so the connection fails for good with ErrFrameTooLarge.
func TestBadInputFailoverGivesUpOnOversizedFrame(t *testing.T) {
	s := start(t, fakebroker.Options{Fault: fakebroker.Oversized, Stage: fakebroker.AfterConnect, Delay: 300 * time.Millisecond})
	conn, err := openwire.Dial(t.Context(), "failover:("+s.URL()+")?initialReconnectDelay=10", config())
	if err != nil {
		if !errors.Is(err, openwire.ErrFrameTooLarge) {
			t.Fatal(err)
		}
		return
	}
	defer conn.Close()
	select {
	case <-conn.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("still connected")
	}
	if !errors.Is(conn.Err(), openwire.ErrFrameTooLarge) {
		t.Fatalf("Err() = %v", conn.Err())
	}
}

// failover:(fake,real) with the fake first: a fake that breaks every connection once
// it is established must not keep the client from the healthy broker.
func TestBadInputFailoverMovesOnToRealBroker(t *testing.T) {
	b := brokertest.Shared(t)
	for _, tc := range []struct {
		fault fakebroker.Fault
		stage fakebroker.Stage
		delay time.Duration
	}{
		{fakebroker.Truncated, fakebroker.AtConnect, 0},
		{fakebroker.Random, fakebroker.AtConnect, 0},
		{fakebroker.Truncated, fakebroker.AfterConsumer, 0},
		{fakebroker.WrongType, fakebroker.AfterConsumer, 0},
		{fakebroker.Truncated, fakebroker.AfterConsumer, 200 * time.Millisecond},
	} {
		t.Run(fmt.Sprintf("%v/stage%d/delay%v", tc.fault, tc.stage, tc.delay), func(t *testing.T) {
			s := start(t, fakebroker.Options{Fault: tc.fault, Stage: tc.stage, Seed: 5, Delay: tc.delay})
			cfg := config()
			cfg.User, cfg.Password = b.User, b.Password
			url := fmt.Sprintf("failover:(%s,%s)?randomize=false&initialReconnectDelay=10&maxReconnectDelay=100", s.URL(), b.URL)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			conn, err := openwire.Dial(ctx, url, cfg)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer conn.Close()
			queue := fmt.Sprintf("fakebroker.failover.%d", time.Now().UnixNano())
			// calls fail while the link moves (ErrStale, connection lost); once on the
			// real broker they go through
			var k *openwire.Consumer
			var p *openwire.Producer
			var m *openwire.Message
			checkfor.Within(t, 15*time.Second, func() error {
				sctx, scancel := context.WithTimeout(ctx, 2*time.Second)
				defer scancel()
				if k == nil {
					sess, err := conn.NewSession(sctx, false)
					if err != nil {
						return fmt.Errorf("session: %w (fake accepted %d connections)", err, s.Accepted())
					}
					if k, err = sess.NewConsumer(sctx, queue, openwire.ConsumerOptions{Prefetch: 10}); err != nil {
						return fmt.Errorf("consumer: %w (fake accepted %d connections)", err, s.Accepted())
					}
					if p, err = sess.NewProducer(sctx); err != nil {
						k = nil
						return fmt.Errorf("producer: %w (fake accepted %d connections)", err, s.Accepted())
					}
				}
				if err := p.Send(sctx, openwire.Queue(queue), &openwire.Message{Kind: openwire.KindText, Text: "via failover"}); err != nil {
					return fmt.Errorf("send: %w (fake accepted %d connections)", err, s.Accepted())
				}
				var err error
				if m, err = k.Receive(sctx); err != nil {
					return fmt.Errorf("receive: %w (fake accepted %d connections)", err, s.Accepted())
				}
				return nil
			})
			if m.Text != "via failover" {
				t.Fatalf("got %q", m.Text)
			}
			if err := k.Ack(ctx, m); err != nil {
				t.Fatal(err)
			}
			if s.Accepted() == 0 {
				t.Fatal("the fake was never tried: the test proves nothing")
			}
			t.Logf("fake accepted %d connections before the client settled on the real broker", s.Accepted())
		})
	}
}

// A compressed body that inflates far beyond MaxFrameSize is refused while inflating:
// the client allocates about the limit, not the 32 MiB the bomb holds.
func TestBadInputCompressedBombIsBounded(t *testing.T) {
	s := start(t, fakebroker.Options{Fault: fakebroker.CompressedBomb, Stage: fakebroker.AfterConsumer})
	conn, err := openwire.Dial(t.Context(), s.URL(), config())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	consume(t, conn)
	checkfor.Within(t, 10*time.Second, func() error {
		if len(s.PoisonCauses()) == 0 {
			return errors.New("no poison ack for the bomb")
		}
		return nil
	})
	runtime.ReadMemStats(&after)
	if c := s.PoisonCauses()[0]; !strings.Contains(c, "exceeds 1048576 bytes") {
		t.Errorf("poison cause %q does not give the limit", c)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
		t.Fatalf("%d bytes allocated while refusing a 32 MiB bomb (limit %d)", d, frameLimit)
	}
}

// A broker that announces an OpenWire version before 12 is refused with a clear
// error; 12 and later (negotiated down to 12) are accepted.
func TestVersionCheck(t *testing.T) {
	for _, tc := range []struct {
		version int32
		ok      bool
	}{{12, true}, {13, true}, {11, false}, {9, false}, {1, false}} {
		srv, err := fakebroker.Start(fakebroker.Options{Version: tc.version})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, err := openwire.Dial(ctx, srv.URL(), openwire.Config{})
		cancel()
		switch {
		case tc.ok && err != nil:
			t.Errorf("version %d: %v", tc.version, err)
		case !tc.ok && (!errors.Is(err, openwire.ErrUnsupportedVersion) || !strings.Contains(err.Error(), fmt.Sprintf("speaks OpenWire version %d", tc.version))):
			t.Errorf("version %d: %v, want ErrUnsupportedVersion naming the version", tc.version, err)
		}
		if conn != nil {
			conn.Close()
		}
		srv.Close()
	}
}
