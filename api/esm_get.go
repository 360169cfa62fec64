package api

import (
	"net/http"

	"github.com/mqtrigger/mqtrigger/awserr"
)

// GetEventSourceMapping.
func (a *API) getMapping(w http.ResponseWriter, r *http.Request, id string) *awserr.Error {
	m, e := a.load(r.Context(), id)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, "application/json", a.response(m))
	return nil
}
