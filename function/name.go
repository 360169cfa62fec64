package function

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidName marks a FunctionName that is none of the forms Lambda accepts.
var ErrInvalidName = errors.New("not a function name or ARN")

// ValidName reports whether s is a plain function name: 1 to 64 letters, digits,
// hyphens or underscores. (A loop, not a regexp: every invocation checks a name.)
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Name is a FunctionName taken apart by ParseName.
type Name struct {
	Name      string // the plain function name
	Qualifier string // the version or alias after the name; "" when none
	Region    string // the region an ARN names; "" when none is named
	Account   string // the account an ARN names; "" when none is named
}

// ParseName takes apart a FunctionName in any of the forms Lambda accepts:
//
//	my-function
//	my-function:qualifier
//	123456789012:function:my-function[:qualifier]
//	us-east-1:123456789012:function:my-function[:qualifier]
//	arn:aws:lambda:us-east-1:123456789012:function:my-function[:qualifier]
//
// It checks the form only, not that the region and account are this service's
// (see Name.Local) nor that the function exists. A string in none of the forms gives
// an error matching ErrInvalidName.
func ParseName(nameOrARN string) (Name, error) {
	if ValidName(nameOrARN) {
		return Name{Name: nameOrARN}, nil // the common case
	}
	var n Name
	parts := strings.Split(nameOrARN, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function":
		n.Region, n.Account, parts = parts[3], parts[4], parts[6:]
	case len(parts) >= 3 && parts[1] == "function":
		n.Account, parts = parts[0], parts[2:]
	case len(parts) >= 4 && parts[0] != "arn" && parts[2] == "function":
		n.Region, n.Account, parts = parts[0], parts[1], parts[3:]
	}
	if len(parts) > 2 || !ValidName(parts[0]) {
		return Name{}, fmt.Errorf("%q: %w", nameOrARN, ErrInvalidName)
	}
	n.Name = parts[0]
	if len(parts) == 2 {
		n.Qualifier = parts[1]
	}
	return n, nil
}

// Local checks that n names a function of region and account: an ARN of another
// gives an error matching ErrFunctionNotFound that says which. nameOrARN is what n
// was parsed from, for the message.
func (n Name) Local(nameOrARN, region, account string) error {
	if n.Region != "" && n.Region != region {
		return fmt.Errorf("%w: functions from '%s' are not reachable in this region ('%s')", ErrFunctionNotFound, n.Region, region)
	}
	if n.Account != "" && n.Account != account {
		return fmt.Errorf("%w: %s belongs to account %s, not %s", ErrFunctionNotFound, nameOrARN, n.Account, account)
	}
	return nil
}
