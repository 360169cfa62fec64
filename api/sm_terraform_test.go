package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// These tests replay what terraform-provider-aws sends for aws_secretsmanager_secret
// and aws_secretsmanager_secret_version (internal/service/secretsmanager/secret.go,
// secret_version.go): create, read, update, read, delete, with the provider's
// inputs, and check that every attribute read back equals the declaration.

// tfToken is a ClientRequestToken as the provider makes it (id.UniqueId()).
func tfToken(n int) string {
	return "terraform-2026120111450000000000000" + string(rune('0'+n))
}

// tfSecret is the declaration of an aws_secretsmanager_secret.
type tfSecret struct {
	name, description, kmsKeyID, policy string
	tags                                map[string]string
}

// tfSecretState is what the provider's read sets from DescribeSecret and
// GetResourcePolicy.
type tfSecretState struct {
	arn, name, description, kmsKeyID, policy string
	tags                                     map[string]string
	replicas                                 int
}

func smTags(m map[string]string) []smtypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tags []smtypes.Tag
	for _, k := range keys {
		tags = append(tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return tags
}

// tfReadSecret is resourceSecretRead: DescribeSecret (gone if DeletedDate is set),
// then GetResourcePolicy.
func tfReadSecret(t *testing.T, sm *secretsmanager.Client, id string) (st tfSecretState, gone bool) {
	t.Helper()
	ctx := context.Background()
	d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	var nf *smtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return st, true
	}
	if err != nil {
		t.Fatalf("DescribeSecret: %v", err)
	}
	if d.DeletedDate != nil {
		return st, true
	}
	st = tfSecretState{arn: aws.ToString(d.ARN), name: aws.ToString(d.Name), description: aws.ToString(d.Description),
		kmsKeyID: aws.ToString(d.KmsKeyId), replicas: len(d.ReplicationStatus), tags: map[string]string{}}
	for _, tg := range d.Tags {
		st.tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	p, err := sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatalf("GetResourcePolicy: %v", err)
	}
	if p.ResourcePolicy != nil {
		st.policy = aws.ToString(p.ResourcePolicy)
		if aws.ToString(p.ARN) != st.arn || aws.ToString(p.Name) != st.name {
			t.Fatalf("GetResourcePolicy names %s %s", aws.ToString(p.ARN), aws.ToString(p.Name))
		}
	}
	return st, false
}

// noDiff fails unless the read state equals the declaration (policies compared as
// JSON, as the provider's SuppressEquivalentPolicyDiffs does).
func noDiff(t *testing.T, decl tfSecret, st tfSecretState, arn string) {
	t.Helper()
	if st.arn != arn || st.name != decl.name || st.description != decl.description || st.kmsKeyID != decl.kmsKeyID || st.replicas != 0 {
		t.Fatalf("diff: declared %+v, read %+v", decl, st)
	}
	if !(len(decl.tags) == 0 && len(st.tags) == 0) && !reflect.DeepEqual(decl.tags, st.tags) {
		t.Fatalf("tags diff: declared %v, read %v", decl.tags, st.tags)
	}
	if (decl.policy == "") != (st.policy == "") {
		t.Fatalf("policy diff: declared %q, read %q", decl.policy, st.policy)
	}
	if decl.policy != "" {
		var a, b any
		if json.Unmarshal([]byte(decl.policy), &a) != nil || json.Unmarshal([]byte(st.policy), &b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("policy diff: declared %s, read %s", decl.policy, st.policy)
		}
	}
}

// tfCreateSecret is resourceSecretCreate.
func tfCreateSecret(t *testing.T, sm *secretsmanager.Client, decl tfSecret) string {
	t.Helper()
	ctx := context.Background()
	in := &secretsmanager.CreateSecretInput{ClientRequestToken: aws.String(tfToken(1)), Description: aws.String(decl.description),
		ForceOverwriteReplicaSecret: false, Name: aws.String(decl.name), Tags: smTags(decl.tags)}
	if decl.kmsKeyID != "" {
		in.KmsKeyId = aws.String(decl.kmsKeyID)
	}
	out, err := sm.CreateSecret(ctx, in)
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	id := aws.ToString(out.ARN)
	if _, gone := tfReadSecret(t, sm, id); gone {
		t.Fatal("created secret not found")
	}
	if decl.policy != "" {
		if _, err := sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{ResourcePolicy: aws.String(decl.policy), SecretId: aws.String(id)}); err != nil {
			t.Fatalf("PutResourcePolicy: %v", err)
		}
	}
	return id
}

