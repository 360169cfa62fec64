package fakebroker

import (
	"encoding/binary"
	"errors"
	"math"
	"sync/atomic"
)

// Command and data structure types (ActiveMQ's CommandTypes.java).
const (
	typeWireFormatInfo  = 1
	typeConnectionInfo  = 3
	typeConsumerInfo    = 5
	typeTransactionInfo = 7
	typeShutdownInfo    = 11
	typeConnectionError = 16
	typeConsumerCtrl    = 17
	typeConnectionCtrl  = 18
	typeMessageDispatch = 21
	typeMessageAck      = 22
	typeTextMessage     = 28
	typeResponse        = 30
	typeQueue           = 100
	typeMessageID       = 110
	typeSessionID       = 121
	typeConsumerID      = 122
	typeProducerID      = 123

	ackPoison = 1

	txCommitOnePhase = 2
	txCommitTwoPhase = 3
)

// builder appends loose-encoded OpenWire primitives.
type builder struct{ b []byte }

func (w *builder) byte(v byte) { w.b = append(w.b, v) }
func (w *builder) bool(v bool) {
	if v {
		w.byte(1)
	} else {
		w.byte(0)
	}
}
func (w *builder) int32(v int32) { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }
func (w *builder) int64(v int64) { w.b = binary.BigEndian.AppendUint64(w.b, uint64(v)) }
func (w *builder) utf(s string) {
	w.b = binary.BigEndian.AppendUint16(w.b, uint16(len(s)))
	w.b = append(w.b, s...)
}

// str writes a nullable string ("" as null); names here are ASCII, so UTF-8 is
// modified UTF-8.
func (w *builder) str(s string) {
	if s == "" {
		w.bool(false)
		return
	}
	w.bool(true)
	w.utf(s)
}
func (w *builder) bytes(b []byte) {
	w.bool(true)
	w.int32(int32(len(b)))
	w.b = append(w.b, b...)
}

// frame wraps a command body (type byte first) with its size prefix.
func frame(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// wireFormatInfo is the broker's greeting, with the properties ActiveMQ 5.17 sends
// but one: the fake speaks loose encoding only, so it offers no tight encoding (a
// broker configured with wireFormat.tightEncodingEnabled=false says the same).
func wireFormatInfo(maxFrame int64, version int32) []byte {
	if maxFrame <= 0 {
		maxFrame = math.MaxInt64
	}
	var p builder
	type prop struct {
		key string
		typ byte
		val func(*builder)
	}
	props := []prop{
		{"CacheEnabled", 1, func(w *builder) { w.bool(true) }},
		{"CacheSize", 5, func(w *builder) { w.int32(1024) }},
		{"MaxFrameSize", 6, func(w *builder) { w.int64(maxFrame) }},
		{"MaxInactivityDuration", 6, func(w *builder) { w.int64(30000) }},
		{"MaxInactivityDurationInitalDelay", 6, func(w *builder) { w.int64(10000) }},
		{"SizePrefixDisabled", 1, func(w *builder) { w.bool(false) }},
		{"StackTraceEnabled", 1, func(w *builder) { w.bool(true) }},
		{"TcpNoDelayEnabled", 1, func(w *builder) { w.bool(true) }},
		{"TightEncodingEnabled", 1, func(w *builder) { w.bool(false) }},
	}
	p.int32(int32(len(props)))
	for _, pr := range props {
		p.utf(pr.key)
		p.byte(pr.typ)
		pr.val(&p)
	}
	var w builder
	w.byte(typeWireFormatInfo)
	w.b = append(w.b, "ActiveMQ"...)
	w.int32(version)
	w.bytes(p.b)
	return frame(w.b)
}

func response(id, corr int32) []byte {
	var w builder
	w.byte(typeResponse)
	w.int32(id)
	w.bool(false)
	w.int32(corr)
	return frame(w.b)
}

// textContent is an ActiveMQTextMessage body: int32 length + modified UTF-8.
func textContent(s string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(s)))
	return append(b, s...)
}

var dispatchSeq atomic.Int64

// dispatch is a MessageDispatch of a persistent text message with the given
// content; idType tags the consumerId (typeConsumerID unless a fault wants otherwise).
func dispatch(id int32, k consumerID, idType byte, content []byte, compressed bool) []byte {
	return dispatchWith(id, k, idType, content, compressed, nil)
}

