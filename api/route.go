package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/mqtrigger/mqtrigger/awserr"
)

const (
	serviceLambda         = "lambda"
	serviceSecretsManager = "secretsmanager"

	esmPath       = "/2015-03-31/event-source-mappings"
	functionsPath = "/2015-03-31/functions"
	smTarget      = "secretsmanager."
)

// smOperations are the Secrets Manager operations served; others are UnknownOperation.
var smOperations = map[string]bool{
	"CreateSecret": true, "GetSecretValue": true, "PutSecretValue": true, "DeleteSecret": true,
	"ListSecrets": true, "DescribeSecret": true,
	"UpdateSecret": true, "TagResource": true, "UntagResource": true, "GetResourcePolicy": true, "PutResourcePolicy": true, "DeleteResourcePolicy": true, "RestoreSecret": true, "ListSecretVersionIds": true, "UpdateSecretVersionStage": true,
}

// operation is what a request asks for, known before it is authenticated.
type operation struct {
	name      string // AWS operation name, for logs and metrics
	service   string // the SigV4 signing name the request must be scoped to
	uuid      string // the {UUID} label of Get/Update/Delete
	arn       string // the {ARN} label of the tag operations
	function  string // the {FunctionName} label of the functions API, unescaped
	open      bool   // no authentication (/healthz, /metrics)
	functions bool   // an operation of the functions API (or an unknown one under its path)
}

func classify(r *http.Request) operation {
	p := r.URL.Path
	switch {
	case p == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		return operation{name: "Healthz", open: true}
	case p == "/metrics" && r.Method == http.MethodGet:
		return operation{name: "Metrics", open: true}
	case p == "/" && r.Method == http.MethodPost:
		t := r.Header.Get("X-Amz-Target")
		if name, ok := strings.CutPrefix(t, smTarget); ok && smOperations[name] {
			return operation{name: name, service: serviceSecretsManager}
		}
		// Lambda has no POST /: this is a JSON 1.1 request with a missing or
		// unknown target, answered in Secrets Manager's shape.
		return operation{name: "Unknown", service: serviceSecretsManager}
	case p == esmPath || p == esmPath+"/":
		switch r.Method {
		case http.MethodPost:
			return operation{name: "CreateEventSourceMapping", service: serviceLambda}
		case http.MethodGet:
			return operation{name: "ListEventSourceMappings", service: serviceLambda}
		}
	case strings.HasPrefix(p, esmPath+"/"):
		id := strings.TrimPrefix(p, esmPath+"/")
		if uuid, ok := strings.CutSuffix(id, "/redrive"); ok && r.Method == http.MethodPost && !strings.Contains(uuid, "/") {
			// mqtrigger's extension (esm_redrive.go)
			return operation{name: "RedriveEventSourceMapping", service: serviceLambda, uuid: uuid}
		}
		if strings.Contains(id, "/") {
			break
		}
		switch r.Method {
		case http.MethodGet:
			return operation{name: "GetEventSourceMapping", service: serviceLambda, uuid: id}
		case http.MethodPut:
			return operation{name: "UpdateEventSourceMapping", service: serviceLambda, uuid: id}
		case http.MethodDelete:
			return operation{name: "DeleteEventSourceMapping", service: serviceLambda, uuid: id}
		}
	case strings.HasPrefix(p, tagsPath):
		arn := strings.TrimPrefix(p, tagsPath)
		switch r.Method {
		case http.MethodGet:
			return operation{name: "ListTags", service: serviceLambda, arn: arn}
		case http.MethodPost:
			return operation{name: "TagResource", service: serviceLambda, arn: arn}
		case http.MethodDelete:
			return operation{name: "UntagResource", service: serviceLambda, arn: arn}
		}
	case p == functionsPath || strings.HasPrefix(p, functionsPath+"/"):
		rest, ok := strings.CutPrefix(r.URL.EscapedPath(), functionsPath)
		if !ok {
			rest = strings.TrimPrefix(p, functionsPath) // escapes in the fixed part
		}
		name, fn := functionOperation(r.Method, rest)
		return operation{name: name, service: serviceLambda, function: fn, functions: true}
	}
	return operation{name: "Unknown", service: serviceLambda}
}

// unknownFunctionOperation names a request under the functions path that is none
// of its operations.
const unknownFunctionOperation = "Functions"

// functionOperation routes a functions API request: the operation and its
// {FunctionName} label. rest is the escaped path after /2015-03-31/functions; each
// segment is unescaped on its own, so an escaped "/" stays in the name.
func functionOperation(method, rest string) (op, name string) {
	if method == http.MethodHead {
		method = http.MethodGet // as for every GET route of net/http's ServeMux
	}
	if rest == "" || rest == "/" {
		switch method {
		case http.MethodPost:
			return "CreateFunction", ""
		case http.MethodGet:
			return "ListFunctions", ""
		}
		return unknownFunctionOperation, ""
	}
	segs := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	if len(segs) > 2 || segs[0] == "" {
		return unknownFunctionOperation, ""
	}
	name, err := url.PathUnescape(segs[0])
	if err != nil {
		return unknownFunctionOperation, ""
	}
	if len(segs) == 1 {
		switch method {
		case http.MethodGet:
			return "GetFunction", name
		case http.MethodDelete:
			return "DeleteFunction", name
		}
		return unknownFunctionOperation, ""
	}
	switch {
	case segs[1] == "configuration" && method == http.MethodGet:
		return "GetFunctionConfiguration", name
	case segs[1] == "configuration" && method == http.MethodPut:
		return "UpdateFunctionConfiguration", name
	case segs[1] == "code" && method == http.MethodPut:
		return "UpdateFunctionCode", name
	case segs[1] == "invocations" && method == http.MethodPost:
		return "Invoke", name
	}
	return unknownFunctionOperation, ""
}

// writeError writes e in the shape of the operation's protocol.
func (op operation) writeError(w http.ResponseWriter, e *awserr.Error) {
	if op.service == serviceSecretsManager {
		awserr.WriteJSON11(w, e)
		return
	}
	awserr.WriteREST(w, e)
}
