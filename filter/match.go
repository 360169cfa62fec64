package filter

import (
	"bytes"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Match reports whether data, a message body (the bytes, not base64), passes any of the
// set's patterns. A nil or empty set passes everything.
func (s *Set) Match(data []byte) bool {
	if s == nil || len(s.patterns) == 0 {
		return true
	}
	v := classify(data)
	for _, p := range s.patterns {
		if p.matchRoot(v) {
			return true
		}
	}
	return false
}

// Kinds of values in the filter view of a record.
const (
	kMissing = iota
	kText    // a plain-string body; b is the text itself
	kObject  // b is a JSON object
	kArray   // b is a JSON array
	kString  // b is a JSON string, with its quotes
	kNumber
	kTrue
	kFalse
	kNull
)

type value struct {
	kind uint8
	b    []byte
}

// classify builds the data value of the filter view: a JSON object or array for a UTF-8
// body that is one, the whole text for any other UTF-8 body (bare JSON scalars
// included, so that plain-string patterns work on bodies such as 123), and nothing for
// a body that is not UTF-8 (Lambda then "processes metadata filters only").
func classify(data []byte) value {
	if !utf8.Valid(data) {
		return value{}
	}
	t := trimSpace(data)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') && validJSON(t) {
		if t[0] == '{' {
			return value{kObject, t}
		}
		return value{kArray, t}
	}
	return value{kText, data}
}

