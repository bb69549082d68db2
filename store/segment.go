package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// segmentRow is a segment as the listing query returns it.
type segmentRow struct {
	segmentbot.Segment
	LastImportID     int64          `db:"last_import_id"`
	LastImportStatus string         `db:"last_import_status"`
	FilterJSON       sql.NullString `db:"filter_json"`
}

const selectSegments = `
SELECT s.id, s.name, s.description, s.reply, s.created_at, s.visibility, s.filter AS filter_json,
	(SELECT count(*) FROM memberships m WHERE m.segment_id = s.id) AS members,
	COALESCE((SELECT i.id FROM imports i WHERE i.segment_id = s.id ORDER BY i.id DESC LIMIT 1), 0) AS last_import_id,
	COALESCE((SELECT i.status FROM imports i WHERE i.segment_id = s.id ORDER BY i.id DESC LIMIT 1), '') AS last_import_status
FROM segments s`

// CreateSegment stores seg and fills its ID and CreatedAt; an empty
// Visibility becomes invite. A seg with a Filter is a rule segment: the
// filter is stored normalised and the users who match it join in the same
// transaction (see syncRule), Members set to their number. EINVALID for
// a bad name, description, reply (segmentbot.ValidateName, CleanText),
// visibility or filter (segmentbot.Filter.Validate), ECONFLICT for a
// taken name or one that looks like a taken one.
func (db *DB) CreateSegment(ctx context.Context, seg *segmentbot.Segment) error {
	if err := cleanSegment(seg); err != nil {
		return err
	}
	if seg.Visibility == "" {
		seg.Visibility = segmentbot.VisibilityInvite
	} else if err := checkVisibility(seg.Visibility); err != nil {
		return err
	}
	filter, err := ruleJSON(seg)
	if err != nil {
		return err
	}
	seg.CreatedAt = db.now()
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &seg.ID, tx.Rebind(`
			INSERT INTO segments (name, name_key, name_skeleton, description, reply, created_at, visibility, filter)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`),
			seg.Name, nameKey(seg.Name), nameSkeleton(seg.Name), seg.Description, seg.Reply, seg.CreatedAt, seg.Visibility, filter); err != nil {
			return err
		}
		if seg.Filter != nil {
			change, err := db.syncRule(ctx, tx, seg.ID, seg.Filter)
			if err != nil {
				return err
			}
			seg.Members = change.Joined
		}
		return recordResource(ctx, tx, seg.ID)
	})
	if db.dialect.isUniqueViolation(err) {
		return db.nameTaken(ctx, seg.Name, 0)
	} else if err != nil {
		return fmt.Errorf("create segment: %w", err)
	}
	return nil
}

// cleanSegment validates and normalises what people will see of seg.
func cleanSegment(seg *segmentbot.Segment) error {
	var err error
	if seg.Name, err = segmentbot.ValidateName("segment name", seg.Name); err != nil {
		return err
	}
	if seg.Description, err = segmentbot.CleanText("description", seg.Description, segmentbot.MaxDescription); err != nil {
		return err
	}
	seg.Reply, err = segmentbot.CleanText("reply", seg.Reply, segmentbot.MaxReply)
	return err
}

// FindSegmentByID returns ENOTFOUND if there is none.
func (db *DB) FindSegmentByID(ctx context.Context, id int64) (*segmentbot.Segment, error) {
	return findSegment(ctx, db.read, "s.id = ?", id, "There is no segment %d.", id)
}

// FindSegmentByName matches case-insensitively; ENOTFOUND if none.
func (db *DB) FindSegmentByName(ctx context.Context, name string) (*segmentbot.Segment, error) {
	return findSegment(ctx, db.read, "s.name_key = ?", nameKey(name), "There is no segment named %q.", strings.TrimSpace(name))
}

// FindSegments lists segments by id, with member counts and last import.
func (db *DB) FindSegments(ctx context.Context, p segmentbot.Page) ([]*segmentbot.Segment, error) {
	return findSegments(ctx, db.read, "s.id > ? ORDER BY s.id LIMIT ?", p.After, pageLimit(p.Limit))
}

// FindOpenSegments lists open segments by id after p.After, and counts
// every open segment.
func (db *DB) FindOpenSegments(ctx context.Context, p segmentbot.Page) ([]*segmentbot.Segment, int64, error) {
	segs, err := findSegments(ctx, db.read, "s.visibility = ? AND s.id > ? ORDER BY s.id LIMIT ?",
		segmentbot.VisibilityOpen, p.After, pageLimit(p.Limit))
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := db.read.GetContext(ctx, &total, db.read.Rebind(`SELECT count(*) FROM segments WHERE visibility = ?`),
		segmentbot.VisibilityOpen); err != nil {
		return nil, 0, fmt.Errorf("count open segments: %w", err)
	}
	return segs, total, nil
}

// SegmentsOfUser lists the segments userID belongs to, by id.
func (db *DB) SegmentsOfUser(ctx context.Context, userID int64) ([]*segmentbot.Segment, error) {
	return findSegments(ctx, db.read, "s.id IN (SELECT segment_id FROM memberships WHERE user_id = ?) ORDER BY s.id", userID)
}

