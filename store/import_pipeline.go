package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// The import pipeline (DESIGN §5) works on the staging table import_rows
// with set-based statements: a million rows cost a handful of statements,
// not a million round trips. Each step commits its phase with its effect.
// Every row is written about once after it is staged: staged rows are
// never updated, and ApplyImport writes each row's outcome into
// import_results with one INSERT ... SELECT.

// StageRows replaces the import's staged rows with those next yields until
// io.EOF, in one transaction, sets phase staged and the total, and returns
// the number of rows. ENOTFOUND.
func (db *DB) StageRows(ctx context.Context, id int64, next func() (*segmentbot.StagedRow, error)) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := findImport(ctx, tx, id, db.dialect.lockRow); err != nil {
			return err
		}
		for _, q := range clearImportSQL {
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

// ResolveImport checks that the import exists and sets phase resolved.
// Matching writes nothing: ImportMisses and ApplyImport match the staged
// rows against the directory where they need the matches, with hash
// joins, so the staged rows are written once (by StageRows) and never
// rewritten. ENOTFOUND.
func (db *DB) ResolveImport(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		imp, err := findImport(ctx, tx, id, db.dialect.lockRow)
		if err != nil {
			return err
		}
		return setPhase(ctx, tx, id, segmentbot.PhaseResolved, imp.Total)
	})
}

// missesSQL lists the distinct valid values of import :imp that no user
// of the directory has and that have no live lookup result yet (a miss
// ApplyKnown set aside is pending, not answered): a branch
// per kind, each an anti-join per way of matching it (see decideSQL),
// hashed against the users that have that identifier at all, before the
// few values left are grouped. A kind the import lacks costs nothing: its
// branch has no rows to probe with. External ids (employee ids) are known
// to the directory only, so each is a miss.
const missesSQL = `
	WITH unmatched AS (
		SELECT r.kind, r.norm FROM import_rows r WHERE r.import_id = :imp AND r.kind = 'email'
		AND NOT EXISTS (SELECT 1 FROM users u WHERE u.email = r.norm AND u.email <> '')
		AND NOT EXISTS (SELECT 1 FROM users u WHERE u.upn = r.norm AND u.upn <> '')
		UNION ALL
		SELECT r.kind, r.norm FROM import_rows r WHERE r.import_id = :imp AND r.kind = 'aad'
		AND NOT EXISTS (SELECT 1 FROM users u WHERE u.aad_object_id = r.norm AND u.aad_object_id <> '')
		UNION ALL
		SELECT r.kind, r.norm FROM import_rows r WHERE r.import_id = :imp AND r.kind = 'numeric'
		AND NOT EXISTS (SELECT 1 FROM users u WHERE u.external_id = r.norm AND u.external_id <> '')
		UNION ALL
		SELECT r.kind, r.norm FROM import_rows r WHERE r.import_id = :imp AND r.kind = 'external'
	)
	SELECT DISTINCT m.kind, m.norm FROM unmatched m
	WHERE NOT EXISTS (SELECT 1 FROM import_lookups l WHERE l.import_id = :imp AND l.kind = m.kind AND l.norm = m.norm
		AND l.reason <> '` + reasonPending + `')
	ORDER BY m.kind, m.norm`

// ImportMisses lists the distinct valid values that match no user and
// have no live lookup result yet, so a resumed job asks again only about
// what it never asked, and sets them aside as pending lookups (see
// ApplyKnown). It commits before the lookups start, so SaveLookups never
// waits on it.
func (db *DB) ImportMisses(ctx context.Context, id int64) ([]segmentbot.Miss, error) {
	var misses []segmentbot.Miss
	err := db.bulkTx(ctx, func(tx *sqlx.Tx) error {
		q, args := bindNamed(missesSQL, map[string]any{"imp": id})
		if err := tx.SelectContext(ctx, &misses, tx.Rebind(q), args...); err != nil {
			return err
		}
		return setAside(ctx, tx, id, misses)
	})
	if err != nil {
		return nil, fmt.Errorf("find misses of import %d: %w", id, err)
	}
	return misses, nil
}

