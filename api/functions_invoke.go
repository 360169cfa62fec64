package api

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/function"
)

// invokeFunction is Invoke: POST /2015-03-31/functions/{FunctionName}/invocations.
// The invocation's request id is the request's, so the handler, the response and the
// API's log line all show the same one.
func (a *API) invokeFunction(w http.ResponseWriter, r *http.Request, label string, body []byte) *awserr.Error {
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return e
	}
	typ := function.InvocationType(r.Header.Get("X-Amz-Invocation-Type"))
	limit := maxSyncPayload
	switch typ {
	case "", function.RequestResponse, function.DryRun:
	case function.Event:
		limit = maxAsyncPayload
	default:
		return validationError(typ, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	switch {
	case len(body) > limit && typ == function.Event:
		return awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			"%d+ byte payload is too large for the Event invocation type (limit %d bytes)", limit+1, limit)
	case len(body) > limit:
		return awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			"Request must be smaller than %d bytes for the InvokeFunction operation", limit)
	case len(body) == 0:
		body = []byte("{}")
	case !json.Valid(body):
		return awserr.New(http.StatusBadRequest, "InvalidRequestContentException",
			"Could not parse request body into json: Could not parse payload into json: the payload is not a JSON document")
	}
	tail := false
	switch lt := r.Header.Get("X-Amz-Log-Type"); lt {
	case "", "None":
	case "Tail":
		tail = typ == "" || typ == function.RequestResponse
	default:
		return validationError(lt, "logType", "Member must satisfy enum value set: [None, Tail]")
	}
	res, err := a.opts.Functions.InvokeFunction(r.Context(), function.InvokeInput{
		FunctionName: ref, Payload: body, Type: typ, RequestID: RequestID(r.Context()), LogTail: tail,
	})
	if err != nil {
		if typ != function.Event && typ != function.DryRun && r.Context().Err() != nil {
			return nil // the caller left
		}
		return invokeError(name, err)
	}
	switch typ {
	case function.DryRun:
		w.WriteHeader(http.StatusNoContent)
		return nil
	case function.Event:
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", cmp.Or(res.ExecutedVersion, "$LATEST"))
	if tail {
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(res.Log))
	}
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
	return nil
}

// invokeError maps an error of an invocation that could not run to Lambda's.
func invokeError(name string, err error) *awserr.Error {
	var nf *function.NotFoundError
	switch {
	case errors.As(err, &nf):
		q := nf.Qualifier
		if q == "" {
			q = "$LATEST"
		}
		return awserr.NotFound("Function not found: %s:%s", nf.ARN, q)
	case errors.Is(err, function.ErrThrottled):
		return throttled()
	case errors.Is(err, function.ErrFunctionConfig):
		return awserr.New(http.StatusBadGateway, "InvalidZipFileException", "%v", err)
	case errors.Is(err, function.ErrShuttingDown):
		return awserr.Service("%v", err)
	default:
		return awserr.Service("invoking %s: %v", name, err)
	}
}
