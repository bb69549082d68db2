package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// decideOutcomes is the SELECT that gives every row of import ? (the
// last parameter) its outcome, reason and detail from the directory, the
// lookups, and the segment's opt-outs and members (segment ?, ?) as they
// are before the import's own changes. "added" still means "to add": a
// member that appears meanwhile makes it already_member.
const decideOutcomes = `
	SELECT r.row_no, r.user_id,
		CASE WHEN r.kind = 'invalid' THEN 'failed'
			WHEN r.dup_of IS NOT NULL THEN 'duplicate'
			WHEN u.id IS NULL OR NOT u.active OR NOT u.in_bot_groups THEN 'failed'
			WHEN o.user_id IS NOT NULL THEN 'skipped_opted_out'
			WHEN m.user_id IS NOT NULL THEN 'already_member'
			ELSE 'added' END AS outcome,
		CASE WHEN r.kind = 'invalid' THEN 'invalid'
			WHEN r.dup_of IS NOT NULL THEN ''
			WHEN u.id IS NULL THEN COALESCE(NULLIF(l.reason, ''), 'not_found')
			WHEN NOT u.active THEN 'left_tenant'
			WHEN NOT u.in_bot_groups THEN 'not_in_bot_groups'
			ELSE '' END AS reason,
		CASE WHEN r.kind = 'invalid' THEN r.note
			WHEN r.dup_of IS NOT NULL THEN 'same as row ' || CAST(r.dup_of AS TEXT)
			ELSE '' END AS detail
	FROM import_rows r
	LEFT JOIN users u ON u.id = r.user_id
	LEFT JOIN opt_outs o ON o.segment_id = ? AND o.user_id = r.user_id
	LEFT JOIN memberships m ON m.segment_id = ? AND m.user_id = r.user_id
	LEFT JOIN import_lookups l ON l.import_id = r.import_id AND l.kind = r.kind AND l.norm = r.norm
		AND r.kind <> 'invalid'
	WHERE r.import_id = ?`

// pgApplyRows decides the outcomes, adds the members, logs their joins,
// writes the outcomes and counts them in one statement: one pass over the
// import, one round trip. Only users the INSERT really added count as
// added, so a member who joined by a tap meanwhile is already_member and
// gets no second join event.
func pgApplyRows(ctx context.Context, tx *sqlx.Tx, imp *segmentbot.Import, now time.Time) ([]outcomeCount, error) {
	var counts []outcomeCount
	err := tx.SelectContext(ctx, &counts, tx.Rebind(`
		WITH v AS MATERIALIZED (`+decideOutcomes+`
		), added AS (
			INSERT INTO memberships (segment_id, user_id, source, joined_at)
			SELECT ?, user_id, ?, ? FROM v WHERE outcome = 'added'
			ON CONFLICT (segment_id, user_id) DO NOTHING
			RETURNING user_id
		), logged AS (
			INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
			SELECT ?, v.user_id, ?, ?, ?, ? FROM v JOIN added a ON a.user_id = v.user_id
			WHERE v.outcome = 'added' ORDER BY v.row_no
		), written AS (
			UPDATE import_rows SET reason = v.reason, detail = v.detail,
				outcome = CASE WHEN v.outcome = 'added' AND a.user_id IS NULL THEN 'already_member' ELSE v.outcome END
			FROM v LEFT JOIN added a ON a.user_id = v.user_id AND v.outcome = 'added'
			WHERE import_rows.import_id = ? AND import_rows.row_no = v.row_no
			RETURNING import_rows.outcome, import_rows.reason
		)
		SELECT outcome, reason, count(*) AS n FROM written GROUP BY outcome, reason`),
		imp.SegmentID, imp.SegmentID, imp.ID,
		imp.SegmentID, segmentbot.SourceImport, now,
		imp.SegmentID, segmentbot.ActionJoin, segmentbot.SourceImport, imp.UploadedBy, now,
		imp.ID)
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// sqliteApplyRows does the same in four statements (SQLite has no
// data-modifying CTEs); its transactions are serialised, so the outcomes
// decided first are exactly what the INSERT then does.
func sqliteApplyRows(ctx context.Context, tx *sqlx.Tx, imp *segmentbot.Import, now time.Time) ([]outcomeCount, error) {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`
		UPDATE import_rows SET outcome = v.outcome, reason = v.reason, detail = v.detail
		FROM (`+decideOutcomes+`) AS v
		WHERE import_rows.import_id = ? AND import_rows.row_no = v.row_no`),
		imp.SegmentID, imp.SegmentID, imp.ID, imp.ID); err != nil {
		return nil, fmt.Errorf("set outcomes: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO memberships (segment_id, user_id, source, joined_at)
		SELECT ?, user_id, ?, ? FROM import_rows WHERE import_id = ? AND outcome = ?
		ON CONFLICT (segment_id, user_id) DO NOTHING`),
		imp.SegmentID, segmentbot.SourceImport, now, imp.ID, segmentbot.OutcomeAdded); err != nil {
		return nil, fmt.Errorf("add members: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
		SELECT ?, user_id, ?, ?, ?, ? FROM import_rows WHERE import_id = ? AND outcome = ? ORDER BY row_no`),
		imp.SegmentID, segmentbot.ActionJoin, segmentbot.SourceImport, imp.UploadedBy, now, imp.ID, segmentbot.OutcomeAdded); err != nil {
		return nil, fmt.Errorf("log joins: %w", err)
	}
	var counts []outcomeCount
	if err := tx.SelectContext(ctx, &counts, tx.Rebind(`
		SELECT outcome, reason, count(*) AS n FROM import_rows WHERE import_id = ? GROUP BY outcome, reason`), imp.ID); err != nil {
		return nil, fmt.Errorf("count outcomes: %w", err)
	}
	return counts, nil
}
