package openwire

import (
	"testing"
	"time"
)

func TestRedeliveryPolicyDelays(t *testing.T) {
	p := DefaultRedeliveryPolicy()
	if (RedeliveryPolicy{}).orDefault() != p || p.MaximumRedeliveries != 6 || p.BackOffMultiplier != 5 {
		t.Fatalf("defaults: %+v", p)
	}
	if p.Delay(1) != time.Second || p.Delay(4) != time.Second {
		t.Fatalf("constant delays: %v %v", p.Delay(1), p.Delay(4))
	}
	p.UseExponentialBackOff = true
	p.MaximumRedeliveryDelay = 60 * time.Second
	want := []time.Duration{time.Second, 5 * time.Second, 25 * time.Second, 60 * time.Second, 60 * time.Second}
	for i, w := range want {
		if d := p.Delay(i + 1); d != w {
			t.Errorf("Delay(%d) = %v, want %v", i+1, d, w)
		}
	}
	if p.Exceeded(6) || !p.Exceeded(7) {
		t.Error("Exceeded: 7th redelivery must be over the default maximum of 6")
	}
	p.MaximumRedeliveries = -1
	if p.Exceeded(1 << 30) {
		t.Error("-1 must mean unlimited")
	}
	p.MaximumRedeliveryDelay = 0
	if d := p.Delay(1000); d <= 0 {
		t.Errorf("uncapped exponential delay overflowed: %v", d)
	}
}
