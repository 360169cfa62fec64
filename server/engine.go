package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/engine"
	"github.com/mqtrigger/mqtrigger/openwire"
)

func init() { DefaultEngine = newEngine }

// newEngine builds the engine that runs the mappings from the server's parts.
func newEngine(d EngineDeps) (Engine, error) {
	brokers := make(map[string]engine.Broker, len(d.Config.Brokers))
	for i, b := range d.Config.Brokers {
		eb, err := engineBroker(b)
		if err != nil {
			return nil, fmt.Errorf("brokers[%d] (%s): %w", i, b.Name, err)
		}
		brokers[eb.ARN] = eb
	}
	return engine.New(engine.Options{
		Store:       d.Store,
		Credentials: d.Secrets,
		Functions:   d.Functions,
		Brokers: func(arn string) (engine.Broker, bool) {
			b, ok := brokers[arn]
			return b, ok
		},
		Registerer: d.Metrics,
		Logger:     d.Logger,
	}), nil
}

// engineBroker turns a configured broker into what the engine dials.
func engineBroker(b config.Broker) (engine.Broker, error) {
	eb := engine.Broker{ARN: b.ARN, Name: b.Name, Redelivery: openwire.DefaultRedeliveryPolicy()}
	switch {
	case len(b.Endpoints) == 1:
		eb.URL = b.Endpoints[0]
	default:
		// Several endpoints are an active/standby pair (or more), tried in order.
		eb.URL = "failover:(" + strings.Join(b.Endpoints, ",") + ")?randomize=false"
	}
	if r := b.Redelivery; r != nil {
		if r.InitialDelay > 0 {
			eb.Redelivery.InitialRedeliveryDelay = r.InitialDelay
		}
		if r.Delay > 0 {
			eb.Redelivery.RedeliveryDelay = r.Delay
		}
		eb.Redelivery.UseExponentialBackOff = r.UseExponentialBackOff
		if r.BackOffMultiplier > 0 {
			eb.Redelivery.BackOffMultiplier = r.BackOffMultiplier
		}
		eb.Redelivery.MaximumRedeliveryDelay = r.MaximumDelay
	}
	if t := b.TLS; t != nil {
		cfg := &tls.Config{InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
		if t.CAFile != "" {
			pem, err := os.ReadFile(t.CAFile)
			if err != nil {
				return eb, fmt.Errorf("tls.caFile: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return eb, fmt.Errorf("tls.caFile %s: no PEM certificate found", t.CAFile)
			}
			cfg.RootCAs = pool
		}
		if t.CertFile != "" || t.KeyFile != "" {
			cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
			if err != nil {
				return eb, fmt.Errorf("tls.certFile/keyFile: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		eb.TLS = cfg
	}
	return eb, nil
}
