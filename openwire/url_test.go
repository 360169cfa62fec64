package openwire

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	eps, fo, err := parseURL("tcp://127.0.0.1:61616?wireFormat.maxInactivityDuration=0")
	if err != nil || fo != nil || len(eps) != 1 || eps[0].host != "127.0.0.1:61616" || eps[0].tls {
		t.Fatalf("tcp: %v %v %v", eps, fo, err)
	}
	eps, _, err = parseURL("ssl://b-1.mq.us-east-1.amazonaws.com")
	if err != nil || !eps[0].tls || eps[0].host != "b-1.mq.us-east-1.amazonaws.com:61617" {
		t.Fatalf("ssl: %v %v", eps, err)
	}
	eps, fo, err = parseURL("failover:(tcp://a:1,ssl://b:2)?randomize=false&initialReconnectDelay=50&maxReconnectDelay=400&maxReconnectAttempts=3&useExponentialBackOff=true")
	if err != nil || len(eps) != 2 || eps[1].host != "b:2" || !eps[1].tls || fo.randomize || fo.maxReconnectAttempts != 3 ||
		fo.initialReconnectDelay != 50*time.Millisecond || fo.maxReconnectDelay != 400*time.Millisecond {
		t.Fatalf("failover: %v %+v %v", eps, fo, err)
	}
	if d := []time.Duration{fo.delay(1), fo.delay(2), fo.delay(3), fo.delay(5)}; d[0] != 50*time.Millisecond || d[1] != 100*time.Millisecond || d[2] != 200*time.Millisecond || d[3] != 400*time.Millisecond {
		t.Fatalf("backoff: %v", d)
	}
	if eps, fo, err = parseURL("failover:tcp://a:1,tcp://b:2"); err != nil || len(eps) != 2 || !fo.randomize {
		t.Fatalf("failover without parentheses: %v %v %v", eps, fo, err)
	}
	if eps[0].loose {
		t.Error("tight encoding off without the option")
	}
	eps, _, err = parseURL("failover:(tcp://a:1?wireFormat.tightEncodingEnabled=false,tcp://b:2?wireFormat.tightEncodingEnabled=true)")
	if err != nil || !eps[0].loose || eps[1].loose {
		t.Fatalf("tightEncodingEnabled: %+v %v", eps, err)
	}
	for _, bad := range []string{"", "http://x:1", "failover:()", "failover:(tcp://a:1", "failover:(tcp://a:1)?maxReconnectAttempts=x", "tcp://",
		"tcp://a:1?wireFormat.tightEncodingEnabled=no"} {
		if _, _, err := parseURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, bad := range []Config{{MaxFrameSize: -1}, {MaxFrameSize: 10}, {DialTimeout: -time.Second}, {MaxInactivityDuration: time.Millisecond}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := (&Config{MaxInactivityDuration: -1}).Validate(); err != nil {
		t.Error(err)
	}
	c := (&Config{}).withDefaults()
	if c.MaxFrameSize != 64<<20 || c.MaxInactivityDuration != 30*time.Second || c.DialTimeout != 10*time.Second || c.Logger == nil {
		t.Errorf("defaults %+v", c)
	}
}

func TestParseURLExported(t *testing.T) {
	for _, tc := range []struct {
		in       string
		eps      []string
		failover bool
		tls      bool
	}{
		{"tcp://127.0.0.1:61616", []string{"tcp://127.0.0.1:61616"}, false, false},
		{"ssl://b-1.example:61617/", []string{"ssl://b-1.example:61617"}, false, true},
		{"nio://h", []string{"tcp://h:61616"}, false, false},
		{"failover:(tcp://a:1,ssl://b:2)?randomize=false", []string{"tcp://a:1", "ssl://b:2"}, true, true},
		{"failover:tcp://a:1,tcp://b:2", []string{"tcp://a:1", "tcp://b:2"}, true, false},
		{"tcp://[::1]:61616", []string{"tcp://[::1]:61616"}, false, false},
	} {
		u, err := ParseURL(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if strings.Join(u.Endpoints, " ") != strings.Join(tc.eps, " ") || u.Failover != tc.failover || u.TLS != tc.tls {
			t.Errorf("%s: %+v", tc.in, u)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "empty broker URL"},
		{"http://x:1", "scheme must be tcp, ssl or failover"},
		{"tcp://", "has no host"},
		{"tcp://:61616", "has no host"},
		{"tcp://h:0", `port "0" is not 1 to 65535`},
		{"tcp://h:70000", `port "70000"`},
		{"tcp://h:x", "tcp://h:x"},
		{"tcp://h:1/queue", "has no path"},
		{"tcp://u:secret@h:1", "user info"},
		{"failover:()", "failover list is empty"},
		{"failover:(tcp://a:1", "missing ')'"},
		{"failover:(tcp://a:1)x", "only ?options may follow"},
		{"failover:(tcp://a:1)?maxReconnectAttempts=x", "maxReconnectAttempts"},
	} {
		_, err := ParseURL(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseURL(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseURL(%q) error shows the password: %v", tc.in, err)
		}
	}
}

func TestFailoverOptions(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  string // error substring; "" means accepted
	}{
		{"randomize=false&maxReconnectAttempts=0&startupMaxReconnectAttempts=-1", ""},
		{"reconnectDelayExponent=1.5&useExponentialBackOff=false", ""},
		{"timeout=3000", "failover option timeout is not supported"},
		{"trackMessages=true", "failover option trackMessages is not supported"},
		{"priorityBackup=true", "failover option priorityBackup is not supported"},
		{"nested.wireFormat.maxInactivityDuration=1000", "failover option nested.wireFormat.maxInactivityDuration is not supported"},
		{"maxReconnectAttempts=-2", "maxReconnectAttempts"},
		{"initialReconnectDelay=-5", "initialReconnectDelay"},
		{"backOffMultiplier=0.5", "must be >= 1"},
	} {
		_, err := ParseURL("failover:(tcp://a:1)?" + tc.query)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.query, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error containing %q", tc.query, err, tc.want)
		}
	}
}

// startupMaxReconnectAttempts counts passes over the whole list, as Java's
// FailoverTransport does: 1 means the first pass and one more, each trying
// every endpoint once.
func TestFailoverAttemptsArePasses(t *testing.T) {
	var accepts [2]atomic.Int32
	var urls []string
	for i := range accepts {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				nc, err := ln.Accept()
				if err != nil {
					return
				}
				accepts[i].Add(1)
				nc.Close() // not a broker: the handshake fails
			}
		}()
		urls = append(urls, "tcp://"+ln.Addr().String())
	}
	_, err := Dial(testCtx(t, 20*time.Second), "failover:("+strings.Join(urls, ",")+")?randomize=false&initialReconnectDelay=1&startupMaxReconnectAttempts=1", Config{})
	if err == nil || !strings.Contains(err.Error(), "gave up after 2 passes over 2 endpoints") {
		t.Fatalf("Dial: %v", err)
	}
	if a, b := accepts[0].Load(), accepts[1].Load(); a != 2 || b != 2 {
		t.Fatalf("connects per endpoint %d and %d, want 2 and 2", a, b)
	}
}
