package openwire

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// javaCompressedBytes builds a compressed BytesMessage body as ActiveMQ 5.17's
// ActiveMQBytesMessage.doCompress does: the true length, then the zlib stream of the
// whole backing array of a ByteArrayOutputStream of capacity bytes.
func javaCompressedBytes(body []byte, capacity int) []byte {
	backing := make([]byte, max(capacity, len(body)))
	copy(backing, body)
	var out bytes.Buffer
	binary.Write(&out, binary.BigEndian, int32(len(body)))
	zw := zlib.NewWriter(&out)
	zw.Write(backing)
	zw.Close()
	return out.Bytes()
}

// javaCapacity is the capacity ActiveMQ's ByteArrayOutputStream reaches when n bytes
// are written to it in small pieces: 1028, doubled as often as needed.
func javaCapacity(n int) int {
	c := javaBufferSize
	for c < n {
		c <<= 1
	}
	return c
}

func TestCompressedBytesJavaPadding(t *testing.T) {
	for _, n := range []int{0, 1, 2, 512, 1027, 1028, 1029, 2055, 2056, 2057, 4112, 4113, 70000, 300000} {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(i*31 + 7)
		}
		// in small pieces (doubling), in one write (the capacity is the size), and as
		// Go writes it (no padding)
		oneWrite := javaBufferSize
		if n > javaBufferSize {
			oneWrite = max(2*javaBufferSize, n)
		}
		for _, capacity := range []int{javaCapacity(n), oneWrite, n} {
			m := &Message{Kind: KindBytes, Compressed: true}
			if err := m.decodeBody(javaCompressedBytes(body, capacity), 1<<20); err != nil {
				t.Fatalf("%d bytes, capacity %d: %v", n, capacity, err)
			}
			if !bytes.Equal(m.Body, body) {
				t.Fatalf("%d bytes, capacity %d: got %d bytes, not the body", n, capacity, len(m.Body))
			}
		}
	}
}

func TestCompressedBytesRefused(t *testing.T) {
	body := []byte("hello")
	for name, tc := range map[string]struct {
		content []byte
		want    error
		text    string
	}{
		// a tiny stream that inflates far past its declared length
		"bomb":          {javaCompressedBytes(body, 10<<20), ErrFrameTooLarge, "inflates past 1028"},
		"bomb-large":    {javaCompressedBytes(make([]byte, 5000), 10001), ErrFrameTooLarge, "inflates past 10000"},
		"over-limit":    {javaCompressedBytes(make([]byte, 2<<20), 0), ErrFrameTooLarge, "exceeds the limit"},
		"short":         {append([]byte{0, 0, 0, 9}, javaCompressedBytes(body, 0)[4:]...), ErrMalformed, "inflates to 5 bytes, its length says 9"},
		"negative":      {append([]byte{0xff, 0xff, 0xff, 0xff}, javaCompressedBytes(body, 0)[4:]...), ErrMalformed, "claims -1"},
		"no-length":     {[]byte{0, 0}, ErrMalformed, "no length"},
		"not-zlib":      {[]byte{0, 0, 0, 1, 1, 2, 3, 4}, ErrMalformed, "zlib"},
		"bad-checksum":  {corruptChecksum(javaCompressedBytes(body, 0)), ErrMalformed, "zlib"},
		"truncated-pad": {truncate(javaCompressedBytes(body, 1028), 5), ErrMalformed, "zlib"},
	} {
		m := &Message{Kind: KindBytes, Compressed: true}
		err := m.decodeBody(tc.content, 1<<20)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: error %v, want %v containing %q", name, err, tc.want, tc.text)
		}
	}
}

func truncate(b []byte, n int) []byte { return b[:len(b)-n] }

func corruptChecksum(b []byte) []byte {
	b = bytes.Clone(b)
	b[len(b)-1] ^= 0xff
	return b
}

// TestCompressedOtherBodies: Java deflates text, map, stream and object bodies whole,
// without padding; an empty compressed bytes body is read as empty, as Java does.
func TestCompressedOtherBodies(t *testing.T) {
	stream := []byte{9, 0, 0, 0, 3, 'a', 'b', 'c'}
	for _, k := range []MessageKind{KindStream, KindObject} {
		m := &Message{Kind: k, Compressed: true}
		if err := m.decodeBody(deflate(nil, stream), 1<<20); err != nil || !bytes.Equal(m.Body, stream) {
			t.Errorf("%v: %v %q", k, err, m.Body)
		}
		m = &Message{Kind: k, Compressed: true}
		if err := m.decodeBody(deflate(nil, make([]byte, 5000)), 1000); !errors.Is(err, ErrFrameTooLarge) {
			t.Errorf("%v bomb: %v", k, err)
		}
	}
	m := &Message{Kind: KindBytes, Compressed: true}
	if err := m.decodeBody([]byte{}, 1<<20); err != nil || len(m.Body) != 0 {
		t.Errorf("empty compressed bytes: %v %q", err, m.Body)
	}
}

// FuzzInflateBytesBody: any input either decodes to exactly its declared length or
// is refused; nothing inflates past the bound.
func FuzzInflateBytesBody(f *testing.F) {
	for _, s := range inflateSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		b, err := inflateBytesBody(content, 1<<16)
		if err != nil {
			return
		}
		if n := int(binary.BigEndian.Uint32(content)); len(b) != n {
			t.Fatalf("decoded %d bytes, length says %d", len(b), n)
		}
	})
}

func inflateSeeds() [][]byte {
	return [][]byte{
		javaCompressedBytes([]byte("hello"), 1028),
		javaCompressedBytes(make([]byte, 1029), 2056),
		javaCompressedBytes(nil, 1028),
		javaCompressedBytes([]byte("x"), 1<<20), // bomb
		{0, 0, 0, 9, 0x78, 0x9c},
	}
}
