// Command segmentbot runs the segment bot: `serve` (the default) runs the
// service, `migrate` applies database migrations, `demo` plays a scripted
// conversation against an in-process fake Teams, `manifest` builds the
// Teams app package, `healthcheck` probes a running service, `version`
// prints the build. This is the only place that wires the rooms together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/segmentbot/segmentbot/config"
	"github.com/segmentbot/segmentbot/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "segmentbot:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, getenv)
	case "migrate":
		return migrate(ctx, getenv)
	case "demo":
		return demo(ctx, args, stdout)
	case "manifest":
		return buildManifest(args, stdout)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "version":
		fmt.Fprintln(stdout, "segmentbot", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: segmentbot [serve|migrate|demo|manifest|healthcheck|version]")
		return nil
	}
	return fmt.Errorf("unknown command %q (try serve, migrate, demo, manifest, healthcheck or version)", cmd)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return bi.Main.Version + " " + s.Value
			}
		}
		return bi.Main.Version
	}
	return "unknown"
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func loadConfig(getenv func(string) string) (*config.Config, error) {
	cfg, err := config.Load(getenv)
	var ce *config.Error
	if errors.As(err, &ce) {
		return nil, errors.New(ce.Error())
	}
	return cfg, err
}

func migrate(ctx context.Context, getenv func(string) string) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer db.Close()
	fmt.Println("migrations applied to", redact(cfg.DatabaseURL))
	return nil
}