// SaveLookups stores live lookup results: found users go into the
// directory (Active and InBotGroups as the lookup says), failures are kept
// per value for the report, and the phase becomes looked_up. Nothing is
// matched again here: ApplyImport matches with the lookups included.
// Saving the same results again changes nothing. ENOTFOUND.
func (db *DB) SaveLookups(ctx context.Context, id int64, results []segmentbot.LookupResult) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		imp, err := findImport(ctx, tx, id, db.dialect.lockRow)
		if err != nil {
			return err
		}
		var found []*segmentbot.User
		for _, r := range results {
			if r.User != nil {
				u := *r.User
				if u.Channel == "" && imp.Channel != "api" {
					u.Channel = imp.Channel
				}
				found = append(found, &u)
			}
		}
		if err := db.upsertUsers(ctx, tx, found, lookupFlags); err != nil {
			return err
		}
		if err := saveLookupResults(ctx, tx, id, results, found); err != nil {
			return err
		}
		return setPhase(ctx, tx, id, segmentbot.PhaseLookedUp, imp.Total)
	})
}

// ApplyImport gives every row its outcome, adds the new members (skipping
// opted-out, inactive and out-of-group users), logs their join events,
// counts the outcomes into the import and finishes it with phase applied
// (the report is still to be delivered; the lease, if any, stays with its
// holder for that), in one transaction. After ApplyKnown it does so for
// the looked-up rows only, adding their counts to those of the rest.
// Imports into one segment are applied one at a time. A finished import
// is returned unchanged. ENOTFOUND.
func (db *DB) ApplyImport(ctx context.Context, id int64) (*segmentbot.Import, error) {
	var imp *segmentbot.Import
	err := db.bulkTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if err = db.lockSegmentOfImport(ctx, tx, id); err != nil {
			return err
		}
		if imp, err = findImport(ctx, tx, id, db.dialect.lockRow); err != nil || imp.Done() {
			return err
		}
		rows := allRows
		if imp.Partial {
			rows = lookedUpRows
		}
		now := db.now()
		if err := db.applyPart(ctx, tx, imp, now, rows); err != nil {
			return err
		}
		imp.Status, imp.Phase, imp.Progress, imp.FinishedAt = segmentbot.ImportCompleted, segmentbot.PhaseApplied, imp.Total, &now
		if imp.Failed > 0 {
			imp.Status = segmentbot.ImportCompletedWithErrors
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`
			UPDATE imports SET status = ?, phase = ?, progress = ?, finished_at = ? WHERE id = ?`),
			imp.Status, imp.Phase, imp.Progress, now, id)
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

// ApplyKnown applies the rows whose value the directory knows while the
// misses ImportMisses set aside are looked up live, so the two overlap:
// every row whose value has no lookup (pending or done) is applied as
// ApplyImport would, its counts added, and Partial set. It takes no lock
// on the import's row until it counts, so SaveLookups goes on meanwhile;
// the segment's lock keeps it apart from other applies into the segment.
// An import that is partial or finished is left alone, and so is every
// import on SQLite, whose single writer would only make the lookups' saves
// wait for it.
//
// A looked-up value whose user an earlier row of the directory's part
// reached by another value is then counted already_member rather than
// duplicate: the parts are decided one after the other. The attribute
// cells of such a user still end as the file's last row says, and the
// user counts once in attributes_updated (see pgCellsSQL).
func (db *DB) ApplyKnown(ctx context.Context, id int64) error {
	if db.dialect.oneWriter {
		return nil
	}
	return db.bulkTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.lockSegmentOfImport(ctx, tx, id); err != nil {
			return err
		}
		imp, err := findImport(ctx, tx, id, "")
		if err != nil || imp.Done() || imp.Partial {
			return err
		}
		now := db.now()
		if err := db.applyPart(ctx, tx, imp, now, knownRows); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE imports SET partial = ? WHERE id = ?`), true, id)
		if err != nil {
			return fmt.Errorf("apply known rows of import %d: %w", id, err)
		}
		return nil
	})
}

// applyPart applies the rows of part p of imp and adds their counts to
// imp and to its stored counters.
func (db *DB) applyPart(ctx context.Context, tx *sqlx.Tx, imp *segmentbot.Import, now time.Time, p part) error {
	counts, err := db.dialect.applyRows(ctx, db, tx, imp, now, p)
	if err != nil {
		return fmt.Errorf("apply import %d: %w", imp.ID, err)
	}
	addCounts(imp, counts)
	failed, err := json.Marshal(imp.FailedByReason)
	if err != nil {
		return fmt.Errorf("import %d: %w", imp.ID, err)
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`
		UPDATE imports SET added = ?, already_member = ?, skipped_opted_out = ?, duplicates = ?, failed = ?, failed_by_reason = ?,
			attributes_updated = ?
		WHERE id = ?`),
		imp.Added, imp.AlreadyMember, imp.SkippedOptOut, imp.Duplicates, imp.Failed, string(failed), imp.AttributesUpdated, imp.ID)
	if err != nil {
		return fmt.Errorf("count import %d: %w", imp.ID, err)
	}
	return nil
}

// reasonPending marks a miss set aside by ApplyKnown whose live lookup
// has no result yet.
const reasonPending = "pending"

// setAside records misses as pending lookups of import id, keeping any
// result already saved.
func setAside(ctx context.Context, tx *sqlx.Tx, id int64, misses []segmentbot.Miss) error {
	for chunk := range slices.Chunk(misses, lookupBatch) {
		args := make([]any, 0, 4*len(chunk))
		for _, m := range chunk {
			args = append(args, id, m.Kind, m.Norm, reasonPending)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO import_lookups (import_id, kind, norm, reason) VALUES `+valuesRows(len(chunk), 4)+`
			ON CONFLICT (import_id, kind, norm) DO NOTHING`), args...); err != nil {
			return fmt.Errorf("set aside misses of import %d: %w", id, err)
		}
	}
	return nil
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

