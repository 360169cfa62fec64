package function

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Registry's operations on functions, as Lambda's functions API has them:
// Create, Get, List, Delete, UpdateCode, UpdateConfiguration and InvokeFunction.
// Functions of the config file can be read and invoked but not changed. Errors are
// Lambda's: *ValidationError, *InvalidParameterError, *TooLargeError, *NotFoundError,
// ErrFunctionExists, ErrConfiguredFunction, ErrRevisionMismatch, ErrShuttingDown,
// or a failure of the store.

// Limits of the functions API, as Lambda's.
const (
	maxEnvSize  = 4096
	maxPageSize = 50
)

// runtimes are the runtimes a function created through the API may use: the
// OS-only ones, whose code is an executable bootstrap.
var runtimes = []string{"provided.al2023", "provided.al2"}

var (
	roleRE    = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	handlerRE = regexp.MustCompile(`^[^\s]+$`)
)

// Configuration is a function's settings and code, as GetFunctionConfiguration
// shows them.
type Configuration struct {
	Name        string
	ARN         string
	Runtime     string
	Role        string // "" for a function of the config file
	Handler     string
	Description string
	Timeout     int // seconds
	MemorySize  int // MB
	CodeSize    int64
	CodeSHA256  string // base64, as Lambda's CodeSha256
	// LastModified is the last change; the Unix epoch for a function of the config file.
	LastModified time.Time
	// HasEnvironment tells a function that has variables, even none, from one that
	// never had any.
	HasEnvironment bool
	Environment    map[string]string
	Architectures  []string // one of x86_64 and arm64
	RevisionID     string   // changes with each update; "" for a function of the config file
	Tags           map[string]string
	Configured     bool // defined in the config file
	// Version is "$LATEST" or a published version's number; ARN is then qualified
	// (with the alias when the function was asked for by one).
	Version             string
	VpcConfig           *VpcConfig
	TracingMode         string // Active or PassThrough
	EphemeralStorage    int    // MB
	Logging             LoggingConfig
	ReservedConcurrency *int // nil: none
}

// Code is a deployment package. Only ZipFile, a zip with an executable bootstrap,
// is supported; the others are there to be refused with a reason.
type Code struct {
	ZipFile  []byte
	S3Bucket string
	S3Key    string
	ImageURI string
}

// Environment is a function's environment variables.
type Environment struct {
	Variables map[string]string
}

// CreateInput is what Create takes, with CreateFunction's members.
type CreateInput struct {
	Name          string
	Runtime       string
	Role          *string // required
	Handler       string
	Description   string
	Timeout       *int // seconds; nil: 3
	MemorySize    *int // MB; nil: 128
	Code          *Code
	Environment   *Environment
	PackageType   string // "" or Zip
	Architectures []string
	Tags          map[string]string
	Extras
	Publish bool // publish version 1 as well
}

// UpdateCodeInput is what UpdateCode takes.
type UpdateCodeInput struct {
	FunctionName  string // a name or ARN
	ZipFile       []byte
	Architectures []string
	DryRun        bool   // check and answer, but change nothing
	RevisionID    string // if set, the update applies only to this revision
	Publish       bool   // publish a version of the new code
}

// Settings are the members of UpdateFunctionConfiguration (and CreateFunction) that
// set a configuration; nil members stay as they are.
type Settings struct {
	Role        *string
	Runtime     *string
	Handler     *string
	Description *string
	Timeout     *int // seconds
	MemorySize  *int // MB
	Environment *Environment
	Extras
}

// UpdateConfigurationInput is what UpdateConfiguration takes.
type UpdateConfigurationInput struct {
	FunctionName string // a name or ARN
	Settings
	RevisionID string // if set, the update applies only to this revision
}

// ListInput is what List takes.
type ListInput struct {
	Marker   string // the NextMarker of the previous page
	MaxItems int    // 0 or more than 50: 50
}

// ListOutput is one page of functions, by name.
type ListOutput struct {
	Functions  []*Configuration
	NextMarker string // "" on the last page
}

// InvocationType is how InvokeFunction runs a function, as Lambda's.
type InvocationType string

const (
	RequestResponse InvocationType = "RequestResponse" // run and answer
	Event           InvocationType = "Event"           // run in the background
	DryRun          InvocationType = "DryRun"          // only check the function exists
)

