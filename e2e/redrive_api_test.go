package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/dlqtest"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// redrivePost sends POST /2015-03-31/event-source-mappings/{id}/redrive signed
// with the SDK's SigV4 signer, as an operator's script would (the AWS CLI
// cannot call a path Lambda does not have).
func redrivePost(t *testing.T, svc *servicetest.Service, id, body string, sign bool) (int, map[string]any) {
	t.Helper()
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, svc.URL+"/2015-03-31/event-source-mappings/"+id+"/redrive", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sign {
		creds, err := svc.AWSConfig().Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", servicetest.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("status %d, body not JSON: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// The API's redrive moves the messages dead-lettered from a mapping's queue
// (selected by id, then all), on the mapping's broker with its secret, leaves
// another queue's, and the mapping then processes them once each.
func TestRedriveThroughTheAPI(t *testing.T) {
	b := brokertest.Shared(t)
	c, fnURL := newCounter(t, nil)
	svc, secret := serviceOn(t, []string{b.URL}, fnURL, b.User, b.Password)
	q, other := queueFor(t), queueFor(t)+".other"
	conn, err := openwire.Dial(t.Context(), b.URL, openwire.Config{User: b.User, Password: b.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	run := fmt.Sprint("api", time.Now().UnixNano())
	ids := dlqtest.DeadLetter(t, conn, q, "function failed", dlqtest.Texts(run, "msg-000000", "msg-000001", "msg-000002"))
	dlqtest.DeadLetter(t, conn, other, "function failed", dlqtest.Texts(run, "other"))

	in := mappingInput("counter", q, secret, 10, 2)
	in.Enabled = aws.Bool(false) // the messages stay in the queue to be counted
	out, err := svc.Lambda().CreateEventSourceMapping(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.UUID)

	status, res := redrivePost(t, svc, id, fmt.Sprintf(`{"MessageIds": [%q], "WaitSeconds": 1}`, ids[1]), true)
	if status != 200 || res["Moved"] != float64(1) || res["UUID"] != id || res["DeadLetterQueue"] != "ActiveMQ.DLQ" {
		t.Fatalf("redrive by id: %d %v", status, res)
	}
	if got := dlqtest.Browse(t, conn, q, ""); len(got) != 1 || got[0].Text != "msg-000001" {
		t.Fatalf("%s after redrive by id: %d messages", q, len(got))
	}
	status, res = redrivePost(t, svc, id, `{"WaitSeconds": 1, "BatchSize": 1}`, true)
	byQueue, _ := res["MovedByQueue"].(map[string]any)
	reasons, _ := res["SkippedByReason"].(map[string]any)
	if status != 200 || res["Moved"] != float64(2) || byQueue[q] != float64(2) || reasons["its original queue is not one of those selected"] == nil {
		t.Fatalf("redrive of the mapping's queue: %d %v", status, res)
	}
	left := dlqtest.Browse(t, conn, "ActiveMQ.DLQ", fmt.Sprintf("run = '%s'", run))
	if len(left) != 1 || left[0].Text != "other" {
		t.Fatalf("DLQ holds %d of the run, want only the other queue's", len(left))
	}

	if _, err := svc.Lambda().UpdateEventSourceMapping(t.Context(), &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	waitProcessed(t, c, 0, 3, 60*time.Second)
	checkfor.Within(t, 10*time.Second, func() error {
		if n := len(dlqtest.Browse(t, conn, q, "")); n != 0 {
			return fmt.Errorf("%d left in %s", n, q)
		}
		return nil
	})
	for i := range 3 {
		if n := c.count(fmt.Sprintf("msg-%06d", i)); n != 1 {
			t.Fatalf("msg-%06d processed %d times", i, n)
		}
	}

	// errors in the API's shape
	status, res = redrivePost(t, svc, "7d8e1c2f-0000-4000-8000-000000000000", `{}`, true)
	if status != 404 || res["Type"] != "User" || !strings.Contains(fmt.Sprint(res["message"], res["Message"]), "does not exist") {
		t.Fatalf("unknown mapping: %d %v", status, res)
	}
	if status, res = redrivePost(t, svc, id, `{"BatchSize": 0}`, true); status != 400 {
		t.Fatalf("BatchSize 0: %d %v", status, res)
	}
	if status, res = redrivePost(t, svc, id, `{}`, false); status != 403 {
		t.Fatalf("unsigned: %d %v", status, res)
	}
}
