package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Message is the message Lambda returns, with InvalidParameterValueException and HTTP
// 400, for any invalid filter pattern.
const Message = "Invalid filter pattern definition."

// PatternError reports an invalid pattern. Its Error is Lambda's message, exactly;
// Reason says what is wrong, for logs and for users who want more than Lambda tells.
type PatternError struct {
	Index  int    // the pattern's position in the list given to Compile
	Reason string // e.g. `"timeout" must be an object or an array`
}

func (e *PatternError) Error() string { return Message }

// Set is a compiled list of patterns. The zero Set, and a nil *Set, match everything.
type Set struct {
	patterns []*node
}

// Compile checks and compiles FilterCriteria patterns (each a Filter's Pattern string).
// It returns a *PatternError for the first invalid pattern. It does not limit how many
// patterns there are nor how long each is: those are limits of the event source mapping
// (mapping.MaxFilters, and Lambda's 4096-character Pattern member), checked where the
// mapping is validated.
func Compile(patterns []string) (*Set, error) {
	s := &Set{}
	for i, src := range patterns {
		n, err := compilePattern(src)
		if err != nil {
			return nil, &PatternError{Index: i, Reason: err.Error()}
		}
		s.patterns = append(s.patterns, n)
	}
	return s, nil
}

// node is an object pattern: every field must match and, for each $or, one branch.
type node struct {
	fields    []field
	ors       [][]*node
	missingOK bool // matches where the event has no object here
}

type field struct {
	key  string
	sub  *node // an object pattern, or
	leaf *leaf // a list of conditions
}

func (f *field) missingOK() bool {
	if f.sub != nil {
		return f.sub.missingOK
	}
	return f.leaf.existsFalse
}

// leaf is one condition list: it holds when any condition holds for any value.
type leaf struct {
	existsTrue, existsFalse bool
	null, true_, false_     bool
	strs                    []string
	strSet                  map[string]struct{} // strs, when there are many
	nums                    []number
	ops                     []op
}

type number struct {
	lit string  // the literal, for equality of numbers float64 cannot tell apart
	f   float64 // valid when ok
	ok  bool
}

type opKind uint8

const (
	opPrefix opKind = iota + 1
	opSuffix
	opEqualsIgnoreCase
	opNumeric
	opAnythingBut
)

type op struct {
	kind opKind
	s    []byte // prefix, suffix, equals-ignore-case
	fold bool   // prefix or suffix with equals-ignore-case
	// numeric
	lo, hi         float64
	hasLo, hasHi   bool
	loIncl, hiIncl bool
	// anything-but: the excluded strings, or numbers
	butStrs []string
	butNums []number
}

// maxDepth bounds pattern nesting; real patterns are a few levels deep.
const maxDepth = 64

func compilePattern(src string) (*node, error) {
	v, err := parse(src)
	if err != nil {
		return nil, err
	}
	if v.kind != '{' {
		return nil, errors.New("Filter is not an object")
	}
	return compileObject(v, true, 0)
}

var operators = map[string]bool{
	"prefix": true, "suffix": true, "equals-ignore-case": true, "anything-but": true,
	"numeric": true, "exists": true, "wildcard": true, "cidr": true, "exactly": true,
}

func compileObject(v pval, root bool, depth int) (*node, error) {
	if len(v.obj) == 0 {
		return nil, errors.New("Empty objects are not allowed")
	}
	n := &node{}
	for _, m := range v.obj {
		if m.key == "$or" {
			if m.val.kind != '[' || len(m.val.arr) < 2 {
				return nil, errors.New("There must have at least 2 Objects in $or relationship.")
			}
			var branches []*node
			for _, b := range m.val.arr {
				if b.kind != '{' {
					return nil, errors.New("There must have at least 2 Objects in $or relationship.")
				}
				for _, bm := range b.obj {
					if operators[bm.key] {
						return nil, fmt.Errorf("%q is an operator and cannot be a field name in $or", bm.key)
					}
				}
				bn, err := compileObject(b, root, depth+1)
				if err != nil {
					return nil, err
				}
				branches = append(branches, bn)
			}
			n.ors = append(n.ors, branches)
			continue
		}
		if root && m.key != "data" {
			return nil, fmt.Errorf("Amazon MQ filters can only filter on the data key, not %q", m.key)
		}
		f := field{key: m.key}
		switch m.val.kind {
		case '{':
			if depth >= maxDepth {
				return nil, errors.New("pattern is nested too deeply")
			}
			sub, err := compileObject(m.val, false, depth+1)
			if err != nil {
				return nil, err
			}
			f.sub = sub
		case '[':
			l, err := compileLeaf(m.val.arr)
			if err != nil {
				return nil, err
			}
			f.leaf = l
		default:
			return nil, fmt.Errorf("%q must be an object or an array", m.key)
		}
		n.fields = append(n.fields, f)
	}
	n.missingOK = true
	for i := range n.fields {
		if !n.fields[i].missingOK() {
			n.missingOK = false
		}
	}
	for _, branches := range n.ors {
		any := false
		for _, b := range branches {
			any = any || b.missingOK
		}
		n.missingOK = n.missingOK && any
	}
	return n, nil
}

