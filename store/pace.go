package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// TakeSendSlots reserves n consecutive send slots, every apart, on the
// pace of key, shared by every replica through its row in send_pace: the
// first slot is the row's next free slot or now, whichever is later, and
// the row moves past the last one. It returns the first slot's time.
func (db *DB) TakeSendSlots(ctx context.Context, key string, every time.Duration, n int) (time.Time, error) {
	if n <= 0 || every < 0 {
		return time.Time{}, segmentbot.Errorf(segmentbot.EINVALID, "Send slots: %d slots every %v is not a reservation.", n, every)
	}
	var first time.Time
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		now := db.now()
		next, err := lockPace(ctx, tx, key, now)
		if err != nil {
			return err
		}
		first = later(next, now)
		return setPace(ctx, tx, key, first.Add(time.Duration(n)*every))
	})
	return first, err
}

// HoldSending moves the pace of key to until, unless it is later already.
func (db *DB) HoldSending(ctx context.Context, key string, until time.Time) error {
	until = until.UTC().Truncate(time.Microsecond)
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		next, err := lockPace(ctx, tx, key, until)
		if err != nil || !next.Before(until) {
			return err
		}
		return setPace(ctx, tx, key, until)
	})
}

// lockPace returns the next free slot of key, creating the row at start
// if there is none, and holds the row until commit (the upsert locks it on
// PostgreSQL; SQLite runs one writer at a time).
func lockPace(ctx context.Context, tx *sqlx.Tx, key string, start time.Time) (time.Time, error) {
	var next time.Time
	err := tx.GetContext(ctx, &next, tx.Rebind(`
		INSERT INTO send_pace (key, next_at) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET key = excluded.key
		RETURNING next_at`), key, start)
	if err != nil {
		return next, fmt.Errorf("send pace %q: %w", key, err)
	}
	return next.UTC(), nil
}

func setPace(ctx context.Context, tx *sqlx.Tx, key string, next time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE send_pace SET next_at = ? WHERE key = ?`), next.UTC(), key); err != nil {
		return fmt.Errorf("send pace %q: %w", key, err)
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
