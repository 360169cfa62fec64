package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/mqtrigger/mqtrigger/awserr"
)

// decodeBody decodes a JSON request body; Lambda answers a body it cannot parse with
// InvalidRequestContentException.
func decodeBody(body []byte, v any) *awserr.Error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return awserr.New(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: %s", jsonProblem(err))
	}
	if dec.More() {
		return awserr.New(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: unexpected data after the JSON object")
	}
	return nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Cannot deserialize value of type %s from %s at %s", te.Type, te.Value, te.Field)
	}
	return err.Error()
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"Type":"Service","Message":"encode response"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
