package openwire

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
)

// fakeBroker completes the WireFormatInfo exchange, answers every request with a
// Response, optionally asks for one keep-alive, and otherwise stays silent: the
// fault a real broker does not produce on demand.
type fakeBroker struct {
	ln         net.Listener
	keepAlives atomic.Int32 // KeepAliveInfo frames the client sent
	echoed     atomic.Bool  // the client answered our responseRequired KeepAliveInfo
}

func startFakeBroker(t *testing.T, inactivityMillis int64, askKeepAlive bool) *fakeBroker {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeBroker{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		if _, err := readFrame(br, nil, 1<<20); err != nil { // client WireFormatInfo
			return
		}
		var e encoder
		e.wireFormatInfo(wireFormat{version: 12, props: map[string]any{"MaxInactivityDuration": inactivityMillis, "CacheEnabled": true}})
		nc.Write(e.b)
		for {
			fr, err := readFrame(br, nil, 1<<20)
			if err != nil {
				return
			}
			if fr[0] == typeKeepAliveInfo {
				f.keepAlives.Add(1)
				f.echoed.Store(true)
				continue
			}
			if len(fr) >= 6 && fr[5] != 0 {
				var r encoder
				start := r.beginFrame(typeResponse)
				r.command(0, false)
				r.int32(int32(binary.BigEndian.Uint32(fr[1:5])))
				r.endFrame(start)
				if fr[0] == typeConnectionInfo && askKeepAlive {
					start = r.beginFrame(typeKeepAliveInfo)
					r.command(0, true)
					r.endFrame(start)
				}
				nc.Write(r.b)
			}
		}
	}()
	return f
}

func TestInactiveBrokerIsDetected(t *testing.T) {
	f := startFakeBroker(t, 60000, true)
	ctx := testCtx(t, 20*time.Second)
	start := time.Now()
	c, err := Dial(ctx, "tcp://"+f.ln.Addr().String(), Config{MaxInactivityDuration: 600 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.NewSession(ctx, false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("silent broker not noticed")
	}
	if !errors.Is(c.Err(), ErrInactive) {
		t.Fatalf("Err = %v, want ErrInactive", c.Err())
	}
	if d := time.Since(start); d < 600*time.Millisecond || d > 5*time.Second {
		t.Errorf("noticed after %v, negotiated 600ms", d)
	}
	if !f.echoed.Load() {
		t.Error("the client did not answer a KeepAliveInfo that required a response")
	}
}

func TestClientSendsKeepAlives(t *testing.T) {
	f := startFakeBroker(t, 300, false) // the broker's shorter duration wins
	ctx := testCtx(t, 20*time.Second)
	c, err := Dial(ctx, "tcp://"+f.ln.Addr().String(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkfor.Within(t, 5*time.Second, func() error {
		if f.keepAlives.Load() < 2 {
			return errors.New("fewer than 2 keep-alives")
		}
		return nil
	})
	<-c.Done() // and it still drops the silent broker
	if !errors.Is(c.Err(), ErrInactive) {
		t.Fatalf("Err = %v", c.Err())
	}
}

func TestInactivityDisabled(t *testing.T) {
	f := startFakeBroker(t, 300, false)
	c, err := Dial(testCtx(t, 10*time.Second), "tcp://"+f.ln.Addr().String(), Config{MaxInactivityDuration: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	select {
	case <-c.Done():
		t.Fatalf("connection dropped with monitoring disabled: %v", c.Err())
	case <-ctx.Done():
	}
}
