package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// broker is a private ActiveMQ broker started with the repository's scripts/activemq
// in a directory of its own, on free ports.
type broker struct {
	URL      string // tcp://127.0.0.1:PORT
	User     string
	Password string
	Dir      string

	script string
	port   int
	heap   string
}

// startBroker starts a broker from repo's scripts/activemq with the given heap
// (a java -Xmx value such as "1G") and a fresh data directory under parent.
func startBroker(ctx context.Context, repo, parent, heap string) (*broker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "broker-")
	if err != nil {
		return nil, fmt.Errorf("making the broker directory: %w", err)
	}
	b := &broker{
		URL: fmt.Sprintf("tcp://127.0.0.1:%d", port), User: "admin", Password: "admin",
		Dir: dir, script: filepath.Join(repo, "scripts", "activemq"), port: port, heap: heap,
	}
	if err := b.run(ctx, "start", "--fresh"); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *broker) run(ctx context.Context, command string, extra ...string) error {
	args := append([]string{command, "--port", strconv.Itoa(b.port), "--stomp-port", "0",
		"--user", b.User, "--password", b.Password, "--dir", b.Dir}, extra...)
	cmd := exec.CommandContext(ctx, b.script, args...)
	cmd.Env = append(os.Environ(), "MQTRIGGER_BROKER_HEAP="+b.heap)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("scripts/activemq %s (broker directory %s): %v\n%s", command, b.Dir, err, out.String())
	}
	return nil
}

// Stop stops the broker; keep leaves its directory (with activemq.log) in place.
// Safe to call twice.
func (b *broker) Stop(keep bool) error {
	if b == nil || b.script == "" {
		return nil
	}
	err := b.run(context.Background(), "stop")
	if err != nil {
		// The script itself may have been interrupted (a signal to the whole process
		// group): make sure the broker does not outlive the run.
		if pid := b.PID(); pid > 0 {
			if p, perr := os.FindProcess(pid); perr == nil && p.Signal(syscall.SIGTERM) == nil {
				err = fmt.Errorf("%w (sent SIGTERM to broker pid %d)", err, pid)
			}
		}
	}
	if !keep {
		os.RemoveAll(b.Dir)
	}
	b.script = ""
	return err
}

// PID is the broker JVM's process id, or 0.
func (b *broker) PID() int {
	raw, err := os.ReadFile(filepath.Join(b.Dir, "broker.pid"))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	return n
}

// LogPath is the broker's log file.
func (b *broker) LogPath() string { return filepath.Join(b.Dir, "activemq.log") }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
