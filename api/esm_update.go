package api

import (
	"net/http"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/esm"
)

// UpdateEventSourceMapping: the given members onto the stored mapping, validated,
// moved to Updating, Enabling or Disabling, written on the Version read.
func (a *API) updateMapping(w http.ResponseWriter, r *http.Request, id string, body []byte) *awserr.Error {
	var req updateRequest
	if e := decodeBody(body, &req); e != nil {
		return e
	}
	if m := req.first(); m != "" {
		return awserr.InvalidParameter("Unsupported %s parameter for given event source mapping type.", m)
	}
	// Lookups (function, secret, filters) happen once, before the write loop.
	var fnName, fnArn string
	if req.FunctionName != nil {
		n, e := a.functionName(*req.FunctionName)
		if e != nil {
			return e
		}
		if fnArn, e = a.functionArn(r.Context(), n); e != nil {
			return e
		}
		fnName = n
	}
	m, e := a.write(r.Context(), id, "update", func(m *esm.Mapping, attempt int) (bool, *awserr.Error) {
		if m.State == esm.StateCreating || m.State == esm.StateDeleting {
			// Refused before the request is looked at, as Lambda does.
			_, err := esm.Transition(m, esm.Update, a.opts.Now())
			return false, inUse(err)
		}
		wasEnabled := m.Enabled
		if e := applyUpdate(&m.Config, &req); e != nil {
			return false, e
		}
		if req.ScalingConfig != nil {
			// The tag keeps the ordered mode through updates of the concurrency.
			if e := applyOrdered(&m.Config, m.Tags, req.ScalingConfig.MaximumConcurrency); e != nil {
				return false, e
			}
		}
		if fnName != "" {
			m.SetFunction(fnName, fnArn)
		}
		if err := m.Validate(); err != nil {
			return false, invalidMapping(err)
		}
		if attempt == 0 {
			if e := a.checkRefs(r.Context(), m, false, req.SourceAccessConfigurations != nil, req.FilterCriteria != nil); e != nil {
				return false, e
			}
			if fnName != "" {
				if e := a.checkDuplicate(r.Context(), m, id); e != nil {
					return false, e
				}
			}
		} else if req.FilterCriteria != nil {
			// The patterns checked on the first attempt, compiled again only
			// because this m was read afresh.
			if err := m.CompileFilters(); err != nil {
				return false, awserr.InvalidParameter("%s", err.Error())
			}
		}
		if _, err := esm.Transition(m, esm.UpdateAction(wasEnabled, m.Enabled), a.opts.Now()); err != nil {
			return false, inUse(err)
		}
		return true, nil
	})
	if e != nil {
		return e
	}
	a.notify(m)
	writeJSON(w, http.StatusAccepted, "application/json", a.response(m))
	return nil
}
