package console

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mqtrigger/mqtrigger/api"
	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/secrets"
	"github.com/mqtrigger/mqtrigger/store"
)

const (
	keyID    = "AKIDCONSOLE"
	secret   = "console-secret-access-key"
	user     = "operator"
	password = "operator-password"
)

// clock is a settable time for sessions and the rate limit.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t       *testing.T
	console *Console
	cfg     *config.Config
	clock   *clock
	metrics *prometheus.Registry
}

// newEnv is a console in front of the real API, on a SQLite store, with one
// broker and one HTTP function.
func newEnv(t *testing.T) *env {
	t.Helper()
	cfg := &config.Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(),
		Credentials: []config.Credential{{AccessKeyID: keyID, SecretAccessKey: secret}},
		Brokers:     []config.Broker{{Name: "ConsoleBroker", Endpoints: []string{"tcp://127.0.0.1:1"}}},
		Functions:   []config.Function{{Name: "orders", URL: "http://127.0.0.1:1/orders"}},
		Console:     config.Console{Users: []config.ConsoleUser{{Name: user, Password: password}}},
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, "", cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := secrets.LoadKey(filepath.Join(cfg.DataDir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	sm, err := secrets.New(st, key, cfg.Region, cfg.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := function.NewRegistry(function.RegistryOptions{Store: st, DataDir: cfg.DataDir, Region: cfg.Region,
		AccountID: cfg.AccountID, Configured: []function.Spec{{Name: "orders", URL: "http://127.0.0.1:1/orders"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	metrics := prometheus.NewRegistry()
	quiet := slog.New(slog.DiscardHandler)
	a, err := api.New(api.Options{Config: cfg, Store: st, Functions: reg, Secrets: sm, Metrics: metrics, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	c, err := New(Options{Config: cfg, API: a, Metrics: metrics, Now: clk.now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, console: c, cfg: cfg, clock: clk, metrics: metrics}
}

// browser is one client: its cookie and CSRF token.
type browser struct {
	e      *env
	addr   string
	cookie *http.Cookie
	csrf   string
}

func (e *env) browser(addr string) *browser { return &browser{e: e, addr: addr} }

type answer struct {
	status int
	header http.Header
	body   string
	cookie *http.Cookie
}

func (a answer) field(t *testing.T, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("answer %d is not JSON: %q", a.status, a.body)
	}
	s, _ := m[name].(string)
	return s
}

func (b *browser) do(method, path, body string, hdr map[string]string) answer {
	b.e.t.Helper()
	r := httptest.NewRequest(method, "http://console.test"+path, strings.NewReader(body))
	r.RemoteAddr = b.addr + ":50000"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if b.cookie != nil {
		r.AddCookie(b.cookie)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	b.e.console.ServeHTTP(w, r)
	res := w.Result()
	out, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header, body: string(out)}
	for _, c := range res.Cookies() {
		if c.Name == cookieName {
			a.cookie = c
		}
	}
	return a
}

// change sends a state-changing request with the session's CSRF token.
func (b *browser) change(method, path, body string) answer {
	return b.do(method, path, body, map[string]string{csrfHeader: b.csrf})
}

func (b *browser) signIn(name, pw string) answer {
	body, _ := json.Marshal(map[string]string{"Name": name, "Password": pw})
	a := b.do(http.MethodPost, "/console/api/signin", string(body), nil)
	if a.status == http.StatusOK {
		b.cookie = a.cookie
		b.csrf = a.field(b.e.t, "CSRFToken")
	}
	return a
}

func TestSignInSetsAStrictExpiringCookie(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.1")
	if a := b.do(http.MethodGet, "/console/api/session", "", nil); a.status != http.StatusUnauthorized {
		t.Fatalf("session before signing in: %d %s", a.status, a.body)
	}
	a := b.signIn(user, password)
	if a.status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", a.status, a.body)
	}
	c := a.cookie
	switch {
	case c == nil:
		t.Fatal("no session cookie")
	case !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/console":
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/console", c)
	case c.MaxAge != int(DefaultSessionTTL.Seconds()) || c.Expires.IsZero():
		t.Errorf("cookie %+v does not expire", c)
	case len(c.Value) < 40:
		t.Errorf("session id %q is short", c.Value)
	}
	if b.csrf == "" || b.csrf == c.Value {
		t.Errorf("CSRF token %q: want one of its own", b.csrf)
	}
	s := b.do(http.MethodGet, "/console/api/session", "", nil)
	if s.status != http.StatusOK || s.field(t, "User") != user || s.field(t, "CSRFToken") != b.csrf {
		t.Fatalf("session: %d %s", s.status, s.body)
	}
	// Another sign-in is another session.
	b2 := e.browser("10.0.0.1")
	b2.signIn(user, password)
	if b2.cookie.Value == c.Value || b2.csrf == b.csrf {
		t.Error("two sign-ins share a session id or token")
	}
}

func TestWrongSignInsAreRefusedAndLimited(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.2")
	for i := range maxFailures {
		a := b.signIn(user, "wrong")
		if a.status != http.StatusUnauthorized || a.cookie != nil {
			t.Fatalf("wrong sign-in %d: %d %s (cookie %v)", i, a.status, a.body, a.cookie)
		}
	}
	// Now even the right password waits: the limit is checked first.
	a := b.signIn(user, password)
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
		t.Fatalf("sign-in after %d failures: %d %s", maxFailures, a.status, a.body)
	}
	// The name is limited from another address too, and the address for another name.
	if a := e.browser("10.0.0.3").signIn(user, password); a.status != http.StatusTooManyRequests {
		t.Errorf("same name, other address: %d", a.status)
	}
	if a := b.signIn(keyID, secret); a.status != http.StatusTooManyRequests {
		t.Errorf("same address, other name: %d", a.status)
	}
	// Unrelated clients are not.
	if a := e.browser("10.0.0.4").signIn(keyID, secret); a.status != http.StatusOK {
		t.Errorf("another client: %d %s", a.status, a.body)
	}
	e.clock.add(failureWindow + time.Second)
	if a := b.signIn(user, password); a.status != http.StatusOK {
		t.Errorf("after the window: %d %s", a.status, a.body)
	}
}

func TestSignInRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.5")
	for _, tc := range []struct {
		name, body, ctype string
		want              int
	}{
		{"form post", "Name=operator&Password=operator-password", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"not JSON", "{", "application/json", http.StatusBadRequest},
		{"unknown user", `{"Name":"nobody","Password":"x"}`, "application/json", http.StatusUnauthorized},
		{"empty password", `{"Name":"operator","Password":""}`, "application/json", http.StatusUnauthorized},
		{"huge", `{"Name":"` + strings.Repeat("a", 1<<20) + `"}`, "application/json", http.StatusBadRequest},
	} {
		a := b.do(http.MethodPost, "/console/api/signin", tc.body, map[string]string{"Content-Type": tc.ctype})
		if a.status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, a.status, a.body, tc.want)
		}
	}
	if a := b.do(http.MethodGet, "/console/api/signin", "", nil); a.status != http.StatusMethodNotAllowed {
		t.Errorf("GET signin: %d", a.status)
	}
}

func TestChangesNeedTheCSRFToken(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.6")
	b.signIn(user, password)
	create := `{"Name":"broker-creds","SecretString":"{\"username\":\"app\",\"password\":\"pw\"}"}`
	for _, tc := range []struct {
		name string
		hdr  map[string]string
	}{
		{"no token", nil},
		{"forged token", map[string]string{csrfHeader: "forged"}},
		{"another session's token", map[string]string{csrfHeader: randomToken()}},
		{"other site", map[string]string{csrfHeader: b.csrf, "Origin": "https://evil.example"}},
	} {
		a := b.do(http.MethodPost, "/console/api/secretsmanager/CreateSecret", create, tc.hdr)
		if a.status != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", tc.name, a.status, a.body)
		}
	}
	if a := b.do(http.MethodPost, "/console/api/signout", "", nil); a.status != http.StatusForbidden {
		t.Errorf("sign-out without token: %d", a.status)
	}
	// Nothing was created by the refused requests; the one with the token is.
	list := b.change(http.MethodPost, "/console/api/secretsmanager/ListSecrets", "{}")
	if strings.Contains(list.body, "broker-creds") {
		t.Fatalf("a refused request created the secret: %s", list.body)
	}
	a := b.do(http.MethodPost, "/console/api/secretsmanager/CreateSecret", create,
		map[string]string{csrfHeader: b.csrf, "Origin": "http://console.test"})
	if a.status != http.StatusOK || !strings.Contains(a.body, "broker-creds") {
		t.Fatalf("create with the token: %d %s", a.status, a.body)
	}
}

func TestSignOutAndExpiryEndTheSession(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.7")
	b.signIn(user, password)
	a := b.change(http.MethodPost, "/console/api/signout", "")
	if a.status != http.StatusNoContent || a.cookie == nil || a.cookie.MaxAge >= 0 {
		t.Fatalf("sign-out: %d, cookie %+v", a.status, a.cookie)
	}
	if a := b.do(http.MethodGet, "/console/api/brokers", "", nil); a.status != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d", a.status)
	}

	b.signIn(user, password)
	e.clock.add(DefaultSessionTTL - time.Minute)
	if a := b.do(http.MethodGet, "/console/api/session", "", nil); a.status != http.StatusOK {
		t.Errorf("before expiry: %d", a.status)
	}
	e.clock.add(2 * time.Minute)
	if a := b.do(http.MethodGet, "/console/api/session", "", nil); a.status != http.StatusUnauthorized {
		t.Errorf("after expiry: %d", a.status)
	}
}

func TestNothingWorksSignedOut(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.8")
	for _, p := range []string{"/console/api/brokers", "/console/api/figures/x", "/console/api/deadletters/x",
		"/console/api/lambda/2015-03-31/functions/", "/console/api/lambda/2015-03-31/event-source-mappings/"} {
		if a := b.do(http.MethodGet, p, "", nil); a.status != http.StatusUnauthorized {
			t.Errorf("GET %s signed out: %d %s", p, a.status, a.body)
		}
	}
	if a := b.do(http.MethodPost, "/console/api/secretsmanager/ListSecrets", "{}", nil); a.status != http.StatusUnauthorized {
		t.Errorf("ListSecrets signed out: %d", a.status)
	}
	// The page itself is served (it holds no data) with a strict CSP.
	a := b.do(http.MethodGet, "/console/", "", nil)
	if a.status != http.StatusOK || !strings.Contains(a.body, "app.js") || !strings.Contains(a.header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("GET /console/: %d, CSP %q", a.status, a.header.Get("Content-Security-Policy"))
	}
	if a := b.do(http.MethodGet, "/console/static/app.js", "", nil); a.status != http.StatusOK {
		t.Errorf("app.js: %d", a.status)
	}
}

// The console's answers are the API's: the same validation, the same messages.
func TestTriggersGoThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.9")
	b.signIn(user, password)
	sec := b.change(http.MethodPost, "/console/api/secretsmanager/CreateSecret",
		`{"Name":"creds","SecretString":"{\"username\":\"app\",\"password\":\"pw\"}"}`)
	if sec.status != http.StatusOK {
		t.Fatalf("CreateSecret: %d %s", sec.status, sec.body)
	}
	arn := sec.field(t, "ARN")
	broker := e.cfg.Brokers[0].ARN
	mapping := func(batch int) string {
		b, _ := json.Marshal(map[string]any{"EventSourceArn": broker, "FunctionName": "orders", "Queues": []string{"Orders"},
			"BatchSize": batch, "SourceAccessConfigurations": []map[string]string{{"Type": "BASIC_AUTH", "URI": arn}}})
		return string(b)
	}
	bad := b.change(http.MethodPost, "/console/api/lambda/2015-03-31/event-source-mappings/", mapping(20000))
	if bad.status != http.StatusBadRequest || bad.header.Get("x-amzn-ErrorType") == "" ||
		!strings.Contains(bad.body, "Value '20000' at 'batchSize' failed to satisfy constraint") {
		t.Fatalf("batch size 20000: %d %q %s", bad.status, bad.header.Get("x-amzn-ErrorType"), bad.body)
	}
	ok := b.change(http.MethodPost, "/console/api/lambda/2015-03-31/event-source-mappings/", mapping(10))
	if ok.status != http.StatusAccepted || ok.field(t, "State") != "Creating" {
		t.Fatalf("create: %d %s", ok.status, ok.body)
	}
	uuid := ok.field(t, "UUID")
	list := b.do(http.MethodGet, "/console/api/lambda/2015-03-31/event-source-mappings/?FunctionName=orders", "", nil)
	if list.status != http.StatusOK || !strings.Contains(list.body, uuid) {
		t.Fatalf("list: %d %s", list.status, list.body)
	}
	// No supervisor runs here, so it stays Creating, and the API's state rule holds.
	dis := b.change(http.MethodPut, "/console/api/lambda/2015-03-31/event-source-mappings/"+uuid, `{"Enabled":false}`)
	if dis.status != http.StatusBadRequest || dis.header.Get("x-amzn-ErrorType") != "ResourceInUseException" ||
		!strings.Contains(dis.body, "in state Creating") {
		t.Fatalf("disable while Creating: %d %s", dis.status, dis.body)
	}
	del := b.change(http.MethodDelete, "/console/api/lambda/2015-03-31/event-source-mappings/"+uuid, "")
	if del.status != http.StatusAccepted || del.field(t, "State") != "Deleting" {
		t.Fatalf("delete: %d %s", del.status, del.body)
	}
	// What the console does not offer: reading a secret's value, changing functions.
	if a := b.change(http.MethodPost, "/console/api/secretsmanager/GetSecretValue", `{"SecretId":"creds"}`); a.status != http.StatusNotFound || strings.Contains(a.body, "pw") {
		t.Errorf("GetSecretValue: %d %s", a.status, a.body)
	}
	if a := b.change(http.MethodDelete, "/console/api/lambda/2015-03-31/functions/orders", ""); a.status != http.StatusNotFound {
		t.Errorf("DeleteFunction: %d %s", a.status, a.body)
	}
}

// A credential signs in with its key pair, and the API sees that key.
func TestCredentialSignsIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.10")
	if a := b.signIn(keyID, secret); a.status != http.StatusOK {
		t.Fatalf("sign-in with the access key: %d %s", a.status, a.body)
	}
	if a := b.do(http.MethodGet, "/console/api/lambda/2015-03-31/functions/", "", nil); a.status != http.StatusOK || !strings.Contains(a.body, `"orders"`) {
		t.Fatalf("ListFunctions: %d %s", a.status, a.body)
	}
}

