package api

import (
	"context"
	"encoding/json"

	"github.com/mqtrigger/mqtrigger/secrets"
)

// Request shapes of the Secrets Manager operations Terraform's secret resources need
// beyond create, read and delete.
type (
	smUpdate struct {
		SecretId           string
		ClientRequestToken string
		Description        *string
		KmsKeyId           *string
		SecretString       *string
		SecretBinary       []byte
	}
	smTagResource struct {
		SecretId string
		Tags     []smTag
	}
	smUntagResource struct {
		SecretId string
		TagKeys  []string
	}
	smPutPolicy struct {
		SecretId          string
		ResourcePolicy    string
		BlockPublicPolicy *bool
	}
	smStage struct {
		SecretId            string
		VersionStage        string
		MoveToVersionId     string
		RemoveFromVersionId string
	}
	smListVersions struct {
		SecretId          string
		MaxResults        int
		NextToken         string
		IncludeDeprecated bool // no deprecated versions are kept, so true lists the same
	}
)

// smUnsupported refuses a request member this service does not implement, rather
// than accept and drop it.
func smUnsupported(member, why string) error {
	return &secrets.Error{Code: secrets.CodeInvalidParameter, Message: "mqtrigger does not support " + member + ": " + why}
}

// smMore serves the operations beyond the first six; ok is false for an unknown one.
func smMore(ctx context.Context, m *secrets.Manager, op string, body []byte) (out any, ok bool, err error) {
	decode := func(v any) error {
		if e := decodeSM(body, v); e != nil {
			return &secrets.Error{Code: e.Code, Message: e.Message}
		}
		return nil
	}
	arnName := func(arn, name string) map[string]any { return map[string]any{"ARN": arn, "Name": name} }
	switch op {
	case "UpdateSecret":
		var in smUpdate
		if err := decode(&in); err != nil {
			return nil, true, err
		}
		ui := secrets.UpdateInput{SecretID: in.SecretId, ClientRequestToken: in.ClientRequestToken,
			Description: in.Description, KmsKeyID: in.KmsKeyId, SecretBinary: in.SecretBinary}
		if in.SecretString != nil {
			ui.SecretString = *in.SecretString
		}
		res, err := m.Update(ctx, ui)
		if err != nil {
			return nil, true, err
		}
		o := arnName(res.ARN, res.Name)
		if res.VersionID != "" {
			o["VersionId"] = res.VersionID
		}
		return o, true, nil
	case "TagResource":
		var in smTagResource
		if err := decode(&in); err != nil {
			return nil, true, err
		}
		if in.Tags == nil {
			return nil, true, &secrets.Error{Code: secrets.CodeValidation, Message: "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"}
		}
		tags := make([]secrets.Tag, 0, len(in.Tags))
		for _, t := range in.Tags {
			tags = append(tags, secrets.Tag{Key: t.Key, Value: t.Value})
		}
		return struct{}{}, true, m.TagResource(ctx, in.SecretId, tags)
	case "UntagResource":
		var in smUntagResource
		if err := decode(&in); err != nil {
			return nil, true, err
		}
		return struct{}{}, true, m.UntagResource(ctx, in.SecretId, in.TagKeys)
	case "GetResourcePolicy":
		var in smID
		if err := decode(&in); err != nil {
			return nil, true, err
		}
		p, err := m.GetResourcePolicy(ctx, in.SecretId)
		if err != nil {
			return nil, true, err
		}
		o := arnName(p.ARN, p.Name)
		if p.ResourcePolicy != "" {
			o["ResourcePolicy"] = p.ResourcePolicy
		}
		return o, true, nil
	case "PutResourcePolicy":
		var in smPutPolicy
		if err := decode(&in); err != nil {
			return nil, true, err
		}
		if in.BlockPublicPolicy != nil && *in.BlockPublicPolicy {
			return nil, true, smUnsupported("BlockPublicPolicy", "resource policies are stored, not evaluated, so none can be judged public.")
		}
		arn, name, err := m.PutResourcePolicy(ctx, in.SecretId, in.ResourcePolicy)
		if err != nil {
			return nil, true, err
		}
		return arnName(arn, name), true, nil
	case "DeleteResourcePolicy":
		var in smID
		if err := decode(&in); err != nil {
			return nil, true, err
		}
		arn, name, err := m.DeleteResourcePolicy(ctx, in.SecretId)
		if err != nil {
			return nil, true, err
		}
		return arnName(arn, name), true, nil
	case "RestoreSecret":
		var in smID
		if err := decode(&in); err != nil {
			return nil, true, err
		}
		arn, name, err := m.Restore(ctx, in.SecretId)
		if err != nil {
			return nil, true, err
		}
		return arnName(arn, name), true, nil
	case "UpdateSecretVersionStage":
		var in smStage
		if err := decode(&in); err != nil {
			return nil, true, err
		}
		arn, name, err := m.UpdateVersionStage(ctx, secrets.StageInput{SecretID: in.SecretId, VersionStage: in.VersionStage,
			MoveToVersionID: in.MoveToVersionId, RemoveFromVersionID: in.RemoveFromVersionId})
		if err != nil {
			return nil, true, err
		}
		return arnName(arn, name), true, nil
	case "ListSecretVersionIds":
		var in smListVersions
		if err := decode(&in); err != nil {
			return nil, true, err
		}
		res, err := m.ListVersionIDs(ctx, in.SecretId, in.MaxResults, in.NextToken)
		if err != nil {
			return nil, true, err
		}
		type version struct {
			VersionId     string        `json:"VersionId"`
			VersionStages []string      `json:"VersionStages"`
			CreatedDate   *epochSeconds `json:"CreatedDate,omitempty"`
			KmsKeyIds     []string      `json:"KmsKeyIds"`
		}
		vs := make([]version, 0, len(res.Versions))
		for _, v := range res.Versions {
			vs = append(vs, version{v.VersionID, v.VersionStages, epoch(v.CreatedDate), v.KmsKeyIDs})
		}
		o := map[string]any{"ARN": res.ARN, "Name": res.Name, "Versions": vs}
		if res.NextToken != "" {
			o["NextToken"] = res.NextToken
		}
		return o, true, nil
	}
	return nil, false, nil
}

// smRefused names the first member of a request to one of the first six operations
// that this service does not implement, or returns nil.
func smRefused(op string, body []byte) error {
	var in struct {
		ForceOverwriteReplicaSecret bool
		RotationToken               string
		SortBy                      string
		Type                        string
	}
	if json.Unmarshal(body, &in) != nil {
		return nil // decodeSM reports it
	}
	switch {
	case op == "CreateSecret" && in.ForceOverwriteReplicaSecret:
		return smUnsupported("ForceOverwriteReplicaSecret", "there are no replica regions.")
	case (op == "CreateSecret" || op == "UpdateSecret") && in.Type != "":
		return smUnsupported("Type", "secrets managed by other services are not kept here.")
	case op == "PutSecretValue" && in.RotationToken != "":
		return smUnsupported("RotationToken", "rotation is not supported.")
	case op == "ListSecrets" && in.SortBy != "" && in.SortBy != "name":
		return smUnsupported("SortBy "+in.SortBy, "secrets are listed by name.")
	}
	return nil
}
