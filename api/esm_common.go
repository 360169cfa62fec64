package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
)

// What the event source mapping operations (esm_*.go) share: reading a mapping,
// applying a request to it, checking what it names, and the response.

const notFoundText = "The resource you requested does not exist."

// maxWriteAttempts bounds the read-modify-write retries against concurrent supervisor writes.
const maxWriteAttempts = 20

// applyUpdate copies the members given in u onto c, refusing explicit values that a
// default would otherwise hide.
func applyUpdate(c *esm.Config, u *updateRequest) *awserr.Error {
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
			if n < esm.MinMaximumConcurrency {
				return awserr.InvalidParameter("1 validation error detected: Value '%d' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value greater than or equal to %d", n, esm.MinMaximumConcurrency)
			}
			c.ScalingConfig = &esm.ScalingConfig{MaximumConcurrency: n}
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

// invalidMapping answers a mapping that fails esm's Validate with the code Lambda
// uses for that check.
func invalidMapping(err error) *awserr.Error {
	var ve *esm.ValidationError
	if errors.As(err, &ve) && ve.Code != "" {
		return awserr.New(http.StatusBadRequest, ve.Code, "%s", ve.Message)
	}
	return awserr.InvalidParameter("%s", err.Error())
}

// checkRefs checks what Validate cannot: the broker is configured, the BASIC_AUTH
// secret exists and the filter patterns compile (kept in c for the supervisor).
func (a *API) checkRefs(ctx context.Context, c *esm.Mapping, broker, secret, filters bool) *awserr.Error {
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
	if filters {
		if err := c.CompileFilters(); err != nil {
			return awserr.InvalidParameter("%s", err.Error())
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
func (a *API) checkDuplicate(ctx context.Context, c *esm.Mapping, self string) *awserr.Error {
	rows, err := a.opts.Store.ListMappings(ctx, esm.ListFilter{FunctionName: c.FunctionName, EventSourceArn: c.EventSourceArn})
	if err != nil {
		return awserr.Service("list mappings: %v", err)
	}
	for _, m := range rows {
		if m.UUID == self || m.State == esm.StateDeleting || esm.QueueKey(m.Queue()) != esm.QueueKey(c.Queue()) {
			continue
		}
		return awserr.Conflict("An event source mapping with MQ arn (\" %s \"), queue (\" %s \") and function (\" %s \") already exists. Please update or delete the existing mapping with UUID %s",
			c.EventSourceArn, c.Queue(), c.FunctionName, m.UUID)
	}
	return nil
}

// duplicate answers a write the store refused with esm.ErrDuplicate: Lambda's
// ResourceConflictException, naming the mapping that won when it can be read.
func (a *API) duplicate(ctx context.Context, c *esm.Mapping, self string) *awserr.Error {
	if e := a.checkDuplicate(ctx, c, self); e != nil {
		return e
	}
	return awserr.Conflict("An event source mapping with MQ arn (\" %s \"), queue (\" %s \") and function (\" %s \") already exists. Please update or delete the existing mapping",
		c.EventSourceArn, c.Queue(), c.FunctionName)
}

// storableID reports whether an identifier from a request can name anything stored:
// PostgreSQL refuses NUL and invalid UTF-8 in text with an error, which must be a
// not-found rather than a server fault.
func storableID(id string) bool {
	return utf8.ValidString(id) && !strings.ContainsRune(id, 0)
}

// load reads a mapping.
func (a *API) load(ctx context.Context, id string) (*esm.Mapping, *awserr.Error) {
	if !storableID(id) {
		return nil, awserr.NotFound(notFoundText)
	}
	m, err := a.opts.Store.GetMapping(ctx, id)
	if errors.Is(err, esm.ErrNotFound) {
		return nil, awserr.NotFound(notFoundText)
	}
	if err != nil {
		return nil, awserr.Service("read mapping %s: %v", id, err)
	}
	return m, nil
}

// write reads mapping id, lets change edit it, and writes it on the Version read,
// starting over when the supervisor wrote in between. change may answer write=false
// to return the mapping as read; attempt counts from 0.
func (a *API) write(ctx context.Context, id, what string, change func(m *esm.Mapping, attempt int) (write bool, e *awserr.Error)) (*esm.Mapping, *awserr.Error) {
	for attempt := 0; ; attempt++ {
		m, e := a.load(ctx, id)
		if e != nil {
			return nil, e
		}
		write, e := change(m, attempt)
		if e != nil || !write {
			return m, e
		}
		err := a.opts.Store.UpdateMapping(ctx, m)
		if errors.Is(err, esm.ErrConflict) && attempt < maxWriteAttempts {
			continue
		}
		if errors.Is(err, esm.ErrDuplicate) {
			return nil, a.duplicate(ctx, m, id)
		}
		if errors.Is(err, esm.ErrNotFound) {
			return nil, awserr.NotFound(notFoundText)
		}
		if err != nil {
			return nil, awserr.Service("%s mapping %s: %v", what, id, err)
		}
		return m, nil
	}
}

// inUse answers the *esm.StateError of a refused transition.
func inUse(err error) *awserr.Error {
	var se *esm.StateError
	if errors.As(err, &se) {
		return awserr.InUse("%s", se.Error())
	}
	return awserr.Service("%v", err)
}

func (a *API) response(m *esm.Mapping) response {
	resp := response{
		UUID:                           m.UUID,
		BatchSize:                      m.BatchSize,
		MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds,
		EventSourceArn:                 m.EventSourceArn,
		FilterCriteria:                 m.FilterCriteria,
		KMSKeyArn:                      m.KMSKeyArn,
		MetricsConfig:                  m.MetricsConfig,
		ScalingConfig:                  m.ScalingConfig,
		FunctionArn:                    m.FunctionArn,
		LastModified:                   epochSeconds(m.LastModified),
		LastProcessingResult:           m.LastProcessingResult,
		State:                          m.State,
		StateTransitionReason:          m.StateTransitionReason,
		Queues:                         m.Queues,
		SourceAccessConfigurations:     m.SourceAccessConfigurations,
		MaximumRetryAttempts:           m.MaxRedeliveries(),
		FunctionResponseTypes:          m.FunctionResponseTypes,
		EventSourceMappingArn: fmt.Sprintf("arn:aws:lambda:%s:%s:event-source-mapping:%s",
			a.opts.Config.Region, a.opts.Config.AccountID, m.UUID),
	}
	if resp.Queues == nil {
		resp.Queues = []string{}
	}
	if resp.SourceAccessConfigurations == nil {
		resp.SourceAccessConfigurations = []esm.SourceAccessConfiguration{}
	}
	return resp
}

// functionName reduces the FunctionName forms Lambda accepts (name, name:qualifier,
// full or partial ARN) to the name of a function in this region and account, with
// its version or alias if one is given.
func (a *API) functionName(s string) (string, *awserr.Error) {
	if len(s) < 1 || len(s) > 256 {
		return "", awserr.New(http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length between 1 and 256", s)
	}
	n, err := function.ParseName(s)
	if err != nil {
		return "", awserr.New(http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", s)
	}
	if n.Local(s, a.opts.Config.Region, a.opts.Config.AccountID) != nil {
		return "", awserr.InvalidParameter("Function does not exist")
	}
	if n.Qualifier != "" && n.Qualifier != "$LATEST" {
		// A version or an alias: the mapping invokes it, following the alias.
		return n.Name + ":" + n.Qualifier, nil
	}
	return n.Name, nil
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

// notify hands a written mapping to the supervisor.
func (a *API) notify(m *esm.Mapping) {
	if a.opts.Notify != nil {
		a.opts.Notify(m)
	}
}
