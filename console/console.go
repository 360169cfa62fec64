package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mqtrigger/mqtrigger/config"
)

//go:embed assets
var assets embed.FS

// Prefix is where the console is served.
const Prefix = "/console/"

// DefaultSessionTTL is how long a sign-in lasts.
const DefaultSessionTTL = 12 * time.Hour

// DeadLetter is one message of a dead-letter queue, as the console lists it.
type DeadLetter struct {
	MessageID         string `json:"MessageId"`
	OriginalQueue     string `json:"OriginalQueue"`
	Cause             string `json:"Cause"` // the broker's dlqDeliveryFailureCause
	RedeliveryCounter int    `json:"RedeliveryCounter"`
	Timestamp         int64  `json:"Timestamp"` // ms since the epoch
	Body              string `json:"Body"`      // the first bytes, as text
}

// DeadLetters lists the messages of queue (a dead-letter queue on the mapping's
// broker, read with the mapping's BASIC_AUTH secret) that were dead-lettered
// from the mapping's queues, at most limit of them.
type DeadLetters func(ctx context.Context, mappingUUID, queue string, limit int) ([]DeadLetter, error)

// Options configure the console. Config and API are required.
type Options struct {
	Config *config.Config // brokers, credentials and console users
	// API is the control plane's handler; the console sends it SigV4-signed
	// requests in process, so its answers are the API's own.
	API http.Handler
	// Metrics is where the supervisor's series are gathered from (the mappings'
	// figures, brokers' connections); nil: no figures.
	Metrics prometheus.Gatherer
	// DeadLetters reads dead-letter queues; nil: the console says it cannot.
	DeadLetters DeadLetters
	SessionTTL  time.Duration // default DefaultSessionTTL
	Logger      *slog.Logger  // nil: slog.Default()
	Now         func() time.Time
}

// Console is the web console, an http.Handler for the paths under /console/.
type Console struct {
	opts     Options
	log      *slog.Logger
	accounts map[string]account
	sessions *sessions
	limits   *limiter
	static   http.Handler
}

// New returns the console for opts.
func New(opts Options) (*Console, error) {
	if opts.Config == nil || opts.API == nil {
		return nil, errors.New("console: Options.Config and Options.API are required")
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	acc, err := accounts(opts.Config)
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	return &Console{
		opts: opts, log: opts.Logger, accounts: acc,
		sessions: newSessions(opts.SessionTTL, opts.Now),
		limits:   newLimiter(opts.Now),
		static:   http.StripPrefix("/console/static/", http.FileServerFS(sub)),
	}, nil
}

// Handles reports whether path is the console's.
func Handles(path string) bool { return path == "/console" || strings.HasPrefix(path, Prefix) }

// ServeHTTP serves the pages and assets (which hold no data and so need no
// session) and the console's JSON endpoints under /console/api/.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Scripts only from the console's own files; no framing, no sniffing.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	p := r.URL.Path
	switch {
	case p == "/console":
		http.Redirect(w, r, Prefix, http.StatusFound)
	case p == Prefix:
		h.Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, assets, "assets/index.html")
	case strings.HasPrefix(p, "/console/static/"):
		c.static.ServeHTTP(w, r)
	case strings.HasPrefix(p, "/console/api/"):
		h.Set("Cache-Control", "no-store")
		c.serveAPI(w, r, strings.TrimPrefix(p, "/console/api"))
	default:
		http.NotFound(w, r)
	}
}

func (c *Console) serveAPI(w http.ResponseWriter, r *http.Request, p string) {
	if p == "/signin" {
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "sign in with POST")
			return
		}
		c.signIn(w, r)
		return
	}
	ss := c.sessions.lookup(r)
	if ss == nil {
		writeError(w, http.StatusUnauthorized, "NotSignedIn", "sign in to use the console")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "CrossOrigin", "changes are accepted from the console's own pages only")
			return
		}
		if !ss.checkCSRF(r) {
			writeError(w, http.StatusForbidden, "InvalidCSRFToken", "the change carries no valid CSRF token: reload the page and try again")
			return
		}
	}
	switch {
	case p == "/session" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"User": ss.user, "CSRFToken": ss.csrf})
	case p == "/signout" && r.Method == http.MethodPost:
		c.sessions.remove(ss.id)
		http.SetCookie(w, clearedCookie(r.TLS != nil))
		w.WriteHeader(http.StatusNoContent)
	case p == "/brokers" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"Brokers": c.brokers()})
	case strings.HasPrefix(p, "/figures/") && r.Method == http.MethodGet:
		c.serveFigures(w, strings.TrimPrefix(p, "/figures/"))
	case strings.HasPrefix(p, "/deadletters/") && r.Method == http.MethodGet:
		c.serveDeadLetters(w, r, strings.TrimPrefix(p, "/deadletters/"))
	case strings.HasPrefix(p, "/lambda/"):
		c.proxyLambda(w, r, ss)
	case strings.HasPrefix(p, "/secretsmanager/") && r.Method == http.MethodPost:
		c.proxySecrets(w, r, ss, strings.TrimPrefix(p, "/secretsmanager/"))
	default:
		writeError(w, http.StatusNotFound, "NotFound", "no such console endpoint: "+r.Method+" "+p)
	}
}

// signInRequest is the body of POST /console/api/signin.
type signInRequest struct {
	Name     string
	Password string
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	// JSON only: a cross-site form cannot send it without the browser asking first.
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "send the sign-in as application/json")
		return
	}
	var in signInRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<10)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "the sign-in is not a JSON object with Name and Password")
		return
	}
	keys := []string{"ip:" + clientAddr(r), "user:" + in.Name}
	if wait := c.limits.attempt(keys...); wait > 0 {
		secs := int(wait.Seconds()) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, "TooManySignIns",
			"too many wrong sign-ins: try again in "+strconv.Itoa(secs)+" seconds")
		return
	}
	a, ok := c.accounts[in.Name]
	if !ok {
		a = account{password: randomToken()} // compare anyway: an unknown name takes as long
	}
	if !a.matches(in.Password) || !ok || a.keyID == "" {
		c.log.Warn("console sign-in refused", "user", in.Name, "client", clientAddr(r))
		writeError(w, http.StatusUnauthorized, "SignInRefused", "wrong name or password")
		return
	}
	c.limits.forgive(keys...)
	ss := c.sessions.create(in.Name, a.keyID)
	http.SetCookie(w, ss.cookie(c.opts.Now(), r.TLS != nil))
	c.log.Info("console sign-in", "user", in.Name, "client", clientAddr(r))
	writeJSON(w, http.StatusOK, map[string]string{"User": ss.user, "CSRFToken": ss.csrf})
}

// sameOrigin refuses a change whose Origin (sent by browsers on every POST, PUT
// and DELETE) is another site's.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// writeError answers in the API's own error shape, so the pages read one shape.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Type: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
