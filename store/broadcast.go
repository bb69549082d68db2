package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

const broadcastColumns = `id, segment_id, name, scheduled_at, created_by, status, created_at,
	message, filter, audience, started_at, finished_at, progress_msg`

// broadcastRow is a broadcast as stored: message and filter are JSON, the
// audience is NULL until fixed.
type broadcastRow struct {
	ID          int64          `db:"id"`
	SegmentID   int64          `db:"segment_id"`
	Name        string         `db:"name"`
	ScheduledAt time.Time      `db:"scheduled_at"`
	CreatedBy   int64          `db:"created_by"`
	Status      string         `db:"status"`
	CreatedAt   time.Time      `db:"created_at"`
	Message     sql.NullString `db:"message"`
	Filter      sql.NullString `db:"filter"`
	Audience    sql.NullInt64  `db:"audience"`
	StartedAt   *time.Time     `db:"started_at"`
	FinishedAt  *time.Time     `db:"finished_at"`
	ProgressMsg string         `db:"progress_msg"`
}

func (r *broadcastRow) decode() (*segmentbot.Broadcast, error) {
	b := &segmentbot.Broadcast{
		ID: r.ID, SegmentID: r.SegmentID, Name: r.Name, ScheduledAt: r.ScheduledAt, CreatedBy: r.CreatedBy,
		Status: r.Status, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		ProgressMessage: r.ProgressMsg,
	}
	b.Audience, b.Pending = r.Audience.Int64, r.Audience.Int64
	b.FailedByReason = map[string]int64{}
	if r.Message.Valid {
		b.Message = new(segmentbot.BroadcastMessage)
		if err := json.Unmarshal([]byte(r.Message.String), b.Message); err != nil {
			return nil, fmt.Errorf("broadcast %d: message: %w", r.ID, err)
		}
	}
	if r.Filter.Valid {
		b.Filter = new(segmentbot.Filter)
		if err := json.Unmarshal([]byte(r.Filter.String), b.Filter); err != nil {
			return nil, fmt.Errorf("broadcast %d: filter: %w", r.ID, err)
		}
	}
	return b, nil
}

// selectBroadcasts runs query (which selects broadcastColumns) and decodes
// the rows, without counts.
func selectBroadcasts(ctx context.Context, q queryer, query string, args ...any) ([]*segmentbot.Broadcast, error) {
	var rows []broadcastRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(query), args...); err != nil {
		return nil, err
	}
	list := make([]*segmentbot.Broadcast, len(rows))
	for i := range rows {
		b, err := rows[i].decode()
		if err != nil {
			return nil, err
		}
		list[i] = b
	}
	return list, nil
}

// getBroadcast is selectBroadcasts for one row; ENOTFOUND if there is none.
func getBroadcast(ctx context.Context, q queryer, id int64, query string, args ...any) (*segmentbot.Broadcast, error) {
	list, err := selectBroadcasts(ctx, q, query, args...)
	if err != nil {
		return nil, fmt.Errorf("broadcast %d: %w", id, err)
	} else if len(list) == 0 {
		return nil, segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no broadcast %d.", id)
	}
	return list[0], nil
}

// CreateBroadcast stores b as scheduled, with its message and filter, and
// fills ID, Status and CreatedAt; ENOTFOUND for a missing segment,
// EINVALID without a segment or a time, for an empty message, or for a
// filter that is not valid (segmentbot.Filter.Validate); the filter is
// stored normalised (segmentbot.Filter.Normalize).
func (db *DB) CreateBroadcast(ctx context.Context, b *segmentbot.Broadcast) error {
	if b.SegmentID <= 0 {
		return segmentbot.Errorf(segmentbot.EINVALID, "A broadcast needs a segment.")
	} else if b.ScheduledAt.IsZero() {
		return segmentbot.Errorf(segmentbot.EINVALID, "A broadcast needs a time.")
	}
	var message, filter sql.NullString
	if m := b.Message; m != nil {
		if m.Text == "" && m.Title == "" && len(m.Card) == 0 {
			return segmentbot.Errorf(segmentbot.EINVALID, "A broadcast message needs a text, a title or a card.")
		}
		data, err := json.Marshal(m)
		if err != nil {
			return segmentbot.Errorf(segmentbot.EINVALID, "The broadcast message cannot be stored: %v", err)
		}
		message = sql.NullString{String: string(data), Valid: true}
	}
	if b.Filter != nil {
		if _, _, err := db.dialect.audienceFilter(b.Filter); err != nil {
			return err
		}
		b.Filter = b.Filter.Normalize()
		data, err := json.Marshal(b.Filter)
		if err != nil {
			return segmentbot.Errorf(segmentbot.EINVALID, "The filter cannot be stored: %v", err)
		}
		filter = sql.NullString{String: string(data), Valid: true}
	}
	b.ScheduledAt = b.ScheduledAt.UTC().Truncate(time.Microsecond)
	b.Status, b.CreatedAt = segmentbot.BroadcastScheduled, db.now()
	b.FailedByReason = map[string]int64{}
	var ids []int64
	err := db.db.SelectContext(ctx, &ids, db.db.Rebind(`
		INSERT INTO broadcasts (segment_id, name, scheduled_at, created_by, status, created_at, message, filter)
		SELECT id, ?, ?, ?, ?, ?, ?, ? FROM segments WHERE id = ?
		RETURNING id`), b.Name, b.ScheduledAt, b.CreatedBy, b.Status, b.CreatedAt, message, filter, b.SegmentID)
	if err != nil {
		return fmt.Errorf("create broadcast: %w", err)
	} else if len(ids) == 0 {
		return segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no segment %d.", b.SegmentID)
	}
	b.ID = ids[0]
	return nil
}

