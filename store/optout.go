package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// A user who typed unsubscribe has a row in global_opt_outs until they
// tap Resubscribe. Every path by which an admin puts people into a
// segment checks it: Join for sources not segmentbot.ByUser (here and in
// the PostgreSQL function membership_join), and the set-based import
// apply (decideSQL), which reports such rows skipped_opted_out. A query
// that picks users for a segment by rule must leave them out too, with
// NotOptedOut.

// NotOptedOut is a SQL condition on a user id column (e.g. "u.id"): the
// user has not opted out of everything.
func NotOptedOut(userIDColumn string) string {
	return "NOT EXISTS (SELECT 1 FROM global_opt_outs g WHERE g.user_id = " + userIDColumn + ")"
}

// refuseOptedOut returns ErrOptedOut when userID opted out of the segment
// or of everything.
func refuseOptedOut(ctx context.Context, tx *sqlx.Tx, segmentID, userID int64) error {
	var out []int
	err := tx.SelectContext(ctx, &out, tx.Rebind(`
		SELECT 1 FROM global_opt_outs WHERE user_id = ?
		UNION ALL SELECT 1 FROM opt_outs WHERE segment_id = ? AND user_id = ?`), userID, segmentID, userID)
	if err != nil {
		return fmt.Errorf("check opt-outs of user %d: %w", userID, err)
	} else if len(out) > 0 {
		return segmentbot.ErrOptedOut
	}
	return nil
}

// IsUnsubscribed reports whether userID opted out of everything.
func (db *DB) IsUnsubscribed(ctx context.Context, userID int64) (bool, error) {
	return db.exists(ctx, `SELECT 1 FROM global_opt_outs WHERE user_id = ?`, userID)
}

// Resubscribe lifts userID's global opt-out and joins the segments of
// segmentIDs that still exist, with source resubscribe and a join event
// each, in one transaction. It returns those segments and how many the
// user was not in before. ENOTFOUND for a missing user.
func (db *DB) Resubscribe(ctx context.Context, userID int64, segmentIDs []int64) ([]*segmentbot.Segment, int, error) {
	var segs []*segmentbot.Segment
	joined := 0
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.lockMembership(ctx, tx, 0, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM global_opt_outs WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("lift global opt-out of user %d: %w", userID, err)
		}
		now := db.now()
		for _, id := range segmentIDs {
			var ids []int64
			if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT id FROM segments WHERE id = ?`+db.dialect.keepRow), id); err != nil {
				return fmt.Errorf("find segment %d: %w", id, err)
			} else if len(ids) == 0 {
				continue // deleted since the user left it
			}
			found, err := findSegments(ctx, tx, "s.id = ?", id)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM opt_outs WHERE segment_id = ? AND user_id = ?`), id, userID); err != nil {
				return fmt.Errorf("clear opt-out: %w", err)
			}
			res, err := tx.ExecContext(ctx, tx.Rebind(`
				INSERT INTO memberships (segment_id, user_id, source, joined_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (segment_id, user_id) DO NOTHING`), id, userID, segmentbot.SourceResubscribe, now)
			if err != nil {
				return fmt.Errorf("rejoin segment %d: %w", id, err)
			}
			if fresh, err := changed(res); err != nil {
				return err
			} else if fresh {
				joined++
			}
			if err := logEvent(ctx, tx, id, userID, segmentbot.ActionJoin, segmentbot.SourceResubscribe, userID, now); err != nil {
				return err
			}
			segs = append(segs, found[0])
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return segs, joined, nil
}