// InvokeInput is what InvokeFunction takes.
type InvokeInput struct {
	FunctionName string // a name or ARN
	Payload      []byte
	Type         InvocationType // "": RequestResponse
	// RequestID is the invocation's id, as the function sees it; "": a new one.
	RequestID string
	// LogTail asks for the last 4 KB of the invocation's log in Result.Log
	// (RequestResponse only), as Invoke's LogType Tail.
	LogTail bool
}

// Create stores a new function; its first invocation starts it.
func (r *Registry) Create(ctx context.Context, in CreateInput) (*Configuration, error) {
	if !ValidName(in.Name) {
		return nil, &ValidationError{Field: "functionName", Value: in.Name, Constraint: "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+"}
	}
	if in.PackageType != "" && in.PackageType != "Zip" {
		return nil, invalidParameter("PackageType", "PackageType %s is not supported: deploy a zip (PackageType Zip) with a bootstrap for runtime %s", in.PackageType, strings.Join(runtimes, " or "))
	}
	if in.Role == nil {
		return nil, &ValidationError{Field: "role", Value: "null", Constraint: "Member must not be null"}
	}
	c := &storedConfig{Timeout: int(DefaultTimeout / time.Second), MemorySize: DefaultMemorySize, Architectures: in.Architectures}
	upd := Settings{Role: in.Role, Runtime: &in.Runtime, Handler: &in.Handler, Description: &in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize, Environment: in.Environment, Extras: in.Extras}
	if err := upd.apply(c); err != nil {
		return nil, err
	}
	if err := checkArchitectures(in.Architectures); err != nil {
		return nil, err
	}
	if len(in.Tags) > maxTags {
		return nil, invalidParameter("Tags", "Invalid parameters: a resource takes at most %d tags, got %d.", maxTags, len(in.Tags))
	}
	if len(in.Tags) > 0 {
		c.Tags = in.Tags
	}
	if in.Code == nil || len(in.Code.ZipFile) == 0 {
		if in.Code != nil && (in.Code.S3Bucket != "" || in.Code.ImageURI != "") {
			return nil, invalidParameter("Code", "Code from S3 or a container image is not supported: upload the zip inline (Code.ZipFile, or --zip-file fileb://function.zip)")
		}
		return nil, invalidParameter("Code", "Please provide a source for function code: Code.ZipFile, a zip with an executable bootstrap")
	}
	zr, err := checkZip(in.Code.ZipFile)
	if err != nil {
		return nil, err
	}
	if err := checkBootstrapArch(zr, c.arch()); err != nil {
		return nil, err
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if r.configured[in.Name] != nil {
		return nil, fmt.Errorf("%w: %s", ErrFunctionExists, in.Name)
	}
	if _, err := r.store.GetFunction(ctx, in.Name); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrFunctionExists, in.Name)
	} else if !errors.Is(err, ErrNotStored) {
		return nil, fmt.Errorf("reading function %s: %w", in.Name, err)
	}
	sf := &Stored{Name: in.Name}
	setCode(sf, in.Code.ZipFile)
	if err := r.save(ctx, sf, c); err != nil {
		return nil, err
	}
	if in.Publish {
		if _, err := r.publishLocked(ctx, sf, c, nil); err != nil {
			return nil, err
		}
	}
	return r.configuration(sf, c), nil
}

// Get returns a function's configuration and tags; a qualified name gives that
// version's configuration (through an alias: with the alias's ARN).
func (r *Registry) Get(ctx context.Context, nameOrARN string) (*Configuration, error) {
	name, qualifier, err := r.parseName(nameOrARN)
	if err != nil {
		return nil, err
	}
	if qualifier != "" && qualifier != "$LATEST" {
		return r.getQualified(ctx, name, qualifier)
	}
	if fn := r.configured[name]; fn != nil {
		return r.configuredConfiguration(fn), nil
	}
	sf, c, err := r.stored(ctx, name)
	if err != nil {
		return nil, err
	}
	return r.configuration(sf, c), nil
}

// List returns a page of functions, those of the config file and the stored ones,
// by name. A stored function whose configuration cannot be read is left out.
func (r *Registry) List(ctx context.Context, in ListInput) (*ListOutput, error) {
	limit := maxPageSize
	if in.MaxItems > 0 {
		limit = min(in.MaxItems, maxPageSize)
	}
	all := make([]*Configuration, 0, len(r.configured))
	for _, fn := range r.configured {
		all = append(all, r.configuredConfiguration(fn))
	}
	fns, err := r.store.ListFunctions(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing functions: %w", err)
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
		all = append(all, r.configuration(sf, c))
	}
	slices.SortFunc(all, func(a, b *Configuration) int { return strings.Compare(a.Name, b.Name) })
	start := 0
	if in.Marker != "" {
		start, _ = slices.BinarySearchFunc(all, in.Marker, func(c *Configuration, m string) int {
			if c.Name <= m {
				return -1
			}
			return 1
		})
	}
	out := &ListOutput{Functions: all[start:]}
	if len(out.Functions) > limit {
		out.Functions = out.Functions[:limit]
		out.NextMarker = out.Functions[limit-1].Name
	}
	return out, nil
}

