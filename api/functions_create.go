package api

import (
	"net/http"
	"strings"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/function"
)

// createFunctionRequest is CreateFunction's body.
type createFunctionRequest struct {
	FunctionName string
	Runtime      string
	Role         *string
	Handler      string
	Description  string
	Timeout      *int
	MemorySize   *int
	Code         *struct {
		ZipFile  []byte
		S3Bucket string
		S3Key    string
		ImageUri string
	}
	Environment   *function.Environment
	PackageType   string
	Architectures []string
	Tags          map[string]string
	Publish       bool
	PublishTo     string
	function.Extras
}

// createFunction is CreateFunction: POST /2015-03-31/functions.
func (a *API) createFunction(w http.ResponseWriter, r *http.Request, body []byte) *awserr.Error {
	var req createFunctionRequest
	if e := decodeFunctionRequest(body, &req); e != nil {
		return e
	}
	n, err := function.ParseName(req.FunctionName)
	if len(req.FunctionName) > 64 && !strings.Contains(req.FunctionName, ":") {
		return awserr.InvalidParameter("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64", req.FunctionName)
	}
	if err == nil {
		err = n.Local(req.FunctionName, a.opts.Config.Region, a.opts.Config.AccountID)
	}
	if err != nil || n.Qualifier != "" {
		return validationError(req.FunctionName, "functionName", "Member must satisfy regular expression pattern: "+createNamePattern)
	}
	in := function.CreateInput{
		Name: n.Name, Runtime: req.Runtime, Role: req.Role, Handler: req.Handler, Description: req.Description,
		Timeout: req.Timeout, MemorySize: req.MemorySize, Environment: req.Environment,
		PackageType: req.PackageType, Architectures: req.Architectures, Tags: req.Tags,
		Extras: req.Extras, Publish: req.Publish,
	}
	if req.PublishTo != "" {
		return awserr.InvalidParameter("PublishTo is not supported: versions are published from $LATEST (Publish).")
	}
	if c := req.Code; c != nil {
		in.Code = &function.Code{ZipFile: c.ZipFile, S3Bucket: c.S3Bucket, S3Key: c.S3Key, ImageURI: c.ImageUri}
	}
	c, err := a.opts.Functions.Create(r.Context(), in)
	if err != nil {
		return functionError(n.Name, err)
	}
	a.functionChanged(n.Name)
	writeJSON(w, http.StatusCreated, "application/json", renderFunction(c, true))
	return nil
}