// tfUpdateSecret is resourceSecretUpdate plus the provider's tag update (untag the
// removed keys, then tag the new and changed ones).
func tfUpdateSecret(t *testing.T, sm *secretsmanager.Client, id string, old, decl tfSecret) {
	t.Helper()
	ctx := context.Background()
	if old.description != decl.description || old.kmsKeyID != decl.kmsKeyID {
		in := &secretsmanager.UpdateSecretInput{ClientRequestToken: aws.String(tfToken(2)), Description: aws.String(decl.description), SecretId: aws.String(id)}
		if decl.kmsKeyID != "" {
			in.KmsKeyId = aws.String(decl.kmsKeyID)
		}
		out, err := sm.UpdateSecret(ctx, in)
		if err != nil {
			t.Fatalf("UpdateSecret: %v", err)
		}
		if aws.ToString(out.ARN) != id || out.VersionId != nil {
			t.Fatalf("UpdateSecret without a value answered %+v", out)
		}
	}
	if old.policy != decl.policy {
		var err error
		if decl.policy != "" {
			_, err = sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{ResourcePolicy: aws.String(decl.policy), SecretId: aws.String(id)})
		} else {
			_, err = sm.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: aws.String(id)})
		}
		if err != nil {
			t.Fatalf("policy: %v", err)
		}
	}
	var removed []string
	for k := range old.tags {
		if _, ok := decl.tags[k]; !ok {
			removed = append(removed, k)
		}
	}
	updated := map[string]string{}
	for k, v := range decl.tags {
		if ov, ok := old.tags[k]; !ok || ov != v {
			updated[k] = v
		}
	}
	if len(removed) > 0 {
		if _, err := sm.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(id), TagKeys: removed}); err != nil {
			t.Fatalf("UntagResource: %v", err)
		}
	}
	if len(updated) > 0 {
		if _, err := sm.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(id), Tags: smTags(updated)}); err != nil {
			t.Fatalf("TagResource: %v", err)
		}
	}
}

// tfDeleteSecret is resourceSecretDelete: recovery window 0 means a forced delete.
func tfDeleteSecret(t *testing.T, sm *secretsmanager.Client, id string, window int64) {
	t.Helper()
	in := &secretsmanager.DeleteSecretInput{SecretId: aws.String(id)}
	if window == 0 {
		in.ForceDeleteWithoutRecovery = aws.Bool(true)
	} else {
		in.RecoveryWindowInDays = aws.Int64(window)
	}
	if _, err := sm.DeleteSecret(context.Background(), in); err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	if _, gone := tfReadSecret(t, sm, id); !gone {
		t.Fatal("secret still there after destroy")
	}
}

