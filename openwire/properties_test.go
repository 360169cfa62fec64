package openwire

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestPrimitiveMapRoundTrip(t *testing.T) {
	in := map[string]any{
		"bool": true, "byte": int8(-7), "short": int16(-300), "int": int32(1 << 20), "long": int64(1) << 40,
		"float": float32(1.5), "double": 2.25, "string": "v😀", "bytes": []byte{1, 2, 3}, "null": nil,
		"char": uint16('x'), "map": map[string]any{"x": int32(1)}, "list": []any{"a", int64(2)},
		"big": strings.Repeat("é", 9000),
	}
	b, err := encodeProperties(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeProperties(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %#v\nout %#v", in, out)
	}
	// Go int becomes a Java int when it fits, a long otherwise
	b, _ = encodeProperties(map[string]any{"a": 5, "b": 1 << 40})
	out, _ = decodeProperties(b, nil)
	if out["a"] != int32(5) || out["b"] != int64(1<<40) {
		t.Fatalf("int mapping: %#v", out)
	}
	if _, err := encodeProperties(map[string]any{"bad": struct{}{}}); err == nil {
		t.Fatal("unsupported type accepted")
	}
}

// The WireFormatInfo properties the broker sent, captured from a 5.17.2 broker.
func TestPrimitiveMapJavaBytes(t *testing.T) {
	var e encoder
	e.int32(3)
	e.utf("MaxInactivityDuration")
	e.byte1(tLong)
	e.int64(30000)
	e.utf("CacheSize")
	e.byte1(tInteger)
	e.int32(1024)
	e.utf("k")
	e.byte1(tString)
	e.b = append(e.b, 0, 7, 'v', 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80)
	m, err := decodeProperties(e.b, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"MaxInactivityDuration": int64(30000), "CacheSize": int32(1024), "k": "v😀"}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %#v", m)
	}
}

func TestPrimitiveMapMalformed(t *testing.T) {
	good, _ := encodeProperties(map[string]any{"a": "b", "c": []byte{1, 2}, "d": map[string]any{"e": int64(1)}})
	for i := 0; i < len(good); i++ {
		if _, err := decodeProperties(good[:i], nil); err == nil && i > 0 {
			t.Errorf("truncated at %d: no error", i)
		}
	}
	huge := []byte{0x7f, 0xff, 0xff, 0xff, 0, 1, 'a', tNull}
	if _, err := decodeProperties(huge, nil); err == nil {
		t.Error("count beyond the data accepted")
	}
	deep := bytes.Repeat([]byte{0, 0, 0, 1, 0, 1, 'a', tMap}, 100)
	if _, err := decodeProperties(deep, nil); err == nil {
		t.Error("deep nesting accepted")
	}
}

func FuzzPrimitiveMap(f *testing.F) {
	b, _ := encodeProperties(map[string]any{"a": "b", "n": int32(1), "l": []any{int8(1)}, "m": map[string]any{"x": 1.5}})
	f.Add(b)
	f.Add([]byte{0, 0, 0, 1, 0, 1, 'k', tBigString, 0, 0, 0, 2, 0xC0, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeProperties(b, nil)
		if err != nil {
			return
		}
		if _, err := encodeProperties(m); err != nil {
			t.Fatalf("decoded map does not re-encode: %v", err)
		}
	})
}
