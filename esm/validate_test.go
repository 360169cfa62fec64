package esm

import (
	"errors"
	"strings"
	"testing"
)

func valid() Mapping {
	return Mapping{Config: Config{
		EventSourceArn: "arn:aws:mq:us-east-1:123456789012:broker:ExampleMQBroker:b-1234",
		FunctionName:   "fn",
		Queues:         []string{"ExampleQueue"},
		SourceAccessConfigurations: []SourceAccessConfiguration{
			{Type: "BASIC_AUTH", URI: "arn:aws:secretsmanager:us-east-1:123456789012:secret:MQaccess-AbCdEf"},
		},
		Enabled: true,
	}}
}

func intp(v int) *int { return &v }

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		mod   func(c *Mapping)
		field string // "" means valid
		msg   string
	}{
		{"valid with defaults", func(c *Mapping) {}, "", ""},
		{"valid with everything", func(c *Mapping) {
			c.BatchSize = MaxBatchSize
			c.MaximumBatchingWindowInSeconds = intp(300)
			c.ScalingConfig = &ScalingConfig{MaximumConcurrency: 1}
			c.MaximumRetryAttempts = intp(-1)
			c.FunctionResponseTypes = []string{"ReportBatchItemFailures"}
			c.FilterCriteria = &FilterCriteria{Filters: []Filter{{Pattern: `{"data":{"a":[1]}}`}}}
			c.MetricsConfig = &MetricsConfig{Metrics: []string{"EventCount"}}
			c.KMSKeyArn = "arn:aws:kms:us-east-1:123456789012:key/1"
			c.Tags = map[string]string{"team": "orders", "empty": ""}
		}, "", ""},
		{"no event source", func(c *Mapping) { c.EventSourceArn = "" }, "eventSourceArn", "Unrecognized event source."},
		{"not an ARN", func(c *Mapping) { c.EventSourceArn = "broker" }, "eventSourceArn", "regular expression"},
		{"function name", func(c *Mapping) { c.FunctionName = "a:b:c" }, "functionName", "Value 'a:b:c' at 'functionName'"},
		{"function qualifier", func(c *Mapping) { c.FunctionName = "a:b!" }, "functionName", "Value 'a:b!' at 'functionName'"},
		{"no queue", func(c *Mapping) { c.Queues = nil }, "queues", "Queues is required"},
		{"NUL in the queue", func(c *Mapping) { c.Queues = []string{"a\x00b"} }, "queues", `Value '"a\x00b"' at 'queues' failed to satisfy constraint: Member must not contain control characters`},
		{"NUL in the KMS key", func(c *Mapping) { c.KMSKeyArn = "arn:aws:kms:us-east-1:123456789012:key/\x00" }, "kMSKeyArn", "control characters"},
		{"two queues", func(c *Mapping) { c.Queues = []string{"a", "b"} }, "queues", "Value '[a, b]' at 'queues' failed to satisfy constraint: Member must have length less than or equal to 1"},
		{"empty queue", func(c *Mapping) { c.Queues = []string{""} }, "queues", "length greater than or equal to 1"},
		{"long queue", func(c *Mapping) { c.Queues = []string{strings.Repeat("q", 1001)} }, "queues", "less than or equal to 1000"},
		{"no access", func(c *Mapping) { c.SourceAccessConfigurations = nil }, "sourceAccessConfigurations", "No BASIC_AUTH"},
		{"two BASIC_AUTH", func(c *Mapping) {
			c.SourceAccessConfigurations = append(c.SourceAccessConfigurations, c.SourceAccessConfigurations[0])
		}, "sourceAccessConfigurations", "only one BASIC_AUTH"},
		{"virtual host", func(c *Mapping) {
			c.SourceAccessConfigurations = append(c.SourceAccessConfigurations, SourceAccessConfiguration{Type: "VIRTUAL_HOST", URI: "/"})
		}, "sourceAccessConfigurations", "VIRTUAL_HOST"},
		{"unknown type", func(c *Mapping) { c.SourceAccessConfigurations[0].Type = "PASSWORD" }, "sourceAccessConfigurations.member.type", "enum value set"},
		{"bad URI", func(c *Mapping) { c.SourceAccessConfigurations[0].URI = "a\"b" }, "sourceAccessConfigurations.member.uRI", "regular expression"},
		{"batch 0", func(c *Mapping) { c.BatchSize = 0 }, "batchSize", "greater than or equal to 1"},
		{"batch too big", func(c *Mapping) { c.BatchSize = MaxBatchSize + 1 }, "batchSize", "Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{"window negative", func(c *Mapping) { c.MaximumBatchingWindowInSeconds = intp(-1) }, "maximumBatchingWindowInSeconds", "greater than or equal to 0"},
		{"window too long", func(c *Mapping) { c.MaximumBatchingWindowInSeconds = intp(301) }, "maximumBatchingWindowInSeconds", "less than or equal to 300"},
		{"concurrency negative", func(c *Mapping) { c.ScalingConfig = &ScalingConfig{MaximumConcurrency: -1} }, "scalingConfig.maximumConcurrency", "greater than or equal to 1"},
		{"concurrency too high", func(c *Mapping) { c.ScalingConfig = &ScalingConfig{MaximumConcurrency: 1001} }, "scalingConfig.maximumConcurrency", "less than or equal to 1000"},
		{"retries", func(c *Mapping) { c.MaximumRetryAttempts = intp(-2) }, "maximumRetryAttempts", "greater than or equal to -1"},
		{"retries too many", func(c *Mapping) { c.MaximumRetryAttempts = intp(10001) }, "maximumRetryAttempts", "less than or equal to 10000"},
		{"response type", func(c *Mapping) { c.FunctionResponseTypes = []string{"Other"} }, "functionResponseTypes", "ReportBatchItemFailures"},
		{"six filters", func(c *Mapping) {
			c.FilterCriteria = &FilterCriteria{Filters: make([]Filter, 6)}
		}, "filterCriteria", "at most 5 filters"},
		{"long pattern", func(c *Mapping) {
			c.FilterCriteria = &FilterCriteria{Filters: []Filter{{Pattern: strings.Repeat(" ", 4097)}}}
		}, "filterCriteria.filters.member.pattern", "less than or equal to 4096"},
		{"metric", func(c *Mapping) { c.MetricsConfig = &MetricsConfig{Metrics: []string{"ErrorCount"}} }, "metricsConfig.metrics", "only EventCount"},
		{"kms", func(c *Mapping) { c.KMSKeyArn = "key" }, "kMSKeyArn", "regular expression"},
		{"tag key", func(c *Mapping) { c.Tags = map[string]string{strings.Repeat("k", 129): ""} }, "tags", "128"},
		{"tag value", func(c *Mapping) { c.Tags = map[string]string{"k": strings.Repeat("v", 257)} }, "tags", "256"},
		{"too many tags", func(c *Mapping) {
			c.Tags = map[string]string{}
			for i := 0; i < 51; i++ {
				c.Tags[strings.Repeat("k", i+1)] = ""
			}
		}, "tags", "at most 50 tags"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			c.SetDefaults()
			tc.mod(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not a *ValidationError", err)
			}
			if ve.Field != tc.field || !strings.Contains(ve.Message, tc.msg) {
				t.Fatalf("got %s: %q, want %s: %q", ve.Field, ve.Message, tc.field, tc.msg)
			}
		})
	}
}

