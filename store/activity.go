package store

import (
	"context"
	"fmt"
	"time"
)

// Activity claim states. A released claim is deleted, so the channel's
// retry can claim the id afresh.
const (
	activityStarted = "started"
	activityDone    = "done"
)

// Both statements run on every activity, so they are prepared once: one
// round trip each.

// BeginActivity claims an activity id. It returns false when the id was
// processed already or is being processed now; a claim older than stale
// whose processing never finished is taken over.
func (db *DB) BeginActivity(ctx context.Context, channel, id string, stale time.Duration) (bool, error) {
	now := db.now()
	stmt, err := db.prepared(ctx, db.db.Rebind(`
		INSERT INTO processed_activities (channel, id, state, started_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (channel, id) DO UPDATE SET started_at = excluded.started_at
		WHERE processed_activities.state = ? AND processed_activities.started_at < ?`))
	if err != nil {
		return false, err
	}
	res, err := stmt.ExecContext(ctx, channel, id, activityStarted, now, activityStarted, now.Add(-stale))
	if err != nil {
		return false, fmt.Errorf("begin activity %s/%s: %w", channel, id, err)
	}
	return changed(res)
}

// FinishActivity marks it processed (ok) or releases the claim so the
// channel's retry runs again (!ok).
func (db *DB) FinishActivity(ctx context.Context, channel, id string, ok bool) error {
	query := `UPDATE processed_activities SET state = '` + activityDone + `' WHERE channel = ? AND id = ?`
	if !ok {
		query = `DELETE FROM processed_activities WHERE channel = ? AND id = ? AND state <> '` + activityDone + `'`
	}
	stmt, err := db.prepared(ctx, db.db.Rebind(query))
	if err != nil {
		return err
	}
	if _, err := stmt.ExecContext(ctx, channel, id); err != nil {
		return fmt.Errorf("finish activity %s/%s: %w", channel, id, err)
	}
	return nil
}
