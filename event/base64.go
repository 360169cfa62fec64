package event

import (
	"slices"

	"github.com/segmentio/asm/base64"
)

// appendBase64 appends src in standard base64 with padding. segmentio/asm's
// encoder uses AVX2 where the CPU has it (and the standard library's otherwise);
// measured by BenchmarkBase64 it is several times faster than encoding/base64,
// which was the largest single cost of an event of 64 KB messages.
func appendBase64(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	dst = slices.Grow(dst, n)
	base64.StdEncoding.Encode(dst[len(dst):len(dst)+n], src)
	return dst[:len(dst)+n]
}

// base64Len is the encoded length of n bytes.
func base64Len(n int) int { return base64.StdEncoding.EncodedLen(n) }
