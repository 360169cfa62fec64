package openwire

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
)

// A user the broker lets in but may not read a queue (authorizationPlugin):
// the refused ConsumerInfo and send are ErrAuthorization, not
// ErrAuthentication; only a refused login is ErrAuthentication.
func TestAuthorizationIsNotAuthentication(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{ExtraUsers: []string{"reader:reader-pw"}, Authz: "allowed.>"})
	ctx := testCtx(t, 60*time.Second)
	c, err := Dial(ctx, b.URL, Config{User: "reader", Password: "reader-pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := mustSession(t, c, false)
	allowed := "allowed." + newQueue(t)
	if _, err := s.NewConsumer(ctx, allowed, ConsumerOptions{}); err != nil {
		t.Fatalf("consumer on a queue the user may read: %v", err)
	}
	secret := "secret." + newQueue(t)
	_, err = s.NewConsumer(ctx, secret, ConsumerOptions{})
	var be *BrokerError
	if !errors.Is(err, ErrAuthorization) || errors.Is(err, ErrAuthentication) || !errors.As(err, &be) || be.Class != "java.lang.SecurityException" {
		t.Fatalf("consumer on a forbidden queue: %v, want ErrAuthorization only", err)
	}
	t.Logf("refused: %v", err)
	p, err := s.NewProducer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Send(ctx, Queue(secret), &Message{Kind: KindText, Text: "x"})
	if !errors.Is(err, ErrAuthorization) || errors.Is(err, ErrAuthentication) {
		t.Fatalf("send to a forbidden queue: %v, want ErrAuthorization", err)
	}
	// the refusals left the connection usable
	if err := p.Send(ctx, Queue(allowed), &Message{Kind: KindText, Text: "y"}); err != nil {
		t.Fatal(err)
	}

	_, err = Dial(ctx, b.URL, Config{User: "reader", Password: "wrong"})
	if !errors.Is(err, ErrAuthentication) || errors.Is(err, ErrAuthorization) {
		t.Fatalf("bad password: %v, want ErrAuthentication only", err)
	}
	// a logical connection's login is authentication too
	_, err = c.NewSessionAs(ctx, fmt.Sprintf("authz-%d", time.Now().UnixNano()), false)
	if err != nil {
		t.Fatalf("NewSessionAs with good credentials: %v", err)
	}
}
