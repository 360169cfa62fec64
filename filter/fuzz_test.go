package filter

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// The seed corpus in testdata/fuzz holds every pattern and body of the test vectors.

func FuzzCompile(f *testing.F) {
	f.Add(`{"data":{"timeout":[{"numeric":[">",0]}]}}`)
	f.Fuzz(func(t *testing.T, pattern string) {
		s, err := Compile([]string{pattern})
		if err != nil {
			if _, ok := err.(*PatternError); !ok || err.Error() != Message {
				t.Fatalf("Compile(%q): error %T %v", pattern, err, err)
			}
			return
		}
		for _, body := range []string{``, `x`, `{"a":1}`, `[1,{"b":[null,true,"s"]}]`, "\xff"} {
			s.Match([]byte(body))
		}
	})
}

// FuzzMatch checks Match against a slower matcher over encoding/json's decoding of the
// body, for JSON bodies.
func FuzzMatch(f *testing.F) {
	f.Add(`{"data":{"a":{"b":["x"]}}}`, []byte(`{"a":[{"b":"x"}]}`))
	f.Fuzz(func(t *testing.T, pattern string, body []byte) {
		s, err := Compile([]string{pattern})
		if err != nil {
			return
		}
		got := s.Match(body) // must not panic, whatever the body
		if !utf8.Valid(body) {
			if got != s.patterns[0].matchRoot(value{}) {
				t.Fatalf("non-UTF-8 body: Match = %v", got)
			}
			return
		}
		// JSON's whitespace only: bytes.TrimSpace would also strip U+0085 and U+00A0,
		// which make a body that is not JSON.
		t1 := bytes.Trim(body, " \t\r\n")
		if len(t1) == 0 || (t1[0] != '{' && t1[0] != '[') || !json.Valid(t1) {
			return
		}
		// The reference reads the body as the function would (encoding/json; the last of
		// duplicate keys wins). Match must agree on the body and on its re-encoding.
		dec := json.NewDecoder(bytes.NewReader(t1))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return
		}
		canon, err := json.Marshal(v)
		if err != nil {
			return
		}
		want := refRoot(s.patterns[0], v)
		if got != want {
			t.Fatalf("pattern %s, body %s: Match = %v, reference = %v", pattern, body, got, want)
		}
		if got := s.Match(canon); got != want {
			t.Fatalf("pattern %s, body %s: Match = %v, reference = %v", pattern, canon, got, want)
		}
	})
}

func refRoot(n *node, data any) bool {
	for i := range n.fields {
		f := &n.fields[i]
		if f.sub != nil && !refNode(f.sub, data) || f.leaf != nil && !refLeaf(f.leaf, data, true) {
			return false
		}
	}
	return refOrs(n, func(b *node) bool { return refRoot(b, data) })
}

func refOrs(n *node, match func(*node) bool) bool {
	for _, branches := range n.ors {
		ok := false
		for _, b := range branches {
			ok = ok || match(b)
		}
		if !ok {
			return false
		}
	}
	return true
}

func refNode(n *node, v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for i := range n.fields {
			f := &n.fields[i]
			fv, present := v[f.key]
			switch {
			case !present:
				if !f.missingOK() {
					return false
				}
			case f.sub != nil:
				if !refNode(f.sub, fv) {
					return false
				}
			default:
				if !refLeaf(f.leaf, fv, true) {
					return false
				}
			}
		}
		return refOrs(n, func(b *node) bool { return refNode(b, v) })
	case []any:
		for _, e := range v {
			if refNode(n, e) {
				return true
			}
		}
		return len(v) == 0 && n.missingOK
	}
	return n.missingOK
}

func refLeaf(l *leaf, v any, present bool) bool {
	var scalars []any
	var flatten func(any)
	flatten = func(v any) {
		switch v := v.(type) {
		case map[string]any:
		case []any:
			for _, e := range v {
				flatten(e)
			}
		default:
			scalars = append(scalars, v)
		}
	}
	flatten(v)
	if len(scalars) == 0 {
		return l.existsFalse
	}
	for _, s := range scalars {
		var val value
		switch s := s.(type) {
		case nil:
			val = value{kind: kNull}
		case bool:
			val = value{kind: kFalse}
			if s {
				val.kind = kTrue
			}
		case json.Number:
			val = value{kNumber, []byte(s)}
		case string:
			b, _ := json.Marshal(s)
			val = value{kString, b}
		}
		if l.matchScalar(val) {
			return true
		}
	}
	return false
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,-0.5e+3,true,false,null,"\u00e9\n"]}`, ` {"a" : {"b":[[]]}} `,
		`{"a":1,}`, `[1,]`, `01`, `1.`, `-`, `"\x"`, "\"\x01\"", `{"a"}`, `[1 2]`, `nul`, `{"a":1}}`, `]`, `{]`, `[}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", b, got, want)
		}
	})
}

func TestValidJSONDepth(t *testing.T) {
	for _, n := range []int{maxNesting - 1, maxNesting, maxNesting + 1} {
		b := []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("depth %d: validJSON = %v, json.Valid = %v", n, got, want)
		}
		b = []byte(strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n))
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("object depth %d: validJSON = %v, json.Valid = %v", n, got, want)
		}
	}
}
