package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// maxBody bounds what the console forwards; the console sends no function code.
const maxBody = 1 << 20

// lambdaAllowed reports whether the console offers a Lambda API request: mappings (and
// their redrive), and reading functions.
func lambdaAllowed(method, path string) bool {
	switch {
	case strings.HasPrefix(path, "/2015-03-31/event-source-mappings"):
		return true
	case strings.HasPrefix(path, "/2015-03-31/functions"):
		return method == http.MethodGet
	}
	return false
}

// secretsOps are the Secrets Manager operations the console offers: never
// GetSecretValue, so no value is shown once saved.
var secretsOps = map[string]bool{
	"CreateSecret": true, "PutSecretValue": true, "DeleteSecret": true, "ListSecrets": true, "DescribeSecret": true,
}

// proxyLambda forwards /console/api/lambda/2015-03-31/... to the API as the same
// request, signed for the session's credential.
func (c *Console) proxyLambda(w http.ResponseWriter, r *http.Request, ss *session) {
	// escaped, so a function name keeps its escapes on the way through
	path, ok := strings.CutPrefix(r.URL.EscapedPath(), "/console/api/lambda")
	if !ok || !lambdaAllowed(r.Method, path) {
		writeError(w, http.StatusNotFound, "NotFound", "the console does not offer "+r.Method+" "+path)
		return
	}
	body, read := readBody(w, r)
	if !read {
		return
	}
	target := path
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	c.forward(w, r.Context(), ss, r.Method, target, "lambda", "", body)
}

// proxySecrets forwards /console/api/secretsmanager/{Operation} to the API as a
// Secrets Manager request.
func (c *Console) proxySecrets(w http.ResponseWriter, r *http.Request, ss *session, op string) {
	if !secretsOps[op] {
		writeError(w, http.StatusNotFound, "NotFound", "the console does not offer the Secrets Manager operation "+op)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	c.forward(w, r.Context(), ss, http.MethodPost, "/", "secretsmanager", "secretsmanager."+op, body)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "the request is over 1 MiB")
		return nil, false
	}
	return body, true
}

// forward sends one signed request to the API and copies its answer.
func (c *Console) forward(w http.ResponseWriter, ctx context.Context, ss *session, method, target, service, amzTarget string, body []byte) {
	status, hdr, out := c.call(ctx, ss.keyID, method, target, service, amzTarget, body)
	for _, k := range []string{"Content-Type", "x-amzn-ErrorType", "x-amzn-RequestId"} {
		if v := hdr.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// call runs one request through the API handler in process, signed with SigV4
// by the credential keyID, exactly as a remote client's would be.
func (c *Console) call(ctx context.Context, keyID, method, target, service, amzTarget string, body []byte) (int, http.Header, []byte) {
	var secret string
	for _, cr := range c.opts.Config.Credentials {
		if cr.AccessKeyID == keyID {
			secret = cr.SecretAccessKey
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://mqtrigger.console"+target, bytes.NewReader(body))
	if err != nil {
		return http.StatusBadRequest, http.Header{}, []byte(`{"__type":"InvalidRequest","message":"the request's path is not a valid URL path"}`)
	}
	if len(body) > 0 || method == http.MethodPost || method == http.MethodPut {
		if amzTarget != "" {
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", amzTarget)
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err = v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, c.opts.Config.Region, c.opts.Now()); err != nil {
		return http.StatusInternalServerError, http.Header{}, []byte(`{"__type":"ConsoleError","message":"signing the request failed"}`)
	}
	rec := httptest.NewRecorder()
	c.opts.API.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}
