package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const full = `
listen: 127.0.0.1:9071
dataDir: /tmp/mqt
store: postgres://postgres@127.0.0.1:5432/test
region: eu-west-1
accountId: "000000000042"
credentials:
  - accessKeyId: AKIDEXAMPLE
    secretAccessKey: wJalrXUtnFEMI
brokers:
  - name: ExampleMQBroker
    arn: arn:aws:mq:us-east-1:123456789012:broker:ExampleMQBroker:b-1234
    endpoints: ["tcp://127.0.0.1:61616"]
  - name: Other
    endpoints: ["failover:(ssl://a:61617,ssl://b:61617)?randomize=false"]
    tls: {insecureSkipVerify: true}
    redelivery: {initialDelay: 1s, delay: 500ms, useExponentialBackOff: true, backOffMultiplier: 2, maximumDelay: 1m}
functions:
  - name: orders-http
    url: http://127.0.0.1:8080/orders
    timeout: 30s
  - name: orders-local
    command: ["./bin/orders-handler"]
    memorySize: 256
    environment: {AB: b}
  - name: orders-lambda
    arn: arn:aws:lambda:us-east-1:123456789012:function:orders
    endpoint: http://127.0.0.1:4566
secretKeyFile: /tmp/key
logLevel: debug
logFormat: json
`

