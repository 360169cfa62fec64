package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
)

// Defaults for keys the file leaves out.
const (
	DefaultListen    = "127.0.0.1:9070"
	DefaultDataDir   = "./data"
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "123456789012"
	DefaultLogLevel  = "info"
	DefaultLogFormat = "text"
)

// Config is mqtrigger's configuration, with the YAML keys users write.
type Config struct {
	Listen        string       `yaml:"listen"`
	DataDir       string       `yaml:"dataDir"`
	Store         string       `yaml:"store"` // PostgreSQL URL; empty: SQLite in DataDir
	Region        string       `yaml:"region"`
	AccountID     string       `yaml:"accountId"`
	Credentials   []Credential `yaml:"credentials"`
	Brokers       []Broker     `yaml:"brokers"`
	Functions     []Function   `yaml:"functions"`
	SecretKeyFile string       `yaml:"secretKeyFile"` // empty: DataDir/secret.key
	// SecretKeyEnv names an environment variable holding the key (base64), instead
	// of secretKeyFile: how the nodes of a cluster may share it (cluster.go).
	SecretKeyEnv string  `yaml:"secretKeyEnv"`
	Cluster      Cluster `yaml:"cluster"`   // several nodes on one PostgreSQL store (cluster.go)
	LogLevel     string  `yaml:"logLevel"`  // debug, info, warn, error
	LogFormat    string  `yaml:"logFormat"` // text, json
	// Pprof serves Go's profiles at /debug/pprof/ on the listen address, without
	// authentication: for profiling on a loopback address only.
	Pprof bool `yaml:"pprof"`
	// Console configures the web console at /console/.
	Console Console `yaml:"console"`
}

// Console configures the web console. Besides these users, every credential
// signs in with its access key id and secret access key.
type Console struct {
	Users []ConsoleUser `yaml:"users"`
}

// ConsoleUser is a name that may sign in to the console, with its password given
// as it is or as a PBKDF2 hash (see docs/console.md).
type ConsoleUser struct {
	Name         string `yaml:"name"`
	Password     string `yaml:"password"`
	PasswordHash string `yaml:"passwordHash"` // pbkdf2-sha256$ITERATIONS$SALT$HASH, base64
}

// Credential is an access key pair that may call the API.
type Credential struct {
	AccessKeyID     string `yaml:"accessKeyId"`
	SecretAccessKey string `yaml:"secretAccessKey"`
}

// Broker is an ActiveMQ broker that mappings may consume from.
type Broker struct {
	Name       string      `yaml:"name"`
	ARN        string      `yaml:"arn"`       // default: see Defaults
	Endpoints  []string    `yaml:"endpoints"` // tcp:// and ssl:// URLs, or one failover:(...) URL
	TLS        *TLS        `yaml:"tls"`
	Redelivery *Redelivery `yaml:"redelivery"`
}

// TLS configures ssl:// endpoints.
type TLS struct {
	CAFile             string `yaml:"caFile"`
	CertFile           string `yaml:"certFile"`
	KeyFile            string `yaml:"keyFile"`
	InsecureSkipVerify bool   `yaml:"insecureSkipVerify"`
}

// Redelivery is the delay policy for redelivering a failed batch, named after
// ActiveMQ's RedeliveryPolicy. Zero fields take ActiveMQ's defaults; the number of
// redeliveries is per mapping (MaximumRetryAttempts).
type Redelivery struct {
	InitialDelay          time.Duration `yaml:"initialDelay"`
	Delay                 time.Duration `yaml:"delay"`
	UseExponentialBackOff bool          `yaml:"useExponentialBackOff"`
	BackOffMultiplier     float64       `yaml:"backOffMultiplier"`
	MaximumDelay          time.Duration `yaml:"maximumDelay"`
}

// Function is a function mappings may invoke: exactly one of URL, Command or ARN.
type Function struct {
	Name        string            `yaml:"name"`
	URL         string            `yaml:"url"`      // HTTP endpoint receiving the event as a POST
	Command     []string          `yaml:"command"`  // executable speaking the Lambda Runtime API
	ARN         string            `yaml:"arn"`      // a real Lambda function, invoked remotely
	Endpoint    string            `yaml:"endpoint"` // Lambda endpoint override for ARN
	Timeout     time.Duration     `yaml:"timeout"`
	MemorySize  int               `yaml:"memorySize"`
	Environment map[string]string `yaml:"environment"`
}

