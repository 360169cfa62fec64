// Package brokertest gives integration tests a real ActiveMQ Classic broker.
//
// A test binary gets one shared broker, started on first use on a free port from
// the project's scripts/activemq (Debian's activemq package) and stopped when the
// binary ends, provided the package's TestMain calls Main:
//
//	func TestMain(m *testing.M) { os.Exit(brokertest.Main(m)) }
//
// Setting MQTRIGGER_TEST_BROKER (for example tcp://127.0.0.1:61616, with
// MQTRIGGER_TEST_BROKER_USER and MQTRIGGER_TEST_BROKER_PASSWORD, default admin/admin)
// makes Shared reuse that broker instead. Tests that must stop, restart or kill a
// broker start a private one with Start.
package brokertest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Broker is a running ActiveMQ broker.
type Broker struct {
	URL       string // tcp://127.0.0.1:PORT
	Host      string // 127.0.0.1:PORT
	Port      int
	StompPort int
	MQTTPort  int // 0 unless Options.MQTT
	User      string
	Password  string
	Dir       string // broker directory (config, data, activemq.log); empty for an external broker

	opts    Options
	managed bool
}

// Options adjust a private broker.
type Options struct {
	User, Password string   // default admin/admin
	ExtraUsers     []string // "user:password" pairs
	DLQ            string   // "shared" (default) or "individual"
	SSLPort        int      // 0: no TLS connector
	Keystore       string   // JKS keystore for SSLPort
	Port           int      // 0: a free port
	// Authz turns on an authorizationPlugin: ExtraUsers may use only the
	// destinations matching this pattern (e.g. "allowed.>"); User may use all.
	Authz string
	// AbortSlowAck is "maxTimeSinceLastAck,checkPeriod" in milliseconds: the
	// broker aborts a consumer that holds messages that long without an ack
	// (abortSlowAckConsumerStrategy).
	AbortSlowAck string
	// SharedData puts KahaDB in this directory with a shared-file-locker:
	// brokers given the same directory form an active/standby pair.
	SharedData string
	// Standby makes Start return without waiting for the connectors: a
	// shared-storage standby opens them only once it holds the lock.
	Standby bool
	// MQTT adds an MQTT connector on a free port (needs libmqtt-client-java).
	MQTT bool
	// PersistRedelivered keeps the persistJMSRedelivered policy that
	// scripts/activemq sets by default. Test brokers leave it out, as ActiveMQ's
	// own default does: with it the broker raises a message's stored redelivery
	// counter on every dispatch (to a prefetch buffer or a browser too), which
	// the tests of exact counters would see.
	PersistRedelivered bool
}

var (
	sharedOnce sync.Once
	shared     *Broker
	sharedErr  error
	started    []*Broker
	startedMu  sync.Mutex
)

// Main runs the tests and then stops every broker this binary started.
func Main(m *testing.M) int {
	code := m.Run()
	StopAll()
	return code
}

// StopAll stops the brokers this process started; Main calls it.
func StopAll() {
	startedMu.Lock()
	list := started
	started = nil
	startedMu.Unlock()
	for _, b := range list {
		_ = b.Stop()
	}
}

// Shared returns the test binary's shared broker, starting it on first use.
func Shared(t testing.TB) *Broker {
	t.Helper()
	sharedOnce.Do(func() {
		if url := os.Getenv("MQTRIGGER_TEST_BROKER"); url != "" {
			shared = external(url)
			return
		}
		shared, sharedErr = startBroker(Options{})
	})
	if sharedErr != nil {
		t.Fatalf("brokertest: %v", sharedErr)
	}
	return shared
}

// Start starts a private broker that is stopped when the test ends.
func Start(t testing.TB, opts Options) *Broker {
	t.Helper()
	b, err := startBroker(opts)
	if err != nil {
		t.Fatalf("brokertest: %v", err)
	}
	t.Cleanup(func() { _ = b.Stop() })
	return b
}

func external(url string) *Broker {
	host := strings.TrimPrefix(url, "tcp://")
	_, p, _ := net.SplitHostPort(host)
	port, _ := strconv.Atoi(p)
	b := &Broker{URL: url, Host: host, Port: port, User: "admin", Password: "admin"}
	if u := os.Getenv("MQTRIGGER_TEST_BROKER_USER"); u != "" {
		b.User = u
	}
	if pw := os.Getenv("MQTRIGGER_TEST_BROKER_PASSWORD"); pw != "" {
		b.Password = pw
	}
	return b
}

