package openwire

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// encoder appends OpenWire primitives to a buffer. Errors (a string too long for
// writeUTF, say) are sticky and reported once by the caller.
//
// With tight set (the negotiated TightEncodingEnabled, ActiveMQ's default) a frame's
// booleans go to a bit stream that endFrame puts ahead of the data, and longs and
// strings take their short forms. The broker then writes its frames straight to the
// socket; with loose encoding it builds each frame in a buffer that starts at 2 KB
// and doubles, which cost it half its CPU on 64 KB messages. Nested encoders
// (properties, map bodies) are always loose: MarshallingSupport has one form.
type encoder struct {
	b   []byte
	err error

	tight bool
	bits  []byte // tight: the current frame's booleans, first one in bit 0
	nbits int
}

var errStringTooLong = errors.New("openwire: string longer than 65535 bytes in modified UTF-8")

func (e *encoder) byte1(v byte) { e.b = append(e.b, v) }

func (e *encoder) bool1(v bool) {
	if e.tight {
		if e.nbits%8 == 0 {
			e.bits = append(e.bits, 0)
		}
		if v {
			e.bits[e.nbits/8] |= 1 << (e.nbits % 8)
		}
		e.nbits++
		return
	}
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) int16(v int16) { e.b = binary.BigEndian.AppendUint16(e.b, uint16(v)) }
func (e *encoder) int32(v int32) { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *encoder) int64(v int64) { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }

// long writes a Java long field of a command: 8 bytes loose; tight, two bits say
// whether it takes 0, 2, 4 or 8 bytes (tightMarshalLong1).
func (e *encoder) long(v int64) {
	if !e.tight {
		e.int64(v)
		return
	}
	switch u := uint64(v); {
	case u == 0:
		e.bool1(false)
		e.bool1(false)
	case u&^0xFFFF == 0:
		e.bool1(false)
		e.bool1(true)
		e.int16(int16(u))
	case u&^0xFFFFFFFF == 0:
		e.bool1(true)
		e.bool1(false)
		e.int32(int32(u))
	default:
		e.bool1(true)
		e.bool1(true)
		e.int64(v)
	}
}

// utf writes u16 length + modified UTF-8 (DataOutput.writeUTF).
func (e *encoder) utf(s string) {
	n := mutf8Len(s)
	if n > 65535 {
		if e.err == nil {
			e.err = errStringTooLong
		}
		n = 0
		s = ""
	}
	e.b = binary.BigEndian.AppendUint16(e.b, uint16(n))
	e.b = appendMUTF8(e.b, s)
}

// str writes a nullable string: "" is written as null. Tight, a second bit marks
// a string of ASCII characters 1-127, written as a length and its bytes.
func (e *encoder) str(s string) {
	if s == "" {
		e.bool1(false)
		return
	}
	e.bool1(true)
	if e.tight {
		ascii := asciiOnly(s)
		e.bool1(ascii)
		if ascii {
			e.int16(int16(len(s)))
			e.b = append(e.b, s...)
			return
		}
	}
	e.utf(s)
}

// asciiOnly: every byte 1-127 and short enough for the signed length tight
// encoding reads it with (tightMarshalString1).
func asciiOnly(s string) bool {
	if len(s) >= math.MaxInt16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 || s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// bytes writes a nullable byte array (also ByteSequence).
func (e *encoder) bytes(b []byte, present bool) {
	e.bool1(present)
	if present {
		e.int32(int32(len(b)))
		e.b = append(e.b, b...)
	}
}

// null writes an absent nested/cached object or object array.
func (e *encoder) null() { e.bool1(false) }

func (e *encoder) float32(v float32) { e.int32(int32(math.Float32bits(v))) }
func (e *encoder) float64(v float64) { e.int64(int64(math.Float64bits(v))) }

// beginFrame starts a size-prefixed frame with the command type.
func (e *encoder) beginFrame(typ byte) int {
	start := len(e.b)
	e.b = append(e.b, 0, 0, 0, 0, typ)
	e.bits, e.nbits = e.bits[:0], 0
	return start
}

// endFrame patches the size prefix of the frame begun at start; tight, it first
// puts the frame's bit stream between the type and the data (BooleanStream.marshal).
func (e *encoder) endFrame(start int) {
	if e.tight {
		var hdr [3]byte
		n := len(e.bits)
		var h []byte
		switch {
		case n < 64:
			h = append(hdr[:0], byte(n))
		case n < 256:
			h = append(hdr[:0], 0xC0, byte(n))
		default:
			h = binary.BigEndian.AppendUint16(append(hdr[:0], 0x80), uint16(n))
		}
		k, at := len(h)+n, start+5
		e.b = slices.Grow(e.b, k)[:len(e.b)+k]
		copy(e.b[at+k:], e.b[at:len(e.b)-k])
		copy(e.b[at:], h)
		copy(e.b[at+len(h):], e.bits)
	}
	binary.BigEndian.PutUint32(e.b[start:], uint32(len(e.b)-start-4))
}

// command writes the BaseCommand prefix.
func (e *encoder) command(id int32, responseRequired bool) {
	e.int32(id)
	e.bool1(responseRequired)
}
