// Package api is mqtrigger's HTTP API, on one handler:
//
//   - Lambda's 2015-03-31 event source mapping operations (Create, Get, Update,
//     Delete, List) with Lambda's shapes, defaults, validation and error messages;
//   - the functions API, served by the function registry;
//   - a Secrets Manager subset (JSON 1.1, X-Amz-Target) for BASIC_AUTH secrets;
//   - GET /healthz and GET /metrics (Prometheus), which need no signature.
//
// Every other request must carry an AWS Signature Version 4 made with one of the
// configured credentials, scoped to the configured region and to the service
// ("lambda" or "secretsmanager"); the API re-signs the request with the SDK's signer
// and compares. Refusals use AWS's codes and messages: 403 for Lambda, 400 for
// Secrets Manager.
//
// Writes move a mapping into a transitional state (Creating, Updating, Enabling,
// Disabling, Deleting) and call Options.Notify; the engine takes it from there and
// writes the settled state through the store. Every write is a read-modify-write
// on the store's Version, retried on store.ErrConflict.
package api
