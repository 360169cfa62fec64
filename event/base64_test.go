package event

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// The SIMD encoder's output is the standard library's, byte for byte, for every
// length around its block sizes and for large bodies, appended after a prefix.
func TestAppendBase64MatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := []int{64 << 10, 256 << 10, 1<<20 + 1}
	for n := range 400 {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
		prefix := []byte(`"data":"`)
		got := appendBase64(bytes.Clone(prefix), src)
		want := base64.StdEncoding.AppendEncode(bytes.Clone(prefix), src)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: encodings differ", n)
		}
		if base64Len(n) != base64.StdEncoding.EncodedLen(n) {
			t.Fatalf("%d bytes: length %d, want %d", n, base64Len(n), base64.StdEncoding.EncodedLen(n))
		}
	}
}
