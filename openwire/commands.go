package openwire

import (
	"fmt"
	"strconv"
)

// Command and data structure type codes (command/CommandTypes.java).
const (
	typeWireFormatInfo     = 1
	typeBrokerInfo         = 2
	typeConnectionInfo     = 3
	typeSessionInfo        = 4
	typeConsumerInfo       = 5
	typeProducerInfo       = 6
	typeTransactionInfo    = 7
	typeKeepAliveInfo      = 10
	typeShutdownInfo       = 11
	typeRemoveInfo         = 12
	typeConnectionError    = 16
	typeConsumerControl    = 17
	typeConnectionControl  = 18
	typeMessageDispatch    = 21
	typeMessageAck         = 22
	typeMessage            = 23
	typeBytesMessage       = 24
	typeMapMessage         = 25
	typeObjectMessage      = 26
	typeStreamMessage      = 27
	typeTextMessage        = 28
	typeBlobMessage        = 29
	typeResponse           = 30
	typeExceptionResponse  = 31
	typeDataResponse       = 32
	typeDataArrayResponse  = 33
	typeIntegerResponse    = 34
	typeQueue              = 100
	typeTopic              = 101
	typeTempQueue          = 102
	typeTempTopic          = 103
	typeMessageID          = 110
	typeLocalTransactionID = 111
	typeXATransactionID    = 112
	typeConnectionID       = 120
	typeSessionID          = 121
	typeConsumerID         = 122
	typeProducerID         = 123
	typeBrokerID           = 124
)

const protocolVersion = 12

// Ack types (command/MessageAck.java).
const (
	ackDelivered   = 0
	ackPoison      = 1
	ackStandard    = 2
	ackRedelivered = 3
	ackIndividual  = 4
)

// Transaction operations (command/TransactionInfo.java).
const (
	txBegin    = 0
	txCommit1  = 2
	txRollback = 4
)

type producerID struct {
	conn           string
	value, session int64
}

func (p producerID) appendTo(b []byte) []byte {
	b = append(b, p.conn...)
	b = append(b, ':')
	b = strconv.AppendInt(b, p.session, 10)
	b = append(b, ':')
	return strconv.AppendInt(b, p.value, 10)
}

type consumerID struct {
	conn           string
	session, value int64
}

// messageID is the broker's identity of a message; acks echo it unchanged.
type messageID struct {
	textView  string
	producer  producerID
	prodSeq   int64
	brokerSeq int64
}

// String is JMSMessageID as Java prints it (MessageId.toString).
func (m *messageID) String() string {
	if m.textView != "" {
		if len(m.textView) >= 3 && m.textView[:3] == "ID:" {
			return m.textView
		}
		return "ID:" + m.textView
	}
	var buf [128]byte
	b := m.producer.appendTo(buf[:0])
	b = append(b, ':')
	b = strconv.AppendInt(b, m.prodSeq, 10)
	return string(b)
}

// ---- encoding of data structures (cache off: cached == nested) ----

func (e *encoder) connectionID(s string) {
	e.bool1(true)
	e.byte1(typeConnectionID)
	e.str(s)
}

func (e *encoder) sessionID(conn string, v int64) {
	e.bool1(true)
	e.byte1(typeSessionID)
	e.str(conn)
	e.long(v)
}

func (e *encoder) consumerID(c consumerID) {
	e.bool1(true)
	e.byte1(typeConsumerID)
	e.str(c.conn)
	e.long(c.session)
	e.long(c.value)
}

func (e *encoder) producerID(p producerID) {
	e.bool1(true)
	e.byte1(typeProducerID)
	e.str(p.conn)
	e.long(p.value)
	e.long(p.session)
}

func (e *encoder) destination(d *Destination) {
	if d == nil || d.Name == "" {
		e.null()
		return
	}
	e.bool1(true)
	e.byte1(d.Kind.typeCode())
	e.str(d.Name)
}

func (e *encoder) messageID(m *messageID) {
	if m == nil {
		e.null()
		return
	}
	e.bool1(true)
	e.byte1(typeMessageID)
	e.str(m.textView)
	e.producerID(m.producer)
	e.long(m.prodSeq)
	e.long(m.brokerSeq)
}

type txID struct {
	value int64
	conn  string
}

func (e *encoder) txID(t *txID) {
	if t == nil {
		e.null()
		return
	}
	e.bool1(true)
	e.byte1(typeLocalTransactionID)
	e.long(t.value)
	e.connectionID(t.conn)
}

// throwable writes a Throwable without a stack trace (StackTraceEnabled is
// negotiated off because this client advertises false).
func (e *encoder) throwable(class, message string) {
	e.bool1(true)
	e.str(class)
	e.str(message)
}

// ---- commands this client sends ----

type wireFormat struct {
	version int32
	props   map[string]any
}

