package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mqtrigger/mqtrigger/config"
)

// Sign-in limits: after maxFailures wrong sign-ins within failureWindow, from one
// client address or for one name, further tries are answered 429 until the
// oldest failure leaves the window.
const (
	maxFailures   = 5
	failureWindow = time.Minute
)

// account is who may sign in: a console user or a credential.
type account struct {
	password string // as configured, or "" with hash
	hash     *config.PasswordHash
	keyID    string // the credential its API requests are signed with
}

// accounts returns who may sign in by name: console users, and each credential by
// its access key id with its secret access key. Console users sign with the
// first credential.
func accounts(cfg *config.Config) (map[string]account, error) {
	m := map[string]account{}
	for _, c := range cfg.Credentials {
		m[c.AccessKeyID] = account{password: c.SecretAccessKey, keyID: c.AccessKeyID}
	}
	for _, u := range cfg.Console.Users {
		a := account{password: u.Password}
		if len(cfg.Credentials) > 0 {
			a.keyID = cfg.Credentials[0].AccessKeyID
		}
		if u.PasswordHash != "" {
			h, err := config.ParsePasswordHash(u.PasswordHash)
			if err != nil {
				return nil, err
			}
			a.hash = &h
		}
		m[u.Name] = a
	}
	return m, nil
}

// matches compares in constant time (hashes first, so lengths leak nothing).
func (a account) matches(password string) bool {
	if a.hash != nil {
		return a.hash.Matches(password)
	}
	x, y := sha256.Sum256([]byte(password)), sha256.Sum256([]byte(a.password))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// limiter counts recent wrong sign-ins per key ("ip:..." and "user:...").
type limiter struct {
	mu       sync.Mutex
	now      func() time.Time
	failures map[string][]time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, failures: map[string][]time.Time{}}
}

// recent drops failures older than the window and returns what is left; the
// caller holds mu.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	f := l.failures[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= failureWindow {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = f
	}
	return f
}

// attempt counts a sign-in against keys before its password is checked, so
// concurrent tries cannot slip past the limit; it returns how long until one of
// keys may try again, or 0 when this try may go ahead. A try that succeeds is
// forgiven.
func (l *limiter) attempt(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		if f := l.recent(k, now); len(f) >= maxFailures {
			wait = max(wait, failureWindow-now.Sub(f[0]))
		}
	}
	if wait > 0 {
		return wait
	}
	if len(l.failures) > 100000 { // bound the memory a flood of names can take
		clear(l.failures)
	}
	for _, k := range keys {
		l.failures[k] = append(l.recent(k, now), now)
	}
	return 0
}

// forgive takes back the count of a try that succeeded.
func (l *limiter) forgive(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if f := l.failures[k]; len(f) > 0 {
			if f = f[:len(f)-1]; len(f) == 0 {
				delete(l.failures, k)
			} else {
				l.failures[k] = f
			}
		}
	}
}

// clientAddr is the address a request came from, without its port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
