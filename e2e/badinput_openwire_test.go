package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/fakebroker"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

// A broker that answers with malformed OpenWire makes the mapping report a
// connection problem that names the fault; the service stays up. A message whose
// body cannot be decoded is dead-lettered by the client and never reaches the function.
func TestBadInputOpenWireBroker(t *testing.T) {
	type fake struct {
		name  string
		opts  fakebroker.Options
		want  string // in LastProcessingResult; "" when no problem is expected
		srv   *fakebroker.Server
		uuid  string
		queue string
	}
	fakes := []*fake{
		{name: "wrongtype", opts: fakebroker.Options{Fault: fakebroker.WrongType, Stage: fakebroker.AtConnect}, want: "malformed frame"},
		{name: "oversized", opts: fakebroker.Options{Fault: fakebroker.Oversized, Stage: fakebroker.AtConnect}, want: "frame too large"},
		{name: "truncated", opts: fakebroker.Options{Fault: fakebroker.Truncated, Stage: fakebroker.AtConnect}, want: "closed the connection"},
		{name: "random", opts: fakebroker.Options{Fault: fakebroker.Random, Stage: fakebroker.AtConnect, Seed: 1}, want: "PROBLEM: Connection error."},
		{name: "garbagebody", opts: fakebroker.Options{Fault: fakebroker.GarbageBody, Stage: fakebroker.AfterConsumer}},
	}
	var brokers []servicetest.Broker
	for _, f := range fakes {
		s, err := fakebroker.Start(f.opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f.srv = s
		brokers = append(brokers, servicetest.Broker{Name: f.name, ARN: "arn:aws:mq:us-east-1:123456789012:broker:" + f.name + ":b-" + f.name, Endpoints: []string{s.URL()}})
	}
	fn, url := newCounter(t, nil)
	svc := servicetest.Start(t, servicetest.Options{Brokers: brokers, Functions: []servicetest.Function{{Name: "counter", URL: url}}})
	secret, err := svc.CreateBasicAuthSecret(t.Context(), "fake", "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range fakes {
		in := mappingInput("counter", "fake."+f.name, secret, 10, 1)
		in.EventSourceArn = aws.String(brokers[i].ARN)
		out, err := svc.Lambda().CreateEventSourceMapping(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		f.uuid = aws.ToString(out.UUID)
	}
	for _, f := range fakes {
		if f.want == "" {
			continue
		}
		var result string
		checkfor.Within(t, 60*time.Second, func() error {
			m, err := svc.Lambda().GetEventSourceMapping(t.Context(), &lambda.GetEventSourceMappingInput{UUID: aws.String(f.uuid)})
			if err != nil {
				return err
			}
			result = aws.ToString(m.LastProcessingResult)
			if !strings.HasPrefix(result, "PROBLEM: Connection error.") {
				return fmt.Errorf("%s: LastProcessingResult %q", f.name, result)
			}
			return nil
		})
		if !strings.Contains(result, f.want) || !strings.Contains(result, f.srv.Addr()) {
			t.Errorf("%s: LastProcessingResult %q does not name the broker %s and %q", f.name, result, f.srv.Addr(), f.want)
		}
		t.Logf("%s: %s", f.name, result)
	}
	g := fakes[len(fakes)-1]
	checkfor.Within(t, 60*time.Second, func() error {
		if len(g.srv.PoisonCauses()) == 0 {
			return fmt.Errorf("no poison ack for the undecodable message (connections %d, faults %d)", g.srv.Accepted(), g.srv.FaultsSent())
		}
		return nil
	})
	if c := g.srv.PoisonCauses()[0]; !strings.Contains(c, "cannot decode message") {
		t.Errorf("poison cause %q", c)
	}
	// the broken brokers are retried, not given up on
	checkfor.Within(t, 30*time.Second, func() error {
		if n := fakes[0].srv.Accepted(); n < 2 {
			return fmt.Errorf("%s: %d connection attempts, want retries", fakes[0].name, n)
		}
		return nil
	})
	if _, total := fn.counts(); total != 0 {
		t.Errorf("the function got %d messages from fake brokers", total)
	}
	healthy(t, svc)
}
