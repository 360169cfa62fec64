package openwire

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// endpoint is one broker address.
type endpoint struct {
	tls  bool
	host string // host:port
	// loose: ?wireFormat.tightEncodingEnabled=false, Java's option to refuse tight
	// encoding (both sides must offer it for it to be used).
	loose bool
}

func (e endpoint) String() string {
	if e.tls {
		return "ssl://" + e.host
	}
	return "tcp://" + e.host
}

// failoverOptions are the failover: URL options, with Java's defaults.
type failoverOptions struct {
	randomize             bool
	initialReconnectDelay time.Duration
	maxReconnectDelay     time.Duration
	useExponentialBackOff bool
	backOffMultiplier     float64
	// Attempts count passes over the whole endpoint list, as in Java's
	// FailoverTransport: each pass tries every endpoint once, and the backoff
	// delay runs between passes.
	maxReconnectAttempts int // passes after a loss; -1: forever, 0: none
	startupMaxAttempts   int // passes at Dial after the first; -1: until the Dial context ends
}

func defaultFailover() failoverOptions {
	return failoverOptions{
		randomize:             true,
		initialReconnectDelay: 10 * time.Millisecond,
		maxReconnectDelay:     30 * time.Second,
		useExponentialBackOff: true,
		backOffMultiplier:     2,
		maxReconnectAttempts:  -1,
		startupMaxAttempts:    -1,
	}
}

// delay is the wait before pass n (n >= 1).
func (f *failoverOptions) delay(n int) time.Duration {
	d := f.initialReconnectDelay
	if f.useExponentialBackOff {
		for i := 1; i < n && d < f.maxReconnectDelay; i++ {
			d = time.Duration(float64(d) * f.backOffMultiplier)
		}
	}
	if f.maxReconnectDelay > 0 && d > f.maxReconnectDelay {
		d = f.maxReconnectDelay
	}
	return d
}

// URL is a parsed broker URL, as Dial accepts it.
type URL struct {
	// Endpoints are the brokers in the URL's order, each "tcp://host:port" or
	// "ssl://host:port" (a missing port is 61616 for tcp, 61617 for ssl).
	Endpoints []string
	// Failover is true for a failover:(...) URL: Dial then reconnects.
	Failover bool
	// TLS is true when some endpoint is ssl:// (Config.TLSConfig applies).
	TLS bool

	eps []endpoint
	fo  *failoverOptions // nil without failover
}

// ParseURL checks and parses one broker URL: tcp://host:port, ssl://host:port
// (also the broker's aliases nio://, nio+ssl://, tls://, auto://...), or
// failover:(uri,uri,...)?options, or failover:uri,uri. Of the options on the inner
// URLs, wireFormat.tightEncodingEnabled (true or false) is checked and used; the
// others (wireFormat.*, jms.*) are accepted and ignored. Failover options are
// checked. Dial applies the same rule, so a URL ParseURL accepts is one Dial
// can use. Errors say which part is wrong.
func ParseURL(s string) (*URL, error) {
	eps, fo, err := parseURL(s)
	if err != nil {
		return nil, err
	}
	u := &URL{Failover: fo != nil, eps: eps, fo: fo}
	for _, ep := range eps {
		u.Endpoints = append(u.Endpoints, ep.String())
		u.TLS = u.TLS || ep.tls
	}
	return u, nil
}

