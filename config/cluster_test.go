package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidateCluster(t *testing.T) {
	t.Setenv("MQTRIGGER_CONFIG_TEST_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	pg := "postgres://u@127.0.0.1:5432/db"
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" valid
	}{
		{"no cluster on SQLite", func(c *Config) {}, ""},
		{"cluster on PostgreSQL", func(c *Config) { c.Store = pg; c.Cluster = Cluster{NodeName: "a", Lease: 15 * time.Second} }, ""},
		{"cluster on SQLite", func(c *Config) { c.Cluster.NodeName = "a" }, "cluster: several nodes need a PostgreSQL store"},
		{"short lease", func(c *Config) { c.Store = pg; c.Cluster.Lease = time.Second }, "cluster.lease: 1s is too short"},
		{"negative poll", func(c *Config) { c.Store = pg; c.Cluster.PollInterval = -time.Second }, "cluster.pollInterval"},
		{"key in the environment", func(c *Config) { c.SecretKeyEnv = "MQTRIGGER_CONFIG_TEST_KEY" }, ""},
		{"unset variable", func(c *Config) { c.SecretKeyEnv = "MQTRIGGER_CONFIG_TEST_UNSET" }, "secretKeyEnv: the environment variable MQTRIGGER_CONFIG_TEST_UNSET is not set"},
		{"file and variable", func(c *Config) { c.SecretKeyEnv = "MQTRIGGER_CONFIG_TEST_KEY"; c.SecretKeyFile = "/k" }, "not both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.edit(c)
			c.SetDefaults()
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
