package api

import (
	"errors"
	"net/http"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/esm"
)

// DeleteEventSourceMapping: the mapping moves to Deleting; the supervisor stops its
// consumers and removes it. A repeated delete answers the mapping as it stands.
func (a *API) deleteMapping(w http.ResponseWriter, r *http.Request, id string) *awserr.Error {
	for attempt := 0; ; attempt++ {
		m, e := a.load(r.Context(), id)
		if e != nil {
			return e
		}
		changed, err := esm.Transition(m, esm.Delete, a.opts.Now())
		if err != nil {
			return inUse(err)
		}
		if !changed {
			writeJSON(w, http.StatusAccepted, "application/json", a.response(m))
			return nil
		}
		err = a.opts.Store.UpdateMapping(r.Context(), m)
		if errors.Is(err, esm.ErrConflict) && attempt < maxWriteAttempts {
			continue
		}
		if errors.Is(err, esm.ErrNotFound) {
			return awserr.NotFound(notFoundText)
		}
		if err != nil {
			return awserr.Service("delete mapping %s: %v", id, err)
		}
		a.notify(m)
		writeJSON(w, http.StatusAccepted, "application/json", a.response(m))
		return nil
	}
}