func (n *node) matchRoot(v value) bool {
	for i := range n.fields {
		if !n.fields[i].match(v) {
			return false
		}
	}
	for _, branches := range n.ors {
		ok := false
		for _, b := range branches {
			if b.matchRoot(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (f *field) match(v value) bool {
	if f.sub != nil {
		return f.sub.match(v)
	}
	return f.leaf.match(v)
}

// match tells whether the object pattern n holds for v. An array holds when one of its
// elements does, so that all fields match within the same element.
func (n *node) match(v value) bool {
	switch v.kind {
	case kObject:
		return n.matchObject(v.b)
	case kArray:
		ok, _ := n.matchArray(v.b, 0)
		return ok
	}
	return n.missingOK
}

// matchArray matches the array at b[i] and returns the index past it, unless it
// matched. Nested arrays are walked in place, so deeply nested arrays cost linear time.
func (n *node) matchArray(b []byte, i int) (bool, int) {
	seen := false
	for i++; ; {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] == ']' {
			return !seen && n.missingOK, i + 1
		}
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		seen = true
		var ok bool
		if i < len(b) && b[i] == '[' {
			ok, i = n.matchArray(b, i)
		} else {
			var e value
			e, i = valueAt(b, i)
			ok = n.match(e)
		}
		if ok {
			return true, -1
		}
	}
}

// matchObject matches the object b. When the event repeats a key the last value
// counts, as encoding/json and Jackson decode it for the function.
func (n *node) matchObject(b []byte) bool {
	var small [16]value
	var vals []value
	if len(n.fields) <= len(small) {
		vals = small[:len(n.fields)]
	} else {
		vals = make([]value, len(n.fields))
	}
	if len(n.fields) > 0 {
		for it := (iter{b: b, i: 1}); ; {
			key, v, ok := it.member()
			if !ok {
				break
			}
			if i := n.lookup(key); i >= 0 {
				vals[i] = v
			}
		}
	}
	for i := range n.fields {
		if !n.fields[i].match(vals[i]) { // a missing field has the zero value, kMissing
			return false
		}
	}
	for _, branches := range n.ors {
		ok := false
		for _, br := range branches {
			if br.matchObject(b) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// lookup finds the field for a raw (still escaped) event key.
func (n *node) lookup(raw []byte) int {
	if bytes.IndexByte(raw, '\\') >= 0 {
		raw = unescape(raw)
	}
	for i := range n.fields {
		if n.fields[i].key == string(raw) {
			return i
		}
	}
	return -1
}

func (l *leaf) match(v value) bool {
	switch v.kind {
	case kMissing, kObject:
		return l.existsFalse
	case kArray:
		hasLeaf := false
		if ok, _ := l.matchArray(v.b, 0, &hasLeaf); ok {
			return true
		}
		return !hasLeaf && l.existsFalse
	}
	return l.matchScalar(v)
}

// matchArray is matchArray of node for a leaf: any scalar of the flattened array.
func (l *leaf) matchArray(b []byte, i int, hasLeaf *bool) (bool, int) {
	for i++; ; {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] == ']' {
			return false, i + 1
		}
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		if i < len(b) && b[i] == '[' {
			var ok bool
			if ok, i = l.matchArray(b, i, hasLeaf); ok {
				return true, -1
			}
			continue
		}
		var e value
		e, i = valueAt(b, i)
		if e.kind != kObject {
			*hasLeaf = true
			if l.matchScalar(e) {
				return true, -1
			}
		}
	}
}

// matchScalar tells whether any condition holds for one leaf value.
func (l *leaf) matchScalar(v value) bool {
	if l.existsTrue {
		return true
	}
	var str []byte // the decoded string, for kString and kText
	var num number // for kNumber
	switch v.kind {
	case kNull:
		if l.null {
			return true
		}
	case kTrue:
		if l.true_ {
			return true
		}
	case kFalse:
		if l.false_ {
			return true
		}
	case kText:
		str = v.b
	case kString:
		str = v.b[1 : len(v.b)-1]
		if bytes.IndexByte(str, '\\') >= 0 {
			str = unescape(str)
		}
	case kNumber:
		// A view of the body, not a copy: the body is not changed during Match, and
		// neither num nor ParseFloat's error outlives this call.
		num.lit = unsafe.String(unsafe.SliceData(v.b), len(v.b))
		f, err := strconv.ParseFloat(num.lit, 64)
		num.f, num.ok = f, err == nil
	}
	isStr := v.kind == kString || v.kind == kText
	if isStr {
		if l.strSet != nil {
			if _, ok := l.strSet[string(str)]; ok {
				return true
			}
		} else {
			for _, s := range l.strs {
				if s == string(str) {
					return true
				}
			}
		}
	}
	if v.kind == kNumber {
		for i := range l.nums {
			if l.nums[i].equal(&num) {
				return true
			}
		}
	}
	for i := range l.ops {
		o := &l.ops[i]
		switch o.kind {
		case opPrefix:
			if isStr && (!o.fold && bytes.HasPrefix(str, o.s) || o.fold && hasPrefixFold(str, o.s)) {
				return true
			}
		case opSuffix:
			if isStr && (!o.fold && bytes.HasSuffix(str, o.s) || o.fold && hasSuffixFold(str, o.s)) {
				return true
			}
		case opEqualsIgnoreCase:
			if isStr && bytes.EqualFold(str, o.s) {
				return true
			}
		case opNumeric:
			if v.kind == kNumber && num.ok && o.inRange(num.f) {
				return true
			}
		case opAnythingBut:
			if o.notExcluded(v.kind, str, &num) {
				return true
			}
		}
	}
	return false
}

// equal compares numbers by value, or by literal when a value is out of float64's range.
func (n *number) equal(m *number) bool {
	return n.ok && m.ok && n.f == m.f || n.lit == m.lit
}

func (o *op) inRange(f float64) bool {
	if o.hasLo && (f < o.lo || f == o.lo && !o.loIncl) {
		return false
	}
	if o.hasHi && (f > o.hi || f == o.hi && !o.hiIncl) {
		return false
	}
	return true
}

// notExcluded is anything-but: a value of another type than the excluded ones passes.
func (o *op) notExcluded(kind uint8, str []byte, num *number) bool {
	switch kind {
	case kString, kText:
		for _, s := range o.butStrs {
			if s == string(str) {
				return false
			}
		}
	case kNumber:
		for i := range o.butNums {
			if o.butNums[i].equal(num) {
				return false
			}
		}
	}
	return true
}

func hasPrefixFold(s, prefix []byte) bool {
	for len(prefix) > 0 {
		if len(s) == 0 {
			return false
		}
		pr, pn := utf8.DecodeRune(prefix)
		sr, sn := utf8.DecodeRune(s)
		if !equalFoldRune(pr, sr) {
			return false
		}
		prefix, s = prefix[pn:], s[sn:]
	}
	return true
}

func hasSuffixFold(s, suffix []byte) bool {
	for len(suffix) > 0 {
		if len(s) == 0 {
			return false
		}
		pr, pn := utf8.DecodeLastRune(suffix)
		sr, sn := utf8.DecodeLastRune(s)
		if !equalFoldRune(pr, sr) {
			return false
		}
		suffix, s = suffix[:len(suffix)-pn], s[:len(s)-sn]
	}
	return true
}

// equalFoldRune is Unicode simple case folding, as strings.EqualFold uses.
func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// iter walks the members of a JSON object that validJSON accepted; it starts just
// after the opening brace.
type iter struct {
	b []byte
	i int
}

func (it *iter) member() (key []byte, v value, ok bool) {
	it.i = skipSpace(it.b, it.i)
	if it.i >= len(it.b) || it.b[it.i] == '}' {
		return nil, value{}, false
	}
	if it.b[it.i] == ',' {
		it.i = skipSpace(it.b, it.i+1)
	}
	end := stringEnd(it.b, it.i)
	key = it.b[it.i+1 : end-1]
	it.i = skipSpace(it.b, end)
	it.i = skipSpace(it.b, it.i+1) // the colon
	v, it.i = valueAt(it.b, it.i)
	return key, v, true
}

// valueAt returns the value starting at b[i] and the index just past it.
func valueAt(b []byte, i int) (value, int) {
	if i >= len(b) {
		return value{}, i
	}
	switch c := b[i]; c {
	case '"':
		end := stringEnd(b, i)
		return value{kString, b[i:end]}, end
	case '{', '[':
		end := compositeEnd(b, i)
		if c == '{' {
			return value{kObject, b[i:end]}, end
		}
		return value{kArray, b[i:end]}, end
	case 't':
		return value{kTrue, b[i : i+4]}, i + 4
	case 'f':
		return value{kFalse, b[i : i+5]}, i + 5
	case 'n':
		return value{kNull, b[i : i+4]}, i + 4
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return value{kNumber, b[i:j]}, j
		}
		j++
	}
	return value{kNumber, b[i:j]}, j
}

// stringEnd returns the index just past the string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		q := j + k
		escapes := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			escapes++
		}
		if escapes%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

func compositeEnd(b []byte, i int) int {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			j = stringEnd(b, j) - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(b)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func trimSpace(b []byte) []byte {
	i := skipSpace(b, 0)
	j := len(b)
	for j > i && (b[j-1] == ' ' || b[j-1] == '\t' || b[j-1] == '\n' || b[j-1] == '\r') {
		j--
	}
	return b[i:j]
}

// unescape decodes the escapes of a JSON string's contents; lone surrogates become
// U+FFFD, as encoding/json decodes them.
func unescape(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			out = append(out, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s, i+1)
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2 = hex4(s, i+3)
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, s[i])
		}
	}
	return out
}

func hex4(s []byte, i int) rune {
	if i+4 > len(s) {
		return utf8.RuneError
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return utf8.RuneError
		}
		r = r<<4 | rune(c)
	}
	return r
}
