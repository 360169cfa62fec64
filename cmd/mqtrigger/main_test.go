package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestHelpAndVersion(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, 2, "", "mqtrigger serve [--config FILE]"},
		{[]string{"--help"}, 0, "Usage:\n  mqtrigger serve", ""},
		{[]string{"help", "serve"}, 0, "Without --config it listens on 127.0.0.1:9070", ""},
		{[]string{"serve", "--help"}, 0, "<dataDir>/credentials", ""},
		{[]string{"version"}, 0, "mqtrigger ", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"serve", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"serve", "--nope"}, 2, "", "flag provided but not defined: -nope"},
	}
	for _, tc := range cases {
		code, out, errOut := runCmd(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("mqtrigger %v: exit %d, stdout %q, stderr %q", tc.args, code, out, errOut)
		}
	}
}

func TestServeBadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte("dataDir: "+filepath.Join(dir, "data")+"\nbrokers: [{name: b, endpoints: [\"htp://x\"]}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd("serve", "--config", path)
	if code != 2 || !strings.Contains(errOut, `brokers[0].endpoints[0]: openwire: URL "htp://x": scheme must be tcp, ssl or failover`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Fatal("data directory created for a bad config")
	}
	code, _, errOut = runCmd("serve", "--config", filepath.Join(dir, "missing.yaml"))
	if code != 2 || !strings.Contains(errOut, "missing.yaml") {
		t.Fatalf("missing file: exit %d: %s", code, errOut)
	}
}

// TestServeSignal runs serve in-process and stops it with SIGTERM, as an init system
// would.
func TestServeSignal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	cfg := fmt.Sprintf("listen: %s\ndataDir: %s\ncredentials: [{accessKeyId: AKID, secretAccessKey: s}]\nlogFormat: json\n", addr, filepath.Join(dir, "data"))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var o, e bytes.Buffer
		code := run(context.Background(), []string{"serve", "--config", path}, &o, &e)
		done <- result{code, e.String()}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case r := <-done:
			t.Fatalf("serve exited %d before serving: %s", r.code, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.code != 0 || !strings.Contains(r.stderr, `"msg":"shutting down"`) || !strings.Contains(r.stderr, `"msg":"stopped"`) {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// TestHelpPrintedOnce: help asked for goes to stdout once and nothing to stderr; a
// bad flag puts the error and the usage on stderr only.
func TestHelpPrintedOnce(t *testing.T) {
	for _, cmd := range []string{"serve", "send"} {
		code, out, errOut := runCmd(cmd, "--help")
		if code != 0 || strings.Count(out, "Usage: mqtrigger "+cmd) != 1 || errOut != "" {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
		}
		code, out, errOut = runCmd(cmd, "--nope")
		if code != 2 || out != "" || strings.Count(errOut, "Usage: mqtrigger "+cmd) != 1 || !strings.Contains(errOut, "-nope") {
			t.Errorf("%s --nope: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
		}
	}
	if _, out, _ := runCmd("--help"); strings.Contains(out, "Terraform") {
		t.Errorf("the help claims Terraform support: %q", out)
	}
}