func TestFiguresAndBrokers(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.11")
	b.signIn(user, password)
	counter := func(name string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name}, []string{"mapping", "function"})
		e.metrics.MustRegister(v)
		return v
	}
	counter("mqtrigger_messages_received_total").WithLabelValues("m-1", "orders").Add(7)
	counter("mqtrigger_messages_acknowledged_total").WithLabelValues("m-1", "orders").Add(5)
	counter("mqtrigger_messages_dead_lettered_total").WithLabelValues("m-2", "orders").Add(3)
	up := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mqtrigger_broker_connection_up"}, []string{"broker"})
	e.metrics.MustRegister(up)

	a := b.do(http.MethodGet, "/console/api/figures/m-1", "", nil)
	var f Figures
	if err := json.Unmarshal([]byte(a.body), &f); err != nil || a.status != http.StatusOK {
		t.Fatalf("figures: %d %s", a.status, a.body)
	}
	if f.Received != 7 || f.Acknowledged != 5 || f.DeadLettered != 0 || f.Time == 0 {
		t.Errorf("figures of m-1: %+v (m-2's must not count)", f)
	}
	brokers := func() string {
		a := b.do(http.MethodGet, "/console/api/brokers", "", nil)
		var out struct{ Brokers []Broker }
		if err := json.Unmarshal([]byte(a.body), &out); err != nil || len(out.Brokers) != 1 {
			t.Fatalf("brokers: %d %s", a.status, a.body)
		}
		if out.Brokers[0].ARN != e.cfg.Brokers[0].ARN || out.Brokers[0].Endpoints[0] != "tcp://127.0.0.1:1" {
			t.Errorf("broker %+v", out.Brokers[0])
		}
		return out.Brokers[0].Connection
	}
	if c := brokers(); c != "idle" {
		t.Errorf("no connection tried: %q", c)
	}
	up.WithLabelValues("ConsoleBroker").Set(0)
	if c := brokers(); c != "disconnected" {
		t.Errorf("failed connection: %q", c)
	}
	up.WithLabelValues("ConsoleBroker").Set(1)
	if c := brokers(); c != "connected" {
		t.Errorf("connected: %q", c)
	}
	if a := b.do(http.MethodGet, "/console/api/deadletters/m-1", "", nil); a.status != http.StatusServiceUnavailable {
		t.Errorf("dead letters without a reader: %d %s", a.status, a.body)
	}
}

