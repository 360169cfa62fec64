package openwire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
)

// stompClient speaks just enough STOMP 1.2 to send.
type stompClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dialSTOMP(t *testing.T, b *brokertest.Broker) *stompClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.StompPort), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(60 * time.Second))
	c := &stompClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	c.frame("CONNECT", []string{"accept-version:1.2", "host:localhost", "login:" + b.User, "passcode:" + b.Password}, nil)
	if cmd, hdrs := c.read(); cmd != "CONNECTED" {
		t.Fatalf("STOMP CONNECT answered %s %q", cmd, hdrs)
	}
	return c
}

func (c *stompClient) frame(cmd string, headers []string, body []byte) {
	c.t.Helper()
	var w bytes.Buffer
	w.WriteString(cmd + "\n")
	for _, h := range headers {
		w.WriteString(h + "\n")
	}
	w.WriteString("\n")
	w.Write(body)
	w.WriteByte(0)
	if _, err := c.nc.Write(w.Bytes()); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next frame's command and headers (its body is skipped).
func (c *stompClient) read() (string, []string) {
	c.t.Helper()
	for {
		raw, err := c.br.ReadBytes(0)
		if err != nil {
			c.t.Fatalf("reading a STOMP frame: %v", err)
		}
		lines := strings.Split(strings.TrimLeft(string(raw[:len(raw)-1]), "\r\n"), "\n")
		if lines[0] == "" {
			continue // heart-beat
		}
		var hdrs []string
		for _, l := range lines[1:] {
			if l == "" {
				break
			}
			hdrs = append(hdrs, l)
		}
		return lines[0], hdrs
	}
}

// send sends a message and waits for the broker's receipt, so it is stored.
func (c *stompClient) send(queue string, headers []string, body []byte, contentLength bool) {
	c.t.Helper()
	h := append([]string{"destination:/queue/" + queue, "receipt:r"}, headers...)
	if contentLength {
		h = append(h, fmt.Sprintf("content-length:%d", len(body)))
	}
	c.frame("SEND", h, body)
	if cmd, hdrs := c.read(); cmd != "RECEIPT" {
		c.t.Fatalf("STOMP SEND of %d bytes answered %s %q", len(body), cmd, hdrs)
	}
}

// mqttClient speaks just enough MQTT 3.1.1 to publish with QoS 1.
type mqttClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
	id uint16
}

func appendMQTTString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func mqttPacket(typeAndFlags byte, body []byte) []byte {
	p := []byte{typeAndFlags}
	for n := len(body); ; { // remaining length: base-128, low groups first
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		p = append(p, d)
		if n == 0 {
			break
		}
	}
	return append(p, body...)
}

func dialMQTT(t *testing.T, b *brokertest.Broker) *mqttClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.MQTTPort), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(60 * time.Second))
	c := &mqttClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	v := appendMQTTString(nil, "MQTT")
	v = append(v, 4, 0xc2, 0, 60) // level 3.1.1; user name, password, clean session; keep-alive 60 s
	v = appendMQTTString(v, "mqtrigger-test")
	v = appendMQTTString(v, b.User)
	v = appendMQTTString(v, b.Password)
	c.write(mqttPacket(0x10, v))
	if typ, body := c.read(); typ != 0x20 || len(body) != 2 || body[1] != 0 {
		t.Fatalf("MQTT CONNECT answered type %#x %x", typ, body)
	}
	return c
}

func (c *mqttClient) write(p []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(p); err != nil {
		c.t.Fatal(err)
	}
}

func (c *mqttClient) read() (byte, []byte) {
	c.t.Helper()
	typ, err := c.br.ReadByte()
	if err != nil {
		c.t.Fatalf("reading an MQTT packet: %v", err)
	}
	n, err := binary.ReadUvarint(c.br) // the same base-128 encoding
	if err != nil {
		c.t.Fatal(err)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.br, body); err != nil {
		c.t.Fatal(err)
	}
	return typ & 0xf0, body
}

// publish sends a QoS 1 PUBLISH and waits for its PUBACK.
func (c *mqttClient) publish(topic string, payload []byte) {
	c.t.Helper()
	c.id++
	v := appendMQTTString(nil, topic)
	v = binary.BigEndian.AppendUint16(v, c.id)
	c.write(mqttPacket(0x32, append(v, payload...)))
	if typ, body := c.read(); typ != 0x40 || len(body) != 2 || binary.BigEndian.Uint16(body) != c.id {
		c.t.Fatalf("MQTT PUBLISH of %d bytes answered type %#x %x", len(payload), typ, body)
	}
}

