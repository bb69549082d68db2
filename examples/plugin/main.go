// Command plugin is an existing Teams bot, built on msbotbuilder-go, that
// adds segmentbot as a plugin: every activity is offered to segmentbot's
// bot package first (opt-in buttons, unsubscribe keywords, "my segments",
// admin commands, CSV files) and everything else stays with the host, which
// here simply echoes.
//
// It is documentation: short, and wired by hand so each step shows. It
// must not grow features of its own; the service is cmd/segmentbot.
//
// Run it with the same environment as segmentbot (MicrosoftAppId,
// MicrosoftAppPassword, MicrosoftAppTenantId, DATABASE_URL,
// SEGMENTBOT_ADMINS, SEGMENTBOT_SIGNING_KEY, PORT).
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/segmentbot/segmentbot/config"
	"github.com/segmentbot/segmentbot/handlers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		log.Fatal("plugin: ", err)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.LoadEnviron(os.Environ())
	if err != nil {
		return err
	}
	h, err := newHost(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.close()
	// Without MicrosoftAppId, Teams authentication is off: loopback only,
	// as for segmentbot itself (SEGMENTBOT_AUTH=off to override).
	lns, err := handlers.Listen(cfg.Port, cfg.LoopbackOnly())
	if err != nil {
		return err
	}
	for _, ln := range lns {
		fmt.Println("echo bot with segmentbot listening on", ln.Addr())
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return handlers.Serve(ctx, srv, 10*time.Second, lns...)
}
