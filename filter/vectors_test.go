package filter

import (
	"encoding/base64"
	"errors"
	"testing"
)

// Test vectors of the reference lambda-filtering.md §6. The generic vectors (§6.1) are
// events matched on their own; here each event is a JSON message body and each pattern
// sits under "data", which is how an MQ filter sees the same JSON.
var genericVectors = []struct {
	id, pattern, event string
	match              bool
}{
	{"G1", `{"source":["order"],"kind":["Test"]}`, `{"source":"order","kind":"Test","x":1}`, true},
	{"G2", `{"Name":["Alice"]}`, `{"Name":"alice"}`, false},
	{"G3", `{"PaymentType":["Credit","Debit"]}`, `{"PaymentType":"Debit"}`, true},
	{"G4", `{"a":["p","x"],"b":["y"]}`, `{"a":"q","b":"y"}`, false},
	{"G5", `{"res":["arn:1","arn:2"]}`, `{"res":["arn:0","arn:2"]}`, true},
	{"G6", `{"res":["arn:1","arn:2"]}`, `{"res":["arn:0"]}`, false},
	{"G7", `{"res":[null]}`, `{"res":[]}`, false},
	{"G8", `{"flag":[false]}`, `{"flag":true}`, false},
	{"G9", `{"d":{"resp":[null]}}`, `{"d":{"resp":null}}`, true},
	{"G10", `{"d":{"resp":[null]}}`, `{"d":{"resp":"null"}}`, false},
	{"G11", `{"d":{"ver":[""]}}`, `{"d":{"ver":""}}`, true},
	{"G12", `{"d":{"ver":[""]}}`, `{"d":{"ver":null}}`, false},
	{"G13", `{"MY_KEY":["v"]}`, `{"my_key":"v"}`, false},
	{"G14", `{"n":[300]}`, `{"n":300.0}`, true}, // observed EventBridge behaviour, not the docs
	{"G15", `{"n":["5"]}`, `{"n":5}`, false},
	{"G16", `{"n":[{"numeric":[">",100]}]}`, `{"n":"300"}`, false},
	{"G17", `{"n":[{"numeric":[">",100]}]}`, `{"n":null}`, false},
	{"G18", `{"n":[{"numeric":[">",100]}]}`, `{"n":101.0}`, true},
	{"G19", `{"c":[{"numeric":[">",0,"<=",5]}]}`, `{"c":0}`, false},
	{"G20", `{"c":[{"numeric":[">",0,"<=",5]}]}`, `{"c":5}`, true},
	{"G21", `{"n":[{"numeric":[">=",100,"<",200]}]}`, `{"n":200}`, false},
	{"G22", `{"n":[{"numeric":[">=",100,"<",200]}]}`, `{"n":100}`, true},
	{"G23", `{"n":[{"numeric":["=",301.8]}]}`, `{"n":3.018e2}`, true},
	{"G24", `{"d":{"c":[{"numeric":[">",0,"<=",5]}],"x":[{"anything-but":[100,200,300]}]}}`, `{"d":{"c":3,"x":300}}`, false},
	{"G25", `{"d":{"c":[{"numeric":[">",0,"<=",5]}],"x":[{"anything-but":[100,200,300]}]}}`, `{"d":{"c":3,"x":999}}`, true},
	{"G26", `{"s":[{"anything-but":["stopped","overloaded"]}]}`, `{"s":"stopped"}`, false},
	{"G27", `{"s":[{"anything-but":["stopped","overloaded"]}]}`, `{"s":"pending"}`, true},
	{"G28", `{"s":[{"anything-but":"init"}]}`, `{}`, false},
	{"G29", `{"s":[{"anything-but":"init"}]}`, `{"s":null}`, true},
	{"G30", `{"b":[{"anything-but":[111,222]}]}`, `{"b":"444"}`, true},
	{"G31", `{"t":[{"anything-but":["a"]}]}`, `{"t":["a","b"]}`, true},
	{"G32", `{"t":[{"anything-but":["a"]}]}`, `{"t":["a"]}`, false},
	{"G33", `{"N":[{"numeric":[">",100]},{"anything-but":"101"}]}`, `{"N":"42"}`, true},
	{"G34", `{"N":[{"numeric":[">",100]},{"anything-but":"101"}]}`, `{"N":"101"}`, false},
	{"G35", `{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"ALICE"}`, true},
	{"G36", `{"v":[{"equals-ignore-case":""}]}`, `{"v":"x"}`, false},
	{"G37", `{"svc":[{"prefix":{"equals-ignore-case":"EventB"}}]}`, `{"svc":"EvEnTb"}`, true},
	{"G38", `{"f":[{"suffix":".PNG"}]}`, `{"f":"image.png"}`, false},
	{"G39", `{"f":[{"suffix":{"equals-ignore-case":".png"}}]}`, `{"f":"image.PNG"}`, true},
	{"G40", `{"s":[{"prefix":""}]}`, `{"s":"anything"}`, true},
	{"G41", `{"s":[{"prefix":"12"}]}`, `{"s":12345}`, false},
	{"G42", `{"d":{"state":[{"exists":true}]}}`, `{"d":{"c":{"c1":100}}}`, false},
	{"G43", `{"d":{"c":[{"exists":false}]}}`, `{"d":{"c":{"c1":100}}}`, true},
	{"G44", `{"res":[{"exists":true}]}`, `{"res":[]}`, false},
	{"G45", `{"db":{"key":[{"exists":true}]}}`, `{"db":{"key":{"S":"v"}}}`, false},
	{"G46", `{"db":{"key":{"S":[{"exists":true}]}}}`, `{"db":{"key":{"S":"v"}}}`, true},
	{"G47", `{"k":[{"exists":true},{"prefix":"zz"}]}`, `{"k":"v"}`, true},
	{"G48", `{"d":{"auto":{"id":[{"exists":true}]}}}`, `{"d":{"auto":[{"k":1},{"id":"x"}]}}`, true},
	{"G49", `{"emp":{"first":["Anna"],"last":["Jones"]}}`, `{"emp":[{"first":"Anna","last":"Smith"},{"first":"Peter","last":"Jones"}]}`, false},
	{"G50", `{"emp":{"first":["Anna"]}}`, `{"emp":[{"first":"Anna","last":"Smith"},{"first":"Peter","last":"Jones"}]}`, true},
	{"G51", `{"d":{"$or":[{"c":[{"numeric":[">",0,"<=",5]}]},{"e":[{"numeric":["<",10]}]}]}}`, `{"d":{"c":0,"e":0}}`, true},
	{"G52", `{"d":{"$or":[{"c":[{"numeric":[">",0,"<=",5]}]},{"e":[{"numeric":["<",10]}]}]}}`, `{"d":{"c":0,"e":10}}`, false},
	{"G53", `{"d":{"my":["v"]}}`, `{"d":"{\"my\":\"v\"}"}`, false},
}

