// Package bufpool recycles large byte buffers: the frames of large messages read
// from the broker and the events written to functions. A fresh buffer of tens of
// kilobytes or more costs more than what is done with it (the runtime zeroes it,
// the kernel faults in its pages, and the collector runs sooner): with 64 KB
// messages, recycling frames cut mqtrigger's CPU per gigabyte delivered to an
// HTTP function by 13–26% (docs/benchmark.md).
//
// Buffers are kept by capacity class, eight classes per power of two, so a buffer
// is at most an eighth larger than asked for; sizes outside (Min, Max] are not
// pooled. The pool holds only buffers that were in use, and gives back to the
// collector, every trimPeriod, those that sat unused through the whole period, so
// what it holds follows what the last period needed: a class nobody asks for any
// more is empty within two periods. (sync.Pool empties only at collections, and
// with buffers recycled those became rare, so a class left by one workload stayed
// live while the next ran in another.)
package bufpool

import (
	"math/bits"
	"sync"
	"time"
)

const (
	// Min is the largest size not pooled: below it allocating is cheap, and
	// small messages keep the path they had.
	Min = 16 << 10
	// Max is the largest pooled capacity: it holds a whole 6 MB event, and
	// messages of up to 16 MiB.
	Max = 16 << 20

	perOctave = 8
	minShift  = 14 // log2(Min)
	maxShift  = 24 // log2(Max)

	trimPeriod = time.Second
)

// pool is the free buffers of one capacity class.
type pool struct {
	mu   sync.Mutex
	free [][]byte // a stack: the last given back is the first handed out
	// low is the fewest buffers free since the last trim: that many were not
	// needed during the period, and go.
	low int
}

var (
	pools    [(maxShift - minShift) * perOctave]pool
	trimOnce sync.Once
)

// class returns the index of the smallest class holding n bytes, for Min < n <= Max.
func class(n int) int {
	e := bits.Len(uint(n - 1)) // 2^(e-1) < n <= 2^e
	base := 1 << (e - 1)
	step := base / perOctave
	sub := (n - base + step - 1) / step // 1..perOctave
	return (e-1-minShift)*perOctave + sub - 1
}

// classSize is the capacity of class i's buffers.
func classSize(i int) int {
	base := 1 << (minShift + i/perOctave)
	return base + (i%perOctave+1)*(base/perOctave)
}

// Get returns a buffer of length n, its contents undefined. When n is in the
// pooled range its capacity is its class's, and Put may recycle it.
func Get(n int) []byte {
	if n <= Min || n > Max {
		return make([]byte, n)
	}
	i := class(n)
	if b := pools[i].get(); b != nil {
		return b[:n]
	}
	return make([]byte, n, classSize(i))
}

// Put gives back a buffer that Get returned, once nothing reads it or any slice
// of it. Buffers of other capacities are left to the collector.
func Put(b []byte) {
	c := cap(b)
	if c <= Min || c > Max {
		return
	}
	i := class(c)
	if classSize(i) != c {
		return // not one of ours
	}
	trimOnce.Do(func() { go trimEvery(trimPeriod) })
	pools[i].put(b)
}

func trimEvery(d time.Duration) {
	for range time.Tick(d) {
		for i := range pools {
			pools[i].trim()
		}
	}
}

func (p *pool) get() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := len(p.free)
	if k == 0 {
		return nil
	}
	b := p.free[k-1]
	p.free[k-1] = nil
	p.free = p.free[:k-1]
	p.low = min(p.low, k-1)
	return b
}

func (p *pool) put(b []byte) {
	p.mu.Lock()
	p.free = append(p.free, b[:0])
	p.mu.Unlock()
}

// trim drops the buffers that stayed free since the last trim: the oldest ones,
// at the stack's bottom.
func (p *pool) trim() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.low > 0 {
		n := copy(p.free, p.free[p.low:])
		clear(p.free[n:])
		p.free = p.free[:n]
	}
	if len(p.free) == 0 {
		p.free = nil
	}
	p.low = len(p.free)
}
