package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/mapping"
	"github.com/mqtrigger/mqtrigger/store"
)

const notFoundText = "The resource you requested does not exist."

// maxWriteAttempts bounds the read-modify-write retries against concurrent engine writes.
const maxWriteAttempts = 20

func (a *API) createMapping(w http.ResponseWriter, r *http.Request, body []byte) *awserr.Error {
	var req createRequest
	if e := decodeBody(body, &req); e != nil {
		return e
	}
	if m := req.first(); m != "" {
		return awserr.InvalidParameter("Unsupported %s parameter for given event source mapping type.", m)
	}
	if req.FunctionName == nil {
		return awserr.New(http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	}
	c := &mapping.Config{Enabled: true, Queues: req.Queues, Tags: req.Tags}
	if req.EventSourceArn != nil {
		c.EventSourceArn = *req.EventSourceArn
	}
	if e := applyUpdate(c, &req.updateRequest); e != nil {
		return e
	}
	c.SetDefaults()
	name, e := a.functionName(c.FunctionName)
	if e != nil {
		return e
	}
	c.FunctionName = name
	if err := c.Validate(); err != nil {
		return awserr.InvalidParameter("%s", err.Error())
	}
	if e := a.checkRefs(r.Context(), c, true, true, true); e != nil {
		return e
	}
	fnArn, e := a.functionArn(r.Context(), c.FunctionName)
	if e != nil {
		return e
	}
	c.FunctionArn = fnArn

	a.createMu.Lock()
	defer a.createMu.Unlock()
	if e := a.checkDuplicate(r.Context(), c, ""); e != nil {
		return e
	}
	c.UUID = uuid.NewString()
	raw, err := json.Marshal(c)
	if err != nil {
		return awserr.Service("encode mapping: %v", err)
	}
	m := &store.Mapping{
		UUID: c.UUID, FunctionName: c.FunctionName, EventSourceArn: c.EventSourceArn, Config: raw,
		State: mapping.StateCreating, StateTransitionReason: mapping.ReasonUserInitiated,
		LastProcessingResult: mapping.ResultNoRecordsProcessed, LastModified: a.opts.Now(),
	}
	if err := a.opts.Store.CreateMapping(r.Context(), m); err != nil {
		return awserr.Service("store mapping %s: %v", c.UUID, err)
	}
	a.notify(c.UUID)
	writeJSON(w, http.StatusAccepted, "application/json", a.response(m, c))
	return nil
}

func (a *API) getMapping(w http.ResponseWriter, r *http.Request, id string) *awserr.Error {
	m, c, e := a.load(r.Context(), id)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, "application/json", a.response(m, c))
	return nil
}

func (a *API) updateMapping(w http.ResponseWriter, r *http.Request, id string, body []byte) *awserr.Error {
	var req updateRequest
	if e := decodeBody(body, &req); e != nil {
		return e
	}
	if m := req.first(); m != "" {
		return awserr.InvalidParameter("Unsupported %s parameter for given event source mapping type.", m)
	}
	// Lookups (function, secret, filters) happen once, before the write loop.
	var fnName, fnArn string
	if req.FunctionName != nil {
		n, e := a.functionName(*req.FunctionName)
		if e != nil {
			return e
		}
		if fnArn, e = a.functionArn(r.Context(), n); e != nil {
			return e
		}
		fnName = n
	}
	for attempt := 0; ; attempt++ {
		m, c, e := a.load(r.Context(), id)
		if e != nil {
			return e
		}
		switch m.State {
		case mapping.StateCreating, mapping.StateDeleting:
			return awserr.InUse("Cannot update the event source mapping %s because it is in state %s. Retry after it leaves that state.", id, m.State)
		}
		wasEnabled := c.Enabled
		if e := applyUpdate(c, &req); e != nil {
			return e
		}
		if fnName != "" {
			c.FunctionName, c.FunctionArn = fnName, fnArn
		}
		if err := c.Validate(); err != nil {
			return awserr.InvalidParameter("%s", err.Error())
		}
		if attempt == 0 {
			if e := a.checkRefs(r.Context(), c, false, req.SourceAccessConfigurations != nil, req.FilterCriteria != nil); e != nil {
				return e
			}
			if fnName != "" {
				if e := a.checkDuplicate(r.Context(), c, id); e != nil {
					return e
				}
			}
		}
		switch {
		case c.Enabled && !wasEnabled:
			m.State = mapping.StateEnabling
		case !c.Enabled && wasEnabled:
			m.State = mapping.StateDisabling
		default:
			m.State = mapping.StateUpdating
		}
		m.StateTransitionReason = mapping.ReasonUserInitiated
		m.FunctionName = c.FunctionName
		m.LastModified = a.opts.Now()
		if m.Config, e = encode(c); e != nil {
			return e
		}
		err := a.opts.Store.UpdateMapping(r.Context(), m)
		if errors.Is(err, store.ErrConflict) && attempt < maxWriteAttempts {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return awserr.NotFound(notFoundText)
		}
		if err != nil {
			return awserr.Service("update mapping %s: %v", id, err)
		}
		a.notify(id)
		writeJSON(w, http.StatusAccepted, "application/json", a.response(m, c))
		return nil
	}
}

