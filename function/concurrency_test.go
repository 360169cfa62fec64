package function

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestReservedConcurrencyAcrossCallers: the reserve counts a mapping's invocations
// (Invoke, which waits for a slot) and Invoke API calls (InvokeFunction, which is
// throttled) together, across the function's versions.
func TestReservedConcurrencyAcrossCallers(t *testing.T) {
	te := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	createHandler(t, te, "capped", 10, nil)
	if _, err := te.reg.PublishVersion(ctx, PublishInput{FunctionName: "capped"}); err != nil {
		t.Fatal(err)
	}
	if err := te.reg.PutConcurrency(ctx, "capped", ptr(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := te.reg.Invoke(ctx, "capped", mqEvent(t, "x")); !errors.Is(err, ErrThrottled) {
		t.Fatalf("Invoke with 0 reserved: %v, want ErrThrottled", err)
	}

	if err := te.reg.PutConcurrency(ctx, "capped", ptr(1)); err != nil {
		t.Fatal(err)
	}
	// A mapping's invocation of version 1 holds the one slot...
	done := make(chan error, 1)
	go func() {
		_, err := te.reg.Invoke(ctx, "capped:1", mqEvent(t, "wait:700"))
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l := te.reg.limit("capped")
		l.mu.Lock()
		n := l.inflight
		l.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first invocation never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// ...so an Invoke of $LATEST is throttled, and a second mapping invocation waits.
	if _, err := te.reg.InvokeFunction(ctx, InvokeInput{FunctionName: "capped", Payload: mqEvent(t, "x")}); !errors.Is(err, ErrThrottled) {
		t.Fatalf("InvokeFunction over the reserve: %v, want ErrThrottled", err)
	}
	start := time.Now()
	if r := invokeOK(t, te.reg, "capped", "x"); r.FunctionName != "capped" {
		t.Fatalf("waiting invocation: %+v", r)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Fatalf("the second mapping invocation ran after %v: it did not wait for the slot", waited)
	}
	if err := te.reg.PutConcurrency(ctx, "capped", ptr(1001)); err == nil || !strings.Contains(err.Error(), "UnreservedConcurrentExecution") {
		t.Fatalf("a reserve over the limit: %v", err)
	}
}
