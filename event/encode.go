package event

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Kind is the JMS message type of a record. Lambda delivers only text and bytes
// messages; the engine dead-letters the other kinds before they reach this package.
type Kind uint8

const (
	Text  Kind = iota + 1 // javax.jms.TextMessage: "jms/text-message"
	Bytes                 // javax.jms.BytesMessage: "jms/bytes-message"
)

// Record is one ActiveMQ message as the engine hands it over.
type Record struct {
	MessageID     string
	Kind          Kind   // Text or Bytes; any other value is encoded as a bytes message
	Data          []byte // the body: UTF-8 text or raw bytes; sent base64-encoded
	Timestamp     int64  // JMSTimestamp, ms since the epoch
	Persistent    bool   // JMSDeliveryMode
	CorrelationID string
	ReplyTo       string // e.g. "queue://X", or "" when unset
	Type          string // JMSType
	Expiration    int64  // JMSExpiration, ms since the epoch, 0 when none
	Priority      int
	Redelivered   bool
	Destination   string // the physical queue name
	BrokerInTime  int64
	BrokerOutTime int64
	// Properties are the JMS custom properties as Go values of their Java types: bool,
	// int8, int16, int32, int64, float32, float64, string, []byte or nil.
	Properties map[string]any
}

// The event's fixed text. Key spelling and order follow real payloads (the
// aws-lambda-go fixture events/testdata/activemq-event.json, captured from a broker, and
// an EventBridge Pipes capture of 2023-11), not the AWS documentation example:
//   - "eventSource" is "aws:mq" ("aws:amq" appears only in launch-era docs);
//   - "correlationID" with a capital ID (the docs say "correlationId");
//   - "destination":{"physicalName":…} (old docs said "physicalname").
const (
	evHead   = `{"eventSource":"aws:mq","eventSourceArn":`
	evMsgs   = `,"messages":[`
	evTail   = `]}`
	kMsgID   = `{"messageID":`
	kType    = `,"messageType":`
	kTS      = `,"timestamp":`
	kMode    = `,"deliveryMode":`
	kCorr    = `,"correlationID":`
	kReply   = `,"replyTo":`
	kDest    = `,"destination":{"physicalName":`
	kRedeliv = `},"redelivered":`
	kJMSType = `,"type":`
	kExp     = `,"expiration":`
	kPrio    = `,"priority":`
	kData    = `,"data":"`
	kIn      = `","brokerInTime":`
	kOut     = `,"brokerOutTime":`
	kProps   = `,"properties":{`
	kEnd     = `}}`

	textType  = `"jms/text-message"`
	bytesType = `"jms/bytes-message"`

	// fixedLen is every constant byte of one message object.
	fixedLen = len(kMsgID) + len(kType) + len(kTS) + len(kMode) + len(kCorr) + len(kReply) +
		len(kDest) + len(kRedeliv) + len(kJMSType) + len(kExp) + len(kPrio) + len(kData) +
		len(kIn) + len(kOut) + len(kProps) + len(kEnd)
)

// AppendEvent appends to dst the JSON of the aws:mq event for records, as Lambda sends
// it to the function, and returns the extended buffer.
//
// Field choices (every field is always present, as in real payloads):
//   - deliveryMode is JMS's: 2 (PERSISTENT) for a persistent message, 1 (NON_PERSISTENT)
//     otherwise. Real payloads show 1 for messages sent non-persistent (the default of
//     the console and of most STOMP/AMQP senders); Lambda's poller is a JMS client that
//     reports JMSDeliveryMode.
//   - correlationID and type are "" when unset, and replyTo is the string "null" when
//     unset (Java's String.valueOf(null)): that is what real payloads carry, while the
//     docs show JSON null. A set replyTo is the destination's JMS text form, "queue://X".
//   - expiration is a number (0 when none); the docs' string "60000" breaks Go, Java and
//     Rust decoders.
//   - data is the body in standard base64 with padding, for text and bytes alike.
//   - properties renders every value as a JSON string, as real Lambda does (the docs show
//     "index":"1", "doAlarm":"false", and every typed library models the map as
//     string→string): booleans and integers in decimal, floats as Java's
//     Float/Double.toString (1.0, 1.0E7, NaN), byte arrays in base64 (no published
//     payload shows one), and a nil value as JSON null. Keys are sorted so events are
//     reproducible. With no properties the map is {}: Lambda has been seen to send null
//     and to omit the key, and {} decodes to the same empty map in the Go, Java, Rust,
//     .NET and Python libraries while never tripping code that iterates it.
func AppendEvent(dst []byte, eventSourceArn string, records []Record) []byte {
	dst = append(dst, evHead...)
	dst = appendString(dst, eventSourceArn)
	dst = append(dst, evMsgs...)
	for i := range records {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendRecord(dst, &records[i])
	}
	return append(dst, evTail...)
}

