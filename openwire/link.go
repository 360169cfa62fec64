package openwire

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/bufpool"
)

// The link: one transport connection under a Conn. It owns the socket, the
// negotiated wire format, the reader goroutine that routes every frame, the
// batched writer, and the correlation of requests with their responses. A Conn
// outlives its links: failover replaces a lost link with a new one (failover.go).

// link is one transport connection: socket, negotiated format, reader and monitor.
type link struct {
	c        *Conn
	nc       net.Conn
	ep       endpoint
	br       *bufio.Reader
	connID   string
	clientID string
	// failoverReconnect: this link replaces a lost one (ConnectionInfo says so).
	failoverReconnect bool
	logicalConnections
	gen        uint64
	maxFrame   int
	tight      bool // negotiated TightEncodingEnabled; set before the reader starts
	inactivity time.Duration
	intern     map[string]string // reader goroutine only

	wmu     sync.Mutex
	bw      *bufio.Writer
	enc     encoder
	writers atomic.Int32
	cmdID   atomic.Int32

	pmu     sync.Mutex
	pending map[int32]chan error

	reads, writes atomic.Uint64
	done          chan struct{}
	err           error
	closeOnce     sync.Once
	wg            sync.WaitGroup
}

// connect opens one transport, negotiates and sends ConnectionInfo.
func (c *Conn) connect(ctx context.Context, ep endpoint) (*link, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", ep.host)
	if err != nil {
		return nil, fmt.Errorf("openwire: dial %s: %w", ep, err)
	}
	if ep.tls {
		tc := c.cfg.TLSConfig.Clone()
		if tc == nil {
			tc = &tls.Config{}
		}
		if tc.ServerName == "" {
			tc.ServerName, _, _ = net.SplitHostPort(ep.host)
		}
		t := tls.Client(nc, tc)
		if err := t.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("openwire: TLS handshake with %s: %w", ep, err)
		}
		nc = t
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	n := c.linkSeq.Add(1)
	connID := c.connID
	l := &link{
		c: c, nc: nc, ep: ep, br: bufio.NewReaderSize(nc, 64<<10), bw: bufio.NewWriterSize(nc, 64<<10),
		connID: connID, maxFrame: c.cfg.MaxFrameSize, pending: map[int32]chan error{},
		done: make(chan struct{}), intern: map[string]string{},
	}
	c.mu.Lock()
	l.gen = c.gen
	c.mu.Unlock()
	if err := l.handshake(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("openwire: handshake with %s: %w", ep, err)
	}
	_ = nc.SetDeadline(time.Time{})
	l.wg.Add(2)
	go l.readLoop()
	go l.monitor()
	l.clientID = c.cfg.ClientID
	l.failoverReconnect = n > 1 && c.fo != nil
	if l.clientID == "" {
		l.clientID = connID
	}
	err = l.request(ctx, func(e *encoder, id int32) {
		e.connectionInfo(id, connectionInfo{connID: connID, clientID: l.clientID, password: c.cfg.Password, user: c.cfg.User,
			faultTolerant: c.fo != nil, failoverReconnect: l.failoverReconnect})
	})
	if err != nil {
		err = security(err, ErrAuthentication)
		l.close(err)
		l.wg.Wait()
		if errors.Is(err, ErrAuthentication) {
			return nil, fmt.Errorf("openwire: %s refused login for user %q (check user name and password): %w", ep, c.cfg.User, err)
		}
		return nil, fmt.Errorf("openwire: connecting to %s: %w", ep, err)
	}
	c.log.Debug("openwire: connected", "endpoint", ep.String(), "connection", connID, "inactivity", l.inactivity)
	return l, nil
}

func (l *link) handshake() error {
	c := l.c
	props := map[string]any{
		"TightEncodingEnabled":             !l.ep.loose,
		"CacheEnabled":                     false,
		"SizePrefixDisabled":               false,
		"StackTraceEnabled":                false,
		"TcpNoDelayEnabled":                true,
		"MaxInactivityDuration":            max(int64(0), c.cfg.MaxInactivityDuration.Milliseconds()),
		"MaxInactivityDurationInitalDelay": int64(10000),
		// Not Config.MaxFrameSize: it is enforced here, a frame at a time. A broker
		// told of it refuses, with tight encoding, to send a larger message at all
		// and drops the connection each time, so that message could never be
		// dead-lettered (frame.go); the broker's own limit still applies (the lower
		// one is negotiated).
		"MaxFrameSize": int64(math.MaxInt64),
		"CacheSize":    int32(0),
	}
	if err := l.write(func(e *encoder) { e.wireFormatInfo(wireFormat{version: protocolVersion, props: props}) }); err != nil {
		return err
	}
	frame, err := l.readFrame(nil)
	if err != nil {
		return err
	}
	if len(frame) == 0 || frame[0] != typeWireFormatInfo {
		return fmt.Errorf("%w: expected WireFormatInfo, got command type %d", ErrMalformed, frame[0])
	}
	d := decoder{b: frame[1:]}
	w, err := d.wireFormatInfo()
	if err != nil {
		return err
	}
	if w.version < 1 {
		return fmt.Errorf("%w: broker protocol version %d", ErrMalformed, w.version)
	}
	// Both sides use the lower of the two versions. Versions before 12 marshal
	// some commands differently (fields this client writes and reads are absent),
	// so a lower one cannot be spoken; a higher one is negotiated down to 12.
	if w.version < protocolVersion {
		return fmt.Errorf("%w: the broker speaks OpenWire version %d, this client only version %d (ActiveMQ 5.13 or later)", ErrUnsupportedVersion, w.version, protocolVersion)
	}
	ours := c.cfg.MaxInactivityDuration
	theirs := time.Duration(propInt(w.props, "MaxInactivityDuration", 30000)) * time.Millisecond
	if ours > 0 && theirs > 0 {
		l.inactivity = min(ours, theirs)
	}
	if mf := propInt(w.props, "MaxFrameSize", 0); mf > 0 && mf < int64(l.maxFrame) {
		l.maxFrame = int(mf)
	}
	// Tight only when both sides offer it (OpenWireFormat.renegotiateWireFormat).
	theirsTight, _ := w.props["TightEncodingEnabled"].(bool)
	l.tight = !l.ep.loose && theirsTight
	l.enc.tight = l.tight
	return nil
}

