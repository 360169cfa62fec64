package openwire

import (
	"encoding/binary"
	"errors"
	"math"
)

// encoder appends loose-encoded OpenWire primitives to a buffer. Errors (a string
// too long for writeUTF, say) are sticky and reported once by the caller.
type encoder struct {
	b   []byte
	err error
}

var errStringTooLong = errors.New("openwire: string longer than 65535 bytes in modified UTF-8")

func (e *encoder) byte1(v byte) { e.b = append(e.b, v) }

func (e *encoder) bool1(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) int16(v int16) { e.b = binary.BigEndian.AppendUint16(e.b, uint16(v)) }
func (e *encoder) int32(v int32) { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *encoder) int64(v int64) { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }

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

// str writes a nullable string: "" is written as null.
func (e *encoder) str(s string) {
	if s == "" {
		e.bool1(false)
		return
	}
	e.bool1(true)
	e.utf(s)
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
	return start
}

// endFrame patches the size prefix of the frame begun at start.
func (e *encoder) endFrame(start int) {
	binary.BigEndian.PutUint32(e.b[start:], uint32(len(e.b)-start-4))
}

// command writes the BaseCommand prefix.
func (e *encoder) command(id int32, responseRequired bool) {
	e.int32(id)
	e.bool1(responseRequired)
}
