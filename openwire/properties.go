package openwire

import (
	"fmt"
	"math"
	"sort"
)

// Primitive type tags of MarshallingSupport (message properties, MapMessage
// bodies, WireFormatInfo options).
const (
	tNull      = 0
	tBoolean   = 1
	tByte      = 2
	tChar      = 3
	tShort     = 4
	tInteger   = 5
	tLong      = 6
	tDouble    = 7
	tFloat     = 8
	tString    = 9
	tByteArray = 10
	tMap       = 11
	tList      = 12
	tBigString = 13
)

const maxNesting = 32

// Go types of decoded properties, by Java type: boolean bool, byte int8, short
// int16, int int32, long int64, float float32, double float64, char uint16,
// String string, byte[] []byte, null nil, Map map[string]any, List []any.

// encodePrimitiveMap writes an int32 count and the entries in key order (so
// frames are deterministic). A nil map is written as an empty map.
func (e *encoder) primitiveMap(m map[string]any, depth int) {
	if depth > maxNesting {
		e.setErr(fmt.Errorf("openwire: property maps nested deeper than %d", maxNesting))
		return
	}
	e.int32(int32(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e.utf(k)
		e.primitive(k, m[k], depth)
	}
}

func (e *encoder) setErr(err error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *encoder) primitive(name string, v any, depth int) {
	switch v := v.(type) {
	case nil:
		e.byte1(tNull)
	case bool:
		e.byte1(tBoolean)
		e.bool1(v)
	case int8:
		e.byte1(tByte)
		e.byte1(byte(v))
	case uint16:
		e.byte1(tChar)
		e.int16(int16(v))
	case int16:
		e.byte1(tShort)
		e.int16(v)
	case int32:
		e.byte1(tInteger)
		e.int32(v)
	case int:
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			e.byte1(tInteger)
			e.int32(int32(v))
		} else {
			e.byte1(tLong)
			e.int64(int64(v))
		}
	case int64:
		e.byte1(tLong)
		e.int64(v)
	case float32:
		e.byte1(tFloat)
		e.float32(v)
	case float64:
		e.byte1(tDouble)
		e.float64(v)
	case string:
		// Java switches to BIG_STRING when length() >= Short.MAX_VALUE/4
		if len(v) < math.MaxInt16/4 && mutf8Len(v) <= 65535 {
			e.byte1(tString)
			e.utf(v)
		} else {
			e.byte1(tBigString)
			e.int32(int32(mutf8Len(v)))
			e.b = appendMUTF8(e.b, v)
		}
	case []byte:
		e.byte1(tByteArray)
		e.int32(int32(len(v)))
		e.b = append(e.b, v...)
	case map[string]any:
		e.byte1(tMap)
		e.primitiveMap(v, depth+1)
	case []any:
		e.byte1(tList)
		e.int32(int32(len(v)))
		for _, x := range v {
			e.primitive(name, x, depth+1)
		}
	default:
		e.setErr(fmt.Errorf("openwire: property %q has Go type %T, which has no Java equivalent (use bool, int8, int16, int32, int64, float32, float64, string, []byte, nil, map[string]any or []any)", name, v))
		e.byte1(tNull)
	}
}

// primitiveMap reads a MarshallingSupport primitive map. A count of -1 is a null map.
func (d *decoder) primitiveMap(depth int) map[string]any {
	if depth > maxNesting {
		d.fail("maps nested deeper than %d", maxNesting)
		return nil
	}
	n := d.int32()
	if n < 0 {
		return nil
	}
	// every entry takes at least 3 bytes (key length + type)
	if int(n) > d.remaining()/3 {
		d.fail("map count %d exceeds the frame", n)
		return nil
	}
	m := make(map[string]any, n)
	for i := 0; i < int(n) && d.err == nil; i++ {
		n := int(uint16(d.int16()))
		k := d.internBytes(d.raw(n)) // property names repeat on every message
		m[k] = d.primitive(depth)
	}
	if d.err != nil {
		return nil
	}
	return m
}

func (d *decoder) primitive(depth int) any {
	switch t := d.byte1(); t {
	case tNull:
		return nil
	case tBoolean:
		return d.bool1()
	case tByte:
		return int8(d.byte1())
	case tChar:
		return uint16(d.int16())
	case tShort:
		return d.int16()
	case tInteger:
		return d.int32()
	case tLong:
		return d.int64()
	case tDouble:
		return d.float64()
	case tFloat:
		return d.float32()
	case tString:
		return d.utf()
	case tBigString:
		n := d.int32()
		if n < 0 {
			return nil
		}
		return decodeMUTF8(d.raw(int(n)))
	case tByteArray:
		n := d.int32()
		if n < 0 {
			d.fail("negative byte array length %d", n)
			return nil
		}
		return append([]byte(nil), d.raw(int(n))...)
	case tMap:
		return d.primitiveMap(depth + 1)
	case tList:
		if depth > maxNesting {
			d.fail("lists nested deeper than %d", maxNesting)
			return nil
		}
		n := d.int32()
		if n < 0 || int(n) > d.remaining() {
			d.fail("list count %d exceeds the frame", n)
			return nil
		}
		l := make([]any, 0, n)
		for i := 0; i < int(n) && d.err == nil; i++ {
			l = append(l, d.primitive(depth+1))
		}
		return l
	default:
		d.fail("unknown primitive type %d", t)
		return nil
	}
}

// decodeProperties decodes a marshalledProperties byte sequence.
func decodeProperties(b []byte, intern map[string]string) (map[string]any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	d := decoder{b: b, intern: intern}
	m := d.primitiveMap(0)
	return m, d.err
}

// encodeProperties returns the marshalled form of m (nil for an empty map).
func encodeProperties(m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	var e encoder
	e.primitiveMap(m, 0)
	return e.b, e.err
}
