package api

import (
	"net/http"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/esm"
)

// DeleteEventSourceMapping: the mapping moves to Deleting; the supervisor stops its
// consumers and removes it. A repeated delete answers the mapping as it stands.
func (a *API) deleteMapping(w http.ResponseWriter, r *http.Request, id string) *awserr.Error {
	written := false
	m, e := a.write(r.Context(), id, "delete", func(m *esm.Mapping, _ int) (bool, *awserr.Error) {
		changed, err := esm.Transition(m, esm.Delete, a.opts.Now())
		if err != nil {
			return false, inUse(err)
		}
		written = changed
		return changed, nil
	})
	if e != nil {
		return e
	}
	if written {
		a.notify(m)
	}
	writeJSON(w, http.StatusAccepted, "application/json", a.response(m))
	return nil
}
