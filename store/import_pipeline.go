package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// The import pipeline (DESIGN §5) works on the staging table import_rows
// with set-based statements: a million rows cost a handful of statements,
// not a million round trips. Each step commits its phase with its effect.

// StageRows replaces the import's staged rows with those next yields until
// io.EOF, in one transaction, sets phase staged and the total, and returns
// the number of rows. ENOTFOUND.
func (db *DB) StageRows(ctx context.Context, id int64, next func() (*segmentbot.StagedRow, error)) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := findImport(ctx, tx, id, db.dialect.lockRow); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM import_rows WHERE import_id = ?`, `DELETE FROM import_lookups WHERE import_id = ?`} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
				return fmt.Errorf("clear staged rows of import %d: %w", id, err)
			}
		}
		var err error
		if n, err = db.dialect.stageRows(ctx, tx, id, next); err != nil {
			return fmt.Errorf("stage rows of import %d: %w", id, err)
		}
		if db.dialect.afterStage != "" {
			if _, err := tx.ExecContext(ctx, db.dialect.afterStage); err != nil {
				return fmt.Errorf("stage rows of import %d: %w", id, err)
			}
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`
			UPDATE imports SET total = ?, phase = ?, progress = ?, file_url = '' WHERE id = ?`),
			n, segmentbot.PhaseStaged, n, id)
		if err != nil {
			return fmt.Errorf("stage rows of import %d: %w", id, err)
		}
		return nil
	})
	return n, err
}

// ResolveImport marks duplicates (the same value, or the same user, as an
// earlier row), matches staged rows against the directory, and sets phase
// resolved. ENOTFOUND.
func (db *DB) ResolveImport(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		imp, err := findImport(ctx, tx, id, db.dialect.lockRow)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			UPDATE import_rows SET dup_of = f.first_row
			FROM (SELECT row_no, min(row_no) OVER (PARTITION BY norm) AS first_row FROM import_rows
				WHERE import_id = ? AND kind <> ?) AS f
			WHERE import_rows.import_id = ? AND import_rows.row_no = f.row_no AND f.first_row < f.row_no
			AND import_rows.dup_of IS NULL`),
			id, segmentbot.KindInvalid, id); err != nil {
			return fmt.Errorf("mark duplicates of import %d: %w", id, err)
		}
		if err := db.matchRows(ctx, tx, id); err != nil {
			return err
		}
		return setPhase(ctx, tx, id, segmentbot.PhaseResolved, imp.Total)
	})
}

// matchRows gives unmatched rows the user the directory or a live lookup
// knows for their value, preferring users of the import's channel, and
// then marks rows that reach a user an earlier row reached as duplicates.
func (db *DB) matchRows(ctx context.Context, tx *sqlx.Tx, id int64) error {
	// Every ? of the dialect's statement is the import id.
	q := db.dialect.matchRows
	_, err := tx.ExecContext(ctx, tx.Rebind(q), slices.Repeat([]any{id}, strings.Count(q, "?"))...)
	if err != nil {
		return fmt.Errorf("match rows of import %d: %w", id, err)
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`
		UPDATE import_rows SET dup_of = f.first_row
		FROM (SELECT row_no, min(row_no) OVER (PARTITION BY user_id) AS first_row FROM import_rows
			WHERE import_id = ? AND user_id IS NOT NULL AND dup_of IS NULL) AS f
		WHERE import_rows.import_id = ? AND import_rows.row_no = f.row_no AND f.first_row < f.row_no`), id, id)
	if err != nil {
		return fmt.Errorf("mark duplicate users of import %d: %w", id, err)
	}
	return nil
}