func (a *API) deleteMapping(w http.ResponseWriter, r *http.Request, id string) *awserr.Error {
	for attempt := 0; ; attempt++ {
		m, c, e := a.load(r.Context(), id)
		if e != nil {
			return e
		}
		switch m.State {
		case mapping.StateUpdating:
			return awserr.InUse("Cannot delete the event source mapping %s because it is in state %s. Retry after it leaves that state.", id, m.State)
		case mapping.StateDeleting:
			writeJSON(w, http.StatusAccepted, "application/json", a.response(m, c))
			return nil
		}
		m.State = mapping.StateDeleting
		m.StateTransitionReason = mapping.ReasonUserInitiated
		m.LastModified = a.opts.Now()
		err := a.opts.Store.UpdateMapping(r.Context(), m)
		if errors.Is(err, store.ErrConflict) && attempt < maxWriteAttempts {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return awserr.NotFound(notFoundText)
		}
		if err != nil {
			return awserr.Service("delete mapping %s: %v", id, err)
		}
		a.notify(id)
		writeJSON(w, http.StatusAccepted, "application/json", a.response(m, c))
		return nil
	}
}

// maxListPage is the most mappings ListEventSourceMappings returns at once, whatever
// MaxItems says.
const maxListPage = 100

func (a *API) listMappings(w http.ResponseWriter, r *http.Request) *awserr.Error {
	q := r.URL.Query()
	f := store.MappingFilter{EventSourceArn: q.Get("EventSourceArn"), Marker: q.Get("Marker")}
	if !storableID(f.EventSourceArn) {
		// no mapping's source can be such a string
		writeJSON(w, http.StatusOK, "application/json", listResponse{EventSourceMappings: []response{}})
		return nil
	}
	if fn := q.Get("FunctionName"); fn != "" {
		name, e := a.functionName(fn)
		if e != nil && e.Code == "InvalidParameterValueException" {
			// A function of another region or account: nothing here maps to it, and
			// Lambda's List does not check that its filters name anything.
			writeJSON(w, http.StatusOK, "application/json", listResponse{EventSourceMappings: []response{}})
			return nil
		}
		if e != nil {
			return e
		}
		f.FunctionName = name
	}
	if f.Marker != "" {
		if _, err := uuid.Parse(f.Marker); err != nil {
			return awserr.InvalidParameter("Invalid Marker %q: pass the NextMarker of the previous page.", f.Marker)
		}
	}
	limit := maxListPage
	if s := q.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			return awserr.InvalidParameter("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", s)
		}
		limit = min(n, maxListPage)
	}
	f.Limit = limit + 1
	rows, err := a.opts.Store.ListMappings(r.Context(), f)
	if err != nil {
		return awserr.Service("list mappings: %v", err)
	}
	out := listResponse{EventSourceMappings: []response{}}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextMarker = rows[len(rows)-1].UUID
	}
	for _, m := range rows {
		var c mapping.Config
		if err := json.Unmarshal(m.Config, &c); err != nil {
			return awserr.Service("mapping %s: stored configuration is not valid JSON: %v", m.UUID, err)
		}
		out.EventSourceMappings = append(out.EventSourceMappings, a.response(m, &c))
	}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

