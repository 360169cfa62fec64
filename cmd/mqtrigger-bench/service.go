package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// serviceConfig is what the benchmark writes into mqtrigger's YAML config: only
// keys of the documented outside contract.
type serviceConfig struct {
	Listen                   string
	AccessKeyID, SecretKey   string
	Region, AccountID        string
	BrokerName, BrokerARN    string
	BrokerURL                string
	HTTPFunction, HTTPTarget string // name and URL of the HTTP function
	Pprof                    bool   // serve /debug/pprof/ (key pprof, only written when set)
}

func (c serviceConfig) yaml(dataDir string) string {
	q := strconv.Quote
	extra := ""
	if c.Pprof {
		extra = "pprof: true\n"
	}
	return extra + fmt.Sprintf(`listen: %s
dataDir: %s
store: ""
region: %s
accountId: %s
credentials:
  - accessKeyId: %s
    secretAccessKey: %s
brokers:
  - name: %s
    arn: %s
    endpoints: [%s]
functions:
  - name: %s
    url: %s
`, q(c.Listen), q(dataDir), q(c.Region), q(c.AccountID), q(c.AccessKeyID), q(c.SecretKey),
		q(c.BrokerName), q(c.BrokerARN), q(c.BrokerURL), q(c.HTTPFunction), q(c.HTTPTarget))
}

// goBuild builds the package pkg of the module in repo into out.
func goBuild(ctx context.Context, repo, pkg, out string, ldflags string) error {
	args := []string{"build", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	msg, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
	}
	return nil
}

// service is a running `mqtrigger serve` process.
type service struct {
	Base string // http://listen
	Log  string // its combined stdout and stderr

	cmd     *exec.Cmd
	pid     int
	exited  chan struct{}
	waitErr error

	sampled  atomic.Int64 // highest VmRSS (kB) seen by the sampler since the last reset
	stopOnce sync.Once
	stop     chan struct{}
	sampler  sync.WaitGroup
}

// startService writes cfg into dir, starts bin serve on it and waits for /healthz.
func startService(ctx context.Context, bin, dir string, cfg serviceConfig) (*service, error) {
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg.yaml(filepath.Join(dir, "data"))), 0o600); err != nil {
		return nil, fmt.Errorf("writing mqtrigger's config: %w", err)
	}
	s := &service{Base: "http://" + cfg.Listen, Log: filepath.Join(dir, "mqtrigger.log"),
		exited: make(chan struct{}), stop: make(chan struct{})}
	logFile, err := os.Create(s.Log)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--config", path)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s serve: %w", bin, err)
	}
	s.pid = s.cmd.Process.Pid
	go func() {
		s.waitErr = s.cmd.Wait()
		logFile.Close()
		close(s.exited)
	}()
	if err := s.waitHealthy(ctx, time.Minute); err != nil {
		s.Stop()
		return nil, err
	}
	s.sampler.Add(1)
	go s.sample()
	return s, nil
}

func (s *service) waitHealthy(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Base+"/healthz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("mqtrigger serve exited before /healthz answered (%v); last lines of %s:\n%s", s.waitErr, s.Log, tail(s.Log, 20))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mqtrigger /healthz did not answer 200 within %s; see %s", timeout, s.Log)
		}
	}
}

// sample records the highest VmRSS every 100 ms, a fallback for kernels that do
// not let the peak (VmHWM) be reset.
func (s *service) sample() {
	defer s.sampler.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.exited:
			return
		case <-t.C:
			if rss, _, err := s.Memory(); err == nil {
				for {
					old := s.sampled.Load()
					if rss <= old || s.sampled.CompareAndSwap(old, rss) {
						break
					}
				}
			}
		}
	}
}

// Memory returns the process's resident set (VmRSS) and its peak (VmHWM), in bytes.
func (s *service) Memory() (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0, 0, fmt.Errorf("reading mqtrigger's memory: %w", err)
	}
	return parseStatus(b)
}

// parseStatus reads VmRSS and VmHWM (kB) from /proc/<pid>/status.
func parseStatus(b []byte) (rss, hwm int64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	found := 0
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("unexpected %s line %q in /proc status", k, sc.Text())
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s in /proc status: %w", k, err)
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
		found++
	}
	if found != 2 {
		return 0, 0, errors.New("no VmRSS and VmHWM in /proc status (not Linux?)")
	}
	return rss, hwm, nil
}

// ResetPeak starts a new peak: the kernel's VmHWM (via clear_refs) and the sampler's.
func (s *service) ResetPeak() {
	// "5" resets the peak RSS (Linux 4.0+); if refused, the sampler still works.
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.pid), []byte("5"), 0)
	rss, _, _ := s.Memory()
	s.sampled.Store(rss)
}

// Peak returns the highest RSS since the last ResetPeak, in bytes.
func (s *service) Peak() int64 {
	_, hwm, _ := s.Memory()
	return max(hwm, s.sampled.Load())
}

// Alive reports whether the process is still running.
func (s *service) Alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Stop ends the process with SIGTERM (SIGKILL after 15 s). Safe to call twice.
func (s *service) Stop() error {
	var err error
	s.stopOnce.Do(func() {
		close(s.stop)
		s.sampler.Wait()
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			err = fmt.Errorf("mqtrigger did not stop within 15 s of SIGTERM; killed")
		}
	})
	return err
}

// Metric sums the samples of the Prometheus series name on /metrics whose labels
// contain every one of match (such as `mapping="UUID"`); found is false when there
// is no such series.
func (s *service) Metric(ctx context.Context, name string, match ...string) (sum float64, found bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Base+"/metrics", nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return sumMetric(resp.Body, name, match...)
}

// sumMetric reads Prometheus text format and sums the series called name whose
// label text contains every match.
func sumMetric(r io.Reader, name string, match ...string) (sum float64, found bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		labels := ""
		switch {
		case strings.HasPrefix(rest, "{"):
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				continue
			}
			labels, rest = rest[1:end], rest[end+1:]
		case strings.HasPrefix(rest, " "):
		default:
			continue // a longer name with this prefix
		}
		ok := true
		for _, m := range match {
			if !strings.Contains(labels, m) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, false, fmt.Errorf("metric %s: value %q: %w", name, f[0], err)
		}
		sum += v
		found = true
	}
	return sum, found, sc.Err()
}

// HasPprof reports whether the service serves net/http/pprof on its listen address.
func (s *service) HasPprof(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Base+"/debug/pprof/", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