// protocolPayloads are the bodies sent through STOMP and MQTT: empty, text,
// bytes that are not UTF-8 (with NULs), and sizes up to about 1 MB.
func protocolPayloads() map[string][]byte {
	p := map[string][]byte{
		"empty": {},
		"text":  []byte("héllo 世界 🎉 end"),
		"bytes": {0, 0xff, 0xfe, 0x80, 0xc0, 0, 1, 0xed, 0xa0, 0x80}, // not UTF-8: a lone surrogate, NULs
	}
	for _, n := range []int{1 << 10, 64 << 10, 1 << 20} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + i>>10)
		}
		p[fmt.Sprintf("bytes-%d", n)] = b
		p[fmt.Sprintf("text-%d", n)] = bytes.Repeat([]byte("ascii text é "), n/14+1)[:n/14*14]
	}
	return p
}

// TestProtocolsSTOMPAndMQTT sends through the broker's STOMP and MQTT connectors and
// checks what an OpenWire consumer gets: the exact bytes or text and the headers and
// properties a function sees.
func TestProtocolsSTOMPAndMQTT(t *testing.T) {
	b := brokertest.Start(t, brokertest.Options{MQTT: true})
	ctx := testCtx(t, 2*time.Minute)
	c, err := Dial(ctx, b.URL, Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := mustSession(t, c, false)
	payloads := protocolPayloads()

	t.Run("STOMP", func(t *testing.T) {
		q := newQueue(t)
		sc := dialSTOMP(t, b)
		type sent struct {
			name          string
			contentLength bool
		}
		var order []sent
		for name, body := range payloads {
			for _, cl := range []bool{true, false} {
				if !cl && bytes.IndexByte(body, 0) >= 0 {
					continue // without content-length a NUL ends the frame
				}
				sc.send(q, []string{"myprop:v-" + name, "correlation-id:c-" + name, "type:t1", "persistent:true", "priority:6"}, body, cl)
				order = append(order, sent{name, cl})
			}
		}
		k, err := s.NewConsumer(ctx, q, ConsumerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range receiveN(t, k, len(order), time.Minute) {
			w := order[i]
			body := payloads[w.name]
			label := fmt.Sprintf("%s content-length=%v", w.name, w.contentLength)
			// STOMP makes a BytesMessage when content-length is given, a TextMessage otherwise
			wantKind := KindText
			if w.contentLength {
				wantKind = KindBytes
			}
			if m.Kind != wantKind || !bytes.Equal(m.Data(), body) {
				t.Errorf("%s: %v of %d bytes, want %v of %d", label, m.Kind, len(m.Data()), wantKind, len(body))
			}
			if wantKind == KindText && m.Text != string(body) {
				t.Errorf("%s: text differs", label)
			}
			if m.Properties["myprop"] != "v-"+w.name || m.CorrelationID != "c-"+w.name || m.Type != "t1" ||
				!m.Persistent || m.Priority != 6 || m.Destination != Queue(q) || m.Redelivered() || m.Compressed {
				t.Errorf("%s: headers corr %q type %q persistent %v priority %d dest %v props %v",
					label, m.CorrelationID, m.Type, m.Persistent, m.Priority, m.Destination, m.Properties)
			}
			if !strings.HasPrefix(m.ID, "ID:") || m.Timestamp == 0 {
				t.Errorf("%s: id %q timestamp %d", label, m.ID, m.Timestamp)
			}
		}
	})

	t.Run("MQTT", func(t *testing.T) {
		// MQTT publishes to topics; a virtual topic fans them out to consumer queues,
		// which must exist when the message is published.
		topic := strings.ReplaceAll(newQueue(t), ".", "_")
		q := "Consumer.mqtrigger.VirtualTopic." + topic
		k, err := s.NewConsumer(ctx, q, ConsumerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mc := dialMQTT(t, b)
		var order []string
		for name, body := range payloads {
			mc.publish("VirtualTopic/"+topic, body)
			order = append(order, name)
		}
		for i, m := range receiveN(t, k, len(order), time.Minute) {
			name := order[i]
			body := payloads[name]
			if m.Kind != KindBytes || !bytes.Equal(m.Body, body) {
				t.Errorf("%s: %v of %d bytes, want bytes of %d", name, m.Kind, len(m.Body), len(body))
			}
			if !m.Persistent || m.Destination != Queue(q) || m.Redelivered() || m.Compressed {
				t.Errorf("%s: persistent %v dest %v", name, m.Persistent, m.Destination)
			}
			// the broker's MQTT bridge records the publish's QoS, and nothing else
			if len(m.Properties) != 1 || m.Properties["ActiveMQ.MQTT.QoS"] != int32(1) {
				t.Errorf("%s: properties %#v", name, m.Properties)
			}
		}
	})
}
