package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

const draftColumns = `id, segment_id, name, scheduled_at, message, filter, created_by, created_at, state, broadcast_id`

// draftRow is a broadcast_drafts row with its JSON columns as text.
type draftRow struct {
	segmentbot.BroadcastDraft
	MessageJSON string `db:"message"`
	FilterJSON  string `db:"filter"`
}

func (r *draftRow) draft() (*segmentbot.BroadcastDraft, error) {
	d := r.BroadcastDraft
	if err := json.Unmarshal([]byte(r.MessageJSON), &d.Message); err != nil {
		return nil, fmt.Errorf("draft %d: message: %w", d.ID, err)
	}
	if r.FilterJSON != "" {
		d.Filter = &segmentbot.Filter{}
		if err := json.Unmarshal([]byte(r.FilterJSON), d.Filter); err != nil {
			return nil, fmt.Errorf("draft %d: filter: %w", d.ID, err)
		}
	}
	if d.ScheduledAt != nil {
		at := d.ScheduledAt.UTC()
		d.ScheduledAt = &at
	}
	return &d, nil
}

// CreateDraft stores d as open and fills ID, State and CreatedAt.
func (db *DB) CreateDraft(ctx context.Context, d *segmentbot.BroadcastDraft) error {
	msg, err := json.Marshal(d.Message)
	if err != nil {
		return fmt.Errorf("create draft: message: %w", err)
	}
	filter := ""
	if d.Filter != nil {
		b, err := json.Marshal(d.Filter)
		if err != nil {
			return fmt.Errorf("create draft: filter: %w", err)
		}
		filter = string(b)
	}
	var at *time.Time
	if d.ScheduledAt != nil {
		t := d.ScheduledAt.UTC().Truncate(time.Microsecond)
		at = &t
	}
	d.State, d.CreatedAt, d.ScheduledAt = segmentbot.DraftOpen, db.now(), at
	err = db.db.GetContext(ctx, &d.ID, db.db.Rebind(`
		INSERT INTO broadcast_drafts (segment_id, name, scheduled_at, message, filter, created_by, created_at, state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		d.SegmentID, d.Name, at, string(msg), filter, d.CreatedBy, d.CreatedAt, d.State)
	if err != nil {
		return fmt.Errorf("create draft: %w", err)
	}
	return nil
}

// FindDraftByID returns ENOTFOUND if there is none.
func (db *DB) FindDraftByID(ctx context.Context, id int64) (*segmentbot.BroadcastDraft, error) {
	return findDraft(ctx, db.read, id, "")
}

// findDraft reads draft id through q, with lock appended to the SELECT.
func findDraft(ctx context.Context, q queryer, id int64, lock string) (*segmentbot.BroadcastDraft, error) {
	var r draftRow
	err := sqlx.GetContext(ctx, q, &r, q.Rebind(`SELECT `+draftColumns+` FROM broadcast_drafts WHERE id = ?`+lock), id)
	if err != nil {
		return nil, notFound(fmt.Errorf("find draft %d: %w", id, err), "There is no preview %d; write the broadcast again.", id)
	}
	return r.draft()
}

// ConfirmDraft turns an open draft into a scheduled broadcast in one
// transaction. The draft's row is locked first (SQLite's transactions are
// serialised already), so of two taps racing one creates the broadcast
// and the other finds the draft confirmed.
func (db *DB) ConfirmDraft(ctx context.Context, id int64, at time.Time, by int64) (*segmentbot.Broadcast, bool, error) {
	var b *segmentbot.Broadcast
	created := false
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		d, err := findDraft(ctx, tx, id, db.dialect.lockRow)
		if err != nil {
			return err
		}
		switch d.State {
		case segmentbot.DraftDiscarded:
			return nil
		case segmentbot.DraftConfirmed:
			b = &segmentbot.Broadcast{ID: d.BroadcastID}
			return nil
		}
		b = &segmentbot.Broadcast{SegmentID: d.SegmentID, Name: d.Name, ScheduledAt: at, CreatedBy: by, Message: &d.Message, Filter: d.Filter}
		if err := db.insertDraftBroadcast(ctx, tx, id, b); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE broadcast_drafts SET state = ?, broadcast_id = ? WHERE id = ?`),
			segmentbot.DraftConfirmed, b.ID, id); err != nil {
			return fmt.Errorf("confirm draft %d: %w", id, err)
		}
		created = true
		return nil
	})
	if err != nil || b == nil || created {
		return b, created, err
	}
	b, err = db.FindBroadcastByID(ctx, b.ID)
	return b, false, err
}

