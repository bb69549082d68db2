package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// A rule segment (DESIGN §8) has a filter in segments.filter; its members
// are the users who match it (ruleMatch), joined and removed by syncRule
// with source rule. Its own opt-outs keep a user out while they match, a
// global opt-out keeps admins' rules from joining them, and the user's
// own Opt in tap joins them only if they match (FitsRule), as the next
// sync would.

// ruleJSON validates a rule segment's filter, stores it normalised in
// seg.Filter and returns it as JSON; NULL for a segment without one.
func ruleJSON(seg *segmentbot.Segment) (sql.NullString, error) {
	if seg.Filter == nil {
		return sql.NullString{}, nil
	}
	if err := seg.Filter.Validate(); err != nil {
		return sql.NullString{}, err
	}
	seg.Filter = seg.Filter.Normalize()
	data, err := json.Marshal(seg.Filter)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("segment filter: %w", err)
	}
	return sql.NullString{String: string(data), Valid: true}, nil
}

// ruleMatch is the condition on users "u" of belonging to a rule segment
// with filter f: active (not gone from the directory), reachable (in the
// bot's groups, as an import requires) and matching f.
func (d *dialect) ruleMatch(f *segmentbot.Filter) (string, []any, error) {
	cond, args, err := d.filterSQL(f, "u.id", false)
	if err != nil {
		return "", nil, err
	}
	return "u.active AND u.in_bot_groups AND " + cond, args, nil
}

