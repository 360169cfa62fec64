package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestRedriveRoute(t *testing.T) {
	for _, c := range []struct {
		method, path, op, uuid string
	}{
		{"POST", esmPath + "/abc/redrive", "RedriveEventSourceMapping", "abc"},
		{"GET", esmPath + "/abc/redrive", "Unknown", ""},
		{"POST", esmPath + "/a/b/redrive", "Unknown", ""},
		{"POST", esmPath + "/abc/redrivex", "Unknown", ""},
		{"GET", esmPath + "/abc", "GetEventSourceMapping", "abc"},
	} {
		op := classify(httptest.NewRequest(c.method, c.path, nil))
		if op.name != c.op || op.uuid != c.uuid || (op.name != "Unknown" && op.service != serviceLambda) {
			t.Errorf("%s %s: %+v", c.method, c.path, op)
		}
	}
}

// The redrive extension validates its request and answers in Lambda's REST
// error shape; without Options.Redrive it is unavailable. (The redrive itself
// is tested end to end in e2e: TestRedriveThroughTheAPI.)
func TestRedriveRequestErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out, err := e.lambda.CreateEventSourceMapping(ctx, e.createInput("ExampleQueue", e.secret("s")))
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.UUID)
	post := func(id, body string) rawResponse {
		return do(t, e.signed(http.MethodPost, esmPath+"/"+id+"/redrive", serviceLambda, []byte(body), testKey, testSecret, time.Now(), nil))
	}
	for _, c := range []struct {
		id, body string
		status   int
		code     string
	}{
		{id, `{"BatchSize": 0}`, 400, "InvalidParameterValueException"},
		{id, `{"WaitSeconds": 61}`, 400, "InvalidParameterValueException"},
		{id, `{"DeadLetterQueue": "a,b"}`, 400, "InvalidParameterValueException"},
		{id, `{"MessageIds": [""]}`, 400, "InvalidParameterValueException"},
		{id, `{"MessageIds": 3}`, 400, "InvalidRequestContentException"},
		{"7d8e1c2f-0000-4000-8000-000000000000", `{}`, 404, "ResourceNotFoundException"},
		{id, `{}`, 503, "ServiceException"},
	} {
		r := post(c.id, c.body)
		if r.status != c.status || r.header.Get("X-Amzn-Errortype") != c.code {
			t.Errorf("%s: %d %s %s", c.body, r.status, r.header.Get("X-Amzn-Errortype"), r.raw)
		}
	}
	unsigned := do(t, httptestRequest(e.srv.URL+esmPath+"/"+id+"/redrive"))
	if unsigned.status != 403 {
		t.Errorf("unsigned: %d %s", unsigned.status, unsigned.raw)
	}
}

func httptestRequest(url string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, url, nil)
	return req
}
