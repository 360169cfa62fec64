// Package config reads mqtrigger's YAML configuration: where to listen and keep data,
// which store to use, the region and account that ARNs carry, the credentials that may
// call the API, and the brokers and functions that mappings refer to.
//
// Parse and Load refuse unknown keys, fill defaults and run Validate, whose errors name
// the key at fault:
//
//	brokers[1].endpoints[0]: openwire: URL "htp://x": scheme must be tcp, ssl or failover
//
// A broker without an arn gets arn:aws:mq:<region>:<accountId>:broker:<name>:b-<id>,
// where the id is derived from the name alone, so the ARN is the same on every start.
// Durations are written like "1s" or "500ms".
package config
