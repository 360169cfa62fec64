// Command faulty is an aws-lambda-go function for the reliability tests. It appends
// one line per message it receives ("<body> <pid>") to a file of its own in
// $RECORD_DIR, then behaves as the message body's prefix says:
//
//	ok-...       succeeds
//	slow-...     sleeps 50–200 ms, then succeeds
//	error-...    returns an error
//	timeout-...  sleeps past any timeout
//	crash-...    exits the process with status 3
//
// With FAIL_INIT set it reports an init error through the Runtime API and exits
// before taking any event, as a function whose initialisation fails does.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	if msg := os.Getenv("FAIL_INIT"); msg != "" {
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		body := fmt.Sprintf(`{"errorMessage":%q,"errorType":"InitError"}`, msg)
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "InitError")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	}
	path := filepath.Join(os.Getenv("RECORD_DIR"), fmt.Sprintf("%d.log", os.Getpid()))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		panic(err)
	}
	lambda.Start(func(ctx context.Context, ev events.ActiveMQEvent) error {
		var lines bytes.Buffer
		bodies := make([]string, 0, len(ev.Messages))
		for _, m := range ev.Messages {
			b, err := base64.StdEncoding.DecodeString(m.Data)
			if err != nil {
				return fmt.Errorf("message %s: data is not base64: %v", m.MessageID, err)
			}
			bodies = append(bodies, string(b))
			fmt.Fprintf(&lines, "%s %d\n", b, os.Getpid())
		}
		// Recorded before anything fails, so the test counts every delivery.
		if _, err := f.Write(lines.Bytes()); err != nil {
			return err
		}
		for _, b := range bodies {
			switch {
			case strings.HasPrefix(b, "slow-"):
				time.Sleep(time.Duration(50+rand.IntN(151)) * time.Millisecond)
			case strings.HasPrefix(b, "error-"):
				return fmt.Errorf("refusing %s: bad order", b)
			case strings.HasPrefix(b, "timeout-"):
				time.Sleep(time.Hour)
			case strings.HasPrefix(b, "crash-"):
				os.Exit(3)
			}
		}
		return nil
	})
}