func TestPasswordHashUser(t *testing.T) {
	// pbkdf2-sha256, 10000 iterations, salt "saltsalt", of "hashed-password"
	h := "pbkdf2-sha256$10000$c2FsdHNhbHQ$" + hashFor(t, "hashed-password", "saltsalt", 10000)
	cfg := &config.Config{Credentials: []config.Credential{{AccessKeyID: keyID, SecretAccessKey: secret}},
		Console: config.Console{Users: []config.ConsoleUser{{Name: "hashed", PasswordHash: h}}}}
	acc, err := accounts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !acc["hashed"].matches("hashed-password") || acc["hashed"].matches("other") || acc["hashed"].keyID != keyID {
		t.Errorf("hashed user: %+v", acc["hashed"])
	}
}

func TestOddRequestsAreAnswered(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.12")
	b.signIn(user, password)
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/console", http.StatusFound},
		{"GET", "/console/nope", http.StatusNotFound},
		{"GET", "/console/api/nope", http.StatusNotFound},
		{"GET", "/console/api/figures/", http.StatusNotFound},
		{"GET", "/console/api/figures/a/b", http.StatusNotFound},
		{"GET", "/console/api/deadletters/a/b", http.StatusNotFound},
		{"GET", "/console/api/lambda/2015-03-31/tags/x", http.StatusNotFound},
		{"GET", "/console/api/lambda/other", http.StatusNotFound},
		{"GET", "/console/api/lambda/2015-03-31/functions/%25zz", http.StatusBadRequest},
		{"GET", "/console/api/lambda/2015-03-31/functions/no%2Fsuch", http.StatusBadRequest},
		{"GET", "/console/api/lambda/2015-03-31/event-source-mappings/not-a-uuid", http.StatusNotFound},
		{"POST", "/console/api/secretsmanager/", http.StatusNotFound},
		{"GET", "/console/api/secretsmanager/ListSecrets", http.StatusNotFound},
		{"PUT", "/console/api/session", http.StatusNotFound},
	} {
		a := b.change(tc.method, tc.path, "")
		if a.status != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, a.status, a.body, tc.want)
		}
	}
	big := strings.Repeat("x", maxBody+1)
	if a := b.change(http.MethodPost, "/console/api/secretsmanager/CreateSecret", big); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the limit: %d", a.status)
	}
}

// Concurrent wrong sign-ins get no more tries than sequential ones.
func TestSignInLimitHoldsUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- e.browser("10.0.0.13").signIn(user, "wrong").status
		}()
	}
	wg.Wait()
	close(codes)
	refused, limited := 0, 0
	for c := range codes {
		switch c {
		case http.StatusUnauthorized:
			refused++
		case http.StatusTooManyRequests:
			limited++
		default:
			t.Errorf("status %d", c)
		}
	}
	if refused != maxFailures || limited != 20-maxFailures {
		t.Errorf("%d refused and %d limited, want %d and %d", refused, limited, maxFailures, 20-maxFailures)
	}
}

// Right sign-ins do not use up the limit.
func TestRightSignInsAreNotCounted(t *testing.T) {
	e := newEnv(t)
	b := e.browser("10.0.0.14")
	for i := range 3 * maxFailures {
		if a := b.signIn(user, password); a.status != http.StatusOK {
			t.Fatalf("sign-in %d: %d %s", i, a.status, a.body)
		}
	}
}
