// Package fakebroker is an OpenWire peer for tests that need the faults a real
// ActiveMQ broker will not produce on demand: truncated frames, size prefixes
// beyond the client's limit, unknown or mistyped commands, undecodable message
// bodies and random bytes.
//
// A Server completes the WireFormatInfo exchange as ActiveMQ does (the broker's
// usual properties, but it offers no tight encoding: it speaks loose), answers every command that asks for
// a response, and at the chosen Stage sends the chosen Fault:
//
//	srv, err := fakebroker.Start(fakebroker.Options{Fault: fakebroker.Truncated, Stage: fakebroker.AfterConnect})
//	if err != nil { ... }
//	defer srv.Close()
//	conn, err := openwire.Dial(ctx, srv.URL(), openwire.Config{})
//
// It records what the client sent (connections, poison acknowledgements) so a
// test can check how the client reacted.
package fakebroker
