package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/secrets"
)

const smContentType = "application/x-amz-json-1.1"

// Secrets Manager request shapes (awsJson1_1; blobs are base64, which []byte decodes).
type (
	smTag struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	}
	smCreate struct {
		Name               string
		Description        string
		SecretString       *string
		SecretBinary       []byte
		Tags               []smTag
		ClientRequestToken string
		KmsKeyId           string // stored and returned as given
		AddReplicaRegions  json.RawMessage
	}
	smGet struct {
		SecretId     string
		VersionId    string
		VersionStage string
	}
	smPut struct {
		SecretId           string
		ClientRequestToken string
		SecretString       *string
		SecretBinary       []byte
		VersionStages      []string
	}
	smDelete struct {
		SecretId                   string
		RecoveryWindowInDays       int64
		ForceDeleteWithoutRecovery bool
	}
	smList struct {
		IncludePlannedDeletion bool
		MaxResults             int
		NextToken              string
		Filters                []struct {
			Key    string
			Values []string
		}
		SortOrder string
	}
	smID struct {
		SecretId string
	}
)

// smEntry is a secret's metadata in ListSecrets and DescribeSecret.
type smEntry struct {
	ARN                    string              `json:"ARN"`
	Name                   string              `json:"Name"`
	Description            string              `json:"Description,omitempty"`
	KmsKeyId               string              `json:"KmsKeyId,omitempty"`
	CreatedDate            *epochSeconds       `json:"CreatedDate,omitempty"`
	LastChangedDate        *epochSeconds       `json:"LastChangedDate,omitempty"`
	DeletedDate            *epochSeconds       `json:"DeletedDate,omitempty"`
	Tags                   []smTag             `json:"Tags,omitempty"`
	SecretVersionsToStages map[string][]string `json:"SecretVersionsToStages,omitempty"`
	VersionIdsToStages     map[string][]string `json:"VersionIdsToStages,omitempty"`
}

func epoch(t time.Time) *epochSeconds {
	if t.IsZero() {
		return nil
	}
	e := epochSeconds(t)
	return &e
}

func (a *API) secretsManager(w http.ResponseWriter, r *http.Request, op string, body []byte) *awserr.Error {
	m := a.opts.Secrets
	if m == nil {
		return awserr.New(http.StatusServiceUnavailable, "ServiceUnavailable", "Secrets Manager is not enabled on this server")
	}
	ctx := r.Context()
	// PostgreSQL cannot hold NUL or invalid UTF-8 in text: such an identifier names
	// nothing, and such a name, token or description is invalid, not a server fault.
	var ids struct {
		SecretId, VersionId, VersionStage, Name, ClientRequestToken, Description, KmsKeyId, ResourcePolicy string
	}
	if json.Unmarshal(body, &ids) == nil {
		if !(storableID(ids.SecretId) && storableID(ids.VersionId) && storableID(ids.VersionStage)) {
			return smError(secrets.CodeResourceNotFound, "Secrets Manager can't find the specified secret.")
		}
		for _, f := range []struct{ name, v string }{{"name", ids.Name}, {"clientRequestToken", ids.ClientRequestToken}, {"description", ids.Description},
			{"kmsKeyId", ids.KmsKeyId}, {"resourcePolicy", ids.ResourcePolicy}} {
			if !storableID(f.v) {
				return smError(secrets.CodeValidation, "1 validation error detected: Value at '"+f.name+"' failed to satisfy constraint: Member must not contain NUL characters or invalid UTF-8")
			}
		}
	}
	var out any
	err := smRefused(op, body)
	if err == nil {
		var ok bool
		if out, ok, err = smMore(ctx, m, op, body); !ok {
			err = a.smFirst(ctx, op, body, &out)
		}
	}
	if err != nil {
		var se *secrets.Error
		var ae *awserr.Error
		switch {
		case errors.As(err, &se):
			return smError(se.Code, se.Message)
		case errors.As(err, &ae):
			return ae
		}
		return awserr.New(http.StatusInternalServerError, "InternalServiceError", "%s failed: %v", op, err)
	}
	// A new or rolled-back current value: mappings that use the secret reconnect.
	if a.opts.SecretChanged != nil {
		if o, ok := out.(map[string]any); ok && ((op == "UpdateSecret" && o["VersionId"] != nil) || op == "UpdateSecretVersionStage") {
			a.opts.SecretChanged(o["ARN"].(string))
		}
	}
	writeJSON(w, http.StatusOK, smContentType, out)
	return nil
}

