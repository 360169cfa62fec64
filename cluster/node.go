package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mqtrigger/mqtrigger/esm"
)

// DefaultLease is how long a member's lease lasts after its last renewal.
const DefaultLease = 15 * time.Second

// Handler is what a Node drives: the supervisor of the node's mappings
// (*esm.Supervisor is one).
type Handler interface {
	// MappingChanged: a mapping was written, by any node, or its slots were freed.
	MappingChanged(uuid string)
	// SecretChanged: a secret was written, by any node.
	SecretChanged(arn string)
	// FunctionChanged: a function was written, by any node.
	FunctionChanged(name string)
	// Resync compares every mapping with what runs: membership changed, or
	// notifications may have been missed.
	Resync()
	// Fence stops every consumer at once, abandoning the invocations in flight,
	// and starts none until Unfence: the node's lease can no longer be trusted.
	// It returns once they are stopped.
	Fence()
	Unfence()
}

// Options configure a Node. Store is required.
type Options struct {
	Store   Store
	Name    string // shown in status; default: the host name
	Address string // the node's API address, shown in status
	// Lease is how long a member's slots stay its own after its last renewal
	// (DefaultLease). The node renews every Lease/5 and fences itself, stopping
	// every consumer, when Lease*2/3 has passed since the start of its last
	// successful renewal: before any other node may take its slots.
	Lease      time.Duration
	Logger     *slog.Logger
	Registerer prometheus.Registerer // nil: metrics are not registered
}

// Node is this process as a member of the cluster: it keeps its lease, follows
// the membership and the store's change notifications, and assigns the node its
// share of each mapping's concurrency slots (it is the supervisor's
// esm.Assigner).
type Node struct {
	opts       Options
	log        *slog.Logger
	renewEvery time.Duration
	fenceAfter time.Duration

	mu        sync.Mutex
	id        string
	members   []string  // live member ids, ordered
	lastRenew time.Time // start of the last successful renewal (monotonic)
	fenced    bool
	held      map[string]int // mapping UUID -> slots this node holds
	handler   Handler

	slotsGauge *prometheus.GaugeVec
}

var _ esm.Assigner = (*Node)(nil)

// New returns a Node; Join makes it a member.
func New(opts Options) (*Node, error) {
	if opts.Store == nil {
		return nil, errors.New("cluster: no store")
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	n := &Node{
		opts:       opts,
		log:        opts.Logger.With("component", "cluster"),
		renewEvery: opts.Lease / 5,
		fenceAfter: opts.Lease * 2 / 3,
		held:       make(map[string]int),
		slotsGauge: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mqtrigger_cluster_slots",
			Help: "Concurrency slots of the mapping this node holds."}, []string{"mapping"}),
	}
	if r := opts.Registerer; r != nil {
		r.MustRegister(n.slotsGauge,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mqtrigger_cluster_members",
				Help: "Live members of the cluster, as this node last read them."},
				func() float64 { n.mu.Lock(); defer n.mu.Unlock(); return float64(len(n.members)) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mqtrigger_cluster_fenced",
				Help: "1 while this node has stopped consuming because it could not renew its lease."},
				func() float64 {
					if n.Fenced() {
						return 1
					}
					return 0
				}))
	}
	return n, nil
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Join makes the node a member under a new id.
func (n *Node) Join(ctx context.Context) error {
	id := newID()
	start := time.Now()
	if err := n.opts.Store.Join(ctx, Member{ID: id, Name: n.opts.Name, Address: n.opts.Address}, n.opts.Lease); err != nil {
		return err
	}
	n.mu.Lock()
	n.id, n.lastRenew = id, start
	n.mu.Unlock()
	n.log.Info("joined the cluster", "node", n.opts.Name, "id", id, "lease", n.opts.Lease)
	_, err := n.refreshMembers(ctx)
	return err
}

// ID is the node's member id (new at each join).
func (n *Node) ID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.id
}

// Fenced reports whether the node has stopped consuming for want of a lease.
func (n *Node) Fenced() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.fenced
}

