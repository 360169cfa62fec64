package openwire

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/bufpool"
)

// DestinationKind says whether a destination is a queue or a topic.
type DestinationKind uint8

const (
	DestQueue DestinationKind = iota
	DestTopic
	DestTempQueue
	DestTempTopic
)

func (k DestinationKind) typeCode() byte {
	switch k {
	case DestTopic:
		return typeTopic
	case DestTempQueue:
		return typeTempQueue
	case DestTempTopic:
		return typeTempTopic
	}
	return typeQueue
}

func kindFromType(t byte) (DestinationKind, bool) {
	switch t {
	case typeQueue:
		return DestQueue, true
	case typeTopic:
		return DestTopic, true
	case typeTempQueue:
		return DestTempQueue, true
	case typeTempTopic:
		return DestTempTopic, true
	}
	return 0, false
}

// Destination is a queue or topic.
type Destination struct {
	Kind DestinationKind
	Name string
}

// Queue returns the queue destination name.
func Queue(name string) Destination { return Destination{Kind: DestQueue, Name: name} }

// Topic returns the topic destination name.
func Topic(name string) Destination { return Destination{Kind: DestTopic, Name: name} }

// String prints the destination as Java's ActiveMQDestination.toString does.
func (d Destination) String() string {
	switch d.Kind {
	case DestTopic:
		return "topic://" + d.Name
	case DestTempQueue:
		return "temp-queue://" + d.Name
	case DestTempTopic:
		return "temp-topic://" + d.Name
	}
	return "queue://" + d.Name
}

// MessageKind is the JMS message class.
type MessageKind uint8

const (
	KindPlain  MessageKind = iota // javax.jms.Message without a body
	KindText                      // TextMessage: Text
	KindBytes                     // BytesMessage: Body
	KindMap                       // MapMessage: Map
	KindObject                    // ObjectMessage: Body holds the Java serialization
	KindStream                    // StreamMessage: Body holds the marshalled primitives
	KindBlob                      // BlobMessage
)

func (k MessageKind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindBytes:
		return "bytes"
	case KindMap:
		return "map"
	case KindObject:
		return "object"
	case KindStream:
		return "stream"
	case KindBlob:
		return "blob"
	}
	return "plain"
}

func kindFromCommand(t byte) MessageKind {
	switch t {
	case typeTextMessage:
		return KindText
	case typeBytesMessage:
		return KindBytes
	case typeMapMessage:
		return KindMap
	case typeObjectMessage:
		return KindObject
	case typeStreamMessage:
		return KindStream
	case typeBlobMessage:
		return KindBlob
	}
	return KindPlain
}

func (k MessageKind) commandType() byte {
	switch k {
	case KindText:
		return typeTextMessage
	case KindBytes:
		return typeBytesMessage
	case KindMap:
		return typeMapMessage
	}
	return typeMessage
}

// Message is a JMS message received from or sent to the broker.
type Message struct {
	ID                  string // JMSMessageID exactly as Java prints it; set by Send
	Kind                MessageKind
	Timestamp           int64 // JMSTimestamp, ms since the epoch; Send sets it when 0
	Persistent          bool
	CorrelationID       string
	ReplyTo             *Destination
	Type                string
	Expiration          int64 // ms since the epoch, 0 = never
	TimeToLive          time.Duration
	Priority            uint8 // 0-9 (JMS default 4); sent as given
	RedeliveryCounter   int   // JMSXDeliveryCount-1; JMSRedelivered is RedeliveryCounter > 0
	Destination         Destination
	OriginalDestination *Destination // set on dead-lettered messages
	GroupID             string
	GroupSequence       int32
	UserID              string
	BrokerInTime        int64
	BrokerOutTime       int64
	Properties          map[string]any // Java-typed: see the package doc
	Text                string         // text messages
	Body                []byte         // bytes (and object/stream) messages; nil for text
	Map                 map[string]any // map messages
	Compressed          bool           // the body was (or, on Send, is to be) zlib-compressed
	Size                int            // bytes of the frame on the wire

	id       messageID
	consumer *Consumer
	gen      uint64 // connection generation it was received on
	seq      uint64 // dispatch order within the consumer
	state    uint8
	// bodyInFrame: Body is a slice of the frame the message was read from;
	// frame is that frame if it came from bufpool (link.handle), for Release.
	bodyInFrame bool
	frame       []byte
}

// Release lets a later message reuse the buffer a large bytes message (a frame
// over 16 KiB) was read into, and sets Body to nil. Call it once the message is
// acknowledged (and, in a transacted session, the transaction committed) and
// nothing reads Body, or a slice of it, any more. It does nothing for a message
// the consumer may still hand out again, or one that holds no such buffer.
// Calling it is optional: a message never released is left to the garbage
// collector. Not safe for use concurrently with other uses of m.
func (m *Message) Release() {
	k := m.consumer
	if k == nil || m.frame == nil { // most messages: small ones hold no buffer
		return
	}
	k.mu.Lock()
	buf := m.frame
	if buf == nil || m.state != stDone {
		k.mu.Unlock()
		return
	}
	m.frame, m.Body = nil, nil
	k.mu.Unlock()
	bufpool.Put(buf)
}

