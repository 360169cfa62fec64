// Package e2e holds end-to-end tests that run the real mqtrigger binary against a
// real ActiveMQ broker and real functions, driven through the AWS SDK.
package e2e
