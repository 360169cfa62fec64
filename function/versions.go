package function

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"time"
)

// Versions and aliases, as Lambda has them. A published version is a snapshot of
// $LATEST's code and configuration, numbered from 1, that never changes; an alias
// names $LATEST or a version (optionally sending a share of invocations to a
// second version), and whoever invokes the alias follows it when it moves.

var aliasNameRE = regexp.MustCompile(`^(?:[a-zA-Z0-9-_]+)$`)

// ValidAliasName reports whether s may name an alias: 1 to 128 letters, digits,
// hyphens or underscores, not all digits (that would be a version).
func ValidAliasName(s string) bool {
	if len(s) == 0 || len(s) > 128 || !aliasNameRE.MatchString(s) {
		return false
	}
	_, err := strconv.Atoi(s)
	return err != nil
}

// ValidQualifier reports whether s may qualify a function name: $LATEST, a version
// number or an alias name.
func ValidQualifier(s string) bool {
	return s == "$LATEST" || (len(s) > 0 && len(s) <= 128 && aliasNameRE.MatchString(s))
}

// PublishInput is what PublishVersion takes.
type PublishInput struct {
	FunctionName string
	CodeSHA256   string // if set, $LATEST's code must have this hash
	Description  string // the version's; "": the function's
	RevisionID   string // if set, $LATEST must be at this revision
}

// PublishVersion publishes $LATEST as a new version, or returns the newest version
// if neither code nor configuration changed since it was published (as Lambda).
func (r *Registry) PublishVersion(ctx context.Context, in PublishInput) (*Configuration, error) {
	sf, c, err := r.changeable(ctx, in.FunctionName, in.RevisionID)
	if err != nil {
		return nil, err
	}
	defer r.loadMu.Unlock()
	if in.CodeSHA256 != "" && in.CodeSHA256 != sf.CodeSHA256 {
		return nil, invalidParameter("CodeSha256", "CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the current CodeSHA256.", in.CodeSHA256, sf.CodeSHA256)
	}
	var desc *string
	if in.Description != "" {
		desc = &in.Description
	}
	return r.publishLocked(ctx, sf, c, desc)
}

// fingerprint identifies what a version is published from: the code and every
// setting that changes what runs (not the revision, tags or concurrency).
func fingerprint(sf *Stored, c *storedConfig) string {
	v := *c
	v.RevisionID, v.Tags, v.ReservedConcurrency, v.Version, v.Fingerprint = "", nil, nil, 0, ""
	b, _ := json.Marshal(&v)
	sum := sha256.Sum256(append(b, sf.CodeSHA256...))
	return base64.RawStdEncoding.EncodeToString(sum[:])
}

// publishLocked publishes sf (the $LATEST row with its code) with loadMu held.
func (r *Registry) publishLocked(ctx context.Context, sf *Stored, c *storedConfig, description *string) (*Configuration, error) {
	fp := fingerprint(sf, c)
	for attempt := 0; ; attempt++ {
		vs, err := r.store.ListVersions(ctx, sf.Name)
		if err != nil {
			return nil, fmt.Errorf("listing versions of %s: %w", sf.Name, err)
		}
		next := 1
		if len(vs) > 0 {
			last := vs[len(vs)-1]
			next = last.Version + 1
			if lc, err := decodeConfig(last); err == nil && lc.Fingerprint == fp {
				return r.configuration(last, lc), nil
			}
		}
		v := *c
		v.Version, v.Fingerprint, v.Tags, v.ReservedConcurrency = next, fp, nil, nil
		v.RevisionID = newRequestID()
		if description != nil {
			v.Description = *description
		}
		cfg, err := json.Marshal(&v)
		if err != nil {
			return nil, fmt.Errorf("encoding version of %s: %w", sf.Name, err)
		}
		vf := &Stored{Name: sf.Name, Version: next, Config: cfg, Code: sf.Code, CodeSHA256: sf.CodeSHA256,
			CodeSize: sf.CodeSize, LastModified: time.Now().UTC().Truncate(time.Millisecond)}
		err = r.store.PutVersion(ctx, vf)
		if errors.Is(err, ErrVersionExists) && attempt < 5 {
			continue // another node published this number first
		}
		if err != nil {
			return nil, fmt.Errorf("storing version %d of %s: %w", next, sf.Name, err)
		}
		return r.configuration(vf, &v), nil
	}
}

