package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/secrets"
)

// Body limits. Lambda refuses CreateFunction requests over 69905067 bytes (a 50 MB zip,
// base64-encoded); everything else the API takes is small.
const (
	maxFunctionsBody = 69905067
	maxBody          = 1 << 20
)

// Functions is what the API needs from the function registry (*function.Registry):
// resolving a mapping's function to its ARN, the operations of the functions API
// (/2015-03-31/functions/...) and function tags. Names may be a name or an ARN;
// errors are those the function package documents.
type Functions interface {
	// FunctionArn returns the function's ARN, or an error matching
	// function.ErrFunctionNotFound.
	FunctionArn(ctx context.Context, name string) (string, error)

	Create(ctx context.Context, in function.CreateInput) (*function.Configuration, error)
	Get(ctx context.Context, name string) (*function.Configuration, error)
	List(ctx context.Context, in function.ListInput) (*function.ListOutput, error)
	Delete(ctx context.Context, name string) error
	UpdateCode(ctx context.Context, in function.UpdateCodeInput) (*function.Configuration, error)
	UpdateConfiguration(ctx context.Context, in function.UpdateConfigurationInput) (*function.Configuration, error)
	InvokeFunction(ctx context.Context, in function.InvokeInput) (*function.Result, error)

	// FunctionTags returns a function's tags, or an error matching
	// function.ErrFunctionNotFound.
	FunctionTags(ctx context.Context, name string) (map[string]string, error)
	// TagFunction adds set to a function's tags and removes the keys in remove.
	TagFunction(ctx context.Context, name string, set map[string]string, remove []string) error

	// Versions and aliases (functions_versions.go, functions_aliases.go).
	PublishVersion(ctx context.Context, in function.PublishInput) (*function.Configuration, error)
	ListVersions(ctx context.Context, in function.ListVersionsInput) (*function.ListVersionsOutput, error)
	CreateAlias(ctx context.Context, in function.AliasInput) (*function.Alias, error)
	UpdateAlias(ctx context.Context, in function.AliasInput) (*function.Alias, error)
	GetAlias(ctx context.Context, name, alias string) (*function.Alias, error)
	ListAliases(ctx context.Context, name, functionVersion string) ([]*function.Alias, error)
	DeleteAlias(ctx context.Context, name, alias string) error

	// Reserved concurrency and resource policies (functions_concurrency.go,
	// functions_policy.go).
	PutConcurrency(ctx context.Context, name string, reserved *int) error
	Concurrency(ctx context.Context, name string) (*int, error)
	AddPermission(ctx context.Context, in function.PermissionInput) (string, error)
	Policy(ctx context.Context, name string) (policy, revisionID string, err error)
	RemovePermission(ctx context.Context, name, statementID, revisionID string) error
}

// Options configure the API. Config and Store are required.
type Options struct {
	Config    *config.Config // region, account, credentials and brokers
	Store     esm.Store
	Functions Functions        // nil: no function exists and /2015-03-31/functions is not served
	Secrets   *secrets.Manager // nil: Secrets Manager operations answer ServiceUnavailable
	// Notify is called with a mapping after each write, so the supervisor acts at
	// once (esm.Supervisor.Notify).
	Notify func(m *esm.Mapping)
	// SecretChanged is called with a secret's ARN after its value changed, so
	// mappings stopped by refused credentials retry at once.
	SecretChanged func(arn string)
	// Redrive runs the redrive extension (esm_redrive.go); nil: it answers
	// ServiceException 503.
	Redrive Redriver
	// FunctionChanged is called with a function's name after it was created or its
	// code or configuration changed, so mappings stopped for want of it retry at once.
	FunctionChanged func(name string)
	// Metrics receives the API's collectors and is served at /metrics; nil: a new registry.
	Metrics *prometheus.Registry
	Logger  *slog.Logger // nil: slog.Default()
	// Health, if set, writes more lines after "ok" on /healthz.
	Health func(w io.Writer)
	// Now is the clock for signatures and timestamps; nil: time.Now.
	Now func() time.Time
}

// API is the HTTP API: Lambda's event source mapping and functions operations, a
// Secrets Manager subset, /healthz and /metrics. It is an http.Handler.
type API struct {
	opts    Options
	log     *slog.Logger
	auth    *authenticator
	metrics *metrics
	promh   http.Handler
}