func TestDefaultsAndAccessors(t *testing.T) {
	c := valid()
	c.SetDefaults()
	if c.BatchSize != DefaultBatchSize || c.MaxRedeliveries() != DefaultMaxRedeliveries ||
		c.MaximumConcurrency() != DefaultMaximumConcurrency || c.BatchingWindow() != DefaultBatchingWindow {
		t.Fatalf("defaults: %+v", c)
	}
	if c.Patterns() != nil || c.Queue() != "ExampleQueue" || c.SecretARN() == "" {
		t.Fatal("accessors")
	}
	c.FilterCriteria = &FilterCriteria{Filters: []Filter{{Pattern: "a"}, {Pattern: "b"}}}
	if p := c.Patterns(); len(p) != 2 || p[1] != "b" {
		t.Fatalf("Patterns %v", p)
	}
}

func TestQueueKey(t *testing.T) {
	for q, want := range map[string]string{
		"orders": "orders", "b,a": "a,b", "a,b": "a,b", "c,a,b": "a,b,c", "orders.>": "orders.>",
	} {
		if got := QueueKey(q); got != want {
			t.Errorf("QueueKey(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestQueueNames(t *testing.T) {
	for q, wantErr := range map[string]string{
		"orders.>": "", "orders.*.eu": "", "a,b": "",
		"Q?consumer.prefetchSize=1": `destination options ("consumer.prefetchSize=1" after '?')`,
		"a,":                        "each queue of a composite",
		"a, b":                      "each queue of a composite",
		"queue://a":                 "without a queue:// or topic:// prefix",
	} {
		m := valid()
		m.Queues = []string{q}
		m.SetDefaults()
		err := m.Validate()
		var ve *ValidationError
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%q: %v", q, err)
		case wantErr != "" && (!errors.As(err, &ve) || ve.Code != CodeValidation || !strings.Contains(ve.Message, wantErr)):
			t.Errorf("%q: %v, want a ValidationException saying %s", q, err, wantErr)
		}
	}
}
