package api

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/config"
)

// FuzzVerify feeds arbitrary Authorization, X-Amz-Date and content-hash headers to the
// signature check: it must refuse them without panicking.
func FuzzVerify(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "20240101T000000Z", "")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=, Signature=", "2024", "UNSIGNED-PAYLOAD")
	f.Add("AWS4-HMAC-SHA256 ,,,=", "", "zz")
	cfg := config.Default()
	cfg.Credentials = []config.Credential{{AccessKeyID: "AKIDTEST", SecretAccessKey: "s"}}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	a := newAuthenticator(cfg, func() time.Time { return now })
	f.Fuzz(func(t *testing.T, auth, date, hash string) {
		r := httptest.NewRequest("GET", "/2015-03-31/event-source-mappings", nil)
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", date)
		if hash != "" {
			r.Header.Set("X-Amz-Content-Sha256", hash)
		}
		if _, err := a.verify(r, nil, serviceLambda); err == nil {
			t.Fatalf("accepted %q %q", auth, date)
		}
	})
}
