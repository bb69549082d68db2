package handlers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// Listen opens the listeners of the service on port: one on every
// interface, or with loopbackOnly one on 127.0.0.1 and one on ::1, the two
// addresses "localhost" resolves to, so local tools (Agents Playground)
// reach it by either. ::1 is skipped on a host without IPv6. Port 0 picks
// a free port, the same on both loopback listeners.
func Listen(port int, loopbackOnly bool) ([]net.Listener, error) {
	if !loopbackOnly {
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err != nil {
			return nil, err
		}
		return []net.Listener{ln}, nil
	}
	v4, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	port = v4.Addr().(*net.TCPAddr).Port
	v6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port)))
	switch {
	case err == nil:
		return []net.Listener{v4, v6}, nil
	case errors.Is(err, syscall.EADDRINUSE):
		v4.Close()
		return nil, err
	default: // no IPv6 loopback on this host
		return []net.Listener{v4}, nil
	}
}

// Serve runs srv on every listener until ctx is done or one of them
// fails, then shuts it down gracefully: no new connections, and requests
// in flight (CSV streams included) get up to grace to finish before their
// connections are closed.
func Serve(ctx context.Context, srv *http.Server, grace time.Duration, lns ...net.Listener) error {
	errc := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { errc <- srv.Serve(ln) }()
	}
	running := len(lns)
	var serveErr error
	select {
	case err := <-errc:
		running--
		serveErr = fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = errors.Join(err, srv.Close())
	}
	for range running {
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
	}
	if err != nil {
		err = fmt.Errorf("shut down http: %w", err)
	}
	return errors.Join(serveErr, err)
}