func TestTerraformSecretLifecycle(t *testing.T) {
	for _, window := range []int64{7, 0} {
		e := newEnv(t)
		ctx := context.Background()
		decl := tfSecret{name: "orders/broker", description: "orders broker user", kmsKeyID: "alias/orders",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`,
			tags:   map[string]string{"team": "orders", "env": "prod"}}
		id := tfCreateSecret(t, e.sm, decl)
		st, _ := tfReadSecret(t, e.sm, id)
		noDiff(t, decl, st, id)

		next := tfSecret{name: decl.name, description: "orders broker user (rotated by hand)", kmsKeyID: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			tags: map[string]string{"team": "payments", "owner": "ops"}}
		tfUpdateSecret(t, e.sm, id, decl, next)
		st, _ = tfReadSecret(t, e.sm, id)
		noDiff(t, next, st, id)
		// A second plan after the update: still no diff, and no call changed anything.
		again, _ := tfReadSecret(t, e.sm, id)
		noDiff(t, next, again, id)

		tfDeleteSecret(t, e.sm, id, window)
		list, err := e.sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
		if err != nil || len(list.SecretList) != 0 {
			t.Fatalf("window %d: ListSecrets after destroy: %v %+v", window, err, list)
		}
		all, err := e.sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if window == 0 {
			if len(all.SecretList) != 0 {
				t.Fatalf("forced destroy left %+v", all.SecretList)
			}
			// Nothing is left: the same declaration applies again at once.
			id2 := tfCreateSecret(t, e.sm, decl)
			if id2 == id {
				t.Fatal("a re-created secret has the old ARN")
			}
			st, _ = tfReadSecret(t, e.sm, id2)
			noDiff(t, decl, st, id2)
		} else {
			if len(all.SecretList) != 1 || all.SecretList[0].DeletedDate == nil {
				t.Fatalf("scheduled destroy: %+v", all.SecretList)
			}
			_, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
			apiError(t, err, "InvalidRequestException", 400, "marked for deletion")
			_, err = e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(decl.name), ClientRequestToken: aws.String(tfToken(3))})
			apiError(t, err, "InvalidRequestException", 400, "scheduled for deletion")
		}
	}
}

// tfVersionState is what resourceSecretVersionRead sets.
type tfVersionState struct {
	arn, secretBinary, secretString, versionID string
	stages                                     []string
}

// tfReadVersion is findSecretVersionByTwoPartKey (GetSecretValue by VersionId).
func tfReadVersion(t *testing.T, sm *secretsmanager.Client, secretID, versionID string) (st tfVersionState, gone bool) {
	t.Helper()
	v, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID), VersionId: aws.String(versionID)})
	var nf *smtypes.ResourceNotFoundException
	var ir *smtypes.InvalidRequestException
	if errors.As(err, &nf) || (errors.As(err, &ir) && strings.Contains(ir.ErrorMessage(), "because it was marked for deletion")) {
		return st, true
	}
	if err != nil {
		t.Fatalf("GetSecretValue: %v", err)
	}
	st = tfVersionState{arn: aws.ToString(v.ARN), secretString: aws.ToString(v.SecretString), versionID: aws.ToString(v.VersionId), stages: v.VersionStages}
	if v.SecretBinary != nil {
		st.secretBinary = base64.StdEncoding.EncodeToString(v.SecretBinary)
	}
	return st, false
}

// tfCreateVersion is resourceSecretVersionCreate; secretBinary is base64, as declared.
func tfCreateVersion(t *testing.T, sm *secretsmanager.Client, secretID, secretString, secretBinary string, stages []string, n int) string {
	t.Helper()
	in := &secretsmanager.PutSecretValueInput{ClientRequestToken: aws.String(tfToken(n)), SecretId: aws.String(secretID), VersionStages: stages}
	if secretBinary != "" {
		b, err := base64.StdEncoding.DecodeString(secretBinary)
		if err != nil {
			t.Fatal(err)
		}
		in.SecretBinary = b
	}
	if secretString != "" {
		in.SecretString = aws.String(secretString)
	}
	out, err := sm.PutSecretValue(context.Background(), in)
	if err != nil {
		t.Fatalf("PutSecretValue: %v", err)
	}
	return aws.ToString(out.VersionId)
}

// tfDeleteVersion is resourceSecretVersionDelete for a version labelled only
// AWSCURRENT or AWSPREVIOUS: AWSCURRENT is never removed, and the version counts as
// gone once it has no label but one of those two.
func tfDeleteVersion(t *testing.T, sm *secretsmanager.Client, secretID, versionID string) {
	t.Helper()
	st, gone := tfReadVersion(t, sm, secretID, versionID)
	if !gone && !(len(st.stages) == 0 || (len(st.stages) == 1 && (st.stages[0] == "AWSCURRENT" || st.stages[0] == "AWSPREVIOUS"))) {
		t.Fatalf("version %s still has labels %v", versionID, st.stages)
	}
}

func TestTerraformSecretVersionLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secretDecl := tfSecret{name: "orders/app", description: ""}
	secretID := tfCreateSecret(t, e.sm, secretDecl)

	// version 1: a string with the default stages.
	const s1 = `{"username":"app","password":"one"}`
	v1 := tfCreateVersion(t, e.sm, secretID, s1, "", nil, 4)
	if v1 != tfToken(4) {
		t.Fatalf("VersionId %s, want the ClientRequestToken", v1)
	}
	st, _ := tfReadVersion(t, e.sm, secretID, v1)
	if st.arn != secretID || st.secretString != s1 || st.secretBinary != "" || st.versionID != v1 || !reflect.DeepEqual(st.stages, []string{"AWSCURRENT"}) {
		t.Fatalf("read v1: %+v", st)
	}

	// secret_string changes: the provider replaces the resource (destroy, then create).
	tfDeleteVersion(t, e.sm, secretID, v1)
	const b2 = "AAEC/w==" // declared base64, as secret_binary is
	v2 := tfCreateVersion(t, e.sm, secretID, "", b2, []string{"AWSCURRENT"}, 5)
	st, _ = tfReadVersion(t, e.sm, secretID, v2)
	if st.arn != secretID || st.secretBinary != b2 || st.secretString != "" || st.versionID != v2 || !reflect.DeepEqual(st.stages, []string{"AWSCURRENT"}) {
		t.Fatalf("read v2: %+v", st)
	}
	// The replaced version is AWSPREVIOUS, which the provider no longer tracks.
	old, _ := tfReadVersion(t, e.sm, secretID, v1)
	if !reflect.DeepEqual(old.stages, []string{"AWSPREVIOUS"}) {
		t.Fatalf("v1 after replace: %+v", old)
	}
	ids, err := e.sm.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(secretID)})
	// Oldest first, with AWS's name for the default key.
	if err != nil || len(ids.Versions) != 2 || aws.ToString(ids.Versions[0].VersionId) != v1 || aws.ToString(ids.Versions[1].VersionId) != v2 ||
		!reflect.DeepEqual(ids.Versions[1].KmsKeyIds, []string{"DefaultEncryptionKey"}) || ids.Versions[0].CreatedDate == nil || aws.ToString(ids.ARN) != secretID || aws.ToString(ids.Name) != "orders/app" {
		t.Fatalf("ListSecretVersionIds: %v %+v", err, ids)
	}

	// The secret's own read sees no diff from the versions.
	sst, _ := tfReadSecret(t, e.sm, secretID)
	noDiff(t, secretDecl, sst, secretID)

	// destroy: the version, then the secret (recovery_window_in_days = 0).
	tfDeleteVersion(t, e.sm, secretID, v2)
	tfDeleteSecret(t, e.sm, secretID, 0)
	if _, gone := tfReadVersion(t, e.sm, secretID, v2); !gone {
		t.Fatal("version readable after destroy")
	}
	all, err := e.sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	if err != nil || len(all.SecretList) != 0 {
		t.Fatalf("after destroy: %v %+v", err, all)
	}
}

// The operations' answers and errors beyond the provider's happy path.
func TestSecretsManagerUpdateTagsPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, err := e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("u"), SecretString: aws.String("one"),
		Tags: []smtypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(c.ARN)

	// UpdateSecret with a value makes a version, as PutSecretValue does; without a
	// Description it leaves the description alone.
	tok := "00000000-0000-0000-0000-00000000000a"
	u, err := e.sm.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("u"), SecretString: aws.String("two"), ClientRequestToken: aws.String(tok)})
	if err != nil || aws.ToString(u.VersionId) != tok || aws.ToString(u.ARN) != arn || aws.ToString(u.Name) != "u" {
		t.Fatalf("UpdateSecret: %v %+v", err, u)
	}
	// A retry with the same token and value succeeds again.
	if u2, err := e.sm.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("u"), SecretString: aws.String("two"), ClientRequestToken: aws.String(tok)}); err != nil || aws.ToString(u2.VersionId) != tok {
		t.Fatalf("retried UpdateSecret: %v %+v", err, u2)
	}
	_, err = e.sm.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("u"), SecretString: aws.String("three"), ClientRequestToken: aws.String(tok)})
	apiError(t, err, "ResourceExistsException", 400, "You can't modify an existing version")
	v, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("u")})
	if err != nil || aws.ToString(v.SecretString) != "two" {
		t.Fatalf("value after UpdateSecret: %v %+v", err, v)
	}
	if p, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("u"), VersionStage: aws.String("AWSPREVIOUS")}); err != nil || aws.ToString(p.SecretString) != "one" {
		t.Fatalf("previous after UpdateSecret: %v %+v", err, p)
	}
	_, err = e.sm.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("nope"), Description: aws.String("x")})
	apiError(t, err, "ResourceNotFoundException", 400, "Secrets Manager can't find the specified secret.")

	// Tags: TagResource replaces a key's value, UntagResource ignores a missing key.
	if _, err := e.sm.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(arn), Tags: []smtypes.Tag{{Key: aws.String("a"), Value: aws.String("2")}, {Key: aws.String("b"), Value: aws.String("")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sm.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(arn), TagKeys: []string{"b", "missing"}}); err != nil {
		t.Fatal(err)
	}
	d, err := e.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil || len(d.Tags) != 1 || aws.ToString(d.Tags[0].Key) != "a" || aws.ToString(d.Tags[0].Value) != "2" {
		t.Fatalf("tags: %v %+v", err, d)
	}
	_, err = e.sm.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(arn), TagKeys: []string{}})
	apiError(t, err, "ValidationException", 400, "tagKeys")
	_, err = e.sm.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(arn), Tags: []smtypes.Tag{{Key: aws.String(""), Value: aws.String("x")}}})
	apiError(t, err, "ValidationException", 400, "tags")

	// Policies: stored as given, must be JSON.
	p, err := e.sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("u")})
	if err != nil || p.ResourcePolicy != nil || aws.ToString(p.ARN) != arn {
		t.Fatalf("no policy: %v %+v", err, p)
	}
	_, err = e.sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("u"), ResourcePolicy: aws.String("{not json")})
	apiError(t, err, "MalformedPolicyDocumentException", 400, "This resource policy contains a syntax error.")
	_, err = e.sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("u"), ResourcePolicy: aws.String("{}"), BlockPublicPolicy: aws.Bool(true)})
	apiError(t, err, "InvalidParameterException", 400, "BlockPublicPolicy")
	const pol = "{\n  \"Version\": \"2012-10-17\", \"Statement\": []\n}"
	if _, err := e.sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("u"), ResourcePolicy: aws.String(pol)}); err != nil {
		t.Fatal(err)
	}
	if p, err := e.sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("u")}); err != nil || aws.ToString(p.ResourcePolicy) != pol {
		t.Fatalf("policy: %v %+v", err, p)
	}
	if _, err := e.sm.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: aws.String("u")}); err != nil {
		t.Fatal(err)
	}
	if p, err := e.sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("u")}); err != nil || p.ResourcePolicy != nil {
		t.Fatalf("policy after delete: %v %+v", err, p)
	}

	// ListSecretVersionIds pages.
	page, err := e.sm.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("u"), MaxResults: aws.Int32(1)})
	if err != nil || len(page.Versions) != 1 || page.Versions[0].VersionStages[0] != "AWSPREVIOUS" || page.NextToken == nil {
		t.Fatalf("page 1: %v %+v", err, page)
	}
	page, err = e.sm.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("u"), MaxResults: aws.Int32(1), NextToken: page.NextToken})
	if err != nil || len(page.Versions) != 1 || aws.ToString(page.Versions[0].VersionId) != tok || page.NextToken != nil {
		t.Fatalf("page 2: %v %+v", err, page)
	}

	// Scheduled for deletion: writes refused as AWS refuses them, restore brings it back.
	if _, err := e.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("u")}); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"UpdateSecret": func() error {
			_, err := e.sm.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("u"), Description: aws.String("x")})
			return err
		},
		"TagResource": func() error {
			_, err := e.sm.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("u"), Tags: []smtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"PutResourcePolicy": func() error {
			_, err := e.sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("u"), ResourcePolicy: aws.String("{}")})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			apiError(t, call(), "InvalidRequestException", 400, "You can't perform this operation on the secret because it was marked for deletion.")
		})
	}
	r, err := e.sm.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("u")})
	if err != nil || aws.ToString(r.ARN) != arn || aws.ToString(r.Name) != "u" {
		t.Fatalf("RestoreSecret: %v %+v", err, r)
	}
	if d, err := e.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("u")}); err != nil || d.DeletedDate != nil {
		t.Fatalf("after restore: %v %+v", err, d)
	}
	_, err = e.sm.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("nope")})
	apiError(t, err, "ResourceNotFoundException", 400, "Secrets Manager can't find the specified secret.")
}

// Members the service does not implement are refused by name, not dropped.
func TestSecretsManagerRefusesUnsupportedMembers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("r"), ForceOverwriteReplicaSecret: true})
	apiError(t, err, "InvalidParameterException", 400, "ForceOverwriteReplicaSecret")
	_, err = e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("r"), AddReplicaRegions: []smtypes.ReplicaRegionType{{Region: aws.String("eu-west-1")}}})
	apiError(t, err, "InvalidParameterException", 400, "Replica regions")
	if _, err := e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("r"), SecretString: aws.String("v"), KmsKeyId: aws.String("alias/k")}); err != nil {
		t.Fatal(err)
	}
	d, err := e.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("r")})
	if err != nil || aws.ToString(d.KmsKeyId) != "alias/k" {
		t.Fatalf("KmsKeyId: %v %+v", err, d)
	}
	_, err = e.sm.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("r"), Type: aws.String("aws:x")})
	apiError(t, err, "InvalidParameterException", 400, "Type")
	_, err = e.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("r"), SecretString: aws.String("w"), RotationToken: aws.String("rt")})
	apiError(t, err, "InvalidParameterException", 400, "RotationToken")
	_, err = e.sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{SortBy: smtypes.SortByTypeCreatedDate})
	apiError(t, err, "InvalidParameterException", 400, "SortBy")
	if _, err := e.sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{SortBy: smtypes.SortByTypeName}); err != nil {
		t.Fatal(err)
	}
}

// The real AWS CLI: update-secret, tag-resource, get-resource-policy.
func TestSecretsManagerAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is needed for this test")
	}
	e := newEnv(t)
	cli := func(args ...string) map[string]any { t.Helper(); return e.cli("secretsmanager", args...) }
	arn := e.secret("cli/app")
	if o := cli("update-secret", "--secret-id", "cli/app", "--description", "from the CLI", "--kms-key-id", "alias/cli"); o["ARN"] != arn || o["VersionId"] != nil {
		t.Fatalf("update-secret: %v", o)
	}
	if o := cli("update-secret", "--secret-id", arn, "--secret-string", "new"); o["VersionId"] == nil {
		t.Fatalf("update-secret with a value: %v", o)
	}
	cli("tag-resource", "--secret-id", arn, "--tags", `[{"Key":"team","Value":"orders"}]`)
	d := cli("describe-secret", "--secret-id", arn)
	if d["Description"] != "from the CLI" || d["KmsKeyId"] != "alias/cli" || !reflect.DeepEqual(d["Tags"], []any{map[string]any{"Key": "team", "Value": "orders"}}) {
		t.Fatalf("describe-secret: %v", d)
	}
	if o := cli("get-resource-policy", "--secret-id", arn); o["ARN"] != arn || o["Name"] != "cli/app" || o["ResourcePolicy"] != nil {
		t.Fatalf("get-resource-policy: %v", o)
	}
	cli("put-resource-policy", "--secret-id", arn, "--resource-policy", `{"Version":"2012-10-17","Statement":[]}`)
	if o := cli("get-resource-policy", "--secret-id", arn); o["ResourcePolicy"] != `{"Version":"2012-10-17","Statement":[]}` {
		t.Fatalf("get-resource-policy: %v", o)
	}
	cli("untag-resource", "--secret-id", arn, "--tag-keys", "team")
	if o := cli("list-secret-version-ids", "--secret-id", arn); len(o["Versions"].([]any)) != 2 {
		t.Fatalf("list-secret-version-ids: %v", o)
	}
}

// tfUpdateVersionStages is resourceSecretVersionUpdate: the labels added to and
// removed from a version's declared version_stages.
func tfUpdateVersionStages(t *testing.T, sm *secretsmanager.Client, secretID, versionID string, add, del []string) {
	t.Helper()
	ctx := context.Background()
	listed := false
	for _, stage := range add {
		in := &secretsmanager.UpdateSecretVersionStageInput{MoveToVersionId: aws.String(versionID), SecretId: aws.String(secretID), VersionStage: aws.String(stage)}
		if !listed && stage == "AWSCURRENT" {
			p := secretsmanager.NewListSecretVersionIdsPaginator(sm, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(secretID)})
			current := ""
			for p.HasMorePages() && current == "" {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListSecretVersionIds: %v", err)
				}
				for _, v := range page.Versions {
					for _, s := range v.VersionStages {
						if s == "AWSCURRENT" {
							current = aws.ToString(v.VersionId)
						}
					}
				}
			}
			in.RemoveFromVersionId = aws.String(current)
			listed = true
		}
		if _, err := sm.UpdateSecretVersionStage(ctx, in); err != nil {
			t.Fatalf("UpdateSecretVersionStage add %s: %v", stage, err)
		}
	}
	for _, stage := range del {
		if stage == "AWSCURRENT" || (listed && stage == "AWSPREVIOUS") {
			continue
		}
		if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{RemoveFromVersionId: aws.String(versionID), SecretId: aws.String(secretID), VersionStage: aws.String(stage)}); err != nil {
			t.Fatalf("UpdateSecretVersionStage remove %s: %v", stage, err)
		}
	}
}

// A rollback: the older aws_secretsmanager_secret_version is declared with
// version_stages = ["AWSCURRENT"], then the newer one is destroyed.
func TestTerraformSecretVersionRollback(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secretID := tfCreateSecret(t, e.sm, tfSecret{name: "orders/rollback"})
	v1 := tfCreateVersion(t, e.sm, secretID, "one", "", nil, 6)
	v2 := tfCreateVersion(t, e.sm, secretID, "two", "", nil, 7)
	st, _ := tfReadVersion(t, e.sm, secretID, v1)
	if !reflect.DeepEqual(st.stages, []string{"AWSPREVIOUS"}) {
		t.Fatalf("v1 before rollback: %+v", st)
	}
	// Plan: version_stages ["AWSPREVIOUS"] (read) -> ["AWSCURRENT"] (declared).
	tfUpdateVersionStages(t, e.sm, secretID, v1, []string{"AWSCURRENT"}, []string{"AWSPREVIOUS"})
	st, _ = tfReadVersion(t, e.sm, secretID, v1)
	if st.secretString != "one" || !reflect.DeepEqual(st.stages, []string{"AWSCURRENT"}) {
		t.Fatalf("v1 after rollback: %+v", st)
	}
	cur, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil || aws.ToString(cur.VersionId) != v1 {
		t.Fatalf("current after rollback: %v %+v", err, cur)
	}
	st2, _ := tfReadVersion(t, e.sm, secretID, v2)
	if !reflect.DeepEqual(st2.stages, []string{"AWSPREVIOUS"}) {
		t.Fatalf("v2 after rollback: %+v", st2)
	}
	// Destroy v2 (its state now reads version_stages ["AWSPREVIOUS"]): the label
	// comes off and the version is gone.
	if _, err := e.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{RemoveFromVersionId: aws.String(v2), SecretId: aws.String(secretID), VersionStage: aws.String("AWSPREVIOUS")}); err != nil {
		t.Fatal(err)
	}
	if _, gone := tfReadVersion(t, e.sm, secretID, v2); !gone {
		t.Fatal("v2 readable after destroy")
	}
	ids, err := e.sm.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(secretID)})
	if err != nil || len(ids.Versions) != 1 || aws.ToString(ids.Versions[0].VersionId) != v1 {
		t.Fatalf("versions after destroy: %v %+v", err, ids)
	}

	// AWS's refusals.
	_, err = e.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{RemoveFromVersionId: aws.String(v1), SecretId: aws.String(secretID), VersionStage: aws.String("AWSCURRENT")})
	apiError(t, err, "InvalidParameterException", 400, "You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed.")
	v3 := tfCreateVersion(t, e.sm, secretID, "three", "", nil, 8)
	_, err = e.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{MoveToVersionId: aws.String(v1), SecretId: aws.String(secretID), VersionStage: aws.String("AWSCURRENT")})
	apiError(t, err, "InvalidParameterException", 400, "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version "+v3)
	_, err = e.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{MoveToVersionId: aws.String("nope-nope-nope-nope-nope-nope-nope"), SecretId: aws.String(secretID), VersionStage: aws.String("AWSCURRENT")})
	apiError(t, err, "ResourceNotFoundException", 400, "VersionId: nope-nope")
	_, err = e.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{MoveToVersionId: aws.String(v1), SecretId: aws.String(secretID), VersionStage: aws.String("AWSPENDING")})
	apiError(t, err, "InvalidParameterException", 400, "AWSPENDING")
}

// cli runs the AWS CLI against the test server with the test credentials and
// returns its JSON output.
func (e *env) cli(service string, args ...string) map[string]any {
	t := e.t
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is needed for this test")
	}
	cmd := exec.Command("aws", append([]string{"--endpoint-url", e.srv.URL, "--region", testRegion, "--output", "json", service}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+testKey, "AWS_SECRET_ACCESS_KEY="+testSecret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s %v: %v: %s", service, args, err, stderr.String())
	}
	m := map[string]any{}
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("aws %s %v: %v: %s", service, args, err, out.String())
		}
	}
	return m
}
