package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mqtrigger/mqtrigger/store"
)

const (
	maxPolicyLen   = 20480
	maxTagKeyLen   = 128
	maxTagValueLen = 256
	maxTags        = 50
)

// CodeMalformedPolicy is PutResourcePolicy's answer to a policy that is not JSON.
const CodeMalformedPolicy = "MalformedPolicyDocumentException"

// UpdateInput is UpdateSecret's request. A nil member is left as it is; a value
// (SecretString or SecretBinary) makes a new current version, as PutValue does.
type UpdateInput struct {
	SecretID           string
	Description        *string
	KmsKeyID           *string // stored and returned as given, like CreateInput's
	SecretString       string
	SecretBinary       []byte
	ClientRequestToken string // the new VersionId if a value is given; a new UUID if empty
}

// UpdateOutput is UpdateSecret's response; VersionID is empty unless a value was given.
type UpdateOutput struct {
	ARN       string
	Name      string
	VersionID string
}

// Update changes a secret's description, KMS key ID and value (UpdateSecret).
func (m *Manager) Update(ctx context.Context, in UpdateInput) (*UpdateOutput, error) {
	if in.Description != nil && len(*in.Description) > maxDescriptionLen {
		return nil, newError(CodeValidation, fmt.Sprintf("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", maxDescriptionLen))
	}
	kind, value, hasValue, err := valueOf(in.SecretString, in.SecretBinary, false)
	if err != nil {
		return nil, err
	}
	token := ""
	if hasValue {
		if token, err = versionToken(in.ClientRequestToken); err != nil {
			return nil, err
		}
	}
	var out *UpdateOutput
	err = m.modify(ctx, in.SecretID, func(sec *store.Secret) (bool, error) {
		out = &UpdateOutput{ARN: sec.ARN, Name: sec.Name}
		if in.Description != nil {
			sec.Description = *in.Description
		}
		if in.KmsKeyID != nil {
			sec.KmsKeyID = *in.KmsKeyID
		}
		if hasValue {
			retried, err := m.putVersion(sec, token, kind, value)
			if err != nil {
				return false, err
			}
			out.VersionID = token
			if retried != nil && in.Description == nil && in.KmsKeyID == nil {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TagResource adds tags to a secret, replacing the values of keys it already has.
func (m *Manager) TagResource(ctx context.Context, secretID string, tags []Tag) error {
	if err := validTags(tags); err != nil {
		return err
	}
	return m.modify(ctx, secretID, func(sec *store.Secret) (bool, error) {
		have := tagsOf(sec)
	next:
		for _, t := range tags {
			for i := range have {
				if have[i].Key == t.Key {
					have[i].Value = t.Value
					continue next
				}
			}
			have = append(have, t)
		}
		if len(have) > maxTags {
			return false, newError(CodeValidation, fmt.Sprintf("1 validation error detected: a secret can have at most %d tags.", maxTags))
		}
		return true, setTags(sec, have)
	})
}

// UntagResource removes the tags with those keys from a secret; a key it does not
// have is no error.
func (m *Manager) UntagResource(ctx context.Context, secretID string, keys []string) error {
	if len(keys) == 0 {
		return newError(CodeValidation, "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
	}
	return m.modify(ctx, secretID, func(sec *store.Secret) (bool, error) {
		var kept []Tag
	next:
		for _, t := range tagsOf(sec) {
			for _, k := range keys {
				if t.Key == k {
					continue next
				}
			}
			kept = append(kept, t)
		}
		return true, setTags(sec, kept)
	})
}

// Policy is GetResourcePolicy's response; ResourcePolicy is "" when none is set.
type Policy struct {
	ARN            string
	Name           string
	ResourcePolicy string
}

// GetResourcePolicy returns a secret's resource policy as it was put. The policy is
// stored, not enforced.
func (m *Manager) GetResourcePolicy(ctx context.Context, secretID string) (*Policy, error) {
	sec, err := m.lookup(ctx, secretID)
	if err != nil {
		return nil, err
	}
	return &Policy{ARN: sec.ARN, Name: sec.Name, ResourcePolicy: sec.ResourcePolicy}, nil
}

// PutResourcePolicy stores a secret's resource policy, which must be a JSON object.
func (m *Manager) PutResourcePolicy(ctx context.Context, secretID, policy string) (arn, name string, err error) {
	if policy == "" || len(policy) > maxPolicyLen {
		return "", "", newError(CodeValidation, fmt.Sprintf("1 validation error detected: Value at 'resourcePolicy' failed to satisfy constraint: Member must have length between 1 and %d", maxPolicyLen))
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal([]byte(policy), &doc) != nil || doc == nil {
		return "", "", newError(CodeMalformedPolicy, "This resource policy contains a syntax error.")
	}
	err = m.modify(ctx, secretID, func(sec *store.Secret) (bool, error) {
		arn, name, sec.ResourcePolicy = sec.ARN, sec.Name, policy
		return true, nil
	})
	return arn, name, err
}

// DeleteResourcePolicy removes a secret's resource policy; a secret without one is
// no error.
func (m *Manager) DeleteResourcePolicy(ctx context.Context, secretID string) (arn, name string, err error) {
	err = m.modify(ctx, secretID, func(sec *store.Secret) (bool, error) {
		arn, name = sec.ARN, sec.Name
		if sec.ResourcePolicy == "" {
			return false, nil
		}
		sec.ResourcePolicy = ""
		return true, nil
	})
	return arn, name, err
}

// VersionEntry is one version in ListSecretVersionIds.
type VersionEntry struct {
	VersionID     string
	VersionStages []string
	CreatedDate   time.Time
	KmsKeyIDs     []string // the secret's KMS key ID as given, or AWS's "DefaultEncryptionKey"
}

// VersionList is ListSecretVersionIds' response; NextToken is empty on the last page.
type VersionList struct {
	ARN       string
	Name      string
	Versions  []VersionEntry
	NextToken string
}

// ListVersionIDs lists a secret's versions, oldest first, as AWS does. The store keeps
// only the AWSCURRENT and AWSPREVIOUS versions, so there are never deprecated ones
// to include.
func (m *Manager) ListVersionIDs(ctx context.Context, secretID string, maxResults int, nextToken string) (*VersionList, error) {
	if maxResults == 0 {
		maxResults = maxListResults
	}
	if maxResults < 1 || maxResults > maxListResults {
		return nil, newError(CodeInvalidParameter, fmt.Sprintf("MaxResults must be between 1 and %d.", maxListResults))
	}
	sec, err := m.lookup(ctx, secretID)
	if err != nil {
		return nil, err
	}
	all := []VersionEntry{}
	keys := []string{"DefaultEncryptionKey"} // AWS's name for the default key
	if sec.KmsKeyID != "" {
		keys = []string{sec.KmsKeyID}
	}
	if sec.PreviousVersionID != "" {
		all = append(all, VersionEntry{sec.PreviousVersionID, []string{StagePrevious}, sec.PreviousCreatedDate, keys})
	}
	if sec.VersionID != "" {
		all = append(all, VersionEntry{sec.VersionID, []string{StageCurrent}, sec.VersionCreatedDate, keys})
	}
	if nextToken != "" {
		after := decodeToken(nextToken)
		i := 0
		for i < len(all) && all[i].VersionID != after {
			i++
		}
		if after == "" || i == len(all) {
			return nil, newError(CodeInvalidNextToken, "The NextToken value is not valid.")
		}
		all = all[i+1:]
	}
	out := &VersionList{ARN: sec.ARN, Name: sec.Name, Versions: all}
	if len(all) > maxResults {
		out.Versions = all[:maxResults]
		out.NextToken = encodeToken(all[maxResults-1].VersionID)
	}
	return out, nil
}

func validTags(tags []Tag) error {
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > maxTagKeyLen || len(t.Value) > maxTagValueLen {
			return newError(CodeValidation, "1 validation error detected: Value at 'tags' failed to satisfy constraint: a tag key must have 1 to 128 characters and a value at most 256")
		}
	}
	if len(tags) > maxTags {
		return newError(CodeValidation, fmt.Sprintf("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", maxTags))
	}
	return nil
}

func tagsOf(sec *store.Secret) []Tag {
	var tags []Tag
	if len(sec.Tags) > 0 {
		_ = json.Unmarshal(sec.Tags, &tags) // a bad value shows as no tags, as in entry
	}
	return tags
}

func setTags(sec *store.Secret, tags []Tag) error {
	if len(tags) == 0 {
		sec.Tags = nil
		return nil
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return fmt.Errorf("secrets: encode tags: %w", err)
	}
	sec.Tags = b
	return nil
}
