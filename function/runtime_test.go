package function

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
)

func createHandler(t *testing.T, te *testEnv, name string, timeout int, env map[string]string) *Configuration {
	t.Helper()
	in := CreateInput{
		Name:    name,
		Runtime: "provided.al2023",
		Role:    ptr(testRole),
		Handler: "bootstrap",
		Code:    &Code{ZipFile: handlerZip(t)},
		Timeout: &timeout,
	}
	if env != nil {
		in.Environment = &Environment{Variables: env}
	}
	out, err := te.reg.Create(context.Background(), in)
	if err != nil {
		t.Fatalf("Create %s: %v", name, err)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// TestLambdaHandler runs a real aws-lambda-go handler created through the
// registry's operations, and each way it can fail.
func TestLambdaHandler(t *testing.T) {
	te := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	zipped := handlerZip(t)
	out := createHandler(t, te, "orders", 2, map[string]string{"GREETING": "hello"})

	sum := sha256.Sum256(zipped)
	if got, want := out.CodeSHA256, base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("CodeSha256 = %s, want %s", got, want)
	}
	if out.CodeSize != int64(len(zipped)) || out.ARN != "arn:aws:lambda:us-east-1:123456789012:function:orders" ||
		out.Timeout != 2 || out.MemorySize != 128 || out.Runtime != "provided.al2023" || out.RevisionID == "" ||
		out.LastModified.IsZero() || out.Configured {
		t.Errorf("Create answered %+v", out)
	}

	// Invoke as the API does, with the request's id.
	const id = "6bc28136-3fe2-4d8e-9c2b-b7c6c2c1f5a1"
	res, err := te.reg.InvokeFunction(ctx, InvokeInput{FunctionName: "orders", Payload: mqEvent(t, "first"), RequestID: id})
	if err != nil {
		t.Fatal(err)
	}
	var first handlerResponse
	if err := json.Unmarshal(res.Payload, &first); err != nil || res.FunctionError != "" || res.RequestID != id {
		t.Fatalf("InvokeFunction: error %q, request id %q, payload %s (%v)", res.FunctionError, res.RequestID, res.Payload, err)
	}
	now := time.Now().UnixMilli()
	if first.EventSource != "aws:mq" || first.Messages != 1 || first.Data != "first" || first.Greeting != "hello" ||
		first.FunctionName != "orders" || first.Memory != 128 || first.RequestID != id ||
		first.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:orders" ||
		first.DeadlineMs < now || first.DeadlineMs > now+2100 {
		t.Fatalf("handler saw %+v", first)
	}

	t.Run("warm reuse", func(t *testing.T) {
		if got := invokeOK(t, te.reg, "orders", "again"); got.PID != first.PID {
			t.Fatalf("second invocation ran in pid %d, first in %d: the environment was not reused", got.PID, first.PID)
		}
		if got := invokeOK(t, te.reg, "arn:aws:lambda:us-east-1:123456789012:function:orders", "by arn"); got.PID != first.PID {
			t.Fatalf("invocation by ARN ran in pid %d, want %d", got.PID, first.PID)
		}
	})

	t.Run("output logged with request ID", func(t *testing.T) {
		got := invokeOK(t, te.reg, "orders", "log")
		checkfor.Within(t, 2*time.Second, func() error {
			want := fmt.Sprintf(`"msg":"hello from the handler","function":"orders","requestId":"%s","stream":"stdout"`, got.RequestID)
			if !contains(te.logs.String(), want) {
				return fmt.Errorf("log lacks %s", want)
			}
			return nil
		})
	})

	t.Run("error", func(t *testing.T) {
		eb, _ := invokeFail(t, te.reg, "orders", "error")
		if eb.ErrorMessage != "handler failed on purpose" || eb.ErrorType != "errorString" {
			t.Fatalf("error payload %+v", eb)
		}
		// A handled error leaves the environment in service, as on Lambda.
		if got := invokeOK(t, te.reg, "orders", "after error"); got.PID != first.PID {
			t.Fatalf("after an error the invocation ran in pid %d, want the warm %d", got.PID, first.PID)
		}
	})

	pid := first.PID
	t.Run("panic", func(t *testing.T) {
		eb, _ := invokeFail(t, te.reg, "orders", "panic")
		if eb.ErrorMessage != "handler panicked on purpose" {
			t.Fatalf("panic payload %+v", eb)
		}
		got := invokeOK(t, te.reg, "orders", "after panic")
		if got.PID == pid {
			t.Fatalf("after a panic the invocation ran in the same pid %d", pid)
		}
		pid = got.PID
	})

	t.Run("crash", func(t *testing.T) {
		eb, res := invokeFail(t, te.reg, "orders", "exit")
		want := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: exit status 7", res.RequestID)
		if eb.ErrorType != "Runtime.ExitError" || eb.ErrorMessage != want {
			t.Fatalf("crash payload %+v, want Runtime.ExitError %q", eb, want)
		}
		got := invokeOK(t, te.reg, "orders", "after crash")
		if got.PID == pid {
			t.Fatalf("after a crash the invocation ran in the same pid %d", pid)
		}
		pid = got.PID
	})

	t.Run("timeout", func(t *testing.T) {
		if _, err := te.reg.UpdateConfiguration(ctx, UpdateConfigurationInput{FunctionName: "orders", Settings: Settings{Timeout: ptr(1)}}); err != nil {
			t.Fatal(err)
		}
		pid = invokeOK(t, te.reg, "orders", "new configuration").PID
		start := time.Now()
		eb, res := invokeFail(t, te.reg, "orders", "sleep")
		want := fmt.Sprintf("RequestId: %s Error: Task timed out after 1.00 seconds", res.RequestID)
		if eb.ErrorType != "Sandbox.Timedout" || eb.ErrorMessage != want {
			t.Fatalf("timeout payload %+v, want %q", eb, want)
		}
		if d := time.Since(start); d < time.Second || d > 3*time.Second {
			t.Fatalf("the timeout took %v, want about 1s", d)
		}
		if got := invokeOK(t, te.reg, "orders", "after timeout"); got.PID == pid {
			t.Fatalf("after a timeout the invocation ran in the killed pid %d", pid)
		}
	})

	t.Run("event and dry run", func(t *testing.T) {
		res, err := te.reg.InvokeFunction(ctx, InvokeInput{FunctionName: "orders", Type: Event, Payload: mqEvent(t, "log")})
		if err != nil || res != nil {
			t.Fatalf("Event: %v %+v", err, res)
		}
		checkfor.Within(t, 3*time.Second, func() error {
			if n := countSubstr(te.logs.String(), `"msg":"hello from the handler"`); n < 2 {
				return fmt.Errorf("the Event invocation did not run (log lines: %d)", n)
			}
			return nil
		})
		res, err = te.reg.InvokeFunction(ctx, InvokeInput{FunctionName: "orders", Type: DryRun})
		if err != nil || res != nil {
			t.Fatalf("DryRun: %v %+v", err, res)
		}
		if _, err := te.reg.InvokeFunction(ctx, InvokeInput{FunctionName: "absent", Type: DryRun}); !errors.Is(err, ErrFunctionNotFound) {
			t.Fatalf("DryRun of an absent function: %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := te.reg.Delete(ctx, "orders"); err != nil {
			t.Fatal(err)
		}
		_, err := te.reg.InvokeFunction(ctx, InvokeInput{FunctionName: "orders"})
		var nf *NotFoundError
		if !errors.As(err, &nf) || nf.ARN != "arn:aws:lambda:us-east-1:123456789012:function:orders" || nf.Qualifier != "" {
			t.Fatalf("InvokeFunction after delete: %v", err)
		}
		if err := te.reg.Delete(ctx, "orders"); !errors.As(err, &nf) {
			t.Fatalf("second Delete: %v", err)
		}
		if _, err := te.reg.Invoke(ctx, "orders", []byte(`{}`)); !errors.Is(err, ErrFunctionNotFound) {
			t.Fatalf("Registry.Invoke after delete: %v", err)
		}
	})
}

func countSubstr(s, sub string) int {
	n := 0
	for i := 0; ; {
		j := indexFrom(s, sub, i)
		if j < 0 {
			return n
		}
		n++
		i = j + len(sub)
	}
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestInitFailure: a runtime that exits before asking for its first event fails
// each invocation with the exit reason, in a fresh environment each time, until
// the configuration is fixed.
func TestInitFailure(t *testing.T) {
	te := newTestEnv(t, RegistryOptions{})
	createHandler(t, te, "broken", 3, map[string]string{"EXIT_DURING_INIT": "1"})
	for range 2 {
		eb, res := invokeFail(t, te.reg, "broken", "x")
		want := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: exit status 3", res.RequestID)
		if eb.ErrorType != "Runtime.ExitError" || eb.ErrorMessage != want {
			t.Fatalf("init failure payload %+v, want %q", eb, want)
		}
	}
	if !contains(te.logs.String(), `"msg":"init failed on purpose","function":"broken"`) {
		t.Errorf("the init failure's stderr is not in the log")
	}
	if _, err := te.reg.UpdateConfiguration(context.Background(), UpdateConfigurationInput{
		FunctionName: "broken", Settings: Settings{Environment: &Environment{Variables: map[string]string{}}},
	}); err != nil {
		t.Fatal(err)
	}
	invokeOK(t, te.reg, "broken", "fixed")
}

// TestInitErrorPosted: a runtime that reports /runtime/init/error fails the
// invocation with what it posted.
func TestInitErrorPosted(t *testing.T) {
	script := writeScript(t, `curl -s -X POST -H 'Lambda-Runtime-Function-Error-Type: Runtime.ConfigError' \
  -d '{"errorMessage":"missing DB_URL","errorType":"Runtime.ConfigError"}' \
  "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error"
sleep 30`)
	te := newTestEnv(t, RegistryOptions{Configured: []Spec{{Name: "initerr", Command: []string{"/bin/sh", script}}}})
	eb, _ := invokeFail(t, te.reg, "initerr", "x")
	if eb.ErrorType != "Runtime.ConfigError" || eb.ErrorMessage != "missing DB_URL" {
		t.Fatalf("init error payload %+v", eb)
	}
}

// TestCommandAndConcurrency runs a configured command: parallel invocations each in
// their own environment, then reused warm.
func TestCommandAndConcurrency(t *testing.T) {
	te := newTestEnv(t, RegistryOptions{Configured: []Spec{{Name: "local", Command: []string{handlerBinary(t)}, Timeout: 5 * time.Second, MemorySize: 256}}})
	got := invokeOK(t, te.reg, "local", "warm up")
	if got.FunctionName != "local" || got.Memory != 256 {
		t.Fatalf("handler saw %+v", got)
	}
	const n = 4
	wave := func() map[int]bool {
		var mu sync.Mutex
		pids := map[int]bool{}
		var wg sync.WaitGroup
		start := time.Now()
		for range n {
			wg.Go(func() {
				r := invokeOK(t, te.reg, "local", "wait:300")
				mu.Lock()
				pids[r.PID] = true
				mu.Unlock()
			})
		}
		wg.Wait()
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("%d parallel invocations of 300ms took %v: they did not run in parallel", n, d)
		}
		return pids
	}
	first := wave()
	if len(first) != n {
		t.Fatalf("%d parallel invocations ran in %d processes, want one each", n, len(first))
	}
	second := wave()
	for pid := range second {
		if !first[pid] {
			t.Errorf("second wave started a new process %d instead of reusing the %d warm ones", pid, n)
		}
	}
	// The registry shows the configured function but will not delete it.
	fn, err := te.reg.Get(context.Background(), "local")
	if err != nil || fn.ARN != "arn:aws:lambda:us-east-1:123456789012:function:local" || !fn.Configured {
		t.Fatalf("Get: %v %+v", err, fn)
	}
	if err := te.reg.Delete(context.Background(), "local"); !errors.Is(err, ErrConfiguredFunction) {
		t.Fatalf("Delete of a configured function: %v", err)
	}
}

// TestIdleReaping: idle environments stop after IdleTimeout, except those reserved.
func TestIdleReaping(t *testing.T) {
	te := newTestEnv(t, RegistryOptions{
		IdleTimeout: 200 * time.Millisecond,
		Configured: []Spec{
			{Name: "reaped", Command: []string{handlerBinary(t)}},
			{Name: "kept", Command: []string{handlerBinary(t)}},
		},
	})
	te.reg.Reserve("kept", 1)
	invokeOK(t, te.reg, "reaped", "x")
	kept := invokeOK(t, te.reg, "kept", "x")
	envs := func(name string) int {
		p := te.reg.configured[name].backend.(*pool)
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.total
	}
	checkfor.Within(t, 3*time.Second, func() error {
		if n := envs("reaped"); n != 0 {
			return fmt.Errorf("%d idle environments still running", n)
		}
		return nil
	})
	if n := envs("kept"); n != 1 {
		t.Fatalf("reserved function has %d environments, want 1 kept warm", n)
	}
	if got := invokeOK(t, te.reg, "kept", "x"); got.PID != kept.PID {
		t.Fatalf("reserved environment was replaced: pid %d, was %d", got.PID, kept.PID)
	}
}

// TestClose: Close stops every environment, and is safe twice.
func TestClose(t *testing.T) {
	te := newTestEnv(t, RegistryOptions{Configured: []Spec{{Name: "local", Command: []string{handlerBinary(t)}}}})
	var pids []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			r := invokeOK(t, te.reg, "local", "wait:100")
			mu.Lock()
			pids = append(pids, r.PID)
			mu.Unlock()
		})
	}
	wg.Wait()
	// One more stays busy while Close runs.
	busy := make(chan error, 1)
	go func() {
		_, err := te.reg.Invoke(context.Background(), "local", mqEvent(t, "sleep"))
		busy <- err
	}()
	checkfor.Within(t, 2*time.Second, func() error {
		p := te.reg.configured["local"].backend.(*pool)
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.idle) != 2 {
			return fmt.Errorf("%d idle environments, want 2 (one busy)", len(p.idle))
		}
		return nil
	})
	te.reg.Close()
	te.reg.Close()
	select {
	case <-busy:
	case <-time.After(5 * time.Second):
		t.Fatal("an invocation in flight did not end when the registry closed")
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("process %d still runs after Close", pid)
		}
	}
	if _, err := te.reg.Invoke(context.Background(), "local", nil); err == nil {
		t.Fatal("Invoke after Close succeeded")
	}
}

// TestPersistence: a function created through the API survives a restart, since
// it lives in the store.
func TestPersistence(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	open := func() *Registry {
		reg, err := NewRegistry(RegistryOptions{Store: st, DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	reg1 := open()
	_, err := reg1.Create(ctx, CreateInput{
		Name: "kept", Runtime: "provided.al2", Role: ptr(testRole),
		Handler: "bootstrap", Code: &Code{ZipFile: handlerZip(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg1.Close()

	reg2 := open()
	defer reg2.Close()
	if got := invokeOK(t, reg2, "kept", "after restart"); got.FunctionName != "kept" {
		t.Fatalf("handler saw %+v", got)
	}
	// A function whose stored form is broken cannot be invoked, and says why.
	if err := st.PutFunction(ctx, &Stored{Name: "broken", Config: []byte(`{"runtime":"provided.al2"}`), Code: []byte("not a zip"), LastModified: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg2.Invoke(ctx, "broken", []byte(`{}`)); !errors.Is(err, ErrFunctionConfig) {
		t.Fatalf("invoking a function with a broken zip: %v", err)
	}
}