// Run keeps the lease and follows the cluster until ctx ends, then leaves it. h
// must already have stopped its consumers when ctx ends: leaving frees the
// node's slots for the others at once.
func (n *Node) Run(ctx context.Context, h Handler) error {
	n.mu.Lock()
	n.handler = h
	n.mu.Unlock()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(2)
	go func() { defer wg.Done(); n.watchdog(ctx) }()
	go func() { defer wg.Done(); n.listen(ctx) }()

	tick := time.NewTicker(n.renewEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := n.opts.Store.Leave(lctx, n.ID()); err != nil {
				n.log.Warn("leaving the cluster failed; the others take the slots when the lease ends", "err", err)
			} else {
				n.log.Info("left the cluster", "id", n.ID())
			}
			return nil
		case <-tick.C:
			n.beat(ctx)
		}
	}
}

// beat renews the lease, removes members whose lease ended, and reads the
// membership.
func (n *Node) beat(ctx context.Context) {
	h := n.handler
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, n.renewEvery)
	ok, err := n.opts.Store.Renew(rctx, n.ID(), n.opts.Lease)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("renewing the cluster lease failed", "err", err, "fences_in", n.fenceAfter-time.Since(n.lastRenewed()))
		}
		return
	}
	if !ok {
		// The lease ended (this node was cut off longer than the lease): its slots
		// may belong to others now. Stop everything, then join afresh.
		n.fence("the lease ended before it could be renewed")
		old := n.ID()
		lctx, cancel := context.WithTimeout(ctx, n.renewEvery)
		_ = n.opts.Store.Leave(lctx, old)
		err := n.Join(lctx)
		cancel()
		if err != nil {
			n.log.Warn("joining the cluster again failed", "err", err)
			return
		}
		n.unfence()
		return
	}
	n.mu.Lock()
	n.lastRenew = start
	wasFenced := n.fenced
	n.mu.Unlock()
	if wasFenced {
		n.unfence()
	}
	ectx, cancel := context.WithTimeout(ctx, n.renewEvery)
	defer cancel()
	if removed, err := n.opts.Store.Expire(ectx); err != nil {
		n.log.Warn("removing expired cluster members failed", "err", err)
	} else if removed > 0 {
		n.log.Info("removed cluster members whose lease ended; taking over their slots", "count", removed)
	}
	if changed, err := n.refreshMembers(ectx); err == nil && changed {
		h.Resync()
	}
}

func (n *Node) lastRenewed() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lastRenew
}

// refreshMembers reads the live members and reports whether they changed.
func (n *Node) refreshMembers(ctx context.Context) (bool, error) {
	all, err := n.opts.Store.Members(ctx)
	if err != nil {
		n.log.Warn("reading the cluster members failed", "err", err)
		return false, err
	}
	var live []string
	for _, m := range all {
		if m.Live {
			live = append(live, m.ID)
		}
	}
	n.mu.Lock()
	changed := !slices.Equal(live, n.members)
	n.members = live
	n.mu.Unlock()
	if changed {
		n.log.Info("cluster membership", "members", len(live), "ids", strings.Join(live, ","))
	}
	return changed, nil
}

// watchdog fences the node once fenceAfter has passed since the start of its last
// successful renewal. The lease, written by the database at the end of that
// renewal, runs at least Lease from its start: fencing at Lease*2/3 leaves a
// third of the lease for the consumers to stop.
func (n *Node) watchdog(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n.mu.Lock()
		late := !n.fenced && time.Since(n.lastRenew) > n.fenceAfter
		n.mu.Unlock()
		if late {
			n.fence(fmt.Sprintf("no lease renewal for %v", n.fenceAfter))
		}
	}
}

func (n *Node) fence(why string) {
	n.mu.Lock()
	if n.fenced {
		n.mu.Unlock()
		return
	}
	n.fenced = true
	h := n.handler
	n.mu.Unlock()
	start := time.Now()
	n.log.Error("fencing: stopping every consumer until the lease is renewed", "why", why)
	if h != nil {
		h.Fence()
	}
	n.mu.Lock()
	for uuid := range n.held {
		n.slotsGauge.DeleteLabelValues(uuid)
	}
	clear(n.held)
	n.mu.Unlock()
	n.log.Warn("fenced: every consumer stopped", "took", time.Since(start))
}