// New returns the API for opts.
func New(opts Options) (*API, error) {
	if opts.Config == nil || opts.Store == nil {
		return nil, errors.New("api: Options.Config and Options.Store are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Metrics == nil {
		opts.Metrics = prometheus.NewRegistry()
	}
	m, err := newMetrics(opts.Metrics)
	if err != nil {
		return nil, err
	}
	a := &API{
		opts:    opts,
		log:     opts.Logger,
		auth:    newAuthenticator(opts.Config, opts.Now),
		metrics: m,
		promh:   promhttp.HandlerFor(opts.Metrics, promhttp.HandlerOpts{}),
	}
	return a, nil
}

type ctxKey int

const requestIDKey ctxKey = 0

// RequestID returns the x-amzn-RequestId of the request ctx belongs to.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// ServeHTTP routes one request: open endpoints, then authentication, then the operation.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", rid)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey, rid))
	op := classify(r)
	var code string
	defer func() {
		d := time.Since(start)
		a.metrics.observe(op.name, rec.status, d)
		if op.open {
			return // health checks and scrapes are not worth a log line each
		}
		attrs := []any{"operation", op.name, "status", rec.status, "duration", d.Round(time.Microsecond), "request_id", rid}
		if code != "" {
			attrs = append(attrs, "error", code)
		}
		if rec.key != "" {
			attrs = append(attrs, "access_key_id", rec.key)
		}
		a.log.LogAttrs(r.Context(), levelFor(rec.status), "request", slogAttrs(attrs)...)
	}()

	switch {
	case op.name == "Healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(rec, "ok\n")
		if a.opts.Health != nil {
			a.opts.Health(rec)
		}
		return
	case op.name == "Metrics":
		a.promh.ServeHTTP(rec, r)
		return
	}

	limit := int64(maxBody)
	if op.functions {
		limit = maxFunctionsBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(rec, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			e := awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
				"Request must be smaller than %d bytes for the %s operation", limit, op.name)
			code = e.Code
			op.writeError(rec, e)
			return
		}
		e := awserr.New(http.StatusBadRequest, "InvalidRequestContentException", "Could not read the request body: %v", err)
		code = e.Code
		op.writeError(rec, e)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	key, aerr := a.auth.verify(r, body, op.service)
	rec.key = key
	if aerr != nil {
		code = aerr.code
		a.writeAuthError(rec, op, aerr)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	if e := a.dispatch(rec, r, op, body); e != nil {
		code = e.Code
		if e.Status >= 500 && !callerFault5xx[e.Code] {
			// The detail (store errors, paths) goes to the log, not to the caller.
			a.log.Error("request failed", "operation", op.name, "request_id", rid, "err", e.Message)
			e = &awserr.Error{Code: e.Code, Status: e.Status, Fault: true, LowerMessage: e.LowerMessage,
				Message: "mqtrigger could not complete the request (request id " + rid + "); the service log has the details"}
		}
		op.writeError(rec, e)
	}
}

func (a *API) dispatch(w http.ResponseWriter, r *http.Request, op operation, body []byte) *awserr.Error {
	// First: both services have a TagResource and an UntagResource.
	if op.service == serviceSecretsManager {
		return a.secretsManager(w, r, op.name, body)
	}
	switch op.name {
	case "CreateEventSourceMapping":
		return a.createMapping(w, r, body)
	case "GetEventSourceMapping":
		return a.getMapping(w, r, op.uuid)
	case "UpdateEventSourceMapping":
		return a.updateMapping(w, r, op.uuid, body)
	case "DeleteEventSourceMapping":
		return a.deleteMapping(w, r, op.uuid)
	case "ListEventSourceMappings":
		return a.listMappings(w, r)
	case "RedriveEventSourceMapping":
		return a.redriveMapping(w, r, op.uuid, body)
	case "ListTags":
		return a.listTags(w, r, op.arn)
	case "TagResource":
		return a.tagResource(w, r, op.arn, body)
	case "UntagResource":
		return a.untagResource(w, r, op.arn)
	}
	if op.functions && a.opts.Functions != nil {
		return a.functionsOperation(w, r, op, body)
	}
	return awserr.New(http.StatusNotFound, "UnknownOperationException", "Unknown operation %s %s", r.Method, r.URL.Path)
}

// functionsOperation serves an operation of the functions API.
func (a *API) functionsOperation(w http.ResponseWriter, r *http.Request, op operation, body []byte) *awserr.Error {
	switch op.name {
	case "CreateFunction":
		return a.createFunction(w, r, body)
	case "GetFunction":
		return a.getFunction(w, r, op.function)
	case "GetFunctionConfiguration":
		return a.getFunctionConfiguration(w, r, op.function)
	case "ListFunctions":
		return a.listFunctions(w, r)
	case "DeleteFunction":
		return a.deleteFunction(w, r, op.function)
	case "UpdateFunctionCode":
		return a.updateFunctionCode(w, r, op.function, body)
	case "UpdateFunctionConfiguration":
		return a.updateFunctionConfiguration(w, r, op.function, body)
	case "Invoke":
		return a.invokeFunction(w, r, op.function, body)
	case "PublishVersion":
		return a.publishVersion(w, r, op.function, body)
	case "ListVersionsByFunction":
		return a.listVersions(w, r, op.function)
	case "CreateAlias":
		return a.createAlias(w, r, op.function, body)
	case "ListAliases":
		return a.listAliases(w, r, op.function)
	case "GetAlias":
		return a.getAlias(w, r, op.function, op.sub)
	case "UpdateAlias":
		return a.updateAlias(w, r, op.function, op.sub, body)
	case "DeleteAlias":
		return a.deleteAlias(w, r, op.function, op.sub)
	case "AddPermission":
		return a.addPermission(w, r, op.function, body)
	case "GetPolicy":
		return a.getPolicy(w, r, op.function)
	case "RemovePermission":
		return a.removePermission(w, r, op.function, op.sub)
	case "PutFunctionConcurrency":
		return a.putConcurrency(w, r, op.function, body)
	case "GetFunctionConcurrency":
		return a.getConcurrency(w, r, op.function)
	case "DeleteFunctionConcurrency":
		return a.deleteConcurrency(w, r, op.function)
	case "GetFunctionCodeSigningConfig":
		return a.getCodeSigningConfig(w, r, op.function)
	}
	return awserr.New(http.StatusNotFound, "UnknownOperationException",
		"%s %s is not an operation of the Lambda functions API", r.Method, r.URL.Path)
}

// callerFault5xx are the 5xx errors whose text describes the caller's function, not
// the service, and so is returned as it is: Invoke's InvalidZipFileException, and
// a redrive's broker failure.
var callerFault5xx = map[string]bool{"InvalidZipFileException": true, brokerUnavailable: true}

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

func slogAttrs(kv []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, slog.Any(kv[i].(string), kv[i+1]))
	}
	return out
}

// recorder remembers the status written, for logs and metrics.
type recorder struct {
	http.ResponseWriter
	status int
	key    string
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Flush lets streamed responses (Invoke) through.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
