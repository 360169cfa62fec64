package openwire

import (
	"errors"
	"strings"
)

var (
	// ErrAuthentication means the broker refused the user name or password. The
	// returned error also matches *BrokerError with the broker's exact message.
	ErrAuthentication = errors.New("openwire: broker refused the credentials")
	// ErrClosed is returned by calls on a closed connection, session, consumer or producer.
	ErrClosed = errors.New("openwire: closed")
	// ErrFrameTooLarge means a frame exceeded Config.MaxFrameSize.
	ErrFrameTooLarge = errors.New("openwire: frame too large")
	// ErrStale means the message or transaction belongs to a connection that was lost
	// and re-established by failover: the broker has already taken the message back and
	// will redeliver it, so nothing was sent.
	ErrStale = errors.New("openwire: stale after reconnect")
	// ErrMalformed means bytes from the peer could not be decoded.
	ErrMalformed = errors.New("openwire: malformed frame")
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

// ErrInactive means the broker sent nothing for longer than the negotiated
// MaxInactivityDuration, so the connection was dropped.
var ErrInactive = errors.New("openwire: broker silent past the inactivity timeout")
