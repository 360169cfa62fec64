package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mqtrigger/mqtrigger/openwire"
)

const browseUsage = `Usage: mqtrigger browse [flags] QUEUE

Shows the messages of an ActiveMQ queue without consuming them (an OpenWire queue
browser): each message's id, kind, JMS type, redelivery count, original destination
and dlqDeliveryFailureCause (for dead-lettered messages), properties and body. The
queue is left as it was.

Bodies are cut at 200 bytes unless --full; --json prints one JSON object per line
with whole bodies instead. ActiveMQ shows a browser at most its destination policy's
maxBrowsePageSize messages (400 by default; scripts/activemq sets 100000).

Example:
  mqtrigger browse --broker tcp://127.0.0.1:61616 --user admin --password admin ActiveMQ.DLQ

Flags:
`

// brokerFlags are the connection flags browse, redrive and send share.
type brokerFlags struct{ broker, user, password *string }

func addBrokerFlags(fs interface {
	String(name, value, usage string) *string
}) brokerFlags {
	return brokerFlags{
		broker:   fs.String("broker", "tcp://127.0.0.1:61616", "broker URL: tcp://, ssl:// or failover:(...)"),
		user:     fs.String("user", "", "broker user"),
		password: fs.String("password", "", "broker password (or MQTRIGGER_BROKER_PASSWORD)"),
	}
}

func (b brokerFlags) dial(ctx context.Context) (*openwire.Conn, error) {
	pw := *b.password
	if pw == "" {
		pw = os.Getenv("MQTRIGGER_BROKER_PASSWORD")
	}
	return openwire.Dial(ctx, *b.broker, openwire.Config{User: *b.user, Password: pw})
}

func runBrowse(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("browse", browseUsage, stderr)
	bf := addBrokerFlags(fs)
	limit := fs.Int("limit", 0, "show at most this many messages (0: all)")
	selector := fs.String("selector", "", "JMS message selector, e.g. \"JMSMessageID = 'ID:...'\"")
	full := fs.Bool("full", false, "show whole bodies")
	asJSON := fs.Bool("json", false, "print one JSON object per message")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "mqtrigger browse: give one QUEUE (got %d arguments)\n", fs.NArg())
		return 2
	}
	queue := fs.Arg(0)
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := bf.dial(dctx)
	if err != nil {
		fmt.Fprintln(stderr, "mqtrigger: browse:", err)
		return 1
	}
	defer conn.Close()
	sess, err := conn.NewSession(dctx, false)
	if err != nil {
		fmt.Fprintln(stderr, "mqtrigger: browse:", err)
		return 1
	}
	b, err := sess.NewBrowser(dctx, queue, openwire.BrowserOptions{Selector: *selector})
	if err != nil {
		fmt.Fprintln(stderr, "mqtrigger: browse:", err)
		return 1
	}
	n := 0
	enc := json.NewEncoder(stdout)
	for *limit <= 0 || n < *limit {
		m, err := b.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintf(stderr, "mqtrigger: browse: after %d message(s): %v\n", n, err)
			return 1
		}
		n++
		if *asJSON {
			if err := enc.Encode(browsedJSON(m)); err != nil {
				fmt.Fprintln(stderr, "mqtrigger: browse:", err)
				return 1
			}
			continue
		}
		printMessage(stdout, n, m, *full)
	}
	if !*asJSON {
		more := ""
		if *limit > 0 && n == *limit {
			more = " (--limit reached; there may be more)"
		}
		fmt.Fprintf(stdout, "%d message(s) in %s%s\n", n, queue, more)
	}
	return 0
}

// browsedMessage is the JSON form of a browsed message.
type browsedMessage struct {
	MessageID               string         `json:"MessageId"`
	Kind                    string         `json:"Kind"`
	Type                    string         `json:"Type,omitempty"`
	Destination             string         `json:"Destination"`
	OriginalDestination     string         `json:"OriginalDestination,omitempty"`
	RedeliveryCounter       int            `json:"RedeliveryCounter"`
	DLQDeliveryFailureCause string         `json:"DlqDeliveryFailureCause,omitempty"`
	Timestamp               string         `json:"Timestamp,omitempty"`
	Priority                uint8          `json:"Priority"`
	Persistent              bool           `json:"Persistent"`
	CorrelationID           string         `json:"CorrelationId,omitempty"`
	Expiration              int64          `json:"Expiration,omitempty"`
	Properties              map[string]any `json:"Properties"`
	Text                    *string        `json:"Text,omitempty"` // text messages
	Data                    []byte         `json:"Data,omitempty"` // other bodies, base64
	Map                     map[string]any `json:"Map,omitempty"`  // map messages
}

