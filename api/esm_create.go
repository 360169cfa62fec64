package api

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/esm"
)

// CreateEventSourceMapping: decode, validate, resolve what the mapping names, then
// store it in Creating and hand it to the supervisor.
func (a *API) createMapping(w http.ResponseWriter, r *http.Request, body []byte) *awserr.Error {
	var req createRequest
	if e := decodeBody(body, &req); e != nil {
		return e
	}
	if m := req.first(); m != "" {
		return awserr.InvalidParameter("Unsupported %s parameter for given event source mapping type.", m)
	}
	if req.FunctionName == nil {
		return awserr.New(http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	}
	m := &esm.Mapping{Config: esm.Config{Enabled: true, Queues: req.Queues}, Tags: req.Tags}
	if req.EventSourceArn != nil {
		m.EventSourceArn = *req.EventSourceArn
	}
	if e := applyUpdate(&m.Config, &req.updateRequest); e != nil {
		return e
	}
	if e := checkOrderedValue(req.Tags); e != nil {
		return e
	}
	var explicit *int
	if req.ScalingConfig != nil {
		explicit = req.ScalingConfig.MaximumConcurrency
	}
	if e := applyOrdered(&m.Config, req.Tags, explicit); e != nil {
		return e
	}
	m.SetDefaults()
	name, e := a.functionName(m.FunctionName)
	if e != nil {
		return e
	}
	m.FunctionName = name
	if err := m.Validate(); err != nil {
		return invalidMapping(err)
	}
	if e := a.checkRefs(r.Context(), m, true, true, true); e != nil {
		return e
	}
	fnArn, e := a.functionArn(r.Context(), m.FunctionName)
	if e != nil {
		return e
	}
	m.SetFunction(m.FunctionName, fnArn)

	// The check answers with the existing mapping's UUID; the store's unique index
	// is what holds when two requests (on one node or two) race past it.
	if e := a.checkDuplicate(r.Context(), m, ""); e != nil {
		return e
	}
	m.UUID = uuid.NewString()
	if _, err := esm.Transition(m, esm.Create, a.opts.Now()); err != nil {
		return awserr.Service("create mapping: %v", err)
	}
	if err := a.opts.Store.CreateMapping(r.Context(), m); err != nil {
		if errors.Is(err, esm.ErrDuplicate) {
			return a.duplicate(r.Context(), m, "")
		}
		return awserr.Service("store mapping %s: %v", m.UUID, err)
	}
	a.notify(m)
	writeJSON(w, http.StatusAccepted, "application/json", a.response(m))
	return nil
}