// SyncRuleSegment brings the rule segment's members in line with its
// filter (syncRule), in one transaction that holds the segment against
// a concurrent sync or delete. ENOTFOUND; EINVALID for a segment without
// a rule.
func (db *DB) SyncRuleSegment(ctx context.Context, segmentID int64) (*segmentbot.RuleChange, error) {
	var change *segmentbot.RuleChange
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		f, err := findRule(ctx, tx, segmentID, db.dialect.lockSegment)
		if err != nil {
			return fmt.Errorf("sync rule segment %d: %w", segmentID, err)
		} else if f == nil {
			return segmentbot.Errorf(segmentbot.EINVALID, "Segment %d has no rule: its members are added by hand, file or button.", segmentID)
		}
		change, err = db.syncRule(ctx, tx, segmentID, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return change, nil
}

// findRule returns the filter of segment segmentID, nil for a segment
// without one, reading its row with lock (a dialect's lockSegment, or ""
// for none). ENOTFOUND.
func findRule(ctx context.Context, q queryer, segmentID int64, lock string) (*segmentbot.Filter, error) {
	var filter []sql.NullString
	if err := sqlx.SelectContext(ctx, q, &filter, q.Rebind(`SELECT filter FROM segments WHERE id = ?`+lock), segmentID); err != nil {
		return nil, fmt.Errorf("find filter of segment %d: %w", segmentID, err)
	} else if len(filter) == 0 {
		return nil, segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no segment %d.", segmentID)
	} else if !filter[0].Valid {
		return nil, nil
	}
	f := new(segmentbot.Filter)
	if err := json.Unmarshal([]byte(filter[0].String), f); err != nil {
		return nil, fmt.Errorf("segment %d: filter: %w", segmentID, err)
	}
	return f, nil
}

// changeRule gives rule segment seg the rule f, validated and stored
// normalised, and brings its members in line with it (syncRule) in tx,
// which holds the segment as SyncRuleSegment does. seg's Filter and
// Members follow, and its RuleChange says who joined and left. EINVALID
// for a bad rule.
func (db *DB) changeRule(ctx context.Context, tx *sqlx.Tx, seg *segmentbot.Segment, f *segmentbot.Filter) error {
	seg.Filter = f
	rule, err := ruleJSON(seg)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE segments SET filter = ? WHERE id = ?`), rule, seg.ID); err != nil {
		return fmt.Errorf("change the rule of segment %d: %w", seg.ID, err)
	}
	change, err := db.syncRule(ctx, tx, seg.ID, seg.Filter)
	if err != nil {
		return fmt.Errorf("change the rule of segment %d: %w", seg.ID, err)
	}
	seg.Members += change.Joined - change.Left
	seg.RuleChange = change
	return nil
}

// FitsRule reports whether userID belongs in the segment by its rule, as
// a sync would decide (ruleMatch), and returns the rule; a segment
// without one returns nil and true. ENOTFOUND for a missing segment.
func (db *DB) FitsRule(ctx context.Context, segmentID, userID int64) (*segmentbot.Filter, bool, error) {
	f, err := findRule(ctx, db.read, segmentID, "")
	if err != nil || f == nil {
		return nil, err == nil, err
	}
	match, args, err := db.dialect.ruleMatch(f)
	if err != nil {
		return nil, false, fmt.Errorf("rule of segment %d: %w", segmentID, err)
	}
	var fits bool
	if err := db.read.GetContext(ctx, &fits, db.read.Rebind(`SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = ? AND `+match+`)`),
		append([]any{userID}, args...)...); err != nil {
		return nil, false, fmt.Errorf("does user %d fit the rule of segment %d: %w", userID, segmentID, err)
	}
	return f, fits, nil
}

// SyncRuleSegments runs SyncRuleSegment on every rule segment, each in
// its own transaction, and adds up the changes. A segment deleted
// meanwhile is skipped.
func (db *DB) SyncRuleSegments(ctx context.Context) (*segmentbot.RuleChange, error) {
	var ids []int64
	if err := db.read.SelectContext(ctx, &ids, `SELECT id FROM segments WHERE filter IS NOT NULL ORDER BY id`); err != nil {
		return nil, fmt.Errorf("find rule segments: %w", err)
	}
	total := &segmentbot.RuleChange{}
	for _, id := range ids {
		change, err := db.SyncRuleSegment(ctx, id)
		if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
			continue
		} else if err != nil {
			return total, err
		}
		total.Joined += change.Joined
		total.Left += change.Left
	}
	return total, nil
}

// syncRule makes the members of segment segmentID the users who match f
// (ruleMatch) in tx, in two set-based steps, each logging its events with
// source rule: members who no longer match, or who opted out of the
// segment or of everything meanwhile, leave; users who match and opted out of neither the
// segment nor everything join.
func (db *DB) syncRule(ctx context.Context, tx *sqlx.Tx, segmentID int64, f *segmentbot.Filter) (*segmentbot.RuleChange, error) {
	match, matchArgs, err := db.dialect.ruleMatch(f)
	if err != nil {
		return nil, err
	}
	for _, s := range db.dialect.bulkSettings {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("sync rule segment %d: %s: %w", segmentID, s, err)
		}
	}
	now := db.now()
	// A member who opted out of everything leaves too: on PostgreSQL the
	// join below sees a snapshot, so an "unsubscribe" committed while it
	// ran can let that user in; the next sync takes them out again.
	leave := `m.segment_id = ? AND (
		EXISTS (SELECT 1 FROM opt_outs o WHERE o.segment_id = m.segment_id AND o.user_id = m.user_id)
		OR NOT ` + NotOptedOut("m.user_id") + `
		OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m.user_id AND ` + match + `))`
	leaveArgs := append([]any{segmentID}, matchArgs...)
	join := match + ` AND ` + NotOptedOut("u.id") + `
		AND NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.segment_id = ? AND o.user_id = u.id)
		AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.segment_id = ? AND m.user_id = u.id)`
	joinArgs := append(append([]any{}, matchArgs...), segmentID, segmentID)
	event := func(action string) []any { return []any{segmentID, action, segmentbot.SourceRule, now} }

	change := &segmentbot.RuleChange{}
	var steps []ruleStep
	if db.dialect == postgres {
		// One statement per step: the rows changed and the events logged
		// come from the same snapshot.
		steps = []ruleStep{
			{&change.Left, `
				WITH gone AS (DELETE FROM memberships m WHERE ` + leave + ` RETURNING m.user_id)
				INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
				SELECT ?, user_id, ?, ?, 0, ? FROM gone`, append(leaveArgs, event(segmentbot.ActionLeave)...)},
			{&change.Joined, `
				WITH added AS (
					INSERT INTO memberships (segment_id, user_id, source, joined_at)
					SELECT ?, u.id, ?, ? FROM users u WHERE ` + join + `
					ON CONFLICT (segment_id, user_id) DO NOTHING RETURNING user_id)
				INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
				SELECT ?, user_id, ?, ?, 0, ? FROM added`,
				append(append([]any{segmentID, segmentbot.SourceRule, now}, joinArgs...), event(segmentbot.ActionJoin)...)},
		}
	} else {
		// SQLite runs one writer at a time: the events, then the change,
		// select the same rows.
		steps = []ruleStep{
			{nil, `
				INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
				SELECT m.segment_id, m.user_id, ?, ?, 0, ? FROM memberships m WHERE ` + leave,
				append([]any{segmentbot.ActionLeave, segmentbot.SourceRule, now}, leaveArgs...)},
			{&change.Left, `DELETE FROM memberships AS m WHERE ` + leave, leaveArgs},
			{nil, `
				INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
				SELECT ?, u.id, ?, ?, 0, ? FROM users u WHERE ` + join + ` ORDER BY u.id`,
				append(event(segmentbot.ActionJoin), joinArgs...)},
			{&change.Joined, `
				INSERT INTO memberships (segment_id, user_id, source, joined_at)
				SELECT ?, u.id, ?, ? FROM users u WHERE ` + join + `
				ON CONFLICT (segment_id, user_id) DO NOTHING`,
				append([]any{segmentID, segmentbot.SourceRule, now}, joinArgs...)},
		}
	}
	for _, s := range steps {
		res, err := tx.ExecContext(ctx, tx.Rebind(s.query), s.args...)
		if err != nil {
			return nil, fmt.Errorf("sync rule segment %d: %w", segmentID, err)
		}
		if s.count != nil {
			if *s.count, err = res.RowsAffected(); err != nil {
				return nil, fmt.Errorf("sync rule segment %d: %w", segmentID, err)
			}
		}
	}
	return change, nil
}

// ruleStep is one statement of syncRule; count, if set, receives the rows
// it affected.
type ruleStep struct {
	count *int64
	query string
	args  []any
}
