package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/openwire"
)

var (
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$`)
	accountPattern   = regexp.MustCompile(`^\d{12}$`)
	brokerNameR      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,50}$`)
	brokerARNPattern = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:mq:[a-z0-9-]+:\d{12}:broker:[A-Za-z0-9_-]+:b-[A-Za-z0-9-]+$`)
	lambdaARNPattern = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_]{1,64}(:(\$LATEST|[a-zA-Z0-9-_]+))?$`)
)

// Validate checks every key and returns the first problem, naming the key and what is
// wrong with it, e.g. `brokers[1].endpoints[0]: "htp://x" is not a tcp://, ssl:// or
// failover:(...) URL`. Call it after SetDefaults.
func (c *Config) Validate() error {
	if err := validateListen(c.Listen); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return fmt.Errorf("dataDir: must not be empty")
	}
	if c.Store != "" {
		u, err := url.Parse(c.Store)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return fmt.Errorf("store: %q is not a postgres://user@host:port/db URL (leave it empty for the embedded SQLite store)", redact(c.Store))
		}
	}
	if !regionPattern.MatchString(c.Region) {
		return fmt.Errorf("region: %q is not an AWS region name like us-east-1", c.Region)
	}
	if !accountPattern.MatchString(c.AccountID) {
		return fmt.Errorf("accountId: %q is not a 12-digit AWS account id (quote it in YAML to keep leading zeros)", c.AccountID)
	}
	ids := map[string]int{}
	for i, cr := range c.Credentials {
		key := fmt.Sprintf("credentials[%d]", i)
		switch {
		case cr.AccessKeyID == "":
			return fmt.Errorf("%s.accessKeyId: missing", key)
		case strings.ContainsAny(cr.AccessKeyID, "/ ,="):
			return fmt.Errorf("%s.accessKeyId: %q must not contain '/', ',', '=' or spaces", key, cr.AccessKeyID)
		case cr.SecretAccessKey == "":
			return fmt.Errorf("%s.secretAccessKey: missing", key)
		}
		if j, dup := ids[cr.AccessKeyID]; dup {
			return fmt.Errorf("%s.accessKeyId: %q is already used by credentials[%d]", key, cr.AccessKeyID, j)
		}
		ids[cr.AccessKeyID] = i
	}
	names, arns := map[string]int{}, map[string]int{}
	for i, b := range c.Brokers {
		key := fmt.Sprintf("brokers[%d]", i)
		if err := b.validate(key); err != nil {
			return err
		}
		if j, dup := names[b.Name]; dup {
			return fmt.Errorf("%s.name: %q is already used by brokers[%d]", key, b.Name, j)
		}
		if j, dup := arns[b.ARN]; dup {
			return fmt.Errorf("%s.arn: %q is already used by brokers[%d]", key, b.ARN, j)
		}
		names[b.Name], arns[b.ARN] = i, i
	}
	fnames := map[string]int{}
	for i, f := range c.Functions {
		key := fmt.Sprintf("functions[%d]", i)
		if err := f.validate(key); err != nil {
			return err
		}
		if j, dup := fnames[f.Name]; dup {
			return fmt.Errorf("%s.name: %q is already used by functions[%d]", key, f.Name, j)
		}
		fnames[f.Name] = i
	}
	if err := c.Console.validate(ids); err != nil {
		return err
	}
	if err := c.validateCluster(); err != nil {
		return err
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("logLevel: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("logFormat: %q is not text or json", c.LogFormat)
	}
	return nil
}

func validateListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:9070)", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q has no valid port", addr)
	}
	_ = host // empty host listens on every interface, as net.Listen does
	return nil
}

