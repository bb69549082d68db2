package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/segmentbot/segmentbot/manifest"
)

func serve(ctx context.Context, getenv func(string) string) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(os.Stderr)
	if cfg.AppID == "" {
		log.Warn("MicrosoftAppId is empty: Teams authentication is OFF; use this only for local development (Agents Playground)")
	}
	if !cfg.SigningKeySet {
		log.Warn("SEGMENTBOT_SIGNING_KEY is empty: using a random key, so card buttons and download links stop working at restart and across replicas")
	}
	if len(cfg.Admins) == 0 {
		log.Warn("SEGMENTBOT_ADMINS is empty: nobody can run admin commands")
	}
	a, err := newApp(ctx, cfg, log, nil, time.Now)
	if err != nil {
		return err
	}
	a.start()
	srv := &http.Server{
		Addr:              ":" + strconv.Itoa(cfg.Port),
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // CSV uploads
		WriteTimeout:      5 * time.Minute, // member lists stream
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		a.stop(context.Background())
		return fmt.Errorf("PORT %d: %w", cfg.Port, err)
	}
	log.Info("segmentbot listening", "addr", ln.Addr().String(), "database", redact(cfg.DatabaseURL),
		"teams_auth", cfg.AppID != "", "workplace", cfg.WorkplaceEnabled(), "rest_api", len(cfg.APIKeys) > 0)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		a.stop(context.Background())
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	a.stop(shutdownCtx)
	return nil
}

// healthcheck probes /healthz of the service on PORT (the Docker image's
// HEALTHCHECK).
func healthcheck(ctx context.Context, getenv func(string) string) error {
	port := getenv("PORT")
	if port == "" {
		port = "3978"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: status %d", resp.StatusCode)
	}
	return nil
}

// buildManifest writes the Teams app package.
func buildManifest(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("manifest", flag.ContinueOnError)
	opts := manifest.Options{}
	fs.StringVar(&opts.AppID, "app-id", "", "the bot's Microsoft App ID (required)")
	fs.StringVar(&opts.Name, "name", "segmentbot", "the app's name in Teams")
	fs.StringVar(&opts.PublicURL, "public-url", "", "the service's public https URL")
	fs.StringVar(&opts.Version, "version", "1.0.0", "the package version")
	out := fs.String("out", "app.zip", "where to write the package")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if opts.AppID == "" {
		return errors.New("manifest: --app-id is required")
	}
	zip, err := manifest.Build(opts)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := os.WriteFile(*out, zip, 0o644); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	fmt.Fprintln(stdout, "wrote", *out)
	return nil
}
