package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/function"
)

// listFunctions is ListFunctions: GET /2015-03-31/functions.
func (a *API) listFunctions(w http.ResponseWriter, r *http.Request) *awserr.Error {
	q := r.URL.Query()
	if v := q.Get("FunctionVersion"); v != "" && v != "ALL" {
		return validationError(v, "functionVersion", "Member must satisfy enum value set: [ALL]")
	}
	n, e := maxItemsParam(q)
	if e != nil {
		return e
	}
	in := function.ListInput{Marker: q.Get("Marker"), MaxItems: n}
	page, err := a.opts.Functions.List(r.Context(), in)
	if err != nil {
		return functionError("", err)
	}
	fns := make([]*functionConfiguration, 0, len(page.Functions))
	for _, c := range page.Functions {
		if q.Get("FunctionVersion") != "ALL" {
			fns = append(fns, renderFunction(c, false))
			continue
		}
		// Every version, with qualified ARNs, as Lambda lists them.
		for marker := ""; ; {
			vs, err := a.opts.Functions.ListVersions(r.Context(), function.ListVersionsInput{FunctionName: c.Name, Marker: marker})
			if isFunctionNotFound(err) {
				break // deleted meanwhile
			}
			if err != nil {
				return functionError(c.Name, err)
			}
			for _, v := range vs.Versions {
				fns = append(fns, renderFunction(v, false))
			}
			if marker = vs.NextMarker; marker == "" {
				break
			}
		}
	}
	out := map[string]any{"Functions": fns}
	if page.NextMarker != "" {
		out["NextMarker"] = page.NextMarker
	}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

// maxItemsParam is the MaxItems query parameter of a list operation, 0 when absent.
func maxItemsParam(q url.Values) (int, *awserr.Error) {
	v := q.Get("MaxItems")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 10000 {
		return 0, validationError(v, "maxItems", "Member must have value between 1 and 10000")
	}
	return n, nil
}
