package filter

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchBody is a typical 1 KB JSON order message.
var benchBody = func() []byte {
	b := `{"orderId":"ord-2026-11-25-000123","customer":{"id":"cust-88812","name":"Ada Lovelace","email":"ada@example.com","tier":"gold","address":{"street":"12 Analytical Way","city":"London","zip":"NW1 6XE","country":"GB"}},` +
		`"status":"NEW","priority":7,"total":1249.95,"currency":"EUR","createdAt":"2026-11-25T13:24:18Z","channel":"web",` +
		`"items":[{"sku":"A-100","name":"Difference engine","qty":1,"price":999.00},{"sku":"B-220","name":"Punched cards (box)","qty":5,"price":40.99},{"sku":"C-310","name":"Brass gears","qty":10,"price":4.50}],` +
		`"tags":["priority","gift","eu"],"notes":"Leave at the door. Ring twice; the bell is quiet.","flags":{"fraudCheck":false,"giftWrap":true,"express":null}`
	b += `,"padding":"` + strings.Repeat("x", 1024-len(b)-len(`,"padding":""}`)) + `"}`
	return []byte(b)
}()

var benchPatterns = []string{
	`{"data":{"status":["CANCELLED"],"customer":{"tier":["gold","platinum"]}}}`,
	`{"data":{"total":[{"numeric":[">",1000]}],"items":{"sku":[{"prefix":"A-"}]},"flags":{"fraudCheck":[false]}}}`,
}

func BenchmarkMatch(b *testing.B) {
	s, err := Compile(benchPatterns)
	if err != nil {
		b.Fatal(err)
	}
	if len(benchBody) != 1024 || !s.Match(benchBody) {
		b.Fatalf("benchmark body (%d bytes) must match", len(benchBody))
	}
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		s.Match(benchBody)
	}
}

func BenchmarkMatchPlainText(b *testing.B) {
	s, err := Compile([]string{`{"data":[{"prefix":"Result: "}]}`, `{"data":[{"anything-but":["error"]}]}`})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte("Error: " + strings.Repeat("y", 1017))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s.Match(body)
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(benchPatterns); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidJSON compares the validator Match uses with encoding/json's.
func BenchmarkValidJSON(b *testing.B) {
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		for b.Loop() {
			validJSON(benchBody)
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		for b.Loop() {
			json.Valid(benchBody)
		}
	})
}
