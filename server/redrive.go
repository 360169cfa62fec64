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
		conn, err := mappingConn(ctx, cfg, sm, m)
		if err != nil {
			return dlq.Result{}, err
		}
		defer conn.Close()
		return dlq.Redrive(ctx, conn, opts)
	}
}

// mappingConn dials m's broker as its consumers do (URL, TLS), with its
// BASIC_AUTH secret, on a connection of its own.
func mappingConn(ctx context.Context, cfg *config.Config, sm *secrets.Manager, m *esm.Mapping) (*openwire.Conn, error) {
	b, ok := cfg.Broker(m.EventSourceArn)
	if !ok {
		return nil, fmt.Errorf("broker %s is not configured", m.EventSourceArn)
	}
	eb, err := esmBroker(b)
	if err != nil {
		return nil, err
	}
	user, password, err := sm.BasicAuth(ctx, m.SecretARN())
	if err != nil {
		return nil, fmt.Errorf("reading BASIC_AUTH secret %s: %w", m.SecretARN(), err)
	}
	return openwire.Dial(ctx, eb.URL, openwire.Config{User: user, Password: password, TLSConfig: eb.TLS})
}
