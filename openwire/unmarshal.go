package openwire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// decoder reads loose-encoded primitives from one frame. Reads past the end set a
// sticky error and return zero values, so decoding never panics; lengths are
// checked against the bytes left, so nothing allocates more than the frame holds.
type decoder struct {
	b      []byte
	off    int
	err    error
	intern map[string]string // optional: reuse repeated id and destination strings
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format+" at offset %d", append([]any{ErrMalformed}, append(args, d.off)...)...)
	}
	d.off = len(d.b)
}

func (d *decoder) need(n int) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || len(d.b)-d.off < n {
		d.fail("truncated: need %d bytes, have %d", n, len(d.b)-d.off)
		return false
	}
	return true
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) byte1() byte {
	if !d.need(1) {
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) bool1() bool { return d.byte1() != 0 }

func (d *decoder) int16() int16 {
	if !d.need(2) {
		return 0
	}
	v := binary.BigEndian.Uint16(d.b[d.off:])
	d.off += 2
	return int16(v)
}

func (d *decoder) int32() int32 {
	if !d.need(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(d.b[d.off:])
	d.off += 4
	return int32(v)
}

func (d *decoder) int64() int64 {
	if !d.need(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(d.b[d.off:])
	d.off += 8
	return int64(v)
}

func (d *decoder) float32() float32 { return math.Float32frombits(uint32(d.int32())) }
func (d *decoder) float64() float64 { return math.Float64frombits(uint64(d.int64())) }

// raw returns the next n bytes without copying.
func (d *decoder) raw(n int) []byte {
	if !d.need(n) {
		return nil
	}
	v := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return v
}

// utf reads u16 length + modified UTF-8.
func (d *decoder) utf() string {
	n := int(uint16(d.int16()))
	return decodeMUTF8(d.raw(n))
}

// str reads a nullable string.
func (d *decoder) str() string {
	if !d.bool1() {
		return ""
	}
	return d.utf()
}

// bytes reads a nullable byte array (a sub-slice of the frame).
func (d *decoder) bytes() ([]byte, bool) {
	if !d.bool1() {
		return nil, false
	}
	n := d.int32()
	if n < 0 {
		d.fail("negative byte array length %d", n)
		return nil, false
	}
	return d.raw(int(n)), true
}

// command reads the BaseCommand prefix.
func (d *decoder) command() (id int32, responseRequired bool) {
	return d.int32(), d.bool1()
}
