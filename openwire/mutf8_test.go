package openwire

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

func TestModifiedUTF8(t *testing.T) {
	cases := []struct {
		s    string
		java []byte // what Java's writeUTF produces
	}{
		{"abc", []byte("abc")},
		{"", nil},
		{"a\x00b", []byte{'a', 0xC0, 0x80, 'b'}},
		{"é€", []byte{0xC3, 0xA9, 0xE2, 0x82, 0xAC}},
		{"v😀", []byte{'v', 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80}},
	}
	for _, c := range cases {
		got := appendMUTF8(nil, c.s)
		if !bytes.Equal(got, c.java) {
			t.Errorf("encode %q: % x, want % x", c.s, got, c.java)
		}
		if n := mutf8Len(c.s); n != len(c.java) {
			t.Errorf("mutf8Len(%q) = %d, want %d", c.s, n, len(c.java))
		}
		if back := decodeMUTF8(c.java); back != c.s {
			t.Errorf("decode % x: %q, want %q", c.java, back, c.s)
		}
	}
	// standard UTF-8 (as STOMP producers store it) decodes too
	if s := decodeMUTF8([]byte("é€😀")); s != "é€😀" {
		t.Errorf("standard UTF-8: %q", s)
	}
	// broken input never fails, it becomes U+FFFD
	for _, b := range [][]byte{{0xED, 0xA0, 0xBD}, {0xFF}, {0xE2, 0x82}, {0xED, 0xB8, 0x80}} {
		if s := decodeMUTF8(b); !utf8.ValidString(s) {
			t.Errorf("decode % x gave invalid UTF-8 %q", b, s)
		}
	}
}

func FuzzModifiedUTF8(f *testing.F) {
	f.Add("v😀\x00é")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		if back := decodeMUTF8(appendMUTF8(nil, s)); back != s {
			t.Fatalf("round trip %q -> %q", s, back)
		}
	})
}
