package function

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Resource policies: AddPermission, GetPolicy and RemovePermission keep a
// function's (or a version's or alias's) policy as Lambda writes it. The policy is
// stored and returned, not enforced: callers are authenticated by the API's own
// credentials, not by IAM.

var (
	statementIDRE = regexp.MustCompile(`^[a-zA-Z0-9-_.]{1,100}$`)
	actionRE      = regexp.MustCompile(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`)
	accountRE     = regexp.MustCompile(`^\d{12}$`)
)

// PermissionInput is what AddPermission takes, with Lambda's members.
type PermissionInput struct {
	FunctionName          string // may carry a qualifier
	StatementID           string
	Action                string
	Principal             string
	SourceArn             string
	SourceAccount         string
	EventSourceToken      string
	PrincipalOrgID        string
	FunctionURLAuthType   string
	InvokedViaFunctionURL *bool
	RevisionID            string
}

// policyDoc is a resource policy as Lambda renders it.
type policyDoc struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id"`
	Statement []json.RawMessage `json:"Statement"`
}

type policyStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"`
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// policyTarget resolves the function, version or alias a policy belongs to: its
// name, qualifier, ARN and revision.
func (r *Registry) policyTarget(ctx context.Context, functionName string) (name, qualifier, arn, revision string, err error) {
	name, qualifier, err = r.parseName(functionName)
	if err != nil {
		return
	}
	if r.configured[name] != nil {
		err = fmt.Errorf("%w: %s", ErrConfiguredFunction, name)
		return
	}
	if qualifier == "$LATEST" {
		err = invalidParameter("Qualifier", "We currently do not support adding policies for $LATEST.")
		return
	}
	c, err := r.Get(ctx, functionName)
	if err != nil {
		return
	}
	arn = r.arn(name)
	if qualifier != "" {
		arn += ":" + qualifier
	}
	revision = c.RevisionID
	if _, isVersion, _ := r.versionNumber(name, qualifier); qualifier != "" && !isVersion {
		a, aerr := r.GetAlias(ctx, name, qualifier)
		if aerr != nil {
			err = aerr
			return
		}
		revision = a.RevisionID // an alias's policy goes with the alias's revision
	}
	return
}

// AddPermission adds a statement to a resource policy and returns it as JSON.
func (r *Registry) AddPermission(ctx context.Context, in PermissionInput) (string, error) {
	switch {
	case !statementIDRE.MatchString(in.StatementID):
		return "", &ValidationError{Field: "statementId", Value: in.StatementID, Constraint: "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)"}
	case !actionRE.MatchString(in.Action):
		return "", &ValidationError{Field: "action", Value: in.Action, Constraint: "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])"}
	case in.Principal == "" || strings.ContainsAny(in.Principal, " \t\n"):
		return "", &ValidationError{Field: "principal", Value: in.Principal, Constraint: "Member must satisfy regular expression pattern: [^\\s]+"}
	case in.FunctionURLAuthType != "" && in.FunctionURLAuthType != "NONE" && in.FunctionURLAuthType != "AWS_IAM":
		return "", &ValidationError{Field: "functionUrlAuthType", Value: in.FunctionURLAuthType, Constraint: "Member must satisfy enum value set: [NONE, AWS_IAM]"}
	}
	name, qualifier, arn, revision, err := r.policyTarget(ctx, in.FunctionName)
	if err != nil {
		return "", err
	}
	if in.RevisionID != "" && in.RevisionID != revision {
		return "", fmt.Errorf("%w: function %s", ErrRevisionMismatch, name)
	}
	st := policyStatement{Sid: in.StatementID, Effect: "Allow", Principal: principal(in.Principal), Action: in.Action, Resource: arn}
	cond := func(op, key, v string) {
		if v == "" {
			return
		}
		if st.Condition == nil {
			st.Condition = map[string]map[string]string{}
		}
		if st.Condition[op] == nil {
			st.Condition[op] = map[string]string{}
		}
		st.Condition[op][key] = v
	}
	cond("StringEquals", "AWS:SourceAccount", in.SourceAccount)
	cond("StringEquals", "lambda:EventSourceToken", in.EventSourceToken)
	cond("StringEquals", "aws:PrincipalOrgID", in.PrincipalOrgID)
	cond("StringEquals", "lambda:FunctionUrlAuthType", in.FunctionURLAuthType)
	cond("ArnLike", "AWS:SourceArn", in.SourceArn)
	if in.InvokedViaFunctionURL != nil && *in.InvokedViaFunctionURL {
		cond("Bool", "lambda:InvokedViaFunctionUrl", "true")
	}
	b, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	doc, err := r.policy(ctx, name, qualifier)
	if err != nil {
		return "", err
	}
	for _, raw := range doc.Statement {
		var s policyStatement
		if json.Unmarshal(raw, &s) == nil && s.Sid == in.StatementID {
			return "", fmt.Errorf("%w: The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", ErrConflict, in.StatementID)
		}
	}
	doc.Statement = append(doc.Statement, b)
	if err := r.savePolicy(ctx, name, qualifier, doc); err != nil {
		return "", err
	}
	return string(b), nil
}

// principal renders AddPermission's Principal as Lambda writes it in the policy.
func principal(p string) any {
	switch {
	case p == "*":
		return "*"
	case accountRE.MatchString(p):
		return map[string]string{"AWS": "arn:aws:iam::" + p + ":root"}
	case strings.HasPrefix(p, "arn:"):
		return map[string]string{"AWS": p}
	default:
		return map[string]string{"Service": p}
	}
}

// ErrNoPolicy: GetPolicy of a function, version or alias without one.
var ErrNoPolicy = errors.New("The resource you requested does not exist.")

// Policy returns a resource policy as JSON and the revision of what it belongs to;
// ErrNoPolicy when there is none.
func (r *Registry) Policy(ctx context.Context, functionName string) (policy, revisionID string, err error) {
	name, qualifier, _, revision, err := r.policyTarget(ctx, functionName)
	if err != nil {
		return "", "", err
	}
	doc, err := r.policy(ctx, name, qualifier)
	if err != nil {
		return "", "", err
	}
	if len(doc.Statement) == 0 {
		return "", "", ErrNoPolicy
	}
	b, err := json.Marshal(doc)
	return string(b), revision, err
}

// RemovePermission removes a statement; a *StatementNotFoundError when there is none.
func (r *Registry) RemovePermission(ctx context.Context, functionName, statementID, revisionID string) error {
	name, qualifier, _, revision, err := r.policyTarget(ctx, functionName)
	if err != nil {
		return err
	}
	if revisionID != "" && revisionID != revision {
		return fmt.Errorf("%w: function %s", ErrRevisionMismatch, name)
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	doc, err := r.policy(ctx, name, qualifier)
	if err != nil {
		return err
	}
	for i, raw := range doc.Statement {
		var s policyStatement
		if json.Unmarshal(raw, &s) == nil && s.Sid == statementID {
			doc.Statement = append(doc.Statement[:i], doc.Statement[i+1:]...)
			return r.savePolicy(ctx, name, qualifier, doc)
		}
	}
	return &StatementNotFoundError{StatementID: statementID}
}

// StatementNotFoundError is RemovePermission of a statement id the policy lacks.
type StatementNotFoundError struct{ StatementID string }

func (e *StatementNotFoundError) Error() string {
	return "Statement " + e.StatementID + " is not found in resource policy."
}

func (r *Registry) policy(ctx context.Context, name, qualifier string) (*policyDoc, error) {
	b, err := r.store.GetPolicy(ctx, name, qualifier)
	if errors.Is(err, ErrNotStored) {
		return &policyDoc{Version: "2012-10-17", ID: "default"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the policy of %s: %w", name, err)
	}
	var doc policyDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: the stored policy of %s: %v", ErrFunctionConfig, name, err)
	}
	return &doc, nil
}

func (r *Registry) savePolicy(ctx context.Context, name, qualifier string, doc *policyDoc) error {
	var b []byte
	if len(doc.Statement) > 0 {
		var err error
		if b, err = json.Marshal(doc); err != nil {
			return err
		}
	}
	if err := r.store.PutPolicy(ctx, name, qualifier, b); err != nil {
		return fmt.Errorf("storing the policy of %s: %w", name, err)
	}
	return nil
}
