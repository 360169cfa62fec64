package api

import (
	"errors"
	"net/http"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/function"
)

// deleteFunction is DeleteFunction: DELETE /2015-03-31/functions/{FunctionName}.
func (a *API) deleteFunction(w http.ResponseWriter, r *http.Request, label string) *awserr.Error {
	if r.URL.Query().Get("Qualifier") == "$LATEST" {
		return awserr.InvalidParameter("$LATEST version cannot be deleted without deleting the function.")
	}
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return e
	}
	err := a.opts.Functions.Delete(r.Context(), ref)
	if errors.Is(err, function.ErrConfiguredFunction) {
		return awserr.Conflict("Function %s is defined in the config file and cannot be deleted through the API: remove it from the config file", name)
	}
	if err != nil {
		return functionError(name, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