// Delete removes a stored function with its versions, aliases and policies, and
// stops its environments; a qualified name deletes that version only.
func (r *Registry) Delete(ctx context.Context, nameOrARN string) error {
	name, qualifier, err := r.parseName(nameOrARN)
	if err != nil {
		return err
	}
	if r.configured[name] != nil {
		return fmt.Errorf("%w: %s", ErrConfiguredFunction, name)
	}
	if qualifier != "" && qualifier != "$LATEST" {
		return r.deleteVersion(ctx, name, qualifier)
	}
	r.loadMu.Lock()
	err = r.store.DeleteFunction(ctx, name)
	if err == nil {
		r.uninstallAll(name)
	}
	r.loadMu.Unlock()
	if errors.Is(err, ErrNotStored) {
		return &NotFoundError{ARN: r.arn(name)}
	}
	if err != nil {
		return fmt.Errorf("deleting function %s: %w", name, err)
	}
	return nil
}

// UpdateCode replaces a stored function's code; the next invocation runs it.
func (r *Registry) UpdateCode(ctx context.Context, in UpdateCodeInput) (*Configuration, error) {
	if len(in.ZipFile) == 0 {
		return nil, invalidParameter("ZipFile", "Please provide a source for function code: ZipFile (S3 and container images are not supported)")
	}
	if err := checkArchitectures(in.Architectures); err != nil {
		return nil, err
	}
	zr, err := checkZip(in.ZipFile)
	if err != nil {
		return nil, err
	}
	sf, c, err := r.changeable(ctx, in.FunctionName, in.RevisionID)
	if err != nil {
		return nil, err
	}
	defer r.loadMu.Unlock()
	setCode(sf, in.ZipFile)
	if len(in.Architectures) == 1 {
		c.Architectures = in.Architectures
	}
	if err := checkBootstrapArch(zr, c.arch()); err != nil {
		return nil, err
	}
	if in.DryRun {
		return r.configuration(sf, c), nil
	}
	if err := r.save(ctx, sf, c); err != nil {
		return nil, err
	}
	out := r.configuration(sf, c)
	if in.Publish {
		v, err := r.publishLocked(ctx, sf, c, nil)
		if err != nil {
			return nil, err
		}
		out = v // Lambda answers with the published version
	}
	return out, nil
}

// UpdateConfiguration changes a stored function's settings; the next invocation
// runs with them.
func (r *Registry) UpdateConfiguration(ctx context.Context, in UpdateConfigurationInput) (*Configuration, error) {
	sf, c, err := r.changeable(ctx, in.FunctionName, in.RevisionID)
	if err != nil {
		return nil, err
	}
	defer r.loadMu.Unlock()
	if err := in.Settings.apply(c); err != nil {
		return nil, err
	}
	if err := r.save(ctx, sf, c); err != nil {
		return nil, err
	}
	return r.configuration(sf, c), nil
}

// InvokeFunction invokes a function as Lambda's Invoke does. RequestResponse
// answers as Invoke does. Event and DryRun check that the function exists and
// answer a nil Result: Event then runs it in the background, owned by the registry.
func (r *Registry) InvokeFunction(ctx context.Context, in InvokeInput) (*Result, error) {
	id := in.RequestID
	if id == "" {
		id = newRequestID()
	}
	switch in.Type {
	case "", RequestResponse:
		if in.LogTail {
			ctx = withTail(ctx)
		}
		res, err := r.invoke(ctx, in.FunctionName, id, in.Payload, false, nil)
		if err == nil && in.LogTail {
			res.Log = tailFrom(ctx).bytes()
		}
		return res, err
	case Event, DryRun:
	default:
		return nil, &ValidationError{Field: "invocationType", Value: in.Type, Constraint: "Member must satisfy enum value set: [Event, RequestResponse, DryRun]"}
	}
	if _, err := r.lookup(ctx, in.FunctionName); err != nil {
		return nil, err
	}
	if in.Type == Event && !r.invokeAsync(in.FunctionName, id, in.Payload) {
		return nil, ErrShuttingDown
	}
	return nil, nil
}

