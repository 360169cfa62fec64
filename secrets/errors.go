package secrets

import "errors"

// Secrets Manager's error codes, as Error.Code.
const (
	CodeResourceNotFound  = "ResourceNotFoundException"
	CodeResourceExists    = "ResourceExistsException"
	CodeInvalidParameter  = "InvalidParameterException"
	CodeInvalidRequest    = "InvalidRequestException"
	CodeValidation        = "ValidationException"
	CodeInvalidNextToken  = "InvalidNextTokenException"
	CodeDecryptionFailure = "DecryptionFailure"
)

// Error is a Secrets Manager error a client should see: its Code is the error code
// (the JSON "__type") and Message the text. It never includes a secret value.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(code, msg string) *Error { return &Error{Code: code, Message: msg} }

// ErrBasicAuthValue is wrapped by BasicAuth's errors when the secret exists but its
// value is not {"username":"...","password":"..."}.
var ErrBasicAuthValue = errors.New("secret value is not BASIC_AUTH credentials")

// The messages Secrets Manager answers with.
const (
	msgNotFound          = "Secrets Manager can't find the specified secret."
	msgMarkedForDeletion = "You can't perform this operation on the secret because it was marked for deletion."
)

func errNotFound() *Error { return newError(CodeResourceNotFound, msgNotFound) }

// IsCode reports whether err is an *Error with that code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
