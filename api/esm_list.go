package api

import (
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/esm"
)

// maxListPage is the most mappings ListEventSourceMappings returns at once, whatever
// MaxItems says.
const maxListPage = 100

// ListEventSourceMappings.
func (a *API) listMappings(w http.ResponseWriter, r *http.Request) *awserr.Error {
	q := r.URL.Query()
	f := esm.ListFilter{EventSourceArn: q.Get("EventSourceArn"), Marker: q.Get("Marker")}
	if !storableID(f.EventSourceArn) {
		// no mapping's source can be such a string
		writeJSON(w, http.StatusOK, "application/json", listResponse{EventSourceMappings: []response{}})
		return nil
	}
	if fn := q.Get("FunctionName"); fn != "" {
		name, e := a.functionName(fn)
		if e != nil && e.Code == "InvalidParameterValueException" {
			// A function of another region or account: nothing here maps to it, and
			// Lambda's List does not check that its filters name anything.
			writeJSON(w, http.StatusOK, "application/json", listResponse{EventSourceMappings: []response{}})
			return nil
		}
		if e != nil {
			return e
		}
		f.FunctionName = name
	}
	if f.Marker != "" {
		if _, err := uuid.Parse(f.Marker); err != nil {
			return awserr.InvalidParameter("Invalid Marker %q: pass the NextMarker of the previous page.", f.Marker)
		}
	}
	limit := maxListPage
	if s := q.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			return awserr.InvalidParameter("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", s)
		}
		limit = min(n, maxListPage)
	}
	f.Limit = limit + 1
	rows, err := a.opts.Store.ListMappings(r.Context(), f)
	if err != nil {
		return awserr.Service("list mappings: %v", err)
	}
	out := listResponse{EventSourceMappings: []response{}}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextMarker = rows[len(rows)-1].UUID
	}
	for _, m := range rows {
		out.EventSourceMappings = append(out.EventSourceMappings, a.response(m))
	}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}