// ListVersionsInput is what ListVersions takes.
type ListVersionsInput struct {
	FunctionName string
	Marker       string // the NextMarker of the previous page
	MaxItems     int    // 0 or more than 50: 50
}

// ListVersionsOutput is one page of a function's versions: $LATEST, then the
// published ones from the oldest.
type ListVersionsOutput struct {
	Versions   []*Configuration
	NextMarker string
}

// ListVersions lists a function's versions.
func (r *Registry) ListVersions(ctx context.Context, in ListVersionsInput) (*ListVersionsOutput, error) {
	name, err := r.latest(in.FunctionName)
	if err != nil {
		return nil, err
	}
	latest, err := r.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	latest.ARN += ":$LATEST" // as Lambda lists it
	all := []*Configuration{latest}
	if !latest.Configured {
		vs, err := r.store.ListVersions(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("listing versions of %s: %w", name, err)
		}
		for _, vf := range vs {
			c, err := decodeConfig(vf)
			if err != nil {
				r.log.Warn("skipping a version whose stored configuration is unreadable", "function", name, "version", vf.Version, "error", err)
				continue
			}
			all = append(all, r.configuration(vf, c))
		}
	}
	start := 0
	if in.Marker != "" {
		start = len(all)
		for i, c := range all {
			if c.Version == in.Marker {
				start = i + 1
			}
		}
	}
	limit := maxPageSize
	if in.MaxItems > 0 {
		limit = min(in.MaxItems, maxPageSize)
	}
	out := &ListVersionsOutput{Versions: all[start:]}
	if len(out.Versions) > limit {
		out.Versions = out.Versions[:limit]
		out.NextMarker = out.Versions[limit-1].Version
	}
	return out, nil
}

// getQualified is Get of a version or an alias.
func (r *Registry) getQualified(ctx context.Context, name, qualifier string) (*Configuration, error) {
	if r.configured[name] != nil {
		return nil, &NotFoundError{ARN: r.arn(name), Qualifier: qualifier}
	}
	if _, _, err := r.stored(ctx, name); err != nil {
		return nil, err
	}
	v, err := r.resolveStored(ctx, name, qualifier)
	if err != nil {
		return nil, err
	}
	var c *Configuration
	if v == 0 {
		c, err = r.Get(ctx, name)
	} else {
		c, err = r.version(ctx, name, v)
	}
	if err != nil {
		return nil, err
	}
	if _, isVersion, _ := r.versionNumber(name, qualifier); !isVersion {
		c.ARN = r.arn(name) + ":" + qualifier // asked for by alias
	}
	return c, nil
}