// Default returns the configuration used when no file is given.
func Default() *Config {
	c := &Config{}
	c.SetDefaults()
	return c
}

// Load reads, defaults and validates the file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes YAML, refusing unknown keys, applies defaults and validates.
func Parse(b []byte) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(err, b)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	unknownField = regexp.MustCompile(`field (\S+) not found in type config\.(\w+)`)
	badValue     = regexp.MustCompile("line (\\d+): cannot unmarshal !!\\w+ `([^`]*)` into (\\S+)")
)

// yamlError rewords the decoder's Go type names into the config's own terms, and
// names the key of a value that does not decode.
func yamlError(err error, doc []byte) error {
	where := map[string]string{
		"Config": "at the top level", "Credential": "in credentials", "Broker": "in brokers",
		"TLS": "in brokers[].tls", "Redelivery": "in brokers[].redelivery", "Function": "in functions",
	}
	msg := unknownField.ReplaceAllStringFunc(err.Error(), func(s string) string {
		m := unknownField.FindStringSubmatch(s)
		return fmt.Sprintf("unknown key %q %s", m[1], where[m[2]])
	})
	msg = badValue.ReplaceAllStringFunc(msg, func(s string) string {
		m := badValue.FindStringSubmatch(s)
		line, _ := strconv.Atoi(m[1])
		what := "a " + m[3]
		switch m[3] {
		case "time.Duration":
			what = "a duration such as 500ms, 5s or 1m30s"
		case "int", "int64":
			what = "a whole number"
		case "bool":
			what = "true or false"
		}
		return fmt.Sprintf("%s (line %d): %q is not %s", keyAt(doc, line, m[2]), line, m[2], what)
	})
	msg = strings.ReplaceAll(msg, "yaml: ", "")
	return errors.New(msg)
}

// keyAt returns the path of the key whose scalar value is value, on line of the YAML
// document, as brokers[0].redelivery.delay, or "the value" if there is none.
func keyAt(doc []byte, line int, value string) string {
	var root yaml.Node
	if yaml.Unmarshal(doc, &root) != nil {
		return "the value"
	}
	var walk func(n *yaml.Node, path string) string
	walk = func(n *yaml.Node, path string) string {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if p := walk(c, path); p != "" {
					return p
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if v.Kind == yaml.ScalarNode && v.Line == line && v.Value == value {
					return p
				}
				if found := walk(v, p); found != "" {
					return found
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				if c.Kind == yaml.ScalarNode && c.Line == line && c.Value == value {
					return p
				}
				if found := walk(c, p); found != "" {
					return found
				}
			}
		}
		return ""
	}
	if p := walk(&root, ""); p != "" {
		return p
	}
	return "the value"
}

// SetDefaults fills empty keys with their defaults, including broker ARNs.
func (c *Config) SetDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.AccountID == "" {
		c.AccountID = DefaultAccountID
	}
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	if c.LogFormat == "" {
		c.LogFormat = DefaultLogFormat
	}
	for i := range c.Brokers {
		b := &c.Brokers[i]
		if b.ARN == "" && b.Name != "" {
			b.ARN = BrokerARN(c.Region, c.AccountID, b.Name)
		}
	}
}

// brokerNamespace makes default broker ids a function of the broker's name alone.
var brokerNamespace = uuid.MustParse("5b7c1e0a-6d1f-4c54-9a57-6d7174726967")

// BrokerARN is the default ARN of the broker called name: Amazon MQ's form with an id
// derived from the name, so it is the same on every start and every node.
func BrokerARN(region, accountID, name string) string {
	return fmt.Sprintf("arn:aws:mq:%s:%s:broker:%s:b-%s", region, accountID, name, uuid.NewSHA1(brokerNamespace, []byte(name)))
}

// Broker returns the configured broker with that ARN.
func (c *Config) Broker(arn string) (Broker, bool) {
	for _, b := range c.Brokers {
		if b.ARN == arn {
			return b, true
		}
	}
	return Broker{}, false
}

// BrokerARNs lists the configured brokers' ARNs, in config order.
func (c *Config) BrokerARNs() []string {
	arns := make([]string, len(c.Brokers))
	for i, b := range c.Brokers {
		arns[i] = b.ARN
	}
	return arns
}

// SecretKeyPath is the file holding the key that encrypts secret values.
func (c *Config) SecretKeyPath() string {
	if c.SecretKeyFile != "" {
		return c.SecretKeyFile
	}
	return filepath.Join(c.DataDir, "secret.key")
}
