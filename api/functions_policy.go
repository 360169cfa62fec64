package api

import (
	"errors"
	"net/http"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/function"
)

// addPermission is AddPermission: POST /2015-03-31/functions/{FunctionName}/policy.
func (a *API) addPermission(w http.ResponseWriter, r *http.Request, label string, body []byte) *awserr.Error {
	var req struct {
		StatementId           string
		Action                string
		Principal             string
		SourceArn             string
		SourceAccount         string
		EventSourceToken      string
		PrincipalOrgID        string
		FunctionUrlAuthType   string
		InvokedViaFunctionUrl *bool
		RevisionId            string
	}
	if e := decodeFunctionRequest(body, &req); e != nil {
		return e
	}
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return e
	}
	st, err := a.opts.Functions.AddPermission(r.Context(), function.PermissionInput{
		FunctionName: ref, StatementID: req.StatementId, Action: req.Action, Principal: req.Principal,
		SourceArn: req.SourceArn, SourceAccount: req.SourceAccount, EventSourceToken: req.EventSourceToken,
		PrincipalOrgID: req.PrincipalOrgID, FunctionURLAuthType: req.FunctionUrlAuthType,
		InvokedViaFunctionURL: req.InvokedViaFunctionUrl, RevisionID: req.RevisionId,
	})
	if err != nil {
		return policyError(name, err)
	}
	writeJSON(w, http.StatusCreated, "application/json", map[string]string{"Statement": st})
	return nil
}

// getPolicy is GetPolicy: GET /2015-03-31/functions/{FunctionName}/policy.
func (a *API) getPolicy(w http.ResponseWriter, r *http.Request, label string) *awserr.Error {
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return e
	}
	p, rev, err := a.opts.Functions.Policy(r.Context(), ref)
	if err != nil {
		return policyError(name, err)
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"Policy": p, "RevisionId": rev})
	return nil
}

// removePermission is RemovePermission:
// DELETE /2015-03-31/functions/{FunctionName}/policy/{StatementId}.
func (a *API) removePermission(w http.ResponseWriter, r *http.Request, label, sid string) *awserr.Error {
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return e
	}
	if err := a.opts.Functions.RemovePermission(r.Context(), ref, sid, r.URL.Query().Get("RevisionId")); err != nil {
		return policyError(name, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func policyError(name string, err error) *awserr.Error {
	var snf *function.StatementNotFoundError
	switch {
	case errors.Is(err, function.ErrNoPolicy):
		return awserr.NotFound("%s", function.ErrNoPolicy.Error())
	case errors.As(err, &snf):
		return awserr.NotFound("%s", snf.Error())
	}
	return functionError(name, err)
}

// putConcurrency is PutFunctionConcurrency:
// PUT /2017-10-31/functions/{FunctionName}/concurrency.
func (a *API) putConcurrency(w http.ResponseWriter, r *http.Request, label string, body []byte) *awserr.Error {
	var req struct{ ReservedConcurrentExecutions *int }
	if e := decodeFunctionRequest(body, &req); e != nil {
		return e
	}
	if req.ReservedConcurrentExecutions == nil {
		return validationError("null", "reservedConcurrentExecutions", "Member must not be null")
	}
	name, ref, e := a.unqualifiedFunction(r, label)
	if e != nil {
		return e
	}
	if err := a.opts.Functions.PutConcurrency(r.Context(), ref, req.ReservedConcurrentExecutions); err != nil {
		return functionError(name, err)
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]int{"ReservedConcurrentExecutions": *req.ReservedConcurrentExecutions})
	return nil
}

// getConcurrency is GetFunctionConcurrency:
// GET /2019-09-30/functions/{FunctionName}/concurrency; {} when none is reserved.
func (a *API) getConcurrency(w http.ResponseWriter, r *http.Request, label string) *awserr.Error {
	name, ref, e := a.unqualifiedFunction(r, label)
	if e != nil {
		return e
	}
	n, err := a.opts.Functions.Concurrency(r.Context(), ref)
	if err != nil {
		return functionError(name, err)
	}
	out := map[string]int{}
	if n != nil {
		out["ReservedConcurrentExecutions"] = *n
	}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

// deleteConcurrency is DeleteFunctionConcurrency:
// DELETE /2017-10-31/functions/{FunctionName}/concurrency.
func (a *API) deleteConcurrency(w http.ResponseWriter, r *http.Request, label string) *awserr.Error {
	name, ref, e := a.unqualifiedFunction(r, label)
	if e != nil {
		return e
	}
	if err := a.opts.Functions.PutConcurrency(r.Context(), ref, nil); err != nil {
		return functionError(name, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
