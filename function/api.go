package function

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/store"
)

// API limits, as Lambda's.
const (
	maxCreateRequest = 70167211
	maxSyncPayload   = 6291456
	maxAsyncPayload  = 1048576
	maxEnvSize       = 4096
	maxPageSize      = 50
	lastModifiedFmt  = "2006-01-02T15:04:05.000-0700"
)

// runtimes are the runtimes a function created through the API may use: the
// OS-only ones, whose code is an executable bootstrap.
var runtimes = []string{"provided.al2023", "provided.al2"}

var (
	roleRE    = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	handlerRE = regexp.MustCompile(`^[^\s]+$`)
)

// Handler serves the Lambda functions API, /2015-03-31/functions...: CreateFunction,
// GetFunction, GetFunctionConfiguration, ListFunctions, DeleteFunction,
// UpdateFunctionCode, UpdateFunctionConfiguration and Invoke. It does not
// authenticate requests.
func (r *Registry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions", r.createFunction)
	mux.HandleFunc("POST /2015-03-31/functions/{$}", r.createFunction)
	mux.HandleFunc("GET /2015-03-31/functions", r.listFunctions)
	mux.HandleFunc("GET /2015-03-31/functions/{$}", r.listFunctions)
	mux.HandleFunc("GET /2015-03-31/functions/{name}", r.getFunction)
	mux.HandleFunc("DELETE /2015-03-31/functions/{name}", r.deleteFunction)
	mux.HandleFunc("GET /2015-03-31/functions/{name}/configuration", r.getFunctionConfiguration)
	mux.HandleFunc("PUT /2015-03-31/functions/{name}/configuration", r.updateFunctionConfiguration)
	mux.HandleFunc("PUT /2015-03-31/functions/{name}/code", r.updateFunctionCode)
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", r.invokeFunction)
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		awserr.WriteREST(w, awserr.New(http.StatusNotFound, "UnknownOperationException",
			"%s %s is not an operation of the Lambda functions API", req.Method, req.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("x-amzn-RequestId", newRequestID())
		mux.ServeHTTP(w, req)
	})
}

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
	Environment      *environmentResponse `json:"Environment,omitempty"`
	TracingConfig    tracingConfig        `json:"TracingConfig"`
	RevisionID       string               `json:"RevisionId,omitempty"`
	State            string               `json:"State,omitempty"`
	LastUpdateStatus string               `json:"LastUpdateStatus,omitempty"`
	PackageType      string               `json:"PackageType"`
	Architectures    []string             `json:"Architectures"`
	EphemeralStorage ephemeralStorage     `json:"EphemeralStorage"`
	LoggingConfig    loggingConfig        `json:"LoggingConfig"`
}

type environmentResponse struct {
	Variables map[string]string `json:"Variables"`
}
type tracingConfig struct {
	Mode string `json:"Mode"`
}
type ephemeralStorage struct {
	Size int `json:"Size"`
}
type loggingConfig struct {
	LogFormat string `json:"LogFormat"`
	LogGroup  string `json:"LogGroup"`
}

// configuration renders an API function's stored form.
func (r *Registry) configuration(sf *store.Function, c *storedConfig, withState bool) *functionConfiguration {
	fc := &functionConfiguration{
		FunctionName:     sf.Name,
		FunctionArn:      r.arn(sf.Name),
		Runtime:          c.Runtime,
		Role:             c.Role,
		Handler:          c.Handler,
		CodeSize:         sf.CodeSize,
		Description:      c.Description,
		Timeout:          c.Timeout,
		MemorySize:       c.MemorySize,
		LastModified:     sf.LastModified.UTC().Format(lastModifiedFmt),
		CodeSha256:       sf.CodeSHA256,
		Version:          "$LATEST",
		TracingConfig:    tracingConfig{"PassThrough"},
		RevisionID:       c.RevisionID,
		PackageType:      "Zip",
		Architectures:    c.Architectures,
		EphemeralStorage: ephemeralStorage{512},
		LoggingConfig:    loggingConfig{"Text", "/aws/lambda/" + sf.Name},
	}
	if c.HasEnvironment || len(c.Environment) > 0 {
		fc.Environment = &environmentResponse{Variables: c.Environment}
		if fc.Environment.Variables == nil {
			fc.Environment.Variables = map[string]string{}
		}
	}
	if len(fc.Architectures) == 0 {
		fc.Architectures = []string{"x86_64"}
	}
	if withState {
		fc.State, fc.LastUpdateStatus = "Active", "Successful"
	}
	return fc
}

