package filter

import (
	"strings"
	"testing"
	"time"
)

// More cases than the reference's vectors: escapes, duplicates, the dotted-key
// divergence, and the classification of bodies.
func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		name     string
		patterns []string
		body     string
		match    bool
	}{
		{"nil patterns match everything", nil, "anything", true},
		{"escaped event string", []string{`{"data":{"s":["Aé😀\"\n"]}}`}, `{"s":"\u0041\u00e9\ud83d\ude00\"\n"}`, true},
		{"escaped event key", []string{`{"data":{"ké":["v"]}}`}, `{"k\u00e9":"v"}`, true},
		{"escaped pattern string", []string{`{"data":{"s":["\u0041"]}}`}, `{"s":"A"}`, true},
		{"lone surrogate", []string{`{"data":{"s":["\ufffd"]}}`}, `{"s":"\ud800"}`, true},
		{"duplicate pattern key: last wins", []string{`{"data":{"s":["a"],"s":["b"]}}`}, `{"s":"b"}`, true},
		{"duplicate pattern key: first ignored", []string{`{"data":{"s":["a"],"s":["b"]}}`}, `{"s":"a"}`, false},
		{"dotted pattern key is not a path", []string{`{"data":{"state.status":["running"]}}`}, `{"state":{"status":"running"}}`, false},
		{"dotted pattern key matches a dotted key", []string{`{"data":{"state.status":["running"]}}`}, `{"state.status":"running"}`, true},
		{"dotted event key is not a path", []string{`{"data":{"state":{"status":["running"]}}}`}, `{"state.status":"running"}`, false},
		{"$or at the root", []string{`{"$or":[{"data":["a"]},{"data":{"k":["v"]}}]}`}, `{"k":"v"}`, true},
		{"$or at the root, plain", []string{`{"$or":[{"data":["a"]},{"data":{"k":["v"]}}]}`}, `a`, true},
		{"$or at the root, neither", []string{`{"$or":[{"data":["a"]},{"data":{"k":["v"]}}]}`}, `b`, false},
		{"two $or levels", []string{`{"data":{"x":["1"],"$or":[{"a":["1"]},{"b":["1"]}],"c":{"$or":[{"d":["1"]},{"e":["1"]}]}}}`}, `{"x":"1","b":"1","c":{"e":"1"}}`, true},
		{"two $or levels, one fails", []string{`{"data":{"x":["1"],"$or":[{"a":["1"]},{"b":["1"]}],"c":{"$or":[{"d":["1"]},{"e":["1"]}]}}}`}, `{"x":"1","b":"1","c":{"f":"1"}}`, false},
		{"$or within one array element", []string{`{"data":{"o":{"a":["1"],"$or":[{"b":["1"]},{"c":["1"]}]}}}`}, `{"o":[{"a":"1"},{"c":"1"}]}`, false},
		{"$or within one array element, same", []string{`{"data":{"o":{"a":["1"],"$or":[{"b":["1"]},{"c":["1"]}]}}}`}, `{"o":[{"a":"2"},{"a":"1","c":"1"}]}`, true},
		{"exists true on null", []string{`{"data":{"k":[{"exists":true}]}}`}, `{"k":null}`, true},
		{"exists false on null", []string{`{"data":{"k":[{"exists":false}]}}`}, `{"k":null}`, false},
		{"exists false on empty array", []string{`{"data":{"k":[{"exists":false}]}}`}, `{"k":[]}`, true},
		{"exists false, missing parent", []string{`{"data":{"a":{"b":[{"exists":false}]}}}`}, `{}`, true},
		{"exists false, parent is a string", []string{`{"data":{"a":{"b":[{"exists":false}]}}}`}, `{"a":"x"}`, true},
		{"exists false, parent is an empty array", []string{`{"data":{"a":{"b":[{"exists":false}]}}}`}, `{"a":[]}`, true},
		{"exists false, present", []string{`{"data":{"a":{"b":[{"exists":false}]}}}`}, `{"a":{"b":1}}`, false},
		{"nested arrays are flattened", []string{`{"data":{"k":[3]}}`}, `{"k":[[1,[2,3]]]}`, true},
		{"nested arrays of objects", []string{`{"data":{"k":{"a":[1],"b":[2]}}}`}, `{"k":[[{"a":1,"b":2}]]}`, true},
		{"large integers compare by literal", []string{`{"data":{"id":[12345678901234567890123]}}`}, `{"id":12345678901234567890123}`, true},
		{"large integers that float64 merges", []string{`{"data":{"id":[9007199254740993]}}`}, `{"id":9007199254740992}`, true},
		{"out of range numbers by literal", []string{`{"data":{"n":[1e400]}}`}, `{"n":1e400}`, true},
		{"out of range numbers by literal, differ", []string{`{"data":{"n":[1e400]}}`}, `{"n":2e400}`, false},
		{"number vs string", []string{`{"data":{"n":[5]}}`}, `{"n":"5"}`, false},
		{"true vs string", []string{`{"data":{"n":[true]}}`}, `{"n":"true"}`, false},
		{"true", []string{`{"data":{"n":[true]}}`}, `{"n":true}`, true},
		{"anything-but number excludes by value", []string{`{"data":{"n":[{"anything-but":100}]}}`}, `{"n":100.0}`, false},
		{"anything-but number vs bool", []string{`{"data":{"n":[{"anything-but":100}]}}`}, `{"n":false}`, true},
		{"anything-but plain body", []string{`{"data":[{"anything-but":"x"}]}`}, `y`, true},
		{"numeric equal", []string{`{"data":{"n":[{"numeric":["=",5]}]}}`}, `{"n":5.0}`, true},
		{"numeric <=", []string{`{"data":{"n":[{"numeric":["<=",5]}]}}`}, `{"n":5}`, true},
		{"numeric <", []string{`{"data":{"n":[{"numeric":["<",5]}]}}`}, `{"n":5}`, false},
		{"numeric >=", []string{`{"data":{"n":[{"numeric":[">=",-1.5]}]}}`}, `{"n":-1.5}`, true},
		{"numeric negative exponent", []string{`{"data":{"n":[{"numeric":[">",0,"<",1]}]}}`}, `{"n":5e-1}`, true},
		{"numeric on plain body", []string{`{"data":[{"numeric":[">",0]}]}`}, `5`, false},
		{"suffix multibyte", []string{`{"data":[{"suffix":"😀"}]}`}, `hi 😀`, true},
		{"prefix fold multibyte", []string{`{"data":[{"prefix":{"equals-ignore-case":"ÉCOLE"}}]}`}, `école primaire`, true},
		{"prefix fold Kelvin sign", []string{`{"data":[{"prefix":{"equals-ignore-case":"k"}}]}`}, "\u212a", true},
		{"suffix fold", []string{`{"data":[{"suffix":{"equals-ignore-case":"TXT"}}]}`}, `a.txt`, true},
		{"suffix fold longer than string", []string{`{"data":[{"suffix":{"equals-ignore-case":"xTXT"}}]}`}, `txt`, false},
		{"equals-ignore-case plain body", []string{`{"data":[{"equals-ignore-case":"HELLO"}]}`}, `hello`, true},
		{"plain body keeps its spaces", []string{`{"data":[" x "]}`}, ` x `, true},
		{"JSON body with spaces", []string{`{"data":{"k":["v"]}}`}, " \n{\"k\" : \"v\"}\t", true},
		{"JSON scalar body is text", []string{`{"data":["\"x\""]}`}, `"x"`, true},
		{"true body is text", []string{`{"data":["true"]}`}, `true`, true},
		{"BOM makes a body text", []string{`{"data":{"k":["v"]}}`}, "\ufeff{\"k\":\"v\"}", false},
		{"trailing garbage makes a body text", []string{`{"data":[{"prefix":"{\"k\""}]}`}, `{"k":"v"} x`, true},
		{"non-UTF-8 body and exists false", []string{`{"data":[{"exists":false}]}`}, "\xff\xfe", true},
		{"non-UTF-8 body and exists true", []string{`{"data":[{"exists":true}]}`}, "\xff\xfe", false},
		{"non-UTF-8 body and anything-but", []string{`{"data":[{"anything-but":"x"}]}`}, "\xff", false},
		{"plain pattern on a JSON array of strings", []string{`{"data":["a"]}`}, `["a","b"]`, true},
		{"empty body and JSON pattern", []string{`{"data":{"k":[{"exists":false}]}}`}, ``, true},
		{"many exact strings", []string{`{"data":["a","b","c","d","e","f","g","h","i","j"]}`}, `j`, true},
		{"many exact strings, none", []string{`{"data":["a","b","c","d","e","f","g","h","i","j"]}`}, `k`, false},
		{"many fields", []string{`{"data":{` + manyFields(20) + `}}`}, `{` + manyFields2(20) + `}`, true},
	} {
		s, err := Compile(tt.patterns)
		if err != nil {
			t.Errorf("%s: Compile: %v (%s)", tt.name, err, reason(err))
			continue
		}
		if got := s.Match([]byte(tt.body)); got != tt.match {
			t.Errorf("%s: patterns %s, body %q: Match = %v, want %v", tt.name, tt.patterns, tt.body, got, tt.match)
		}
	}
	var nilSet *Set
	if !nilSet.Match([]byte("x")) || !(&Set{}).Match(nil) {
		t.Error("a nil or empty Set must match everything")
	}
}

