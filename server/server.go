package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/mqtrigger/mqtrigger/api"
	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/console"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/secrets"
	"github.com/mqtrigger/mqtrigger/store"
)

// ShutdownTimeout bounds how long Run waits for requests in flight and the
// supervisor once its context is cancelled.
const ShutdownTimeout = 15 * time.Second

// Supervisor runs the event source mappings; *esm.Supervisor is the one New builds
// unless WithSupervisor says otherwise.
type Supervisor interface {
	// Notify tells it the API wrote a mapping; it must not block.
	Notify(m *esm.Mapping)
	// SecretChanged tells it a secret's value changed, so mappings stopped by
	// refused credentials retry at once.
	SecretChanged(arn string)
	// FunctionChanged tells it a function was created or changed, so mappings
	// stopped for want of it retry at once.
	FunctionChanged(name string)
	// Run works until ctx is cancelled.
	Run(ctx context.Context) error
}

// HealthReporter is a Supervisor that adds lines to /healthz (a node of a
// cluster: its membership and slots).
type HealthReporter interface {
	Health(w io.Writer)
}

// SupervisorDeps is what a Supervisor is built from.
type SupervisorDeps struct {
	Config    *config.Config
	Store     store.Store
	Secrets   *secrets.Manager
	Functions *function.Registry
	Metrics   *prometheus.Registry
	Logger    *slog.Logger
}

// Option changes how New builds a Server.
type Option func(*options)

type options struct {
	newSupervisor func(SupervisorDeps) (Supervisor, error)
}

// WithSupervisor makes New build the supervisor with f instead of esm's (tests
// use it to run the API against a stand-in); f may return nil to run without one.
func WithSupervisor(f func(SupervisorDeps) (Supervisor, error)) Option {
	return func(o *options) { o.newSupervisor = f }
}

// Server is a running mqtrigger: store, secrets, functions, supervisor and API.

// The registry is what the API serves the functions operations with.
var _ api.Functions = (*function.Registry)(nil)

type Server struct {
	cfg      *config.Config
	log      *slog.Logger
	store    store.Store
	secrets  *secrets.Manager
	registry *function.Registry
	sup      Supervisor
	ln       net.Listener
	http     *http.Server

	runOnce   sync.Once
	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, then opens everything a Server needs and binds the listen
// address; nothing is served until Run. A bad configuration fails before anything is
// created, with an error naming the key.
func New(cfg *config.Config, logger *slog.Logger, opts ...Option) (*Server, error) {
	if cfg == nil {
		cfg = config.Default()
	}
	// Work on a copy: defaults and generated credentials must not change the caller's.
	c := *cfg
	c.Credentials = slices.Clone(cfg.Credentials)
	c.Brokers = slices.Clone(cfg.Brokers)
	cfg = &c
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if logger == nil {
		logger = slog.Default()
	}
	o := options{newSupervisor: newSupervisor}
	for _, f := range opts {
		f(&o)
	}
	s := &Server{cfg: cfg, log: logger}
	if err := s.open(o); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) open(o options) error {
	cfg := s.cfg
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("dataDir: %w", err)
	}
	if len(cfg.Credentials) == 0 {
		cred, path, created, err := defaultCredentials(cfg.DataDir)
		if err != nil {
			return err
		}
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		cfg.Credentials = []config.Credential{cred}
		verb := "using"
		if created {
			verb = "generated"
		}
		s.log.Warn("no credentials in the configuration: "+verb+" the API key pair in "+path,
			"access_key_id", cred.AccessKeyID, "file", path,
			"hint", "export AWS_SHARED_CREDENTIALS_FILE="+path+" (profile default), or add credentials to the config file")
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, cfg.Store, cfg.DataDir)
	if err != nil {
		return err
	}
	s.store = st
	key, keySource, err := loadSecretKey(cfg)
	if err != nil {
		return err
	}
	if s.secrets, err = secrets.New(st, key, cfg.Region, cfg.AccountID); err != nil {
		return err
	}
	// A node with another key than the store's refuses to start: the stored
	// secrets must open with it (stores from before the check value), and its
	// check value must be the store's (recorded by the first node).
	if err := s.secrets.CanOpen(ctx, keySource); err != nil {
		return err
	}
	if err := secrets.CheckKey(ctx, st, key, keySource); err != nil {
		return err
	}
	specs := make([]function.Spec, len(cfg.Functions))
	for i, f := range cfg.Functions {
		specs[i] = function.Spec{Name: f.Name, URL: f.URL, Command: f.Command, ARN: f.ARN, Endpoint: f.Endpoint,
			Timeout: f.Timeout, MemorySize: f.MemorySize, Environment: f.Environment}
	}
	s.registry, err = function.NewRegistry(function.RegistryOptions{
		Store: st, DataDir: cfg.DataDir, Region: cfg.Region, AccountID: cfg.AccountID,
		Logger: s.log, Configured: specs,
	})
	if err != nil {
		return fmt.Errorf("functions: %w", err)
	}

	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// The supervisor is built now, so the API can notify it, and run by Run.
	if s.sup, err = o.newSupervisor(SupervisorDeps{Config: cfg, Store: st, Secrets: s.secrets, Functions: s.registry,
		Metrics: metrics, Logger: s.log}); err != nil {
		return fmt.Errorf("supervisor: %w", err)
	}
	var notify func(*esm.Mapping)
	var secretChanged, functionChanged func(string)
	if s.sup != nil {
		notify, secretChanged, functionChanged = s.sup.Notify, s.sup.SecretChanged, s.sup.FunctionChanged
	}
	var health func(io.Writer)
	if hr, ok := s.sup.(HealthReporter); ok {
		health = hr.Health
	}
	h, err := api.New(api.Options{
		Config: cfg, Store: st, Functions: s.registry, Secrets: s.secrets, Health: health,
		Notify: notify, SecretChanged: secretChanged, FunctionChanged: functionChanged, Metrics: metrics, Logger: s.log,
		Redrive: redriver(cfg, s.secrets),
	})
	if err != nil {
		return err
	}
	cons, err := console.New(console.Options{Config: cfg, API: h, Metrics: metrics,
		DeadLetters: deadLetters(cfg, st, s.secrets), Logger: s.log})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	handler := withConsole(h, cons)
	if cfg.Pprof {
		handler = withPprof(handler)
		s.log.Warn("profiling endpoints are open at /debug/pprof/ (config key pprof); keep listen on loopback")
	}
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return nil
}

