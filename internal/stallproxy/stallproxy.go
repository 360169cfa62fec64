// Package stallproxy is a loopback TCP proxy that can freeze its connections
// without closing them: the half-open link a dead NAT entry or a pulled cable
// leaves, which no real broker produces on demand.
package stallproxy

import (
	"net"
	"sync"
	"testing"
)

// Proxy forwards loopback TCP connections to a broker. Stall makes every
// connection open at that moment stop moving bytes in both directions while
// both sockets stay open: a half-open link, as a dead NAT entry or a pulled
// cable leaves it. Connections accepted later are forwarded normally.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	pairs  []*proxyPair
	closed bool
	wg     sync.WaitGroup
}

type proxyPair struct {
	client, server net.Conn
	stop           chan struct{}
	stopOnce       sync.Once
}

// Start listens on a free loopback port and forwards to target (host:port); the
// test's cleanup closes it.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// URL is the proxy's tcp:// address.
func (p *Proxy) URL() string { return "tcp://" + p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		cc, err := p.ln.Accept()
		if err != nil {
			return
		}
		sc, err := net.Dial("tcp", p.target)
		if err != nil {
			cc.Close()
			continue
		}
		pr := &proxyPair{client: cc, server: sc, stop: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			cc.Close()
			sc.Close()
			return
		}
		p.pairs = append(p.pairs, pr)
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(pr, cc, sc)
		go p.pipe(pr, sc, cc)
	}
}

// pipe copies src to dst until the pair is stalled; then it stops reading, so
// the sender's socket buffers fill up and nothing reaches the other side.
func (p *Proxy) pipe(pr *proxyPair, src, dst net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-pr.stop:
			return // the bytes just read are lost, as on a dead path
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Stall freezes every connection open now.
func (p *Proxy) Stall() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.pairs {
		pr.stopOnce.Do(func() { close(pr.stop) })
	}
	return len(p.pairs)
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	pairs := p.pairs
	p.mu.Unlock()
	p.ln.Close()
	for _, pr := range pairs {
		pr.stopOnce.Do(func() { close(pr.stop) })
		pr.client.Close()
		pr.server.Close()
	}
	p.wg.Wait()
}
