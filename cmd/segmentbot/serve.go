package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/segmentbot/segmentbot/config"
	"github.com/segmentbot/segmentbot/handlers"
)

// serveOptions are the knobs of serve that tests shorten.
type serveOptions struct {
	grace         time.Duration // what requests in flight and workers get at shutdown
	authOffRepeat time.Duration // how often SEGMENTBOT_AUTH=off is logged again
}

var defaultServeOptions = serveOptions{grace: 30 * time.Second, authOffRepeat: time.Hour}

func serveFlags(_ *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(ctx context.Context, _ []string) error {
		return serve(ctx, e, defaultServeOptions)
	}
}

// serve runs the service until ctx ends, then drains it and logs
// "stopped".
func serve(ctx context.Context, e *env, opts serveOptions) error {
	cfg, err := config.LoadEnviron(e.environ)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, cfg.LogLevel, dbSecrets(cfg.DatabaseURL))
	warnAtStart(cfg, log)
	a, err := newApp(ctx, cfg, log, nil, time.Now)
	if err != nil {
		return err
	}
	lns, err := handlers.Listen(cfg.Port, cfg.LoopbackOnly())
	if err != nil {
		a.stop(context.Background())
		return fmt.Errorf("PORT %d: %w", cfg.Port, err)
	}
	log.Info("segmentbot listening", "addrs", addrs(lns), "loopback_only", cfg.LoopbackOnly(),
		"database", redactDSN(cfg.DatabaseURL), "teams_auth", cfg.AppID != "", "workplace", cfg.WorkplaceEnabled(),
		"rest_api", len(cfg.APIKeys) > 0, "version", version())
	a.start()
	if cfg.AuthOff {
		go remindAuthOff(ctx, log, opts.authOffRepeat)
	}
	draining := context.AfterFunc(ctx, func() { log.Info("shutting down: draining requests", "grace_ms", opts.grace.Milliseconds()) })
	defer draining()
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // CSV uploads
		WriteTimeout:      5 * time.Minute, // member lists stream
		IdleTimeout:       2 * time.Minute,
	}
	start := time.Now()
	err = handlers.Serve(ctx, srv, opts.grace, lns...)
	stopCtx, cancel := context.WithTimeout(context.Background(), opts.grace)
	defer cancel()
	a.stop(stopCtx)
	if err != nil {
		log.Error("stopped", "uptime_ms", milliseconds(time.Since(start)), "err", err)
		return err
	}
	log.Info("stopped", "uptime_ms", milliseconds(time.Since(start)))
	return nil
}

// authOffMessage is logged as an error at start and every hour while
// SEGMENTBOT_AUTH=off keeps /api/messages open beyond loopback.
const authOffMessage = "SEGMENTBOT_AUTH=off: Teams authentication is OFF and the service listens on every interface: " +
	"anyone who reaches /api/messages can act as any user, admins included. Set MicrosoftAppId, or unset SEGMENTBOT_AUTH to listen on loopback only"

// warnAtStart logs what an operator must know about the configuration.
func warnAtStart(cfg *config.Config, log *slog.Logger) {
	switch {
	case cfg.AuthOff:
		log.Error(authOffMessage)
	case cfg.AppID == "":
		log.Warn("MicrosoftAppId is empty: Teams authentication is off, so the service listens on loopback only " +
			"(127.0.0.1 and ::1, enough for Agents Playground). Set MicrosoftAppId to serve Teams, " +
			"or SEGMENTBOT_AUTH=off to listen on every interface without authentication")
	}
	if !cfg.SigningKeySet {
		log.Warn("SEGMENTBOT_SIGNING_KEY is empty: using a random key, so card buttons and download links stop working at restart and across replicas")
	}
	if len(cfg.Admins) == 0 {
		log.Warn("SEGMENTBOT_ADMINS is empty: nobody can run admin commands")
	}
}

// remindAuthOff repeats authOffMessage every period until ctx ends.
func remindAuthOff(ctx context.Context, log *slog.Logger, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			log.Error(authOffMessage)
		}
	}
}

func addrs(lns []net.Listener) []string {
	out := make([]string, len(lns))
	for i, ln := range lns {
		out[i] = ln.Addr().String()
	}
	return out
}