func (n *Node) unfence() {
	n.mu.Lock()
	n.fenced = false
	h := n.handler
	n.mu.Unlock()
	n.log.Info("lease renewed: consuming again")
	if h != nil {
		h.Unfence()
	}
}

// listen follows the store's notifications, connecting again after a failure;
// each (re)connection asks for a resync, since notifications sent while it was
// away are lost (polling by the supervisor catches them too).
func (n *Node) listen(ctx context.Context) {
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := n.opts.Store.Listen(ctx, func() {
			delay = 100 * time.Millisecond
			n.handler.Resync()
		}, n.dispatch)
		if ctx.Err() != nil {
			return
		}
		n.log.Warn("listening for changes failed; polling meanwhile", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

func (n *Node) dispatch(payload string) {
	kind, key, _ := strings.Cut(payload, ":")
	h := n.handler
	switch kind {
	case "mappings", "slots":
		h.MappingChanged(key)
	case "secrets":
		h.SecretChanged(key)
	case "functions":
		h.FunctionChanged(key)
	case "nodes":
		ctx, cancel := context.WithTimeout(context.Background(), n.renewEvery)
		defer cancel()
		if changed, err := n.refreshMembers(ctx); err == nil && changed {
			h.Resync()
		}
	}
}

// Assign brings this node's slots of m toward its share (Share over the live
// members): slots beyond it are given back once shrink has brought the mapping's
// workers down to the slots kept, and free slots are claimed up to it. It returns
// the slots the node holds. A fenced node holds none.
func (n *Node) Assign(ctx context.Context, m *esm.Mapping, shrink func(keep int)) (int, error) {
	n.mu.Lock()
	id, fenced, members := n.id, n.fenced, n.members
	n.mu.Unlock()
	if fenced {
		shrink(0)
		return 0, nil
	}
	concurrency := m.MaximumConcurrency()
	target := Share(m.UUID, concurrency, members, id)
	all, err := n.opts.Store.Slots(ctx, m.UUID)
	if err != nil {
		return 0, err
	}
	var mine []int
	for _, s := range all {
		if s.NodeID == id {
			mine = append(mine, s.Slot)
		}
	}
	sort.Ints(mine)
	// Keep the lowest slots below concurrency, up to the share.
	keep := 0
	for keep < len(mine) && keep < target && mine[keep] < concurrency {
		keep++
	}
	if drop := mine[keep:]; len(drop) > 0 {
		shrink(keep)
		if _, err := n.opts.Store.ReleaseSlots(ctx, m.UUID, id, drop); err != nil {
			n.setHeld(m.UUID, len(mine))
			return keep, err
		}
	}
	held := keep
	if held < target {
		got, err := n.opts.Store.ClaimSlots(ctx, m.UUID, id, concurrency, target-held)
		if err != nil {
			n.setHeld(m.UUID, held)
			return held, err
		}
		held += len(got)
	}
	n.setHeld(m.UUID, held)
	return held, nil
}

// Release gives back every slot this node holds of the mapping (its consumers
// have stopped) and reports whether other nodes still hold some.
func (n *Node) Release(ctx context.Context, uuid string) (bool, error) {
	others, err := n.opts.Store.ReleaseSlots(ctx, uuid, n.ID(), nil)
	if err != nil {
		return true, err
	}
	n.setHeld(uuid, 0)
	return others > 0, nil
}

func (n *Node) setHeld(uuid string, count int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if count == 0 {
		delete(n.held, uuid)
		n.slotsGauge.DeleteLabelValues(uuid)
		return
	}
	n.held[uuid] = count
	n.slotsGauge.WithLabelValues(uuid).Set(float64(count))
}

// Health writes the node's membership and the slots it runs, for /healthz.
func (n *Node) Health(w io.Writer) {
	n.mu.Lock()
	defer n.mu.Unlock()
	fmt.Fprintf(w, "cluster node %s id %s members %d fenced %t\n", n.opts.Name, n.id, len(n.members), n.fenced)
	uuids := make([]string, 0, len(n.held))
	for uuid := range n.held {
		uuids = append(uuids, uuid)
	}
	sort.Strings(uuids)
	for _, uuid := range uuids {
		fmt.Fprintf(w, "slots %s %d\n", uuid, n.held[uuid])
	}
}