// Addr is the address the API listens on (useful with listen: 127.0.0.1:0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is the API's base URL, for --endpoint-url.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Run serves the API and runs the supervisor until ctx is cancelled, then shuts
// down: requests in flight and the supervisor get ShutdownTimeout to finish. It
// closes the Server when it returns, and may be called once.
func (s *Server) Run(ctx context.Context) error {
	err := errors.New("server: Run called twice")
	s.runOnce.Do(func() { err = s.run(ctx) })
	return err
}

func (s *Server) run(ctx context.Context) error {
	defer s.Close()
	s.log.Info("mqtrigger serving", "addr", s.ln.Addr().String(), "store", storeKind(s.cfg), "region", s.cfg.Region,
		"account", s.cfg.AccountID, "brokers", len(s.cfg.Brokers), "functions", len(s.cfg.Functions), "supervisor", s.sup != nil)

	for _, b := range s.cfg.Brokers {
		s.log.Info("broker", "name", b.Name, "arn", b.ARN, "endpoints", b.Endpoints)
	}

	engCtx, stopEngine := context.WithCancel(context.Background())
	defer stopEngine()
	var engDone chan error // nil without a supervisor: never ready
	if s.sup != nil {
		engDone = make(chan error, 1)
		go func() { engDone <- s.sup.Run(engCtx) }()
	}
	srvDone := make(chan error, 1)
	go func() { srvDone <- s.http.Serve(s.ln) }()

	var runErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down")
	case err := <-srvDone:
		srvDone <- err
		runErr = fmt.Errorf("serve: %w", err)
	case err := <-engDone:
		if err != nil {
			runErr = fmt.Errorf("supervisor: %w", err)
		} else {
			runErr = errors.New("supervisor stopped unexpectedly")
		}
		engDone = nil
	}

	deadline, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(deadline); err != nil {
		s.log.Warn("requests still running at shutdown were cut off", "err", err)
		s.http.Close()
	}
	if err := <-srvDone; err != nil && !errors.Is(err, http.ErrServerClosed) && runErr == nil {
		runErr = fmt.Errorf("serve: %w", err)
	}
	stopEngine()
	if engDone != nil {
		select {
		case err := <-engDone:
			if err != nil && !errors.Is(err, context.Canceled) && runErr == nil {
				runErr = fmt.Errorf("supervisor: %w", err)
			}
		case <-deadline.Done():
			s.log.Error("the supervisor did not stop within the shutdown timeout", "timeout", ShutdownTimeout)
		}
	}
	s.log.Info("stopped")
	return runErr
}

// Close releases everything New opened. Run calls it; call it yourself only when Run
// is never called. It is safe to call twice.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.http != nil {
			_ = s.http.Close()
		}
		if s.ln != nil {
			_ = s.ln.Close() // already closed if Serve ran; Close reports that, which is fine
		}
		if s.registry != nil {
			errs = append(errs, s.registry.Close())
		}
		if s.store != nil {
			errs = append(errs, s.store.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func storeKind(c *config.Config) string {
	if c.Store == "" {
		return "sqlite in " + c.DataDir
	}
	return "postgresql"
}

// NewLogger returns the logger cfg asks for (logLevel, logFormat), writing to w.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(cfg.LogLevel) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	o := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}