func browsedJSON(m *openwire.Message) browsedMessage {
	j := browsedMessage{
		MessageID: m.ID, Kind: m.Kind.String(), Type: m.Type, Destination: m.Destination.String(),
		RedeliveryCounter: m.RedeliveryCounter, Priority: m.Priority, Persistent: m.Persistent,
		CorrelationID: m.CorrelationID, Expiration: m.Expiration, Properties: m.Properties,
	}
	if j.Properties == nil {
		j.Properties = map[string]any{}
	}
	if m.OriginalDestination != nil {
		j.OriginalDestination = m.OriginalDestination.String()
	}
	j.DLQDeliveryFailureCause, _ = m.Properties["dlqDeliveryFailureCause"].(string)
	if m.Timestamp > 0 {
		j.Timestamp = time.UnixMilli(m.Timestamp).UTC().Format(time.RFC3339Nano)
	}
	switch m.Kind {
	case openwire.KindText:
		j.Text = &m.Text
	case openwire.KindMap:
		j.Map = m.Map
	default:
		j.Data = m.Body
	}
	return j
}

const bodyCut = 200

func printMessage(w io.Writer, n int, m *openwire.Message, full bool) {
	fmt.Fprintf(w, "#%d %s\n", n, m.ID)
	kind := m.Kind.String()
	if m.Type != "" {
		kind += ", type " + m.Type
	}
	fmt.Fprintf(w, "  kind: %s  priority: %d  persistent: %v  redelivery count: %d\n", kind, m.Priority, m.Persistent, m.RedeliveryCounter)
	if m.Timestamp > 0 {
		fmt.Fprintf(w, "  sent: %s\n", time.UnixMilli(m.Timestamp).UTC().Format(time.RFC3339Nano))
	}
	if m.CorrelationID != "" {
		fmt.Fprintf(w, "  correlation id: %s\n", m.CorrelationID)
	}
	if m.OriginalDestination != nil {
		fmt.Fprintf(w, "  original destination: %s\n", m.OriginalDestination)
	}
	if cause, ok := m.Properties["dlqDeliveryFailureCause"].(string); ok {
		fmt.Fprintf(w, "  dlqDeliveryFailureCause: %s\n", oneLine(cause, full))
	}
	names := make([]string, 0, len(m.Properties))
	for k := range m.Properties {
		if k != "dlqDeliveryFailureCause" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		fmt.Fprintln(w, "  properties:")
		for _, k := range names {
			v := m.Properties[k]
			fmt.Fprintf(w, "    %s = %s (%s)\n", k, propValue(v), javaType(v))
		}
	}
	var body []byte
	switch m.Kind {
	case openwire.KindMap:
		b, err := json.Marshal(m.Map)
		if err != nil {
			b = []byte(fmt.Sprint(m.Map))
		}
		body = b
	default:
		body = m.Data()
	}
	fmt.Fprintf(w, "  body (%d bytes): %s\n", len(m.Data()), showBody(body, full))
}

// showBody prints a body as text when it is UTF-8, else Go-quoted, cut to
// bodyCut bytes unless full.
func showBody(b []byte, full bool) string {
	more := 0
	if !full && len(b) > bodyCut {
		cut := bodyCut
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		more, b = len(b)-cut, b[:cut]
	}
	s := string(b)
	if !utf8.Valid(b) || strings.ContainsAny(s, "\x00\x1b") {
		s = fmt.Sprintf("%q", b)
	}
	if more > 0 {
		s += fmt.Sprintf(" ... (%d more bytes; --full shows all)", more)
	}
	return s
}

func oneLine(s string, full bool) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 && !full {
		return s[:i] + " ..."
	}
	return s
}

func propValue(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []byte:
		return fmt.Sprintf("%x", v)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// javaType names a property value's Java type (see openwire's package doc).
func javaType(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case int8:
		return "byte"
	case int16:
		return "short"
	case int32:
		return "int"
	case int64:
		return "long"
	case float32:
		return "float"
	case float64:
		return "double"
	case uint16:
		return "char"
	case string:
		return "String"
	case []byte:
		return "byte[]"
	case nil:
		return "null"
	case map[string]any:
		return "map"
	case []any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}