// FindBroadcastByID returns the broadcast with its counts; ENOTFOUND if
// there is none.
func (db *DB) FindBroadcastByID(ctx context.Context, id int64) (*segmentbot.Broadcast, error) {
	b, err := getBroadcast(ctx, db.read, id, `SELECT `+broadcastColumns+` FROM broadcasts WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	return b, db.fillCounts(ctx, db.read, b)
}

// FindBroadcasts lists scheduled broadcasts after now, soonest first (all
// of them, newest first, when upcomingOnly is false), with their counts.
func (db *DB) FindBroadcasts(ctx context.Context, now time.Time, upcomingOnly bool) ([]*segmentbot.Broadcast, error) {
	query, args := `SELECT `+broadcastColumns+` FROM broadcasts ORDER BY id DESC`, []any(nil)
	if upcomingOnly {
		query = `SELECT ` + broadcastColumns + ` FROM broadcasts WHERE status = ? AND scheduled_at > ? ORDER BY scheduled_at, id`
		args = []any{segmentbot.BroadcastScheduled, now.UTC()}
	}
	list, err := selectBroadcasts(ctx, db.read, query, args...)
	if err != nil {
		return nil, fmt.Errorf("find broadcasts: %w", err)
	}
	return list, db.fillCounts(ctx, db.read, list...)
}

// CancelBroadcast marks a scheduled or sending broadcast cancelled and
// returns it; one cancelled already is returned as it is. ENOTFOUND, and
// ECONFLICT for a finished one.
func (db *DB) CancelBroadcast(ctx context.Context, id int64) (*segmentbot.Broadcast, error) {
	b, err := db.changeBroadcast(ctx, id, func(tx *sqlx.Tx, b *segmentbot.Broadcast) error {
		switch b.Status {
		case segmentbot.BroadcastCancelled:
			return nil
		case segmentbot.BroadcastScheduled, segmentbot.BroadcastSending:
		default:
			return segmentbot.Errorf(segmentbot.ECONFLICT, "Broadcast %d is %s already and cannot be cancelled.", id, b.Status)
		}
		b.Status = segmentbot.BroadcastCancelled
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE broadcasts SET status = ? WHERE id = ?`), b.Status, id); err != nil {
			return fmt.Errorf("cancel broadcast %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, db.fillCounts(ctx, db.db, b)
}

// changeBroadcast runs fn in a transaction with broadcast id locked and
// loaded, and returns the broadcast as fn left it. ENOTFOUND.
func (db *DB) changeBroadcast(ctx context.Context, id int64, fn func(tx *sqlx.Tx, b *segmentbot.Broadcast) error) (*segmentbot.Broadcast, error) {
	var b *segmentbot.Broadcast
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		b, err = getBroadcast(ctx, tx, id, `SELECT `+broadcastColumns+` FROM broadcasts WHERE id = ?`+db.dialect.lockRow, id)
		if err != nil {
			return err
		}
		return fn(tx, b)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// deliveryCount is one counter of delivery_counts.
type deliveryCount struct {
	BroadcastID int64  `db:"broadcast_id"`
	Status      string `db:"status"`
	Reason      string `db:"reason"`
	N           int64  `db:"n"`
}

// fillCounts sets the counts of each broadcast from its counters (a few
// rows each, whatever the audience): pending is the audience less the
// rows counted.
func (db *DB) fillCounts(ctx context.Context, q queryer, list ...*segmentbot.Broadcast) error {
	byID := map[int64]*segmentbot.Broadcast{}
	var ids []int64
	for _, b := range list {
		if b.Audience > 0 {
			byID[b.ID] = b
			ids = append(ids, b.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	query, args, err := sqlx.In(`SELECT broadcast_id, status, reason, n FROM delivery_counts WHERE broadcast_id IN (?)`, ids)
	if err != nil {
		return fmt.Errorf("broadcast counts: %w", err)
	}
	var counts []deliveryCount
	if err := sqlx.SelectContext(ctx, q, &counts, q.Rebind(query), args...); err != nil {
		return fmt.Errorf("broadcast counts: %w", err)
	}
	for _, c := range counts {
		b := byID[c.BroadcastID]
		switch c.Status {
		case segmentbot.DeliverySent:
			b.Sent += c.N
		case segmentbot.DeliveryFailed:
			b.Failed += c.N
			b.FailedByReason[c.Reason] += c.N
		case segmentbot.DeliverySkipped:
			b.Skipped += c.N
		}
		b.Pending -= c.N
	}
	return nil
}
