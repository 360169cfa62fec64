package openwire

import (
	"errors"
	"fmt"
	"testing"
)

func TestBrokerErrorMatching(t *testing.T) {
	err := fmt.Errorf("dial: %w", &BrokerError{Class: "java.lang.SecurityException", Message: "User name [x] or password is invalid."})
	if !errors.Is(err, ErrAuthentication) {
		t.Error("SecurityException does not match ErrAuthentication")
	}
	var be *BrokerError
	if !errors.As(err, &be) || be.Message == "" {
		t.Error("errors.As failed")
	}
	if errors.Is(&BrokerError{Class: "javax.jms.InvalidClientIDException"}, ErrAuthentication) {
		t.Error("InvalidClientIDException matched ErrAuthentication")
	}
}