// latest resolves a name or ARN that may only be qualified with $LATEST.
func (r *Registry) latest(nameOrARN string) (string, error) {
	name, qualifier, err := r.parseName(nameOrARN)
	if err != nil {
		return "", err
	}
	if qualifier != "" && qualifier != "$LATEST" {
		return "", &NotFoundError{ARN: r.arn(name), Qualifier: qualifier}
	}
	return name, nil
}

// configuration describes an API function from its stored form.
func (r *Registry) configuration(sf *Stored, c *storedConfig) *Configuration {
	fc := &Configuration{
		Name:                sf.Name,
		ARN:                 r.arn(sf.Name),
		Runtime:             c.Runtime,
		Role:                c.Role,
		Handler:             c.Handler,
		Description:         c.Description,
		Timeout:             c.Timeout,
		MemorySize:          c.MemorySize,
		CodeSize:            sf.CodeSize,
		CodeSHA256:          sf.CodeSHA256,
		LastModified:        sf.LastModified,
		HasEnvironment:      c.HasEnvironment || len(c.Environment) > 0,
		Environment:         c.Environment,
		Architectures:       c.Architectures,
		RevisionID:          c.RevisionID,
		Tags:                c.Tags,
		Version:             "$LATEST",
		VpcConfig:           c.VpcConfig,
		TracingMode:         cmpOr(c.TracingMode, "PassThrough"),
		EphemeralStorage:    c.EphemeralStorage,
		ReservedConcurrency: c.ReservedConcurrency,
	}
	if c.Version > 0 {
		fc.Version = strconv.Itoa(c.Version)
		fc.ARN += ":" + fc.Version
		fc.Tags = nil // a version has no tags of its own
	}
	if fc.EphemeralStorage == 0 {
		fc.EphemeralStorage = 512
	}
	fc.Logging = c.logging()
	if len(fc.Architectures) == 0 {
		fc.Architectures = []string{"x86_64"}
	}
	return fc
}

// logging is c's logging configuration with Lambda's defaults.
func (c *storedConfig) logging() LoggingConfig {
	l := LoggingConfig{LogFormat: "Text"}
	if c.Logging != nil {
		l = *c.Logging
	}
	l.LogFormat = cmpOr(l.LogFormat, "Text")
	l.LogGroup = cmpOr(l.LogGroup, "/aws/lambda/"+c.name)
	return l
}

// configuredConfiguration describes a function of the config file.
func (r *Registry) configuredConfiguration(fn *function) *Configuration {
	s := fn.spec
	kind := "command"
	switch {
	case s.URL != "":
		kind = "url " + s.URL
	case s.ARN != "":
		kind = "arn " + s.ARN
	}
	return &Configuration{
		Name:             s.Name,
		ARN:              fn.arn,
		Runtime:          s.Runtime,
		Handler:          s.Handler,
		Description:      "defined in the config file (" + kind + ")",
		Timeout:          int(s.Timeout / time.Second),
		MemorySize:       s.MemorySize,
		LastModified:     time.Unix(0, 0),
		HasEnvironment:   s.Environment != nil,
		Environment:      s.Environment,
		Architectures:    []string{"x86_64"},
		Configured:       true,
		Version:          "$LATEST",
		TracingMode:      "PassThrough",
		EphemeralStorage: 512,
		Logging:          LoggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/" + s.Name},
	}
}

// stored reads an API function from the store.
func (r *Registry) stored(ctx context.Context, name string) (*Stored, *storedConfig, error) {
	sf, err := r.store.GetFunction(ctx, name)
	if errors.Is(err, ErrNotStored) {
		return nil, nil, &NotFoundError{ARN: r.arn(name)}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading function %s: %w", name, err)
	}
	c, err := decodeConfig(sf)
	if err != nil {
		return nil, nil, err
	}
	return sf, c, nil
}

// changeable reads an API function for an update, with loadMu held on success.
func (r *Registry) changeable(ctx context.Context, nameOrARN, revisionID string) (*Stored, *storedConfig, error) {
	name, err := r.latest(nameOrARN)
	if err != nil {
		return nil, nil, err
	}
	if r.configured[name] != nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrConfiguredFunction, name)
	}
	r.loadMu.Lock()
	sf, c, err := r.stored(ctx, name)
	if err == nil && revisionID != "" && revisionID != c.RevisionID {
		err = fmt.Errorf("%w: function %s", ErrRevisionMismatch, name)
	}
	if err != nil {
		r.loadMu.Unlock()
		return nil, nil, err
	}
	return sf, c, nil
}