// applyUpdate copies the members given in u onto c, refusing explicit values that a
// default would otherwise hide.
func applyUpdate(c *mapping.Config, u *updateRequest) *awserr.Error {
	if u.FunctionName != nil {
		c.FunctionName = *u.FunctionName
	}
	if u.Enabled != nil {
		c.Enabled = *u.Enabled
	}
	if u.BatchSize != nil {
		if *u.BatchSize < 1 {
			return awserr.InvalidParameter("1 validation error detected: Value '%d' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1", *u.BatchSize)
		}
		c.BatchSize = *u.BatchSize
	}
	if u.MaximumBatchingWindowInSeconds != nil {
		v := *u.MaximumBatchingWindowInSeconds
		c.MaximumBatchingWindowInSeconds = &v
	}
	if u.FilterCriteria != nil {
		// An empty FilterCriteria removes the filters, as in Lambda.
		if len(u.FilterCriteria.Filters) == 0 {
			c.FilterCriteria = nil
		} else {
			fc := *u.FilterCriteria
			c.FilterCriteria = &fc
		}
	}
	if u.SourceAccessConfigurations != nil {
		c.SourceAccessConfigurations = *u.SourceAccessConfigurations
	}
	if u.ScalingConfig != nil {
		// An empty ScalingConfig goes back to the default concurrency.
		if u.ScalingConfig.MaximumConcurrency == nil {
			c.ScalingConfig = nil
		} else {
			n := *u.ScalingConfig.MaximumConcurrency
			if n < mapping.MinMaximumConcurrency {
				return awserr.InvalidParameter("1 validation error detected: Value '%d' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value greater than or equal to %d", n, mapping.MinMaximumConcurrency)
			}
			c.ScalingConfig = &mapping.ScalingConfig{MaximumConcurrency: n}
		}
	}
	if u.FunctionResponseTypes != nil {
		c.FunctionResponseTypes = *u.FunctionResponseTypes
	}
	if u.MaximumRetryAttempts != nil {
		v := *u.MaximumRetryAttempts
		c.MaximumRetryAttempts = &v
	}
	if u.MetricsConfig != nil {
		if len(u.MetricsConfig.Metrics) == 0 {
			c.MetricsConfig = nil
		} else {
			mc := *u.MetricsConfig
			c.MetricsConfig = &mc
		}
	}
	if u.KMSKeyArn != nil {
		c.KMSKeyArn = *u.KMSKeyArn
	}
	return nil
}

// checkRefs checks what Validate cannot: the broker is configured, the BASIC_AUTH
// secret exists and the filter patterns parse.
func (a *API) checkRefs(ctx context.Context, c *mapping.Config, broker, secret, filters bool) *awserr.Error {
	if broker {
		if _, ok := a.opts.Config.Broker(c.EventSourceArn); !ok {
			return awserr.InvalidParameter("Unrecognized event source: %s is not a configured broker. Configured brokers: %s.",
				c.EventSourceArn, brokerList(a.opts.Config.BrokerARNs()))
		}
	}
	if secret {
		arn := c.SecretARN()
		exists, err := a.secretExists(ctx, arn)
		if err != nil {
			return awserr.Service("look up secret %s: %v", arn, err)
		}
		if !exists {
			return awserr.InvalidParameter("Invalid parameters: the BASIC_AUTH secret %s does not exist. Create it with Secrets Manager CreateSecret and a value {\"username\":\"...\",\"password\":\"...\"}.", arn)
		}
	}
	if filters && a.opts.CompileFilters != nil {
		if p := c.Patterns(); len(p) > 0 {
			if err := a.opts.CompileFilters(p); err != nil {
				return awserr.InvalidParameter("%s", err.Error())
			}
		}
	}
	return nil
}

func brokerList(arns []string) string {
	if len(arns) == 0 {
		return "none (add brokers to the configuration file)"
	}
	return strings.Join(arns, ", ")
}

// checkDuplicate refuses a second mapping of one broker queue to one function, as
// Lambda refuses a second mapping of one source to one function.
func (a *API) checkDuplicate(ctx context.Context, c *mapping.Config, self string) *awserr.Error {
	rows, err := a.opts.Store.ListMappings(ctx, store.MappingFilter{FunctionName: c.FunctionName, EventSourceArn: c.EventSourceArn})
	if err != nil {
		return awserr.Service("list mappings: %v", err)
	}
	for _, m := range rows {
		if m.UUID == self || m.State == mapping.StateDeleting {
			continue
		}
		var other mapping.Config
		if json.Unmarshal(m.Config, &other) != nil || other.Queue() != c.Queue() {
			continue
		}
		return awserr.Conflict("An event source mapping with MQ arn (\" %s \"), queue (\" %s \") and function (\" %s \") already exists. Please update or delete the existing mapping with UUID %s",
			c.EventSourceArn, c.Queue(), c.FunctionName, m.UUID)
	}
	return nil
}

// storableID reports whether an identifier from a request can name anything stored:
// PostgreSQL refuses NUL and invalid UTF-8 in text with an error, which must be a
// not-found rather than a server fault.
func storableID(id string) bool {
	return utf8.ValidString(id) && !strings.ContainsRune(id, 0)
}

// load reads a mapping and its configuration.
func (a *API) load(ctx context.Context, id string) (*store.Mapping, *mapping.Config, *awserr.Error) {
	if !storableID(id) {
		return nil, nil, awserr.NotFound(notFoundText)
	}
	m, err := a.opts.Store.GetMapping(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, awserr.NotFound(notFoundText)
	}
	if err != nil {
		return nil, nil, awserr.Service("read mapping %s: %v", id, err)
	}
	var c mapping.Config
	if err := json.Unmarshal(m.Config, &c); err != nil {
		return nil, nil, awserr.Service("mapping %s: stored configuration is not valid JSON: %v", id, err)
	}
	return m, &c, nil
}

