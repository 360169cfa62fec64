// Package api is mqtrigger's HTTP API, on one handler:
//
//   - Lambda's 2015-03-31 event source mapping operations (Create, Get, Update,
//     Delete, List) with Lambda's shapes, defaults, validation and error messages;
//   - Lambda's functions operations (CreateFunction, GetFunction,
//     GetFunctionConfiguration, ListFunctions, DeleteFunction, UpdateFunctionCode,
//     UpdateFunctionConfiguration, Invoke), one file each (functions_*.go), on the
//     registry's typed operations (Options.Functions); Invoke runs the function with
//     the request's own x-amzn-RequestId;
//   - a Secrets Manager subset (JSON 1.1, X-Amz-Target) for BASIC_AUTH secrets;
//   - GET /healthz and GET /metrics (Prometheus), which need no signature;
//   - mqtrigger's one extension, POST /2015-03-31/event-source-mappings/{UUID}/redrive
//     (esm_redrive.go, docs/dlq.md): the mapping's dead-lettered messages back to
//     its queues.
//
// Every other request must carry an AWS Signature Version 4 made with one of the
// configured credentials, scoped to the configured region and to the service
// ("lambda" or "secretsmanager"); the API re-signs the request with the SDK's signer
// and compares. Refusals use AWS's codes and messages: 403 for Lambda, 400 for
// Secrets Manager.
//
// The mapping operations are one file each (esm_create.go, esm_get.go,
// esm_update.go, esm_delete.go, esm_list.go), a thin layer over package esm: decode
// the request, validate it and move its state with esm (Validate, Transition),
// write it through the esm.Store, answer. Writes move a mapping into a transitional
// state (Creating, Updating, Enabling, Disabling, Deleting) and call Options.Notify;
// the supervisor takes it from there and writes the settled state through the
// store. Every write is a read-modify-write on the mapping's Version, retried on
// esm.ErrConflict.
//
// Where mqtrigger's event source mappings differ from Lambda's for Amazon MQ:
//
//   - EventSourceArn must be the ARN of a broker in the configuration.
//   - ScalingConfig.MaximumConcurrency is accepted from 1 to 1000 (default 5, Lambda's
//     fixed concurrency for ActiveMQ). Lambda's range, for SQS, starts at 2; 1 runs one
//     batch at a time and so keeps the queue's order. (The AWS CLI checks Lambda's
//     minimum of 2 itself; the SDKs for Go and others send 1.)
//   - MaximumRetryAttempts is the most redeliveries of a failed message before the
//     broker dead-letters it: default 6 (ActiveMQ's and Lambda's), -1 for no limit. It
//     is always returned, with its effective value.
//   - FunctionResponseTypes ["ReportBatchItemFailures"] is accepted, for partial batch
//     failures.
//   - FunctionName may be a name, a partial or full ARN, or name:$LATEST; functions
//     have no versions or aliases.
//   - Request signatures must be scoped to the configured region.
//   - Tags are read and changed with ListTags, TagResource and UntagResource, not
//     returned in mapping responses, as on Lambda.
//   - Model constraint violations (batch size, batching window, queues, ...) answer
//     InvalidParameterValueException with Lambda's "1 validation error detected: ..."
//     text; a missing or malformed FunctionName answers ValidationException.
package api