// Redelivered reports JMSRedelivered.
func (m *Message) Redelivered() bool { return m.RedeliveryCounter > 0 }

// Data returns the body as bytes: UTF-8 text for text messages, the raw bytes otherwise.
func (m *Message) Data() []byte {
	if m.Kind == KindText {
		return []byte(m.Text)
	}
	return m.Body
}

// messageHead reads the fields of an ActiveMQMessage (after the BaseCommand prefix)
// up to its MessageId, which is all an acknowledgement needs; it reports whether
// the id was read.
func (d *decoder) messageHead(t byte, m *Message) bool {
	m.Kind = kindFromCommand(t)
	d.skipNested(0) // producerId: the MessageId carries it too
	if dest, ok := d.destination(); ok {
		m.Destination = dest
	}
	d.skipNested(0) // transactionId
	if od, ok := d.destination(); ok {
		m.OriginalDestination = new(Destination) // allocated only when present
		*m.OriginalDestination = od
	}
	if mt := d.nestedType(); d.err == nil && d.expect(mt, typeMessageID, "Message.messageId") {
		m.id = d.messageIDBody()
	}
	return d.err == nil
}

// messageRest reads the fields after the MessageId and decodes the body. maxBody
// bounds decompression. A body or properties that cannot be decoded give bodyErr;
// fields that cannot be read set d.err.
func (d *decoder) messageRest(m *Message, maxBody int) (bodyErr error) {
	d.skipNested(0) // originalTransactionId
	m.GroupID = d.str()
	m.GroupSequence = d.int32()
	m.CorrelationID = d.str()
	m.Persistent = d.bool1()
	m.Expiration = d.long()
	m.Priority = d.byte1()
	if rt, ok := d.destination(); ok {
		m.ReplyTo = new(Destination)
		*m.ReplyTo = rt
	}
	m.Timestamp = d.long()
	m.Type = d.istr()
	content, hasContent := d.bytes()
	props, _ := d.bytes()
	d.skipNested(0) // dataStructure
	d.skipNested(0) // targetConsumerId
	m.Compressed = d.bool1()
	m.RedeliveryCounter = int(d.int32())
	d.skipObjectArray() // brokerPath
	d.long()            // arrival
	m.UserID = d.str()
	d.bool1()           // recievedByDFBridge
	d.bool1()           // droppable
	d.skipObjectArray() // cluster
	m.BrokerInTime = d.long()
	m.BrokerOutTime = d.long()
	d.bool1() // jmsXGroupFirstForConsumer
	if d.err != nil {
		return nil
	}
	var err error
	if m.Properties, err = decodeProperties(props, d.intern); err != nil {
		bodyErr = fmt.Errorf("message properties: %w", err)
	}
	if hasContent {
		if err := m.decodeBody(content, maxBody); err != nil && bodyErr == nil {
			bodyErr = err
		}
	}
	return bodyErr
}

func (m *Message) decodeBody(content []byte, maxBody int) error {
	switch m.Kind {
	case KindText:
		b := content
		if m.Compressed {
			var err error
			if b, err = inflate(b, maxBody); err != nil {
				return fmt.Errorf("text body: %w", err)
			}
		}
		if len(b) < 4 {
			return fmt.Errorf("%w: text body of %d bytes", ErrMalformed, len(b))
		}
		n := int32(binary.BigEndian.Uint32(b))
		if n < 0 {
			return nil // null text
		}
		if int(n) > len(b)-4 {
			return fmt.Errorf("%w: text length %d exceeds body of %d bytes", ErrMalformed, n, len(b)-4)
		}
		m.Text = decodeMUTF8(b[4 : 4+n])
	case KindBytes:
		if !m.Compressed || len(content) == 0 { // Java reads an empty compressed body as empty
			m.Body, m.bodyInFrame = content, true
			return nil
		}
		b, err := inflateBytesBody(content, maxBody)
		if err != nil {
			return fmt.Errorf("bytes body: %w", err)
		}
		m.Body = b
	case KindMap:
		b := content
		if m.Compressed {
			var err error
			if b, err = inflate(b, maxBody); err != nil {
				return fmt.Errorf("map body: %w", err)
			}
		}
		d := decoder{b: b}
		m.Map = d.primitiveMap(0)
		if d.err != nil {
			return fmt.Errorf("map body: %w", d.err)
		}
	case KindObject, KindStream:
		// Java compresses these whole through a DeflaterOutputStream, like text.
		if m.Compressed && len(content) > 0 {
			b, err := inflate(content, maxBody)
			if err != nil {
				return fmt.Errorf("%s body: %w", m.Kind, err)
			}
			m.Body = b
			return nil
		}
		m.Body, m.bodyInFrame = content, true
	default:
		m.Body, m.bodyInFrame = content, true
	}
	return nil
}

// javaBufferSize is the initial capacity of ActiveMQ's ByteArrayOutputStream, which
// doubles (or grows to the size written, if larger) whenever it fills.
const javaBufferSize = 1028

