package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/function"
)

// The Lambda functions API (/2015-03-31/functions...), one file per operation:
// functions_create.go, functions_get.go, functions_list.go, functions_delete.go,
// functions_update.go, functions_invoke.go. The registry does the work; this layer
// decodes requests, renders Lambda's shapes and maps the registry's errors to
// Lambda's codes.

// Limits of Invoke's payload, as Lambda's.
const (
	maxSyncPayload  = 6291456
	maxAsyncPayload = 1048576
)

const lastModifiedFmt = "2006-01-02T15:04:05.000-0700"

// functionConfiguration is Lambda's FunctionConfiguration.
type functionConfiguration struct {
	FunctionName     string               `json:"FunctionName"`
	FunctionArn      string               `json:"FunctionArn"`
	Runtime          string               `json:"Runtime,omitempty"`
	Role             string               `json:"Role,omitempty"`
	Handler          string               `json:"Handler,omitempty"`
	CodeSize         int64                `json:"CodeSize"`
	Description      string               `json:"Description"`
	Timeout          int                  `json:"Timeout"`
	MemorySize       int                  `json:"MemorySize"`
	LastModified     string               `json:"LastModified"`
	CodeSha256       string               `json:"CodeSha256"`
	Version          string               `json:"Version"`
	VpcConfig        *vpcConfig           `json:"VpcConfig,omitempty"`
	Environment      *functionEnvironment `json:"Environment,omitempty"`
	TracingConfig    tracingConfig        `json:"TracingConfig"`
	RevisionID       string               `json:"RevisionId,omitempty"`
	State            string               `json:"State,omitempty"`
	LastUpdateStatus string               `json:"LastUpdateStatus,omitempty"`
	PackageType      string               `json:"PackageType"`
	Architectures    []string             `json:"Architectures"`
	EphemeralStorage ephemeralStorage     `json:"EphemeralStorage"`
	LoggingConfig    loggingConfig        `json:"LoggingConfig"`
}

type functionEnvironment struct {
	Variables map[string]string `json:"Variables"`
}
type tracingConfig struct {
	Mode string `json:"Mode"`
}
type ephemeralStorage struct {
	Size int `json:"Size"`
}
type loggingConfig struct {
	LogFormat           string `json:"LogFormat"`
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
	LogGroup            string `json:"LogGroup"`
}
type vpcConfig struct {
	SubnetIds               []string `json:"SubnetIds"`
	SecurityGroupIds        []string `json:"SecurityGroupIds"`
	VpcId                   string   `json:"VpcId"`
	Ipv6AllowedForDualStack bool     `json:"Ipv6AllowedForDualStack"`
}

// renderFunction is c in Lambda's shape. withState adds State and LastUpdateStatus,
// which ListFunctions leaves out.
func renderFunction(c *function.Configuration, withState bool) *functionConfiguration {
	fc := &functionConfiguration{
		FunctionName:     c.Name,
		FunctionArn:      c.ARN,
		Runtime:          c.Runtime,
		Role:             c.Role,
		Handler:          c.Handler,
		CodeSize:         c.CodeSize,
		Description:      c.Description,
		Timeout:          c.Timeout,
		MemorySize:       c.MemorySize,
		LastModified:     c.LastModified.UTC().Format(lastModifiedFmt),
		CodeSha256:       c.CodeSHA256,
		Version:          c.Version,
		TracingConfig:    tracingConfig{c.TracingMode},
		RevisionID:       c.RevisionID,
		PackageType:      "Zip",
		Architectures:    c.Architectures,
		EphemeralStorage: ephemeralStorage{c.EphemeralStorage},
		LoggingConfig:    loggingConfig(c.Logging),
	}
	if v := c.VpcConfig; v != nil {
		fc.VpcConfig = &vpcConfig{SubnetIds: v.SubnetIds, SecurityGroupIds: v.SecurityGroupIds}
		if fc.VpcConfig.SubnetIds == nil {
			fc.VpcConfig.SubnetIds = []string{}
		}
		if fc.VpcConfig.SecurityGroupIds == nil {
			fc.VpcConfig.SecurityGroupIds = []string{}
		}
		if v.Ipv6AllowedForDualStack != nil {
			fc.VpcConfig.Ipv6AllowedForDualStack = *v.Ipv6AllowedForDualStack
		}
	}
	if c.HasEnvironment {
		fc.Environment = &functionEnvironment{Variables: c.Environment}
		if fc.Environment.Variables == nil {
			fc.Environment.Variables = map[string]string{}
		}
	}
	if withState {
		fc.State, fc.LastUpdateStatus = "Active", "Successful"
	}
	return fc
}

