package api

import (
	"errors"
	"net/http"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/function"
)

// aliasConfiguration is Lambda's AliasConfiguration.
type aliasConfiguration struct {
	AliasArn        string         `json:"AliasArn"`
	Name            string         `json:"Name"`
	FunctionVersion string         `json:"FunctionVersion"`
	Description     string         `json:"Description"`
	RevisionID      string         `json:"RevisionId"`
	RoutingConfig   *routingConfig `json:"RoutingConfig,omitempty"`
}

type routingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

func renderAlias(al *function.Alias) *aliasConfiguration {
	out := &aliasConfiguration{AliasArn: al.ARN, Name: al.Name, FunctionVersion: al.FunctionVersion,
		Description: al.Description, RevisionID: al.RevisionID}
	if len(al.RoutingWeights) > 0 {
		out.RoutingConfig = &routingConfig{AdditionalVersionWeights: al.RoutingWeights}
	}
	return out
}

type aliasRequest struct {
	Name            string
	FunctionVersion *string
	Description     *string
	RoutingConfig   *routingConfig
	RevisionId      string
}

func (q *aliasRequest) input(ref, alias string) function.AliasInput {
	in := function.AliasInput{FunctionName: ref, Name: alias, FunctionVersion: q.FunctionVersion,
		Description: q.Description, RevisionID: q.RevisionId}
	if q.RoutingConfig != nil {
		w := q.RoutingConfig.AdditionalVersionWeights
		in.RoutingWeights = &w
	}
	return in
}

// aliasError maps the registry's errors for an alias operation to Lambda's.
func aliasError(name string, err error) *awserr.Error {
	var nf *function.NotFoundError
	if errors.As(err, &nf) && nf.Alias {
		return awserr.NotFound("Alias not found: %s:%s", nf.ARN, nf.Qualifier)
	}
	return functionError(name, err)
}

// createAlias is CreateAlias: POST /2015-03-31/functions/{FunctionName}/aliases.
func (a *API) createAlias(w http.ResponseWriter, r *http.Request, label string, body []byte) *awserr.Error {
	var req aliasRequest
	if e := decodeFunctionRequest(body, &req); e != nil {
		return e
	}
	name, ref, e := a.unqualifiedFunction(r, label)
	if e != nil {
		return e
	}
	al, err := a.opts.Functions.CreateAlias(r.Context(), req.input(ref, req.Name))
	if err != nil {
		return aliasError(name, err)
	}
	writeJSON(w, http.StatusCreated, "application/json", renderAlias(al))
	return nil
}

// getAlias is GetAlias: GET /2015-03-31/functions/{FunctionName}/aliases/{Name}.
func (a *API) getAlias(w http.ResponseWriter, r *http.Request, label, alias string) *awserr.Error {
	name, ref, e := a.unqualifiedFunction(r, label)
	if e != nil {
		return e
	}
	al, err := a.opts.Functions.GetAlias(r.Context(), ref, alias)
	if err != nil {
		return aliasError(name, err)
	}
	writeJSON(w, http.StatusOK, "application/json", renderAlias(al))
	return nil
}

// updateAlias is UpdateAlias: PUT /2015-03-31/functions/{FunctionName}/aliases/{Name}.
func (a *API) updateAlias(w http.ResponseWriter, r *http.Request, label, alias string, body []byte) *awserr.Error {
	var req aliasRequest
	if e := decodeFunctionRequest(body, &req); e != nil {
		return e
	}
	name, ref, e := a.unqualifiedFunction(r, label)
	if e != nil {
		return e
	}
	al, err := a.opts.Functions.UpdateAlias(r.Context(), req.input(ref, alias))
	if err != nil {
		return aliasError(name, err)
	}
	writeJSON(w, http.StatusOK, "application/json", renderAlias(al))
	return nil
}

// deleteAlias is DeleteAlias: DELETE /2015-03-31/functions/{FunctionName}/aliases/{Name}.
func (a *API) deleteAlias(w http.ResponseWriter, r *http.Request, label, alias string) *awserr.Error {
	name, ref, e := a.unqualifiedFunction(r, label)
	if e != nil {
		return e
	}
	if err := a.opts.Functions.DeleteAlias(r.Context(), ref, alias); err != nil {
		return aliasError(name, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listAliases is ListAliases: GET /2015-03-31/functions/{FunctionName}/aliases.
func (a *API) listAliases(w http.ResponseWriter, r *http.Request, label string) *awserr.Error {
	q := r.URL.Query()
	maxItems, e := maxItemsParam(q)
	if e != nil {
		return e
	}
	if maxItems == 0 || maxItems > 50 {
		maxItems = 50
	}
	name, ref, e := a.unqualifiedFunction(r, label)
	if e != nil {
		return e
	}
	aliases, err := a.opts.Functions.ListAliases(r.Context(), ref, q.Get("FunctionVersion"))
	if err != nil {
		return functionError(name, err)
	}
	start := 0
	if m := q.Get("Marker"); m != "" {
		start = len(aliases)
		for i, al := range aliases {
			if al.Name == m {
				start = i + 1
			}
		}
	}
	aliases = aliases[start:]
	out := map[string]any{}
	if len(aliases) > maxItems {
		aliases = aliases[:maxItems]
		out["NextMarker"] = aliases[maxItems-1].Name
	}
	list := make([]*aliasConfiguration, len(aliases))
	for i, al := range aliases {
		list[i] = renderAlias(al)
	}
	out["Aliases"] = list
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

// unqualifiedFunction is pathFunction for the operations on a function as a whole,
// where Lambda's model allows no qualifier.
func (a *API) unqualifiedFunction(r *http.Request, label string) (name, ref string, e *awserr.Error) {
	name, ref, e = a.pathFunction(r, label)
	if e == nil && ref != name && ref != name+":$LATEST" {
		return "", "", validationError(label, "functionName", "Member must satisfy regular expression pattern: "+createNamePattern)
	}
	return name, name, e
}
