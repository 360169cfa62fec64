package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The console answers under /console/ on the API's listener; the API keeps the rest.
func TestConsoleIsServedBesideTheAPI(t *testing.T) {
	ts := start(t, testConfig(t, t.TempDir(), "", fnServer(t)))
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(ts.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/console/"); code != http.StatusOK || !strings.Contains(body, "mqtrigger console") {
		t.Errorf("/console/: %d %.80q", code, body)
	}
	if code, _ := get("/console/api/brokers"); code != http.StatusUnauthorized {
		t.Errorf("/console/api/brokers signed out: %d", code)
	}
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	// An unsigned API request is still the API's to refuse, in its own shape.
	if code, body := get("/2015-03-31/event-source-mappings/"); code != http.StatusForbidden || !strings.Contains(body, "Missing Authentication Token") {
		t.Errorf("unsigned ListEventSourceMappings: %d %s", code, body)
	}
}
