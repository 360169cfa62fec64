package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
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

func runSend(args []string) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), sendUsage)
		fs.PrintDefaults()
	}
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *password == "" {
		*password = os.Getenv("MQTRIGGER_BROKER_PASSWORD")
	}
	dest := openwire.Queue(*queue)
	switch {
	case *queue != "" && *topic != "":
		return errors.New("send: give --queue or --topic, not both")
	case *topic != "":
		dest = openwire.Topic(*topic)
	case *queue == "":
		return errors.New("send: --queue or --topic is required")
	}
	bodies := fs.Args()
	if *stdin {
		sc := bufio.NewScanner(os.Stdin)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			bodies = append(bodies, sc.Text())
		}
		if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("send: reading standard input: %w", err)
		}
	}
	if len(bodies) == 0 {
		return errors.New("send: no message body given (arguments or --stdin)")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := openwire.Dial(ctx, *broker, openwire.Config{User: *user, Password: *password})
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	defer conn.Close()
	sess, err := conn.NewSession(ctx, false)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	producer, err := sess.NewProducer(ctx)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	sent := 0
	for _, body := range bodies {
		for i := 0; i < *count; i++ {
			m := &openwire.Message{
				Persistent: !*nonPersistent, CorrelationID: *correlationID, Type: *jmsType,
				Properties: map[string]any(props),
			}
			if *asBytes {
				m.Kind, m.Body = openwire.KindBytes, []byte(body)
			} else {
				m.Kind, m.Text = openwire.KindText, body
			}
			if err := producer.Send(ctx, dest, m); err != nil {
				return fmt.Errorf("send: message %d: %w", sent+1, err)
			}
			sent++
		}
	}
	fmt.Fprintf(os.Stderr, "sent %d message(s) to %s\n", sent, dest)
	return nil
}
