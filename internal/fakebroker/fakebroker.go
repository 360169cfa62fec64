package fakebroker

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Fault is what the server sends at its Stage instead of (or besides) a broker's answer.
type Fault int

const (
	// None behaves: every request is answered, nothing is dispatched.
	None Fault = iota
	// Message dispatches one well-formed text message, "hello", to the first
	// consumer (Stage AfterConsumer): the control case for the faults below.
	Message
	// Truncated sends a frame whose size prefix promises more bytes than follow,
	// then closes the connection.
	Truncated
	// Oversized sends a size prefix of 1 GiB, far beyond any sane MaxFrameSize,
	// and the first bytes of the frame; the connection stays open until the client
	// closes it.
	Oversized
	// NegativeSize sends a size prefix of -1.
	NegativeSize
	// UnknownCommand sends a frame of command type 200, which no OpenWire version
	// defines, and then behaves.
	UnknownCommand
	// WrongType sends a MessageDispatch whose consumerId is tagged as a SessionId.
	WrongType
	// GarbageBody dispatches a text message whose body claims more text than it
	// holds (Stage AfterConsumer).
	GarbageBody
	// GarbageCompressed dispatches a text message flagged as compressed whose body
	// is not zlib (Stage AfterConsumer).
	GarbageCompressed
	// Random sends 4 KiB of random bytes and closes the connection.
	Random
	// CompressedBomb dispatches a compressed text message whose 32 KiB of zlib
	// inflate to 32 MiB (Stage AfterConsumer).
	CompressedBomb
	// UnmatchedAck dispatches "hello" (Stage AfterConsumer) and answers the
	// client's first acknowledgement with a ConnectionError, as ActiveMQ does for
	// a one-way ack it cannot match; its message names the ack's consumer and
	// transaction as the broker's does. The connection stays open.
	UnmatchedAck
	// DropOnCommit dispatches "hello" (Stage AfterConsumer) and closes the
	// connection when the client commits a transaction, before answering: the
	// commit's outcome is unknown to the client.
	DropOnCommit
	// ConsumerAbort dispatches "hello" (Stage AfterConsumer) and then sends
	// ConsumerControl{close=true} for the consumer, as the broker's
	// abortSlowConsumerStrategy does.
	ConsumerAbort
	// ClusterUpdate sends a ConnectionControl with connectedBrokers and
	// reconnectTo (Options.ReconnectTo), as a broker with updateClusterClients and
	// rebalanceClusterClients does, and then behaves.
	ClusterUpdate
	// OversizedMessage dispatches a text message of OversizedBody bytes, more than
	// the tests' MaxFrameSize, then the message "hello" (Stage AfterConsumer).
	OversizedMessage
	// UnknownNested dispatches a message whose dataStructure field holds a
	// ConsumerInfo, as advisory messages do, which the client does not decode, then
	// the message "hello" (Stage AfterConsumer).
	UnknownNested
)

// OversizedBody is the size of the OversizedMessage's body.
const OversizedBody = 4 << 20

var faultNames = [...]string{"None", "Message", "Truncated", "Oversized", "NegativeSize", "UnknownCommand",
	"WrongType", "GarbageBody", "GarbageCompressed", "Random", "CompressedBomb", "UnmatchedAck", "DropOnCommit",
	"ConsumerAbort", "ClusterUpdate", "OversizedMessage", "UnknownNested"}

func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Stage is when the fault is sent.
type Stage int

const (
	// AtConnect sends the fault instead of the answer to ConnectionInfo, so Dial fails.
	AtConnect Stage = iota
	// AfterConnect sends it right after answering ConnectionInfo.
	AfterConnect
	// AfterConsumer sends it right after answering the first ConsumerInfo.
	AfterConsumer
)

