package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot/config"
	"github.com/segmentbot/segmentbot/store"
)

// Pauses between tries of an unreachable PostgreSQL.
const (
	firstRetry = 250 * time.Millisecond
	maxRetry   = 5 * time.Second
)

// openDatabase opens cfg.DatabaseURL and applies the migrations. An
// unreachable PostgreSQL (one that starts beside the service) is tried
// again, each try logged, until cfg.DatabaseWait has passed. The error
// names DATABASE_URL or the SQLite file and the cause, password masked.
func openDatabase(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.DB, error) {
	secrets := dbSecrets(cfg.DatabaseURL)
	start, delay := time.Now(), firstRetry
	for try := 1; ; try++ {
		db, err := store.Open(ctx, cfg.DatabaseURL)
		if err == nil {
			if try > 1 {
				log.Info("database reachable", "tries", try, "duration_ms", milliseconds(time.Since(start)))
			}
			return db, nil
		}
		waited := time.Since(start)
		retry := errors.Is(err, store.ErrUnreachable) && ctx.Err() == nil && waited+delay <= cfg.DatabaseWait
		if !retry {
			if errors.Is(err, store.ErrUnreachable) {
				err = fmt.Errorf("gave up after %d tries in %s: %w", try, waited.Round(time.Millisecond), err)
			}
			return nil, scrubError(fmt.Errorf("%s: %w", describeDatabase(cfg.DatabaseURL), err), secrets)
		}
		log.Warn("database unreachable; trying again", "try", try, "retry_in_ms", delay.Milliseconds(),
			"database", redactDSN(cfg.DatabaseURL), "err", scrubError(err, secrets))
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		delay = min(2*delay, maxRetry)
	}
}

// describeDatabase names the database for an error: the SQLite file, or
// DATABASE_URL with its password masked.
func describeDatabase(databaseURL string) string {
	if path, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok {
		return fmt.Sprintf("SQLite database %q (DATABASE_URL)", path)
	}
	return "DATABASE_URL=" + redactDSN(databaseURL)
}

// milliseconds is d for a log's duration_ms, to the microsecond.
func milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
