package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// cutProxy forwards TCP to target until cut, then refuses and drops every
// connection until mended: a database outage on loopback.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) mend() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

func TestADatabaseOutageIsVisibleAndTheServiceRecovers(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	u, _ := url.Parse(dsn)
	proxy := newCutProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	s := startService(t, u.String(), nil)
	if code, _ := s.get(s.srv.URL + "/readyz"); code != http.StatusOK {
		t.Fatalf("readyz before the outage: %d", code)
	}

	proxy.cut()
	if code, _ := s.get(s.srv.URL + "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz during the outage: %d, want 503", code)
	}
	zoe := teamstest.NewUser("Zoe")
	lost := s.kit.Message(zoe, "my segments")
	if code, _ := s.post(lost); code != http.StatusInternalServerError {
		t.Errorf("/api/messages during the outage: %d, want 500 so Teams retries", code)
	}

	proxy.mend()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := s.get(s.srv.URL + "/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz did not recover: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Teams redelivers the activity that failed: now it is handled.
	wantIn(t, replyText(s.expectReply(lost)), "not subscribed to anything")
}
