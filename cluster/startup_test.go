package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/mqtrigger/mqtrigger/internal/pgtest"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
	"github.com/mqtrigger/mqtrigger/secrets"
	"github.com/mqtrigger/mqtrigger/store"
)

// A node whose secret key is not the one the store's secrets are encrypted with
// refuses to start, saying so; one on an embedded SQLite store refuses a cluster
// section.
func TestNodeRefusesToStart(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 0)
	c.node("", "") // makes the key file and a secret, records the key's check value
	// A store with no secret yet, whose first node recorded another key's check value.
	empty := pgtest.Schema(t)
	st, err := store.Open(context.Background(), empty, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := secrets.CheckKey(context.Background(), st, bytes.Repeat([]byte{7}, secrets.KeySize), "test"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cases := []struct {
		name, config, want string
	}{
		{"wrong key on a store without secrets", fmt.Sprintf("store: %q\nsecretKeyFile: %s\n", empty, filepath.Join(t.TempDir(), "other.key")),
			"its check value differs from the store's"},
		{"wrong key", fmt.Sprintf("store: %q\nsecretKeyFile: %s\n", c.store, filepath.Join(t.TempDir(), "other.key")),
			"is not the one this store's secrets are encrypted with"},
		{"key from the environment", fmt.Sprintf("store: %q\nsecretKeyEnv: MQTRIGGER_TEST_OTHER_KEY\n", c.store),
			"is not the one this store's secrets are encrypted with"},
		{"cluster on SQLite", "cluster:\n  nodeName: lonely\n", "several nodes need a PostgreSQL store"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "mqtrigger.yaml")
			body := fmt.Sprintf("listen: 127.0.0.1:0\ndataDir: %s\ncredentials:\n  - accessKeyId: %s\n    secretAccessKey: %s\n%s",
				dir, servicetest.AccessKeyID, servicetest.SecretAccessKey, tc.config)
			if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, servicetest.Binary(t), "serve", "--config", cfg)
			cmd.Env = append(os.Environ(), "MQTRIGGER_TEST_OTHER_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("mqtrigger serve did not refuse to start (%v):\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("the refusal does not say %q:\n%s", tc.want, out)
			}
			t.Logf("refused: %s", strings.TrimSpace(string(out)))
		})
	}
}

// Two CreateEventSourceMapping of one function and queue sent at once to two
// nodes: one succeeds, the other gets ResourceConflictException, as from Lambda.
func TestConcurrentCreateOnTwoNodesOneWins(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 0)
	a, b := c.node("", ""), c.node("", "")
	ctx := context.Background()
	for round := range 8 {
		queue := fmt.Sprintf("%s.%d", queueName(t), round)
		start := make(chan struct{})
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, n := range []*servicetest.Service{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = n.Lambda().CreateEventSourceMapping(ctx, c.createInput(queue, 10, 2))
			}()
		}
		close(start)
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			var rc *ltypes.ResourceConflictException
			switch {
			case err == nil:
				ok++
			case errors.As(err, &rc):
				conflicts++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Fatalf("round %d: %d created, %d ResourceConflictException (%v); want 1 and 1", round, ok, conflicts, errs)
		}
		list, err := b.Lambda().ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("counter")})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range list.EventSourceMappings {
			if len(m.Queues) == 1 && m.Queues[0] == queue {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d mappings of the queue stored", round, n)
		}
	}
}
