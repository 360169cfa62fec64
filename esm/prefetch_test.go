package esm

import "testing"

// Prefetch follows the count rule for small messages and the byte bounds for large
// ones: per worker at most 8 MB, per mapping at most 64 MB, never below one message.
func TestPrefetchFor(t *testing.T) {
	cases := []struct {
		batch, conc, size, want int
	}{
		{100, 5, 1 << 10, 200},         // 1 KB: the count rule
		{10, 5, 1 << 10, 20},           // small batches: 2 × BatchSize
		{1, 1, 1 << 10, 10},            // at least 10
		{10000, 1, 100, 2000},          // at most 2000
		{100, 5, 64 << 10, 128},        // 64 KB: 8 MB per worker
		{100, 5, 256 << 10, 32},        // 256 KB
		{100, 100, 1 << 20, 1},         // 1 MB at concurrency 100: 64 MB / 100 < 1 MB
		{100, 20, 1 << 20, 3},          // 64 MB / 20 = 3.2 MB
		{100, 100, assumedMsgSize, 40}, // before any message is seen
		{100, 5, assumedMsgSize, 200},  // small messages keep the count rule from the start
	}
	for _, c := range cases {
		got := prefetchFor(c.batch, c.conc, c.size)
		if got != c.want {
			t.Errorf("prefetchFor(batch %d, concurrency %d, %d B) = %d, want %d", c.batch, c.conc, c.size, got, c.want)
		}
		if c.size > 0 && got > 1 && got*c.size > min(prefetchWorkerBytes, prefetchMappingBytes/c.conc) {
			t.Errorf("prefetchFor(batch %d, concurrency %d, %d B) = %d: %d bytes, over the bound", c.batch, c.conc, c.size, got, got*c.size)
		}
	}
}