// ImportMisses lists the distinct valid, first-seen values that matched no
// user and have no live lookup result yet, so a resumed job asks again
// only about what it never asked.
func (db *DB) ImportMisses(ctx context.Context, id int64) ([]segmentbot.Miss, error) {
	var misses []segmentbot.Miss
	err := db.read.SelectContext(ctx, &misses, db.read.Rebind(`
		SELECT DISTINCT r.kind, r.norm FROM import_rows r
		WHERE r.import_id = ? AND r.kind <> ? AND r.dup_of IS NULL AND r.user_id IS NULL
		AND NOT EXISTS (SELECT 1 FROM import_lookups l WHERE l.import_id = r.import_id AND l.kind = r.kind AND l.norm = r.norm)
		ORDER BY r.kind, r.norm`), id, segmentbot.KindInvalid)
	if err != nil {
		return nil, fmt.Errorf("find misses of import %d: %w", id, err)
	}
	return misses, nil
}

// SaveLookups stores live lookup results: found users go into the
// directory (Active and InBotGroups as the lookup says), failures are kept
// per value for the report; then rows are matched again and the phase
// becomes looked_up. Saving the same results again changes nothing.
// ENOTFOUND.
func (db *DB) SaveLookups(ctx context.Context, id int64, results []segmentbot.LookupResult) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		imp, err := findImport(ctx, tx, id, db.dialect.lockRow)
		if err != nil {
			return err
		}
		for _, r := range results {
			var userID *int64
			reason := r.Reason
			if r.User != nil {
				u := *r.User
				if u.Channel == "" && imp.Channel != "api" {
					u.Channel = imp.Channel
				}
				if err := db.upsertUser(ctx, tx, &u, replaceFlags); err != nil {
					return err
				}
				r.User.ID, userID, reason = u.ID, &u.ID, ""
			} else if reason == "" {
				reason = segmentbot.ReasonLookupError
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`
				INSERT INTO import_lookups (import_id, kind, norm, user_id, reason) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (import_id, kind, norm) DO UPDATE SET user_id = excluded.user_id, reason = excluded.reason`),
				id, r.Miss.Kind, r.Miss.Norm, userID, reason); err != nil {
				return fmt.Errorf("save lookup of %s: %w", r.Miss.Norm, err)
			}
		}
		if err := db.matchRows(ctx, tx, id); err != nil {
			return err
		}
		return setPhase(ctx, tx, id, segmentbot.PhaseLookedUp, imp.Total)
	})
}

// ApplyImport gives every row its outcome, adds the new members (skipping
// opted-out, inactive and out-of-group users), logs their join events,
// counts the outcomes into the import and finishes it with phase applied
// (the report is still to be delivered; the lease, if any, stays with its
// holder for that), in one transaction. Imports into one segment are
// applied one at a time. A finished import is returned unchanged.
// ENOTFOUND.
func (db *DB) ApplyImport(ctx context.Context, id int64) (*segmentbot.Import, error) {
	var imp *segmentbot.Import
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if err = db.lockSegmentOfImport(ctx, tx, id); err != nil {
			return err
		}
		if imp, err = findImport(ctx, tx, id, db.dialect.lockRow); err != nil || imp.Done() {
			return err
		}
		if err := setOutcomes(ctx, tx, imp); err != nil {
			return err
		}
		now := db.now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO memberships (segment_id, user_id, source, joined_at)
			SELECT ?, user_id, ?, ? FROM import_rows WHERE import_id = ? AND outcome = ?
			ON CONFLICT (segment_id, user_id) DO NOTHING`),
			imp.SegmentID, segmentbot.SourceImport, now, id, segmentbot.OutcomeAdded); err != nil {
			return fmt.Errorf("add members of import %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
			SELECT ?, user_id, ?, ?, ?, ? FROM import_rows WHERE import_id = ? AND outcome = ? ORDER BY row_no`),
			imp.SegmentID, segmentbot.ActionJoin, segmentbot.SourceImport, imp.UploadedBy, now, id, segmentbot.OutcomeAdded); err != nil {
			return fmt.Errorf("log joins of import %d: %w", id, err)
		}
		if err := countOutcomes(ctx, tx, imp); err != nil {
			return err
		}
		imp.Status, imp.Phase, imp.Progress, imp.FinishedAt = segmentbot.ImportCompleted, segmentbot.PhaseApplied, imp.Total, &now
		if imp.Failed > 0 {
			imp.Status = segmentbot.ImportCompletedWithErrors
		}
		failed, err := json.Marshal(imp.FailedByReason)
		if err != nil {
			return fmt.Errorf("import %d: %w", id, err)
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`
			UPDATE imports SET status = ?, phase = ?, progress = ?, finished_at = ?,
				added = ?, already_member = ?, skipped_opted_out = ?, duplicates = ?, failed = ?, failed_by_reason = ?
			WHERE id = ?`),
			imp.Status, imp.Phase, imp.Progress, now, imp.Added, imp.AlreadyMember, imp.SkippedOptOut,
			imp.Duplicates, imp.Failed, string(failed), id)
		if err != nil {
			return fmt.Errorf("finish import %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return imp, nil
}

// lockSegmentOfImport locks the row of the segment import id goes into,
// so imports into one segment are applied one at a time: the second sees
// the members the first added instead of counting them as added again.
// FOR NO KEY UPDATE conflicts with itself and with deleting the segment,
// but not with the key-share locks that taps take on it when they insert
// memberships, so taps go on while a big import is applied. ENOTFOUND.
func (db *DB) lockSegmentOfImport(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(`
		SELECT id FROM segments WHERE id = (SELECT segment_id FROM imports WHERE id = ?)`+db.dialect.lockSegment), id); err != nil {
		return fmt.Errorf("lock segment of import %d: %w", id, err)
	}
	if len(ids) == 0 {
		return segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no import %d.", id)
	}
	return nil
}

