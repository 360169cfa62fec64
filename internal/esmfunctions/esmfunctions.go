// Package esmfunctions gives esm the function registry: it adapts
// *function.Registry to esm.Functions. esm cannot name function's types itself:
// function imports store, and store implements esm.Store, so esm importing function
// would be a cycle.
package esmfunctions

import (
	"context"
	"errors"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
)

// Registry is *function.Registry as esm.Functions.
type Registry struct{ R *function.Registry }

var _ esm.Functions = Registry{}

// Invoke runs the function; a missing or misconfigured function is an error
// wrapping esm.ErrFunctionConfig.
func (f Registry) Invoke(ctx context.Context, name string, payload []byte) (*esm.Result, error) {
	res, err := f.R.Invoke(ctx, name, payload)
	if err != nil {
		return nil, classify(err)
	}
	return &esm.Result{Payload: res.Payload, FunctionError: res.FunctionError}, nil
}

// FunctionArn resolves the function, as Invoke classifies its errors.
func (f Registry) FunctionArn(ctx context.Context, name string) (string, error) {
	arn, err := f.R.FunctionArn(ctx, name)
	if err != nil {
		return "", classify(err)
	}
	return arn, nil
}

// Reserve passes the concurrency hint on.
func (f Registry) Reserve(name string, concurrency int) { f.R.Reserve(name, concurrency) }

func classify(err error) error {
	if errors.Is(err, function.ErrFunctionNotFound) || errors.Is(err, function.ErrFunctionConfig) {
		return configError{err}
	}
	return err
}

// configError keeps the registry's message and adds esm.ErrFunctionConfig to what
// errors.Is finds.
type configError struct{ err error }

func (e configError) Error() string   { return e.err.Error() }
func (e configError) Unwrap() []error { return []error{e.err, esm.ErrFunctionConfig} }
