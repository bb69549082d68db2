package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// queueChunk is how many events one INSERT stores (6 parameters each,
// well under SQLite's limit).
const queueChunk = 500

// EnqueueEvents stores the events not queued yet and not processed yet
// (processed_activities), in one transaction, claimed by the caller until
// lease ends, and returns the new ones: a redelivered batch stores nothing.
func (db *DB) EnqueueEvents(ctx context.Context, channel string, events []segmentbot.QueuedEvent, lease time.Duration) ([]segmentbot.QueuedEvent, error) {
	now := db.now()
	var stored []segmentbot.QueuedEvent
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		for start := 0; start < len(events); start += queueChunk {
			chunk, err := unprocessed(ctx, tx, channel, events[start:min(start+queueChunk, len(events))])
			if err != nil || len(chunk) == 0 {
				return err
			}
			args := make([]any, 0, 6*len(chunk))
			for _, e := range chunk {
				args = append(args, channel, e.Key, e.Body, now.Add(lease), now, 1)
			}
			var rows []segmentbot.QueuedEvent
			if err := tx.SelectContext(ctx, &rows, tx.Rebind(`
				INSERT INTO event_queue (channel, event_key, body, claimed_until, created_at, attempts)
				VALUES `+valuesRows(len(chunk), 6)+`
				ON CONFLICT (channel, event_key) DO NOTHING
				RETURNING id, event_key, body, attempts`), args...); err != nil {
				return fmt.Errorf("queue %d %s events: %w", len(chunk), channel, err)
			}
			slices.SortFunc(rows, func(a, b segmentbot.QueuedEvent) int { return cmp.Compare(a.ID, b.ID) })
			stored = append(stored, rows...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

// unprocessed drops the events processed_activities knows already.
func unprocessed(ctx context.Context, tx *sqlx.Tx, channel string, events []segmentbot.QueuedEvent) ([]segmentbot.QueuedEvent, error) {
	keys := make([]string, len(events))
	for i, e := range events {
		keys[i] = e.Key
	}
	q, args, err := sqlx.In(`SELECT id FROM processed_activities WHERE channel = ? AND id IN (?)`, channel, keys)
	if err != nil {
		return nil, err
	}
	var seen []string
	if err := tx.SelectContext(ctx, &seen, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("find processed %s events: %w", channel, err)
	}
	if len(seen) == 0 {
		return events, nil
	}
	return slices.DeleteFunc(slices.Clone(events), func(e segmentbot.QueuedEvent) bool { return slices.Contains(seen, e.Key) }), nil
}

// ClaimEvents leases up to n events nobody holds, oldest first.
func (db *DB) ClaimEvents(ctx context.Context, channel string, n int, lease time.Duration) ([]segmentbot.QueuedEvent, error) {
	now := db.now()
	var events []segmentbot.QueuedEvent
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`
			SELECT id FROM event_queue
			WHERE channel = ? AND (claimed_until IS NULL OR claimed_until < ?)
			ORDER BY id LIMIT ?`+db.dialect.claimRows), channel, now, n); err != nil {
			return fmt.Errorf("find queued %s events: %w", channel, err)
		}
		if len(ids) == 0 {
			return nil
		}
		q, args, err := sqlx.In(`
			UPDATE event_queue SET claimed_until = ?, attempts = attempts + 1 WHERE id IN (?)
			RETURNING id, event_key, body, attempts`, now.Add(lease), ids)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &events, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("claim %d queued %s events: %w", len(ids), channel, err)
		}
		return nil
	})
	return events, err
}

// ReleaseEvents makes the events claimable again from retryAt.
func (db *DB) ReleaseEvents(ctx context.Context, ids []int64, retryAt time.Time) error {
	for start := 0; start < len(ids); start += queueChunk {
		q, args, err := sqlx.In(`UPDATE event_queue SET claimed_until = ? WHERE id IN (?)`, retryAt.UTC(), ids[start:min(start+queueChunk, len(ids))])
		if err != nil {
			return err
		}
		if _, err := db.db.ExecContext(ctx, db.db.Rebind(q), args...); err != nil {
			return fmt.Errorf("release %d queued events: %w", len(ids), err)
		}
	}
	return nil
}

// DeleteEvent removes a handled event.
func (db *DB) DeleteEvent(ctx context.Context, id int64) error {
	if _, err := db.db.ExecContext(ctx, db.db.Rebind(`DELETE FROM event_queue WHERE id = ?`), id); err != nil {
		return fmt.Errorf("delete queued event %d: %w", id, err)
	}
	return nil
}
