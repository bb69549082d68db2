package handlers

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestServeShutsDownGracefully(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, &http.Server{Handler: slow}, 5*time.Second, ln) }()

	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			answer <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answer <- string(b)
	}()
	<-started
	cancel()

	t.Run("a request in flight keeps the server up", func(t *testing.T) {
		select {
		case err := <-served:
			t.Fatalf("Serve returned %v with a request in flight", err)
		case <-time.After(100 * time.Millisecond):
		}
	})
	close(release)
	t.Run("the request in flight is answered", func(t *testing.T) {
		if got := <-answer; got != "finished" {
			t.Fatalf("answer %q", got)
		}
	})
	t.Run("Serve then returns without error and refuses new connections", func(t *testing.T) {
		if err := <-served; err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
			t.Error("still accepting connections")
		}
	})
}

func TestListenOnLoopbackOnlyListensOnBothLoopbacksAndNothingElse(t *testing.T) {
	lns, err := Listen(0, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, ln := range lns {
			ln.Close()
		}
	})
	port := lns[0].Addr().(*net.TCPAddr).Port
	for _, ln := range lns {
		a := ln.Addr().(*net.TCPAddr)
		if !a.IP.IsLoopback() || a.Port != port {
			t.Errorf("listener on %s: want a loopback address on port %d", a, port)
		}
	}
	if len(lns) != 2 && hasIPv6Loopback() {
		t.Errorf("%d listeners, want 127.0.0.1 and ::1", len(lns))
	}
	if ip := nonLoopbackIP(t); ip != nil {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)), time.Second); err == nil {
			c.Close()
			t.Errorf("reached the service through %s", ip)
		}
	}
}

func TestListenBeyondLoopbackListensOnEveryInterface(t *testing.T) {
	lns, err := Listen(0, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lns[0].Close()
	a := lns[0].Addr().(*net.TCPAddr)
	if len(lns) != 1 || !a.IP.IsUnspecified() {
		t.Fatalf("listeners %v, want one on every interface", lns)
	}
	if ip := nonLoopbackIP(t); ip != nil {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(a.Port)), time.Second)
		if err != nil {
			t.Fatalf("not reachable through %s: %v", ip, err)
		}
		c.Close()
	}
}

func hasIPv6Loopback() bool {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// nonLoopbackIP is an IPv4 address of this host other than loopback, or
// nil (the check is then skipped).
func nonLoopbackIP(t *testing.T) net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP
		}
	}
	t.Log("this host has no address beyond loopback: reachability not checked")
	return nil
}

func TestServeOnSeveralListenersStopsThemAll(t *testing.T) {
	lns, err := Listen(0, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	go func() { served <- Serve(ctx, &http.Server{Handler: ok}, time.Second, lns...) }()
	for _, ln := range lns {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			t.Fatalf("%s: %v", ln.Addr(), err)
		}
		resp.Body.Close()
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for _, ln := range lns {
		if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections", ln.Addr())
		}
	}
}
