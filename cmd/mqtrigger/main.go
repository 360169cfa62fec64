// Command mqtrigger runs functions on ActiveMQ messages the way AWS Lambda's Amazon MQ
// trigger does, managed with Lambda's event source mapping API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/server"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

const usage = `mqtrigger runs functions on ActiveMQ messages the way AWS Lambda's Amazon MQ
trigger does, and is managed with Lambda's event source mapping API, so the AWS CLI
and the AWS SDKs work against it.

Usage:
  mqtrigger serve [--config FILE]   run the service (API, mappings, functions)
  mqtrigger send [flags] [BODY...]  send test messages to an ActiveMQ queue
  mqtrigger browse [flags] QUEUE    show a queue's messages without consuming them
  mqtrigger redrive [flags]         move dead-lettered messages back to their queues
  mqtrigger cluster status [flags]  list the nodes, leases and slots of a cluster
  mqtrigger version                 print the version
  mqtrigger help [COMMAND]          show help for a command

Run 'mqtrigger serve --help' to see what the service does without a config file.
`

const serveUsage = `Usage: mqtrigger serve [--config FILE]

Runs the service: the API (Lambda event source mappings and functions, a Secrets
Manager subset, /metrics, /healthz) and the consumers of every enabled mapping.

Without --config it listens on 127.0.0.1:9070, keeps its state in an embedded SQLite
database in ./data, uses region us-east-1 and account 123456789012, and has no
brokers or functions. When the config lists no credentials, the API accepts the key
pair in <dataDir>/credentials, generated on first start (mode 0600); point the AWS CLI
at it with AWS_SHARED_CREDENTIALS_FILE=./data/credentials.

A configuration error is reported, naming the key, before anything starts.
SIGINT or SIGTERM shut the service down cleanly.

Example:
  mqtrigger serve --config mqtrigger.yaml
  aws --endpoint-url http://127.0.0.1:9070 lambda list-event-source-mappings

Flags:
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the exit code: 0 on success, 1 when the
// command failed, 2 for a usage or configuration error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "send":
		return runSend(args[1:], stdout, stderr)
	case "browse":
		return runBrowse(ctx, args[1:], stdout, stderr)
	case "redrive":
		return runRedrive(ctx, args[1:], stdout, stderr)
	case "cluster":
		return runCluster(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "mqtrigger", versionString())
		return 0
	case "help", "--help", "-help", "-h":
		if len(args) > 1 {
			return run(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "mqtrigger: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// newFlags returns a flag set whose help goes to stdout once, when asked for, and
// whose parse errors go to stderr followed by the usage.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs; it returns the exit code to stop with (0 after
// printing the help on stdout, 2 after a parse error), or -1 to go on.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) int {
	usage := fs.Usage
	fs.Usage = func() {} // flag calls it on -help and on errors; print it once, below
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return 0
	case err != nil:
		fs.Usage()
		return 2
	}
	return -1
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", serveUsage, stderr)
	path := fs.String("config", "", "YAML configuration `FILE` (default: none, see above)")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mqtrigger serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg := config.Default()
	if *path != "" {
		var err error
		if cfg, err = config.Load(*path); err != nil {
			fmt.Fprintln(stderr, "mqtrigger:", err)
			return 2
		}
	}
	logger := server.NewLogger(cfg, stderr)
	s, err := server.New(cfg, logger)
	if err != nil {
		fmt.Fprintln(stderr, "mqtrigger:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "mqtrigger:", err)
		return 1
	}
	return 0
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		if v != "" {
			return v
		}
	}
	return "(devel)"
}
