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
	"strconv"
	"time"

	"github.com/segmentbot/segmentbot/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		log.Fatal("plugin: ", err)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	h, err := newHost(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.close()
	srv := &http.Server{Addr: ":" + strconv.Itoa(cfg.Port), Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Println("echo bot with segmentbot listening on", srv.Addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}
