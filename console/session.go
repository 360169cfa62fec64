package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// cookieName is the session cookie; its Path is /console, so the API never sees it.
const cookieName = "mqtrigger_console"

// session is one signed-in browser.
type session struct {
	id      string
	user    string // the name signed in with
	keyID   string // the credential the console signs its API requests with
	csrf    string
	expires time.Time
}

// sessions holds the live sessions in memory: a restart signs everyone out.
type sessions struct {
	mu  sync.Mutex
	ttl time.Duration
	now func() time.Time
	m   map[string]*session
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, now: now, m: map[string]*session{}}
}

// randomToken is 32 bytes from crypto/rand, URL-safe base64.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) create(user, keyID string) *session {
	now := s.now()
	ss := &session{id: randomToken(), user: user, keyID: keyID, csrf: randomToken(), expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, o := range s.m { // sweep here, so no goroutine is needed to expire them
		if !now.Before(o.expires) {
			delete(s.m, id)
		}
	}
	s.m[ss.id] = ss
	return ss
}

// lookup returns the request's live session, or nil.
func (s *sessions) lookup(r *http.Request) *session {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[c.Value]
	if ss == nil {
		return nil
	}
	if !s.now().Before(ss.expires) {
		delete(s.m, ss.id)
		return nil
	}
	return ss
}

func (s *sessions) remove(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// cookie is the session's cookie as of now; secure when the console is served
// over TLS.
func (ss *session) cookie(now time.Time, secure bool) *http.Cookie {
	return &http.Cookie{
		Name: cookieName, Value: ss.id, Path: "/console", Expires: ss.expires,
		MaxAge: int(ss.expires.Sub(now).Seconds()), HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode,
	}
}

// clearedCookie removes the session cookie from the browser.
func clearedCookie(secure bool) *http.Cookie {
	return &http.Cookie{Name: cookieName, Value: "", Path: "/console", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
}

// csrfHeader carries the session's CSRF token on every change.
const csrfHeader = "X-CSRF-Token"

// checkCSRF reports whether r carries ss's token, in the header or a csrf form field.
func (ss *session) checkCSRF(r *http.Request) bool {
	t := r.Header.Get(csrfHeader)
	if t == "" {
		t = r.FormValue("csrf")
	}
	return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(ss.csrf)) == 1
}