// inflateBytesBody decodes a compressed BytesMessage body: the true length as an
// int32, then a zlib stream. ActiveMQ 5.x's ActiveMQBytesMessage.doCompress deflates
// the whole backing array of its ByteArrayOutputStream, so the stream inflates to the
// buffer's capacity, zero-padded past the length; Java's reader takes the first length
// bytes. The capacity is at most max(1028, 2*length-1), so a stream that inflates
// beyond max(1028, 2*length) is refused as a decompression bomb.
func inflateBytesBody(content []byte, maxBody int) ([]byte, error) {
	if len(content) < 4 {
		return nil, fmt.Errorf("%w: compressed body of %d bytes has no length", ErrMalformed, len(content))
	}
	n := int(int32(binary.BigEndian.Uint32(content)))
	if n < 0 {
		return nil, fmt.Errorf("%w: compressed body claims %d bytes", ErrMalformed, n)
	}
	if n > maxBody {
		return nil, fmt.Errorf("%w: compressed body of %d bytes exceeds the limit of %d", ErrFrameTooLarge, n, maxBody)
	}
	zr, err := zlib.NewReader(bytes.NewReader(content[4:]))
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrMalformed, err)
	}
	defer zr.Close()
	body := make([]byte, n)
	if got, err := io.ReadFull(zr, body); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, fmt.Errorf("%w: compressed body inflates to %d bytes, its length says %d", ErrMalformed, got, n)
		}
		return nil, fmt.Errorf("%w: zlib: %v", ErrMalformed, err)
	}
	// Read the padding to the end too, so the stream's checksum is verified.
	pad := int64(max(javaBufferSize, 2*n) - n)
	extra, err := io.Copy(io.Discard, io.LimitReader(zr, pad+1))
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrMalformed, err)
	}
	if extra > pad {
		return nil, fmt.Errorf("%w: compressed body of %d bytes inflates past %d (more than a Java client's buffer padding)", ErrFrameTooLarge, n, int64(n)+pad)
	}
	return body, nil
}

// inflate decompresses a zlib stream, refusing output larger than limit.
func inflate(b []byte, limit int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrMalformed, err)
	}
	defer zr.Close()
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrMalformed, err)
	}
	if n > int64(limit) {
		return nil, fmt.Errorf("%w: decompressed body exceeds %d bytes", ErrFrameTooLarge, limit)
	}
	return out.Bytes(), nil
}

func deflate(prefix []byte, b []byte) []byte {
	var out bytes.Buffer
	out.Write(prefix)
	zw := zlib.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// encodeContent returns the content bytes of m as Java would store them.
func (m *Message) encodeContent() ([]byte, bool, error) {
	switch m.Kind {
	case KindText:
		var e encoder
		e.int32(int32(mutf8Len(m.Text)))
		e.b = appendMUTF8(e.b, m.Text)
		if m.Compressed {
			return deflate(nil, e.b), true, nil
		}
		return e.b, true, nil
	case KindBytes:
		if m.Compressed {
			var n [4]byte
			binary.BigEndian.PutUint32(n[:], uint32(len(m.Body)))
			return deflate(n[:], m.Body), true, nil
		}
		return m.Body, true, nil
	case KindMap:
		var e encoder
		e.primitiveMap(m.Map, 0)
		if e.err != nil {
			return nil, false, e.err
		}
		if m.Compressed {
			return deflate(nil, e.b), true, nil
		}
		return e.b, true, nil
	case KindPlain:
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("openwire: cannot send %s messages (use text, bytes, map or plain)", m.Kind)
}

// message writes an ActiveMQMessage frame for a producer.
func (e *encoder) message(id int32, respReq bool, m *Message, pid producerID, dest *Destination, tx *txID, content []byte, hasContent bool, props []byte) {
	start := e.beginFrame(m.Kind.commandType())
	e.messageFields(id, respReq, m, pid, dest, tx, content, hasContent, props)
	e.endFrame(start)
}

// messageFields writes a message's fields, after its type byte.
func (e *encoder) messageFields(id int32, respReq bool, m *Message, pid producerID, dest *Destination, tx *txID, content []byte, hasContent bool, props []byte) {
	e.command(id, respReq)
	e.producerID(pid)
	e.destination(dest)
	e.txID(tx)
	e.null() // originalDestination
	e.messageID(&m.id)
	e.null() // originalTransactionId
	e.str(m.GroupID)
	e.int32(m.GroupSequence)
	e.str(m.CorrelationID)
	e.bool1(m.Persistent)
	e.long(m.Expiration)
	e.byte1(m.Priority)
	e.destination(m.ReplyTo)
	e.long(m.Timestamp)
	e.str(m.Type)
	e.bytes(content, hasContent)
	e.bytes(props, props != nil)
	e.null() // dataStructure
	e.null() // targetConsumerId
	e.bool1(m.Compressed && hasContent)
	e.int32(0)     // redeliveryCounter
	e.null()       // brokerPath
	e.long(0)      // arrival
	e.null()       // userID
	e.bool1(false) // recievedByDFBridge
	e.bool1(false) // droppable
	e.null()       // cluster
	e.long(0)      // brokerInTime
	e.long(0)      // brokerOutTime
	e.bool1(false) // jmsXGroupFirstForConsumer
}