func compileLeaf(arr []pval) (*leaf, error) {
	if len(arr) == 0 {
		return nil, errors.New("Empty arrays are not allowed")
	}
	l := &leaf{}
	for _, v := range arr {
		switch v.kind {
		case 's':
			l.strs = append(l.strs, v.s)
		case 'n':
			l.nums = append(l.nums, newNumber(v.s))
		case 't':
			l.true_ = true
		case 'f':
			l.false_ = true
		case 'z':
			l.null = true
		case '{':
			if err := l.addOperator(v); err != nil {
				return nil, err
			}
		default:
			return nil, errors.New("Match value must be String, number, true, false, or null")
		}
	}
	if len(l.strs) > 8 {
		l.strSet = make(map[string]struct{}, len(l.strs))
		for _, s := range l.strs {
			l.strSet[s] = struct{}{}
		}
	}
	return l, nil
}

func newNumber(lit string) number {
	f, err := strconv.ParseFloat(lit, 64)
	return number{lit: lit, f: f, ok: err == nil}
}

func (l *leaf) addOperator(v pval) error {
	if len(v.obj) != 1 {
		return errors.New("Only one key allowed in match expression")
	}
	name, arg := v.obj[0].key, v.obj[0].val
	switch name {
	case "prefix", "suffix":
		o := op{kind: opPrefix}
		if name == "suffix" {
			o.kind = opSuffix
		}
		switch {
		case arg.kind == 's':
			o.s = []byte(arg.s)
		case arg.kind == '{' && len(arg.obj) == 1 && arg.obj[0].key == "equals-ignore-case" && arg.obj[0].val.kind == 's':
			o.s, o.fold = []byte(arg.obj[0].val.s), true
		default:
			return fmt.Errorf("%s match pattern must be a string", name)
		}
		l.ops = append(l.ops, o)
	case "equals-ignore-case":
		if arg.kind != 's' {
			return errors.New("equals-ignore-case match pattern must be a string")
		}
		l.ops = append(l.ops, op{kind: opEqualsIgnoreCase, s: []byte(arg.s)})
	case "exists":
		switch arg.kind {
		case 't':
			l.existsTrue = true
		case 'f':
			l.existsFalse = true
		default:
			return errors.New("exists match pattern must be either true or false.")
		}
	case "numeric":
		o, err := compileNumeric(arg)
		if err != nil {
			return err
		}
		l.ops = append(l.ops, o)
	case "anything-but":
		o := op{kind: opAnythingBut}
		switch arg.kind {
		case 's':
			o.butStrs = []string{arg.s}
		case 'n':
			o.butNums = []number{newNumber(arg.s)}
		case '[':
			if len(arg.arr) == 0 {
				return errors.New("Empty arrays are not allowed")
			}
			for _, e := range arg.arr {
				switch e.kind {
				case 's':
					o.butStrs = append(o.butStrs, e.s)
				case 'n':
					o.butNums = append(o.butNums, newNumber(e.s))
				default:
					return errors.New("Inside anything but list, start|null|boolean is not supported.")
				}
			}
			if len(o.butStrs) > 0 && len(o.butNums) > 0 {
				return errors.New("Inside anything but list, either all values are number or string, mixed type is not supported")
			}
		case '{':
			return errors.New("anything-but with a nested operator is not supported by Lambda event filtering")
		default:
			return errors.New("Value of anything-but must be an array or single string/number value.")
		}
		l.ops = append(l.ops, o)
	case "wildcard", "cidr", "exactly":
		return fmt.Errorf("%s is not supported by Lambda event filtering", name)
	default:
		return fmt.Errorf("Unrecognized match type %s", name)
	}
	return nil
}

