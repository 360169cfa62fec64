package bufpool

import "testing"

func TestClasses(t *testing.T) {
	for _, c := range []struct{ n, wantCap int }{
		{0, 0}, {1, 1}, {Min, Min}, // not pooled: exactly what was asked
		{Min + 1, 18 << 10}, {32 << 10, 32 << 10}, {32<<10 + 1, 36 << 10},
		{64<<10 + 300, 72 << 10}, // a 64 KB message's frame
		{6 << 20, 6 << 20},       // a whole event
		{Max, Max}, {Max + 1, Max + 1},
	} {
		b := Get(c.n)
		if len(b) != c.n || cap(b) != c.wantCap {
			t.Errorf("Get(%d): len %d cap %d, want %d and %d", c.n, len(b), cap(b), c.n, c.wantCap)
		}
	}
	// Every class holds what it is asked for, at most an eighth more, and the
	// classes increase.
	prev := Min
	for i := range pools {
		size := classSize(i)
		if size <= prev {
			t.Fatalf("class %d: size %d not above %d", i, size, prev)
		}
		if class(size) != i || class(prev+1) != i {
			t.Fatalf("class %d (size %d): sizes %d and %d map to %d and %d", i, size, prev+1, size, class(prev+1), class(size))
		}
		if over := float64(size) / float64(prev+1); over > 1.125 {
			t.Fatalf("class %d: %d bytes for a request of %d", i, size, prev+1)
		}
		prev = size
	}
	if prev != Max {
		t.Fatalf("largest class %d, want %d", prev, Max)
	}
}

func TestPutRecycles(t *testing.T) {
	b := Get(100 << 10)
	b[0] = 'x'
	Put(b)
	Put(make([]byte, 100<<10)) // not a class size: dropped
	again := Get(99 << 10)
	if len(again) != 99<<10 || cap(again) != 104<<10 || &again[0] != &b[0] {
		t.Fatalf("Get(99 KiB) after a Put: len %d cap %d, not the buffer given back", len(again), cap(again))
	}
}

// trim gives back what sat unused for a whole period, oldest first, and keeps
// what the period used.
func TestTrimKeepsWhatThePeriodNeeded(t *testing.T) {
	var p pool
	bufs := make([][]byte, 4)
	for i := range bufs {
		bufs[i] = make([]byte, 1, 8)
		bufs[i][0] = byte(i)
		p.put(bufs[i])
	}
	p.trim() // the first period: nothing was counted yet
	if len(p.free) != 4 {
		t.Fatalf("after the first trim %d free, want 4", len(p.free))
	}
	// Two are taken and given back: two of the four were not needed.
	x, y := p.get(), p.get()
	p.put(y)
	p.put(x)
	p.trim()
	if len(p.free) != 2 {
		t.Fatalf("after a period that used two of four: %d free, want 2", len(p.free))
	}
	if first := p.get(); first[:1][0] != 3 {
		t.Fatalf("kept buffer %d first, want 3 (the last used)", first[:1][0])
	}
	p.put(x)
	p.trim() // that period used one
	if len(p.free) != 1 {
		t.Fatalf("after a period that used one: %d free, want 1", len(p.free))
	}
	// Nobody asks any more: the rest goes within a period.
	p.trim()
	if len(p.free) != 0 || p.free != nil {
		t.Fatalf("after an unused period: %d free, want none", len(p.free))
	}
	if p.get() != nil {
		t.Fatal("get from an empty pool returned a buffer")
	}
}
