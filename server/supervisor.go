package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mqtrigger/mqtrigger/cluster"
	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
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
	opts := esm.Options{
		Store:       d.Store,
		Credentials: d.Secrets,
		Functions:   d.Functions,
		Brokers: func(arn string) (esm.Broker, bool) {
			b, ok := brokers[arn]
			return b, ok
		},
		Registerer: d.Metrics,
		Logger:     d.Logger,
	}
	cs, ok := d.Store.(cluster.Store)
	if !ok { // the embedded SQLite store: one node runs everything
		return esm.NewSupervisor(opts), nil
	}
	// A PostgreSQL store: this node is a member of the cluster of every node on it
	// (one alone is a cluster of one).
	node, err := cluster.New(cluster.Options{Store: cs, Name: d.Config.ClusterNodeName(), Address: d.Config.Listen,
		Lease: d.Config.Cluster.Lease, Logger: d.Logger, Registerer: d.Metrics})
	if err != nil {
		return nil, err
	}
	opts.Assigner = node
	opts.ResyncInterval = d.Config.Cluster.PollInterval
	if opts.ResyncInterval == 0 {
		opts.ResyncInterval = config.DefaultClusterPollInterval
	}
	return &clusterSupervisor{Supervisor: esm.NewSupervisor(opts), node: node, functions: d.Functions}, nil
}

// clusterSupervisor runs the mappings of a node of a cluster: the supervisor,
// and the membership that assigns it slots and tells it of other nodes' changes.
type clusterSupervisor struct {
	*esm.Supervisor
	node      *cluster.Node
	functions *function.Registry
}

// FunctionChanged: a function was written, perhaps by another node; its cached
// copy is read again before the mappings waiting for it retry.
func (c *clusterSupervisor) FunctionChanged(name string) {
	c.functions.Stale(name)
	c.Supervisor.FunctionChanged(name)
}

// Run joins the cluster, supervises until ctx ends, and leaves only once every
// consumer has stopped, so no other node takes a slot this one still runs.
func (c *clusterSupervisor) Run(ctx context.Context) error {
	jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := c.node.Join(jctx)
	cancel()
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	// The membership outlives ctx: the lease is renewed, and the node fenced if
	// it cannot be, while the supervisor stops its consumers.
	nctx, stopNode := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.node.Run(nctx, c) }()
	err = c.Supervisor.Run(ctx)
	stopNode()
	<-done
	return err
}

// Health writes the node's membership and slots on /healthz.
func (c *clusterSupervisor) Health(w io.Writer) { c.node.Health(w) }

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