func manyFields(n int) string {
	var b []string
	for i := range n {
		b = append(b, `"f`+string(rune('a'+i))+`":["v"]`)
	}
	return strings.Join(b, ",")
}

func manyFields2(n int) string {
	var b []string
	for i := n - 1; i >= 0; i-- {
		b = append(b, `"f`+string(rune('a'+i))+`":"v"`)
	}
	return strings.Join(b, ",")
}

// TestDeepBodies checks that bodies nested as deep as JSON allows cost linear time
// (a producer controls the body; a quadratic walk would let one message stall a batch).
func TestDeepBodies(t *testing.T) {
	s, err := Compile([]string{`{"data":{"k":["v"]}}`, `{"data":[{"exists":false}]}`, `{"data":{"a":{"b":{"c":[{"exists":false}]}}}}`})
	if err != nil {
		t.Fatal(err)
	}
	const depth = 9999
	for _, body := range []string{
		strings.Repeat("[", depth) + strings.Repeat("]", depth),
		strings.Repeat(`[{"x":1},`, depth) + "1" + strings.Repeat("]", depth),
		strings.Repeat(`{"k":`, depth) + "1" + strings.Repeat("}", depth),
		`{"k":` + strings.Repeat("[", depth) + `"v"` + strings.Repeat("]", depth) + `}`,
		`{"a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`,
	} {
		start := time.Now()
		for range 10 {
			s.Match([]byte(body))
		}
		if d := time.Since(start) / 10; d > 20*time.Millisecond {
			t.Errorf("Match on a body nested %d deep took %v", depth, d)
		}
	}
}