// RecordSize is the exact number of bytes r adds to an event: its message object plus
// one separating comma. So for any records,
//
//	len(AppendEvent(nil, arn, records)) <= len(AppendEvent(nil, arn, nil)) + Σ RecordSize
//
// with equality less one byte when records is not empty (the first record has no
// comma): the sum is an upper bound that is never more than 1 byte high.
func RecordSize(r *Record) int {
	n := fixedLen + 1 // the comma
	n += stringLen(r.MessageID)
	if r.Kind == Text {
		n += len(textType)
	} else {
		n += len(bytesType)
	}
	n += intLen(r.Timestamp) + 1 // deliveryMode is one digit
	n += stringLen(r.CorrelationID)
	if r.ReplyTo == "" {
		n += len(`"null"`)
	} else {
		n += stringLen(r.ReplyTo)
	}
	n += stringLen(r.Destination)
	if r.Redelivered {
		n += len("true")
	} else {
		n += len("false")
	}
	n += stringLen(r.Type)
	n += intLen(r.Expiration) + intLen(int64(r.Priority))
	n += base64Len(len(r.Data))
	n += intLen(r.BrokerInTime) + intLen(r.BrokerOutTime)
	if len(r.Properties) > 0 {
		n += len(r.Properties) - 1 // commas between members
		for k, v := range r.Properties {
			n += stringLen(k) + 1 + propValueLen(v)
		}
	}
	return n
}

func appendRecord(dst []byte, r *Record) []byte {
	dst = append(dst, kMsgID...)
	dst = appendString(dst, r.MessageID)
	dst = append(dst, kType...)
	if r.Kind == Text {
		dst = append(dst, textType...)
	} else {
		dst = append(dst, bytesType...)
	}
	dst = append(dst, kTS...)
	dst = strconv.AppendInt(dst, r.Timestamp, 10)
	dst = append(dst, kMode...)
	if r.Persistent {
		dst = append(dst, '2')
	} else {
		dst = append(dst, '1')
	}
	dst = append(dst, kCorr...)
	dst = appendString(dst, r.CorrelationID)
	dst = append(dst, kReply...)
	if r.ReplyTo == "" {
		dst = append(dst, `"null"`...)
	} else {
		dst = appendString(dst, r.ReplyTo)
	}
	dst = append(dst, kDest...)
	dst = appendString(dst, r.Destination)
	dst = append(dst, kRedeliv...)
	dst = strconv.AppendBool(dst, r.Redelivered)
	dst = append(dst, kJMSType...)
	dst = appendString(dst, r.Type)
	dst = append(dst, kExp...)
	dst = strconv.AppendInt(dst, r.Expiration, 10)
	dst = append(dst, kPrio...)
	dst = strconv.AppendInt(dst, int64(r.Priority), 10)
	dst = append(dst, kData...)
	dst = appendBase64(dst, r.Data)
	dst = append(dst, kIn...)
	dst = strconv.AppendInt(dst, r.BrokerInTime, 10)
	dst = append(dst, kOut...)
	dst = strconv.AppendInt(dst, r.BrokerOutTime, 10)
	dst = append(dst, kProps...)
	dst = appendProperties(dst, r.Properties)
	return append(dst, kEnd...)
}

