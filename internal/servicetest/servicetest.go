// Package servicetest runs the real mqtrigger binary for end-to-end tests: it builds
// cmd/mqtrigger once per test binary, writes a config, starts `mqtrigger serve`, waits
// for /healthz, and hands out aws-sdk-go-v2 clients signed with the configured
// credentials.
package servicetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Credentials every service started here accepts.
const (
	AccessKeyID     = "AKIDSERVICETEST"
	SecretAccessKey = "servicetest-secret-key"
	Region          = "us-east-1"
	AccountID       = "123456789012"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/mqtrigger once per test binary and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mqtrigger-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "mqtrigger")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/mqtrigger")
		cmd.Dir = RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/mqtrigger: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Broker is one broker entry of the config.
type Broker struct {
	Name      string
	ARN       string
	Endpoints []string
	// RedeliveryDelay, when set, is both delays of brokers[].redelivery
	// (initialDelay and delay), to make redelivery tests quick.
	RedeliveryDelay time.Duration
}

// Function is one function entry of the config.
type Function struct {
	Name    string
	URL     string
	Command []string
	Timeout string
}

// Options describe the service to start.
type Options struct {
	Brokers   []Broker
	Functions []Function
	Store     string // "" for SQLite in DataDir
	DataDir   string // default: a temporary directory (kept across Restart)
	Extra     string // more YAML appended to the config
}

// Service is a running mqtrigger process.
type Service struct {
	URL     string
	DataDir string
	Config  string // path of the config file
	LogPath string
	t       testing.TB
	cmd     *exec.Cmd
	exited  chan struct{}
	addr    string

	clientsOnce sync.Once
	lambda      *lambda.Client
	secrets     *secretsmanager.Client
}

// Start writes the config and starts the service; it is stopped when the test ends.
func Start(t testing.TB, o Options) *Service {
	t.Helper()
	bin := Binary(t)
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{t: t, DataDir: o.DataDir, addr: fmt.Sprintf("127.0.0.1:%d", port)}
	s.URL = "http://" + s.addr
	s.Config = filepath.Join(o.DataDir, "mqtrigger.yaml")
	s.LogPath = filepath.Join(o.DataDir, "mqtrigger.log")
	if err := os.WriteFile(s.Config, []byte(configYAML(s.addr, o)), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start(bin)
	t.Cleanup(func() { s.Stop() })
	return s
}

func configYAML(addr string, o Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %s\ndataDir: %s\nstore: %q\nregion: %s\naccountId: %q\n", addr, o.DataDir, o.Store, Region, AccountID)
	fmt.Fprintf(&b, "credentials:\n  - accessKeyId: %s\n    secretAccessKey: %s\n", AccessKeyID, SecretAccessKey)
	if len(o.Brokers) > 0 {
		b.WriteString("brokers:\n")
		for _, br := range o.Brokers {
			fmt.Fprintf(&b, "  - name: %s\n", br.Name)
			if br.ARN != "" {
				fmt.Fprintf(&b, "    arn: %s\n", br.ARN)
			}
			b.WriteString("    endpoints: [")
			for i, e := range br.Endpoints {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%q", e)
			}
			b.WriteString("]\n")
			if br.RedeliveryDelay > 0 {
				fmt.Fprintf(&b, "    redelivery: {initialDelay: %s, delay: %s}\n", br.RedeliveryDelay, br.RedeliveryDelay)
			}
		}
	}
	if len(o.Functions) > 0 {
		b.WriteString("functions:\n")
		for _, f := range o.Functions {
			fmt.Fprintf(&b, "  - name: %s\n", f.Name)
			if f.URL != "" {
				fmt.Fprintf(&b, "    url: %s\n", f.URL)
			}
			if len(f.Command) > 0 {
				b.WriteString("    command: [")
				for i, c := range f.Command {
					if i > 0 {
						b.WriteString(", ")
					}
					fmt.Fprintf(&b, "%q", c)
				}
				b.WriteString("]\n")
			}
			if f.Timeout != "" {
				fmt.Fprintf(&b, "    timeout: %s\n", f.Timeout)
			}
		}
	}
	b.WriteString(o.Extra)
	return b.String()
}

func (s *Service) start(bin string) {
	s.t.Helper()
	logf, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", s.Config)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // functions it starts die with it on Kill
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(s.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-s.exited:
			s.t.Fatalf("mqtrigger exited while starting:\n%s", s.Log())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("mqtrigger did not answer /healthz in 30 s:\n%s", s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Log is what the service wrote so far.
func (s *Service) Log() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}

// Pid is the service's process id.
func (s *Service) Pid() int { return s.cmd.Process.Pid }

// Kill ends the service and the functions it started with SIGKILL, as a crash would.
func (s *Service) Kill() {
	if s.cmd == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// Stop ends the service with SIGTERM and waits for its clean shutdown.
func (s *Service) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(60 * time.Second):
		s.t.Errorf("mqtrigger did not stop within 60 s of SIGTERM")
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
	s.cmd = nil
}

// Restart starts the service again with the same config and data directory.
func (s *Service) Restart() {
	s.t.Helper()
	s.Stop()
	s.start(Binary(s.t))
}

// Start again after Kill or Stop.
func (s *Service) Resume() {
	s.t.Helper()
	s.start(Binary(s.t))
}

// RSS returns the process's resident set size and its peak, in bytes.
func (s *Service) RSS() (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Pid()))
	if err != nil {
		return 0, 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb * 1024
		case "VmHWM:":
			peak = kb * 1024
		}
	}
	return rss, peak
}

// AWSConfig is an aws.Config signed with the service's credentials.
func (s *Service) AWSConfig() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
	}
}

// Lambda is a Lambda client for the service.
// It is made once per Service, so its kept-alive connections are reused.
func (s *Service) Lambda() *lambda.Client {
	s.clientsOnce.Do(s.makeClients)
	return s.lambda
}

// SecretsManager is a Secrets Manager client for the service.
func (s *Service) SecretsManager() *secretsmanager.Client {
	s.clientsOnce.Do(s.makeClients)
	return s.secrets
}

func (s *Service) makeClients() {
	s.lambda = lambda.NewFromConfig(s.AWSConfig(), func(o *lambda.Options) { o.BaseEndpoint = aws.String(s.URL) })
	s.secrets = secretsmanager.NewFromConfig(s.AWSConfig(), func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// CreateBasicAuthSecret stores broker credentials and returns the secret's ARN.
func (s *Service) CreateBasicAuthSecret(ctx context.Context, name, user, password string) (string, error) {
	value := fmt.Sprintf(`{"username":%q,"password":%q}`, user, password)
	out, err := s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ARN), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
