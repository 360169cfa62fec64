package openwire

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// readFrame reads one size-prefixed frame (type byte first) of at most max
// bytes. buf is reused when it is big enough; nothing larger than the frame is
// allocated.
func readFrame(br *bufio.Reader, buf []byte, max int) ([]byte, error) {
	hdr, err := br.Peek(4) // not io.ReadFull: a local array would escape to the heap
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(hdr)))
	br.Discard(4)
	if n < 1 {
		return nil, fmt.Errorf("%w: frame size %d", ErrMalformed, n)
	}
	if n > max {
		return nil, fmt.Errorf("%w: peer sent a %d-byte frame, limit %d (raise Config.MaxFrameSize)", ErrFrameTooLarge, n, max)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(br, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// frame is a decoded command from the broker; only the fields this client uses.
type frame struct {
	typ       byte
	id        int32
	respReq   bool
	corr      int32        // responses
	brokerErr *BrokerError // ExceptionResponse, ConnectionError
	consumer  consumerID   // MessageDispatch
	msg       *Message     // MessageDispatch (nil: end of browse/pull)
	bodyErr   error        // MessageDispatch: body or properties undecodable
	wf        wireFormat   // WireFormatInfo
}

// decodeFrame decodes one frame (type byte first), tight or loose as negotiated.
// Unknown command types are returned with only typ set. maxBody bounds
// decompressed bodies. A malformed frame gives an error matching ErrMalformed; it
// never panics.
func decodeFrame(b []byte, tight bool, maxBody int, intern map[string]string) (f frame, err error) {
	if len(b) == 0 {
		return f, fmt.Errorf("%w: empty frame", ErrMalformed)
	}
	f.typ = b[0]
	if f.typ == typeWireFormatInfo {
		d := decoder{b: b[1:]} // always loose: it comes before the negotiation
		f.wf, err = d.wireFormatInfo()
		return f, err
	}
	d := frameDecoder(b[1:], tight, intern)
	switch f.typ {
	case typeMessageDispatch:
		return f, d.dispatch(&f, len(b)+4, maxBody, b[max(0, len(b)-4):])
	case typeResponse, typeDataResponse, typeDataArrayResponse, typeIntegerResponse:
		f.id, f.respReq = d.command()
		f.corr = d.int32()
	case typeExceptionResponse:
		f.id, f.respReq = d.command()
		f.corr = d.int32()
		f.brokerErr = d.throwable(false, 0)
		if f.brokerErr == nil {
			f.brokerErr = &BrokerError{Class: "unknown"}
		}
	case typeConnectionError:
		f.id, f.respReq = d.command()
		f.brokerErr = d.throwable(false, 0)
		if f.brokerErr == nil {
			f.brokerErr = &BrokerError{Class: "unknown"}
		}
	case typeKeepAliveInfo, typeShutdownInfo:
		f.id, f.respReq = d.command()
	}
	return f, d.err
}