func appendProperties(dst []byte, props map[string]any) []byte {
	if len(props) == 0 {
		return dst
	}
	var stack [32]string
	keys := stack[:0]
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendPropValue(dst, props[k])
	}
	return dst
}

func appendPropValue(dst []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return appendString(dst, v)
	case bool:
		dst = append(dst, '"')
		dst = strconv.AppendBool(dst, v)
	case int8:
		return appendQuotedInt(dst, int64(v))
	case int16:
		return appendQuotedInt(dst, int64(v))
	case int32:
		return appendQuotedInt(dst, int64(v))
	case int64:
		return appendQuotedInt(dst, v)
	case int:
		return appendQuotedInt(dst, int64(v))
	case uint8:
		return appendQuotedInt(dst, int64(v))
	case uint16:
		return appendQuotedInt(dst, int64(v))
	case uint32:
		return appendQuotedInt(dst, int64(v))
	case uint64:
		dst = append(dst, '"')
		dst = strconv.AppendUint(dst, v, 10)
	case uint:
		dst = append(dst, '"')
		dst = strconv.AppendUint(dst, uint64(v), 10)
	case float32:
		dst = append(dst, '"')
		dst = appendJavaFloat(dst, float64(v), 32)
	case float64:
		dst = append(dst, '"')
		dst = appendJavaFloat(dst, v, 64)
	case []byte:
		dst = append(dst, '"')
		dst = appendBase64(dst, v)
	default:
		// Not a type the OpenWire client produces; render it rather than fail the batch.
		return appendString(dst, fmt.Sprint(v))
	}
	return append(dst, '"')
}

func appendQuotedInt(dst []byte, v int64) []byte {
	dst = append(dst, '"')
	dst = strconv.AppendInt(dst, v, 10)
	return append(dst, '"')
}

func propValueLen(v any) int {
	switch v := v.(type) {
	case nil:
		return len("null")
	case string:
		return stringLen(v)
	case bool:
		if v {
			return len(`"true"`)
		}
		return len(`"false"`)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint, float32, float64:
		var b [40]byte
		return len(appendPropValue(b[:0], v))
	case []byte:
		return 2 + base64Len(len(v))
	default:
		return stringLen(fmt.Sprint(v))
	}
}

// appendJavaFloat formats f as Java's Double.toString (bits 64) or Float.toString
// (bits 32) do since JDK 19: the shortest digits that round-trip (at least two), in
// plain notation with at least one fraction digit for 1e-3 <= |f| < 1e7, and as
// d.dddEn otherwise.
func appendJavaFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, bits)
		for _, c := range dst[start:] {
			if c == '.' {
				return dst
			}
		}
		return append(dst, ".0"...)
	}
	var b [32]byte
	s := strconv.AppendFloat(b[:0], f, 'e', -1, bits) // e.g. 1.5e+07, 1e-05
	if s[1] == 'e' || s[0] == '-' && s[2] == 'e' {
		// One digit: Java renders the two-digit decimal nearest the value, which
		// differs from d.0 only for subnormals (Double.MIN_VALUE is 4.9E-324).
		s = strconv.AppendFloat(b[:0], f, 'e', 1, bits)
	}
	e := 0
	for s[e] != 'e' {
		e++
	}
	dst = append(dst, s[:e]...)
	dst = append(dst, 'E')
	exp := s[e+1:]
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	exp = exp[1:]
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(dst, exp...)
}

func intLen(v int64) int {
	var b [20]byte
	return len(strconv.AppendInt(b[:0], v, 10))
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 bytes become U+FFFD, as
// encoding/json does; <, > and & are not escaped (Lambda's Java serializer does not).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// stringLen is len(appendString(nil, s)).
func stringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n += len("\uFFFD")
			i++
			continue
		}
		n += size
		i += size
	}
	return n
}
