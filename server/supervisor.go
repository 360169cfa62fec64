package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// newSupervisor builds the supervisor that runs the mappings from the server's parts.
func newSupervisor(d SupervisorDeps) (Supervisor, error) {
	brokers := make(map[string]esm.Broker, len(d.Config.Brokers))
	for i, b := range d.Config.Brokers {
		eb, err := esmBroker(b)
		if err != nil {
			return nil, fmt.Errorf("brokers[%d] (%s): %w", i, b.Name, err)
		}
		brokers[eb.ARN] = eb
	}
	return esm.NewSupervisor(esm.Options{
		Store:       d.Store,
		Credentials: d.Secrets,
		Functions:   d.Functions,
		Brokers: func(arn string) (esm.Broker, bool) {
			b, ok := brokers[arn]
			return b, ok
		},
		Registerer: d.Metrics,
		Logger:     d.Logger,
	}), nil
}

// esmBroker turns a configured broker into what the supervisor dials.
func esmBroker(b config.Broker) (esm.Broker, error) {
	eb := esm.Broker{ARN: b.ARN, Name: b.Name, Redelivery: openwire.DefaultRedeliveryPolicy()}
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