func (b *Broker) validate(key string) error {
	if !brokerNameR.MatchString(b.Name) {
		return fmt.Errorf("%s.name: %q must be 1 to 50 letters, digits, '-' or '_'", key, b.Name)
	}
	if !brokerARNPattern.MatchString(b.ARN) {
		return fmt.Errorf("%s.arn: %q is not a broker ARN like arn:aws:mq:us-east-1:123456789012:broker:%s:b-1234", key, b.ARN, b.Name)
	}
	if len(b.Endpoints) == 0 {
		return fmt.Errorf("%s.endpoints: at least one tcp://, ssl:// or failover:(...) URL is needed", key)
	}
	secure := false
	for j, e := range b.Endpoints {
		ekey := fmt.Sprintf("%s.endpoints[%d]", key, j)
		if strings.HasPrefix(e, "failover:") && len(b.Endpoints) > 1 {
			return fmt.Errorf("%s: a failover:(...) URL must be the only endpoint", ekey)
		}
		// The client's own rule, so what the config accepts is what Dial can use.
		u, err := openwire.ParseURL(e)
		if err != nil {
			return fmt.Errorf("%s: %w", ekey, err)
		}
		secure = secure || u.TLS
	}
	if t := b.TLS; t != nil {
		if !secure {
			return fmt.Errorf("%s.tls: set, but no endpoint is ssl://", key)
		}
		if (t.CertFile == "") != (t.KeyFile == "") {
			return fmt.Errorf("%s.tls: certFile and keyFile go together (client certificate and its key)", key)
		}
		for name, path := range map[string]string{"caFile": t.CAFile, "certFile": t.CertFile, "keyFile": t.KeyFile} {
			if path == "" {
				continue
			}
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("%s.tls.%s: %v", key, name, err)
			}
		}
	}
	if r := b.Redelivery; r != nil {
		rkey := key + ".redelivery"
		for name, d := range map[string]time.Duration{"initialDelay": r.InitialDelay, "delay": r.Delay, "maximumDelay": r.MaximumDelay} {
			if d < 0 {
				return fmt.Errorf("%s.%s: %s is negative", rkey, name, d)
			}
		}
		if r.BackOffMultiplier != 0 && r.BackOffMultiplier < 1 {
			return fmt.Errorf("%s.backOffMultiplier: %v must be at least 1", rkey, r.BackOffMultiplier)
		}
		if r.MaximumDelay > 0 && r.Delay > r.MaximumDelay {
			return fmt.Errorf("%s.maximumDelay: %s is shorter than delay %s", rkey, r.MaximumDelay, r.Delay)
		}
	}
	return nil
}

func (f *Function) validate(key string) error {
	if !function.ValidName(f.Name) {
		return fmt.Errorf("%s.name: %q must be 1 to 64 letters, digits, '-' or '_'", key, f.Name)
	}
	kinds := 0
	for _, set := range []bool{f.URL != "", len(f.Command) > 0, f.ARN != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return fmt.Errorf("%s: give exactly one of url, command or arn", key)
	}
	if f.URL != "" {
		u, err := url.Parse(f.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s.url: %q is not an http:// or https:// URL", key, f.URL)
		}
	}
	if len(f.Command) > 0 && strings.TrimSpace(f.Command[0]) == "" {
		return fmt.Errorf("%s.command: the first element must name the executable", key)
	}
	if f.ARN != "" && !lambdaARNPattern.MatchString(f.ARN) {
		return fmt.Errorf("%s.arn: %q is not a Lambda function ARN like arn:aws:lambda:us-east-1:123456789012:function:name", key, f.ARN)
	}
	if f.Endpoint != "" {
		if f.ARN == "" {
			return fmt.Errorf("%s.endpoint: only applies to a function given by arn", key)
		}
		u, err := url.Parse(f.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s.endpoint: %q is not an http:// or https:// URL", key, f.Endpoint)
		}
	}
	if f.Timeout < 0 || f.Timeout > function.MaxTimeout {
		return fmt.Errorf("%s.timeout: %s is outside 1s..15m", key, f.Timeout)
	}
	if f.Timeout != 0 && f.Timeout < time.Second {
		return fmt.Errorf("%s.timeout: %s is outside 1s..15m", key, f.Timeout)
	}
	if f.MemorySize != 0 && (f.MemorySize < function.MinMemorySize || f.MemorySize > function.MaxMemorySize) {
		return fmt.Errorf("%s.memorySize: %d is outside %d..%d (MB)", key, f.MemorySize, function.MinMemorySize, function.MaxMemorySize)
	}
	for k := range f.Environment {
		if !function.ValidEnvKey(k) {
			return fmt.Errorf("%s.environment: %q is not a variable name (a letter, then letters, digits or '_')", key, k)
		}
	}
	return nil
}

// redact hides a password in a URL for error messages.
func redact(raw string) string {
	return userinfo.ReplaceAllString(raw, "://$1:xxxxx@")
}

var userinfo = regexp.MustCompile(`://([^:@/]*):[^@/]*@`)

// validate checks the console users; credentials holds the access key ids, which
// sign in too, so a user may not take one's name.
func (c *Console) validate(credentials map[string]int) error {
	seen := map[string]int{}
	for i, u := range c.Users {
		key := fmt.Sprintf("console.users[%d]", i)
		switch {
		case strings.TrimSpace(u.Name) == "":
			return fmt.Errorf("%s.name: missing", key)
		case (u.Password == "") == (u.PasswordHash == ""):
			return fmt.Errorf("%s: give one of password or passwordHash", key)
		}
		if u.PasswordHash != "" {
			if _, err := ParsePasswordHash(u.PasswordHash); err != nil {
				return fmt.Errorf("%s.passwordHash: %w", key, err)
			}
		}
		if j, dup := seen[u.Name]; dup {
			return fmt.Errorf("%s.name: %q is already used by console.users[%d]", key, u.Name, j)
		}
		if j, dup := credentials[u.Name]; dup {
			return fmt.Errorf("%s.name: %q is the access key id of credentials[%d]", key, u.Name, j)
		}
		seen[u.Name] = i
	}
	return nil
}
