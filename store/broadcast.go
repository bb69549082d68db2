package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

const broadcastColumns = `id, segment_id, name, scheduled_at, created_by, status, created_at`

// CreateBroadcast stores b as scheduled and fills ID, Status and
// CreatedAt; ENOTFOUND for a missing segment, EINVALID without a segment
// or a time.
func (db *DB) CreateBroadcast(ctx context.Context, b *segmentbot.Broadcast) error {
	if b.SegmentID <= 0 {
		return segmentbot.Errorf(segmentbot.EINVALID, "A broadcast needs a segment.")
	} else if b.ScheduledAt.IsZero() {
		return segmentbot.Errorf(segmentbot.EINVALID, "A broadcast needs a time.")
	}
	b.ScheduledAt = b.ScheduledAt.UTC().Truncate(time.Microsecond)
	b.Status, b.CreatedAt = segmentbot.BroadcastScheduled, db.now()
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		err := tx.SelectContext(ctx, &ids, tx.Rebind(`
			INSERT INTO broadcasts (segment_id, name, scheduled_at, created_by, status, created_at)
			SELECT id, ?, ?, ?, ?, ? FROM segments WHERE id = ?
			RETURNING id`), b.Name, b.ScheduledAt, b.CreatedBy, b.Status, b.CreatedAt, b.SegmentID)
		if err != nil {
			return fmt.Errorf("create broadcast: %w", err)
		} else if len(ids) == 0 {
			return segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no segment %d.", b.SegmentID)
		}
		b.ID = ids[0]
		return nil
	})
}

// FindBroadcastByID returns ENOTFOUND if there is none.
func (db *DB) FindBroadcastByID(ctx context.Context, id int64) (*segmentbot.Broadcast, error) {
	var b segmentbot.Broadcast
	err := db.read.GetContext(ctx, &b, db.read.Rebind(`SELECT `+broadcastColumns+` FROM broadcasts WHERE id = ?`), id)
	if err != nil {
		return nil, notFound(fmt.Errorf("find broadcast %d: %w", id, err), "There is no broadcast %d.", id)
	}
	return &b, nil
}

// FindBroadcasts lists scheduled broadcasts after now, soonest first (all
// of them, newest first, when upcomingOnly is false).
func (db *DB) FindBroadcasts(ctx context.Context, now time.Time, upcomingOnly bool) ([]*segmentbot.Broadcast, error) {
	query, args := `SELECT `+broadcastColumns+` FROM broadcasts ORDER BY id DESC`, []any(nil)
	if upcomingOnly {
		query = `SELECT ` + broadcastColumns + ` FROM broadcasts WHERE status = ? AND scheduled_at > ? ORDER BY scheduled_at, id`
		args = []any{segmentbot.BroadcastScheduled, now.UTC()}
	}
	var list []*segmentbot.Broadcast
	if err := db.read.SelectContext(ctx, &list, db.read.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("find broadcasts: %w", err)
	}
	return list, nil
}

// CancelBroadcast marks it cancelled and returns it; ENOTFOUND.
func (db *DB) CancelBroadcast(ctx context.Context, id int64) (*segmentbot.Broadcast, error) {
	var b segmentbot.Broadcast
	err := db.db.GetContext(ctx, &b, db.db.Rebind(`
		UPDATE broadcasts SET status = ? WHERE id = ? RETURNING `+broadcastColumns),
		segmentbot.BroadcastCancelled, id)
	if err != nil {
		return nil, notFound(fmt.Errorf("cancel broadcast %d: %w", id, err), "There is no broadcast %d.", id)
	}
	return &b, nil
}
