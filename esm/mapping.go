package esm

import (
	"time"

	"github.com/mqtrigger/mqtrigger/filter"
)

// Limits and defaults for MQ mappings (Lambda's, except where mqtrigger goes further).
const (
	DefaultBatchSize          = 100
	MaxBatchSize              = 10000
	MaxBatchingWindowSeconds  = 300
	DefaultBatchingWindow     = 500 * time.Millisecond // Lambda's default when the field is unset
	DefaultMaximumConcurrency = 5                      // Lambda's fixed concurrency for ActiveMQ
	MaxMaximumConcurrency     = 1000                   // Lambda allows 5; mqtrigger up to 1000
	DefaultMaxRedeliveries    = 6                      // ActiveMQ's RedeliveryPolicy default, as Lambda
	MaxFilters                = 5
	MaxPayloadBytes           = 6 * 1024 * 1024 // synchronous invoke payload cap
)

// Mapping is one event source mapping as the store keeps it: what runs (Config),
// where it stands (State, StateTransitionReason, LastProcessingResult), and its
// Tags, which are kept apart from Config so that a tag change restarts nothing.
type Mapping struct {
	UUID string
	Config
	State                 string
	StateTransitionReason string
	LastProcessingResult  string
	LastModified          time.Time
	Tags                  map[string]string
	// Version counts writes: Store.CreateMapping sets 1, and Store.UpdateMapping
	// writes only if the stored Version is the one read (ErrConflict otherwise).
	Version int64

	// What the API prepared for the supervisor (see Notify); never stored.
	filter   *filter.Set // compiled FilterCriteria
	resolved bool        // FunctionName was just resolved
}

// Config is what a mapping runs, with Lambda's member names. Two mappings with
// equal Configs run the same consumers. Pointer fields tell "not given" from a zero
// value.
type Config struct {
	EventSourceArn                 string
	FunctionName                   string // the plain function name
	FunctionArn                    string // resolved once, when the API takes the name
	Queues                         []string
	BatchSize                      int
	MaximumBatchingWindowInSeconds *int
	Enabled                        bool
	FilterCriteria                 *FilterCriteria
	SourceAccessConfigurations     []SourceAccessConfiguration
	ScalingConfig                  *ScalingConfig
	FunctionResponseTypes          []string
	// MaximumRetryAttempts is Lambda's stream-source field, reused for MQ as the maximum
	// number of redeliveries before a message is dead-lettered (-1: unlimited). Unset
	// means ActiveMQ's default of 6, which is what Lambda always uses.
	MaximumRetryAttempts *int
	MetricsConfig        *MetricsConfig
	KMSKeyArn            string
}

// FilterCriteria is Lambda's FilterCriteria: messages matching any pattern pass.
type FilterCriteria struct {
	Filters []Filter `json:"Filters"`
}

// Filter is one FilterCriteria pattern.
type Filter struct {
	Pattern string `json:"Pattern"`
}

// SourceAccessConfiguration names how to reach the event source; for ActiveMQ the
// BASIC_AUTH entry names a Secrets Manager secret holding username and password.
type SourceAccessConfiguration struct {
	Type string `json:"Type"`
	URI  string `json:"URI"`
}

// ScalingConfig bounds the concurrent batches of one mapping.
type ScalingConfig struct {
	MaximumConcurrency int `json:"MaximumConcurrency"`
}

// MetricsConfig is accepted and returned as Lambda does.
type MetricsConfig struct {
	Metrics []string `json:"Metrics"`
}

// BatchingWindow is how long a batch may wait to fill.
func (c *Config) BatchingWindow() time.Duration {
	if c.MaximumBatchingWindowInSeconds == nil {
		return DefaultBatchingWindow
	}
	return time.Duration(*c.MaximumBatchingWindowInSeconds) * time.Second
}

// MaximumConcurrency is the most batches of this mapping in flight at once.
func (c *Config) MaximumConcurrency() int {
	if c.ScalingConfig == nil || c.ScalingConfig.MaximumConcurrency == 0 {
		return DefaultMaximumConcurrency
	}
	return c.ScalingConfig.MaximumConcurrency
}

// MaxRedeliveries is how many times a failed message is redelivered before it is
// dead-lettered; -1 means never.
func (c *Config) MaxRedeliveries() int {
	if c.MaximumRetryAttempts == nil {
		return DefaultMaxRedeliveries
	}
	return *c.MaximumRetryAttempts
}

// ReportBatchItemFailures tells whether the function may fail single messages.
func (c *Config) ReportBatchItemFailures() bool {
	for _, t := range c.FunctionResponseTypes {
		if t == "ReportBatchItemFailures" {
			return true
		}
	}
	return false
}

// SecretARN is the BASIC_AUTH secret's ARN, or "".
func (c *Config) SecretARN() string {
	for _, s := range c.SourceAccessConfigurations {
		if s.Type == "BASIC_AUTH" {
			return s.URI
		}
	}
	return ""
}

// Queue is the one queue the mapping consumes.
func (c *Config) Queue() string {
	if len(c.Queues) == 0 {
		return ""
	}
	return c.Queues[0]
}

// SetDefaults fills the members Lambda defaults when a request leaves them out.
func (c *Config) SetDefaults() {
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
}

// Patterns returns the FilterCriteria patterns, or nil.
func (c *Config) Patterns() []string {
	if c.FilterCriteria == nil {
		return nil
	}
	p := make([]string, len(c.FilterCriteria.Filters))
	for i, f := range c.FilterCriteria.Filters {
		p[i] = f.Pattern
	}
	return p
}