func setCode(sf *Stored, zip []byte) {
	sum := sha256.Sum256(zip)
	sf.Code = zip
	sf.CodeSHA256 = base64.StdEncoding.EncodeToString(sum[:])
	sf.CodeSize = int64(len(zip))
}

// save writes a function with a new revision; the next invocation loads it. Call
// with loadMu held.
func (r *Registry) save(ctx context.Context, sf *Stored, c *storedConfig) error {
	c.RevisionID = newRequestID()
	cfg, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding function %s: %w", sf.Name, err)
	}
	sf.Config = cfg
	sf.LastModified = time.Now().UTC().Truncate(time.Millisecond)
	if err := r.store.PutFunction(ctx, sf); err != nil {
		return fmt.Errorf("storing function %s: %w", sf.Name, err)
	}
	r.uninstall(sf.Name)
	return nil
}

// apply checks u as Lambda does and sets it in c.
func (u *Settings) apply(c *storedConfig) error {
	if u.Role != nil {
		if !roleRE.MatchString(*u.Role) {
			return &ValidationError{Field: "role", Value: *u.Role, Constraint: "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"}
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
		return invalidParameter("Runtime", "Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if !slices.Contains(runtimes, c.Runtime) {
		return invalidParameter("Runtime", "Value %s at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [%s]. Only OS-only runtimes are supported: deploy a zip with an executable bootstrap (for example an aws-lambda-go handler built for linux).",
			c.Runtime, strings.Join(runtimes, ", "))
	}
	if len(c.Handler) > 128 || !handlerRE.MatchString(c.Handler) {
		return &ValidationError{Field: "handler", Value: c.Handler, Constraint: "Member must satisfy regular expression pattern: [^\\s]+"}
	}
	if u.Description != nil {
		if len(*u.Description) > 256 {
			return &ValidationError{Field: "description", Value: *u.Description, Constraint: "Member must have length less than or equal to 256"}
		}
		c.Description = *u.Description
	}
	if u.Timeout != nil {
		switch t := *u.Timeout; {
		case t < 1:
			return &ValidationError{Field: "timeout", Value: t, Constraint: "Member must have value greater than or equal to 1"}
		case t > int(MaxTimeout/time.Second):
			return &ValidationError{Field: "timeout", Value: t, Constraint: "Member must have value less than or equal to 900"}
		}
		c.Timeout = *u.Timeout
	}
	if u.MemorySize != nil {
		switch m := *u.MemorySize; {
		case m < MinMemorySize:
			return &ValidationError{Field: "memorySize", Value: m, Constraint: "Member must have value greater than or equal to 128"}
		case m > MaxMemorySize:
			return &ValidationError{Field: "memorySize", Value: m, Constraint: "Member must have value less than or equal to 10240"}
		}
		c.MemorySize = *u.MemorySize
	}
	if u.Environment != nil {
		vars := u.Environment.Variables
		for k := range vars {
			if !ValidEnvKey(k) {
				return &ValidationError{Field: "environment.variables", Value: k, Constraint: "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+"}
			}
		}
		if b, _ := json.Marshal(vars); len(b) > maxEnvSize {
			return invalidParameter("Environment", "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %s", b)
		}
		c.Environment, c.HasEnvironment = vars, true
	}
	return u.Extras.applyExtras(c)
}

// arch is the architecture a function runs on.
func (c *storedConfig) arch() string {
	if len(c.Architectures) == 1 {
		return c.Architectures[0]
	}
	return "x86_64"
}

func checkArchitectures(a []string) error {
	if len(a) > 1 {
		return &ValidationError{Field: "architectures", Value: fmt.Sprint(a), Constraint: "Member must have length less than or equal to 1"}
	}
	if len(a) == 1 && a[0] != "x86_64" && a[0] != "arm64" {
		return &ValidationError{Field: "architectures", Value: fmt.Sprint(a), Constraint: "[Member must satisfy enum value set: [x86_64, arm64], Member must not be null]"}
	}
	return nil
}

// invokeAsync runs an Event invocation in the background, owned by the registry.
func (r *Registry) invokeAsync(name, requestID string, payload []byte) bool {
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
		res, err := r.invoke(ctx, name, requestID, payload, true, nil)
		switch {
		case err != nil:
			r.log.Warn("asynchronous invocation failed", "function", name, "error", err)
		case res.FunctionError != "":
			r.log.Warn("asynchronous invocation failed", "function", name, "requestId", res.RequestID, "error", string(res.Payload))
		}
	}()
	return true
}