func parseURL(raw string) ([]endpoint, *failoverOptions, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil, fmt.Errorf("openwire: empty broker URL (want tcp://host:port, ssl://host:port or failover:(...))")
	}
	if rest, ok := cutPrefixFold(raw, "failover:"); ok {
		f := defaultFailover()
		list, query := rest, ""
		if strings.HasPrefix(rest, "(") {
			end := strings.LastIndex(rest, ")")
			if end < 0 {
				return nil, nil, fmt.Errorf("openwire: URL %q: missing ')' in failover list", raw)
			}
			list, query = rest[1:end], rest[end+1:]
			if query != "" && !strings.HasPrefix(query, "?") {
				return nil, nil, fmt.Errorf("openwire: URL %q: %q after ')'; only ?options may follow", raw, query)
			}
			query = strings.TrimPrefix(query, "?")
		} else if i := strings.LastIndex(rest, "?"); i >= 0 && !strings.Contains(rest[i:], "://") {
			list, query = rest[:i], rest[i+1:]
		}
		var eps []endpoint
		for _, u := range strings.Split(list, ",") {
			if strings.TrimSpace(u) == "" {
				continue
			}
			ep, err := parseEndpoint(strings.TrimSpace(u))
			if err != nil {
				return nil, nil, err
			}
			eps = append(eps, ep)
		}
		if len(eps) == 0 {
			return nil, nil, fmt.Errorf("openwire: URL %q: failover list is empty", raw)
		}
		if err := f.parse(query); err != nil {
			return nil, nil, fmt.Errorf("openwire: URL %q: %w", raw, err)
		}
		return eps, &f, nil
	}
	ep, err := parseEndpoint(raw)
	if err != nil {
		return nil, nil, err
	}
	return []endpoint{ep}, nil, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func parseEndpoint(raw string) (endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("openwire: URL %q: %v", raw, err)
	}
	if u.User != nil {
		// Credentials go in Config, and must not end up in logs with the URL.
		return endpoint{}, fmt.Errorf("openwire: URL %q: user info in a broker URL is not supported (use the user and password settings)", u.Redacted())
	}
	var ep endpoint
	port := "61616"
	switch strings.ToLower(u.Scheme) {
	case "tcp", "nio", "auto", "auto+nio":
	case "ssl", "nio+ssl", "tls", "auto+ssl", "auto+nio+ssl":
		ep.tls, port = true, "61617"
	default:
		return endpoint{}, fmt.Errorf("openwire: URL %q: scheme must be tcp, ssl or failover", raw)
	}
	host := u.Host
	if host == "" || u.Hostname() == "" {
		return endpoint{}, fmt.Errorf("openwire: URL %q has no host (want %s://host:port)", raw, u.Scheme)
	}
	if u.Path != "" && u.Path != "/" {
		return endpoint{}, fmt.Errorf("openwire: URL %q: a broker URL has no path (%q)", raw, u.Path)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return endpoint{}, fmt.Errorf("openwire: URL %q: port %q is not 1 to 65535", raw, p)
		}
	} else {
		host = net.JoinHostPort(strings.Trim(host, "[]:"), port)
	}
	ep.host = host
	for k, vs := range u.Query() {
		if !strings.EqualFold(k, "wireFormat.tightEncodingEnabled") {
			continue
		}
		tight, err := strconv.ParseBool(vs[len(vs)-1])
		if err != nil {
			return endpoint{}, fmt.Errorf("openwire: URL %q: %s=%q: want true or false", raw, k, vs[len(vs)-1])
		}
		ep.loose = !tight
	}
	return ep, nil
}

var supportedFailoverOptions = []string{"randomize", "initialReconnectDelay", "maxReconnectDelay", "useExponentialBackOff",
	"backOffMultiplier", "reconnectDelayExponent", "maxReconnectAttempts", "startupMaxReconnectAttempts"}

func (f *failoverOptions) parse(query string) error {
	if query == "" {
		return nil
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return err
	}
	for k, vs := range vals {
		v := vs[len(vs)-1]
		var err error
		switch k {
		case "randomize":
			f.randomize, err = strconv.ParseBool(v)
		case "initialReconnectDelay":
			f.initialReconnectDelay, err = parseMillis(v)
		case "maxReconnectDelay":
			f.maxReconnectDelay, err = parseMillis(v)
		case "useExponentialBackOff":
			f.useExponentialBackOff, err = strconv.ParseBool(v)
		case "backOffMultiplier", "reconnectDelayExponent":
			f.backOffMultiplier, err = strconv.ParseFloat(v, 64)
			if err == nil && f.backOffMultiplier < 1 {
				err = fmt.Errorf("must be >= 1")
			}
		case "maxReconnectAttempts":
			f.maxReconnectAttempts, err = parseAttempts(v)
		case "startupMaxReconnectAttempts":
			f.startupMaxAttempts, err = parseAttempts(v)
		default:
			// Java's other options (timeout, trackMessages, backup, priorityBackup,
			// updateURIsSupported, nested.*, ...) change behaviour this client does
			// not have: refuse them rather than pretend.
			return fmt.Errorf("failover option %s is not supported by this client (supported: %s)", k, strings.Join(supportedFailoverOptions, ", "))
		}
		if err != nil {
			return fmt.Errorf("failover option %s=%q: %v", k, v, err)
		}
	}
	return nil
}

func parseAttempts(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < -1 {
		return 0, fmt.Errorf("want a count >= 0, or -1 for no limit")
	}
	return n, nil
}

func parseMillis(v string) (time.Duration, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want milliseconds >= 0")
	}
	return time.Duration(n) * time.Millisecond, nil
}