// DiscardDraft marks an open draft discarded and reports whether it was
// open; the draft is returned either way.
func (db *DB) DiscardDraft(ctx context.Context, id int64) (*segmentbot.BroadcastDraft, bool, error) {
	var d *segmentbot.BroadcastDraft
	discarded := false
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if d, err = findDraft(ctx, tx, id, db.dialect.lockRow); err != nil || d.State != segmentbot.DraftOpen {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE broadcast_drafts SET state = ? WHERE id = ?`), segmentbot.DraftDiscarded, id); err != nil {
			return fmt.Errorf("discard draft %d: %w", id, err)
		}
		d.State, discarded = segmentbot.DraftDiscarded, true
		return nil
	})
	return d, discarded, err
}

// DeleteDraftsBefore removes the previews written before t, whatever
// became of them (their broadcasts keep their own copy of the message),
// and returns how many.
func (db *DB) DeleteDraftsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.db.ExecContext(ctx, db.db.Rebind(`DELETE FROM broadcast_drafts WHERE created_at < ?`), t.UTC())
	if err != nil {
		return 0, fmt.Errorf("delete drafts before %s: %w", t.Format(time.RFC3339), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete drafts before %s: %w", t.Format(time.RFC3339), err)
	}
	return n, nil
}

// CountRecipients counts the members of a segment who have not opted out.
func (db *DB) CountRecipients(ctx context.Context, segmentID int64) (int64, error) {
	var n int64
	err := db.read.GetContext(ctx, &n, db.read.Rebind(`
		SELECT COUNT(*) FROM memberships m
		WHERE m.segment_id = ? AND NOT EXISTS (
			SELECT 1 FROM opt_outs o WHERE o.segment_id = m.segment_id AND o.user_id = m.user_id)`), segmentID)
	if err != nil {
		return 0, fmt.Errorf("count recipients of segment %d: %w", segmentID, err)
	}
	return n, nil
}

// insertDraftBroadcast stores draft id as the scheduled broadcast b
// inside tx, copying its message and filter as stored; ENOTFOUND when its
// segment is gone.
func (db *DB) insertDraftBroadcast(ctx context.Context, tx *sqlx.Tx, id int64, b *segmentbot.Broadcast) error {
	b.ScheduledAt = b.ScheduledAt.UTC().Truncate(time.Microsecond)
	b.Status, b.CreatedAt, b.FailedByReason = segmentbot.BroadcastScheduled, db.now(), map[string]int64{}
	var ids []int64
	err := tx.SelectContext(ctx, &ids, tx.Rebind(`
		INSERT INTO broadcasts (segment_id, name, scheduled_at, created_by, status, created_at, message, filter)
		SELECT d.segment_id, d.name, ?, ?, ?, ?, d.message, NULLIF(d.filter, '')
		FROM broadcast_drafts d JOIN segments s ON s.id = d.segment_id WHERE d.id = ?
		RETURNING id`), b.ScheduledAt, b.CreatedBy, b.Status, b.CreatedAt, id)
	if err != nil {
		return fmt.Errorf("create broadcast from draft %d: %w", id, err)
	} else if len(ids) == 0 {
		return segmentbot.Errorf(segmentbot.ENOTFOUND, "The segment of this broadcast was deleted.")
	}
	b.ID = ids[0]
	return nil
}
