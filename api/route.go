package api

import (
	"net/http"
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
}

// operation is what a request asks for, known before it is authenticated.
type operation struct {
	name      string // AWS operation name, for logs and metrics
	service   string // the SigV4 signing name the request must be scoped to
	uuid      string // the {UUID} label of Get/Update/Delete
	arn       string // the {ARN} label of the tag operations
	open      bool   // no authentication (/healthz, /metrics)
	functions bool   // served by the function registry
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
		return operation{name: functionOperation(r.Method, strings.TrimPrefix(p, functionsPath)), service: serviceLambda, functions: true}
	}
	return operation{name: "Unknown", service: serviceLambda}
}

// functionOperation names a functions API request for logs and metrics; the registry
// does the routing itself.
func functionOperation(method, rest string) string {
	rest = strings.Trim(rest, "/")
	parts := strings.Split(rest, "/")
	switch {
	case rest == "" && method == http.MethodPost:
		return "CreateFunction"
	case rest == "" && method == http.MethodGet:
		return "ListFunctions"
	case len(parts) == 1 && method == http.MethodGet:
		return "GetFunction"
	case len(parts) == 1 && method == http.MethodDelete:
		return "DeleteFunction"
	case len(parts) == 2 && parts[1] == "invocations" && method == http.MethodPost:
		return "Invoke"
	case len(parts) == 2 && parts[1] == "configuration":
		return "GetFunctionConfiguration"
	}
	return "Functions"
}

// writeError writes e in the shape of the operation's protocol.
func (op operation) writeError(w http.ResponseWriter, e *awserr.Error) {
	if op.service == serviceSecretsManager {
		awserr.WriteJSON11(w, e)
		return
	}
	awserr.WriteREST(w, e)
}
