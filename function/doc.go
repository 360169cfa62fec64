// Package function runs the functions that event source mappings invoke, and keeps
// those created through the Lambda functions API.
//
// A function is one of three kinds:
//
//   - code that speaks the Lambda Runtime API (2018-06-01): a zip with an executable
//     bootstrap (created through the API, runtimes provided.al2023 and provided.al2)
//     or a command from the config file. Each runs in execution environments, one
//     process each, that serve one invocation at a time and are reused warm, exactly
//     as Lambda runs a handler built with aws-lambda-go;
//   - an HTTP endpoint that receives the event as a POST;
//   - a real AWS Lambda function, invoked remotely with the AWS SDK.
//
// A Registry holds every function by name and invokes it:
//
//	reg, err := function.NewRegistry(function.RegistryOptions{Store: st, DataDir: dir, Region: "us-east-1", AccountID: "123456789012"})
//	if err != nil { ... }
//	defer reg.Close()
//	res, err := reg.Invoke(ctx, "orders", event)
//	// err != nil: the function could not be invoked at all (unknown, misconfigured).
//	// res.FunctionError != "": it ran and failed; res.Payload is {"errorMessage","errorType"}.
//
// The Registry's typed operations (Create, Get, List, Delete, UpdateCode,
// UpdateConfiguration, InvokeFunction, FunctionTags, TagFunction) are what the
// functions API of package api calls; their errors (*ValidationError,
// *InvalidParameterError, *TooLargeError, *NotFoundError, ErrFunctionExists,
// ErrConfiguredFunction, ErrRevisionMismatch, ...) carry Lambda's texts, and api
// maps them to Lambda's error codes. ParseName is the one rule for Lambda's
// FunctionName forms (name, name:qualifier, partial and full ARN).
package function
