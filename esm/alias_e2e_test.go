package esm_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
)

// A mapping on an alias follows the alias: after UpdateAlias moves it from version 1
// to version 2 (blue/green), the next messages reach version 2's code and settings.
func TestMappingFollowsAlias(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	exe, err := os.ReadFile(buildRecorder(t))
	if err != nil {
		t.Fatal(err)
	}
	zip, err := lambdazip.Bootstrap(exe)
	if err != nil {
		t.Fatal(err)
	}
	blue, green := t.TempDir(), t.TempDir()
	role := "arn:aws:iam::123456789012:role/r"
	if _, err := h.functions.Create(ctx, function.CreateInput{Name: "deploy", Runtime: "provided.al2023", Role: &role, Handler: "bootstrap",
		Code: &function.Code{ZipFile: zip}, Environment: &function.Environment{Variables: map[string]string{"RECORD_DIR": blue}}, Publish: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.functions.UpdateConfiguration(ctx, function.UpdateConfigurationInput{FunctionName: "deploy",
		Settings: function.Settings{Environment: &function.Environment{Variables: map[string]string{"RECORD_DIR": green}}}}); err != nil {
		t.Fatal(err)
	}
	if v, err := h.functions.PublishVersion(ctx, function.PublishInput{FunctionName: "deploy"}); err != nil || v.Version != "2" {
		t.Fatalf("PublishVersion: %v %+v", err, v)
	}
	one, two := "1", "2"
	if _, err := h.functions.CreateAlias(ctx, function.AliasInput{FunctionName: "deploy", Name: "live", FunctionVersion: &one}); err != nil {
		t.Fatal(err)
	}
	q := queueName(t)
	h.create(esm.Config{FunctionName: "deploy:live", Queues: []string{q}, BatchSize: 10, MaximumBatchingWindowInSeconds: intp(0)})

	waitFor := func(dir, body string) {
		t.Helper()
		checkfor.Within(t, 30*time.Second, func() error {
			for _, r := range readRecorded(t, dir) {
				if decode(r.Data) == body {
					return nil
				}
			}
			return fmt.Errorf("%q not recorded in %s", body, dir)
		})
	}
	queuetest.Send(t, h.broker, q, queuetest.Text("before"))
	waitFor(blue, "before")
	if _, err := h.functions.UpdateAlias(ctx, function.AliasInput{FunctionName: "deploy", Name: "live", FunctionVersion: &two}); err != nil {
		t.Fatal(err)
	}
	queuetest.Send(t, h.broker, q, queuetest.Text("after"))
	waitFor(green, "after")
	for _, r := range readRecorded(t, blue) {
		if decode(r.Data) == "after" {
			t.Fatal("version 1 got a message after the alias moved to version 2")
		}
	}
}
