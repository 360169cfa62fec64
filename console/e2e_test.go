package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

func TestMain(m *testing.M) { os.Exit(brokertest.Main(m)) }

// TestBrowser runs console/e2e/console.test.mjs in headless Chromium against the
// real binary and a real broker: sign in, add a trigger through the form, see it
// Enabled and its counters rise, disable, delete, and the refusals. scripts/setup
// installs chromium and the npm packages; MQTRIGGER_CONSOLE_E2E=off skips it.
func TestBrowser(t *testing.T) {
	if testing.Short() || os.Getenv("MQTRIGGER_CONSOLE_E2E") == "off" {
		t.Skip("browser test skipped (-short or MQTRIGGER_CONSOLE_E2E=off)")
	}
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: run scripts/setup (or MQTRIGGER_CONSOLE_E2E=off to skip)", chromium)
	}
	dir, err := filepath.Abs("e2e")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in %s: run scripts/setup", dir)
	}
	shots := screenshotDir(t)

	// The function succeeds, except for messages that say "poison", which it
	// reports as failed (partial batch response) so they are dead-lettered.
	var invoked atomic.Int64
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		invoked.Add(1)
		var ev struct {
			Messages []struct {
				MessageID string `json:"messageID"`
				Data      []byte `json:"data"`
			} `json:"messages"`
		}
		type item struct {
			ItemIdentifier string `json:"itemIdentifier"`
		}
		failed := []item{}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, m := range ev.Messages {
			if strings.Contains(string(m.Data), "poison") {
				failed = append(failed, item{m.MessageID})
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"batchItemFailures": failed})
	}))
	defer fn.Close()

	b := brokertest.Shared(t)
	svc := servicetest.Start(t, servicetest.Options{
		Brokers:   []servicetest.Broker{{Name: "ConsoleBroker", Endpoints: []string{b.URL}, RedeliveryDelay: 100 * time.Millisecond}},
		Functions: []servicetest.Function{{Name: "orders-http", URL: fn.URL}},
		Extra:     "console:\n  users:\n    - name: operator\n      password: console-e2e-password\n",
	})
	queue := fmt.Sprintf("console.e2e.%d", time.Now().UnixNano())

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "console.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"CONSOLE_URL="+svc.URL, "CONSOLE_USER=operator", "CONSOLE_PASSWORD=console-e2e-password",
		"FUNCTION=orders-http", "BROKER_NAME=ConsoleBroker", "BROKER_URL="+b.URL,
		"BROKER_USER="+b.User, "BROKER_PASSWORD="+b.Password, "QUEUE="+queue,
		"MQTRIGGER_BIN="+servicetest.Binary(t), "SCREENSHOTS="+shots, "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("console.test.mjs:\n%s", out)
	t.Logf("screenshots in %s", shots)
	if err != nil {
		t.Fatalf("the browser test failed: %v (service log: %s)", err, svc.LogPath)
	}

	// What the browser did is what the service did.
	if invoked.Load() == 0 {
		t.Error("the function was never invoked")
	}
	list, err := svc.Lambda().ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list.EventSourceMappings {
		if m.State == nil || *m.State != "Deleting" {
			t.Errorf("mapping %s is still there after the browser deleted it (state %v)", *m.UUID, m.State)
		}
	}
}

// screenshotDir is where the steps' screenshots are kept after the test:
// $MQTRIGGER_ARTIFACTS/console when CI sets it, else a new directory in $TMPDIR.
func screenshotDir(t *testing.T) string {
	if a := os.Getenv("MQTRIGGER_ARTIFACTS"); a != "" {
		d := filepath.Join(a, "console")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d, err := os.MkdirTemp("", "mqtrigger-console-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
