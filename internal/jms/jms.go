package jms

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:embed JmsTool.java
var source []byte

// jars are the libraries JmsTool needs, from Debian's packages.
var jars = []string{
	"activemq-client.jar", "geronimo-jms_1.1_spec.jar", "geronimo-j2ee-management-1.1-spec.jar",
	"hawtbuf.jar", "slf4j-api.jar", "slf4j-nop.jar",
	"jackson-core.jar", "jackson-databind.jar", "jackson-annotations.jar",
}

// jvmFlags keep a short-lived JVM cheap to start and small; -Xlog:disable keeps JVM
// warnings (such as a stale class-data archive) out of the JSON on stdout.
var jvmFlags = []string{"-Xmx256m", "-XX:+UseSerialGC", "-Xshare:auto", "-XX:-UsePerfData", "-Xlog:disable"}

// quickFlags are added for subcommands that run too briefly to profit from the
// optimizing compiler.
var quickFlags = []string{"-XX:TieredStopAtLevel=1"}

// Tool runs JmsTool; it is safe for concurrent use.
type Tool struct {
	Java      string // java executable
	Classpath string // the jars plus JmsTool.jar
	Dir       string // cache directory with JmsTool.jar

	archive string // class-data-sharing archive, if one could be made
}

var (
	buildOnce sync.Once
	built     *Tool
	buildErr  error
)

// New returns the process's Tool, compiling JmsTool.java on first use, and fails
// the test with javac's output if it cannot.
func New(t testing.TB) *Tool {
	t.Helper()
	tool, err := NewTool()
	if err != nil {
		t.Fatalf("jms: %v", err)
	}
	return tool
}

// NewTool is New for programs that are not tests.
func NewTool() (*Tool, error) {
	buildOnce.Do(func() { built, buildErr = build() })
	return built, buildErr
}

func classpathJars() (string, error) {
	if cp := os.Getenv("MQTRIGGER_JMS_CLASSPATH"); cp != "" {
		return cp, nil
	}
	var paths []string
	for _, j := range jars {
		p := filepath.Join("/usr/share/java", j)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("missing %s (install libactivemq-java, libjackson2-databind-java and libslf4j-java, or set MQTRIGGER_JMS_CLASSPATH)", p)
		}
		paths = append(paths, p)
	}
	return strings.Join(paths, string(os.PathListSeparator)), nil
}

func build() (*Tool, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("java not found on PATH (install openjdk-17-jdk-headless): %w", err)
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		return nil, fmt.Errorf("javac not found on PATH (install openjdk-17-jdk-headless): %w", err)
	}
	cp, err := classpathJars()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append(append([]byte{}, source...), cp...))
	dir := filepath.Join(os.TempDir(), "mqtrigger-jms-"+hex.EncodeToString(sum[:8]))
	jar := filepath.Join(dir, "JmsTool.jar")
	tool := &Tool{Java: java, Dir: dir, Classpath: cp + string(os.PathListSeparator) + jar}
	if _, err := os.Stat(jar); err != nil {
		if err := compile(javac, cp, dir, source); err != nil {
			return nil, err
		}
	}
	archive := filepath.Join(dir, "JmsTool.jsa")
	if _, err := os.Stat(archive); err != nil {
		tool.dumpArchive(archive)
	}
	if _, err := os.Stat(archive); err == nil {
		tool.archive = archive
	}
	return tool, nil
}

// compile builds JmsTool.jar in a fresh directory and renames that to dir, so that
// concurrent test binaries never see a half-written cache.
func compile(javac, cp, dir string, source []byte) error {
	tmp, err := os.MkdirTemp(os.TempDir(), "mqtrigger-jms-build-")
	if err != nil {
		return fmt.Errorf("creating javac work directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "JmsTool.java")
	if err := os.WriteFile(src, source, 0o644); err != nil {
		return err
	}
	classes, out := filepath.Join(tmp, "classes"), filepath.Join(tmp, "out")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	msg, err := exec.CommandContext(ctx, javac, "-nowarn", "-encoding", "UTF-8", "-d", classes, "-cp", cp, src).CombinedOutput()
	if err != nil {
		return fmt.Errorf("compiling JmsTool.java with javac: %v\n%s", err, msg)
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		return err
	}
	// The classes go in a jar because class-data sharing archives only classes from jars.
	if err := writeJar(filepath.Join(out, "JmsTool.jar"), classes); err != nil {
		return fmt.Errorf("packing JmsTool classes: %w", err)
	}
	if err := os.Rename(out, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "JmsTool.jar")); statErr != nil {
			return fmt.Errorf("installing compiled JmsTool in %s: %w", dir, err)
		}
	}
	return nil
}

