package function

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/store"
)

func createHandler(t *testing.T, te *testEnv, name string, timeout int32, env map[string]string) *lambda.CreateFunctionOutput {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeProvidedal2023,
		Role:         aws.String(testRole),
		Handler:      aws.String("bootstrap"),
		Code:         &types.FunctionCode{ZipFile: handlerZip(t)},
		Timeout:      aws.Int32(timeout),
	}
	if env != nil {
		in.Environment = &types.Environment{Variables: env}
	}
	out, err := te.client.CreateFunction(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

// TestLambdaHandler runs a real aws-lambda-go handler created through the API, and
// each way it can fail.
func TestLambdaHandler(t *testing.T) {
	te := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	zipped := handlerZip(t)
	out := createHandler(t, te, "orders", 2, map[string]string{"GREETING": "hello"})

	sum := sha256.Sum256(zipped)
	if got, want := aws.ToString(out.CodeSha256), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("CodeSha256 = %s, want %s", got, want)
	}
	if out.CodeSize != int64(len(zipped)) || aws.ToString(out.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:orders" ||
		out.State != types.StateActive || out.LastUpdateStatus != types.LastUpdateStatusSuccessful ||
		aws.ToString(out.Version) != "$LATEST" || aws.ToInt32(out.Timeout) != 2 || aws.ToInt32(out.MemorySize) != 128 ||
		out.PackageType != types.PackageTypeZip || out.Runtime != types.RuntimeProvidedal2023 {
		t.Errorf("CreateFunction answered %+v", out)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(out.LastModified)); err != nil {
		t.Errorf("LastModified %q: %v", aws.ToString(out.LastModified), err)
	}

	// Invoke through the API, as the AWS CLI would.
	inv, err := te.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: mqEvent(t, "first")})
	if err != nil {
		t.Fatal(err)
	}
	var first handlerResponse
	if err := json.Unmarshal(inv.Payload, &first); err != nil || inv.StatusCode != 200 || inv.FunctionError != nil {
		t.Fatalf("Invoke: status %d, error %v, payload %s (%v)", inv.StatusCode, aws.ToString(inv.FunctionError), inv.Payload, err)
	}
	if aws.ToString(inv.ExecutedVersion) != "$LATEST" {
		t.Errorf("ExecutedVersion %q", aws.ToString(inv.ExecutedVersion))
	}
	now := time.Now().UnixMilli()
	if first.EventSource != "aws:mq" || first.Messages != 1 || first.Data != "first" || first.Greeting != "hello" ||
		first.FunctionName != "orders" || first.Memory != 128 || first.RequestID == "" ||
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
		// The API says the same, with HTTP 200 and X-Amz-Function-Error.
		inv, err := te.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: mqEvent(t, "error")})
		if err != nil || inv.StatusCode != 200 || aws.ToString(inv.FunctionError) != "Unhandled" || !contains(string(inv.Payload), "handler failed on purpose") {
			t.Fatalf("Invoke: %v, %+v, %s", err, inv, inv.Payload)
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
		if _, err := te.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String("orders"), Timeout: aws.Int32(1),
		}); err != nil {
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
		inv, err := te.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: types.InvocationTypeEvent, Payload: mqEvent(t, "log")})
		if err != nil || inv.StatusCode != 202 {
			t.Fatalf("Event: %v %+v", err, inv)
		}
		checkfor.Within(t, 3*time.Second, func() error {
			if n := countSubstr(te.logs.String(), `"msg":"hello from the handler"`); n < 2 {
				return fmt.Errorf("the Event invocation did not run (log lines: %d)", n)
			}
			return nil
		})
		inv, err = te.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: types.InvocationTypeDryRun})
		if err != nil || inv.StatusCode != 204 {
			t.Fatalf("DryRun: %v %+v", err, inv)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if _, err := te.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders")}); err != nil {
			t.Fatal(err)
		}
		_, err := te.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Function not found: arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST" {
			t.Fatalf("Invoke after delete: %v", err)
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
	if _, err := te.client.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("broken"), Environment: &types.Environment{Variables: map[string]string{}},
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
	// The API shows the configured function but will not delete it.
	fn, err := te.client.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("local")})
	if err != nil || aws.ToString(fn.Configuration.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:local" {
		t.Fatalf("GetFunction: %v %+v", err, fn)
	}
	_, err = te.client.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("local")})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("DeleteFunction of a configured function: %v", err)
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
	st, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	open := func() (*Registry, *httptest.Server) {
		reg, err := NewRegistry(RegistryOptions{Store: st, DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return reg, httptest.NewServer(reg.Handler())
	}
	reg1, srv1 := open()
	_, err = newLambdaClient(srv1.URL).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("kept"), Runtime: types.RuntimeProvidedal2, Role: aws.String(testRole),
		Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: handlerZip(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv1.Close()
	reg1.Close()

	reg2, srv2 := open()
	defer reg2.Close()
	defer srv2.Close()
	if got := invokeOK(t, reg2, "kept", "after restart"); got.FunctionName != "kept" {
		t.Fatalf("handler saw %+v", got)
	}
	// A function whose stored form is broken cannot be invoked, and says why.
	if err := st.PutFunction(ctx, &store.Function{Name: "broken", Config: []byte(`{"runtime":"provided.al2"}`), Code: []byte("not a zip"), LastModified: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg2.Invoke(ctx, "broken", []byte(`{}`)); !errors.Is(err, ErrFunctionConfig) {
		t.Fatalf("invoking a function with a broken zip: %v", err)
	}
}
