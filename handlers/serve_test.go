package handlers

import (
	"context"
	"io"
	"net"
	"net/http"
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
	go func() { served <- Serve(ctx, &http.Server{Handler: slow}, ln, 5*time.Second) }()

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
