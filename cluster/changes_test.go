package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"

	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
	"github.com/mqtrigger/mqtrigger/internal/testhandler"
)

// timed polls cond like checkfor.Within and returns how long it took.
func timed(t *testing.T, total time.Duration, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	checkfor.Within(t, total, cond)
	return time.Since(start)
}

func slotsAre(id string, want []int, nodes ...*servicetest.Service) func() error {
	return func() error {
		got := slotsOf(id, nodes...)
		for i := range want {
			if got[i] != want[i] {
				return fmt.Errorf("slots per node %v, want %v", got, want)
			}
		}
		return nil
	}
}

// A disable, enable or delete made on node A reaches node B's consumers through
// NOTIFY: the nodes poll only every minute here, so anything quicker is the
// notification.
func TestChangesReachOtherNodesByNotify(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 0)
	c.poll = time.Minute
	a, b := c.node("", ""), c.node("", "")
	id := c.mapping(a, queueName(t), 10, 2)
	checkfor.Within(t, 10*time.Second, slotsAre(id, []int{1, 1}, a, b))
	ctx := context.Background()

	if _, err := a.Lambda().UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	disabled := timed(t, 10*time.Second, slotsAre(id, []int{0, 0}, a, b))
	checkfor.Within(t, 10*time.Second, func() error { return wantState(b, id, "Disabled") })

	if _, err := a.Lambda().UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	enabled := timed(t, 10*time.Second, slotsAre(id, []int{1, 1}, a, b))

	// A bigger MaximumConcurrency reaches both: 2+2.
	if _, err := a.Lambda().UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id),
		ScalingConfig: &ltypes.ScalingConfig{MaximumConcurrency: aws.Int32(4)}}); err != nil {
		t.Fatal(err)
	}
	updated := timed(t, 10*time.Second, slotsAre(id, []int{2, 2}, a, b))
	// As on Lambda, a mapping that is still Updating cannot be deleted yet.
	checkfor.Within(t, 10*time.Second, func() error { return wantState(a, id, "Enabled") })

	if _, err := a.Lambda().DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	deleted := timed(t, 10*time.Second, func() error {
		if err := slotsAre(id, []int{0, 0}, a, b)(); err != nil {
			return err
		}
		_, err := b.Lambda().GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		var nf *ltypes.ResourceNotFoundException
		if !errors.As(err, &nf) {
			return fmt.Errorf("mapping still there on node b (%v)", err)
		}
		return nil
	})
	for what, d := range map[string]time.Duration{"disable": disabled, "enable": enabled, "update": updated, "delete": deleted} {
		if d > 5*time.Second {
			t.Errorf("%s took %v to reach node b: not the notification (polling is every minute)", what, d)
		}
	}
	t.Logf("reached node b by NOTIFY: disable %v, enable %v, update %v, delete %v", disabled.Round(time.Millisecond),
		enabled.Round(time.Millisecond), updated.Round(time.Millisecond), deleted.Round(time.Millisecond))
}

// A change whose notification is lost (written here with the triggers off, as if
// the NOTIFY never arrived) reaches the nodes by polling.
func TestChangesReachOtherNodesByPolling(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 0)
	a, b := c.node("", ""), c.node("", "")
	id := c.mapping(a, queueName(t), 10, 2)
	checkfor.Within(t, 10*time.Second, slotsAre(id, []int{1, 1}, a, b))

	ctx := context.Background()
	db, err := pgx.Connect(ctx, c.store)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if _, err := db.Exec(ctx, `SET session_replication_role = replica`); err != nil { // no triggers: no NOTIFY
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE mappings SET enabled = false, state = 'Disabling', version = version + 1 WHERE uuid = $1`, id); err != nil {
		t.Fatal(err)
	}
	took := timed(t, testPoll+10*time.Second, slotsAre(id, []int{0, 0}, a, b))
	checkfor.Within(t, 10*time.Second, func() error { return wantState(b, id, "Disabled") })
	if took > testPoll+3*time.Second {
		t.Errorf("a change without notification took %v to stop the consumers; polling is every %v", took, testPoll)
	}
	t.Logf("without NOTIFY the disable reached both nodes by polling in %v (poll interval %v)", took.Round(time.Millisecond), testPoll)
}

// Functions and secrets written through one node are served by the others, and
// `mqtrigger cluster status` lists the nodes.
func TestFunctionsAndSecretsServedByEveryNode(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 0)
	a, b := c.node("", ""), c.node("", "")
	ctx := context.Background()

	if _, err := a.Lambda().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("deployed"), Runtime: ltypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::123456789012:role/x"), Code: &ltypes.FunctionCode{ZipFile: testhandler.Zip(t)},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := b.Lambda().Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("deployed"), Payload: []byte(`{}`)})
	if err != nil {
		t.Fatalf("invoking on node b a function created on node a: %v", err)
	}
	var resp struct{ FunctionName string }
	if err := json.Unmarshal(out.Payload, &resp); err != nil || resp.FunctionName != "deployed" || out.FunctionError != nil {
		t.Fatalf("node b ran the function: %s (%v)", out.Payload, aws.ToString(out.FunctionError))
	}

	if _, err := a.SecretsManager().PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("broker"),
		SecretString: aws.String(`{"username":"u","password":"changed on a"}`)}); err != nil {
		t.Fatal(err)
	}
	got, err := b.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("broker")})
	if err != nil || !strings.Contains(aws.ToString(got.SecretString), "changed on a") {
		t.Fatalf("node b reads the secret as %q (%v)", aws.ToString(got.SecretString), err)
	}

	// Each node's /metrics says the membership.
	checkfor.Within(t, 10*time.Second, func() error {
		resp, err := http.Get(b.URL + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for _, want := range []string{"mqtrigger_cluster_members 2", "mqtrigger_cluster_fenced 0"} {
			if !strings.Contains(string(body), want) {
				return fmt.Errorf("/metrics of node b does not say %q", want)
			}
		}
		return nil
	})

	status, err := exec.Command(servicetest.Binary(t), "cluster", "status", "--config", b.Config).CombinedOutput()
	if err != nil {
		t.Fatalf("mqtrigger cluster status: %v\n%s", err, status)
	}
	for _, want := range []string{"node1", "node2", "2 nodes"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("cluster status does not say %q:\n%s", want, status)
		}
	}
	t.Logf("mqtrigger cluster status:\n%s", status)
}