func TestGenericVectors(t *testing.T) {
	for _, v := range genericVectors {
		s, err := Compile([]string{`{"data":` + v.pattern + `}`})
		if err != nil {
			t.Errorf("%s: Compile(%s): %v (%s)", v.id, v.pattern, err, reason(err))
			continue
		}
		if got := s.Match([]byte(v.event)); got != v.match {
			t.Errorf("%s: pattern %s, event %s: Match = %v, want %v", v.id, v.pattern, v.event, got, v.match)
		}
	}
}

// G54 and X1–X10, and the patterns real Lambda rejected (§2.2).
var invalidPatterns = []struct{ id, pattern string }{
	{"G54 wildcard (EventBridge only)", `{"data":{"p":[{"wildcard":"/Users/*/doc.txt"}]}}`},
	{"X1", `{"data":{"int":42}}`},
	{"X1 root", `{"data":42}`},
	{"X2", `{"data":{"res":[]}}`},
	{"X2 root", `{"data":[]}`},
	{"X3", `{"data":{"k":[{"EXISTS":true}]}}`},
	{"X4", `{"data":{"c":[{"numeric":[">",0,">",0]}]}}`},
	{"X5", `{"data":{"c":[{"numeric":10}]}}`},
	{"X6", `{"data":{"t":[{"prefix":["2022"]}]}}`},
	{"X7", `{"data":{"t":[{"equals-ignore-case":["x"]}]}}`},
	{"X8", `{"data":{"s":[{"anything-but":null}]}}`},
	{"X9", `{}`},
	{"X9 nested", `{"data":{}}`},
	{"X10", `{"data":{"s":[{"anything-but":{"prefix":"init"}}]}}`},
	{"L null", `null`},
	{"L simple string", `simple string`},
	{"L single-string", `single-string`},
	{"L malformed", `[{"eventName": ["INSERT"=123}]`},
	{"L leaf not array", `{"eventSource": "aws:sqs"}`},
	{"L empty array", `{"eventSource": []}`},
	{"M25 metadata key", `{"messageType":["jms/text-message"]}`},
	{"M25 with data", `{"data":["x"],"properties":{"k":["v"]}}`},
	{"empty", ``},
	{"array root", `[{"data":["x"]}]`},
	{"trailing data", `{"data":["x"]} {}`},
	{"NUMERIC", `{"data":{"c":[{"NUMERIC":[">",0]}]}}`},
	{"numeric string value", `{"data":{"c":[{"numeric":[">","5"]}]}}`},
	{"numeric upper first", `{"data":{"c":[{"numeric":["<",10,">",0]}]}}`},
	{"numeric empty range", `{"data":{"c":[{"numeric":[">",5,"<",5]}]}}`},
	{"numeric reversed range", `{"data":{"c":[{"numeric":[">=",6,"<=",5]}]}}`},
	{"numeric bad op", `{"data":{"c":[{"numeric":["!=",5]}]}}`},
	{"numeric too many", `{"data":{"c":[{"numeric":[">",0,"<",5,"<",6]}]}}`},
	{"numeric three", `{"data":{"c":[{"numeric":[">",0,"<"]}]}}`},
	{"numeric empty", `{"data":{"c":[{"numeric":[]}]}}`},
	{"numeric overflow", `{"data":{"c":[{"numeric":[">",1e999]}]}}`},
	{"two keys in operator", `{"data":{"c":[{"prefix":"a","suffix":"b"}]}}`},
	{"empty operator", `{"data":{"c":[{}]}}`},
	{"exists string", `{"data":{"c":[{"exists":"true"}]}}`},
	{"suffix number", `{"data":{"c":[{"suffix":5}]}}`},
	{"prefix bad object", `{"data":{"c":[{"prefix":{"equals-ignore-case":"a","x":"b"}}]}}`},
	{"prefix null", `{"data":{"c":[{"prefix":null}]}}`},
	{"anything-but empty", `{"data":{"c":[{"anything-but":[]}]}}`},
	{"anything-but mixed", `{"data":{"c":[{"anything-but":["a",1]}]}}`},
	{"anything-but null in list", `{"data":{"c":[{"anything-but":["stopped",null]}]}}`},
	{"anything-but bool", `{"data":{"c":[{"anything-but":true}]}}`},
	{"anything-but suffix", `{"data":{"c":[{"anything-but":{"suffix":"x"}}]}}`},
	{"anything-but equals-ignore-case", `{"data":{"c":[{"anything-but":{"equals-ignore-case":"x"}}]}}`},
	{"cidr", `{"data":{"ip":[{"cidr":"10.0.0.0/8"}]}}`},
	{"exactly", `{"data":{"c":[{"exactly":"x"}]}}`},
	{"nested array value", `{"data":{"c":[["x"]]}}`},
	{"$or one branch", `{"data":{"$or":[{"c":["x"]}]}}`},
	{"$or not array", `{"data":{"$or":{"c":["x"]}}}`},
	{"$or scalar branch", `{"data":{"$or":[{"c":["x"]},"y"]}}`},
	{"$or empty branch", `{"data":{"$or":[{"c":["x"]},{}]}}`},
	{"$or operator field", `{"data":{"$or":[{"prefix":["x"]},{"c":["y"]}]}}`},
	{"$or root metadata", `{"$or":[{"data":["x"]},{"messageID":["y"]}]}`},
	{"string leaf in nested", `{"data":{"a":{"b":"c"}}}`},
	{"too deep", `{"data":` + deep(100) + `}`},
}

