package function

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
)

// BenchmarkInvoke measures the per-invocation cost of a no-op aws-lambda-go
// function through the Runtime API, with 1 and 8 warm environments, beside a
// direct HTTP round trip to an equivalent no-op server (which decodes the same
// event and answers the same JSON) measured in the same run, and the same handler
// served over HTTP from its own process and invoked as an HTTP function (the cost
// of crossing a process boundary, which a runtime pays too).
//
//	go test -run '^$' -bench Invoke -benchtime 5000x ./function
func BenchmarkInvoke(b *testing.B) {
	// The same handler as an HTTP server in its own process, for a cross-process
	// baseline.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	server := exec.Command(handlerBinary(b))
	server.Env = append(os.Environ(), "SERVE_HTTP="+addr)
	if err := server.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { server.Process.Kill(); server.Wait() }()
	checkfor.Within(b, 5*time.Second, func() error {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	})

	reg, err := NewRegistry(RegistryOptions{
		DataDir: b.TempDir(),
		Logger:  slog.New(slog.DiscardHandler),
		Configured: []Spec{
			{Name: "noop", Command: []string{handlerBinary(b)}},
			{Name: "noop-http", URL: "http://" + addr + "/"},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer reg.Close()
	reg.Reserve("noop", 8)
	ctx := context.Background()
	event := []byte(`{"eventSource":"aws:mq","eventSourceArn":"arn:aws:mq:us-east-1:123456789012:broker:b:b-1","messages":[]}`)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev events.ActiveMQEvent
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &ev)
		resp, _ := json.Marshal(map[string]any{"pid": 1, "eventSource": ev.EventSource, "messages": len(ev.Messages)})
		w.Header().Set("Content-Type", "application/json")
		w.Write(resp)
	}))
	defer srv.Close()
	client := &http.Client{Transport: newHTTPTransport()}
	direct := func() error {
		resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(event))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return err
	}
	viaRuntime := func() error {
		res, err := reg.Invoke(ctx, "noop", event)
		if err == nil && res.FunctionError != "" {
			b.Fatalf("no-op function failed: %s", res.Payload)
		}
		return err
	}
	viaHTTPFunction := func() error {
		res, err := reg.Invoke(ctx, "noop-http", event)
		if err == nil && res.FunctionError != "" {
			b.Fatalf("no-op HTTP function failed: %s", res.Payload)
		}
		return err
	}
	// Warm 8 environments.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { viaRuntime() })
	}
	wg.Wait()

	for _, c := range []struct {
		name    string
		workers int
		call    func() error
	}{
		{"runtime-api/envs=1", 1, viaRuntime},
		{"runtime-api/envs=8", 8, viaRuntime},
		{"direct-http/conns=1", 1, direct},
		{"direct-http/conns=8", 8, direct},
		{"http-function-other-process/conns=1", 1, viaHTTPFunction},
		{"http-function-other-process/conns=8", 8, viaHTTPFunction},
	} {
		b.Run(c.name, func(b *testing.B) {
			lat := make([][]time.Duration, c.workers)
			cpu0 := cpuTime()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range c.workers {
				n := b.N / c.workers
				if w < b.N%c.workers {
					n++
				}
				wg.Go(func() {
					l := make([]time.Duration, 0, n)
					for range n {
						t0 := time.Now()
						if err := c.call(); err != nil {
							b.Error(err)
							return
						}
						l = append(l, time.Since(t0))
					}
					lat[w] = l
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			cpu := cpuTime() - cpu0
			all := slices.Concat(lat...)
			slices.Sort(all)
			if len(all) == 0 {
				return
			}
			pct := func(p float64) float64 { return float64(all[int(float64(len(all)-1)*p)].Microseconds()) }
			b.ReportMetric(pct(0.50), "p50-µs")
			b.ReportMetric(pct(0.99), "p99-µs")
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "inv/s")
			// CPU this process spent per invocation (the function's own process excluded).
			b.ReportMetric(float64(cpu.Microseconds())/float64(len(all)), "cpu-µs/inv")
		})
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLargeEventPOST sends a 6 MB event (the largest a batch makes) to an
// HTTP function that reads and discards it, the way HTTP functions are invoked
// (newEventRequest on newHTTPTransport, one Write for the body), beside net/http's
// own way measured in the same run (a bytes.Reader body, which it copies through
// a 32 KB buffer). Both arms include the in-process server's reading, so the
// difference in cpu-ms/event is the client's.
//
//	go test -run '^$' -bench LargeEventPOST -benchtime 200x -count 3 ./function
func BenchmarkLargeEventPOST(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	payload := bytes.Repeat([]byte(`{"data":"QUJDREVGR0hJSktMTU5PUA=="},`), 6<<20/36)
	plain := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	ours := &http.Client{Transport: newHTTPTransport()}
	defer plain.CloseIdleConnections()
	defer ours.CloseIdleConnections()
	for _, c := range []struct {
		name   string
		client *http.Client
		req    func() (*http.Request, error)
	}{
		{"net-http-bytes-reader", plain, func() (*http.Request, error) {
			return http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payload))
		}},
		{"event-request-one-write", ours, func() (*http.Request, error) {
			return newEventRequest(context.Background(), srv.URL, payload, nil)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			cpu0 := cpuTime()
			for b.Loop() {
				req, err := c.req()
				if err != nil {
					b.Fatal(err)
				}
				resp, err := c.client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/event")
		})
	}
}