// Options choose the server's behaviour.
type Options struct {
	Fault Fault
	Stage Stage
	// Times limits the fault to the first Times connections; later ones behave.
	// 0 means every connection.
	Times int
	// MaxFrameSize is advertised in the server's WireFormatInfo (0: Long.MAX_VALUE,
	// ActiveMQ's default).
	MaxFrameSize int64
	// Seed makes Random's bytes reproducible.
	Seed uint64
	// Delay is how long the server waits at the Stage before sending the fault.
	Delay time.Duration
	// Version is the OpenWire version the server announces (0: 12, ActiveMQ 5.17's).
	Version int32
	// ErrorClass and ErrorMessage are UnmatchedAck's exception (default
	// javax.jms.JMSException and a message like the broker's).
	ErrorClass, ErrorMessage string
	// ReconnectTo is ClusterUpdate's reconnectTo URI (default tcp://127.0.0.1:1).
	ReconnectTo string
}

// Server is a fake OpenWire broker listening on 127.0.0.1.
type Server struct {
	opts Options
	ln   net.Listener

	mu       sync.Mutex
	conns    map[net.Conn]bool
	accepted int
	faults   int
	poisons  []string
	commits  int
	closed   bool

	wg sync.WaitGroup
}

// Start listens on a free port of 127.0.0.1 and serves until Close.
func Start(o Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakebroker: listen: %w", err)
	}
	s := &Server{opts: o, ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is tcp://host:port.
func (s *Server) URL() string { return "tcp://" + s.Addr() }

// Accepted is the number of connections accepted so far.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// FaultsSent is the number of faults sent so far.
func (s *Server) FaultsSent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// PoisonCauses are the causes of the poison acknowledgements the client sent.
func (s *Server) PoisonCauses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.poisons...)
}

// Commits is the number of commits the server received (and, with
// DropOnCommit, did not answer).
func (s *Server) Commits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits
}

// Close stops listening, closes every connection and waits for their goroutines.
// Safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.accepted++
		n := s.accepted
		s.conns[nc] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, nc)
				s.mu.Unlock()
				nc.Close()
			}()
			faulty := s.opts.Times == 0 || n <= s.opts.Times
			_ = s.serve(nc, faulty)
		}()
	}
}

// conn is the server side of one connection.
type conn struct {
	s       *Server
	nc      net.Conn
	br      *bufio.Reader
	cmdID   int32
	faulty  bool
	connID  string
	consumr *consumerID
	// unmatchedAck: the next ack gets UnmatchedAck's ConnectionError
	unmatchedAck bool
	// dropOnCommit: DropOnCommit's commit closes the connection
	dropOnCommit bool
}

type consumerID struct {
	conn           string
	session, value int64
	queue          string
}

const maxClientFrame = 16 << 20

