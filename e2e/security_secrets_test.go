package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/servicetest"
)

// A secret's value appears in no API response but GetSecretValue, not in the log,
// not in the metrics, and not in plain form in any file of the data directory
// (SQLite database, WAL and all), whether the broker accepts it or refuses it.
func TestSecuritySecretsDoNotLeak(t *testing.T) {
	const (
		user      = "leakuser"
		canary    = "Zq9LeakCanary7f3a1b"  // the broker's password for user
		badCanary = "Xw4WrongCanary2c8e9d" // a wrong password, so the refusal path runs too
	)
	b := brokertest.Start(t, brokertest.Options{ExtraUsers: []string{user + ":" + canary}})
	fn, url := newCounter(t, nil)
	svc := servicetest.Start(t, servicetest.Options{
		Brokers:   []servicetest.Broker{{Name: "e2e", ARN: brokerARN, Endpoints: []string{b.URL}}},
		Functions: []servicetest.Function{{Name: "counter", URL: url}},
	})
	var responses []string // every response body the test reads, but GetSecretValue's
	record := func(what string, r rawResponse) rawResponse {
		t.Helper()
		if r.status >= 300 {
			t.Fatalf("%s: %d %s", what, r.status, r.raw)
		}
		responses = append(responses, what+": "+string(r.raw))
		return r
	}
	smCall := func(target, body string) rawResponse {
		return secRequest(t, svc, "POST", "/", []byte(body), map[string]string{
			"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager." + target}, signing{})
	}
	value := func(pw string) string { return fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw) }
	good := record("CreateSecret", smCall("CreateSecret", fmt.Sprintf(`{"Name":"leak-good","SecretString":%q}`, value(canary)))).body["ARN"].(string)
	bad := record("CreateSecret", smCall("CreateSecret", fmt.Sprintf(`{"Name":"leak-bad","SecretString":%q}`, value("old-"+badCanary)))).body["ARN"].(string)
	record("PutSecretValue", smCall("PutSecretValue", fmt.Sprintf(`{"SecretId":"leak-bad","SecretString":%q}`, value(badCanary))))

	queue := fmt.Sprintf("e2e.leak.%d", time.Now().UnixNano())
	goodID := createMapping(t, svc, mappingInput("counter", queue, good, 10, 1))
	in := mappingInput("counter", queue+".refused", bad, 10, 1)
	out, err := svc.Lambda().CreateEventSourceMapping(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	badID := aws.ToString(out.UUID)
	produce(t, b, queue, 0, 3)
	checkfor.Within(t, 60*time.Second, func() error {
		if d := fn.distinct(); d < 3 {
			return fmt.Errorf("%d of 3 messages processed with the secret's credentials", d)
		}
		return nil
	})
	checkfor.Within(t, 60*time.Second, func() error {
		m, err := svc.Lambda().GetEventSourceMapping(t.Context(), &lambda.GetEventSourceMappingInput{UUID: aws.String(badID)})
		if err != nil {
			return err
		}
		if r := aws.ToString(m.LastProcessingResult); !strings.HasPrefix(r, "PROBLEM") {
			return fmt.Errorf("mapping with the wrong password: LastProcessingResult %q", r)
		}
		return nil
	})

	// every read API
	const esm = "/2015-03-31/event-source-mappings"
	record("ListEventSourceMappings", secRequest(t, svc, "GET", esm, nil, nil, signing{}))
	for _, id := range []string{goodID, badID} {
		record("GetEventSourceMapping", secRequest(t, svc, "GET", esm+"/"+id, nil, nil, signing{}))
	}
	record("UpdateEventSourceMapping", secRequest(t, svc, "PUT", esm+"/"+goodID, []byte(`{"BatchSize":20}`), nil, signing{}))
	record("ListFunctions", secRequest(t, svc, "GET", "/2015-03-31/functions", nil, nil, signing{}))
	record("GetFunction", secRequest(t, svc, "GET", "/2015-03-31/functions/counter", nil, nil, signing{}))
	record("ListSecrets", smCall("ListSecrets", `{}`))
	record("ListSecrets all", smCall("ListSecrets", `{"IncludePlannedDeletion":true,"MaxResults":100}`))
	for _, id := range []string{"leak-good", "leak-bad", good, bad} {
		record("DescribeSecret", smCall("DescribeSecret", fmt.Sprintf(`{"SecretId":%q}`, id)))
	}
	for _, p := range []string{"/metrics", "/healthz"} {
		resp, err := http.Get(svc.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		record(p, rawResponse{status: resp.StatusCode, raw: buf.Bytes()})
	}
	// the control: GetSecretValue does return it, so the searches below can find it
	gv := smCall("GetSecretValue", `{"SecretId":"leak-good"}`)
	if !strings.Contains(string(gv.raw), canary) {
		t.Fatalf("GetSecretValue does not return the value: %s", gv.raw)
	}

	needles := map[string]string{}
	for _, pw := range []string{canary, badCanary} {
		needles[pw] = pw
		needles["hex "+pw] = hex.EncodeToString([]byte(pw))
		needles["base64 value "+pw] = base64.StdEncoding.EncodeToString([]byte(value(pw)))
	}
	leaks := func(where, text string) {
		t.Helper()
		for name, n := range needles {
			if strings.Contains(text, n) {
				i := strings.Index(text, n)
				t.Errorf("%s contains the secret (%s): ...%s...", where, name, text[max(0, i-200):min(len(text), i+len(n)+50)])
			}
		}
	}
	for _, r := range responses {
		leaks("response "+r[:strings.Index(r, ":")], r)
	}
	leaks("the service log", svc.Log())
	walDir := func(wantWAL bool) {
		t.Helper()
		var files, wal int
		filepath.WalkDir(svc.DataDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("read %s: %v", p, err)
				return nil
			}
			files++
			if strings.HasSuffix(p, "-wal") {
				wal++
			}
			leaks(p, string(data))
			return nil
		})
		t.Logf("searched %d files under the data directory (%d WAL)", files, wal)
		if files == 0 || (wantWAL && wal == 0) {
			t.Fatalf("searched %d files, %d WAL: the search covers nothing", files, wal)
		}
	}
	walDir(true)
	// after shutdown too (the WAL is checkpointed into the database)
	svc.Stop()
	leaks("the service log", svc.Log())
	walDir(false)
}