func (e *encoder) wireFormatInfo(w wireFormat) {
	start := e.beginFrame(typeWireFormatInfo)
	e.b = append(e.b, "ActiveMQ"...)
	e.int32(w.version)
	props, err := encodeProperties(w.props)
	e.setErr(err)
	e.bytes(props, true)
	e.endFrame(start)
}

type connectionInfo struct {
	connID, clientID, password, user string
	faultTolerant, failoverReconnect bool
}

func (e *encoder) connectionInfo(id int32, c connectionInfo) {
	start := e.beginFrame(typeConnectionInfo)
	e.command(id, true)
	e.connectionID(c.connID)
	e.str(c.clientID)
	e.str(c.password)
	e.str(c.user)
	e.null()       // brokerPath
	e.bool1(false) // brokerMasterConnector
	e.bool1(false) // manageable
	e.bool1(false) // clientMaster
	e.bool1(c.faultTolerant)
	e.bool1(c.failoverReconnect)
	e.null() // clientIp
	e.endFrame(start)
}

func (e *encoder) sessionInfo(id int32, conn string, session int64) {
	start := e.beginFrame(typeSessionInfo)
	e.command(id, true)
	e.sessionID(conn, session)
	e.endFrame(start)
}

type consumerInfo struct {
	id       consumerID
	dest     Destination
	prefetch int32
	selector string
	browser  bool
}

func (e *encoder) consumerInfo(id int32, c *consumerInfo) {
	start := e.beginFrame(typeConsumerInfo)
	e.command(id, true)
	e.consumerID(c.id)
	e.bool1(c.browser)
	e.destination(&c.dest)
	e.int32(c.prefetch)
	e.int32(0)    // maximumPendingMessageLimit
	e.bool1(true) // dispatchAsync
	e.str(c.selector)
	e.null()       // clientId
	e.null()       // subscriptionName
	e.bool1(false) // noLocal
	e.bool1(false) // exclusive
	e.bool1(false) // retroactive
	e.byte1(0)     // priority
	e.null()       // brokerPath
	e.null()       // additionalPredicate
	e.bool1(false) // networkSubscription
	e.bool1(false) // optimizedAcknowledge
	e.bool1(false) // noRangeAcks
	e.null()       // networkConsumerPath
	e.endFrame(start)
}

func (e *encoder) producerInfo(id int32, p producerID) {
	start := e.beginFrame(typeProducerInfo)
	e.command(id, true)
	e.producerID(p)
	e.null()       // destination: any
	e.null()       // brokerPath
	e.bool1(false) // dispatchAsync
	e.int32(0)     // windowSize
	e.endFrame(start)
}

// removeInfo removes a connection, session, consumer or producer; object writes the id.
func (e *encoder) removeInfo(id int32, object func(*encoder), lastDelivered int64) {
	start := e.beginFrame(typeRemoveInfo)
	e.command(id, true)
	object(e)
	e.long(lastDelivered)
	e.endFrame(start)
}

func (e *encoder) transactionInfo(id int32, respReq bool, conn string, tx txID, op byte) {
	start := e.beginFrame(typeTransactionInfo)
	e.command(id, respReq)
	e.connectionID(conn)
	e.txID(&tx)
	e.byte1(op)
	e.endFrame(start)
}

type messageAck struct {
	dest        *Destination
	tx          *txID
	consumer    consumerID
	ackType     byte
	first, last *messageID
	count       int32
	poisonCause string // poison acks only
}

func (e *encoder) messageAck(id int32, respReq bool, a *messageAck) {
	start := e.beginFrame(typeMessageAck)
	e.command(id, respReq)
	e.destination(a.dest)
	e.txID(a.tx)
	e.consumerID(a.consumer)
	e.byte1(a.ackType)
	e.messageID(a.first)
	e.messageID(a.last)
	e.int32(a.count)
	if a.ackType == ackPoison {
		e.throwable("java.lang.Throwable", a.poisonCause)
	} else {
		e.null()
	}
	e.endFrame(start)
}

// consumerControl asks the broker to change a consumer's prefetch.
func (e *encoder) consumerControl(id int32, c consumerID, dest *Destination, prefetch int32) {
	start := e.beginFrame(typeConsumerControl)
	e.command(id, false)
	e.destination(dest)
	e.bool1(false) // close
	e.consumerID(c)
	e.int32(prefetch)
	e.bool1(false) // flush
	e.bool1(false) // start
	e.bool1(false) // stop
	e.endFrame(start)
}

func (e *encoder) keepAlive(id int32) {
	start := e.beginFrame(typeKeepAliveInfo)
	e.command(id, false)
	e.endFrame(start)
}

func (e *encoder) shutdownInfo(id int32) {
	start := e.beginFrame(typeShutdownInfo)
	e.command(id, false)
	e.endFrame(start)
}

