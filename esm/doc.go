// Package esm is event source mappings: the model Lambda's API shapes (Mapping,
// Config), Lambda's defaults and validation, the state machine, the store interface,
// and the supervisor that runs every enabled mapping.
//
// Files by concern: mapping.go (model, defaults), validate.go, filters.go (the one
// place FilterCriteria patterns are compiled), state.go (states, reasons, results,
// Transition for user actions, settling for the supervisor), store.go (the Store
// interface package store implements), supervisor.go (reconcile and resync),
// runner.go (one mapping's connection and workers), worker.go (poll, batch, invoke,
// ack), connpool.go (shared broker connections), metrics.go.
//
// The API decodes a request into a Mapping, validates it here, moves its state with
// Transition, stores it, and hands it to the Supervisor with Notify. The Supervisor
// keeps the running consumers equal to the mappings in the store, settles their
// states (Creating → Enabled, Updating → Enabled, Disabling → Disabled, Deleting →
// gone), and records StateTransitionReason and LastProcessingResult as Lambda does.
// For every enabled mapping it reads the queue over OpenWire, batches messages,
// filters them, invokes the function synchronously with the aws:mq event, and
// acknowledges, redelivers or dead-letters what it read.
//
// Each mapping gets up to MaximumConcurrency workers. A worker owns one OpenWire
// session and queue consumer and handles one batch at a time, so batches of one
// mapping run concurrently only across workers, and with MaximumConcurrency 1 the
// queue's order is kept. Workers are added while the queue keeps full batches coming
// and leave again when they sit idle. In a cluster (package cluster) an Assigner
// says how many of those slots this node holds; the supervisor runs no more, gives
// slots back only once the workers beyond them have stopped, and Fence stops every
// consumer at once when the node's lease can no longer be trusted. Mappings on the same broker with the same
// credentials share one socket, so they take one slot of the broker's connection
// limit; each mapping's sessions sit under a logical connection of its own whose
// client ID is "mqtrigger:<mapping UUID>:<random>", which the broker shows for each
// consumer, so an operator can tell which mapping a consumer belongs to.
//
// Nothing is acknowledged before the function has succeeded, so a crash at any
// moment loses nothing: the broker redelivers whatever was not acknowledged.
package esm
