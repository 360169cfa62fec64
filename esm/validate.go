package esm

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mqtrigger/mqtrigger/function"
)

// MinMaximumConcurrency is the smallest ScalingConfig.MaximumConcurrency accepted.
// Lambda's range (for SQS) starts at 2; mqtrigger also accepts 1, which runs one batch
// at a time and so keeps the queue's order.
const MinMaximumConcurrency = 1

// MaxTags is the most tags a mapping may carry, as for any Lambda resource.
const MaxTags = 50

// MaxPatternLength is the longest FilterCriteria pattern Lambda accepts.
const MaxPatternLength = 4096

// ValidationError is a configuration Lambda would refuse. Field is the request member
// at fault (Lambda's camelCase path, e.g. "batchSize"); Message is the text Lambda
// returns; Code is the error code it answers with: "" for
// InvalidParameterValueException, or CodeValidation.
type ValidationError struct {
	Field   string
	Message string
	Code    string
}

// CodeValidation is the code of errors Lambda's request model itself raises
// (ValidationException), as opposed to its checks of the mapping.
const CodeValidation = "ValidationException"

func (e *ValidationError) Error() string { return e.Message }

// constraint builds Lambda's model-validation message for one member.
func constraint(field string, value any, rule string) *ValidationError {
	return &ValidationError{Field: field, Message: fmt.Sprintf(
		"1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, field, rule)}
}

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

var (
	uriPattern = regexp.MustCompile(`^[ a-zA-Z0-9\-/*:_+=.@]*$`)
	tagPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	kmsPattern = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*$`)
	// arnPattern is the model's Arn pattern for EventSourceArn.
	arnPattern = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)$`)
)

// Validate checks m the way Lambda checks an Amazon MQ event source mapping, after
// defaults are applied (see SetDefaults): its Config and its Tags. It does not look
// anything up: whether the broker, the secret and the function exist is for the
// caller that knows them, and the filter patterns are compiled by CompileFilters. The
// error is a *ValidationError.
func (m *Mapping) Validate() error {
	if err := m.Config.Validate(); err != nil {
		return err
	}
	return ValidateTags(m.Tags)
}

// Validate checks c as Mapping.Validate does, without tags.
func (c *Config) Validate() error {
	if c.EventSourceArn == "" {
		return invalid("eventSourceArn", "Unrecognized event source.")
	}
	if len(c.EventSourceArn) > 10000 || !arnPattern.MatchString(c.EventSourceArn) {
		e := constraint("eventSourceArn", c.EventSourceArn, "Member must satisfy regular expression pattern: "+
			`arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)`)
		e.Code = CodeValidation
		if hint := arnHint(c.EventSourceArn); hint != "" {
			e.Message += " (" + hint + ")"
		}
		return e
	}
	if !validFunctionRef(c.FunctionName) {
		return constraint("functionName", c.FunctionName, "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]{1,64}(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
	}
	if err := c.validateQueues(); err != nil {
		return err
	}
	if err := c.validateControlChars(); err != nil {
		return err
	}
	if err := c.validateAccess(); err != nil {
		return err
	}
	if c.BatchSize < 1 {
		return constraint("batchSize", c.BatchSize, "Member must have value greater than or equal to 1")
	}
	if c.BatchSize > MaxBatchSize {
		return constraint("batchSize", c.BatchSize, fmt.Sprintf("Member must have value less than or equal to %d", MaxBatchSize))
	}
	if w := c.MaximumBatchingWindowInSeconds; w != nil {
		if *w < 0 {
			return constraint("maximumBatchingWindowInSeconds", *w, "Member must have value greater than or equal to 0")
		}
		if *w > MaxBatchingWindowSeconds {
			return constraint("maximumBatchingWindowInSeconds", *w,
				fmt.Sprintf("Member must have value less than or equal to %d", MaxBatchingWindowSeconds))
		}
	}
	if s := c.ScalingConfig; s != nil && s.MaximumConcurrency != 0 {
		if s.MaximumConcurrency < MinMaximumConcurrency {
			return constraint("scalingConfig.maximumConcurrency", s.MaximumConcurrency,
				fmt.Sprintf("Member must have value greater than or equal to %d", MinMaximumConcurrency))
		}
		if s.MaximumConcurrency > MaxMaximumConcurrency {
			return constraint("scalingConfig.maximumConcurrency", s.MaximumConcurrency,
				fmt.Sprintf("Member must have value less than or equal to %d", MaxMaximumConcurrency))
		}
	}
	if r := c.MaximumRetryAttempts; r != nil {
		if *r < -1 {
			return constraint("maximumRetryAttempts", *r, "Member must have value greater than or equal to -1")
		}
		if *r > 10000 {
			return constraint("maximumRetryAttempts", *r, "Member must have value less than or equal to 10000")
		}
	}
	if len(c.FunctionResponseTypes) > 1 {
		return constraint("functionResponseTypes", fmt.Sprint(c.FunctionResponseTypes), "Member must have length less than or equal to 1")
	}
	for _, t := range c.FunctionResponseTypes {
		if t != "ReportBatchItemFailures" {
			return constraint("functionResponseTypes", fmt.Sprint(c.FunctionResponseTypes),
				"Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]")
		}
	}
	if err := c.validateFilters(); err != nil {
		return err
	}
	if m := c.MetricsConfig; m != nil {
		for _, name := range m.Metrics {
			if name != "EventCount" {
				return invalid("metricsConfig.metrics",
					"Unsupported MetricsConfig metric %q for an Amazon MQ event source mapping: only EventCount is supported.", name)
			}
		}
	}
	if c.KMSKeyArn != "" && !kmsPattern.MatchString(c.KMSKeyArn) {
		return constraint("kMSKeyArn", c.KMSKeyArn, "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()")
	}
	return nil
}

// validateControlChars refuses control characters (NUL above all, which no
// broker destination and no PostgreSQL text column can hold) in the strings that
// are kept as they are given.
func (c *Config) validateControlChars() error {
	for _, f := range []struct{ field, value string }{
		{"queues", c.Queue()}, {"eventSourceArn", c.EventSourceArn}, {"kMSKeyArn", c.KMSKeyArn},
	} {
		if strings.IndexFunc(f.value, unicode.IsControl) >= 0 {
			return constraint(f.field, strconv.QuoteToASCII(f.value), "Member must not contain control characters")
		}
	}
	return nil
}

var (
	accountPattern = regexp.MustCompile(`^\d{12}$`)
	regionPattern  = regexp.MustCompile(`^(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}$`)
)

// arnHint says which part of an ARN fails Lambda's pattern, which the bare regular
// expression leaves the user to work out (AWS's own examples use an 11-digit
// account id).
func arnHint(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	switch {
	case len(parts) < 6 || parts[0] != "arn":
		return "an Amazon MQ broker ARN reads arn:aws:mq:REGION:ACCOUNT:broker:NAME:ID"
	case parts[3] != "" && !regionPattern.MatchString(parts[3]):
		return fmt.Sprintf("the region %q is not a region name such as us-east-1", parts[3])
	case parts[4] != "" && !accountPattern.MatchString(parts[4]):
		return fmt.Sprintf("the account id must be 12 digits, not %q", parts[4])
	}
	return ""
}

// QueueKey is what the one-mapping-per-function-and-queue rule compares: the queue
// name, with a composite's members ("a,b") sorted, so "b,a" names the same queues.
// Wildcards are compared as written: "orders.>" and "orders.eu" are different
// consumers, and the broker gives each message to only one of them.
func QueueKey(q string) string {
	if !strings.Contains(q, ",") {
		return q
	}
	parts := strings.Split(q, ",")
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (c *Config) validateQueues() error {
	switch {
	case len(c.Queues) == 0:
		return invalid("queues", "Queues is required for an Amazon MQ event source: give exactly one queue name.")
	case len(c.Queues) > 1:
		return constraint("queues", "["+strings.Join(c.Queues, ", ")+"]", "Member must have length less than or equal to 1")
	}
	q := c.Queues[0]
	if q == "" {
		return constraint("queues", "[]", "Member must satisfy constraint: [Member must have length greater than or equal to 1]")
	}
	if utf8.RuneCountInString(q) > 1000 {
		return constraint("queues", q, "Member must satisfy constraint: [Member must have length less than or equal to 1000]")
	}
	// ActiveMQ reads "Q?consumer.prefetchSize=1" as destination options, which would
	// silently override what the mapping sets (prefetch, priority, exclusivity).
	if i := strings.IndexByte(q, '?'); i >= 0 {
		return &ValidationError{Field: "queues", Code: CodeValidation, Message: fmt.Sprintf(
			"1 validation error detected: Value '%s' at 'queues' failed to satisfy constraint: a queue name may not carry ActiveMQ destination options (%q after '?'); the mapping's BatchSize and ScalingConfig set how it consumes",
			q, q[i+1:])}
	}
	// Composites ("a,b") and wildcards ("orders.>", "orders.*") are consumed on
	// purpose; only their parts must be names.
	for _, part := range strings.Split(q, ",") {
		if strings.TrimSpace(part) != part || part == "" {
			return &ValidationError{Field: "queues", Code: CodeValidation, Message: fmt.Sprintf(
				"1 validation error detected: Value '%s' at 'queues' failed to satisfy constraint: each queue of a composite (\"a,b\") must be a non-empty name without spaces around it",
				q)}
		}
		if strings.HasPrefix(part, "queue://") || strings.HasPrefix(part, "topic://") {
			return &ValidationError{Field: "queues", Code: CodeValidation, Message: fmt.Sprintf(
				"1 validation error detected: Value '%s' at 'queues' failed to satisfy constraint: give queue names without a queue:// or topic:// prefix (a mapping consumes queues only)",
				q)}
		}
	}
	return nil
}

func (c *Config) validateAccess() error {
	if len(c.SourceAccessConfigurations) > 23 {
		return constraint("sourceAccessConfigurations", len(c.SourceAccessConfigurations), "Member must have length less than or equal to 23")
	}
	basic := 0
	for _, s := range c.SourceAccessConfigurations {
		if len(s.URI) < 1 || len(s.URI) > 200 || !uriPattern.MatchString(s.URI) {
			return constraint("sourceAccessConfigurations.member.uRI", s.URI,
				"Member must satisfy regular expression pattern: [ a-zA-Z0-9-\\/*:_+=.@-]*")
		}
		switch s.Type {
		case "BASIC_AUTH":
			basic++
		case "VPC_SUBNET", "VPC_SECURITY_GROUP", "VIRTUAL_HOST", "SASL_SCRAM_512_AUTH", "SASL_SCRAM_256_AUTH",
			"CLIENT_CERTIFICATE_TLS_AUTH", "SERVER_ROOT_CA_CERTIFICATE":
			return invalid("sourceAccessConfigurations", "Invalid parameters: %s is not supported for an ActiveMQ event source.", s.Type)
		default:
			return constraint("sourceAccessConfigurations.member.type", s.Type,
				"Member must satisfy enum value set: [BASIC_AUTH, VPC_SUBNET, VPC_SECURITY_GROUP, SASL_SCRAM_512_AUTH, SASL_SCRAM_256_AUTH, VIRTUAL_HOST, CLIENT_CERTIFICATE_TLS_AUTH, SERVER_ROOT_CA_CERTIFICATE]")
		}
	}
	switch {
	case basic == 0:
		return invalid("sourceAccessConfigurations",
			"No BASIC_AUTH property specified in SourceAccessConfigurations: an Amazon MQ event source needs the ARN of a Secrets Manager secret holding the broker's username and password.")
	case basic > 1:
		return invalid("sourceAccessConfigurations", "Invalid parameters: only one BASIC_AUTH source access configuration is allowed.")
	}
	return nil
}

func (c *Config) validateFilters() error {
	if c.FilterCriteria == nil {
		return nil
	}
	if n := len(c.FilterCriteria.Filters); n > MaxFilters {
		return invalid("filterCriteria", "Invalid filter criteria: an event source mapping takes at most %d filters, got %d.", MaxFilters, n)
	}
	for _, f := range c.FilterCriteria.Filters {
		if len(f.Pattern) > MaxPatternLength {
			return constraint("filterCriteria.filters.member.pattern", f.Pattern,
				fmt.Sprintf("Member must have length less than or equal to %d", MaxPatternLength))
		}
	}
	return nil
}

// ValidateTags checks tags against Lambda's limits: those given at creation and
// those of the tag operations.
func ValidateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return invalid("tags", "Invalid parameters: a resource takes at most %d tags, got %d.", MaxTags, len(tags))
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || !tagPattern.MatchString(k) {
			return constraint("tags", k, "Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)]")
		}
		if utf8.RuneCountInString(v) > 256 || !tagPattern.MatchString(v) {
			return constraint("tags", v, "Member must satisfy constraint: [Member must have length less than or equal to 256, Member must satisfy regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)]")
		}
	}
	return nil
}

// validFunctionRef reports whether s names a function, or a version or alias of one
// (name:qualifier), as a mapping keeps it.
func validFunctionRef(s string) bool {
	name, q, qualified := strings.Cut(s, ":")
	if !function.ValidName(name) {
		return false
	}
	return !qualified || function.ValidQualifier(q)
}