// ---- decoding of data structures ----

// nestedType reads the presence flag and type of a nested (or uncached cached)
// object; 0 means null.
func (d *decoder) nestedType() byte {
	if !d.bool1() {
		return 0
	}
	t := d.byte1()
	if t == 0 {
		d.fail("nested object of type 0")
	}
	return t
}

func (d *decoder) expect(got, want byte, what string) bool {
	if got != want {
		d.fail("%s has type %d, want %d", what, got, want)
		return false
	}
	return true
}

func (d *decoder) producerIDBody() producerID {
	return producerID{conn: d.istr(), value: d.long(), session: d.long()}
}

func (d *decoder) consumerIDBody() consumerID {
	return consumerID{conn: d.istr(), session: d.long(), value: d.long()}
}

func (d *decoder) messageIDBody() messageID {
	m := messageID{textView: d.str()}
	if t := d.nestedType(); t != 0 && d.expect(t, typeProducerID, "MessageId.producerId") {
		m.producer = d.producerIDBody()
	}
	m.prodSeq = d.long()
	m.brokerSeq = d.long()
	return m
}

// destination reads a nullable nested destination.
func (d *decoder) destination() (Destination, bool) {
	t := d.nestedType()
	if t == 0 {
		return Destination{}, false
	}
	k, ok := kindFromType(t)
	if !ok {
		d.fail("destination has type %d", t)
		return Destination{}, false
	}
	return Destination{Kind: k, Name: d.istr()}, true
}

// skipBody skips the body of a data structure found nested in a command. Only
// the structures the broker puts inside messages and acks are known.
func (d *decoder) skipBody(t byte, depth int) {
	if depth > maxNesting {
		d.fail("objects nested too deep")
		return
	}
	switch t {
	case typeQueue, typeTopic, typeTempQueue, typeTempTopic, typeConnectionID, typeBrokerID:
		d.skipStr()
	case typeSessionID:
		d.skipStr()
		d.long()
	case typeConsumerID, typeProducerID:
		d.skipStr()
		d.long()
		d.long()
	case typeMessageID:
		d.messageIDBody()
	case typeLocalTransactionID:
		d.long()
		d.skipNested(depth + 1)
	case typeXATransactionID:
		d.int32()
		d.bytes()
		d.bytes()
	default:
		d.fail("unsupported nested object type %d", t)
	}
}

// skipStr skips a nullable string without decoding it.
func (d *decoder) skipStr() { d.strBytes() }

func (d *decoder) skipNested(depth int) {
	if t := d.nestedType(); t != 0 {
		d.skipBody(t, depth)
	}
}

func (d *decoder) skipObjectArray() {
	if !d.bool1() {
		return
	}
	n := int(d.int16())
	if n < 0 {
		d.fail("negative object array length")
		return
	}
	for i := 0; i < n && d.err == nil; i++ {
		d.skipNested(0)
	}
}

// throwable reads a Throwable; with stack traces negotiated off there are none.
func (d *decoder) throwable(stackTrace bool, depth int) *BrokerError {
	if !d.bool1() {
		return nil
	}
	be := &BrokerError{Class: d.str(), Message: d.str()}
	if stackTrace {
		if depth > maxNesting {
			d.fail("exception causes nested too deep")
			return be
		}
		n := int(d.int16())
		for i := 0; i < n && d.err == nil; i++ {
			d.str()
			d.str()
			d.str()
			d.int32()
		}
		d.throwable(true, depth+1)
	}
	return be
}

// istr reads a nullable string, reusing an earlier identical string when the
// decoder has an intern table (ids and destination names repeat on every message).
func (d *decoder) istr() string {
	b, ascii, ok := d.strBytes()
	switch {
	case !ok:
		return ""
	case ascii && hasHigh(b):
		return latin1(b)
	}
	return d.internBytes(b)
}

// internBytes decodes modified UTF-8, reusing an earlier identical string.
func (d *decoder) internBytes(b []byte) string {
	if d.intern == nil {
		return decodeMUTF8(b)
	}
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := decodeMUTF8(b)
	if len(d.intern) < 4096 {
		d.intern[string(b)] = s
	}
	return s
}

func (d *decoder) wireFormatInfo() (wireFormat, error) {
	magic := d.raw(8)
	if d.err == nil && string(magic) != "ActiveMQ" {
		return wireFormat{}, fmt.Errorf("%w: peer is not an OpenWire broker (magic %q)", ErrMalformed, magic)
	}
	w := wireFormat{version: d.int32()}
	if b, ok := d.bytes(); ok {
		sub := decoder{b: b}
		w.props = sub.primitiveMap(0)
		if sub.err != nil {
			return w, sub.err
		}
	}
	return w, d.err
}
