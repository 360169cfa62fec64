package api

import (
	"net/http"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/function"
)

// publishVersion is PublishVersion: POST /2015-03-31/functions/{FunctionName}/versions.
func (a *API) publishVersion(w http.ResponseWriter, r *http.Request, label string, body []byte) *awserr.Error {
	var req struct {
		CodeSha256  string
		Description string
		RevisionId  string
		PublishTo   string
	}
	if len(body) > 0 {
		if e := decodeFunctionRequest(body, &req); e != nil {
			return e
		}
	}
	if req.PublishTo != "" {
		return awserr.InvalidParameter("PublishTo is not supported: versions are published from $LATEST.")
	}
	if len(req.Description) > 256 {
		return validationError(req.Description, "description", "Member must have length less than or equal to 256")
	}
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return e
	}
	c, err := a.opts.Functions.PublishVersion(r.Context(), function.PublishInput{
		FunctionName: ref, CodeSHA256: req.CodeSha256, Description: req.Description, RevisionID: req.RevisionId,
	})
	if err != nil {
		return functionError(name, err)
	}
	writeJSON(w, http.StatusCreated, "application/json", renderFunction(c, true))
	return nil
}

// listVersions is ListVersionsByFunction: GET /2015-03-31/functions/{FunctionName}/versions.
func (a *API) listVersions(w http.ResponseWriter, r *http.Request, label string) *awserr.Error {
	q := r.URL.Query()
	n, e := maxItemsParam(q)
	if e != nil {
		return e
	}
	in := function.ListVersionsInput{Marker: q.Get("Marker"), MaxItems: n}
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return e
	}
	in.FunctionName = ref
	page, err := a.opts.Functions.ListVersions(r.Context(), in)
	if err != nil {
		return functionError(name, err)
	}
	vs := make([]*functionConfiguration, len(page.Versions))
	for i, c := range page.Versions {
		vs[i] = renderFunction(c, false)
	}
	out := map[string]any{"Versions": vs}
	if page.NextMarker != "" {
		out["NextMarker"] = page.NextMarker
	}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

// getCodeSigningConfig is GetFunctionCodeSigningConfig: no function has one, and
// Lambda answers an empty CodeSigningConfigArn for those.
func (a *API) getCodeSigningConfig(w http.ResponseWriter, r *http.Request, label string) *awserr.Error {
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return e
	}
	if _, err := a.opts.Functions.Get(r.Context(), ref); err != nil {
		return functionError(name, err)
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"CodeSigningConfigArn": "", "FunctionName": name})
	return nil
}
