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
	sub       string // the label after it: an alias {Name} or a {StatementId}
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
	case isFunctionsPath(p):
		prefix := p[:len(functionsPath)]
		rest, ok := strings.CutPrefix(r.URL.EscapedPath(), prefix)
		if !ok {
			rest = strings.TrimPrefix(p, prefix) // escapes in the fixed part
		}
		name, fn, sub := functionOperation(r.Method, prefix[:len("/2015-03-31")], rest)
		return operation{name: name, service: serviceLambda, function: fn, sub: sub, functions: true}
	}
	return operation{name: "Unknown", service: serviceLambda}
}

// functionsAPIVersions are the dated prefixes of the functions API's paths: most
// operations are under 2015-03-31, concurrency and code signing under later ones.
var functionsAPIVersions = []string{"/2015-03-31", "/2017-10-31", "/2019-09-30", "/2020-06-30"}

func isFunctionsPath(p string) bool {
	for _, v := range functionsAPIVersions {
		if rest, ok := strings.CutPrefix(p, v+"/functions"); ok && (rest == "" || rest[0] == '/') {
			return true
		}
	}
	return false
}

// unknownFunctionOperation names a request under the functions path that is none
// of its operations.
const unknownFunctionOperation = "Functions"

// functionOperation routes a functions API request: the operation, its
// {FunctionName} label and the label after it. version is the path's dated prefix;
// rest is the escaped path after /<version>/functions; each segment is unescaped on
// its own, so an escaped "/" stays in the name.
func functionOperation(method, version, rest string) (op, name, sub string) {
	if method == http.MethodHead {
		method = http.MethodGet // as for every GET route of net/http's ServeMux
	}
	if rest == "" || rest == "/" {
		switch {
		case version != "/2015-03-31":
		case method == http.MethodPost:
			return "CreateFunction", "", ""
		case method == http.MethodGet:
			return "ListFunctions", "", ""
		}
		return unknownFunctionOperation, "", ""
	}
	segs := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	if len(segs) > 3 || segs[0] == "" {
		return unknownFunctionOperation, "", ""
	}
	for i := range segs {
		s, err := url.PathUnescape(segs[i])
		if err != nil || (i > 0 && s == "") {
			return unknownFunctionOperation, "", ""
		}
		segs[i] = s
	}
	name = segs[0]
	route := version + " " + method + " " + strings.Join(append([]string{"{}"}, segs[1:min(len(segs), 2)]...), "/")
	if len(segs) == 3 {
		sub = segs[2]
		route += "/{}"
	}
	if op := functionRoutes[route]; op != "" {
		return op, name, sub
	}
	return unknownFunctionOperation, "", ""
}

// functionRoutes maps "<version> <method> {}/<path>" to the operation; {} stands for
// the function's name, a trailing {} for an alias name or a statement id.
var functionRoutes = map[string]string{
	"/2015-03-31 GET {}":                     "GetFunction",
	"/2015-03-31 DELETE {}":                  "DeleteFunction",
	"/2015-03-31 GET {}/configuration":       "GetFunctionConfiguration",
	"/2015-03-31 PUT {}/configuration":       "UpdateFunctionConfiguration",
	"/2015-03-31 PUT {}/code":                "UpdateFunctionCode",
	"/2015-03-31 POST {}/invocations":        "Invoke",
	"/2015-03-31 POST {}/versions":           "PublishVersion",
	"/2015-03-31 GET {}/versions":            "ListVersionsByFunction",
	"/2015-03-31 POST {}/aliases":            "CreateAlias",
	"/2015-03-31 GET {}/aliases":             "ListAliases",
	"/2015-03-31 GET {}/aliases/{}":          "GetAlias",
	"/2015-03-31 PUT {}/aliases/{}":          "UpdateAlias",
	"/2015-03-31 DELETE {}/aliases/{}":       "DeleteAlias",
	"/2015-03-31 POST {}/policy":             "AddPermission",
	"/2015-03-31 GET {}/policy":              "GetPolicy",
	"/2015-03-31 DELETE {}/policy/{}":        "RemovePermission",
	"/2017-10-31 PUT {}/concurrency":         "PutFunctionConcurrency",
	"/2017-10-31 DELETE {}/concurrency":      "DeleteFunctionConcurrency",
	"/2019-09-30 GET {}/concurrency":         "GetFunctionConcurrency",
	"/2020-06-30 GET {}/code-signing-config": "GetFunctionCodeSigningConfig",
}

// writeError writes e in the shape of the operation's protocol.
func (op operation) writeError(w http.ResponseWriter, e *awserr.Error) {
	if op.service == serviceSecretsManager {
		awserr.WriteJSON11(w, e)
		return
	}
	awserr.WriteREST(w, e)
}