// version reads one published version.
func (r *Registry) version(ctx context.Context, name string, v int) (*Configuration, error) {
	vf, err := r.store.GetVersion(ctx, name, v)
	if errors.Is(err, ErrNotStored) {
		return nil, &NotFoundError{ARN: r.arn(name), Qualifier: strconv.Itoa(v)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading version %d of %s: %w", v, name, err)
	}
	c, err := decodeConfig(vf)
	if err != nil {
		return nil, err
	}
	return r.configuration(vf, c), nil
}

// deleteVersion deletes one published version, unless an alias points to it.
func (r *Registry) deleteVersion(ctx context.Context, name, qualifier string) error {
	v, err := strconv.Atoi(qualifier)
	if err != nil || v < 1 {
		return invalidParameter("Qualifier", "Deletion of aliases is not supported through DeleteFunction: use DeleteAlias.")
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	aliases, err := r.store.ListAliases(ctx, name)
	if err != nil {
		return fmt.Errorf("listing aliases of %s: %w", name, err)
	}
	var using []string
	for _, sa := range aliases {
		a, err := decodeAlias(sa)
		if err == nil && (a.FunctionVersion == qualifier || a.Weights[qualifier] > 0) {
			using = append(using, sa.Name)
		}
	}
	if len(using) > 0 {
		return fmt.Errorf("%w: Unable to delete version because the following aliases reference it: %v", ErrConflict, using)
	}
	err = r.store.DeleteVersion(ctx, name, v)
	if errors.Is(err, ErrNotStored) {
		return &NotFoundError{ARN: r.arn(name), Qualifier: qualifier}
	}
	if err != nil {
		return fmt.Errorf("deleting version %d of %s: %w", v, name, err)
	}
	r.uninstall(versionKey(name, v))
	return nil
}

// Alias is an alias of a function, as Lambda's AliasConfiguration.
type Alias struct {
	ARN             string
	Name            string
	FunctionVersion string // $LATEST or a version number
	Description     string
	RoutingWeights  map[string]float64 // another version and the share of invocations it takes
	RevisionID      string
}

type storedAliasConfig struct {
	FunctionVersion string             `json:"functionVersion"`
	Description     string             `json:"description,omitempty"`
	Weights         map[string]float64 `json:"weights,omitempty"`
	RevisionID      string             `json:"revisionId"`
}

func decodeAlias(sa *StoredAlias) (*storedAliasConfig, error) {
	var a storedAliasConfig
	if err := json.Unmarshal(sa.Config, &a); err != nil {
		return nil, fmt.Errorf("%w: alias %s:%s: stored configuration: %v", ErrFunctionConfig, sa.Function, sa.Name, err)
	}
	return &a, nil
}

func (r *Registry) alias(name string, sa *StoredAlias, a *storedAliasConfig) *Alias {
	return &Alias{ARN: r.arn(name) + ":" + sa.Name, Name: sa.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RoutingWeights: a.Weights, RevisionID: a.RevisionID}
}

// AliasInput is what CreateAlias and UpdateAlias take; nil members of an update
// stay as they are.
type AliasInput struct {
	FunctionName    string
	Name            string
	FunctionVersion *string
	Description     *string
	RoutingWeights  *map[string]float64 // AdditionalVersionWeights
	RevisionID      string              // update only: the alias must be at this revision
}

// CreateAlias creates an alias; ErrAliasExists if the name is taken.
func (r *Registry) CreateAlias(ctx context.Context, in AliasInput) (*Alias, error) {
	return r.putAlias(ctx, in, true)
}

// UpdateAlias changes an alias: whoever invokes it follows at once on this node,
// within refreshInterval on the others.
func (r *Registry) UpdateAlias(ctx context.Context, in AliasInput) (*Alias, error) {
	return r.putAlias(ctx, in, false)
}

func (r *Registry) putAlias(ctx context.Context, in AliasInput, create bool) (*Alias, error) {
	name, err := r.latest(in.FunctionName)
	if err != nil {
		return nil, err
	}
	if !ValidAliasName(in.Name) {
		return nil, &ValidationError{Field: "name", Value: in.Name, Constraint: "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"}
	}
	if r.configured[name] != nil {
		return nil, fmt.Errorf("%w: %s", ErrConfiguredFunction, name)
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if _, _, err := r.stored(ctx, name); err != nil {
		return nil, err
	}
	a := &storedAliasConfig{}
	sa, err := r.store.GetAlias(ctx, name, in.Name)
	switch {
	case err == nil && create:
		return nil, fmt.Errorf("%w: Alias already exists: %s:%s", ErrAliasExists, r.arn(name), in.Name)
	case err == nil:
		if a, err = decodeAlias(sa); err != nil {
			return nil, err
		}
		if in.RevisionID != "" && in.RevisionID != a.RevisionID {
			return nil, fmt.Errorf("%w: alias %s", ErrRevisionMismatch, in.Name)
		}
	case errors.Is(err, ErrNotStored) && create:
		if in.FunctionVersion == nil {
			return nil, &ValidationError{Field: "functionVersion", Value: "null", Constraint: "Member must not be null"}
		}
	case errors.Is(err, ErrNotStored):
		return nil, &NotFoundError{ARN: r.arn(name), Qualifier: in.Name, Alias: true}
	default:
		return nil, fmt.Errorf("reading alias %s:%s: %w", name, in.Name, err)
	}
	if in.FunctionVersion != nil {
		a.FunctionVersion = *in.FunctionVersion
	}
	if in.Description != nil {
		if len(*in.Description) > 256 {
			return nil, &ValidationError{Field: "description", Value: *in.Description, Constraint: "Member must have length less than or equal to 256"}
		}
		a.Description = *in.Description
	}
	if in.RoutingWeights != nil {
		a.Weights = *in.RoutingWeights
		if len(a.Weights) == 0 {
			a.Weights = nil
		}
	}
	if err := r.checkAliasTarget(ctx, name, a); err != nil {
		return nil, err
	}
	a.RevisionID = newRequestID()
	cfg, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encoding alias %s: %w", in.Name, err)
	}
	sa = &StoredAlias{Function: name, Name: in.Name, Config: cfg}
	if err := r.store.PutAlias(ctx, sa); err != nil {
		return nil, fmt.Errorf("storing alias %s:%s: %w", name, in.Name, err)
	}
	r.forgetAlias(name, in.Name)
	return r.alias(name, sa, a), nil
}

// checkAliasTarget checks that an alias points to versions that exist.
func (r *Registry) checkAliasTarget(ctx context.Context, name string, a *storedAliasConfig) error {
	check := func(v string) error {
		if v == "$LATEST" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return &ValidationError{Field: "functionVersion", Value: v, Constraint: "Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)"}
		}
		if _, err := r.store.GetVersion(ctx, name, n); errors.Is(err, ErrNotStored) {
			return &NotFoundError{ARN: r.arn(name), Qualifier: v}
		} else if err != nil {
			return fmt.Errorf("reading version %d of %s: %w", n, name, err)
		}
		return nil
	}
	if err := check(a.FunctionVersion); err != nil {
		return err
	}
	if len(a.Weights) > 1 {
		return invalidParameter("RoutingConfig", "Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	for v, w := range a.Weights {
		if a.FunctionVersion == "$LATEST" || v == "$LATEST" {
			return invalidParameter("RoutingConfig", "$LATEST is not supported for an alias pointing to more than 1 version")
		}
		if v == a.FunctionVersion {
			return invalidParameter("RoutingConfig", "Invalid function version %s. Function version %s is already included in routing configuration.", v, v)
		}
		if w < 0 || w > 1 {
			return &ValidationError{Field: "routingConfig.additionalVersionWeights", Value: w, Constraint: "Member must have value between 0.0 and 1.0"}
		}
		if err := check(v); err != nil {
			return err
		}
	}
	return nil
}

// GetAlias returns an alias.
func (r *Registry) GetAlias(ctx context.Context, functionName, alias string) (*Alias, error) {
	name, err := r.latest(functionName)
	if err != nil {
		return nil, err
	}
	sa, a, err := r.storedAlias(ctx, name, alias)
	if err != nil {
		return nil, err
	}
	return r.alias(name, sa, a), nil
}

func (r *Registry) storedAlias(ctx context.Context, name, alias string) (*StoredAlias, *storedAliasConfig, error) {
	if r.configured[name] != nil {
		return nil, nil, &NotFoundError{ARN: r.arn(name), Qualifier: alias, Alias: true}
	}
	sa, err := r.store.GetAlias(ctx, name, alias)
	if errors.Is(err, ErrNotStored) {
		if _, _, err := r.stored(ctx, name); err != nil {
			return nil, nil, err
		}
		return nil, nil, &NotFoundError{ARN: r.arn(name), Qualifier: alias, Alias: true}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading alias %s:%s: %w", name, alias, err)
	}
	a, err := decodeAlias(sa)
	if err != nil {
		return nil, nil, err
	}
	return sa, a, nil
}

// ListAliases returns a function's aliases by name; functionVersion, if set, keeps
// those that point to it.
func (r *Registry) ListAliases(ctx context.Context, functionName, functionVersion string) ([]*Alias, error) {
	name, err := r.latest(functionName)
	if err != nil {
		return nil, err
	}
	if r.configured[name] != nil {
		return nil, nil
	}
	if _, _, err := r.stored(ctx, name); err != nil {
		return nil, err
	}
	sas, err := r.store.ListAliases(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("listing aliases of %s: %w", name, err)
	}
	var out []*Alias
	for _, sa := range sas {
		a, err := decodeAlias(sa)
		if err != nil {
			continue
		}
		if functionVersion == "" || a.FunctionVersion == functionVersion || a.Weights[functionVersion] > 0 {
			out = append(out, r.alias(name, sa, a))
		}
	}
	return out, nil
}

// DeleteAlias deletes an alias (and its resource policy).
func (r *Registry) DeleteAlias(ctx context.Context, functionName, alias string) error {
	name, err := r.latest(functionName)
	if err != nil {
		return err
	}
	if r.configured[name] != nil {
		return fmt.Errorf("%w: %s", ErrConfiguredFunction, name)
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if _, _, err := r.stored(ctx, name); err != nil {
		return err
	}
	err = r.store.DeleteAlias(ctx, name, alias)
	r.forgetAlias(name, alias)
	if errors.Is(err, ErrNotStored) {
		return nil // Lambda answers 204 for an alias that is not there
	}
	return err
}

// aliasEntry is an alias as invocations see it, cached for refreshInterval.
type aliasEntry struct {
	alias   *storedAliasConfig
	checked time.Time
}

func (r *Registry) forgetAlias(name, alias string) {
	r.mu.Lock()
	delete(r.aliases, name+":"+alias)
	r.mu.Unlock()
}

// versionNumber tells a qualifier that is a version number from an alias name.
func (r *Registry) versionNumber(name, qualifier string) (n int, isVersion bool, err error) {
	n, aerr := strconv.Atoi(qualifier)
	if aerr != nil {
		return 0, false, nil
	}
	if n < 1 {
		return 0, true, &NotFoundError{ARN: r.arn(name), Qualifier: qualifier}
	}
	return n, true, nil
}

// target is the version (0: $LATEST) an invocation of name:qualifier runs.
func (r *Registry) target(ctx context.Context, name, qualifier string) (int, error) {
	if n, isVersion, err := r.versionNumber(name, qualifier); isVersion {
		return n, err
	}
	key := name + ":" + qualifier
	r.mu.RLock()
	e, ok := r.aliases[key]
	r.mu.RUnlock()
	if !ok || time.Since(e.checked) >= refreshInterval {
		_, a, err := r.storedAlias(ctx, name, qualifier)
		if err != nil {
			var nf *NotFoundError
			if errors.As(err, &nf) {
				r.forgetAlias(name, qualifier)
			}
			return 0, err
		}
		e = aliasEntry{alias: a, checked: time.Now()}
		r.mu.Lock()
		r.aliases[key] = e
		r.mu.Unlock()
	}
	v := e.alias.FunctionVersion
	for other, w := range e.alias.Weights {
		if rand.Float64() < w {
			v = other
		}
	}
	if v == "$LATEST" {
		return 0, nil
	}
	return strconv.Atoi(v)
}

// resolveStored is target read from the store, without the cache or routing.
func (r *Registry) resolveStored(ctx context.Context, name, qualifier string) (int, error) {
	if n, isVersion, err := r.versionNumber(name, qualifier); isVersion {
		return n, err
	}
	_, a, err := r.storedAlias(ctx, name, qualifier)
	if err != nil {
		return 0, err
	}
	if a.FunctionVersion == "$LATEST" {
		return 0, nil
	}
	return strconv.Atoi(a.FunctionVersion)
}