func propInt(m map[string]any, key string, def int64) int64 {
	switch v := m[key].(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	}
	return def
}

// readFrame reads one frame of the link.
func (l *link) readFrame(buf []byte) ([]byte, error) {
	frame, err := readFrame(l.br, buf, l.maxFrame)
	if err == nil {
		l.reads.Add(1)
	}
	return frame, err
}

func (l *link) readLoop() {
	defer l.wg.Done()
	var scratch []byte
	var err error
	for {
		// message frames get their own buffer: bodies point into it
		var hdr []byte
		if hdr, err = l.br.Peek(5); err != nil {
			break
		}
		if hdr[4] == typeMessageDispatch && frameSize(hdr) > l.maxFrame {
			// one message too large for the limit fails alone (frame.go)
			var f frame
			if f, err = readOversizedDispatch(l.br, l.maxFrame, l.tight, l.intern); err != nil {
				err = fmt.Errorf("openwire: from %s: %w", l.ep, err)
				break
			}
			l.reads.Add(1)
			if err = l.handleFrame(f, nil); err != nil {
				break
			}
			continue
		}
		var frame []byte
		dispatch := hdr[4] == typeMessageDispatch
		if dispatch {
			// A large message is read into a recycled buffer, which its body
			// points into until the message is released (Message.Release).
			var buf []byte
			if n := frameSize(hdr); n > bufpool.Min {
				buf = bufpool.Get(n)
			}
			frame, err = l.readFrame(buf)
		} else {
			frame, err = l.readFrame(scratch)
			if err == nil && cap(frame) <= 64<<10 {
				scratch = frame
			}
		}
		if err != nil {
			break
		}
		var held bool
		if held, err = l.handle(frame); err != nil {
			break
		}
		if dispatch && !held {
			bufpool.Put(frame) // nothing points into it: a text body is a copy
		}
	}
	select {
	case <-l.done:
	default:
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("openwire: broker %s closed the connection: %w", l.ep, err)
		}
	}
	l.close(err)
	l.c.linkLost(l, l.err)
}

// handle decodes and acts on one frame; held says a dispatched message's body
// points into the frame, which is then the message's to release (a pooled one)
// or the collector's.
func (l *link) handle(frame []byte) (held bool, err error) {
	f, err := decodeFrame(frame, l.tight, l.maxFrame, l.intern)
	if err != nil {
		return false, fmt.Errorf("openwire: from %s: %w", l.ep, err)
	}
	if f.typ == typeMessageDispatch && f.msg != nil && f.msg.bodyInFrame {
		held = true
		if cap(frame) > bufpool.Min {
			f.msg.frame = frame
		}
	}
	return held, l.handleFrame(f, frame)
}

// handleFrame acts on a decoded frame; raw is its bytes (nil for an oversized
// MessageDispatch, which is never kept).
func (l *link) handleFrame(f frame, raw []byte) error {
	switch f.typ {
	case typeMessageDispatch:
		if f.msg == nil {
			if k := l.c.consumer(f.consumer.value); k != nil {
				k.browseEnd()
			}
			return nil // end of a browse or pull
		}
		if k := l.c.consumer(f.consumer.value); k != nil {
			k.arrive(l, f.msg, f.bodyErr)
		} // else: closed meanwhile; the broker takes it back with the RemoveInfo
	case typeResponse, typeDataResponse, typeDataArrayResponse, typeIntegerResponse:
		l.complete(f.corr, nil)
	case typeExceptionResponse:
		l.complete(f.corr, f.brokerErr)
	case typeKeepAliveInfo:
		if f.respReq {
			return l.write(func(e *encoder) { e.keepAlive(l.cmdID.Add(1)) })
		}
	case typeConnectionError:
		return l.onConnectionError(raw)
	case typeConsumerControl:
		return l.onConsumerControl(raw)
	case typeConnectionControl:
		return l.onConnectionControl(raw)
	case typeShutdownInfo:
		return fmt.Errorf("openwire: broker %s is shutting down: %w", l.ep, io.EOF)
	default:
		// BrokerInfo, WireFormatInfo, ...: not needed
		l.c.log.Debug("openwire: ignoring command", "type", f.typ)
	}
	return nil
}

