package esm

import (
	"math/bits"
	"sync"
)

// Event buffers are recycled: a fresh multi-megabyte buffer costs more than the
// encoding into it (the kernel faults in and zeroes new pages, the runtime clears
// the slice, and the collector runs sooner), about a third of mqtrigger's CPU per
// gigabyte delivered with 64 KB messages (docs/benchmark.md). Buffers are kept by
// capacity class, powers of two from minPooledEvent up, in sync.Pools, so an idle
// node gives them back to the collector.
const (
	minPooledEvent = 64 << 10
	maxPooledEvent = 8 << 20 // the class that holds a 6 MB event
)

// eventBuffers[c] holds buffers of capacity minPooledEvent << c.
var eventBuffers [8]sync.Pool // 64 KiB to 8 MiB

// eventClass is the pool index for buffers of capacity at least n, or -1 when
// buffers of that size are not pooled.
func eventClass(n int) int {
	if n <= minPooledEvent {
		return 0
	}
	if n > maxPooledEvent {
		return -1
	}
	return bits.Len(uint(n-1)) - bits.Len(uint(minPooledEvent-1))
}

// getEventBuffer returns an empty buffer with room for n bytes.
func getEventBuffer(n int) []byte {
	c := eventClass(n)
	if c < 0 {
		return make([]byte, 0, n)
	}
	if p, ok := eventBuffers[c].Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, minPooledEvent<<c)
}

// putEventBuffer gives back a buffer getEventBuffer returned, once nothing reads it.
func putEventBuffer(b []byte) {
	c := cap(b)
	if c < minPooledEvent || c > maxPooledEvent || c&(c-1) != 0 {
		return // not one of ours
	}
	eventBuffers[eventClass(c)].Put(&b)
}
