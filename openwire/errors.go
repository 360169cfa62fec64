package openwire

import (
	"errors"
	"strings"
)

// The errors below are matched with errors.Is; the returned errors wrap them with
// what happened where (endpoint, message ID, the broker's own message).
var (
	// ErrAuthentication is returned by Dial (and NewSessionAs, which logs in
	// again for its logical connection) when the broker refused the
	// ConnectionInfo: wrong user name or password, or a user the broker's
	// authentication plugin does not know. Retrying does not help, so failover
	// stops at once at startup. Check Config.User and Config.Password against the
	// broker's users. The error also matches *BrokerError with the broker's
	// exact class and message.
	ErrAuthentication = errors.New("openwire: broker refused the credentials")

	// ErrClosed is returned by calls on a Conn, Session, Consumer or Producer
	// after its Close, and by every call once the connection is permanently
	// gone (see Conn.Done). In the latter case the error also wraps the cause
	// (Conn.Err): check it for ErrInactive, ErrFrameTooLarge or a *BrokerError.
	ErrClosed = errors.New("openwire: closed")

	// ErrFrameTooLarge is returned when a frame exceeds Config.MaxFrameSize (or
	// the smaller limit the broker announced). From the broker, it ends the
	// connection, even under failover, since the broker would only send the frame
	// again: Conn.Err and every later call report it. From this side (a
	// Producer.Send of a big body), only that call fails. Raise MaxFrameSize, or
	// look at what produced the message.
	ErrFrameTooLarge = errors.New("openwire: frame too large")

	// ErrStale is returned by Ack, Redeliver, Poison, Commit and Rollback for
	// messages or a transaction of a link that was lost and re-established by
	// failover. Nothing was sent: the broker took the messages back when the old
	// link died and redelivers them (with a higher redelivery counter), so the
	// caller drops its copies and waits for the redelivery; an uncommitted
	// transaction was rolled back by the broker.
	ErrStale = errors.New("openwire: stale after reconnect")

	// ErrMalformed means bytes from the broker could not be decoded. As a
	// connection error (Conn.Err) it means the stream itself is broken (a bad
	// frame size, a command that does not parse); for a single message whose
	// body or properties do not decode, the message is poisoned to the broker's
	// dead-letter queue with the reason instead, and the connection goes on.
	// Check that the endpoint is an OpenWire transport connector (not STOMP,
	// AMQP or HTTP).
	ErrMalformed = errors.New("openwire: malformed frame")

	// ErrInactive is the cause (Conn.Err, the OnReconnect argument) when the
	// broker sent nothing for the negotiated MaxInactivityDuration, so the link
	// was dropped: a dead broker, a half-open TCP connection, or a network path
	// that lost the connection without a reset. With failover the Conn
	// reconnects; without, it is permanently gone.
	ErrInactive = errors.New("openwire: broker silent past the inactivity timeout")

	// ErrUnsupportedVersion is returned by Dial (and is the cause of a failed
	// reconnect) when the broker announces an OpenWire version below 12, whose
	// marshalling differs from what this client implements. Failover keeps
	// trying the other endpoints. Use an ActiveMQ Classic 5.13 or later broker.
	ErrUnsupportedVersion = errors.New("openwire: unsupported OpenWire version")
)

// BrokerError is an exception reported by the broker (ExceptionResponse or
// ConnectionError), with the Java class name and message.
type BrokerError struct {
	Class   string // e.g. "java.lang.SecurityException"
	Message string
}

func (e *BrokerError) Error() string {
	if e.Message == "" {
		return "openwire: broker error " + e.Class
	}
	return "openwire: broker error " + e.Class + ": " + e.Message
}

// Is makes errors.Is(err, ErrAuthentication) true for the broker's security exceptions.
func (e *BrokerError) Is(target error) bool {
	return target == ErrAuthentication && isSecurityClass(e.Class)
}

func isSecurityClass(class string) bool {
	return strings.HasSuffix(class, "SecurityException") || strings.HasSuffix(class, "JMSSecurityException") ||
		strings.HasSuffix(class, "AuthenticationException")
}