func TestParseFull(t *testing.T) {
	c, err := Parse([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9071" || c.Region != "eu-west-1" || c.AccountID != "000000000042" || c.LogFormat != "json" {
		t.Fatalf("top level: %+v", c)
	}
	if got := c.Brokers[0].ARN; got != "arn:aws:mq:us-east-1:123456789012:broker:ExampleMQBroker:b-1234" {
		t.Fatalf("given ARN changed: %s", got)
	}
	want := BrokerARN("eu-west-1", "000000000042", "Other")
	if c.Brokers[1].ARN != want || !strings.HasPrefix(want, "arn:aws:mq:eu-west-1:000000000042:broker:Other:b-") {
		t.Fatalf("default ARN %s, want %s", c.Brokers[1].ARN, want)
	}
	if r := c.Brokers[1].Redelivery; r.InitialDelay != time.Second || r.Delay != 500*time.Millisecond || r.MaximumDelay != time.Minute || r.BackOffMultiplier != 2 {
		t.Fatalf("redelivery %+v", r)
	}
	if c.Functions[0].Timeout != 30*time.Second || c.Functions[1].Environment["AB"] != "b" {
		t.Fatalf("functions %+v", c.Functions)
	}
	if b, ok := c.Broker(want); !ok || b.Name != "Other" {
		t.Fatalf("Broker(%s) = %v, %v", want, b, ok)
	}
	if _, ok := c.Broker("arn:aws:mq:eu-west-1:000000000042:broker:Nope:b-1"); ok {
		t.Fatal("unknown ARN found")
	}
	if c.SecretKeyPath() != "/tmp/key" {
		t.Fatal(c.SecretKeyPath())
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9070" || c.DataDir != "./data" || c.Region != "us-east-1" || c.AccountID != "123456789012" ||
		c.Store != "" || c.LogLevel != "info" || c.LogFormat != "text" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.SecretKeyPath() != filepath.Join("data", "secret.key") {
		t.Fatal(c.SecretKeyPath())
	}
	d := Default()
	if d.Listen != c.Listen || d.Validate() != nil {
		t.Fatal("Default differs from an empty file")
	}
}

func TestBrokerARNStable(t *testing.T) {
	a := BrokerARN("us-east-1", "123456789012", "b1")
	if a != BrokerARN("us-east-1", "123456789012", "b1") {
		t.Fatal("not deterministic")
	}
	if a == BrokerARN("us-east-1", "123456789012", "b2") {
		t.Fatal("two names, one ARN")
	}
	// The id depends on the name only.
	if strings.TrimPrefix(a, "arn:aws:mq:us-east-1:123456789012:") != strings.TrimPrefix(BrokerARN("eu-west-1", "123456789012", "b1"), "arn:aws:mq:eu-west-1:123456789012:") {
		t.Fatal("id depends on the region")
	}
}

func TestValidateErrors(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "c.pem")
	if err := os.WriteFile(cert, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	const broker = "brokers: [{name: b, endpoints: [\"tcp://h:1\"]}]\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown top key", "lisen: x\n", `unknown key "lisen" at the top level`},
		{"unknown broker key", "brokers: [{name: b, endpoint: [x]}]\n", `unknown key "endpoint" in brokers`},
		{"unknown function key", "functions: [{name: f, uri: x}]\n", `unknown key "uri" in functions`},
		{"bad yaml", "listen: [\n", "line"},
		{"bad duration", "brokers: [{name: b, endpoints: [\"tcp://h:1\"], redelivery: {delay: fast}}]\n",
			`brokers[0].redelivery.delay (line 1): "fast" is not a duration such as 500ms, 5s or 1m30s`},
		{"bad duration in a block", "functions:\n  - name: f\n    url: http://h\n    timeout: 3 seconds\n",
			`functions[0].timeout (line 4): "3 seconds" is not a duration`},
		{"bad bool beside a good value", "brokers: [{name: b, endpoints: [\"tcp://h:1\"], redelivery: {delay: 1s, useExponentialBackOff: maybe}}]\n",
			`brokers[0].redelivery.useExponentialBackOff (line 1): "maybe" is not true or false`},
		{"listen", "listen: localhost\n", `listen: "localhost" is not host:port`},
		{"store", "store: mysql://x\n", `store: "mysql://x" is not a postgres://`},
		{"store password hidden", "store: mysql://u:hunter2@x/db\n", `"mysql://u:xxxxx@x/db"`},
		{"region", "region: Mars\n", `region: "Mars"`},
		{"account", "accountId: 42\n", `accountId: "42" is not a 12-digit`},
		{"credential id", "credentials: [{secretAccessKey: s}]\n", "credentials[0].accessKeyId: missing"},
		{"credential secret", "credentials: [{accessKeyId: a}]\n", "credentials[0].secretAccessKey: missing"},
		{"credential dup", "credentials: [{accessKeyId: a, secretAccessKey: s}, {accessKeyId: a, secretAccessKey: t}]\n",
			`credentials[1].accessKeyId: "a" is already used by credentials[0]`},
		{"broker name", "brokers: [{name: 'a b', endpoints: [\"tcp://h:1\"]}]\n", `brokers[0].name: "a b"`},
		{"broker no endpoints", "brokers: [{name: b}]\n", "brokers[0].endpoints: at least one"},
		{"broker scheme", "brokers: [{name: a, endpoints: [\"tcp://h:1\"]}, {name: b, endpoints: [\"htp://x\"]}]\n",
			`brokers[1].endpoints[0]: openwire: URL "htp://x": scheme must be tcp, ssl or failover`},
		{"broker bad port", "brokers: [{name: b, endpoints: [\"tcp://h:0\"]}]\n", `brokers[0].endpoints[0]: openwire: URL "tcp://h:0": port "0" is not 1 to 65535`},
		{"failover option the client lacks", "brokers: [{name: b, endpoints: [\"failover:(tcp://h:1)?timeout=5\"]}]\n",
			`brokers[0].endpoints[0]: openwire: URL "failover:(tcp://h:1)?timeout=5": failover option timeout is not supported by this client`},
		{"failover not alone", "brokers: [{name: b, endpoints: [\"tcp://h:1\", \"failover:(tcp://h:2)\"]}]\n",
			"brokers[0].endpoints[1]: a failover:(...) URL must be the only endpoint"},
		{"failover inner", "brokers: [{name: b, endpoints: [\"failover:(tcp://h:1,amqp://h:2)\"]}]\n", `brokers[0].endpoints[0]: openwire: URL "amqp://h:2": scheme must be tcp, ssl or failover`},
		{"failover unclosed", "brokers: [{name: b, endpoints: [\"failover:(tcp://h:1\"]}]\n", "missing ')' in failover list"},
		{"broker arn", "brokers: [{name: b, arn: 'arn:aws:sqs:us-east-1:123456789012:q', endpoints: [\"tcp://h:1\"]}]\n", "brokers[0].arn:"},
		{"broker dup name", "brokers: [{name: b, endpoints: [\"tcp://h:1\"]}, {name: b, endpoints: [\"tcp://h:2\"]}]\n", `brokers[1].name: "b" is already used`},
		{"tls without ssl", "brokers: [{name: b, endpoints: [\"tcp://h:1\"], tls: {insecureSkipVerify: true}}]\n", "brokers[0].tls: set, but no endpoint is ssl://"},
		{"tls cert without key", "brokers: [{name: b, endpoints: [\"ssl://h:1\"], tls: {certFile: " + cert + "}}]\n", "brokers[0].tls: certFile and keyFile go together"},
		{"tls missing file", "brokers: [{name: b, endpoints: [\"ssl://h:1\"], tls: {caFile: /nonexistent/ca.pem}}]\n", "brokers[0].tls.caFile:"},
		{"redelivery negative", "brokers: [{name: b, endpoints: [\"tcp://h:1\"], redelivery: {delay: -1s}}]\n", "brokers[0].redelivery.delay: -1s is negative"},
		{"redelivery multiplier", "brokers: [{name: b, endpoints: [\"tcp://h:1\"], redelivery: {backOffMultiplier: 0.5}}]\n", "brokers[0].redelivery.backOffMultiplier"},
		{"function none", broker + "functions: [{name: f}]\n", "functions[0]: give exactly one of url, command or arn"},
		{"function two", "functions: [{name: f, url: 'http://h', arn: 'arn:aws:lambda:us-east-1:123456789012:function:f'}]\n", "functions[0]: give exactly one"},
		{"function name", "functions: [{name: 'f:1', url: 'http://h'}]\n", `functions[0].name: "f:1"`},
		{"function url", "functions: [{name: f, url: 'ftp://h'}]\n", `functions[0].url: "ftp://h"`},
		{"function arn", "functions: [{name: f, arn: 'arn:aws:sqs:us-east-1:123456789012:q'}]\n", "functions[0].arn:"},
		{"function endpoint without arn", "functions: [{name: f, url: 'http://h', endpoint: 'http://x'}]\n", "functions[0].endpoint: only applies"},
		{"function timeout", "functions: [{name: f, url: 'http://h', timeout: 16m}]\n", "functions[0].timeout: 16m0s is outside"},
		{"function memory", "functions: [{name: f, url: 'http://h', memorySize: 64}]\n", "functions[0].memorySize: 64"},
		{"function dup", "functions: [{name: f, url: 'http://h'}, {name: f, command: [x]}]\n", `functions[1].name: "f" is already used`},
		{"log level", "logLevel: loud\n", `logLevel: "loud"`},
		{"log format", "logFormat: xml\n", `logFormat: "xml"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.yaml)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, y := range []string{
		"listen: 127.0.0.1:0\n",
		"listen: ':9070'\n",
		"store: postgresql://u:p@h:5432/db?sslmode=disable\n",
		"brokers: [{name: b, endpoints: [\"ssl://h:61617?wireFormat.maxInactivityDuration=0\", \"tcp://h2:61616\"]}]\n",
		"brokers: [{name: b, endpoints: [\"failover:(tcp://a:1)\"]}]\n",
		"functions: [{name: f, arn: 'arn:aws:lambda:us-east-1:123456789012:function:f:prod'}]\n",
		"logLevel: WARN\n",
	} {
		if _, err := Parse([]byte(y)); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("region: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "region:") {
		t.Fatalf("Load error %v does not name the file and key", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("missing file accepted")
	}
}