func deep(n int) string {
	s := `["x"]`
	for range n {
		s = `{"a":` + s + `}`
	}
	return s
}

func TestInvalidPatterns(t *testing.T) {
	for _, v := range invalidPatterns {
		s, err := Compile([]string{`{"data":["ok"]}`, v.pattern})
		var pe *PatternError
		if !errors.As(err, &pe) || s != nil {
			t.Errorf("%s: Compile(%s) = %v, %v; want a *PatternError", v.id, v.pattern, s, err)
			continue
		}
		if err.Error() != "Invalid filter pattern definition." || pe.Index != 1 || pe.Reason == "" {
			t.Errorf("%s: error %q, index %d, reason %q", v.id, err, pe.Index, pe.Reason)
		}
	}
}

func reason(err error) string {
	var pe *PatternError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return ""
}

const m11Body = `{"order":{"status":"SHIPPED","total":42.5},"tags":["a","b"]}`

// Amazon MQ vectors, §6.2. Bodies are given as base64, as in the record, where the
// reference gives it.
var mqVectors = []struct {
	id       string
	patterns []string
	body     string // decoded text, unless b64 is set
	b64      string
	match    bool
}{
	{"M1", []string{`{"data":{"timeout":[{"numeric":[">",0]}]}}`}, "", "eyJ0aW1lb3V0IjowLCJJUEFkZHJlc3MiOiIyMDMuMC4xMTMuMjU0In0=", false},
	{"M2", []string{`{"data":{"timeout":[{"numeric":[">",0]}]}}`}, "", "eyJ0aW1lb3V0Ijo1fQ==", true},
	{"M3", []string{`{"data":[{"prefix":"Result: "}]}`}, "", "UmVzdWx0OiBvaw==", true},
	{"M4", []string{`{"data":[{"prefix":"Result: "}]}`}, "", "RXJyb3I6IGJvb20=", false},
	{"M5", []string{`{"data":[{"prefix":"ABC"}]}`}, "", "QUJDOkFBQUE=", true},
	{"M6", []string{`{"data":[{"prefix":"{"}]}`}, `{"timeout":5}`, "", false},
	{"M7", []string{`{"data":{"timeout":[{"exists":true}]}}`}, `timeout=5`, "", false},
	{"M8", []string{`{"data":[{"prefix":"x"}]}`}, "", "wyg=", false},
	{"M9", []string{`{"data":[{"anything-but":["error"]}]}`}, `fine`, "", true},
	{"M10", []string{`{"data":[{"anything-but":["error"]}]}`}, `error`, "", false},
	{"M11", []string{`{"data":{"order":{"status":[{"equals-ignore-case":"shipped"}]}}}`}, m11Body, "", true},
	{"M12", []string{`{"data":{"order":{"total":[{"numeric":[">",40,"<=",42.5]}]}}}`}, m11Body, "", true},
	{"M13", []string{`{"data":{"tags":[{"anything-but":["a"]}]}}`}, m11Body, "", true},
	{"M14", []string{`{"data":{"order":{"coupon":[{"exists":false}]}}}`}, m11Body, "", true},
	{"M15", []string{`{"data":{"order":[{"exists":true}]}}`}, m11Body, "", false},
	{"M16", []string{`{"data":{"sku":["B2"]}}`}, "", "W3sic2t1IjoiQTEifSx7InNrdSI6IkIyIn1d", true},
	{"M17", []string{`{"data":{"qty":[{"numeric":[">",1]}]}}`}, `{"qty":"7"}`, "", false},
	{"M18", []string{`{"data":["123"]}`}, `123`, "", true},
	{"M19", []string{`{"data":[""]}`}, ``, "", true},
	{"M20", []string{`{"data":{"status":["NEW"]}}`, `{"data":{"prio":[{"numeric":[">=",5]}]}}`}, `{"status":"OLD","prio":7}`, "", true},
	{"M21", []string{`{"data":{"status":["NEW"]}}`, `{"data":{"prio":[{"numeric":[">=",5]}]}}`}, `{"status":"OLD","prio":4}`, "", false},
	{"M22", []string{`{"data":{"status":["NEW"],"prio":[{"numeric":[">=",5]}]}}`}, `{"status":"NEW","prio":4}`, "", false},
	{"M23", []string{`{"data":{"timeout":[{"numeric":[">",0]}]}}`}, `{"timeout": 0`, "", false},
	{"M24", []string{`{"data":[{"exists":false}]}`}, `{"a":1}`, "", true},
}

func TestMQVectors(t *testing.T) {
	for _, v := range mqVectors {
		body := []byte(v.body)
		if v.b64 != "" {
			var err error
			if body, err = base64.StdEncoding.DecodeString(v.b64); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Compile(v.patterns)
		if err != nil {
			t.Errorf("%s: Compile: %v (%s)", v.id, err, reason(err))
			continue
		}
		if got := s.Match(body); got != v.match {
			t.Errorf("%s: patterns %s, body %q: Match = %v, want %v", v.id, v.patterns, body, got, v.match)
		}
	}
}
