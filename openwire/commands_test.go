package openwire

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// Golden encodings of the field orders that are easy to get wrong (openwire.md §2.6).
func TestCommandFieldOrder(t *testing.T) {
	var e encoder
	e.producerID(producerID{conn: "C", value: 2, session: 1}) // value before session
	e.consumerID(consumerID{conn: "C", session: 1, value: 2}) // session before value
	want := "01" + "7b" + "0100014300000000000000020000000000000001" +
		"01" + "7a" + "0100014300000000000000010000000000000002"
	if got := hex.EncodeToString(e.b); got != want {
		t.Fatalf("ids:\n got %s\nwant %s", got, want)
	}

	e = encoder{}
	e.connectionInfo(1, connectionInfo{connID: "C", clientID: "K", password: "P", user: "U"})
	// size, type 3, commandId 1, responseRequired, ConnectionId, clientId, password BEFORE userName, ...
	want = "0000001f" + "03" + "00000001" + "01" + "017801000143" + "0100014b" + "010001500100015500" + "0000000000" + "00"
	if got := hex.EncodeToString(e.b); got != want {
		t.Fatalf("ConnectionInfo:\n got %s\nwant %s", got, want)
	}

	e = encoder{}
	e.wireFormatInfo(wireFormat{version: 12})
	if !bytes.HasPrefix(e.b[5:], []byte("ActiveMQ\x00\x00\x00\x0c\x01")) {
		t.Fatalf("WireFormatInfo: % x", e.b)
	}
	// properties must carry Long-typed durations (the broker drops Integer ones)
	e = encoder{}
	e.primitiveMap(map[string]any{"MaxInactivityDuration": int64(30000)}, 0)
	if e.b[4+2+len("MaxInactivityDuration")] != tLong {
		t.Fatal("MaxInactivityDuration not encoded as a Java long")
	}
}

func TestPoisonAckCarriesCause(t *testing.T) {
	id := messageID{producer: producerID{conn: "C", value: 1, session: 1}, prodSeq: 3, brokerSeq: 9}
	var e encoder
	e.messageAck(5, true, &messageAck{dest: &Destination{Name: "q"}, consumer: consumerID{conn: "C", session: 1, value: 2},
		ackType: ackPoison, first: &id, last: &id, count: 1, poisonCause: "boom"})
	d := decoder{b: e.b[5:]}
	d.command()
	d.destination()
	d.skipNested(0) // tx
	d.skipNested(0) // consumer
	if typ := d.byte1(); typ != ackPoison {
		t.Fatalf("ack type %d", typ)
	}
	d.skipNested(0)
	d.skipNested(0)
	if n := d.int32(); n != 1 {
		t.Fatalf("count %d", n)
	}
	be := d.throwable(false, 0)
	if d.err != nil || be == nil || be.Class != "java.lang.Throwable" || be.Message != "boom" || d.remaining() != 0 {
		t.Fatalf("cause %+v err %v left %d", be, d.err, d.remaining())
	}
}
