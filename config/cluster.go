package config

import (
	"fmt"
	"net"
	"os"
	"time"
)

// Cluster tunes a node of a cluster: every mqtrigger whose store is the same
// PostgreSQL database is one (docs/cluster.md). The embedded SQLite store serves
// a single node, and a cluster section with it is refused.
type Cluster struct {
	// NodeName names the node in `mqtrigger cluster status`, logs and /healthz;
	// default: the host name and the listen port.
	NodeName string `yaml:"nodeName"`
	// Lease is how long a node's slots stay its own after its last renewal
	// (default 15s): a node that dies is replaced within about Lease plus Lease/5.
	Lease time.Duration `yaml:"lease"`
	// PollInterval is how often each node compares every mapping with what it
	// runs, the fallback when a change notification is lost (default 5s).
	PollInterval time.Duration `yaml:"pollInterval"`
}

// Default cluster timings.
const (
	DefaultClusterLease        = 15 * time.Second
	DefaultClusterPollInterval = 5 * time.Second
)

func (c *Config) validateCluster() error {
	k := c.Cluster
	if c.Store == "" && (k != Cluster{}) {
		return fmt.Errorf("cluster: several nodes need a PostgreSQL store they share (store: postgres://user@host:5432/db); the embedded SQLite store serves one node")
	}
	if k.Lease != 0 && k.Lease < 3*time.Second {
		return fmt.Errorf("cluster.lease: %v is too short (at least 3s; default %v)", k.Lease, DefaultClusterLease)
	}
	if k.PollInterval < 0 {
		return fmt.Errorf("cluster.pollInterval: %v must not be negative", k.PollInterval)
	}
	if c.SecretKeyEnv != "" && c.SecretKeyFile != "" {
		return fmt.Errorf("secretKeyEnv: give the key in secretKeyFile or in the environment variable secretKeyEnv names, not both")
	}
	if c.SecretKeyEnv != "" && os.Getenv(c.SecretKeyEnv) == "" {
		return fmt.Errorf("secretKeyEnv: the environment variable %s is not set (it holds the base64 AES-256 key that encrypts secrets)", c.SecretKeyEnv)
	}
	return nil
}

// ClusterNodeName is the node's name: cluster.nodeName, or host:port of listen.
func (c *Config) ClusterNodeName() string {
	if c.Cluster.NodeName != "" {
		return c.Cluster.NodeName
	}
	host, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(c.Listen)
	return host + ":" + port
}
