// Package event encodes the "aws:mq" event that AWS Lambda sends to a function for a
// batch of ActiveMQ messages, and reads the function's partial-batch response.
//
// The encoder follows the payload real Lambda sends (observed payloads and the
// aws-lambda-go test fixture), not the AWS documentation example where the two differ:
// see the comments in encode.go. Every event decodes into aws-lambda-go's
// events.ActiveMQEvent.
//
// The encoder is append-based and uses no reflection, so the engine can reuse one buffer
// per batch:
//
//	buf = event.AppendEvent(buf[:0], brokerARN, records)
//
// RecordSize gives the exact number of bytes a record adds to an event, so a batch can be
// closed before it passes the 6 MB invoke payload cap without encoding it twice.
package event