func compileNumeric(arg pval) (op, error) {
	o := op{kind: opNumeric}
	if arg.kind != '[' {
		return o, errors.New("Value of numeric must be an array.")
	}
	a := arg.arr
	bound := func(i int) (string, float64, error) {
		if a[i].kind != 's' {
			return "", 0, errors.New("Invalid member in numeric match: must be a comparison operator")
		}
		if i+1 >= len(a) || a[i+1].kind != 'n' {
			return "", 0, fmt.Errorf("Value of %s must be numeric", a[i].s)
		}
		f, err := strconv.ParseFloat(a[i+1].s, 64)
		if err != nil || math.IsInf(f, 0) {
			return "", 0, fmt.Errorf("Value of %s is out of range", a[i].s)
		}
		return a[i].s, f, nil
	}
	switch len(a) {
	case 2:
		name, f, err := bound(0)
		if err != nil {
			return o, err
		}
		switch name {
		case "=":
			o.lo, o.hi, o.hasLo, o.hasHi, o.loIncl, o.hiIncl = f, f, true, true, true, true
		case ">", ">=":
			o.lo, o.hasLo, o.loIncl = f, true, name == ">="
		case "<", "<=":
			o.hi, o.hasHi, o.hiIncl = f, true, name == "<="
		default:
			return o, fmt.Errorf("Unrecognized numeric range operator: %s", name)
		}
	case 4:
		lo, fl, err := bound(0)
		if err != nil {
			return o, err
		}
		hi, fh, err := bound(2)
		if err != nil {
			return o, err
		}
		if lo != ">" && lo != ">=" {
			return o, fmt.Errorf("Bad numeric range operator: %s", lo)
		}
		if hi != "<" && hi != "<=" {
			return o, fmt.Errorf("Bad numeric range operator: %s", hi)
		}
		if !(fl < fh) {
			return o, errors.New("Bad numeric range: the lower bound must be below the upper bound")
		}
		o.lo, o.hasLo, o.loIncl = fl, true, lo == ">="
		o.hi, o.hasHi, o.hiIncl = fh, true, hi == "<="
	default:
		return o, errors.New("Numeric match takes an operator and a number, or a lower and an upper bound")
	}
	return o, nil
}

// pval is a parsed pattern value that keeps object members in order.
type pval struct {
	kind byte // '{', '[', 's' string, 'n' number, 't', 'f', 'z' null
	s    string
	obj  []member
	arr  []pval
}

type member struct {
	key string
	val pval
}

func parse(src string) (pval, error) {
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	v, err := parseValue(dec, 0)
	if err != nil {
		return pval{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return pval{}, errors.New("pattern is not one JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, depth int) (pval, error) {
	if depth > maxDepth+2 {
		return pval{}, errors.New("pattern is nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return pval{}, fmt.Errorf("pattern is not valid JSON: %v", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := pval{kind: '{'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return pval{}, fmt.Errorf("pattern is not valid JSON: %v", err)
				}
				key, _ := kt.(string)
				mv, err := parseValue(dec, depth+1)
				if err != nil {
					return pval{}, err
				}
				v.set(key, mv)
			}
			if _, err := dec.Token(); err != nil {
				return pval{}, fmt.Errorf("pattern is not valid JSON: %v", err)
			}
			return v, nil
		case '[':
			v := pval{kind: '['}
			for dec.More() {
				e, err := parseValue(dec, depth+1)
				if err != nil {
					return pval{}, err
				}
				v.arr = append(v.arr, e)
			}
			if _, err := dec.Token(); err != nil {
				return pval{}, fmt.Errorf("pattern is not valid JSON: %v", err)
			}
			return v, nil
		}
	case string:
		return pval{kind: 's', s: t}, nil
	case json.Number:
		return pval{kind: 'n', s: string(t)}, nil
	case bool:
		if t {
			return pval{kind: 't'}, nil
		}
		return pval{kind: 'f'}, nil
	case nil:
		return pval{kind: 'z'}, nil
	}
	return pval{}, errors.New("pattern is not valid JSON")
}

// set adds a member; a duplicate key replaces the earlier value ("Lambda uses only the
// last value for that key").
func (v *pval) set(key string, val pval) {
	for i := range v.obj {
		if v.obj[i].key == key {
			v.obj[i].val = val
			return
		}
	}
	v.obj = append(v.obj, member{key, val})
}
