package openwire

import (
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
	for _, bad := range []string{"", "http://x:1", "failover:()", "failover:(tcp://a:1", "failover:(tcp://a:1)?maxReconnectAttempts=x", "tcp://"} {
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
