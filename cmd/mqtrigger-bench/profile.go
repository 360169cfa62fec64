package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sync"
)

// Profiles are taken only with -profile DIR and only if mqtrigger serves
// net/http/pprof on its listen address; otherwise these do nothing.

// profileCPU starts fetching a CPU profile sized to cover a throughput row (its
// expected length from the Java reference's rate, at most 30 s). The returned
// func waits for it.
func (b *bench) profileCPU(ctx context.Context, name string, count int, ref float64) func() {
	if !b.pprof {
		return func() {}
	}
	secs := 10
	if ref > 0 {
		secs = int(math.Ceil(float64(count)/ref*1.5)) + 1
	}
	secs = min(max(secs, 1), 30)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", b.svc.Base, secs)
		if err := fetchTo(ctx, url, filepath.Join(b.opts.ProfileDir, b.cur.Label+"-"+name+".cpu.pb.gz")); err != nil {
			b.progress("CPU profile %s: %v", name, err)
		}
	}()
	return wg.Wait
}

func (b *bench) profileHeap(ctx context.Context, name string) {
	if b.pprof {
		b.profileHeapOf(ctx, b.svc, b.cur.Label+"-"+name)
	}
}

func (b *bench) profileHeapOf(ctx context.Context, svc *service, name string) {
	if b.opts.ProfileDir == "" || !svc.HasPprof(ctx) {
		return
	}
	if err := fetchTo(ctx, svc.Base+"/debug/pprof/heap", filepath.Join(b.opts.ProfileDir, name+".heap.pb.gz")); err != nil {
		b.progress("heap profile %s: %v", name, err)
	}
}

func fetchTo(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