// dispatchWith is dispatch with the message's dataStructure field as given (nil: null).
func dispatchWith(id int32, k consumerID, idType byte, content []byte, compressed bool, dataStructure []byte) []byte {
	seq := dispatchSeq.Add(1)
	var w builder
	w.byte(typeMessageDispatch)
	w.int32(id)
	w.bool(false)
	// consumerId
	w.bool(true)
	w.byte(idType)
	w.str(k.conn)
	w.int64(k.session)
	w.int64(k.value)
	// destination
	w.bool(true)
	w.byte(typeQueue)
	w.str(k.queue)
	// message
	w.bool(true)
	w.byte(typeTextMessage)
	w.int32(0)
	w.bool(false)
	w.bool(false) // producerId
	w.bool(true)  // destination
	w.byte(typeQueue)
	w.str(k.queue)
	w.bool(false) // transactionId
	w.bool(false) // originalDestination
	w.bool(true)  // messageId
	w.byte(typeMessageID)
	w.str("")
	w.bool(true)
	w.byte(typeProducerID)
	w.str("ID:fakebroker-1:1")
	w.int64(1)
	w.int64(1)
	w.int64(seq)
	w.int64(seq)
	w.bool(false) // originalTransactionId
	w.str("")     // groupId
	w.int32(0)    // groupSequence
	w.str("")     // correlationId
	w.bool(true)  // persistent
	w.int64(0)    // expiration
	w.byte(4)     // priority
	w.bool(false) // replyTo
	w.int64(1700000000000)
	w.str("") // type
	w.bytes(content)
	w.bool(false) // properties
	if dataStructure == nil {
		w.bool(false)
	} else {
		w.b = append(w.b, dataStructure...)
	}
	w.bool(false) // targetConsumerId
	w.bool(compressed)
	w.int32(0)    // redeliveryCounter
	w.bool(false) // brokerPath
	w.int64(0)    // arrival
	w.str("")     // userId
	w.bool(false) // recievedByDFBridge
	w.bool(false) // droppable
	w.bool(false) // cluster
	w.int64(0)    // brokerInTime
	w.int64(0)    // brokerOutTime
	w.bool(false) // jmsXGroupFirstForConsumer
	w.int32(0)    // MessageDispatch.redeliveryCounter
	return frame(w.b)
}

// reader decodes the few client commands the server looks into; errors are sticky.
type reader struct {
	b   []byte
	err error
}

var errShort = errors.New("fakebroker: short command")

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if len(r.b) < n {
		r.err = errShort
		return false
	}
	return true
}

func (r *reader) byte() byte {
	if !r.need(1) {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) bool() bool { return r.byte() != 0 }

func (r *reader) int32() int32 {
	if !r.need(4) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(r.b))
	r.b = r.b[4:]
	return v
}

func (r *reader) int64() int64 {
	if !r.need(8) {
		return 0
	}
	v := int64(binary.BigEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *reader) str() string {
	if !r.bool() {
		return ""
	}
	if !r.need(2) {
		return ""
	}
	n := int(binary.BigEndian.Uint16(r.b))
	r.b = r.b[2:]
	if !r.need(n) {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// nested reads the presence flag and type byte of a nested object.
func (r *reader) nested() bool {
	if !r.bool() {
		return false
	}
	r.byte()
	return r.err == nil
}

func (r *reader) consumerID() consumerID {
	var k consumerID
	if r.nested() {
		k.conn = r.str()
		k.session = r.int64()
		k.value = r.int64()
	}
	return k
}

func (r *reader) destination() (bool, string) {
	if !r.nested() {
		return false, ""
	}
	return true, r.str()
}

func (r *reader) messageID() {
	if !r.nested() {
		return
	}
	r.str()
	if r.nested() {
		r.str()
		r.int64()
		r.int64()
	}
	r.int64()
	r.int64()
}

// connectionError is a ConnectionError (no ConnectionId, as ActiveMQ's
// TransportConnection.serviceException sends it) with the given exception.
func connectionError(id int32, class, message string) []byte {
	var w builder
	w.byte(typeConnectionError)
	w.int32(id)
	w.bool(false)
	w.bool(true) // exception, without a stack trace
	w.str(class)
	w.str(message)
	w.bool(false) // connectionId
	return frame(w.b)
}

// consumerClose is ConsumerControl{close=true} for k, as the broker's
// abortSlowConsumerStrategy sends it.
func consumerClose(id int32, k consumerID) []byte {
	var w builder
	w.byte(typeConsumerCtrl)
	w.int32(id)
	w.bool(false)
	w.bool(true) // destination
	w.byte(typeQueue)
	w.str(k.queue)
	w.bool(true) // close
	w.bool(true) // consumerId
	w.byte(typeConsumerID)
	w.str(k.conn)
	w.int64(k.session)
	w.int64(k.value)
	w.int32(0)    // prefetch
	w.bool(false) // flush
	w.bool(false) // start
	w.bool(false) // stop
	return frame(w.b)
}

// connectionControl is a ConnectionControl as a broker with updateClusterClients
// and rebalanceClusterClients sends it.
func connectionControl(id int32, connectedBrokers, reconnectTo string) []byte {
	var w builder
	w.byte(typeConnectionCtrl)
	w.int32(id)
	w.bool(false)
	w.bool(false) // close
	w.bool(false) // exit
	w.bool(false) // faultTolerant
	w.bool(false) // resume
	w.bool(false) // suspend
	w.str(connectedBrokers)
	w.str(reconnectTo)
	w.bool(reconnectTo != "") // rebalanceConnection
	w.bool(false)             // token
	return frame(w.b)
}