// configuredConfiguration renders a function of the config file.
func (r *Registry) configuredConfiguration(fn *function, withState bool) *functionConfiguration {
	s := fn.spec
	kind := "command"
	switch {
	case s.URL != "":
		kind = "url " + s.URL
	case s.ARN != "":
		kind = "arn " + s.ARN
	}
	fc := &functionConfiguration{
		FunctionName:     s.Name,
		FunctionArn:      fn.arn,
		Runtime:          s.Runtime,
		Handler:          s.Handler,
		Description:      "defined in the config file (" + kind + ")",
		Timeout:          int(s.Timeout / time.Second),
		MemorySize:       s.MemorySize,
		LastModified:     time.Unix(0, 0).UTC().Format(lastModifiedFmt),
		Version:          "$LATEST",
		TracingConfig:    tracingConfig{"PassThrough"},
		PackageType:      "Zip",
		Architectures:    []string{"x86_64"},
		EphemeralStorage: ephemeralStorage{512},
		LoggingConfig:    loggingConfig{"Text", "/aws/lambda/" + s.Name},
	}
	if s.Environment != nil {
		fc.Environment = &environmentResponse{Variables: s.Environment}
	}
	if withState {
		fc.State, fc.LastUpdateStatus = "Active", "Successful"
	}
	return fc
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		awserr.WriteREST(w, awserr.Service("encoding the response: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func validation(value any, field, constraint string) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "ValidationException",
		"1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func notFound(arn string) *awserr.Error { return awserr.NotFound("Function not found: %s", arn) }

// pathName reads {name} from the path in any of Lambda's forms; the error is the API's.
func (r *Registry) pathName(req *http.Request) (name, qualifier string, aerr *awserr.Error) {
	raw := req.PathValue("name")
	name, qualifier, err := r.parseName(raw)
	if errors.Is(err, errBadName) {
		return "", "", validation(raw, "functionName", "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), ErrFunctionNotFound.Error()+": ")
		if len(msg) > 0 {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
		return "", "", awserr.NotFound("%s", msg)
	}
	if q := req.URL.Query().Get("Qualifier"); q != "" {
		if qualifier != "" && qualifier != q {
			return "", "", awserr.InvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		qualifier = q
	}
	if qualifier != "" && qualifier != "$LATEST" {
		return "", "", notFound(r.arn(name) + ":" + qualifier)
	}
	return name, qualifier, nil
}

// stored reads an API function from the store.
func (r *Registry) stored(ctx context.Context, name string) (*store.Function, *storedConfig, *awserr.Error) {
	sf, err := r.store.GetFunction(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound(r.arn(name))
	}
	if err != nil {
		return nil, nil, awserr.Service("reading function %s: %v", name, err)
	}
	c, err := decodeConfig(sf)
	if err != nil {
		return nil, nil, awserr.Service("%v", err)
	}
	return sf, c, nil
}

type createRequest struct {
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
	Environment   *struct{ Variables map[string]string }
	PackageType   string
	Architectures []string
	Tags          map[string]string
}

// decode reads a JSON request body of at most limit bytes.
func decode(w http.ResponseWriter, req *http.Request, limit int64, op string, v any) *awserr.Error {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			"Request must be smaller than %d bytes for the %s operation", limit, op)
	}
	if err != nil {
		return awserr.InvalidParameter("reading the request: %v", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return awserr.New(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: %v", err)
	}
	return nil
}

func (r *Registry) createFunction(w http.ResponseWriter, req *http.Request) {
	var in createRequest
	if e := decode(w, req, maxCreateRequest, "CreateFunction", &in); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	name, qualifier, err := r.parseName(in.FunctionName)
	if len(in.FunctionName) > 64 && !strings.Contains(in.FunctionName, ":") {
		awserr.WriteREST(w, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64", in.FunctionName))
		return
	}
	if err != nil || qualifier != "" {
		awserr.WriteREST(w, validation(in.FunctionName, "functionName", "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)"))
		return
	}
	if in.PackageType != "" && in.PackageType != "Zip" {
		awserr.WriteREST(w, awserr.InvalidParameter("PackageType %s is not supported: deploy a zip (PackageType Zip) with a bootstrap for runtime %s", in.PackageType, strings.Join(runtimes, " or ")))
		return
	}
	if in.Role == nil {
		awserr.WriteREST(w, validation("null", "role", "Member must not be null"))
		return
	}
	c := &storedConfig{Timeout: int(DefaultTimeout / time.Second), MemorySize: DefaultMemorySize, Architectures: in.Architectures}
	upd := configUpdate{Role: in.Role, Runtime: &in.Runtime, Handler: &in.Handler, Description: &in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize}
	if in.Environment != nil {
		upd.Environment = &environmentResponse{Variables: in.Environment.Variables}
	}
	if e := upd.apply(c); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	if e := checkArchitectures(in.Architectures); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	if len(in.Tags) > maxTags {
		awserr.WriteREST(w, awserr.InvalidParameter("Invalid parameters: a resource takes at most %d tags, got %d.", maxTags, len(in.Tags)))
		return
	}
	if len(in.Tags) > 0 {
		c.Tags = in.Tags
	}
	if in.Code == nil || len(in.Code.ZipFile) == 0 {
		if in.Code != nil && (in.Code.S3Bucket != "" || in.Code.ImageUri != "") {
			awserr.WriteREST(w, awserr.InvalidParameter("Code from S3 or a container image is not supported: upload the zip inline (Code.ZipFile, or --zip-file fileb://function.zip)"))
			return
		}
		awserr.WriteREST(w, awserr.InvalidParameter("Please provide a source for function code: Code.ZipFile, a zip with an executable bootstrap"))
		return
	}
	if _, e := checkZip(in.Code.ZipFile); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if r.configured[name] != nil {
		awserr.WriteREST(w, awserr.Conflict("Function already exist: %s", name))
		return
	}
	if _, err := r.store.GetFunction(req.Context(), name); err == nil {
		awserr.WriteREST(w, awserr.Conflict("Function already exist: %s", name))
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		awserr.WriteREST(w, awserr.Service("reading function %s: %v", name, err))
		return
	}
	sf := &store.Function{Name: name}
	setCode(sf, in.Code.ZipFile)
	if e := r.save(req.Context(), sf, c); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	writeJSON(w, http.StatusCreated, r.configuration(sf, c, true))
}

func setCode(sf *store.Function, zip []byte) {
	sum := sha256.Sum256(zip)
	sf.Code = zip
	sf.CodeSHA256 = base64.StdEncoding.EncodeToString(sum[:])
	sf.CodeSize = int64(len(zip))
}

// save writes a function with a new revision; the next invocation loads it. Call
// with loadMu held.
func (r *Registry) save(ctx context.Context, sf *store.Function, c *storedConfig) *awserr.Error {
	c.RevisionID = newRequestID()
	cfg, err := json.Marshal(c)
	if err != nil {
		return awserr.Service("encoding function %s: %v", sf.Name, err)
	}
	sf.Config = cfg
	sf.LastModified = time.Now().UTC().Truncate(time.Millisecond)
	if err := r.store.PutFunction(ctx, sf); err != nil {
		return awserr.Service("storing function %s: %v", sf.Name, err)
	}
	r.uninstall(sf.Name)
	return nil
}

// configUpdate holds the members of CreateFunction and UpdateFunctionConfiguration
// that set a configuration; nil members stay as they are.
type configUpdate struct {
	Role        *string
	Runtime     *string
	Handler     *string
	Description *string
	Timeout     *int
	MemorySize  *int
	Environment *environmentResponse
	RevisionId  string
}

func (u *configUpdate) apply(c *storedConfig) *awserr.Error {
	if u.Role != nil {
		if !roleRE.MatchString(*u.Role) {
			return validation(*u.Role, "role", "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+")
		}
		c.Role = *u.Role
	}
	if u.Runtime != nil {
		c.Runtime = *u.Runtime
	}
	if u.Handler != nil {
		c.Handler = *u.Handler
	}
	if c.Runtime == "" || c.Handler == "" {
		return awserr.InvalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if !slices.Contains(runtimes, c.Runtime) {
		return awserr.InvalidParameter("Value %s at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [%s]. Only OS-only runtimes are supported: deploy a zip with an executable bootstrap (for example an aws-lambda-go handler built for linux).",
			c.Runtime, strings.Join(runtimes, ", "))
	}
	if len(c.Handler) > 128 || !handlerRE.MatchString(c.Handler) {
		return validation(c.Handler, "handler", "Member must satisfy regular expression pattern: [^\\s]+")
	}
	if u.Description != nil {
		if len(*u.Description) > 256 {
			return validation(*u.Description, "description", "Member must have length less than or equal to 256")
		}
		c.Description = *u.Description
	}
	if u.Timeout != nil {
		switch t := *u.Timeout; {
		case t < 1:
			return validation(t, "timeout", "Member must have value greater than or equal to 1")
		case t > int(MaxTimeout/time.Second):
			return validation(t, "timeout", "Member must have value less than or equal to 900")
		}
		c.Timeout = *u.Timeout
	}
	if u.MemorySize != nil {
		switch m := *u.MemorySize; {
		case m < 128:
			return validation(m, "memorySize", "Member must have value greater than or equal to 128")
		case m > MaxMemorySize:
			return validation(m, "memorySize", "Member must have value less than or equal to 10240")
		}
		c.MemorySize = *u.MemorySize
	}
	if u.Environment != nil {
		vars := u.Environment.Variables
		for k := range vars {
			if !envKeyRE.MatchString(k) {
				return validation(k, "environment.variables", "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+")
			}
		}
		if b, _ := json.Marshal(vars); len(b) > maxEnvSize {
			return awserr.InvalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %s", b)
		}
		c.Environment, c.HasEnvironment = vars, true
	}
	return nil
}

func checkArchitectures(a []string) *awserr.Error {
	if len(a) > 1 {
		return validation(fmt.Sprint(a), "architectures", "Member must have length less than or equal to 1")
	}
	if len(a) == 1 && a[0] != "x86_64" && a[0] != "arm64" {
		return validation(fmt.Sprint(a), "architectures", "[Member must satisfy enum value set: [x86_64, arm64], Member must not be null]")
	}
	return nil
}

func (r *Registry) getFunction(w http.ResponseWriter, req *http.Request) {
	fc, e := r.describe(req)
	if e != nil {
		awserr.WriteREST(w, e)
		return
	}
	out := map[string]any{
		"Configuration": fc,
		"Code":          map[string]string{"RepositoryType": "S3"},
	}
	if tags, err := r.FunctionTags(req.Context(), fc.FunctionName); err == nil && len(tags) > 0 {
		out["Tags"] = tags // omitted when there are none, as Lambda does
	}
	writeJSON(w, http.StatusOK, out)
}

func (r *Registry) getFunctionConfiguration(w http.ResponseWriter, req *http.Request) {
	fc, e := r.describe(req)
	if e != nil {
		awserr.WriteREST(w, e)
		return
	}
	writeJSON(w, http.StatusOK, fc)
}

func (r *Registry) describe(req *http.Request) (*functionConfiguration, *awserr.Error) {
	name, _, e := r.pathName(req)
	if e != nil {
		return nil, e
	}
	if fn := r.configured[name]; fn != nil {
		return r.configuredConfiguration(fn, true), nil
	}
	sf, c, e := r.stored(req.Context(), name)
	if e != nil {
		return nil, e
	}
	return r.configuration(sf, c, true), nil
}

func (r *Registry) listFunctions(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	if v := q.Get("FunctionVersion"); v != "" && v != "ALL" {
		awserr.WriteREST(w, validation(v, "functionVersion", "Member must satisfy enum value set: [ALL]"))
		return
	}
	limit := maxPageSize
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			awserr.WriteREST(w, validation(v, "maxItems", "Member must have value between 1 and 10000"))
			return
		}
		limit = min(n, maxPageSize)
	}
	marker := q.Get("Marker")
	all := make([]*functionConfiguration, 0, len(r.configured))
	for _, fn := range r.configured {
		all = append(all, r.configuredConfiguration(fn, false))
	}
	fns, err := r.store.ListFunctions(req.Context())
	if err != nil {
		awserr.WriteREST(w, awserr.Service("listing functions: %v", err))
		return
	}
	for _, sf := range fns {
		if r.configured[sf.Name] != nil {
			continue
		}
		c, err := decodeConfig(sf)
		if err != nil {
			r.log.Warn("skipping a function whose stored configuration is unreadable", "function", sf.Name, "error", err)
			continue
		}
		all = append(all, r.configuration(sf, c, false))
	}
	slices.SortFunc(all, func(a, b *functionConfiguration) int { return strings.Compare(a.FunctionName, b.FunctionName) })
	start := 0
	if marker != "" {
		start, _ = slices.BinarySearchFunc(all, marker, func(fc *functionConfiguration, m string) int {
			if fc.FunctionName <= m {
				return -1
			}
			return 1
		})
	}
	page := all[start:]
	out := map[string]any{}
	if len(page) > limit {
		page = page[:limit]
		out["NextMarker"] = page[len(page)-1].FunctionName
	}
	out["Functions"] = page
	writeJSON(w, http.StatusOK, out)
}

func (r *Registry) deleteFunction(w http.ResponseWriter, req *http.Request) {
	if req.URL.Query().Get("Qualifier") == "$LATEST" {
		awserr.WriteREST(w, awserr.InvalidParameter("$LATEST version cannot be deleted without deleting the function."))
		return
	}
	name, _, e := r.pathName(req)
	if e != nil {
		awserr.WriteREST(w, e)
		return
	}
	if r.configured[name] != nil {
		awserr.WriteREST(w, awserr.Conflict("Function %s is defined in the config file and cannot be deleted through the API: remove it from the config file", name))
		return
	}
	r.loadMu.Lock()
	err := r.store.DeleteFunction(req.Context(), name)
	if err == nil {
		r.uninstall(name)
	}
	r.loadMu.Unlock()
	if errors.Is(err, store.ErrNotFound) {
		awserr.WriteREST(w, notFound(r.arn(name)))
		return
	}
	if err != nil {
		awserr.WriteREST(w, awserr.Service("deleting function %s: %v", name, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// changeable reads an API function for an update, with loadMu held on success.
func (r *Registry) changeable(req *http.Request, revisionID string) (*store.Function, *storedConfig, *awserr.Error) {
	name, _, e := r.pathName(req)
	if e != nil {
		return nil, nil, e
	}
	if r.configured[name] != nil {
		return nil, nil, awserr.Conflict("Function %s is defined in the config file and cannot be changed through the API: change the config file", name)
	}
	r.loadMu.Lock()
	sf, c, e := r.stored(req.Context(), name)
	if e == nil && revisionID != "" && revisionID != c.RevisionID {
		e = awserr.New(http.StatusPreconditionFailed, "PreconditionFailedException",
			"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	if e != nil {
		r.loadMu.Unlock()
		return nil, nil, e
	}
	return sf, c, nil
}

func (r *Registry) updateFunctionCode(w http.ResponseWriter, req *http.Request) {
	var in struct {
		ZipFile       []byte
		S3Bucket      string
		ImageUri      string
		DryRun        bool
		RevisionId    string
		Architectures []string
	}
	if e := decode(w, req, maxCreateRequest, "UpdateFunctionCode", &in); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	if len(in.ZipFile) == 0 {
		awserr.WriteREST(w, awserr.InvalidParameter("Please provide a source for function code: ZipFile (S3 and container images are not supported)"))
		return
	}
	if e := checkArchitectures(in.Architectures); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	if _, e := checkZip(in.ZipFile); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	sf, c, e := r.changeable(req, in.RevisionId)
	if e != nil {
		awserr.WriteREST(w, e)
		return
	}
	defer r.loadMu.Unlock()
	setCode(sf, in.ZipFile)
	if len(in.Architectures) == 1 {
		c.Architectures = in.Architectures
	}
	if !in.DryRun {
		if e := r.save(req.Context(), sf, c); e != nil {
			awserr.WriteREST(w, e)
			return
		}
	}
	writeJSON(w, http.StatusOK, r.configuration(sf, c, true))
}

func (r *Registry) updateFunctionConfiguration(w http.ResponseWriter, req *http.Request) {
	var in configUpdate
	if e := decode(w, req, maxCreateRequest, "UpdateFunctionConfiguration", &in); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	sf, c, e := r.changeable(req, in.RevisionId)
	if e != nil {
		awserr.WriteREST(w, e)
		return
	}
	defer r.loadMu.Unlock()
	if e := in.apply(c); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	if e := r.save(req.Context(), sf, c); e != nil {
		awserr.WriteREST(w, e)
		return
	}
	writeJSON(w, http.StatusOK, r.configuration(sf, c, true))
}

func (r *Registry) invokeFunction(w http.ResponseWriter, req *http.Request) {
	name, _, e := r.pathName(req)
	if e != nil {
		awserr.WriteREST(w, e)
		return
	}
	typ := req.Header.Get("X-Amz-Invocation-Type")
	limit := int64(maxSyncPayload)
	switch typ {
	case "", "RequestResponse", "DryRun":
	case "Event":
		limit = maxAsyncPayload
	default:
		awserr.WriteREST(w, validation(typ, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) && typ == "Event":
		awserr.WriteREST(w, awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			"%d+ byte payload is too large for the Event invocation type (limit %d bytes)", limit+1, limit))
		return
	case errors.As(err, &mbe):
		awserr.WriteREST(w, awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			"Request must be smaller than %d bytes for the InvokeFunction operation", limit))
		return
	case err != nil:
		awserr.WriteREST(w, awserr.InvalidParameter("reading the request: %v", err))
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	} else if !json.Valid(body) {
		awserr.WriteREST(w, awserr.New(http.StatusBadRequest, "InvalidRequestContentException",
			"Could not parse request body into json: Could not parse payload into json: the payload is not a JSON document"))
		return
	}
	if typ == "Event" || typ == "DryRun" {
		if _, err := r.lookup(req.Context(), name); err != nil {
			awserr.WriteREST(w, r.invokeError(name, err))
			return
		}
		if typ == "DryRun" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !r.invokeAsync(name, body) {
			awserr.WriteREST(w, awserr.Service("the service is shutting down"))
			return
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	res, err := r.Invoke(req.Context(), name, body)
	if err != nil {
		if req.Context().Err() != nil {
			return // the caller left
		}
		awserr.WriteREST(w, r.invokeError(name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", "$LATEST")
	h.Set("x-amzn-RequestId", res.RequestID) // on Lambda, the invocation's request ID
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	w.WriteHeader(http.StatusOK)
	w.Write(res.Payload)
}

func (r *Registry) invokeError(name string, err error) *awserr.Error {
	switch {
	case errors.Is(err, ErrFunctionNotFound):
		return notFound(r.arn(name) + ":$LATEST")
	case errors.Is(err, ErrFunctionConfig):
		return awserr.New(http.StatusBadGateway, "InvalidZipFileException", "%v", err)
	default:
		return awserr.Service("invoking %s: %v", name, err)
	}
}

// invokeAsync runs an Event invocation in the background, owned by the registry.
func (r *Registry) invokeAsync(name string, payload []byte) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return false
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		ctx, cancel := context.WithTimeout(r.ctx, MaxTimeout+time.Minute)
		defer cancel()
		res, err := r.Invoke(ctx, name, payload)
		switch {
		case err != nil:
			r.log.Warn("asynchronous invocation failed", "function", name, "error", err)
		case res.FunctionError != "":
			r.log.Warn("asynchronous invocation failed", "function", name, "requestId", res.RequestID, "error", string(res.Payload))
		}
	}()
	return true
}
