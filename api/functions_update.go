package api

import (
	"net/http"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/function"
)

// updateFunctionCode is UpdateFunctionCode: PUT /2015-03-31/functions/{FunctionName}/code.
func (a *API) updateFunctionCode(w http.ResponseWriter, r *http.Request, label string, body []byte) *awserr.Error {
	var req struct {
		ZipFile       []byte
		S3Bucket      string
		ImageUri      string
		DryRun        bool
		RevisionId    string
		Architectures []string
		Publish       bool
		PublishTo     string
	}
	if e := decodeFunctionRequest(body, &req); e != nil {
		return e
	}
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return e
	}
	if req.PublishTo != "" {
		return awserr.InvalidParameter("PublishTo is not supported: versions are published from $LATEST (Publish).")
	}
	c, err := a.opts.Functions.UpdateCode(r.Context(), function.UpdateCodeInput{
		FunctionName: ref, ZipFile: req.ZipFile, Architectures: req.Architectures, DryRun: req.DryRun, RevisionID: req.RevisionId,
		Publish: req.Publish,
	})
	if err != nil {
		return functionError(name, err)
	}
	a.functionChanged(name)
	writeJSON(w, http.StatusOK, "application/json", renderFunction(c, true))
	return nil
}

// updateFunctionConfiguration is UpdateFunctionConfiguration:
// PUT /2015-03-31/functions/{FunctionName}/configuration.
func (a *API) updateFunctionConfiguration(w http.ResponseWriter, r *http.Request, label string, body []byte) *awserr.Error {
	var req struct {
		function.Settings
		RevisionId string
	}
	if e := decodeFunctionRequest(body, &req); e != nil {
		return e
	}
	name, ref, e := a.pathFunction(r, label)
	if e != nil {
		return e
	}
	c, err := a.opts.Functions.UpdateConfiguration(r.Context(), function.UpdateConfigurationInput{
		FunctionName: ref, Settings: req.Settings, RevisionID: req.RevisionId,
	})
	if err != nil {
		return functionError(name, err)
	}
	a.functionChanged(name)
	writeJSON(w, http.StatusOK, "application/json", renderFunction(c, true))
	return nil
}
