package function

import (
	"errors"
	"fmt"
)

// Errors of the Registry's operations, besides ErrFunctionNotFound and
// ErrFunctionConfig. They are wrapped with the function's name; test with errors.Is.
var (
	// ErrFunctionExists: Create of a name that is taken.
	ErrFunctionExists = errors.New("function already exists")
	// ErrConfiguredFunction: a change or delete of a function of the config file,
	// which only the config file changes.
	ErrConfiguredFunction = errors.New("function is defined in the config file")
	// ErrRevisionMismatch: an update that gave a RevisionID other than the latest.
	ErrRevisionMismatch = errors.New("the revision id does not match the latest")
	// ErrShuttingDown: an Event invocation after the registry began to close.
	ErrShuttingDown = errors.New("the service is shutting down")
	// ErrAliasExists: CreateAlias of a name that is taken.
	ErrAliasExists = errors.New("alias already exists")
	// ErrConflict: a change that the resource's state forbids (a version an alias
	// points to, a statement id that is taken); the error's text is Lambda's.
	ErrConflict = errors.New("conflict")
	// ErrThrottled: an invocation of a function whose reserved concurrency is used
	// up (or 0), from Invoke or InvokeFunction.
	ErrThrottled = errors.New("reserved concurrency exceeded")
)

// ValidationError is a value that fails a constraint of Lambda's API model; Error is
// Lambda's text for it.
type ValidationError struct {
	Field      string // the member, as Lambda names it: "timeout", "environment.variables"
	Value      any
	Constraint string // e.g. "Member must have value less than or equal to 900"
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", e.Value, e.Field, e.Constraint)
}

// InvalidParameterError is a parameter the model allows but mqtrigger or Lambda
// refuses; Message is Lambda's text for it.
type InvalidParameterError struct {
	Field   string // the parameter: "Runtime", "Code.ZipFile", "Tags"...
	Message string
}

func (e *InvalidParameterError) Error() string { return e.Message }

func invalidParameter(field, format string, args ...any) *InvalidParameterError {
	return &InvalidParameterError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// TooLargeError is a deployment package over Lambda's size limit.
type TooLargeError struct {
	Message string
}

func (e *TooLargeError) Error() string { return e.Message }

// NotFoundError is a function that does not exist, or a version or alias of one.
// It matches ErrFunctionNotFound.
type NotFoundError struct {
	ARN       string // the function's unqualified ARN
	Qualifier string // the version or alias asked for; "" when none
	Alias     bool   // an alias operation asked for it: Lambda says "Alias not found"
}

func (e *NotFoundError) Error() string {
	if e.Qualifier != "" {
		return ErrFunctionNotFound.Error() + ": " + e.ARN + ":" + e.Qualifier
	}
	return ErrFunctionNotFound.Error() + ": " + e.ARN
}

func (e *NotFoundError) Is(target error) bool { return target == ErrFunctionNotFound }
