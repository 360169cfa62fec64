// Package mapping holds an event source mapping: its configuration as Lambda's API
// shapes it, Lambda's defaults and validation rules, and its states.
//
// The API decodes requests into Config, validates them here, and stores the result;
// the engine reads the same Config to run the mapping's consumers.
package mapping

import "time"

// States an event source mapping passes through, as Lambda names them.
const (
	StateCreating  = "Creating"
	StateEnabling  = "Enabling"
	StateEnabled   = "Enabled"
	StateDisabling = "Disabling"
	StateDisabled  = "Disabled"
	StateUpdating  = "Updating"
	StateDeleting  = "Deleting"
)

// StateTransitionReason values. Lambda uses USER_INITIATED for user changes to MQ
// mappings and one of the error codes when it stops a mapping's consumers.
const (
	ReasonUserInitiated         = "USER_INITIATED"
	ReasonESMConfigNotValid     = "ESM_CONFIG_NOT_VALID"
	ReasonEventSourceAuthnError = "EVENT_SOURCE_AUTHN_ERROR"
	ReasonEventSourceAuthzError = "EVENT_SOURCE_AUTHZ_ERROR"
	ReasonFunctionConfigInvalid = "FUNCTION_CONFIG_NOT_VALID"
)

// LastProcessingResult values.
const (
	ResultNoRecordsProcessed = "No records processed"
	ResultOK                 = "OK"
	ResultFunctionCallFailed = "PROBLEM: Function call failed"
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

// Config is an event source mapping's configuration, with Lambda's JSON field names.
// Pointer fields distinguish "not given" from a zero value.
type Config struct {
	UUID                           string                      `json:"UUID"`
	EventSourceArn                 string                      `json:"EventSourceArn"`
	FunctionName                   string                      `json:"FunctionName"` // the plain function name
	FunctionArn                    string                      `json:"FunctionArn"`
	Queues                         []string                    `json:"Queues"`
	BatchSize                      int                         `json:"BatchSize"`
	MaximumBatchingWindowInSeconds *int                        `json:"MaximumBatchingWindowInSeconds,omitempty"`
	Enabled                        bool                        `json:"Enabled"`
	FilterCriteria                 *FilterCriteria             `json:"FilterCriteria,omitempty"`
	SourceAccessConfigurations     []SourceAccessConfiguration `json:"SourceAccessConfigurations"`
	ScalingConfig                  *ScalingConfig              `json:"ScalingConfig,omitempty"`
	FunctionResponseTypes          []string                    `json:"FunctionResponseTypes,omitempty"`
	// MaximumRetryAttempts is Lambda's stream-source field, reused for MQ as the maximum
	// number of redeliveries before a message is dead-lettered (-1: unlimited). Unset
	// means ActiveMQ's default of 6, which is what Lambda always uses.
	MaximumRetryAttempts *int              `json:"MaximumRetryAttempts,omitempty"`
	MetricsConfig        *MetricsConfig    `json:"MetricsConfig,omitempty"`
	KMSKeyArn            string            `json:"KMSKeyArn,omitempty"`
	Tags                 map[string]string `json:"Tags,omitempty"`
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
