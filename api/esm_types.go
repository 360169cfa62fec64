package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/mqtrigger/mqtrigger/esm"
)

// notForMQ are CreateEventSourceMapping/UpdateEventSourceMapping members that Lambda
// has for other event sources; for an MQ mapping Lambda refuses them.
type notForMQ struct {
	StartingPosition                    json.RawMessage
	StartingPositionTimestamp           json.RawMessage
	ParallelizationFactor               json.RawMessage
	DestinationConfig                   json.RawMessage
	MaximumRecordAgeInSeconds           json.RawMessage
	BisectBatchOnFunctionError          json.RawMessage
	TumblingWindowInSeconds             json.RawMessage
	Topics                              json.RawMessage
	SelfManagedEventSource              json.RawMessage
	AmazonManagedKafkaEventSourceConfig json.RawMessage
	SelfManagedKafkaEventSourceConfig   json.RawMessage
	DocumentDBEventSourceConfig         json.RawMessage
	ProvisionedPollerConfig             json.RawMessage
	LoggingConfig                       json.RawMessage
}

// first returns the name of the first member given, or "".
func (n *notForMQ) first() string {
	for _, m := range []struct {
		name string
		v    json.RawMessage
	}{
		{"StartingPosition", n.StartingPosition}, {"StartingPositionTimestamp", n.StartingPositionTimestamp},
		{"ParallelizationFactor", n.ParallelizationFactor}, {"DestinationConfig", n.DestinationConfig},
		{"MaximumRecordAgeInSeconds", n.MaximumRecordAgeInSeconds}, {"BisectBatchOnFunctionError", n.BisectBatchOnFunctionError},
		{"TumblingWindowInSeconds", n.TumblingWindowInSeconds}, {"Topics", n.Topics},
		{"SelfManagedEventSource", n.SelfManagedEventSource},
		{"AmazonManagedKafkaEventSourceConfig", n.AmazonManagedKafkaEventSourceConfig},
		{"SelfManagedKafkaEventSourceConfig", n.SelfManagedKafkaEventSourceConfig},
		{"DocumentDBEventSourceConfig", n.DocumentDBEventSourceConfig},
		{"ProvisionedPollerConfig", n.ProvisionedPollerConfig}, {"LoggingConfig", n.LoggingConfig},
	} {
		if len(m.v) > 0 && !bytes.Equal(m.v, []byte("null")) {
			return m.name
		}
	}
	return ""
}

type scalingConfig struct {
	MaximumConcurrency *int `json:"MaximumConcurrency,omitempty"`
}

// updateRequest is UpdateEventSourceMappingRequest's body; pointers tell "not given".
type updateRequest struct {
	FunctionName                   *string
	Enabled                        *bool
	BatchSize                      *int
	MaximumBatchingWindowInSeconds *int
	FilterCriteria                 *esm.FilterCriteria
	SourceAccessConfigurations     *[]esm.SourceAccessConfiguration
	ScalingConfig                  *scalingConfig
	FunctionResponseTypes          *[]string
	MaximumRetryAttempts           *int
	MetricsConfig                  *esm.MetricsConfig
	KMSKeyArn                      *string
	notForMQ
}

// createRequest is CreateEventSourceMappingRequest's body.
type createRequest struct {
	updateRequest
	EventSourceArn *string
	Queues         []string
	Tags           map[string]string
}

// response is EventSourceMappingConfiguration as Lambda returns it for an MQ esm.
type response struct {
	UUID                           string                          `json:"UUID"`
	BatchSize                      int                             `json:"BatchSize"`
	MaximumBatchingWindowInSeconds *int                            `json:"MaximumBatchingWindowInSeconds,omitempty"`
	EventSourceArn                 string                          `json:"EventSourceArn"`
	FilterCriteria                 *esm.FilterCriteria             `json:"FilterCriteria,omitempty"`
	KMSKeyArn                      string                          `json:"KMSKeyArn,omitempty"`
	MetricsConfig                  *esm.MetricsConfig              `json:"MetricsConfig,omitempty"`
	ScalingConfig                  *esm.ScalingConfig              `json:"ScalingConfig,omitempty"`
	FunctionArn                    string                          `json:"FunctionArn"`
	LastModified                   epochSeconds                    `json:"LastModified"`
	LastProcessingResult           string                          `json:"LastProcessingResult"`
	State                          string                          `json:"State"`
	StateTransitionReason          string                          `json:"StateTransitionReason"`
	Queues                         []string                        `json:"Queues"`
	SourceAccessConfigurations     []esm.SourceAccessConfiguration `json:"SourceAccessConfigurations"`
	MaximumRetryAttempts           int                             `json:"MaximumRetryAttempts"`
	FunctionResponseTypes          []string                        `json:"FunctionResponseTypes,omitempty"`
	EventSourceMappingArn          string                          `json:"EventSourceMappingArn"`
}

type listResponse struct {
	EventSourceMappings []response `json:"EventSourceMappings"`
	NextMarker          string     `json:"NextMarker,omitempty"`
}

// epochSeconds is a timestamp as rest-json sends it: seconds since the epoch with a
// millisecond fraction, e.g. 1601927898.741.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)), nil
}