// The functionName patterns of Lambda's model, for the texts of ValidationException.
const (
	functionNamePattern = "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
	createNamePattern   = "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)"
)

// pathFunction reads the {FunctionName} label of a functions API path in any of
// Lambda's forms, with the Qualifier parameter. It returns what to give the
// registry: the name, qualified when a qualifier was given.
func (a *API) pathFunction(r *http.Request, label string) (name, ref string, e *awserr.Error) {
	n, err := function.ParseName(label)
	if err != nil {
		return "", "", validationError(label, "functionName", "Member must satisfy regular expression pattern: "+functionNamePattern)
	}
	if err := n.Local(label, a.opts.Config.Region, a.opts.Config.AccountID); err != nil {
		return "", "", functionError(n.Name, err)
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		if n.Qualifier != "" && n.Qualifier != q {
			return "", "", awserr.InvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		n.Qualifier = q
	}
	if n.Qualifier != "" {
		return n.Name, n.Name + ":" + n.Qualifier, nil
	}
	return n.Name, n.Name, nil
}

func validationError(value any, field, constraint string) *awserr.Error {
	e := &function.ValidationError{Field: field, Value: value, Constraint: constraint}
	return awserr.New(http.StatusBadRequest, "ValidationException", "%s", e.Error())
}

// functionError maps an error of the function registry to Lambda's, for the
// function called name.
func functionError(name string, err error) *awserr.Error {
	var (
		ve *function.ValidationError
		ip *function.InvalidParameterError
		tl *function.TooLargeError
		nf *function.NotFoundError
	)
	switch {
	case errors.As(err, &ve):
		return awserr.New(http.StatusBadRequest, "ValidationException", "%s", ve.Error())
	case errors.As(err, &ip):
		return awserr.InvalidParameter("%s", ip.Message)
	case errors.As(err, &tl):
		return awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "%s", tl.Message)
	case errors.As(err, &nf):
		if nf.Qualifier != "" {
			return awserr.NotFound("Function not found: %s:%s", nf.ARN, nf.Qualifier)
		}
		return awserr.NotFound("Function not found: %s", nf.ARN)
	case errors.Is(err, function.ErrFunctionNotFound):
		// A name of another region or account: the reason, as a sentence.
		msg := strings.TrimPrefix(err.Error(), function.ErrFunctionNotFound.Error()+": ")
		if len(msg) > 0 {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
		return awserr.NotFound("%s", msg)
	case errors.Is(err, function.ErrAliasExists), errors.Is(err, function.ErrConflict):
		return awserr.Conflict("%s", errText(err))
	case errors.Is(err, function.ErrThrottled):
		return throttled()
	case errors.Is(err, function.ErrFunctionExists):
		return awserr.Conflict("Function already exist: %s", name)
	case errors.Is(err, function.ErrConfiguredFunction):
		return awserr.Conflict("Function %s is defined in the config file and cannot be changed through the API: change the config file", name)
	case errors.Is(err, function.ErrRevisionMismatch):
		return awserr.New(http.StatusPreconditionFailed, "PreconditionFailedException",
			"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	default:
		return awserr.Service("%v", err)
	}
}

// errText is the text after the sentinel of an error wrapped as "%w: text".
func errText(err error) string {
	s := err.Error()
	if _, t, ok := strings.Cut(s, ": "); ok {
		return t
	}
	return s
}

// throttled is Lambda's answer to an invocation over the function's reserved
// concurrency.
func throttled() *awserr.Error {
	e := awserr.New(http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
	e.Reason = "ReservedFunctionConcurrentInvocationLimitExceeded"
	return e
}

// decodeFunctionRequest decodes the JSON body of a functions API request.
func decodeFunctionRequest(body []byte, v any) *awserr.Error {
	if err := json.Unmarshal(body, v); err != nil {
		return awserr.New(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: %v", err)
	}
	return nil
}

// functionChanged tells the supervisor, if there is one, that the function now
// exists as configured.
func (a *API) functionChanged(name string) {
	if a.opts.FunctionChanged != nil {
		a.opts.FunctionChanged(name)
	}
}
