package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/cluster"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/pgtest"
	"github.com/mqtrigger/mqtrigger/store"
)

// flakyStore fails every renewal while cut is set, as a lost database would.
type flakyStore struct {
	cluster.Store
	cut atomic.Bool
}

func (s *flakyStore) Renew(ctx context.Context, id string, lease time.Duration) (bool, error) {
	if s.cut.Load() {
		return false, errors.New("connection refused")
	}
	return s.Store.Renew(ctx, id, lease)
}

// handler records what a Node asks of its supervisor.
type handler struct {
	mu       sync.Mutex
	fencedAt time.Time
	fences   int
	unfences int
	resyncs  atomic.Int32
}

func (h *handler) MappingChanged(string)  {}
func (h *handler) SecretChanged(string)   {}
func (h *handler) FunctionChanged(string) {}
func (h *handler) Resync()                { h.resyncs.Add(1) }
func (h *handler) Fence() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fences++
	h.fencedAt = time.Now()
}
func (h *handler) Unfence() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unfences++
}

func openCluster(t *testing.T, url string) (store.Store, cluster.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, st.(cluster.Store)
}

func runNode(t *testing.T, cs cluster.Store, name string, lease time.Duration, h cluster.Handler) *cluster.Node {
	t.Helper()
	n, err := cluster.New(cluster.Options{Store: cs, Name: name, Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Join(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx, h) }()
	t.Cleanup(func() { cancel(); <-done })
	return n
}

// Nodes in one process: their shares of a mapping add up to its concurrency and
// never more; a node whose renewals fail fences itself before its lease ends,
// after which the other takes its slots; when renewals work again it joins
// afresh and takes its share back.
func TestNodesAssignAndFence(t *testing.T) {
	t.Parallel()
	const lease = 3 * time.Second
	url := pgtest.Schema(t)
	st, csA := openCluster(t, url)
	_, csB := openCluster(t, url)
	flaky := &flakyStore{Store: csB}
	ha, hb := &handler{}, &handler{}
	a := runNode(t, csA, "a", lease, ha)
	b := runNode(t, flaky, "b", lease, hb)

	m := &esm.Mapping{UUID: "m", Config: esm.Config{FunctionName: "f", EventSourceArn: "arn", Queues: []string{"q"},
		Enabled: true, BatchSize: 1, ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 5}}, State: esm.StateEnabled}
	if err := st.CreateMapping(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	noShrink := func(int) {}
	assign := func(n *cluster.Node) int {
		held, err := n.Assign(ctx, m, noShrink)
		if err != nil {
			t.Fatal(err)
		}
		return held
	}
	checkfor.Within(t, 10*time.Second, func() error {
		ga, gb := assign(a), assign(b)
		if ga+gb != 5 || ga == 0 || gb == 0 {
			return fmt.Errorf("a holds %d, b %d: want 5 shared", ga, gb)
		}
		return nil
	})

	flaky.cut.Store(true)
	cut := time.Now()
	checkfor.Within(t, 2*lease, func() error {
		if !b.Fenced() {
			return errors.New("b not fenced")
		}
		return nil
	})
	hb.mu.Lock()
	fencedAfter := hb.fencedAt.Sub(cut)
	hb.mu.Unlock()
	if fencedAfter >= lease {
		t.Fatalf("b fenced %v after its renewals began to fail, not before its %v lease ended", fencedAfter, lease)
	}
	if held := assign(b); held != 0 {
		t.Fatalf("a fenced node holds %d slots", held)
	}
	checkfor.Within(t, 3*lease, func() error {
		if got := assign(a); got != 5 {
			return fmt.Errorf("a holds %d of 5", got)
		}
		return nil
	})
	if took := time.Since(cut); took < lease-lease/5 {
		t.Fatalf("a took b's slots %v after b's last chance to renew: before b's lease could end", took)
	}

	flaky.cut.Store(false)
	checkfor.Within(t, 3*lease, func() error {
		if b.Fenced() {
			return errors.New("b still fenced")
		}
		// a gives back what is beyond its share, b claims its own.
		ga, gb := assign(a), assign(b)
		if ga+gb != 5 || gb == 0 {
			return fmt.Errorf("a holds %d, b %d", ga, gb)
		}
		return nil
	})
	hb.mu.Lock()
	defer hb.mu.Unlock()
	if hb.fences != 1 || hb.unfences != 1 {
		t.Fatalf("b was fenced %d times and unfenced %d", hb.fences, hb.unfences)
	}
	if ha.fences != 0 {
		t.Fatalf("a was fenced")
	}
}