func startBroker(opts Options) (*Broker, error) {
	if opts.User == "" {
		opts.User, opts.Password = "admin", "admin"
	}
	if opts.DLQ == "" {
		opts.DLQ = "shared"
	}
	port := opts.Port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	stomp, err := freePort()
	if err != nil {
		return nil, err
	}
	mqtt := 0
	if opts.MQTT {
		if mqtt, err = freePort(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "mqtrigger-broker-")
	if err != nil {
		return nil, err
	}
	b := &Broker{
		URL: fmt.Sprintf("tcp://127.0.0.1:%d", port), Host: fmt.Sprintf("127.0.0.1:%d", port),
		Port: port, StompPort: stomp, MQTTPort: mqtt, User: opts.User, Password: opts.Password, Dir: dir,
		opts: opts, managed: true,
	}
	if err := b.run("start"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	startedMu.Lock()
	started = append(started, b)
	startedMu.Unlock()
	return b, nil
}

// Script is the path of scripts/activemq in this repository.
func Script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scripts", "activemq")
}

func (b *Broker) run(command string, extra ...string) error {
	args := []string{command, "--port", strconv.Itoa(b.Port), "--stomp-port", strconv.Itoa(b.StompPort),
		"--user", b.User, "--password", b.Password, "--dir", b.Dir, "--dlq", b.opts.DLQ,
		"--users", strings.Join(b.opts.ExtraUsers, ",")}
	if b.opts.Authz != "" {
		args = append(args, "--authz", b.opts.Authz)
	}
	if b.opts.AbortSlowAck != "" {
		args = append(args, "--abort-slow-ack", b.opts.AbortSlowAck)
	}
	if b.opts.SharedData != "" {
		args = append(args, "--shared-data", b.opts.SharedData)
	}
	if !b.opts.PersistRedelivered {
		args = append(args, "--no-persist-redelivered")
	}
	if b.opts.Standby && command == "start" {
		args = append(args, "--no-wait")
	}
	if b.MQTTPort != 0 {
		args = append(args, "--mqtt-port", strconv.Itoa(b.MQTTPort))
	}
	if b.opts.SSLPort != 0 {
		args = append(args, "--ssl-port", strconv.Itoa(b.opts.SSLPort), "--keystore", b.opts.Keystore)
	}
	args = append(args, extra...)
	cmd := exec.Command(Script(), args...)
	cmd.Env = append(os.Environ(), "MQTRIGGER_BROKER_HEAP=384M")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("scripts/activemq %s: %v\n%s", command, err, out.String())
	}
	return nil
}

// Stop stops a broker this package started (its data directory is removed) and
// does nothing to an external one.
func (b *Broker) Stop() error {
	if !b.managed {
		return nil
	}
	err := b.run("stop")
	os.RemoveAll(b.Dir)
	return err
}

// Halt stops the broker but keeps its data, so Resume brings back the stored messages.
func (b *Broker) Halt() error { return b.run("stop") }

// Resume starts a halted broker again on the same port and data directory.
func (b *Broker) Resume() error { return b.run("start") }

// Restart stops and starts the broker, keeping its persistent messages.
func (b *Broker) Restart() error {
	if err := b.Halt(); err != nil {
		return err
	}
	return b.Resume()
}

// SetExtraUsers replaces the extra "user:password" pairs of a halted private broker;
// they take effect at the next Resume (the broker's config is rewritten on every
// start), as when an operator changes a password.
func (b *Broker) SetExtraUsers(users []string) {
	b.opts.ExtraUsers = append([]string(nil), users...)
}

// Kill ends the broker's JVM with SIGKILL, as a crash would.
func (b *Broker) Kill() error {
	pid, err := os.ReadFile(filepath.Join(b.Dir, "broker.pid"))
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(pid)))
	p, err := os.FindProcess(n)
	if err != nil {
		return err
	}
	if err := p.Kill(); err != nil {
		return err
	}
	for i := 0; i < 100; i++ {
		if exec.Command("kill", "-0", strconv.Itoa(n)).Run() != nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("broker pid %d did not exit", n)
}

// LogPath is the broker's log file.
func (b *Broker) LogPath() string { return filepath.Join(b.Dir, "activemq.log") }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