func (s *Server) serve(nc net.Conn, faulty bool) error {
	c := &conn{s: s, nc: nc, br: bufio.NewReader(nc), faulty: faulty}
	// Both sides send WireFormatInfo at once (WireFormatNegotiator.start).
	version := s.opts.Version
	if version == 0 {
		version = 12
	}
	if err := c.write(wireFormatInfo(s.opts.MaxFrameSize, version)); err != nil {
		return err
	}
	first, err := c.readFrame()
	if err != nil {
		return err
	}
	if len(first) < 9 || first[0] != typeWireFormatInfo || string(first[1:9]) != "ActiveMQ" {
		return errors.New("fakebroker: client did not start with WireFormatInfo")
	}
	for {
		f, err := c.readFrame()
		if err != nil {
			return err
		}
		if len(f) < 6 || f[0] == typeWireFormatInfo {
			continue
		}
		d := &reader{b: f[1:]}
		id, respReq := d.int32(), d.bool()
		typ := f[0]
		switch typ {
		case typeConnectionInfo:
			if c.faulty && s.opts.Stage == AtConnect {
				c.faulty = false
				if err := c.fault(); err != nil {
					return err
				}
			}
		case typeConsumerInfo:
			k := d.consumerID()
			d.bool() // browser
			_, k.queue = d.destination()
			if d.err == nil && c.consumr == nil {
				c.consumr = &k
			}
		case typeMessageAck:
			a := c.s.recordAck(d)
			if c.unmatchedAck && s.opts.Fault == UnmatchedAck {
				c.unmatchedAck = false
				class, msg := s.opts.ErrorClass, s.opts.ErrorMessage
				if class == "" {
					class = "javax.jms.JMSException"
				}
				if msg == "" {
					msg = fmt.Sprintf("Unmatched acknowledge: MessageAck {commandId = %d, responseRequired = %v, ackType = %d, consumerId = %s, transactionId = %s, messageCount = 1}; Could not find Message-ID in dispatched-list", id, respReq, a.ackType, a.consumer, a.tx)
				}
				if err := c.write(connectionError(c.next(), class, msg)); err != nil {
					return err
				}
			}
		case typeTransactionInfo:
			d.nested() // connectionId
			d.str()
			if d.nested() { // transactionId
				d.int64()
				if d.nested() {
					d.str()
				}
			}
			if op := d.byte(); d.err == nil && (op == txCommitOnePhase || op == txCommitTwoPhase) {
				c.s.mu.Lock()
				c.s.commits++
				c.s.mu.Unlock()
				if c.dropOnCommit {
					return errClosedAfterFault
				}
			}
		case typeShutdownInfo:
			return nil
		}
		if respReq {
			if err := c.write(response(c.next(), id)); err != nil {
				return err
			}
		}
		switch {
		case typ == typeConnectionInfo && c.faulty && s.opts.Stage == AfterConnect,
			typ == typeConsumerInfo && c.faulty && s.opts.Stage == AfterConsumer:
			if err := c.fault(); err != nil {
				return err
			}
			c.faulty = false // once per connection
		}
	}
}

var errClosedAfterFault = errors.New("fakebroker: closed after the fault")

// fault sends the configured fault; it returns an error when the connection must end.
func (c *conn) fault() error {
	if d := c.s.opts.Delay; d > 0 {
		time.Sleep(d) // the connection's own goroutine: nothing else to do meanwhile
	}
	c.s.mu.Lock()
	c.s.faults++
	c.s.mu.Unlock()
	k := consumerID{conn: "ID:fake-1:1", session: 1, value: 1, queue: "fake"}
	if c.consumr != nil {
		k = *c.consumr
	}
	switch c.s.opts.Fault {
	case None:
		return nil
	case Message:
		return c.write(dispatch(c.next(), k, typeConsumerID, textContent("hello"), false))
	case Truncated:
		// promises 100 bytes of a Response, sends 10
		b := binary.BigEndian.AppendUint32(nil, 100)
		b = append(b, typeResponse, 0, 0, 0, 9, 0, 0, 0, 0, 1)
		if err := c.write(b); err != nil {
			return err
		}
		return errClosedAfterFault
	case Oversized:
		b := binary.BigEndian.AppendUint32(nil, 1<<30)
		b = append(b, typeResponse, 0, 0, 0, 9, 0, 0, 0, 0, 1)
		if err := c.write(b); err != nil {
			return err
		}
		// hold the connection open until the client gives up on it
		_, _ = io.Copy(io.Discard, c.nc)
		return errClosedAfterFault
	case NegativeSize:
		if err := c.write([]byte{0xff, 0xff, 0xff, 0xff, typeResponse}); err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, c.nc)
		return errClosedAfterFault
	case UnknownCommand:
		body := []byte{200, 0, 0, 0, 7, 0, 0xde, 0xad, 0xbe, 0xef}
		return c.write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
	case WrongType:
		return c.write(dispatch(c.next(), k, typeSessionID, textContent("hello"), false))
	case GarbageBody:
		content := binary.BigEndian.AppendUint32(nil, math.MaxInt32)
		content = append(content, "abc"...)
		return c.write(dispatch(c.next(), k, typeConsumerID, content, false))
	case GarbageCompressed:
		return c.write(dispatch(c.next(), k, typeConsumerID, []byte("this is not zlib at all"), true))
	case CompressedBomb:
		return c.write(dispatch(c.next(), k, typeConsumerID, compressedBomb(), true))
	case UnmatchedAck:
		c.unmatchedAck = true
		return c.write(dispatch(c.next(), k, typeConsumerID, textContent("hello"), false))
	case DropOnCommit:
		c.dropOnCommit = true
		return c.write(dispatch(c.next(), k, typeConsumerID, textContent("hello"), false))
	case ConsumerAbort:
		if err := c.write(dispatch(c.next(), k, typeConsumerID, textContent("hello"), false)); err != nil {
			return err
		}
		return c.write(consumerClose(c.next(), k))
	case ClusterUpdate:
		to := c.s.opts.ReconnectTo
		if to == "" {
			to = "tcp://127.0.0.1:1"
		}
		return c.write(connectionControl(c.next(), "tcp://127.0.0.1:1,"+to, to))
	case OversizedMessage:
		big := dispatch(c.next(), k, typeConsumerID, textContent(string(bytes.Repeat([]byte("x"), OversizedBody))), false)
		return c.write(append(big, dispatch(c.next(), k, typeConsumerID, textContent("hello"), false)...))
	case UnknownNested:
		// a ConsumerInfo (type 5) whose fields the client cannot know the length of
		ds := []byte{1, typeConsumerInfo, 0, 0, 0, 1, 0, 1, typeConsumerID}
		odd := dispatchWith(c.next(), k, typeConsumerID, textContent("advisory"), false, ds)
		return c.write(append(odd, dispatch(c.next(), k, typeConsumerID, textContent("hello"), false)...))
	case Random:
		r := rand.New(rand.NewPCG(c.s.opts.Seed, uint64(c.s.Accepted())))
		b := make([]byte, 4096)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		if err := c.write(b); err != nil {
			return err
		}
		return errClosedAfterFault
	}
	return fmt.Errorf("fakebroker: unknown fault %v", c.s.opts.Fault)
}

