// Package awserr writes errors in the shapes AWS SDKs and the AWS CLI parse: the
// rest-json shape of Lambda (x-amzn-ErrorType header, {"Type","Message"|"message"})
// and the JSON 1.1 shape of Secrets Manager ({"__type","message"}).
package awserr

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error is an API error with its AWS code and HTTP status.
type Error struct {
	Code    string // e.g. InvalidParameterValueException
	Status  int    // HTTP status
	Message string
	// LowerMessage makes the rest-json body use "message", as Lambda does for
	// InvalidParameterValueException, ResourceConflictException and a few others.
	LowerMessage bool
	Fault        bool // a server fault ("Type":"Service") rather than a caller error
	// Reason is the body's Reason member, which TooManyRequestsException carries.
	Reason string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an error with Lambda's casing of the message member for that code.
func New(status int, code, format string, args ...any) *Error {
	e := &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
	switch code {
	case "InvalidParameterValueException", "ResourceConflictException", "TooManyRequestsException",
		"RequestTooLargeException", "UnsupportedMediaTypeException", "InvalidRequestContentException",
		"CodeStorageExceededException", "InvalidZipFileException":
		e.LowerMessage = true
	}
	e.Fault = status >= 500
	return e
}

// Common Lambda errors.
func InvalidParameter(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "InvalidParameterValueException", format, args...)
}

func NotFound(format string, args ...any) *Error {
	return New(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}

func Conflict(format string, args ...any) *Error {
	return New(http.StatusConflict, "ResourceConflictException", format, args...)
}

func InUse(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "ResourceInUseException", format, args...)
}

func Service(format string, args ...any) *Error {
	return New(http.StatusInternalServerError, "ServiceException", format, args...)
}

// WriteREST writes e in Lambda's rest-json error shape.
func WriteREST(w http.ResponseWriter, e *Error) {
	typ := "User"
	if e.Fault {
		typ = "Service"
	}
	body := map[string]string{"Type": typ}
	if e.Reason != "" {
		body["Reason"] = e.Reason
	}
	if e.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	if e.LowerMessage {
		body["message"] = e.Message
	} else {
		body["Message"] = e.Message
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// WriteJSON11 writes e in the awsJson1_1 shape used by Secrets Manager.
func WriteJSON11(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}
