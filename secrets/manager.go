package secrets

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/mqtrigger/mqtrigger/store"
)

// Staging labels.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// Limits from Secrets Manager's API.
const (
	maxNameLen        = 512
	maxDescriptionLen = 2048
	maxValueLen       = 65536
	minTokenLen       = 32
	maxTokenLen       = 64
	defaultWindowDays = 30
	maxListResults    = 100
	updateAttempts    = 50 // retries of a read-modify-write that lost to another writer
)

// Manager runs Secrets Manager operations against a store. It keeps no state of its
// own, so several Managers (on several nodes) may share one store.
type Manager struct {
	st        store.Store
	aead      cipher.AEAD
	region    string
	accountID string
	now       func() time.Time
}

// New returns a Manager that keeps secrets in st, encrypted with key (KeySize
// bytes), with ARNs in region and accountID.
func New(st store.Store, key []byte, region, accountID string) (*Manager, error) {
	if st == nil {
		return nil, errors.New("secrets: no store")
	}
	if region == "" || accountID == "" {
		return nil, errors.New("secrets: region and account ID are required to form secret ARNs")
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &Manager{st: st, aead: aead, region: region, accountID: accountID, now: time.Now}, nil
}

// Tag is a secret's tag.
type Tag struct {
	Key   string
	Value string
}

// CreateInput is CreateSecret's request. Give SecretString or SecretBinary, or
// neither to create a secret without a value.
type CreateInput struct {
	Name               string
	Description        string
	SecretString       string
	SecretBinary       []byte
	Tags               []Tag
	ClientRequestToken string // the first version's VersionId; a new UUID if empty
	// KmsKeyID is stored and returned as given: values are sealed with the node's
	// own key, not with KMS.
	KmsKeyID string
}

// CreateOutput is CreateSecret's response. VersionID is empty when the secret was
// created without a value.
type CreateOutput struct {
	ARN       string
	Name      string
	VersionID string
}

// Value is GetSecretValue's response: one version of a secret, with its value in
// SecretString or SecretBinary.
type Value struct {
	ARN           string
	Name          string
	VersionID     string
	SecretString  string
	SecretBinary  []byte
	VersionStages []string
	CreatedDate   time.Time // when this version was created
}

// PutInput is PutSecretValue's request.
type PutInput struct {
	SecretID           string // name, ARN or partial ARN
	ClientRequestToken string // the new VersionId; a new UUID if empty
	SecretString       string
	SecretBinary       []byte
	// VersionStages may be empty or ["AWSCURRENT"]: the new version becomes current
	// and the old current one becomes AWSPREVIOUS. Other labels are not supported.
	VersionStages []string
}

// PutOutput is PutSecretValue's response.
type PutOutput struct {
	ARN           string
	Name          string
	VersionID     string
	VersionStages []string
}

// DeleteInput is DeleteSecret's request.
type DeleteInput struct {
	SecretID                   string
	RecoveryWindowInDays       int64 // 7..30; 0 means the default, 30
	ForceDeleteWithoutRecovery bool
}

// DeleteOutput is DeleteSecret's response.
type DeleteOutput struct {
	ARN          string
	Name         string
	DeletionDate time.Time
}

// Entry describes a secret without its value: DescribeSecret's response and an
// entry of ListSecrets.
type Entry struct {
	ARN             string
	Name            string
	Description     string
	KmsKeyID        string // "" for the default key
	CreatedDate     time.Time
	LastChangedDate time.Time
	DeletedDate     time.Time // zero unless scheduled for deletion
	Tags            []Tag
	// VersionsToStages maps each VersionId to its labels (ListSecrets calls it
	// SecretVersionsToStages, DescribeSecret VersionIdsToStages).
	VersionsToStages map[string][]string
}

// ListInput is ListSecrets' request.
type ListInput struct {
	IncludePlannedDeletion bool
	MaxResults             int // 1..100; 0 means 100
	NextToken              string
	Filters                []Filter
	SortOrder              string // "asc" (default) or "desc"; secrets are sorted by name
}

// Filter selects secrets in ListSecrets: Key is name, description, tag-key,
// tag-value or all; a secret matches if one of Values is a prefix of the field
// (case-sensitive). A value starting with "!" negates it.
type Filter struct {
	Key    string
	Values []string
}

// ListOutput is ListSecrets' response; NextToken is empty on the last page.
type ListOutput struct {
	Secrets   []Entry
	NextToken string
}

// Create creates a secret, and its first version if a value is given.
func (m *Manager) Create(ctx context.Context, in CreateInput) (*CreateOutput, error) {
	if err := validName(in.Name); err != nil {
		return nil, err
	}
	if len(in.Description) > maxDescriptionLen {
		return nil, newError(CodeValidation, fmt.Sprintf("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", maxDescriptionLen))
	}
	kind, value, hasValue, err := valueOf(in.SecretString, in.SecretBinary, false)
	if err != nil {
		return nil, err
	}
	token, err := versionToken(in.ClientRequestToken)
	if err != nil {
		return nil, err
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	tags, err := json.Marshal(in.Tags)
	if err != nil {
		return nil, fmt.Errorf("secrets: encode tags: %w", err)
	}

	if old, err := m.lookup(ctx, in.Name); err == nil {
		if !old.DeletedDate.IsZero() {
			return nil, newError(CodeInvalidRequest, "You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		// A retried request (same token, same value) succeeds again.
		if hasValue && old.VersionID == token {
			if k, v, err := m.open(old.ARN, old.VersionID, old.Value); err == nil && k == kind && bytes.Equal(v, value) {
				return &CreateOutput{ARN: old.ARN, Name: old.Name, VersionID: old.VersionID}, nil
			}
		}
		return nil, errExists(in.Name)
	} else if !IsCode(err, CodeResourceNotFound) {
		return nil, err
	}

	arn, err := m.newARN(in.Name)
	if err != nil {
		return nil, err
	}
	now := m.now().UTC()
	sec := &store.Secret{ARN: arn, Name: in.Name, Description: in.Description, CreatedDate: now,
		LastChangedDate: now, Tags: tags, KmsKeyID: in.KmsKeyID}
	if hasValue {
		sealed, err := m.seal(arn, token, kind, value)
		if err != nil {
			return nil, err
		}
		sec.VersionID, sec.Value, sec.VersionCreatedDate = token, sealed, now
	}
	if err := m.st.CreateSecret(ctx, sec); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, errExists(in.Name)
		}
		return nil, fmt.Errorf("secrets: create %s: %w", in.Name, err)
	}
	return &CreateOutput{ARN: arn, Name: in.Name, VersionID: sec.VersionID}, nil
}

func errExists(name string) *Error {
	return newError(CodeResourceExists, fmt.Sprintf("The operation failed because the secret %s already exists.", name))
}

// GetValue returns one version of a secret: the one with versionID if given, else
// the one labelled versionStage, AWSCURRENT by default.
func (m *Manager) GetValue(ctx context.Context, secretID, versionID, versionStage string) (*Value, error) {
	sec, err := m.lookup(ctx, secretID)
	if err != nil {
		return nil, err
	}
	if !sec.DeletedDate.IsZero() {
		return nil, newError(CodeInvalidRequest, msgMarkedForDeletion)
	}
	type version struct {
		id      string
		value   []byte
		created time.Time
		stage   string
	}
	versions := []version{
		{sec.VersionID, sec.Value, sec.VersionCreatedDate, StageCurrent},
		{sec.PreviousVersionID, sec.PreviousValue, sec.PreviousCreatedDate, StagePrevious},
	}
	var found *version
	switch {
	case versionID != "":
		for i := range versions {
			if versions[i].id != "" && versions[i].id == versionID {
				found = &versions[i]
			}
		}
		if found == nil {
			return nil, newError(CodeResourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: "+versionID)
		}
		if versionStage != "" && versionStage != found.stage {
			return nil, newError(CodeInvalidRequest, "You provided a VersionStage that is not associated to the provided VersionId.")
		}
	default:
		if versionStage == "" {
			versionStage = StageCurrent
		}
		for i := range versions {
			if versions[i].id != "" && versions[i].stage == versionStage {
				found = &versions[i]
			}
		}
		if found == nil {
			return nil, newError(CodeResourceNotFound, "Secrets Manager can't find the specified secret value for staging label: "+versionStage)
		}
	}
	kind, value, err := m.open(sec.ARN, found.id, found.value)
	if err != nil {
		return nil, err
	}
	out := &Value{ARN: sec.ARN, Name: sec.Name, VersionID: found.id, VersionStages: []string{found.stage},
		CreatedDate: found.created}
	if kind == kindString {
		out.SecretString = string(value)
	} else {
		out.SecretBinary = value
	}
	return out, nil
}

// PutValue creates a new version of a secret and labels it AWSCURRENT; the version
// that was current becomes AWSPREVIOUS.
func (m *Manager) PutValue(ctx context.Context, in PutInput) (*PutOutput, error) {
	kind, value, _, err := valueOf(in.SecretString, in.SecretBinary, true)
	if err != nil {
		return nil, err
	}
	for _, s := range in.VersionStages {
		if s != StageCurrent {
			return nil, newError(CodeInvalidParameter, fmt.Sprintf("mqtrigger supports only the %s staging label in VersionStages, not %q.", StageCurrent, s))
		}
	}
	token, err := versionToken(in.ClientRequestToken)
	if err != nil {
		return nil, err
	}
	var out *PutOutput
	err = m.modify(ctx, in.SecretID, func(sec *store.Secret) (bool, error) {
		retried, err := m.putVersion(sec, token, kind, value)
		if err != nil || retried != nil {
			out = retried
			return false, err
		}
		out = &PutOutput{ARN: sec.ARN, Name: sec.Name, VersionID: token, VersionStages: []string{StageCurrent}}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// putVersion makes a new current version of sec with that token and value, the
// current one becoming AWSPREVIOUS. If sec already has a version with that token and
// value (a retried request), it leaves sec alone and returns that version.
func (m *Manager) putVersion(sec *store.Secret, token string, kind byte, value []byte) (retried *PutOutput, err error) {
	for _, v := range []struct {
		id, stage string
		value     []byte
	}{{sec.VersionID, StageCurrent, sec.Value}, {sec.PreviousVersionID, StagePrevious, sec.PreviousValue}} {
		if v.id == "" || v.id != token {
			continue
		}
		if k, old, err := m.open(sec.ARN, v.id, v.value); err == nil && k == kind && bytes.Equal(old, value) {
			return &PutOutput{ARN: sec.ARN, Name: sec.Name, VersionID: v.id, VersionStages: []string{v.stage}}, nil
		}
		return nil, newError(CodeResourceExists, "You can't modify an existing version, you can only create new versions.")
	}
	sealed, err := m.seal(sec.ARN, token, kind, value)
	if err != nil {
		return nil, err
	}
	now := m.now().UTC()
	if sec.VersionID != "" {
		sec.PreviousVersionID, sec.PreviousValue, sec.PreviousCreatedDate = sec.VersionID, sec.Value, sec.VersionCreatedDate
	}
	sec.VersionID, sec.Value, sec.VersionCreatedDate = token, sealed, now
	return nil, nil
}

// modify applies change to the secret secretID (not scheduled for deletion) and
// writes it, reading and trying again if another writer got there first. change
// returns false to leave the secret unwritten. LastChangedDate is set on write.
func (m *Manager) modify(ctx context.Context, secretID string, change func(sec *store.Secret) (write bool, err error)) error {
	for attempt := 0; ; attempt++ {
		sec, err := m.lookup(ctx, secretID)
		if err != nil {
			return err
		}
		if !sec.DeletedDate.IsZero() {
			return newError(CodeInvalidRequest, msgMarkedForDeletion)
		}
		write, err := change(sec)
		if err != nil || !write {
			return err
		}
		sec.LastChangedDate = m.now().UTC()
		err = m.st.UpdateSecret(ctx, sec)
		if err == nil {
			return nil
		}
		if err := m.retryable(ctx, err, attempt, sec.Name); err != nil {
			return err
		}
	}
}

// retryable returns nil if a conditional update lost to another writer and may be
// tried again, after a short random wait that grows with each attempt (writers
// that collided at once would otherwise collide again), or the error to give up
// with.
func (m *Manager) retryable(ctx context.Context, err error, attempt int, name string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errNotFound()
	case errors.Is(err, store.ErrConflict) && attempt+1 < updateAttempts:
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(mrand.N(time.Duration(attempt+1) * time.Millisecond)):
		}
		return nil
	default:
		return fmt.Errorf("secrets: update %s: %w", name, err)
	}
}

// Delete schedules a secret for deletion after a recovery window (during which it
// can be described, listed with IncludePlannedDeletion and restored, but not read
// or written), or deletes it at once with ForceDeleteWithoutRecovery.
func (m *Manager) Delete(ctx context.Context, in DeleteInput) (*DeleteOutput, error) {
	if in.ForceDeleteWithoutRecovery && in.RecoveryWindowInDays != 0 {
		return nil, newError(CodeInvalidParameter, "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	window := in.RecoveryWindowInDays
	if window == 0 {
		window = defaultWindowDays
	}
	if window < 7 || window > 30 {
		return nil, newError(CodeInvalidParameter, "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
	}
	if in.ForceDeleteWithoutRecovery {
		sec, err := m.lookup(ctx, in.SecretID)
		now := m.now().UTC()
		if IsCode(err, CodeResourceNotFound) {
			// Secrets Manager does not fail a forced delete of a missing secret.
			out := &DeleteOutput{Name: in.SecretID, DeletionDate: now}
			if strings.HasPrefix(in.SecretID, "arn:") {
				out.ARN, out.Name = in.SecretID, nameFromARN(in.SecretID)
			}
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if err := m.st.DeleteSecret(ctx, sec.ARN); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("secrets: delete %s: %w", sec.Name, err)
		}
		return &DeleteOutput{ARN: sec.ARN, Name: sec.Name, DeletionDate: now}, nil
	}
	for attempt := 0; ; attempt++ {
		sec, err := m.lookup(ctx, in.SecretID)
		if err != nil {
			return nil, err
		}
		if !sec.DeletedDate.IsZero() {
			return nil, newError(CodeInvalidRequest, "You tried to perform the operation on a secret that's currently marked deleted.")
		}
		now := m.now().UTC()
		sec.DeletedDate, sec.DeletionDate = now, now.Add(time.Duration(window)*24*time.Hour)
		err = m.st.UpdateSecret(ctx, sec)
		if err == nil {
			return &DeleteOutput{ARN: sec.ARN, Name: sec.Name, DeletionDate: sec.DeletionDate}, nil
		}
		if err := m.retryable(ctx, err, attempt, sec.Name); err != nil {
			return nil, err
		}
	}
}

// Restore cancels a scheduled deletion (RestoreSecret).
func (m *Manager) Restore(ctx context.Context, secretID string) (arn, name string, err error) {
	for attempt := 0; ; attempt++ {
		sec, err := m.lookup(ctx, secretID)
		if err != nil {
			return "", "", err
		}
		if sec.DeletedDate.IsZero() {
			return sec.ARN, sec.Name, nil
		}
		sec.DeletedDate, sec.DeletionDate = time.Time{}, time.Time{}
		err = m.st.UpdateSecret(ctx, sec)
		if err == nil {
			return sec.ARN, sec.Name, nil
		}
		if err := m.retryable(ctx, err, attempt, sec.Name); err != nil {
			return "", "", err
		}
	}
}

// Describe returns a secret's metadata (DescribeSecret); it works on a secret
// scheduled for deletion.
func (m *Manager) Describe(ctx context.Context, secretID string) (*Entry, error) {
	sec, err := m.lookup(ctx, secretID)
	if err != nil {
		return nil, err
	}
	e := entry(sec)
	return &e, nil
}

// List returns secrets without their values (ListSecrets), sorted by name.
func (m *Manager) List(ctx context.Context, in ListInput) (*ListOutput, error) {
	limit := in.MaxResults
	if limit == 0 {
		limit = maxListResults
	}
	if limit < 1 || limit > maxListResults {
		return nil, newError(CodeInvalidParameter, fmt.Sprintf("MaxResults must be between 1 and %d.", maxListResults))
	}
	desc := false
	switch in.SortOrder {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return nil, newError(CodeInvalidParameter, "SortOrder must be asc or desc.")
	}
	for _, f := range in.Filters {
		switch f.Key {
		case "name", "description", "tag-key", "tag-value", "all", "primary-region", "owning-service":
		default:
			return nil, newError(CodeInvalidParameter, fmt.Sprintf("Invalid filter key: %q.", f.Key))
		}
	}
	after := ""
	if in.NextToken != "" {
		after = decodeToken(in.NextToken)
		if after == "" {
			return nil, newError(CodeInvalidNextToken, "The NextToken value is not valid.")
		}
	}
	all, err := m.st.ListSecrets(ctx)
	if err != nil {
		return nil, fmt.Errorf("secrets: list: %w", err)
	}
	if desc {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	out := &ListOutput{}
	for _, sec := range all {
		if after != "" && ((!desc && sec.Name <= after) || (desc && sec.Name >= after)) {
			continue
		}
		if m.expired(ctx, sec) || (!sec.DeletedDate.IsZero() && !in.IncludePlannedDeletion) {
			continue
		}
		e := entry(sec)
		if !matches(e, in.Filters) {
			continue
		}
		if len(out.Secrets) == limit {
			out.NextToken = encodeToken(out.Secrets[limit-1].Name)
			break
		}
		out.Secrets = append(out.Secrets, e)
	}
	return out, nil
}

// BasicAuth returns the username and password in the secret with that ARN (or name),
// whose current value must be {"username":"...","password":"..."}. Errors name the
// secret and what is wrong, never the value.
func (m *Manager) BasicAuth(ctx context.Context, secretARN string) (username, password string, err error) {
	v, err := m.GetValue(ctx, secretARN, "", "")
	if err != nil {
		return "", "", fmt.Errorf("BASIC_AUTH secret %s: %w", secretARN, err)
	}
	bad := func(what string) error {
		return fmt.Errorf("BASIC_AUTH secret %s: %w: %s (expected {\"username\": \"...\", \"password\": \"...\"}; set it with PutSecretValue)",
			secretARN, ErrBasicAuthValue, what)
	}
	if v.SecretBinary != nil {
		return "", "", bad("the value is binary, not a JSON string")
	}
	var creds map[string]any
	if err := json.Unmarshal([]byte(v.SecretString), &creds); err != nil || creds == nil {
		// json's errors may quote part of the value: do not pass them on.
		return "", "", bad("the value is not a JSON object")
	}
	u, uok := creds["username"].(string)
	p, pok := creds["password"].(string)
	switch {
	case !uok || u == "":
		return "", "", bad(`the "username" key is missing, empty or not a string`)
	case !pok || p == "":
		return "", "", bad(`the "password" key is missing, empty or not a string`)
	}
	return u, p, nil
}

// lookup finds a secret by name, full ARN or partial ARN (the full ARN without the
// random suffix). A secret whose recovery window has passed is deleted and not found.
func (m *Manager) lookup(ctx context.Context, id string) (*store.Secret, error) {
	if id == "" || len(id) > 2048 {
		return nil, newError(CodeValidation, "1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member must have length between 1 and 2048")
	}
	sec, err := m.st.GetSecret(ctx, id)
	if errors.Is(err, store.ErrNotFound) && strings.HasPrefix(id, "arn:") {
		// A partial ARN: the prefix of exactly one secret's ARN, less "-XXXXXX".
		if name := nameFromARN(id); name != "" {
			sec, err = m.st.GetSecret(ctx, name)
			if err == nil && !(len(sec.ARN) == len(id)+7 && strings.HasPrefix(sec.ARN, id+"-")) {
				err = store.ErrNotFound
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: look up %s: %w", id, err)
	}
	if m.expired(ctx, sec) {
		return nil, errNotFound()
	}
	return sec, nil
}

// expired reports whether sec's recovery window has passed, and if so deletes it.
func (m *Manager) expired(ctx context.Context, sec *store.Secret) bool {
	if sec.DeletionDate.IsZero() || m.now().Before(sec.DeletionDate) {
		return false
	}
	// Best effort: if this fails the secret is still treated as gone, and the next
	// lookup tries again.
	_ = m.st.DeleteSecret(ctx, sec.ARN)
	return true
}

// nameFromARN returns the part of a secret ARN after ":secret:", or "".
func nameFromARN(arn string) string {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[2] != "secretsmanager" || parts[5] != "secret" {
		return ""
	}
	return parts[6]
}

const suffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (m *Manager) newARN(name string) (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secrets: generate an ARN suffix: %w", err)
	}
	for i := range b {
		b[i] = suffixChars[int(b[i])%len(suffixChars)]
	}
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", m.region, m.accountID, name, b), nil
}

func validName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return newError(CodeValidation, fmt.Sprintf("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length between 1 and %d", maxNameLen))
	}
	for _, r := range name {
		ok := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+=.@-", r))
		if !ok {
			return newError(CodeValidation, "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
		}
	}
	return nil
}

// valueOf checks a request's value: at most one of s and b (exactly one if
// required), within Secrets Manager's size limit.
func valueOf(s string, b []byte, required bool) (kind byte, value []byte, ok bool, err error) {
	switch {
	case s != "" && b != nil:
		return 0, nil, false, newError(CodeInvalidParameter, "You can't specify both a binary secret value and a string secret value in the same secret.")
	case s != "":
		kind, value = kindString, []byte(s)
	case len(b) > 0:
		kind, value = kindBinary, b
	case required:
		return 0, nil, false, newError(CodeInvalidParameter, "You must provide either SecretString or SecretBinary.")
	default:
		return 0, nil, false, nil
	}
	if len(value) > maxValueLen {
		return 0, nil, false, newError(CodeValidation, fmt.Sprintf("1 validation error detected: the secret value must be at most %d bytes.", maxValueLen))
	}
	return kind, value, true, nil
}

func versionToken(t string) (string, error) {
	if t == "" {
		return uuid.NewString(), nil
	}
	if len(t) < minTokenLen || len(t) > maxTokenLen {
		return "", newError(CodeValidation, fmt.Sprintf("1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between %d and %d", minTokenLen, maxTokenLen))
	}
	return t, nil
}

func entry(sec *store.Secret) Entry {
	e := Entry{ARN: sec.ARN, Name: sec.Name, Description: sec.Description, KmsKeyID: sec.KmsKeyID, CreatedDate: sec.CreatedDate,
		LastChangedDate: sec.LastChangedDate, DeletedDate: sec.DeletedDate, VersionsToStages: map[string][]string{}}
	if len(sec.Tags) > 0 {
		_ = json.Unmarshal(sec.Tags, &e.Tags) // written by Create; a bad value shows as no tags
	}
	if sec.VersionID != "" {
		e.VersionsToStages[sec.VersionID] = []string{StageCurrent}
	}
	if sec.PreviousVersionID != "" {
		e.VersionsToStages[sec.PreviousVersionID] = []string{StagePrevious}
	}
	return e
}

func matches(e Entry, filters []Filter) bool {
	for _, f := range filters {
		var fields []string
		switch f.Key {
		case "name":
			fields = []string{e.Name}
		case "description":
			fields = []string{e.Description}
		case "tag-key", "tag-value", "all":
			if f.Key == "all" {
				fields = append(fields, e.Name, e.Description)
			}
			for _, t := range e.Tags {
				if f.Key != "tag-value" {
					fields = append(fields, t.Key)
				}
				if f.Key != "tag-key" {
					fields = append(fields, t.Value)
				}
			}
		}
		matched := false
		for _, v := range f.Values {
			neg := strings.HasPrefix(v, "!")
			v = strings.TrimPrefix(v, "!")
			hit := false
			for _, field := range fields {
				if strings.HasPrefix(field, v) {
					hit = true
				}
			}
			if hit != neg {
				matched = true
			}
		}
		if !matched {
			return false
		}
	}
	return true
}