// ack is what the server read of a MessageAck.
type ack struct {
	ackType      byte
	consumer, tx string // as Java's ConsumerId and LocalTransactionId print them
}

func (s *Server) recordAck(d *reader) ack {
	var a ack
	d.destination()
	if d.nested() { // transactionId: LocalTransactionId
		v := d.int64()
		conn := ""
		if d.nested() {
			conn = d.str()
		}
		a.tx = fmt.Sprintf("TX:%s:%d", conn, v)
	}
	if d.nested() {
		conn := d.str()
		sess := d.int64()
		v := d.int64()
		a.consumer = fmt.Sprintf("%s:%d:%d", conn, sess, v)
	}
	a.ackType = d.byte()
	d.messageID()
	d.messageID()
	d.int32()
	if d.err != nil || a.ackType != ackPoison {
		return a
	}
	cause := ""
	if d.bool() {
		d.str()
		cause = d.str()
	}
	s.mu.Lock()
	s.poisons = append(s.poisons, cause)
	s.mu.Unlock()
	return a
}

func (c *conn) next() int32 {
	c.cmdID++
	return c.cmdID
}

func (c *conn) write(b []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.nc.Write(b)
	return err
}

func (c *conn) readFrame() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(hdr[:]))
	if n < 1 || n > maxClientFrame {
		return nil, fmt.Errorf("fakebroker: client sent a frame of %d bytes", n)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(c.br, b)
	return b, err
}

var (
	bombOnce sync.Once
	bomb     []byte
)

// compressedBomb is the zlib content of a 32 MiB text message, built once.
func compressedBomb() []byte {
	bombOnce.Do(func() {
		var z bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
		zw.Write(binary.BigEndian.AppendUint32(nil, 32<<20)) // the text's length
		zeros := make([]byte, 1<<20)
		for range 32 {
			zw.Write(zeros)
		}
		zw.Close()
		bomb = z.Bytes()
	})
	return bomb
}
