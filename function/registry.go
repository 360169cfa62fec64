package function

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Spec describes a function: exactly one of URL (an HTTP endpoint), Command (a
// local program that speaks the Lambda Runtime API) or ARN (a remote Lambda
// function). Functions created through the API carry their code instead.
type Spec struct {
	Name     string
	URL      string
	Command  []string
	ARN      string
	Endpoint string // for ARN: optional endpoint override
	// Timeout bounds one invocation: default 3s, at most 900s.
	Timeout time.Duration
	// MemorySize in MB, as AWS_LAMBDA_FUNCTION_MEMORY_SIZE tells the runtime: default 128.
	MemorySize  int
	Environment map[string]string
	Handler     string
	Runtime     string
}

// Function limits and defaults, as Lambda's.
const (
	DefaultTimeout    = 3 * time.Second
	MaxTimeout        = 900 * time.Second
	DefaultMemorySize = 128
	MinMemorySize     = 128
	MaxMemorySize     = 10240
)

var envKeyRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]+$`)

// ValidEnvKey reports whether k may name a function's environment variable: a
// letter, then one or more letters, digits or underscores.
func ValidEnvKey(k string) bool { return envKeyRE.MatchString(k) }

// Validate checks s and fills in its defaults.
func (s *Spec) Validate() error {
	if !ValidName(s.Name) {
		return fmt.Errorf("function name %q: use 1 to 64 letters, digits, hyphens or underscores", s.Name)
	}
	kinds := 0
	for _, set := range []bool{s.URL != "", len(s.Command) > 0, s.ARN != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return fmt.Errorf("function %s: give exactly one of url, command or arn", s.Name)
	}
	if s.URL != "" && !strings.HasPrefix(s.URL, "http://") && !strings.HasPrefix(s.URL, "https://") {
		return fmt.Errorf("function %s: url %q must start with http:// or https://", s.Name, s.URL)
	}
	if len(s.Command) > 0 && s.Command[0] == "" {
		return fmt.Errorf("function %s: command must start with a program", s.Name)
	}
	if s.ARN != "" {
		if _, err := newLambdaFunction(s, nil); err != nil {
			return fmt.Errorf("function %s: %v", s.Name, err)
		}
	}
	if s.Endpoint != "" && s.ARN == "" {
		return fmt.Errorf("function %s: endpoint applies only to a function given by arn", s.Name)
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.Timeout < 0 || s.Timeout > MaxTimeout {
		return fmt.Errorf("function %s: timeout %v must be between 1s and 900s", s.Name, s.Timeout)
	}
	if s.MemorySize == 0 {
		s.MemorySize = DefaultMemorySize
	}
	if s.MemorySize < MinMemorySize || s.MemorySize > MaxMemorySize {
		return fmt.Errorf("function %s: memory size %d must be between 128 and %d MB", s.Name, s.MemorySize, MaxMemorySize)
	}
	for k := range s.Environment {
		if !ValidEnvKey(k) {
			return fmt.Errorf("function %s: environment variable name %q must start with a letter and hold only letters, digits and underscores", s.Name, k)
		}
	}
	return nil
}

// RegistryOptions configures a Registry.
type RegistryOptions struct {
	Store     Store  // where API-created functions live; nil keeps them in memory
	DataDir   string // unpacked code goes under DataDir/functions; "" uses a temporary folder
	Region    string // default us-east-1
	AccountID string // default 123456789012
	Logger    *slog.Logger
	// Configured are the functions of the config file; the API can read them but not
	// change them.
	Configured []Spec
	// IdleTimeout is how long an unused environment stays warm; default 10 minutes.
	IdleTimeout time.Duration
	// Credentials sign calls to remote Lambda functions; nil uses the default AWS
	// credential chain.
	Credentials aws.CredentialsProvider
}

var errRegistryClosed = errors.New("function registry is closed")

// refreshInterval is how long a function read from the store is trusted before the
// store is read again (another node may have changed it).
const refreshInterval = 10 * time.Second

// Registry holds every function by name, invokes them, and creates, changes and
// deletes those of the functions API.
type Registry struct {
	opts    RegistryOptions
	log     *slog.Logger
	store   Store
	codeDir string
	tmpDir  string
	host    *runtimeHost
	http    *http.Client

	configured map[string]*function

	mu       sync.RWMutex
	loaded   map[string]*function // API functions read from the store, by name or name:version
	reserved map[string]int
	limits   map[string]*limiter // reserved concurrency, by function name
	aliases  map[string]aliasEntry
	closed   bool

	loadMu  sync.Mutex // serialises loads from the store and API changes
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.Once
}

// function is one function ready to invoke.
type function struct {
	name       string
	arn        string
	spec       Spec
	backend    backend
	configured bool
	// For API functions: what was stored, and when the store was last read.
	conf    *storedConfig
	stored  *Stored
	checked atomic.Int64
}

// NewRegistry returns a registry with the configured functions; API functions are
// read from the store when first used. Close stops it.
func NewRegistry(opts RegistryOptions) (*Registry, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &Registry{
		opts:       opts,
		log:        log,
		configured: make(map[string]*function),
		loaded:     make(map[string]*function),
		reserved:   make(map[string]int),
		limits:     make(map[string]*limiter),
		aliases:    make(map[string]aliasEntry),
		http:       &http.Client{Transport: newHTTPTransport()},
	}
	if opts.Store != nil {
		r.store = opts.Store
	} else {
		r.store = newMemFunctions()
	}
	if opts.DataDir == "" {
		dir, err := os.MkdirTemp("", "mqtrigger-functions-")
		if err != nil {
			return nil, fmt.Errorf("function registry: %w", err)
		}
		r.tmpDir = dir
		opts.DataDir = dir
	}
	r.codeDir = filepath.Join(opts.DataDir, "functions")
	// Code unpacked by an earlier run is unpacked again when needed.
	if err := os.RemoveAll(r.codeDir); err != nil {
		return nil, fmt.Errorf("function registry: clearing %s: %w", r.codeDir, err)
	}
	if err := os.MkdirAll(r.codeDir, 0o755); err != nil {
		return nil, fmt.Errorf("function registry: %w", err)
	}
	r.host = newRuntimeHost(log)
	for i := range opts.Configured {
		spec := opts.Configured[i]
		if err := spec.Validate(); err != nil {
			r.Close()
			return nil, fmt.Errorf("%w: %v", ErrFunctionConfig, err)
		}
		if _, dup := r.configured[spec.Name]; dup {
			r.Close()
			return nil, fmt.Errorf("%w: function %s is configured twice", ErrFunctionConfig, spec.Name)
		}
		fn, err := r.build(spec, "", nil)
		if err != nil {
			r.Close()
			return nil, err
		}
		fn.configured = true
		r.configured[spec.Name] = fn
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.wg.Add(1)
	go r.reapLoop()
	return r, nil
}

func (r *Registry) arn(name string) string {
	return "arn:aws:lambda:" + r.opts.Region + ":" + r.opts.AccountID + ":function:" + name
}

// build makes a function from a validated spec; codeDir is the unpacked zip of an
// API function, with its bootstrap, and conf its stored configuration.
func (r *Registry) build(spec Spec, codeDir string, conf *storedConfig) (*function, error) {
	fn := &function{name: spec.Name, arn: r.arn(spec.Name), spec: spec, conf: conf}
	if conf != nil && conf.Version > 0 {
		fn.arn += ":" + strconv.Itoa(conf.Version)
	}
	switch {
	case spec.URL != "":
		fn.backend = &httpFunction{url: spec.URL, timeout: spec.Timeout, client: r.http}
	case spec.ARN != "":
		lf, err := newLambdaFunction(&spec, r.opts.Credentials)
		if err != nil {
			return nil, fmt.Errorf("%w: function %s: %v", ErrFunctionConfig, spec.Name, err)
		}
		fn.backend = lf
	default:
		cfg := r.envConfig(fn, codeDir)
		var drained func()
		if codeDir != "" {
			drained = func() { _ = os.RemoveAll(codeDir) }
		}
		fn.backend = newPool(r.host, cfg, drained)
	}
	return fn, nil
}

// envConfig is how a function's environments are started, with the variables
// Lambda sets.
func (r *Registry) envConfig(fn *function, codeDir string) *envConfig {
	spec := fn.spec
	cfg := &envConfig{name: spec.Name, arn: fn.arn, timeout: spec.Timeout, log: r.log, version: "$LATEST", memory: spec.MemorySize}
	if c := fn.conf; c != nil {
		if c.Version > 0 {
			cfg.version = strconv.Itoa(c.Version)
		}
		cfg.logging = c.logging()
	}
	taskRoot := codeDir
	if codeDir != "" {
		cfg.path = filepath.Join(codeDir, "bootstrap")
		cfg.dir = codeDir
	} else {
		cfg.path, cfg.args = spec.Command[0], spec.Command[1:]
		taskRoot, _ = os.Getwd()
	}
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	vars := map[string]string{"PATH": path, "LANG": "en_US.UTF-8", "TZ": ":UTC", "LD_LIBRARY_PATH": "/lib64:/usr/lib64:" + taskRoot + ":" + taskRoot + "/lib"}
	for k, v := range spec.Environment {
		vars[k] = v
	}
	// Lambda's reserved variables win over the function's own.
	for k, v := range map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        spec.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     cfg.version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(spec.MemorySize),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + spec.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[" + cfg.version + "]mqtrigger",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      r.opts.Region,
		"AWS_DEFAULT_REGION":              r.opts.Region,
		"_HANDLER":                        spec.Handler,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              taskRoot,
	} {
		vars[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		cfg.env = append(cfg.env, k+"="+vars[k])
	}
	return cfg
}

// Invoke runs the named function with payload and returns its answer. name may be
// a name, a partial ARN or a full ARN. It returns an error only when the function
// could not be invoked at all: ErrFunctionNotFound, an error wrapping
// ErrFunctionConfig, or the context's error. A function that ran and failed gives a
// Result with FunctionError set.
//
// A function with reserved concurrency runs at most that many invocations at once:
// Invoke waits for a free slot (a mapping's batches queue behind each other), and
// answers ErrThrottled at once when the reserve is 0.
func (r *Registry) Invoke(ctx context.Context, name string, payload []byte) (*Result, error) {
	return r.invoke(ctx, name, newRequestID(), payload, true, nil)
}

// InvokeBuffer is Invoke for a caller that reuses payload's buffer: released is
// called once nothing the invocation started reads payload any more, which may be
// after InvokeBuffer returns (a request body still being written, an event still
// going to a runtime that timed out). A remote Lambda function gives no such
// signal (its SDK writes the request), so for one released is never called and
// the buffer is left to the garbage collector.
func (r *Registry) InvokeBuffer(ctx context.Context, name string, payload []byte, released func()) (*Result, error) {
	return r.invoke(ctx, name, newRequestID(), payload, true, newPayloadUse(released))
}

// invoke is Invoke with the invocation's request id; wait says whether to wait for
// a slot of reserved concurrency or answer ErrThrottled. use, if not nil, is
// released once invoke is done with payload.
func (r *Registry) invoke(ctx context.Context, name, requestID string, payload []byte, wait bool, use *payloadUse) (*Result, error) {
	defer use.release()
	for attempt := 0; ; attempt++ {
		fn, err := r.lookup(ctx, name)
		if err != nil {
			return nil, err
		}
		release, err := r.limit(fn.name).acquire(ctx, wait)
		if err != nil {
			return nil, err
		}
		res, err := fn.backend.invoke(ctx, requestID, payload, use)
		release()
		if res != nil {
			res.ExecutedVersion = "$LATEST"
			if fn.conf != nil && fn.conf.Version > 0 {
				res.ExecutedVersion = strconv.Itoa(fn.conf.Version)
			}
		}
		if errors.Is(err, errPoolClosed) && attempt < 3 {
			continue // replaced meanwhile: take the new one
		}
		return res, err
	}
}

// Reserve hints that up to concurrency environments of the function should be kept
// warm (the concurrency of the mappings that invoke it).
func (r *Registry) Reserve(name string, concurrency int) {
	n, _, err := r.parseName(name)
	if err != nil {
		return
	}
	r.mu.Lock()
	r.reserved[n] = concurrency
	fn := r.configured[n]
	if fn == nil {
		fn = r.loaded[n]
	}
	r.mu.Unlock()
	if fn != nil {
		fn.backend.reserve(concurrency)
	}
}

// FunctionArn returns the ARN of the named function (a name, partial ARN or full
// ARN), or ErrFunctionNotFound. A qualified name gives the qualified ARN, so a
// mapping on an alias shows the alias.
func (r *Registry) FunctionArn(ctx context.Context, name string) (string, error) {
	fn, err := r.lookup(ctx, name)
	if err != nil {
		return "", err
	}
	if n, q, _ := r.parseName(name); q != "" && q != "$LATEST" {
		return r.arn(n) + ":" + q, nil
	}
	return fn.arn, nil
}

// parseName resolves a name or ARN (see ParseName) of this registry's region and
// account; every error matches ErrFunctionNotFound.
func (r *Registry) parseName(s string) (name, qualifier string, err error) {
	n, err := ParseName(s)
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrFunctionNotFound, err)
	}
	if err := n.Local(s, r.opts.Region, r.opts.AccountID); err != nil {
		return "", "", err
	}
	return n.Name, n.Qualifier, nil
}

// Stale marks the cached copy of a function, and of its aliases, as old, so that
// their next use reads the store again: another node of a cluster changed them.
func (r *Registry) Stale(name string) {
	r.mu.Lock()
	fn := r.loaded[name]
	for key := range r.aliases {
		if fname, _, _ := strings.Cut(key, ":"); fname == name {
			delete(r.aliases, key)
		}
	}
	r.mu.Unlock()
	if fn != nil {
		fn.checked.Store(0)
	}
}

// lookup finds a function, or the version a qualifier names (a version number or
// an alias, followed wherever it points now), reading the store when the cached
// copy is old.
func (r *Registry) lookup(ctx context.Context, s string) (*function, error) {
	name, qualifier, err := r.parseName(s)
	if err != nil {
		return nil, err
	}
	if fn := r.configured[name]; fn != nil {
		if qualifier != "" && qualifier != "$LATEST" {
			return nil, &NotFoundError{ARN: r.arn(name), Qualifier: qualifier}
		}
		return fn, nil
	}
	latest, err := r.lookupVersion(ctx, name, 0)
	if err != nil || qualifier == "" || qualifier == "$LATEST" {
		return latest, err
	}
	v, err := r.target(ctx, name, qualifier)
	if err != nil || v == 0 {
		return latest, err
	}
	return r.lookupVersion(ctx, name, v)
}

// versionKey is how r.loaded knows a version: the name for $LATEST, else name:n.
func versionKey(name string, version int) string {
	if version == 0 {
		return name
	}
	return name + ":" + strconv.Itoa(version)
}

// lookupVersion finds $LATEST (version 0) or a published version of an API function.
func (r *Registry) lookupVersion(ctx context.Context, name string, version int) (*function, error) {
	key := versionKey(name, version)
	r.mu.RLock()
	fn, closed := r.loaded[key], r.closed
	r.mu.RUnlock()
	if closed {
		return nil, errRegistryClosed
	}
	if fn != nil && time.Duration(time.Now().UnixNano()-fn.checked.Load()) < refreshInterval {
		return fn, nil
	}
	return r.load(ctx, name, version)
}

// load reads a function (or one of its versions) from the store and installs it if
// it changed.
func (r *Registry) load(ctx context.Context, name string, version int) (*function, error) {
	key := versionKey(name, version)
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	r.mu.RLock()
	cur := r.loaded[key]
	r.mu.RUnlock()
	if cur != nil && time.Duration(time.Now().UnixNano()-cur.checked.Load()) < refreshInterval {
		return cur, nil // refreshed while we waited
	}
	var sf *Stored
	var err error
	if version == 0 {
		sf, err = r.store.GetFunction(ctx, name)
	} else {
		sf, err = r.store.GetVersion(ctx, name, version)
	}
	if errors.Is(err, ErrNotStored) {
		r.uninstall(key)
		if version > 0 {
			return nil, &NotFoundError{ARN: r.arn(name), Qualifier: strconv.Itoa(version)}
		}
		return nil, &NotFoundError{ARN: r.arn(name)}
	}
	if err != nil {
		if cur != nil {
			// Keep serving what we have; the store is read again on the next call.
			r.log.Warn("could not refresh a function from the store", "function", name, "error", err)
			return cur, nil
		}
		return nil, fmt.Errorf("reading function %s from the store: %w", name, err)
	}
	if cur != nil && cur.stored.CodeSHA256 == sf.CodeSHA256 && cur.stored.LastModified.Equal(sf.LastModified) {
		if version == 0 {
			// Concurrency and tags change without a new LastModified.
			if conf, err := decodeConfig(sf); err == nil {
				r.setLimit(name, conf.ReservedConcurrency)
			}
		}
		cur.checked.Store(time.Now().UnixNano())
		return cur, nil
	}
	return r.install(sf)
}

// install builds a function from its stored form and replaces the one in use; the
// old one's environments finish their invocations and stop. Call with loadMu held.
func (r *Registry) install(sf *Stored) (*function, error) {
	conf, err := decodeConfig(sf)
	if err != nil {
		return nil, err
	}
	spec := conf.spec()
	sum := sha256.Sum256(sf.Code)
	dir := filepath.Join(r.codeDir, sf.Name, hex.EncodeToString(sum[:12])+"-"+conf.RevisionID)
	if err := unpackZip(sf.Code, dir); err != nil {
		return nil, fmt.Errorf("%w: function %s: unpacking its code: %v", ErrFunctionConfig, sf.Name, err)
	}
	key := versionKey(sf.Name, sf.Version)
	if sf.Version == 0 {
		r.setLimit(sf.Name, conf.ReservedConcurrency)
	}
	fn, err := r.build(spec, dir, conf)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	fn.stored = &Stored{Name: sf.Name, Config: sf.Config, CodeSHA256: sf.CodeSHA256, CodeSize: sf.CodeSize, LastModified: sf.LastModified, Version: sf.Version}
	fn.checked.Store(time.Now().UnixNano())
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		fn.backend.close()
		return nil, errRegistryClosed
	}
	old := r.loaded[key]
	r.loaded[key] = fn
	reserved := r.reserved[sf.Name]
	r.mu.Unlock()
	if reserved > 0 {
		fn.backend.reserve(reserved)
	}
	if old != nil {
		old.backend.close()
	}
	return fn, nil
}

// uninstall stops a function (or a version: name:n) that is no longer in the store.
func (r *Registry) uninstall(key string) {
	r.mu.Lock()
	old := r.loaded[key]
	delete(r.loaded, key)
	r.mu.Unlock()
	if old != nil {
		old.backend.close()
	}
}

// uninstallAll stops a deleted function and its versions.
func (r *Registry) uninstallAll(name string) {
	r.mu.Lock()
	var old []*function
	for k, fn := range r.loaded {
		if k == name || strings.HasPrefix(k, name+":") {
			old = append(old, fn)
			delete(r.loaded, k)
		}
	}
	for k := range r.aliases {
		if strings.HasPrefix(k, name+":") {
			delete(r.aliases, k)
		}
	}
	r.mu.Unlock()
	for _, fn := range old {
		fn.backend.close()
	}
}

func (r *Registry) reapLoop() {
	defer r.wg.Done()
	every := min(r.opts.IdleTimeout/2, 30*time.Second)
	t := time.NewTicker(max(every, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case now := <-t.C:
			cutoff := now.Add(-r.opts.IdleTimeout)
			for _, fn := range r.functions() {
				if p, ok := fn.backend.(*pool); ok {
					p.reap(cutoff)
				}
			}
		}
	}
}

// functions returns the functions in use.
func (r *Registry) functions() []*function {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*function, 0, len(r.configured)+len(r.loaded))
	for _, fn := range r.configured {
		out = append(out, fn)
	}
	for _, fn := range r.loaded {
		out = append(out, fn)
	}
	return out
}

// Close stops every environment and the Runtime API host. It is safe to call twice.
func (r *Registry) Close() error {
	r.closeMu.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		if r.cancel != nil {
			r.cancel()
		}
		for _, fn := range r.functions() {
			if p, ok := fn.backend.(*pool); ok {
				p.shutdown(true)
			} else {
				fn.backend.close()
			}
		}
		r.wg.Wait()
		r.host.close()
		if t, ok := r.http.Transport.(*http.Transport); ok {
			t.CloseIdleConnections()
		}
		if r.tmpDir != "" {
			os.RemoveAll(r.tmpDir)
		}
	})
	return nil
}

// storedConfig is an API function's configuration as kept in the store.
type storedConfig struct {
	Runtime        string            `json:"runtime"`
	Role           string            `json:"role"`
	Handler        string            `json:"handler"`
	Description    string            `json:"description,omitempty"`
	Timeout        int               `json:"timeout"`
	MemorySize     int               `json:"memorySize"`
	Environment    map[string]string `json:"environment,omitempty"`
	HasEnvironment bool              `json:"hasEnvironment,omitempty"`
	Architectures  []string          `json:"architectures,omitempty"`
	RevisionID     string            `json:"revisionId"`
	Tags           map[string]string `json:"tags,omitempty"`
	// Kept and returned as given: they cannot matter on a self-hosted node.
	VpcConfig        *VpcConfig `json:"vpcConfig,omitempty"`
	TracingMode      string     `json:"tracingMode,omitempty"`
	EphemeralStorage int        `json:"ephemeralStorage,omitempty"`
	// Logging: LogFormat JSON changes the function's log lines.
	Logging *LoggingConfig `json:"logging,omitempty"`
	// ReservedConcurrency caps the function's invocations in flight on this node
	// (all versions and aliases together); nil: no cap.
	ReservedConcurrency *int `json:"reservedConcurrency,omitempty"`
	// For a published version: its number, and what it was published from (see
	// fingerprint).
	Version     int    `json:"version,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	name        string
}

func decodeConfig(sf *Stored) (*storedConfig, error) {
	var c storedConfig
	if err := json.Unmarshal(sf.Config, &c); err != nil {
		return nil, fmt.Errorf("%w: function %s: stored configuration: %v", ErrFunctionConfig, sf.Name, err)
	}
	c.name = sf.Name
	if c.RevisionID == "" {
		c.RevisionID = "0"
	}
	return &c, nil
}

func (c *storedConfig) spec() Spec {
	return Spec{
		Name:        c.name,
		Timeout:     time.Duration(c.Timeout) * time.Second,
		MemorySize:  c.MemorySize,
		Environment: c.Environment,
		Handler:     c.Handler,
		Runtime:     c.Runtime,
	}
}
