package server

import (
	"context"
	"fmt"

	"github.com/mqtrigger/mqtrigger/api"
	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/dlq"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/openwire"
	"github.com/mqtrigger/mqtrigger/secrets"
)

// redriver is the API's redrive extension: it dials the mapping's broker as the
// consumers do (URL, TLS) with the mapping's BASIC_AUTH secret, on a
// connection of its own.
func redriver(cfg *config.Config, sm *secrets.Manager) api.Redriver {
	return func(ctx context.Context, m *esm.Mapping, opts dlq.Options) (dlq.Result, error) {
		b, ok := cfg.Broker(m.EventSourceArn)
		if !ok {
			return dlq.Result{}, fmt.Errorf("broker %s is not configured", m.EventSourceArn)
		}
		eb, err := esmBroker(b)
		if err != nil {
			return dlq.Result{}, err
		}
		user, password, err := sm.BasicAuth(ctx, m.SecretARN())
		if err != nil {
			return dlq.Result{}, fmt.Errorf("reading BASIC_AUTH secret %s: %w", m.SecretARN(), err)
		}
		conn, err := openwire.Dial(ctx, eb.URL, openwire.Config{User: user, Password: password, TLSConfig: eb.TLS})
		if err != nil {
			return dlq.Result{}, err
		}
		defer conn.Close()
		return dlq.Redrive(ctx, conn, opts)
	}
}
