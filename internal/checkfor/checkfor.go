// Package checkfor polls a condition in tests, instead of sleeping for a guess.
package checkfor

import (
	"testing"
	"time"
)

// Within calls fn every 20 ms until it returns nil, and fails the test with fn's
// last error if that has not happened within total.
func Within(t testing.TB, total time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", total, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
