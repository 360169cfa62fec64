package filter_test

import (
	"errors"
	"fmt"

	"github.com/mqtrigger/mqtrigger/filter"
)

func ExampleCompile() {
	set, err := filter.Compile([]string{
		`{"data":{"timeout":[{"numeric":[">",0]}]}}`, // JSON bodies
		`{"data":[{"prefix":"Result: "}]}`,           // plain-text bodies
	})
	if err != nil {
		panic(err)
	}
	for _, body := range []string{`{"timeout":5}`, `{"timeout":0}`, `Result: ok`, `Error: boom`} {
		fmt.Println(body, set.Match([]byte(body)))
	}

	_, err = filter.Compile([]string{`{"data":{"timeout":0}}`})
	var pe *filter.PatternError
	if errors.As(err, &pe) {
		fmt.Printf("%v (pattern %d: %s)\n", err, pe.Index, pe.Reason)
	}
	// Output:
	// {"timeout":5} true
	// {"timeout":0} false
	// Result: ok true
	// Error: boom false
	// Invalid filter pattern definition. (pattern 0: "timeout" must be an object or an array)
}