// setOutcomes decides every row's outcome from the directory, the lookups,
// the opt-outs and the memberships as they are before the import's own
// changes.
func setOutcomes(ctx context.Context, tx *sqlx.Tx, imp *segmentbot.Import) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`
		UPDATE import_rows SET outcome = v.outcome, reason = v.reason, detail = v.detail
		FROM (
			SELECT r.row_no,
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
			WHERE r.import_id = ?
		) AS v
		WHERE import_rows.import_id = ? AND import_rows.row_no = v.row_no`),
		imp.SegmentID, imp.SegmentID, imp.ID, imp.ID)
	if err != nil {
		return fmt.Errorf("set outcomes of import %d: %w", imp.ID, err)
	}
	return nil
}

// countOutcomes fills imp's counts from the rows' outcomes.
func countOutcomes(ctx context.Context, tx *sqlx.Tx, imp *segmentbot.Import) error {
	var counts []struct {
		Outcome string `db:"outcome"`
		Reason  string `db:"reason"`
		N       int64  `db:"n"`
	}
	if err := tx.SelectContext(ctx, &counts, tx.Rebind(`
		SELECT outcome, reason, count(*) AS n FROM import_rows WHERE import_id = ? GROUP BY outcome, reason`), imp.ID); err != nil {
		return fmt.Errorf("count outcomes of import %d: %w", imp.ID, err)
	}
	imp.FailedByReason = map[string]int64{}
	for _, c := range counts {
		switch c.Outcome {
		case segmentbot.OutcomeAdded:
			imp.Added += c.N
		case segmentbot.OutcomeAlreadyMember:
			imp.AlreadyMember += c.N
		case segmentbot.OutcomeSkippedOptedOut:
			imp.SkippedOptOut += c.N
		case segmentbot.OutcomeDuplicate:
			imp.Duplicates += c.N
		case segmentbot.OutcomeFailed:
			imp.Failed += c.N
			imp.FailedByReason[c.Reason] += c.N
		}
	}
	return nil
}

func setPhase(ctx context.Context, tx *sqlx.Tx, id int64, phase string, progress int64) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE imports SET phase = ?, progress = ? WHERE id = ?`), phase, progress, id); err != nil {
		return fmt.Errorf("set phase of import %d: %w", id, err)
	}
	return nil
}
