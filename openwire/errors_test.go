package openwire

import (
	"errors"
	"fmt"
	"testing"
)

// A security exception is ErrAuthentication where a login was refused and
// ErrAuthorization where an operation on a destination was; other broker
// errors are neither. The broker's error stays matchable.
func TestBrokerErrorMatching(t *testing.T) {
	sec := fmt.Errorf("dial: %w", &BrokerError{Class: "java.lang.SecurityException", Message: "User name [x] or password is invalid."})
	if errors.Is(sec, ErrAuthentication) || errors.Is(sec, ErrAuthorization) {
		t.Error("a bare SecurityException is classified before the call site says what was refused")
	}
	login := security(sec, ErrAuthentication)
	if !errors.Is(login, ErrAuthentication) || errors.Is(login, ErrAuthorization) {
		t.Errorf("refused login: %v", login)
	}
	if again := security(login, ErrAuthentication); again != login {
		t.Errorf("classified twice: %v", again)
	}
	read := security(sec, ErrAuthorization)
	if !errors.Is(read, ErrAuthorization) || errors.Is(read, ErrAuthentication) {
		t.Errorf("refused read: %v", read)
	}
	var be *BrokerError
	if !errors.As(read, &be) || be.Message == "" {
		t.Error("errors.As failed")
	}
	other := &BrokerError{Class: "javax.jms.InvalidClientIDException"}
	if err := security(other, ErrAuthentication); errors.Is(err, ErrAuthentication) {
		t.Error("InvalidClientIDException matched ErrAuthentication")
	}
}
