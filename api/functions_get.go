package api

import (
	"net/http"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/function"
)

// getFunction is GetFunction: GET /2015-03-31/functions/{FunctionName}.
func (a *API) getFunction(w http.ResponseWriter, r *http.Request, label string) *awserr.Error {
	c, e := a.describeFunction(r, label)
	if e != nil {
		return e
	}
	out := map[string]any{
		"Configuration": renderFunction(c, true),
		"Code":          map[string]string{"RepositoryType": "S3"},
	}
	if len(c.Tags) > 0 {
		out["Tags"] = c.Tags // omitted when there are none, as Lambda does
	}
	if c.ReservedConcurrency != nil && c.Version == "$LATEST" {
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": *c.ReservedConcurrency}
	}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

// getFunctionConfiguration is GetFunctionConfiguration:
// GET /2015-03-31/functions/{FunctionName}/configuration.
func (a *API) getFunctionConfiguration(w http.ResponseWriter, r *http.Request, label string) *awserr.Error {
	c, e := a.describeFunction(r, label)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, "application/json", renderFunction(c, true))
	return nil
}

func (a *API) describeFunction(r *http.Request, label string) (*function.Configuration, *awserr.Error) {
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return nil, e
	}
	c, err := a.opts.Functions.Get(r.Context(), ref)
	if err != nil {
		return nil, functionError(name, err)
	}
	return c, nil
}
