package openwire

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// dispatch decodes a MessageDispatch (after its type byte) of size bytes on the
// wire. Once the message's id is read the message can be acknowledged, so a failure
// past it (a nested structure this client does not know, a field that does not
// parse) fails only that message: f.msg is set, f.bodyErr says why, and the
// frame's redelivery counter is taken from trailer, its last four bytes. A failure
// before the id is returned, and ends the link.
func (d *decoder) dispatch(f *frame, size, maxBody int, trailer []byte) error {
	f.id, f.respReq = d.command()
	if t := d.nestedType(); t != 0 && d.expect(t, typeConsumerID, "MessageDispatch.consumerId") {
		f.consumer = d.consumerIDBody()
	}
	d.destination()
	mt := d.nestedType()
	if mt == 0 {
		d.int32()
		return d.err // end of a browse or pull
	}
	if mt < typeMessage || mt > typeBlobMessage {
		d.fail("MessageDispatch.message has type %d", mt)
		return d.err
	}
	if d.tight && d.bool1() {
		// A message is MarshallAware: tight, a bit says whether a cached marshalled
		// form follows. No ActiveMQ version writes one (its marshaller refuses to).
		d.fail("MessageDispatch.message in a cached marshalled form")
		return d.err
	}
	d.command()
	m := &Message{Size: size}
	if !d.messageHead(mt, m) {
		return d.err
	}
	m.ID = m.id.String()
	f.msg = m
	f.bodyErr = d.messageRest(m, maxBody)
	rc := int(d.int32())
	if d.err != nil {
		f.bodyErr = fmt.Errorf("message fields: %w", d.err)
		d.err = nil
		rc = 0
		if len(trailer) == 4 {
			rc = int(int32(binary.BigEndian.Uint32(trailer)))
		}
	}
	if rc > m.RedeliveryCounter {
		m.RedeliveryCounter = rc
	}
	return nil
}

// oversizedHead bounds what is read of a frame over Config.MaxFrameSize: enough for
// every field before the message's id even with each string at its 64 KiB maximum.
const oversizedHead = 512 << 10

// frameSize returns the size prefix of a frame whose first bytes are hdr.
func frameSize(hdr []byte) int { return int(int32(binary.BigEndian.Uint32(hdr))) }

// readOversizedDispatch reads a MessageDispatch frame larger than max, which br has
// next (size prefix first). It decodes the frame's head, as far as the message's
// id, and discards the rest from the stream without buffering it, so one oversized
// message fails alone: the frame comes back with msg set and bodyErr matching
// ErrFrameTooLarge, for the consumer to dead-letter. An error (the stream ended, or
// the head does not hold the id) ends the link.
func readOversizedDispatch(br *bufio.Reader, max int, tight bool, intern map[string]string) (frame, error) {
	hdr, err := br.Peek(4)
	if err != nil {
		return frame{}, unexpectedEOF(err)
	}
	n := frameSize(hdr)
	if n <= max || n < 5 {
		return frame{}, fmt.Errorf("openwire: internal error: frame of %d bytes is not oversized (limit %d)", n, max)
	}
	br.Discard(4)
	head := make([]byte, min(n-4, oversizedHead))
	if _, err := io.ReadFull(br, head); err != nil {
		return frame{}, unexpectedEOF(err)
	}
	if _, err := br.Discard(n - 4 - len(head)); err != nil {
		return frame{}, unexpectedEOF(err)
	}
	var trailer [4]byte
	if _, err := io.ReadFull(br, trailer[:]); err != nil {
		return frame{}, unexpectedEOF(err)
	}
	f := frame{typ: head[0]}
	tooLarge := fmt.Errorf("%w: peer sent a %d-byte message, limit %d (raise Config.MaxFrameSize)", ErrFrameTooLarge, n, max)
	if f.typ != typeMessageDispatch {
		return f, tooLarge
	}
	d := frameDecoder(head[1:], tight, intern)
	if err := d.dispatch(&f, n+4, 0, trailer[:]); err != nil || f.msg == nil {
		return f, fmt.Errorf("%w; its head does not hold the message id: %v", tooLarge, err)
	}
	f.bodyErr = tooLarge
	return f, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
