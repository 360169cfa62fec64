// Package openwire is a client for ActiveMQ Classic's native OpenWire protocol
// (version 12, tight encoding when the broker offers it, as ActiveMQ does by
// default, loose otherwise or with ?wireFormat.tightEncodingEnabled=false on the
// URL): connections over tcp://, ssl:// and failover:
// URLs, sessions, queue and topic consumers with prefetch, individual, range,
// delivered and poison acknowledgements, local transactions, a client-side
// redelivery policy like the Java client's, producers, queue browsers
// (Session.NewBrowser: look at a queue without consuming it), keep-alive and
// inactivity detection, and failover reconnects.
//
// Connect, consume and acknowledge:
//
//	conn, err := openwire.Dial(ctx, "tcp://127.0.0.1:61616", openwire.Config{User: "app", Password: pw})
//	if err != nil { return err }
//	defer conn.Close()
//	sess, _ := conn.NewSession(ctx, false)
//	cons, _ := sess.NewConsumer(ctx, "orders", openwire.ConsumerOptions{Prefetch: 100})
//	for {
//		m, err := cons.Receive(ctx)
//		if err != nil { return err }
//		handle(m.ID, m.Data(), m.Properties)
//		if err := cons.Ack(ctx, m); err != nil { return err }
//	}
//
// Message properties keep their Java types: boolean bool, byte int8, short int16,
// int int32, long int64, float float32, double float64, char uint16, String
// string, byte[] []byte, null nil, and nested map[string]any / []any. Strings
// are converted from and to Java's modified UTF-8 (CESU-8), so emoji survive.
//
// A message the client cannot decode (a body or property that does not parse, a
// compressed body past its bound, a nested structure it does not know, a frame over
// Config.MaxFrameSize) never reaches Receive and does not end the connection: the
// consumer dead-letters it at once with a poison acknowledgement whose cause,
// "openwire client cannot decode message: ...", the broker stores as
// dlqDeliveryFailureCause.
//
// Errors match errors.Is(err, ErrAuthentication) (a refused login),
// ErrAuthorization (a refused operation on a destination), ErrClosed,
// ErrFrameTooLarge, ErrStale, ErrInactive, ErrConsumerAborted,
// ErrRollbackOnly, ErrCommitInDoubt, ErrUnsupportedVersion, or
// errors.As(err, **BrokerError) for exceptions the broker reported (with the
// Java class and message). errors.go says where each comes from and what to do.
//
// What the broker sends besides answers and messages, and what this client does:
// a ConnectionError (a one-way command failed; the broker keeps the
// connection) is logged and passed to Config.OnAsyncError, the socket stays,
// and the open transactions it concerns become rollback-only. A
// ConsumerControl with close (abortSlowConsumerStrategy,
// abortSlowAckConsumerStrategy) closes the consumer: its Receive returns
// ErrConsumerAborted. A ConnectionControl with cluster updates
// (updateClusterClients, rebalanceClusterClients: connectedBrokers,
// reconnectTo) is logged and ignored: only the URL's brokers are used.
//
// Reconnects present the same ConnectionIds (Config.ConnectionID), so the
// broker replaces a stale connection it still holds for a lost link at once
// instead of refusing its client ID.
//
// Many consumers can share one socket, and still each show up at the broker under a
// client ID of its own: NewSessionAs opens a session under a logical connection with
// the given client ID on the same socket.
//
// After a failover reconnect, messages received on the lost connection are
// stale: the broker redelivers them, and acknowledging one returns an error
// matching ErrStale without sending anything.
//
// A bytes message's Body is not a copy: it points into the frame the message
// was read in. The frames of large messages (over 16 KiB) come from a pool, and
// Message.Release, once the message is acknowledged and committed and its Body
// no longer read, gives the frame to a later message; that saves the zeroing of
// a fresh buffer and the collector's work for every large message. Release is
// optional.
package openwire