// UpdateSegment applies upd; ENOTFOUND, EINVALID, ECONFLICT (as
// CreateSegment). A new rule is stored and followed (changeRule) in the
// same transaction, which holds the segment as a rule sync does.
func (db *DB) UpdateSegment(ctx context.Context, id int64, upd segmentbot.SegmentUpdate) (*segmentbot.Segment, error) {
	var seg *segmentbot.Segment
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if upd.Filter != nil {
			// Held as a sync holds it: a sync of the old rule waits, then
			// reads the new one.
			if _, err := findRule(ctx, tx, id, db.dialect.lockSegment); err != nil {
				return err
			}
		}
		if seg, err = findSegment(ctx, tx, "s.id = ?", id, "There is no segment %d.", id); err != nil {
			return err
		}
		if upd.Filter != nil && seg.Filter == nil {
			return segmentbot.Errorf(segmentbot.EINVALID, "%s has no rule: its members are added by hand, file or button, so it cannot take one. Make a new segment with the rule.", seg.Name)
		}
		if upd.Name != nil {
			seg.Name = *upd.Name
		}
		if upd.Description != nil {
			seg.Description = *upd.Description
		}
		if upd.Reply != nil {
			seg.Reply = *upd.Reply
		}
		if upd.Visibility != nil {
			if err := checkVisibility(*upd.Visibility); err != nil {
				return err
			}
			seg.Visibility = *upd.Visibility
		}
		if err := cleanSegment(seg); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`
			UPDATE segments SET name = ?, name_key = ?, name_skeleton = ?, description = ?, reply = ?, visibility = ? WHERE id = ?`),
			seg.Name, nameKey(seg.Name), nameSkeleton(seg.Name), seg.Description, seg.Reply, seg.Visibility, id)
		if err != nil || upd.Filter == nil {
			return err
		}
		return db.changeRule(ctx, tx, seg, upd.Filter)
	})
	switch {
	case err == nil:
		return seg, nil
	case db.dialect.isUniqueViolation(err):
		return nil, db.nameTaken(ctx, seg.Name, id)
	case segmentbot.ErrorCode(err) != segmentbot.EINTERNAL:
		return nil, err
	}
	return nil, fmt.Errorf("update segment %d: %w", id, err)
}

// DeleteSegment removes the segment with its memberships and opt-outs,
// logs a leave event (source "segment") per member, cancels its scheduled
// and sending broadcasts and returns them. ENOTFOUND.
func (db *DB) DeleteSegment(ctx context.Context, id int64, actorID int64) ([]*segmentbot.Broadcast, error) {
	var cancelled []*segmentbot.Broadcast
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var found int64
		// The lock makes concurrent joins wait, so none slips in unlogged.
		err := tx.GetContext(ctx, &found, tx.Rebind(`SELECT id FROM segments WHERE id = ?`+db.dialect.lockRow), id)
		if err != nil {
			return notFound(fmt.Errorf("delete segment %d: %w", id, err), "There is no segment %d.", id)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
			SELECT segment_id, user_id, ?, ?, ?, ? FROM memberships WHERE segment_id = ? ORDER BY user_id`),
			segmentbot.ActionLeave, segmentbot.SourceSegment, actorID, db.now(), id); err != nil {
			return fmt.Errorf("log leaves of segment %d: %w", id, err)
		}
		if cancelled, err = selectBroadcasts(ctx, tx, `
			UPDATE broadcasts SET status = ? WHERE segment_id = ? AND status IN (?, ?)
			RETURNING `+broadcastColumns,
			segmentbot.BroadcastCancelled, id, segmentbot.BroadcastScheduled, segmentbot.BroadcastSending); err != nil {
			return fmt.Errorf("cancel broadcasts of segment %d: %w", id, err)
		}
		for _, q := range []string{
			`DELETE FROM memberships WHERE segment_id = ?`,
			`DELETE FROM opt_outs WHERE segment_id = ?`,
			`DELETE FROM segments WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
				return fmt.Errorf("delete segment %d: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cancelled, nil
}

func findSegment(ctx context.Context, q queryer, where string, arg any, format string, args ...any) (*segmentbot.Segment, error) {
	segs, err := findSegments(ctx, q, where, arg)
	if err != nil {
		return nil, err
	} else if len(segs) == 0 {
		return nil, segmentbot.Errorf(segmentbot.ENOTFOUND, format, args...)
	}
	return segs[0], nil
}

func findSegments(ctx context.Context, q queryer, where string, args ...any) ([]*segmentbot.Segment, error) {
	var rows []segmentRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(selectSegments+" WHERE "+where), args...); err != nil {
		return nil, fmt.Errorf("find segments: %w", err)
	}
	segs := make([]*segmentbot.Segment, len(rows))
	for i := range rows {
		seg := rows[i].Segment
		if rows[i].LastImportID != 0 {
			seg.LastImport = &segmentbot.ImportRef{ID: rows[i].LastImportID, Status: rows[i].LastImportStatus}
		}
		seg.CreatedAt = seg.CreatedAt.UTC()
		if rows[i].FilterJSON.Valid {
			seg.Filter = new(segmentbot.Filter)
			if err := json.Unmarshal([]byte(rows[i].FilterJSON.String), seg.Filter); err != nil {
				return nil, fmt.Errorf("segment %d: filter: %w", seg.ID, err)
			}
		}
		segs[i] = &seg
	}
	return segs, nil
}

// nameKey is the case-insensitive form of a segment name.
func nameKey(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// checkVisibility accepts the three segment visibilities.
func checkVisibility(v string) error {
	if !segmentbot.ValidVisibility(v) {
		return segmentbot.Errorf(segmentbot.EINVALID, "Visibility %q is not one of open, invite, closed.", v)
	}
	return nil
}
