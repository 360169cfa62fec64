package function

import (
	"errors"
	"strings"
	"testing"
)

// TestParseName: every form Lambda accepts for FunctionName, and what is refused.
func TestParseName(t *testing.T) {
	ok := []struct {
		in   string
		want Name
	}{
		{"orders", Name{Name: "orders"}},
		{"orders:$LATEST", Name{Name: "orders", Qualifier: "$LATEST"}},
		{"orders:7", Name{Name: "orders", Qualifier: "7"}},
		{"123456789012:function:orders", Name{Name: "orders", Account: "123456789012"}},
		{"us-east-1:123456789012:function:orders:live", Name{Name: "orders", Qualifier: "live", Region: "us-east-1", Account: "123456789012"}},
		{"arn:aws:lambda:eu-west-1:123456789012:function:orders", Name{Name: "orders", Region: "eu-west-1", Account: "123456789012"}},
		{"arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST", Name{Name: "orders", Qualifier: "$LATEST", Region: "us-east-1", Account: "123456789012"}},
		{strings.Repeat("a", 64), Name{Name: strings.Repeat("a", 64)}},
	}
	for _, tt := range ok {
		got, err := ParseName(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseName(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "bad name", "a:b:c", strings.Repeat("a", 65), "arn:aws:lambda:us-east-1:123456789012:function:", "arn:aws:sqs:us-east-1:123456789012:q", "fn.v2"} {
		if n, err := ParseName(in); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ParseName(%q) = %+v, %v; want ErrInvalidName", in, n, err)
		}
	}
	n, _ := ParseName("arn:aws:lambda:eu-west-1:123456789012:function:orders")
	if err := n.Local("x", "us-east-1", "123456789012"); !errors.Is(err, ErrFunctionNotFound) || !strings.Contains(err.Error(), "functions from 'eu-west-1' are not reachable in this region ('us-east-1')") {
		t.Errorf("Local of another region: %v", err)
	}
	n, _ = ParseName("210987654321:function:orders")
	if err := n.Local("210987654321:function:orders", "us-east-1", "123456789012"); !errors.Is(err, ErrFunctionNotFound) || !strings.Contains(err.Error(), "210987654321:function:orders belongs to account 210987654321, not 123456789012") {
		t.Errorf("Local of another account: %v", err)
	}
	if err := n.Local("", "us-east-1", "210987654321"); err != nil {
		t.Errorf("Local of this account: %v", err)
	}
}

func TestValidName(t *testing.T) {
	if !ValidName("MQ-Example_Function1") || ValidName("") || ValidName(strings.Repeat("a", 65)) || ValidName("a.b") {
		t.Fatal("ValidName")
	}
}
