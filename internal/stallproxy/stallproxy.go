// Package stallproxy is a loopback TCP proxy in front of a broker whose links can
// go silent without closing: the half-open link a dead NAT entry, a pulled cable
// or a hung broker leaves, which no real broker produces on demand.
//
// Stall freezes the connections open now and forwards later ones (the link dies,
// the path to the broker is fine: a reconnect works). Freeze freezes everything,
// later connections included (the broker is unreachable), until Thaw.
package stallproxy

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards loopback TCP connections to a broker.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	pairs  map[*pair]bool
	frozen bool
	thawed chan struct{} // closed while not frozen
	closed bool
	wg     sync.WaitGroup
}

// pair is one proxied connection. A stalled pair's pipes stop reading, so the
// senders' socket buffers fill up and nothing reaches the other side.
type pair struct {
	client, server net.Conn
	stop           chan struct{}
	stopOnce       sync.Once
}

func (pr *pair) stall() { pr.stopOnce.Do(func() { close(pr.stop) }) }

func (pr *pair) close() {
	pr.stall()
	pr.client.Close()
	if pr.server != nil {
		pr.server.Close()
	}
}

// Start listens on a free loopback port and forwards to target (host:port); the
// test's cleanup closes it.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, pairs: make(map[*pair]bool), thawed: make(chan struct{})}
	close(p.thawed)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// URL is the proxy's tcp:// address.
func (p *Proxy) URL() string { return "tcp://" + p.ln.Addr().String() }

// Stall freezes every connection open now and returns how many there were;
// connections made later are forwarded.
func (p *Proxy) Stall() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pr := range p.pairs {
		pr.stall()
	}
	return len(p.pairs)
}

// Freeze freezes every connection, and those made later are accepted but never
// answered, until Thaw.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.frozen {
		p.frozen, p.thawed = true, make(chan struct{})
	}
	for pr := range p.pairs {
		pr.stall()
	}
}

// Thaw closes the frozen connections (their peers gave up on them long ago) and
// forwards new ones again.
func (p *Proxy) Thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pr := range p.pairs {
		pr.close()
		delete(p.pairs, pr)
	}
	if p.frozen {
		p.frozen = false
		close(p.thawed)
	}
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.Thaw()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		cc, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(cc)
	}
}

func (p *Proxy) serve(cc net.Conn) {
	defer p.wg.Done()
	pr := &pair{client: cc, stop: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		cc.Close()
		return
	}
	p.pairs[pr] = true
	thawed := p.thawed
	p.mu.Unlock()
	<-thawed // a connection made while frozen is accepted but never answered
	sc, err := net.Dial("tcp", p.target)
	if err != nil {
		cc.Close()
		return
	}
	p.mu.Lock()
	if !p.pairs[pr] { // thawed or closed meanwhile: the client is gone
		p.mu.Unlock()
		sc.Close()
		return
	}
	pr.server = sc
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pipe(pr, sc, cc) }()
	go func() { defer wg.Done(); pipe(pr, cc, sc) }()
	wg.Wait()
	p.mu.Lock()
	stalled := p.pairs[pr] && isClosed(pr.stop)
	if !stalled { // a stalled pair stays open until Thaw or close
		delete(p.pairs, pr)
		pr.close()
	}
	p.mu.Unlock()
}

// pipe copies src to dst until the pair is stalled, or src ends (then it passes
// the half-close on).
func pipe(pr *pair, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if isClosed(pr.stop) {
			return // the bytes just read are lost, as on a dead path
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err == io.EOF {
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
			}
			return
		}
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