// complete hands a response to the waiting request.
func (l *link) complete(corr int32, err error) {
	l.pmu.Lock()
	ch := l.pending[corr]
	delete(l.pending, corr)
	l.pmu.Unlock()
	if ch != nil {
		ch <- err
	}
}

// write encodes one frame and writes it; the last of concurrent writers flushes,
// so bursts of acks and sends share syscalls.
func (l *link) write(build func(e *encoder)) error {
	l.writers.Add(1)
	l.wmu.Lock()
	defer l.wmu.Unlock()
	select {
	case <-l.done:
		l.writers.Add(-1)
		return l.failure()
	default:
	}
	if l.inactivity > 0 {
		// A broker that stops reading must not hold the writer (and the lock every
		// other writer, the keep-alive included, waits on) forever.
		_ = l.nc.SetWriteDeadline(time.Now().Add(l.inactivity))
	}
	l.enc.b, l.enc.err = l.enc.b[:0], nil
	build(&l.enc)
	err := l.enc.err
	if err == nil && len(l.enc.b)-4 > l.maxFrame {
		err = fmt.Errorf("%w: %d-byte frame exceeds the negotiated limit of %d", ErrFrameTooLarge, len(l.enc.b)-4, l.maxFrame)
	}
	if err == nil {
		if _, werr := l.bw.Write(l.enc.b); werr != nil {
			l.close(fmt.Errorf("openwire: writing to %s: %w", l.ep, werr))
			err = l.failure()
		}
		l.writes.Add(1)
	}
	if cap(l.enc.b) > 1<<20 {
		l.enc.b = nil
	}
	if l.writers.Add(-1) == 0 {
		if ferr := l.bw.Flush(); ferr != nil {
			l.close(fmt.Errorf("openwire: writing to %s: %w", l.ep, ferr))
			if err == nil {
				err = l.failure()
			}
		}
	}
	return err
}

// request sends a command with responseRequired and waits for the broker's answer.
func (l *link) request(ctx context.Context, build func(e *encoder, id int32)) error {
	id := l.cmdID.Add(1)
	ch := make(chan error, 1)
	l.pmu.Lock()
	if l.pending == nil {
		l.pmu.Unlock()
		return l.failure()
	}
	l.pending[id] = ch
	l.pmu.Unlock()
	if err := l.write(func(e *encoder) { build(e, id) }); err != nil {
		l.forget(id)
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		l.forget(id)
		return ctx.Err()
	case <-l.done:
		select {
		case err := <-ch:
			return err
		default:
		}
		return l.failure()
	}
}

func (l *link) forget(id int32) {
	l.pmu.Lock()
	if l.pending != nil {
		delete(l.pending, id)
	}
	l.pmu.Unlock()
}

// lostEarly reports the error of a link whose reader ended before the link was
// installed (its own linkLost call then found nothing to do), or nil.
func (l *link) lostEarly() error {
	select {
	case <-l.done:
		return l.failure()
	default:
		return nil
	}
}

// failure is the error calls on a dead link return.
func (l *link) failure() error {
	<-l.done
	if l.err == nil || l.err == ErrClosed {
		return ErrClosed
	}
	return fmt.Errorf("openwire: connection lost: %w", l.err)
}

func (l *link) close(err error) {
	l.closeOnce.Do(func() {
		if err == nil {
			err = ErrClosed
		}
		l.err = err
		close(l.done)
		l.nc.Close()
		l.pmu.Lock()
		l.pending = nil
		l.pmu.Unlock()
	})
}

// requestAll sends n commands needing a response in one write and waits for all
// of them; the first error wins.
func (l *link) requestAll(ctx context.Context, n int, build func(e *encoder, i int, id int32)) error {
	if n == 1 {
		return l.request(ctx, func(e *encoder, id int32) { build(e, 0, id) })
	}
	ids := make([]int32, n)
	chs := make([]chan error, n)
	l.pmu.Lock()
	if l.pending == nil {
		l.pmu.Unlock()
		return l.failure()
	}
	for i := range ids {
		ids[i] = l.cmdID.Add(1)
		chs[i] = make(chan error, 1)
		l.pending[ids[i]] = chs[i]
	}
	l.pmu.Unlock()
	forgetAll := func() {
		for _, id := range ids {
			l.forget(id)
		}
	}
	if err := l.write(func(e *encoder) {
		for i := range ids {
			build(e, i, ids[i])
		}
	}); err != nil {
		forgetAll()
		return err
	}
	var first error
	for _, ch := range chs {
		select {
		case err := <-ch:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			forgetAll()
			return ctx.Err()
		case <-l.done:
			select {
			case err := <-ch:
				if err != nil && first == nil {
					first = err
				}
				continue
			default:
			}
			return l.failure()
		}
	}
	return first
}