func (a *API) response(m *store.Mapping, c *mapping.Config) response {
	resp := response{
		UUID:                           m.UUID,
		BatchSize:                      c.BatchSize,
		MaximumBatchingWindowInSeconds: c.MaximumBatchingWindowInSeconds,
		EventSourceArn:                 c.EventSourceArn,
		FilterCriteria:                 c.FilterCriteria,
		KMSKeyArn:                      c.KMSKeyArn,
		MetricsConfig:                  c.MetricsConfig,
		ScalingConfig:                  c.ScalingConfig,
		FunctionArn:                    c.FunctionArn,
		LastModified:                   epochSeconds(m.LastModified),
		LastProcessingResult:           m.LastProcessingResult,
		State:                          m.State,
		StateTransitionReason:          m.StateTransitionReason,
		Queues:                         c.Queues,
		SourceAccessConfigurations:     c.SourceAccessConfigurations,
		MaximumRetryAttempts:           c.MaxRedeliveries(),
		FunctionResponseTypes:          c.FunctionResponseTypes,
		EventSourceMappingArn: fmt.Sprintf("arn:aws:lambda:%s:%s:event-source-mapping:%s",
			a.opts.Config.Region, a.opts.Config.AccountID, m.UUID),
	}
	if resp.Queues == nil {
		resp.Queues = []string{}
	}
	if resp.SourceAccessConfigurations == nil {
		resp.SourceAccessConfigurations = []mapping.SourceAccessConfiguration{}
	}
	return resp
}

var (
	fullFunctionARN = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::(.+))?$`)
	partialFunction = regexp.MustCompile(`^(?:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(\d{12}):function:([^:]+)(?::(.+))?$`)
)

// functionName reduces the FunctionName forms Lambda accepts (name, name:qualifier,
// full or partial ARN) to the plain name of a function in this region and account.
func (a *API) functionName(s string) (string, *awserr.Error) {
	if len(s) < 1 || len(s) > 256 {
		return "", awserr.New(http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length between 1 and 256", s)
	}
	name, qualifier, region, account := s, "", "", ""
	if m := fullFunctionARN.FindStringSubmatch(s); m != nil {
		region, account, name, qualifier = m[1], m[2], m[3], m[4]
	} else if m := partialFunction.FindStringSubmatch(s); m != nil {
		region, account, name, qualifier = m[1], m[2], m[3], m[4]
	} else if n, q, ok := strings.Cut(s, ":"); ok {
		name, qualifier = n, q
	}
	if !mapping.ValidFunctionName(name) {
		return "", awserr.New(http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", s)
	}
	if (region != "" && region != a.opts.Config.Region) || (account != "" && account != a.opts.Config.AccountID) {
		return "", awserr.InvalidParameter("Function does not exist")
	}
	if qualifier != "" && qualifier != "$LATEST" {
		return "", awserr.InvalidParameter("Function does not exist: mqtrigger functions have no versions or aliases, so %q cannot be used (give the unqualified name)", s)
	}
	return name, nil
}

// functionArn resolves an existing function, answering Lambda's "Function does not exist".
func (a *API) functionArn(ctx context.Context, name string) (string, *awserr.Error) {
	if a.opts.Functions == nil {
		return "", awserr.InvalidParameter("Function does not exist")
	}
	arn, err := a.opts.Functions.FunctionArn(ctx, name)
	if isFunctionNotFound(err) {
		return "", awserr.InvalidParameter("Function does not exist")
	}
	if err != nil {
		return "", awserr.Service("look up function %s: %v", name, err)
	}
	return arn, nil
}

func (a *API) notify(id string) {
	if a.opts.Notify != nil {
		a.opts.Notify(id)
	}
}

// decodeBody decodes a JSON request body; Lambda answers a body it cannot parse with
// InvalidRequestContentException.
func decodeBody(body []byte, v any) *awserr.Error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return awserr.New(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: %s", jsonProblem(err))
	}
	if dec.More() {
		return awserr.New(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: unexpected data after the JSON object")
	}
	return nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Cannot deserialize value of type %s from %s at %s", te.Type, te.Value, te.Field)
	}
	return err.Error()
}

func encode(c *mapping.Config) ([]byte, *awserr.Error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, awserr.Service("encode mapping: %v", err)
	}
	return b, nil
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"Type":"Service","Message":"encode response"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
