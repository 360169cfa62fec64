package esm

import "testing"

func TestEventBufferClasses(t *testing.T) {
	for _, c := range []struct{ n, wantCap int }{
		{0, 64 << 10}, {1, 64 << 10}, {64 << 10, 64 << 10}, {64<<10 + 1, 128 << 10},
		{6 << 20, 8 << 20}, {8 << 20, 8 << 20}, {8<<20 + 1, 8<<20 + 1},
	} {
		b := getEventBuffer(c.n)
		if len(b) != 0 || cap(b) != c.wantCap {
			t.Errorf("getEventBuffer(%d): len %d cap %d, want 0 and %d", c.n, len(b), cap(b), c.wantCap)
		}
		putEventBuffer(b)
	}
	// A buffer given back is handed out again, emptied; odd sizes are not kept.
	b := getEventBuffer(1 << 20)
	b = append(b, "abc"...)
	putEventBuffer(b)
	putEventBuffer(make([]byte, 0, 3<<20))
	again := getEventBuffer(900 << 10)
	if len(again) != 0 || cap(again) != 1<<20 {
		t.Errorf("after a put: len %d cap %d, want 0 and %d", len(again), cap(again), 1<<20)
	}
}
