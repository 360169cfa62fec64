package openwire

import (
	"unicode/utf8"
)

// Java's DataOutput.writeUTF and ActiveMQ's MarshallingSupport.writeUTF8 write
// "modified UTF-8": NUL as C0 80 and characters outside the BMP as two 3-byte
// surrogates (CESU-8). Go strings are UTF-8, so both directions need converting.

// mutf8Len is the encoded length of s.
func mutf8Len(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 0 && c < 0x80 {
			n++
			continue
		}
		// slow path for the rest
		for _, r := range s[i:] {
			switch {
			case r == 0:
				n += 2
			case r < 0x80:
				n++
			case r < 0x800:
				n += 2
			case r < 0x10000:
				n += 3
			default:
				n += 6
			}
		}
		return n
	}
	return n
}

// appendMUTF8 appends the modified UTF-8 form of s.
func appendMUTF8(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 0 && c < 0x80 {
			dst = append(dst, c)
			continue
		}
		for _, r := range s[i:] {
			switch {
			case r == 0:
				dst = append(dst, 0xC0, 0x80)
			case r < 0x80:
				dst = append(dst, byte(r))
			case r < 0x800:
				dst = append(dst, 0xC0|byte(r>>6), 0x80|byte(r&0x3F))
			case r < 0x10000:
				dst = append3(dst, r)
			default:
				r -= 0x10000
				dst = append3(dst, 0xD800+(r>>10))
				dst = append3(dst, 0xDC00+(r&0x3FF))
			}
		}
		return dst
	}
	return dst
}

func append3(dst []byte, r rune) []byte {
	return append(dst, 0xE0|byte(r>>12), 0x80|byte((r>>6)&0x3F), 0x80|byte(r&0x3F))
}

// decodeMUTF8 decodes modified UTF-8, CESU-8 or standard UTF-8 (ActiveMQ's STOMP
// and AMQP bridges store standard UTF-8) into a Go string. Invalid sequences
// become U+FFFD; it never fails.
func decodeMUTF8(b []byte) string {
	i := 0
	for i < len(b) && b[i] < 0x80 && b[i] != 0 {
		i++
	}
	if i == len(b) {
		return string(b)
	}
	if utf8.Valid(b[i:]) && !hasNUL(b[i:]) {
		// standard UTF-8 without surrogates or C0 80: already what Go wants
		return string(b)
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:i]...)
	for i < len(b) {
		c := b[i]
		switch {
		case c < 0x80:
			out = append(out, c)
			i++
		case c&0xE0 == 0xC0 && i+1 < len(b) && b[i+1]&0xC0 == 0x80:
			r := rune(c&0x1F)<<6 | rune(b[i+1]&0x3F)
			out = utf8.AppendRune(out, r) // C0 80 -> NUL; overlongs tolerated like Java
			i += 2
		case c&0xF0 == 0xE0 && i+2 < len(b) && b[i+1]&0xC0 == 0x80 && b[i+2]&0xC0 == 0x80:
			r := rune(c&0x0F)<<12 | rune(b[i+1]&0x3F)<<6 | rune(b[i+2]&0x3F)
			i += 3
			if r >= 0xD800 && r < 0xDC00 {
				// high surrogate: combine with a following low surrogate
				if i+2 < len(b) && b[i]&0xF0 == 0xE0 && b[i+1]&0xC0 == 0x80 && b[i+2]&0xC0 == 0x80 {
					lo := rune(b[i]&0x0F)<<12 | rune(b[i+1]&0x3F)<<6 | rune(b[i+2]&0x3F)
					if lo >= 0xDC00 && lo < 0xE000 {
						out = utf8.AppendRune(out, 0x10000+(r-0xD800)<<10+(lo-0xDC00))
						i += 3
						continue
					}
				}
				out = utf8.AppendRune(out, utf8.RuneError)
				continue
			}
			out = utf8.AppendRune(out, r) // lone low surrogates become U+FFFD
		case c&0xF8 == 0xF0:
			r, n := utf8.DecodeRune(b[i:])
			out = utf8.AppendRune(out, r)
			i += n
		default:
			out = utf8.AppendRune(out, utf8.RuneError)
			i++
		}
	}
	return string(out)
}

func hasNUL(b []byte) bool {
	for _, c := range b {
		if c == 0 {
			return true
		}
	}
	return false
}
