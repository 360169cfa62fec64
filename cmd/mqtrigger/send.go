package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mqtrigger/mqtrigger/openwire"
)

const sendUsage = `Usage: mqtrigger send [flags] [BODY ...]

Sends messages to an ActiveMQ queue or topic over OpenWire, one per BODY argument,
or one per line of standard input with --stdin. Handy to try a mapping.

Example:
  mqtrigger send --broker tcp://127.0.0.1:61616 --user admin --password admin \
      --queue ExampleQueue --property orderNumber=1 '{"order": 1}'

Flags:
`

// propertyFlags collects repeated --property name=value flags.
type propertyFlags map[string]any

func (p propertyFlags) String() string { return "" }

func (p propertyFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q is not name=value", v)
	}
	p[name] = value
	return nil
}

// runSend runs `mqtrigger send` and returns the exit code. What was sent is
// reported on stdout; errors go to stderr.
func runSend(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("send", sendUsage, stderr)
	broker := fs.String("broker", "tcp://127.0.0.1:61616", "broker URL: tcp://, ssl:// or failover:(...)")
	user := fs.String("user", "", "broker user")
	password := fs.String("password", "", "broker password (or MQTRIGGER_BROKER_PASSWORD)")
	queue := fs.String("queue", "", "queue to send to")
	topic := fs.String("topic", "", "topic to send to (instead of --queue)")
	asBytes := fs.Bool("bytes", false, "send bytes messages instead of text messages")
	nonPersistent := fs.Bool("non-persistent", false, "send non-persistent messages")
	correlationID := fs.String("correlation-id", "", "JMSCorrelationID")
	jmsType := fs.String("type", "", "JMSType")
	count := fs.Int("count", 1, "send each body this many times")
	stdin := fs.Bool("stdin", false, "read one body per line from standard input")
	props := propertyFlags{}
	fs.Var(props, "property", "string property name=value (repeatable)")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	o := sendOptions{broker: *broker, user: *user, password: *password, queue: *queue, topic: *topic,
		asBytes: *asBytes, nonPersistent: *nonPersistent, correlationID: *correlationID, jmsType: *jmsType,
		count: *count, stdin: *stdin, props: props, bodies: fs.Args()}
	sent, dest, err := o.send(os.Stdin)
	if err != nil {
		fmt.Fprintln(stderr, "mqtrigger:", err)
		return 1
	}
	fmt.Fprintf(stdout, "sent %d message(s) to %s\n", sent, dest)
	return 0
}

// sendOptions are the flags of `mqtrigger send`.
type sendOptions struct {
	broker, user, password, queue, topic string
	asBytes, nonPersistent, stdin        bool
	correlationID, jmsType               string
	count                                int
	props                                propertyFlags
	bodies                               []string
}

// send sends the messages and returns how many went to which destination.
func (o sendOptions) send(in io.Reader) (sent int, dest openwire.Destination, err error) {
	if o.password == "" {
		o.password = os.Getenv("MQTRIGGER_BROKER_PASSWORD")
	}
	dest = openwire.Queue(o.queue)
	switch {
	case o.queue != "" && o.topic != "":
		return 0, dest, errors.New("send: give --queue or --topic, not both")
	case o.topic != "":
		dest = openwire.Topic(o.topic)
	case o.queue == "":
		return 0, dest, errors.New("send: --queue or --topic is required")
	}
	bodies := o.bodies
	if o.stdin {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			bodies = append(bodies, sc.Text())
		}
		if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
			return 0, dest, fmt.Errorf("send: reading standard input: %w", err)
		}
	}
	if len(bodies) == 0 {
		return 0, dest, errors.New("send: no message body given (arguments or --stdin)")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := openwire.Dial(ctx, o.broker, openwire.Config{User: o.user, Password: o.password})
	if err != nil {
		return 0, dest, fmt.Errorf("send: %w", err)
	}
	defer conn.Close()
	sess, err := conn.NewSession(ctx, false)
	if err != nil {
		return 0, dest, fmt.Errorf("send: %w", err)
	}
	producer, err := sess.NewProducer(ctx)
	if err != nil {
		return 0, dest, fmt.Errorf("send: %w", err)
	}
	for _, body := range bodies {
		for range o.count {
			m := &openwire.Message{
				Persistent: !o.nonPersistent, CorrelationID: o.correlationID, Type: o.jmsType,
				Properties: map[string]any(o.props),
			}
			if o.asBytes {
				m.Kind, m.Body = openwire.KindBytes, []byte(body)
			} else {
				m.Kind, m.Text = openwire.KindText, body
			}
			if err := producer.Send(ctx, dest, m); err != nil {
				return sent, dest, fmt.Errorf("send: message %d: %w", sent+1, err)
			}
			sent++
		}
	}
	return sent, dest, nil
}
