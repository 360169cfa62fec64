package api

import (
	"errors"

	"github.com/mqtrigger/mqtrigger/function"
)

// isFunctionNotFound tells a missing function from a failed lookup.
func isFunctionNotFound(err error) bool { return errors.Is(err, function.ErrFunctionNotFound) }
