package openwire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// decoder reads OpenWire primitives from one frame. Reads past the end set a
// sticky error and return zero values, so decoding never panics; lengths are
// checked against the bytes left, so nothing allocates more than the frame holds.
// Tight frames (see encoder) keep their booleans in a bit stream ahead of the data.
type decoder struct {
	b      []byte
	off    int
	err    error
	intern map[string]string // optional: reuse repeated id and destination strings

	tight bool
	bits  []byte // tight: the frame's bit stream
	bit   int    // tight: the next bit to read
}

// frameDecoder decodes a command's fields: b is the frame after its type byte.
// Tight, it reads the bit stream first (BooleanStream.unmarshal).
func frameDecoder(b []byte, tight bool, intern map[string]string) decoder {
	d := decoder{b: b, intern: intern, tight: tight}
	if tight {
		n := int(d.byte1())
		switch n {
		case 0xC0:
			n = int(d.byte1())
		case 0x80:
			n = int(uint16(d.int16()))
		}
		d.bits = d.raw(n)
	}
	return d
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

func (d *decoder) bool1() bool {
	if !d.tight {
		return d.byte1() != 0
	}
	if d.err != nil {
		return false
	}
	if d.bit >= 8*len(d.bits) {
		d.fail("boolean stream of %d bytes exhausted", len(d.bits))
		return false
	}
	v := d.bits[d.bit/8]>>(d.bit%8)&1 != 0
	d.bit++
	return v
}

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

// long reads a Java long field of a command (see encoder.long); tight, the short
// forms are unsigned, as Java reads them.
func (d *decoder) long() int64 {
	if !d.tight {
		return d.int64()
	}
	wide, b := d.bool1(), d.bool1()
	switch {
	case wide && b:
		return d.int64()
	case wide:
		return int64(uint32(d.int32()))
	case b:
		return int64(uint16(d.int16()))
	}
	return 0
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
	b, ascii, ok := d.strBytes()
	switch {
	case !ok:
		return ""
	case ascii:
		return latin1(b)
	}
	return decodeMUTF8(b)
}

// strBytes reads a nullable string's encoded bytes. ascii: the tight form of
// single-byte characters (Java reads each byte as a char, i.e. Latin-1).
func (d *decoder) strBytes() (b []byte, ascii, ok bool) {
	if !d.bool1() {
		return nil, false, false
	}
	if d.tight && d.bool1() {
		n := int(d.int16())
		if n < 0 {
			d.fail("negative string length %d", n)
			return nil, false, false
		}
		return d.raw(n), true, d.err == nil
	}
	n := int(uint16(d.int16()))
	return d.raw(n), false, d.err == nil
}

// latin1 decodes bytes as Java's String(byte[], 0) does: each byte a char.
func latin1(b []byte) string {
	if !hasHigh(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func hasHigh(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
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
