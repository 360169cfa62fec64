package openwire

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/bufpool"
	"github.com/mqtrigger/mqtrigger/internal/jms"
)

// TestConsumeBenchmark compares this client with ActiveMQ's Java client on the
// same broker: each consumes OPENWIRE_BENCH_COUNT (default 100000) 1 KB
// messages, persistent and non-persistent, prefetch 1000, in a transaction
// committed every 100 messages; this client does so in both wire encodings.
// Run it with
//
//	OPENWIRE_BENCH=1 go test -run TestConsumeBenchmark -v -timeout 30m ./openwire
//
// OPENWIRE_BENCH_ROUNDS=3 repeats each measurement and reports the median.
func TestConsumeBenchmark(t *testing.T) {
	if os.Getenv("OPENWIRE_BENCH") == "" {
		t.Skip("set OPENWIRE_BENCH=1 to run the Go vs Java consume benchmark")
	}
	count := 100000
	if n, err := strconv.Atoi(os.Getenv("OPENWIRE_BENCH_COUNT")); err == nil && n > 0 {
		count = n
	}
	rounds := 1
	if n, err := strconv.Atoi(os.Getenv("OPENWIRE_BENCH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	b := brokertest.Shared(t)
	tool := jms.New(t)
	ctx := testCtx(t, 60*time.Minute)
	type row struct {
		mode                       string
		tightRate, looseRate, java float64
		allocs, allocByte          float64
	}
	var rows []row
	for _, persistent := range []bool{false, true} {
		mode := "non-persistent"
		if persistent {
			mode = "persistent"
		}
		fill := func(q string) {
			t.Helper()
			if err := tool.Produce(ctx, jms.ProduceOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
				Count: count, Size: 1024, Persistent: persistent}); err != nil {
				t.Fatal(err)
			}
		}
		var tightRates, looseRates, javaRates []float64
		var allocs, allocBytes float64
		runJava := func() {
			q := newQueue(t)
			fill(q)
			res, err := tool.Bench(ctx, jms.BenchOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q,
				Count: count, Prefetch: 1000, Transacted: true, AckEvery: 100})
			if err != nil {
				t.Fatal(err)
			}
			javaRates = append(javaRates, res.PerSecond)
		}
		runGo := func(tight bool) {
			q := newQueue(t)
			fill(q)
			r, a, ab := consumeGo(t, ctx, q, count, tight)
			if tight {
				tightRates, allocs, allocBytes = append(tightRates, r), a, ab
			} else {
				looseRates = append(looseRates, r)
			}
		}
		// the three take turns, each round starting with another, so none always
		// gets the warmed-up broker
		order := []func(){func() { runGo(true) }, func() { runGo(false) }, runJava}
		for i := 0; i < rounds; i++ {
			for j := range order {
				order[(i+j)%len(order)]()
			}
		}
		t.Logf("%s rounds: Go tight %.0f, Go loose %.0f, Java %.0f msg/s", mode, tightRates, looseRates, javaRates)
		rows = append(rows, row{mode, median(tightRates), median(looseRates), median(javaRates), allocs, allocBytes})
	}
	t.Logf("consume %d x 1 KB, prefetch 1000, transacted, commit every 100; median of %d rounds", count, rounds)
	t.Logf("%-15s %14s %14s %12s %7s %14s %14s", "mode", "Go tight msg/s", "Go loose msg/s", "Java msg/s", "Go/Java", "Go allocs/msg", "Go bytes/msg")
	for _, r := range rows {
		t.Logf("%-15s %14.0f %14.0f %12.0f %7.2f %14.1f %14.0f", r.mode, r.tightRate, r.looseRate, r.java, r.tightRate/r.java, r.allocs, r.allocByte)
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// consumeGo consumes count messages the way the Java benchmark does and returns
// messages per second plus heap allocations (count and bytes) per message.
func consumeGo(t *testing.T, ctx context.Context, q string, count int, tight bool) (rate, allocs, allocBytes float64) {
	c := dialEncoding(t, Config{}, tight)
	defer c.Close()
	s, err := c.NewSession(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.NewConsumer(ctx, q, ConsumerOptions{Prefetch: 1000})
	if err != nil {
		t.Fatal(err)
	}
	batch := make([]*Message, 0, 100)
	var ms0, ms1 runtime.MemStats
	var start time.Time
	for i := 0; i < count; i++ {
		m, err := k.Receive(ctx)
		if err != nil {
			t.Fatalf("Go consumer after %d messages: %v", i, err)
		}
		if i == 0 {
			runtime.ReadMemStats(&ms0)
			start = time.Now()
		}
		batch = append(batch, m)
		if len(batch) == cap(batch) || i == count-1 {
			if err := k.Ack(ctx, batch...); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms1)
	n := float64(count - 1)
	return n / elapsed.Seconds(), float64(ms1.Mallocs-ms0.Mallocs) / n, float64(ms1.TotalAlloc-ms0.TotalAlloc) / n
}

// BenchmarkDecodeDispatch measures decoding one 1 KB bytes message with
// properties, in each encoding.
func BenchmarkDecodeDispatch(b *testing.B) {
	for _, enc := range encodings {
		b.Run(enc.name, func(b *testing.B) {
			m := &Message{Kind: KindBytes, Body: make([]byte, 1024), Destination: Queue("bench"), Persistent: true,
				Properties: map[string]any{"seq": int64(1)}}
			wire := dispatchFrameAs(m, 0, enc.tight)[4:]
			intern := map[string]string{}
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			for b.Loop() {
				buf := make([]byte, len(wire)) // the reader's per-frame buffer
				copy(buf, wire)
				if _, err := decodeFrame(buf, enc.tight, 1<<20, intern); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadLargeFrames reads 64 KB message frames from a loopback TCP socket,
// as the link does, into a fresh buffer each (as before frames were recycled) and
// into recycled ones (bufpool). cpu-ns/op is the process's CPU per frame, the
// writer's included; the collector's work for fresh buffers counts there too.
//
//	go test -run '^$' -bench ReadLargeFrames -count 3 ./openwire
func BenchmarkReadLargeFrames(b *testing.B) {
	m := &Message{Kind: KindBytes, Body: make([]byte, 64<<10), Destination: Queue("bench")}
	wire := dispatchFrame(m, 0)
	burst := bytes.Repeat(wire, 64)
	for _, pooled := range []bool{false, true} {
		name := "fresh"
		if pooled {
			name = "recycled"
		}
		b.Run(name, func(b *testing.B) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				for {
					if _, err := c.Write(burst); err != nil {
						return
					}
				}
			}()
			nc, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			br := bufio.NewReaderSize(nc, 64<<10)
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				var buf []byte
				if pooled {
					hdr, err := br.Peek(4)
					if err != nil {
						b.Fatal(err)
					}
					buf = bufpool.Get(frameSize(hdr))
				}
				f, err := readFrame(br, buf, 1<<20)
				if err != nil || len(f) != len(wire)-4 {
					b.Fatalf("frame of %d bytes: %v", len(f), err)
				}
				if pooled {
					bufpool.Put(f)
				}
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the CPU time this process has used, user and system, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