// outcomeCount is how many rows got one outcome and reason.
type outcomeCount struct {
	Outcome string `db:"outcome"`
	Reason  string `db:"reason"`
	N       int64  `db:"n"`
}

// addCounts adds the outcomes' counts to imp's.
func addCounts(imp *segmentbot.Import, counts []outcomeCount) {
	if imp.FailedByReason == nil {
		imp.FailedByReason = map[string]int64{}
	}
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
		case outcomeAttributes:
			imp.AttributesUpdated += c.N
		}
	}
}

func setPhase(ctx context.Context, tx *sqlx.Tx, id int64, phase string, progress int64) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE imports SET phase = ?, progress = ? WHERE id = ?`), phase, progress, id); err != nil {
		return fmt.Errorf("set phase of import %d: %w", id, err)
	}
	return nil
}

// lookupBatch results go in one INSERT (5 parameters each).
const lookupBatch = 1000

// saveLookupResults stores each result's user (from found, in the order
// of the results that have one) or failure reason, a batch per statement.
// A value given twice keeps its last result, as if saved one by one.
func saveLookupResults(ctx context.Context, tx *sqlx.Tx, id int64, results []segmentbot.LookupResult, found []*segmentbot.User) error {
	type saved struct {
		userID *int64
		reason string
	}
	last := map[segmentbot.Miss]saved{}
	var order []segmentbot.Miss
	f := 0
	for _, r := range results {
		s := saved{reason: r.Reason}
		if r.User != nil {
			r.User.ID = found[f].ID
			s = saved{userID: &found[f].ID}
			f++
		} else if s.reason == "" {
			s.reason = segmentbot.ReasonLookupError
		}
		if _, seen := last[r.Miss]; !seen {
			order = append(order, r.Miss)
		}
		last[r.Miss] = s
	}
	for chunk := range slices.Chunk(order, lookupBatch) {
		args := make([]any, 0, 5*len(chunk))
		for _, m := range chunk {
			args = append(args, id, m.Kind, m.Norm, last[m].userID, last[m].reason)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO import_lookups (import_id, kind, norm, user_id, reason) VALUES `+valuesRows(len(chunk), 5)+`
			ON CONFLICT (import_id, kind, norm) DO UPDATE SET user_id = excluded.user_id, reason = excluded.reason`),
			args...); err != nil {
			return fmt.Errorf("save lookups of import %d: %w", id, err)
		}
	}
	return nil
}

// bulkTx is inTx for the set-based import statements: it applies the
// dialect's bulkSettings first.
func (db *DB) bulkTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return db.bulkTxOn(ctx, db.db, fn)
}

// bulkTxOn is bulkTx on pool.
func (db *DB) bulkTxOn(ctx context.Context, pool *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	return txOn(ctx, pool, func(tx *sqlx.Tx) error {
		for _, q := range db.dialect.bulkSettings {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return fn(tx)
	})
}
