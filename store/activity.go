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

// activityPage is how many processed activities DeleteActivitiesBefore
// deletes per statement, so a first clean-up of a large table holds no
// long lock and no huge transaction.
const activityPage = 10000

// DeleteActivitiesBefore forgets the activities claimed before t, a page
// at a time, and returns how many.
func (db *DB) DeleteActivitiesBefore(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	for {
		res, err := db.db.ExecContext(ctx, db.db.Rebind(`
			DELETE FROM processed_activities WHERE (channel, id) IN (
				SELECT channel, id FROM processed_activities WHERE started_at < ? LIMIT ?)`), t.UTC(), activityPage)
		if err != nil {
			return total, fmt.Errorf("delete activities before %s: %w", t.Format(time.RFC3339), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("delete activities before %s: %w", t.Format(time.RFC3339), err)
		}
		total += n
		if n < activityPage {
			return total, nil
		}
	}
}