// writeJar writes the .class files of dir into a jar (a zip file) at path.
func writeJar(path, dir string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// dumpArchive records the classes JmsTool loads in a class-data-sharing archive,
// which takes about a third off every later JVM start. Failure only costs speed.
func (t *Tool) dumpArchive(archive string) {
	tmp := fmt.Sprintf("%s.%d.tmp", archive, os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append(append([]string{}, jvmFlags...), "-XX:ArchiveClassesAtExit="+tmp, "-cp", t.Classpath, "JmsTool", "warm")
	cmd := exec.CommandContext(ctx, t.Java, args...)
	cmd.Stdin = strings.NewReader("{}")
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return
	}
	if err := os.Rename(tmp, archive); err != nil {
		os.Remove(tmp)
	}
}

// Message is a JMS message as JmsTool sends and reports it.
type Message struct {
	// Kind is "text" (the default), "bytes", "map", "object" or "stream".
	Kind string `json:"kind"`
	// Text is the body of a text message, the String of an object message, or one
	// string written to a stream message that has no Items.
	Text string `json:"text,omitempty"`
	// Bytes is the full body of a bytes message.
	Bytes []byte `json:"bytes,omitempty"`
	// Chunk, if set, writes Bytes with writeBytes calls of this many bytes, so the
	// client's buffer grows by doubling instead of to the body's size at once.
	Chunk int `json:"chunk,omitempty"`
	// Map is the body of a map message, or the HashMap of an object message. On send a
	// value is a string, bool, integer (int, or long if it does not fit), float64
	// (double) or MapEntry for an exact Java type. On receive numbers are float64.
	Map map[string]any `json:"map,omitempty"`
	// Items are written to a stream message with writeObject (strings, bools,
	// integers, float64) and read back with readObject.
	Items []any `json:"items,omitempty"`

	MessageID     string `json:"messageId,omitempty"`     // receive only
	CorrelationID string `json:"correlationId,omitempty"` //
	ReplyTo       string `json:"replyTo,omitempty"`       // "queue://X" or "topic://X"
	Type          string `json:"type,omitempty"`          // JMSType
	Expiration    int64  `json:"expiration,omitempty"`    // receive only, ms since the epoch
	// Priority 0 sends with the JMS default, 4.
	Priority      int   `json:"priority,omitempty"`
	Persistent    bool  `json:"persistent,omitempty"`
	Timestamp     int64 `json:"timestamp,omitempty"`     // receive only
	Redelivered   bool  `json:"redelivered,omitempty"`   // receive only
	DeliveryCount int   `json:"deliveryCount,omitempty"` // receive only, JMSXDeliveryCount
	// Destination is where a received message was sent; on send it overrides the
	// queue or topic of SendOptions ("queue://X", "topic://X" or a queue name).
	Destination string     `json:"destination,omitempty"`
	TimeToLive  int64      `json:"timeToLive,omitempty"` // send only, milliseconds
	Properties  []Property `json:"properties,omitempty"`
}

// Property is a JMS message property with its exact Java type.
type Property struct {
	Name string `json:"name"`
	// Type is "boolean", "byte", "short", "int", "long", "float", "double" or "string".
	Type string `json:"type"`
	// Value is Java's String.valueOf form, which round-trips exactly.
	Value string `json:"value"`
}

// EveryPropertyType is one property of each JMS type, with edge values (extremes,
// an empty string, and a string outside the BMP, which Java writes as CESU-8).
var EveryPropertyType = []Property{
	{Name: "pBool", Type: "boolean", Value: "true"},
	{Name: "pByte", Type: "byte", Value: "-128"},
	{Name: "pShort", Type: "short", Value: "32767"},
	{Name: "pInt", Type: "int", Value: "-2147483648"},
	{Name: "pLong", Type: "long", Value: "9223372036854775807"},
	{Name: "pFloat", Type: "float", Value: "0.1"},
	{Name: "pDouble", Type: "double", Value: "1.0E-300"},
	{Name: "pString", Type: "string", Value: "héllo 🚀 \u4e2d"},
	{Name: "pEmpty", Type: "string", Value: ""},
}

// MapEntry is a map message value with an exact Java type: Type is a Property type
// or "bytes" (Value then in standard base64).
type MapEntry struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Property returns the property called name.
func (m Message) Property(name string) (Property, bool) {
	for _, p := range m.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// DLQDeliveryFailureCause is the dlqDeliveryFailureCause property ActiveMQ sets on
// messages it moves to a dead-letter queue, or "".
func (m Message) DLQDeliveryFailureCause() string {
	p, _ := m.Property("dlqDeliveryFailureCause")
	return p.Value
}

// SendOptions say where and what Send sends.
type SendOptions struct {
	URL, User, Password string
	Queue, Topic        string // one of them, unless every message has a Destination
	Compress            bool   // jms.useCompression=true
	Messages            []Message
}

// Send sends the messages in order with one producer and returns their JMSMessageIDs.
func (t *Tool) Send(ctx context.Context, o SendOptions) ([]string, error) {
	req := map[string]any{"url": o.URL, "user": o.User, "password": o.Password,
		"queue": o.Queue, "topic": o.Topic, "compress": o.Compress, "messages": o.Messages}
	var ids []string
	err := t.run(ctx, "send", req, func(line []byte) error {
		var r struct {
			MessageID string `json:"messageId"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		ids = append(ids, r.MessageID)
		return nil
	})
	return ids, err
}

// ReceiveOptions say what Receive consumes.
type ReceiveOptions struct {
	URL, User, Password string
	Queue               string
	// Count is how many messages to take; 0 takes them until Timeout passes without one.
	Count int
	// Timeout is the wait for each message (default 5s); Receive stops early when it passes.
	Timeout   time.Duration
	Selector  string
	ClientAck bool // CLIENT_ACKNOWLEDGE, each message acknowledged after it is reported
	// Rollback receives in a transacted session and rolls it back at the end: the
	// messages stay in the queue and come again as redelivered.
	Rollback bool
}

// Receive consumes up to Count messages (AUTO_ACKNOWLEDGE unless ClientAck or
// Rollback) and returns what it got, with an error only if the client failed.
func (t *Tool) Receive(ctx context.Context, o ReceiveOptions) ([]Message, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	req := map[string]any{"url": o.URL, "user": o.User, "password": o.Password, "queue": o.Queue,
		"count": o.Count, "timeoutMillis": timeout.Milliseconds(), "selector": o.Selector, "clientAck": o.ClientAck, "rollback": o.Rollback}
	var msgs []Message
	err := t.run(ctx, "receive", req, func(line []byte) error {
		var m Message
		if err := json.Unmarshal(line, &m); err != nil {
			return err
		}
		msgs = append(msgs, m)
		return nil
	})
	return msgs, err
}

// Connect opens and starts a connection, then closes it. On failure the error holds
// the client's JMSException text, such as the broker's refusal of bad credentials.
func (t *Tool) Connect(ctx context.Context, url, user, password string) error {
	return t.run(ctx, "connect", map[string]any{"url": url, "user": user, "password": password}, nil)
}

// ProduceOptions describe a bulk fill of a queue.
type ProduceOptions struct {
	URL, User, Password string
	Queue               string
	Count, Size         int  // Count messages of Size body bytes (or characters)
	Persistent          bool // persistent messages go in transactions of 500
	Text                bool // text messages instead of bytes messages
}

// Produce fills a queue quickly from one session: non-persistent messages are sent
// asynchronously. Each message carries a long property "seq" counting from 0.
func (t *Tool) Produce(ctx context.Context, o ProduceOptions) error {
	req := map[string]any{"url": o.URL, "user": o.User, "password": o.Password, "queue": o.Queue,
		"count": o.Count, "size": o.Size, "persistent": o.Persistent, "text": o.Text}
	return t.run(ctx, "produce", req, nil)
}

// BenchOptions describe a consumer benchmark.
type BenchOptions struct {
	URL, User, Password string
	Queue               string
	Count               int
	Prefetch            int  // default 1000
	Transacted          bool // commit every AckEvery; otherwise CLIENT_ACKNOWLEDGE every AckEvery
	AckEvery            int  // default 100
	// Timeout is the longest wait for any one message (default 30s).
	Timeout time.Duration
}

// BenchResult is the outcome of Bench.
type BenchResult struct {
	Messages  int     `json:"messages"`
	Seconds   float64 `json:"seconds"` // from the first message to the last commit or ack
	PerSecond float64 `json:"perSecond"`
}

// Bench consumes Count messages as fast as the Java client can, doing no work per
// message, and reports the rate.
func (t *Tool) Bench(ctx context.Context, o BenchOptions) (BenchResult, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	req := map[string]any{"url": o.URL, "user": o.User, "password": o.Password, "queue": o.Queue,
		"count": o.Count, "prefetch": o.Prefetch, "transacted": o.Transacted, "ackEvery": o.AckEvery,
		"timeoutMillis": timeout.Milliseconds()}
	var res BenchResult
	err := t.run(ctx, "bench", req, func(line []byte) error { return json.Unmarshal(line, &res) })
	return res, err
}

// QueueSize counts the messages now in a queue with a QueueBrowser.
func (t *Tool) QueueSize(ctx context.Context, url, user, password, queue string) (int, error) {
	var r struct {
		Count int `json:"count"`
	}
	err := t.run(ctx, "browse", map[string]any{"url": url, "user": user, "password": password, "queue": queue},
		func(line []byte) error { return json.Unmarshal(line, &r) })
	return r.Count, err
}

// Purge consumes every message in a queue, stopping when none arrives for half a second.
func (t *Tool) Purge(ctx context.Context, url, user, password, queue string) error {
	return t.run(ctx, "purge", map[string]any{"url": url, "user": user, "password": password, "queue": queue}, nil)
}

// run starts JmsTool with a subcommand, writes req as JSON to its stdin and hands
// each line of its stdout to line.
func (t *Tool) run(ctx context.Context, sub string, req any, line func([]byte) error) error {
	if t == nil {
		return errors.New("jms: nil Tool (use New or NewTool)")
	}
	in, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("jms %s: encoding request: %w", sub, err)
	}
	args := append([]string{}, jvmFlags...)
	if sub != "bench" && sub != "produce" {
		args = append(args, quickFlags...)
	}
	if t.archive != "" {
		args = append(args, "-XX:SharedArchiveFile="+t.archive)
	}
	args = append(args, "-cp", t.Classpath, "JmsTool", sub)
	cmd := exec.CommandContext(ctx, t.Java, args...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	errText := strings.TrimSpace(stderr.String())
	var parseErr error
	if line != nil {
		sc := bufio.NewScanner(&stdout)
		sc.Buffer(make([]byte, 0, 1<<20), 1<<30)
		for sc.Scan() {
			if !bytes.HasPrefix(sc.Bytes(), []byte("{")) {
				continue // not JmsTool's output
			}
			if err := line(sc.Bytes()); err != nil && parseErr == nil {
				parseErr = fmt.Errorf("jms %s: decoding JmsTool output %q: %w", sub, sc.Text(), err)
			}
		}
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("jms %s: %w (JmsTool stopped; stderr: %s)", sub, ctx.Err(), errText)
		}
		return fmt.Errorf("jms %s: JmsTool failed (%v): %s", sub, runErr, errText)
	}
	return parseErr
}
