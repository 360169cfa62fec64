package api

import (
	"context"
	"maps"
	"net/http"
	"regexp"
	"strings"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/esm"
)

// Lambda's tag operations (ListTags, TagResource, UntagResource) on event source
// mappings and functions. Terraform's AWS provider reads a mapping's and a function's
// tags with ListTags on every plan, so these must answer even for untagged resources.

const tagsPath = "/2017-03-31/tags/"

// taggableArn is Lambda's pattern for the resources these operations take (without
// code-signing configs, which mqtrigger does not have).
var taggableArn = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):` +
	`(?:(function):([a-zA-Z0-9-_]+(?::(?:\$LATEST|[a-zA-Z0-9-_]+))?)|` +
	`(event-source-mapping):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))$`)

type tagResource struct {
	kind string // "function" or "event-source-mapping"
	id   string // the function name or the mapping UUID
}

// taggableArnPattern is the model's pattern for the Resource member, for the text
// of ValidationException.
const taggableArnPattern = `arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`

func (a *API) parseTaggable(arn string) (tagResource, *awserr.Error) {
	m := taggableArn.FindStringSubmatch(arn)
	if m == nil {
		return tagResource{}, validationError(arn, "resource", "Member must satisfy regular expression pattern: "+taggableArnPattern)
	}
	if m[1] != a.opts.Config.Region || m[2] != a.opts.Config.AccountID {
		if m[3] == "function" {
			return tagResource{}, awserr.NotFound("Function not found: %s", arn)
		}
		return tagResource{}, awserr.NotFound("Event source mapping not found: %s", arn)
	}
	r := tagResource{kind: m[3] + m[5], id: m[4] + m[6]} // one of the two alternatives matched
	if r.kind == "function" {
		name, qualified := strings.CutSuffix(r.id, ":$LATEST")
		if strings.Contains(name, ":") && !qualified {
			return tagResource{}, awserr.InvalidParameter("Tags apply to a function, not to a version or alias: %q.", arn)
		}
		r.id = name
	}
	return r, nil
}

func (a *API) listTags(w http.ResponseWriter, r *http.Request, arn string) *awserr.Error {
	res, e := a.parseTaggable(arn)
	if e != nil {
		return e
	}
	var tags map[string]string
	switch res.kind {
	case "event-source-mapping":
		m, e := a.load(r.Context(), res.id)
		if e != nil {
			return mappingTagError(arn, e)
		}
		tags = m.Tags
	default:
		if a.opts.Functions == nil {
			return awserr.NotFound("Function not found: %s", a.functionARN(res.id))
		}
		var err error
		if tags, err = a.opts.Functions.FunctionTags(r.Context(), res.id); err != nil {
			if isFunctionNotFound(err) {
				return awserr.NotFound("Function not found: %s", a.functionARN(res.id))
			}
			return awserr.Service("tags of function %s: %v", res.id, err)
		}
	}
	if tags == nil {
		tags = map[string]string{}
	}
	writeJSON(w, http.StatusOK, "application/json", struct {
		Tags map[string]string `json:"Tags"`
	}{tags})
	return nil
}

func (a *API) tagResource(w http.ResponseWriter, r *http.Request, arn string, body []byte) *awserr.Error {
	var req struct {
		Tags map[string]string `json:"Tags"`
	}
	if e := decodeBody(body, &req); e != nil {
		return e
	}
	if len(req.Tags) == 0 {
		return awserr.InvalidParameter("Tags: at least one tag is required.")
	}
	return a.changeTags(w, r, arn, req.Tags, nil)
}

func (a *API) untagResource(w http.ResponseWriter, r *http.Request, arn string) *awserr.Error {
	keys := r.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return validationError("null", "tagKeys", "Member must not be null")
	}
	return a.changeTags(w, r, arn, nil, keys)
}

func (a *API) changeTags(w http.ResponseWriter, r *http.Request, arn string, set map[string]string, remove []string) *awserr.Error {
	res, e := a.parseTaggable(arn)
	if e != nil {
		return e
	}
	// The same rules as tags given at creation.
	if err := esm.ValidateTags(set); err != nil {
		return awserr.InvalidParameter("%s", err.Error())
	}
	switch res.kind {
	case "event-source-mapping":
		if e := a.tagMapping(r.Context(), res.id, set, remove); e != nil {
			return mappingTagError(arn, e)
		}
	default:
		if a.opts.Functions == nil {
			return awserr.NotFound("Function not found: %s", a.functionARN(res.id))
		}
		if err := a.opts.Functions.TagFunction(r.Context(), res.id, set, remove); err != nil {
			if isFunctionNotFound(err) {
				return awserr.NotFound("Function not found: %s", a.functionARN(res.id))
			}
			return functionError(res.id, err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tagMapping changes a mapping's tags. Tags are not part of the Config the
// supervisor runs, so the mapping's state is left as it is, except when OrderedTag
// changes the concurrency: then the mapping is updated as by
// UpdateEventSourceMapping.
func (a *API) tagMapping(ctx context.Context, id string, set map[string]string, remove []string) *awserr.Error {
	if e := checkOrderedValue(set); e != nil {
		return e
	}
	reconfigured := false
	m, e := a.write(ctx, id, "tag", func(m *esm.Mapping, _ int) (bool, *awserr.Error) {
		before := maps.Clone(m.Tags)
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		for k, v := range set {
			m.Tags[k] = v
		}
		for _, k := range remove {
			delete(m.Tags, k)
		}
		if err := esm.ValidateTags(m.Tags); err != nil {
			return false, awserr.InvalidParameter("%s", err.Error())
		}
		if reconfigured = retagOrdered(&m.Config, before, m.Tags); reconfigured {
			if _, err := esm.Transition(m, esm.Update, a.opts.Now()); err != nil {
				return false, inUse(err)
			}
		}
		return true, nil
	})
	if e == nil && reconfigured {
		a.notify(m)
	}
	return e
}

// mappingTagError words a missing mapping as the tag operations do.
func mappingTagError(arn string, e *awserr.Error) *awserr.Error {
	if e.Code == "ResourceNotFoundException" {
		return awserr.NotFound("Event source mapping not found: %s", arn)
	}
	return e
}

func (a *API) functionARN(name string) string {
	return "arn:aws:lambda:" + a.opts.Config.Region + ":" + a.opts.Config.AccountID + ":function:" + name
}
