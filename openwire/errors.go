package openwire

import (
	"errors"
	"fmt"
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

	// ErrAuthorization is returned by NewConsumer, NewTopicConsumer,
	// NewProducer and Producer.Send when the broker refused the operation on a
	// destination for the connection's user (a java.lang.SecurityException from
	// its authorizationPlugin: "User x is not authorized to read from:
	// queue://q"). The login itself was accepted, so this is not
	// ErrAuthentication: check the user's read/write/admin groups in the broker's
	// authorization map for that destination. The error also matches
	// *BrokerError with the broker's message.
	ErrAuthorization = errors.New("openwire: broker refused the operation on the destination")

	// ErrConsumerAborted is returned by Consumer.Receive (and the consumer's
	// later calls) after the broker aborted the consumer with
	// ConsumerControl{close=true}: its abortSlowConsumerStrategy or
	// abortSlowAckConsumerStrategy found it too slow to consume or to
	// acknowledge. The consumer was closed at the broker too; messages it held
	// unacknowledged are redelivered. Open a new consumer to go on, and look at
	// how long messages are held before their ack (the broker's
	// maxTimeSinceLastAck, maxSlowDuration).
	ErrConsumerAborted = errors.New("openwire: broker aborted the consumer")

	// ErrRollbackOnly is returned by Session.Commit when the broker reported
	// (ConnectionError) that a one-way command of the open transaction failed,
	// for example an acknowledgement it could not match. Commit then rolled the
	// transaction back, so its messages are redelivered (at least once, none
	// lost); the cause is in the error, matching *BrokerError.
	ErrRollbackOnly = errors.New("openwire: transaction was marked rollback-only")

	// ErrCommitInDoubt is returned by Session.Commit when the link was lost (or
	// ctx ended) after COMMIT was written and before the broker answered: the
	// broker may or may not have committed. Nothing is lost either way: if it
	// did not commit, it redelivers the transaction's messages (with a higher
	// redelivery counter); if it did, they are gone from the queue. For
	// at-least-once processing the caller does nothing more (no retry of the
	// commit, which would find no transaction), and treats redeliveries of
	// messages it already handled as possible duplicates.
	ErrCommitInDoubt = errors.New("openwire: commit outcome unknown")

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

// security classifies a broker's refusal: a security exception becomes kind
// (ErrAuthentication for a refused ConnectionInfo, ErrAuthorization for a
// refused consumer, producer or send), other errors stay as they are.
func security(err error, kind error) error {
	var be *BrokerError
	if errors.As(err, &be) && isSecurityClass(be.Class) && !errors.Is(err, kind) {
		return fmt.Errorf("%w: %w", kind, err)
	}
	return err
}

func isSecurityClass(class string) bool {
	return strings.HasSuffix(class, "SecurityException") || strings.HasSuffix(class, "JMSSecurityException") ||
		strings.HasSuffix(class, "AuthenticationException")
}
