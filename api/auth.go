package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/mqtrigger/mqtrigger/config"
)

const (
	algorithm      = "AWS4-HMAC-SHA256"
	amzDateLayout  = "20060102T150405Z"
	maxSkew        = 5 * time.Minute
	unsignedBody   = "UNSIGNED-PAYLOAD"
	mismatchText   = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	badTokenText   = "The security token included in the request is invalid."
	missingKeyText = "Missing Authentication Token"
)

// Headers the Go signer never signs; a request that signed one cannot be verified by
// re-signing it.
var unsignable = map[string]bool{"authorization": true, "user-agent": true, "x-amzn-trace-id": true, "connection": true, "expect": true}

// authenticator checks AWS Signature Version 4 against the configured credentials by
// re-signing each request with the SDK's signer.
type authenticator struct {
	keys   map[string]string // access key id -> secret access key
	region string
	now    func() time.Time
	signer *v4.Signer
}

func newAuthenticator(c *config.Config, now func() time.Time) *authenticator {
	keys := make(map[string]string, len(c.Credentials))
	for _, cr := range c.Credentials {
		keys[cr.AccessKeyID] = cr.SecretAccessKey
	}
	return &authenticator{keys: keys, region: c.Region, now: now, signer: v4.NewSigner()}
}

// authError is a refused signature, with AWS's code and message.
type authError struct {
	code, message string
}

func refuse(code, format string, args ...any) *authError {
	return &authError{code: code, message: fmt.Sprintf(format, args...)}
}

// verify authenticates r (whose body has been read into body) for service and returns
// the access key id it was signed with.
func (a *authenticator) verify(r *http.Request, body []byte, service string) (string, *authError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", refuse("MissingAuthenticationTokenException", missingKeyText)
	}
	rest, ok := strings.CutPrefix(h, algorithm+" ")
	if !ok {
		return "", refuse("IncompleteSignatureException", "Authorization header requires the %s algorithm. Authorization=%s", algorithm, redactAuth(h))
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		p = strings.TrimSpace(p)
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return "", refuse("IncompleteSignatureException", "'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", p, redactAuth(h))
		}
		parts[k] = v
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if parts[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return "", refuse("IncompleteSignatureException", "%s Authorization=%s", strings.Join(missing, " "), redactAuth(h))
	}
	scope := strings.Split(parts["Credential"], "/")
	if len(scope) != 5 {
		return "", refuse("IncompleteSignatureException", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", parts["Credential"])
	}
	key, day, region, svc, term := scope[0], scope[1], scope[2], scope[3], scope[4]
	signedAt, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return key, refuse("IncompleteSignatureException", "X-Amz-Date '%s' is not in the ISO 8601 basic format yyyyMMdd'T'HHmmss'Z'.", amzDate)
	}
	if term != "aws4_request" {
		return key, refuse("InvalidSignatureException", "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", term)
	}
	if region != a.region {
		// AWS's text, then what to change: the region this endpoint signs for.
		return key, refuse("InvalidSignatureException", "Credential should be scoped to a valid region, not '%s'. This endpoint's region is '%s': sign with it (AWS_DEFAULT_REGION or --region).", region, a.region)
	}
	if svc != service {
		return key, refuse("InvalidSignatureException", "Credential should be scoped to correct service: '%s'. ", service)
	}
	if day != amzDate[:8] {
		return key, refuse("InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", day, amzDate[:8], amzDate)
	}
	secret, known := a.keys[key]
	if !known || r.Header.Get("X-Amz-Security-Token") != "" {
		// mqtrigger issues no session tokens, so a token means credentials from elsewhere.
		return key, refuse("UnrecognizedClientException", badTokenText)
	}
	now := a.now().UTC()
	if signedAt.Before(now.Add(-maxSkew)) {
		return key, refuse("InvalidSignatureException", "Signature expired: %s is now earlier than %s (%s - 5 min.)",
			amzDate, now.Add(-maxSkew).Format(amzDateLayout), now.Format(amzDateLayout))
	}
	if signedAt.After(now.Add(maxSkew)) {
		return key, refuse("InvalidSignatureException", "Signature not yet current: %s is still later than %s (%s + 5 min.)",
			amzDate, now.Add(maxSkew).Format(amzDateLayout), now.Format(amzDateLayout))
	}

	payload := r.Header.Get("X-Amz-Content-Sha256")
	sum := sha256.Sum256(body)
	computed := hex.EncodeToString(sum[:])
	switch {
	case payload == "":
		payload = computed
	case payload == unsignedBody:
	case !strings.EqualFold(payload, computed):
		return key, refuse("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}

	want, ok := a.resign(r, parts["SignedHeaders"], secret, key, payload, service, signedAt)
	if !ok || !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		return key, refuse("InvalidSignatureException", mismatchText)
	}
	return key, nil
}

// resign signs a copy of r that carries only the headers the client signed, and
// returns the signature the client should have sent.
func (a *authenticator) resign(r *http.Request, signedHeaders, secret, key, payload, service string, at time.Time) (string, bool) {
	names := strings.Split(signedHeaders, ";")
	c := &http.Request{Method: r.Method, Host: r.Host, Header: http.Header{}}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	if r.TLS != nil {
		u.Scheme = "https"
	}
	c.URL = &u
	hasHost := false
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		switch {
		case n == "host":
			hasHost = true
		case n == "content-length":
			if r.ContentLength <= 0 {
				return "", false
			}
			c.ContentLength = r.ContentLength
		case unsignable[n]:
			return "", false
		default:
			v, present := r.Header[http.CanonicalHeaderKey(n)]
			if !present {
				return "", false
			}
			c.Header[http.CanonicalHeaderKey(n)] = v
		}
	}
	if !hasHost {
		return "", false
	}
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := a.signer.SignHTTP(r.Context(), creds, c, payload, service, a.region, at); err != nil {
		return "", false
	}
	_, sig, found := strings.Cut(c.Header.Get("Authorization"), "Signature=")
	return sig, found
}

// redactAuth keeps the signature out of error messages and logs.
func redactAuth(h string) string {
	if i := strings.Index(h, "Signature="); i >= 0 {
		return h[:i] + "Signature=<redacted>"
	}
	return h
}

// writeAuthError answers a refused request as AWS does: Lambda with 403 and a bare
// {"message"} body plus x-amzn-ErrorType, Secrets Manager with 400 and __type.
func (a *API) writeAuthError(w http.ResponseWriter, op operation, e *authError) {
	w.Header().Set("x-amzn-ErrorType", e.code)
	if op.service == serviceSecretsManager {
		writeJSON(w, http.StatusBadRequest, "application/x-amz-json-1.1", map[string]string{"__type": e.code, "message": e.message})
		return
	}
	writeJSON(w, http.StatusForbidden, "application/json", map[string]string{"message": e.message})
}