// smFirst serves CreateSecret, GetSecretValue, PutSecretValue, DeleteSecret,
// ListSecrets and DescribeSecret.
func (a *API) smFirst(ctx context.Context, op string, body []byte, outp *any) error {
	m := a.opts.Secrets
	var out any
	var err error
	defer func() { *outp = out }()
	switch op {
	case "CreateSecret":
		var in smCreate
		if e := decodeSM(body, &in); e != nil {
			return e
		}
		if len(in.AddReplicaRegions) > 0 && string(in.AddReplicaRegions) != "null" {
			return smError(secrets.CodeInvalidParameter, "Replica regions are not supported.")
		}
		ci := secrets.CreateInput{Name: in.Name, Description: in.Description, SecretBinary: in.SecretBinary,
			ClientRequestToken: in.ClientRequestToken, KmsKeyID: in.KmsKeyId}
		if in.SecretString != nil {
			ci.SecretString = *in.SecretString
		}
		for _, t := range in.Tags {
			ci.Tags = append(ci.Tags, secrets.Tag{Key: t.Key, Value: t.Value})
		}
		var res *secrets.CreateOutput
		if res, err = m.Create(ctx, ci); err == nil {
			o := map[string]any{"ARN": res.ARN, "Name": res.Name}
			if res.VersionID != "" {
				o["VersionId"] = res.VersionID
			}
			out = o
		}
	case "GetSecretValue":
		var in smGet
		if e := decodeSM(body, &in); e != nil {
			return e
		}
		var v *secrets.Value
		if v, err = m.GetValue(ctx, in.SecretId, in.VersionId, in.VersionStage); err == nil {
			o := map[string]any{"ARN": v.ARN, "Name": v.Name, "VersionId": v.VersionID,
				"VersionStages": v.VersionStages, "CreatedDate": epoch(v.CreatedDate)}
			if v.SecretBinary != nil {
				o["SecretBinary"] = v.SecretBinary
			} else {
				o["SecretString"] = v.SecretString
			}
			out = o
		}
	case "PutSecretValue":
		var in smPut
		if e := decodeSM(body, &in); e != nil {
			return e
		}
		pi := secrets.PutInput{SecretID: in.SecretId, ClientRequestToken: in.ClientRequestToken, SecretBinary: in.SecretBinary, VersionStages: in.VersionStages}
		if in.SecretString != nil {
			pi.SecretString = *in.SecretString
		}
		var res *secrets.PutOutput
		if res, err = m.PutValue(ctx, pi); err == nil {
			out = map[string]any{"ARN": res.ARN, "Name": res.Name, "VersionId": res.VersionID, "VersionStages": res.VersionStages}
			if a.opts.SecretChanged != nil {
				a.opts.SecretChanged(res.ARN)
			}
		}
	case "DeleteSecret":
		var in smDelete
		if e := decodeSM(body, &in); e != nil {
			return e
		}
		var res *secrets.DeleteOutput
		if res, err = m.Delete(ctx, secrets.DeleteInput{SecretID: in.SecretId, RecoveryWindowInDays: in.RecoveryWindowInDays,
			ForceDeleteWithoutRecovery: in.ForceDeleteWithoutRecovery}); err == nil {
			out = map[string]any{"ARN": res.ARN, "Name": res.Name, "DeletionDate": epoch(res.DeletionDate)}
		}
	case "ListSecrets":
		var in smList
		if e := decodeSM(body, &in); e != nil {
			return e
		}
		li := secrets.ListInput{IncludePlannedDeletion: in.IncludePlannedDeletion, MaxResults: in.MaxResults,
			NextToken: in.NextToken, SortOrder: in.SortOrder}
		for _, f := range in.Filters {
			li.Filters = append(li.Filters, secrets.Filter{Key: f.Key, Values: f.Values})
		}
		var res *secrets.ListOutput
		if res, err = m.List(ctx, li); err == nil {
			list := make([]smEntry, 0, len(res.Secrets))
			for _, e := range res.Secrets {
				se := toSMEntry(e)
				se.SecretVersionsToStages = e.VersionsToStages
				list = append(list, se)
			}
			o := map[string]any{"SecretList": list}
			if res.NextToken != "" {
				o["NextToken"] = res.NextToken
			}
			out = o
		}
	case "DescribeSecret":
		var in smID
		if e := decodeSM(body, &in); e != nil {
			return e
		}
		var res *secrets.Entry
		if res, err = m.Describe(ctx, in.SecretId); err == nil {
			se := toSMEntry(*res)
			se.VersionIdsToStages = res.VersionsToStages
			out = se
		}
	default:
		return smError("UnknownOperationException", "")
	}
	return err
}

func toSMEntry(e secrets.Entry) smEntry {
	se := smEntry{ARN: e.ARN, Name: e.Name, Description: e.Description, KmsKeyId: e.KmsKeyID, CreatedDate: epoch(e.CreatedDate),
		LastChangedDate: epoch(e.LastChangedDate), DeletedDate: epoch(e.DeletedDate)}
	for _, t := range e.Tags {
		se.Tags = append(se.Tags, smTag{Key: t.Key, Value: t.Value})
	}
	return se
}

// smError is a Secrets Manager client error: always 400.
func smError(code, msg string) *awserr.Error {
	return &awserr.Error{Code: code, Status: http.StatusBadRequest, Message: msg}
}

func decodeSM(body []byte, v any) *awserr.Error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return smError("SerializationException", "Could not parse the request body: "+jsonProblem(err))
	}
	return nil
}

// secretExists tells whether a BASIC_AUTH secret exists and is not scheduled for
// deletion.
func (a *API) secretExists(ctx context.Context, arn string) (bool, error) {
	if a.opts.Secrets == nil {
		return false, nil
	}
	e, err := a.opts.Secrets.Describe(ctx, arn)
	if secrets.IsCode(err, secrets.CodeResourceNotFound) {
		return false, nil
	}
	if err != nil {
		var se *secrets.Error
		if errors.As(err, &se) {
			return false, nil
		}
		return false, err
	}
	return e.DeletedDate.IsZero(), nil
}
