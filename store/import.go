package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// reportPage is how many report rows EachImportRow reads per query; like
// EachMember it holds no connection while fn runs.
const reportPage = 5000

var importColumnNames = []string{"id", "segment_id", "status", "phase", "channel", "source", "file_url", "file_name",
	"uploaded_by", "error", "total", "added", "already_member", "skipped_opted_out", "duplicates", "failed",
	"failed_by_reason", "attributes_updated", "partial", "progress", "progress_msg", "created_at", "started_at", "finished_at"}

var importColumns = strings.Join(importColumnNames, ", ")

// importColumnsAs selects the import columns of table alias t as "t.column".
func importColumnsAs(t string) string {
	cols := make([]string, len(importColumnNames))
	for i, c := range importColumnNames {
		cols[i] = fmt.Sprintf(`%s.%s AS "%s.%s"`, t, c, t, c)
	}
	return strings.Join(cols, ", ")
}

// importRow is an import as stored: the failure counts are JSON.
type importRow struct {
	segmentbot.Import
	FailedJSON string `db:"failed_by_reason"`
}

func (r *importRow) decode() (*segmentbot.Import, error) {
	imp := r.Import
	imp.FailedByReason = map[string]int64{}
	if err := json.Unmarshal([]byte(r.FailedJSON), &imp.FailedByReason); err != nil {
		return nil, fmt.Errorf("import %d: failed_by_reason: %w", imp.ID, err)
	}
	return &imp, nil
}

// CreateImport stores imp as pending and fills ID, Status, Phase and
// CreatedAt. The phase is receiving when imp.Phase says so (the caller
// stages the rows itself, and workers leave the import alone until then),
// else queued. ENOTFOUND for a missing segment, ERULESEGMENT for a rule
// segment, whose members only its rule decides (the one check every
// import and paste goes through, whatever the caller checked before).
func (db *DB) CreateImport(ctx context.Context, imp *segmentbot.Import) error {
	if imp.Phase != segmentbot.PhaseReceiving {
		imp.Phase = segmentbot.PhaseQueued
	}
	imp.Status, imp.CreatedAt = segmentbot.ImportPending, db.now()
	imp.FailedByReason = map[string]int64{}
	if imp.Source == "" {
		imp.Source = segmentbot.SourceImport
	}
	var ids []int64
	err := db.db.SelectContext(ctx, &ids, db.db.Rebind(`
		INSERT INTO imports (segment_id, status, phase, channel, source, file_url, file_name, uploaded_by, created_at)
		SELECT id, ?, ?, ?, ?, ?, ?, ?, ? FROM segments WHERE id = ? AND filter IS NULL
		RETURNING id`),
		imp.Status, imp.Phase, imp.Channel, imp.Source, imp.FileURL, imp.FileName, imp.UploadedBy, imp.CreatedAt, imp.SegmentID)
	if err != nil {
		return fmt.Errorf("create import: %w", err)
	} else if len(ids) == 0 {
		seg, err := db.FindSegmentByID(ctx, imp.SegmentID)
		if err == nil {
			err = seg.CheckManual()
		}
		if err == nil { // it was made a moment ago, after the INSERT's snapshot
			err = fmt.Errorf("create import: segment %d appeared meanwhile", imp.SegmentID)
		}
		return err
	}
	imp.ID = ids[0]
	return nil
}

// FindImportByID returns ENOTFOUND if there is none.
func (db *DB) FindImportByID(ctx context.Context, id int64) (*segmentbot.Import, error) {
	return findImport(ctx, db.read, id, "")
}

// FindImports lists imports newest first; segmentID 0 = all.
func (db *DB) FindImports(ctx context.Context, segmentID int64, limit int) ([]*segmentbot.Import, error) {
	var rows []importRow
	err := db.read.SelectContext(ctx, &rows, db.read.Rebind(`
		SELECT `+importColumns+` FROM imports WHERE (? = 0 OR segment_id = ?) ORDER BY id DESC LIMIT ?`),
		segmentID, segmentID, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("find imports: %w", err)
	}
	imps := make([]*segmentbot.Import, len(rows))
	for i := range rows {
		if imps[i], err = rows[i].decode(); err != nil {
			return nil, err
		}
	}
	return imps, nil
}

// abandonedUpload is how long an import may stay receiving without a
// lease: after that its uploader died mid-upload, and a worker claims it
// to fail it visibly instead of leaving it pending for ever.
const abandonedUpload = 30 * time.Minute

// ClaimImport takes the oldest import that needs a worker and whose lease
// is free, and leases it to worker for lease. An import needs a worker
// while it is unfinished and not receiving (it becomes processing), or
// when it finished with phase applied and its report is not yet delivered
// (it keeps its status), or when its upload was abandoned (see
// abandonedUpload). It returns nil, nil when there is none.
func (db *DB) ClaimImport(ctx context.Context, worker string, lease time.Duration) (*segmentbot.Import, error) {
	var imp *segmentbot.Import
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		now := db.now()
		var ids []int64
		// The literals match the partial index imports_need_worker.
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`
			SELECT id FROM imports
			WHERE ((status IN ('pending', 'processing') OR phase = 'applied')
				AND phase NOT IN ('receiving', 'done')
				OR phase = 'receiving' AND created_at < ?)
			AND (locked_until IS NULL OR locked_until < ?)
			ORDER BY id LIMIT 1`+db.dialect.claimRows), now.Add(-abandonedUpload), now); err != nil {
			return fmt.Errorf("claim import: %w", err)
		} else if len(ids) == 0 {
			return nil
		}
		var err error
		imp, err = leaseImport(ctx, tx, ids[0], worker, now, lease)
		return err
	})
	return imp, err
}

// ClaimImportByID leases import id to worker whatever its phase, for a
// caller that runs the import itself; like ClaimImport it makes a pending
// import processing. ECONFLICT when another worker holds a live lease,
// ENOTFOUND when there is no such import.
func (db *DB) ClaimImportByID(ctx context.Context, id int64, worker string, lease time.Duration) (*segmentbot.Import, error) {
	now := db.now()
	var rows []importRow
	err := db.db.SelectContext(ctx, &rows, db.db.Rebind(leaseImportSQL+`
		AND (locked_by = ? OR locked_until IS NULL OR locked_until < ?)
		RETURNING `+importColumns),
		worker, now.Add(lease), now, id, worker, now)
	if err != nil {
		return nil, fmt.Errorf("claim import %d: %w", id, err)
	}
	if len(rows) == 1 {
		return rows[0].decode()
	}
	if _, err := db.FindImportByID(ctx, id); err != nil {
		return nil, err
	}
	return nil, segmentbot.Errorf(segmentbot.ECONFLICT, "Import %d is being worked on by another worker.", id)
}

// leaseImportSQL leases one import: a pending one becomes processing, a
// finished one keeps its status. Parameters: worker, lease end, now, id.
const leaseImportSQL = `
	UPDATE imports SET locked_by = ?, locked_until = ?,
		status = CASE WHEN status = 'pending' THEN 'processing' ELSE status END,
		started_at = COALESCE(started_at, ?)
	WHERE id = ?`

func leaseImport(ctx context.Context, tx *sqlx.Tx, id int64, worker string, now time.Time, lease time.Duration) (*segmentbot.Import, error) {
	var row importRow
	if err := tx.GetContext(ctx, &row, tx.Rebind(leaseImportSQL+` RETURNING `+importColumns),
		worker, now.Add(lease), now, id); err != nil {
		return nil, fmt.Errorf("claim import %d: %w", id, err)
	}
	return row.decode()
}

// RenewImport extends worker's lease; ECONFLICT if another worker took the
// import or its report was delivered (phase done), ENOTFOUND if there is
// none.
func (db *DB) RenewImport(ctx context.Context, id int64, worker string, lease time.Duration) error {
	res, err := db.db.ExecContext(ctx, db.db.Rebind(`
		UPDATE imports SET locked_until = ? WHERE id = ? AND locked_by = ? AND phase <> ?`),
		db.now().Add(lease), id, worker, segmentbot.PhaseDone)
	if err != nil {
		return fmt.Errorf("renew import %d: %w", id, err)
	}
	if ok, err := changed(res); err != nil || ok {
		return err
	}
	if _, err := db.FindImportByID(ctx, id); err != nil {
		return err
	}
	return segmentbot.Errorf(segmentbot.ECONFLICT, "Import %d is no longer leased to %s.", id, worker)
}

// MarkImportReported records that the import's report was delivered:
// phase done, lease released. Only a finished import can be reported;
// ECONFLICT for an unfinished one, ENOTFOUND for a missing one.
func (db *DB) MarkImportReported(ctx context.Context, id int64) error {
	res, err := db.db.ExecContext(ctx, db.db.Rebind(`
		UPDATE imports SET phase = ?, locked_by = '', locked_until = NULL
		WHERE id = ? AND status NOT IN (?, ?)`),
		segmentbot.PhaseDone, id, segmentbot.ImportPending, segmentbot.ImportProcessing)
	if err != nil {
		return fmt.Errorf("mark import %d reported: %w", id, err)
	}
	if ok, err := changed(res); err != nil || ok {
		return err
	}
	if _, err := db.FindImportByID(ctx, id); err != nil {
		return err
	}
	return segmentbot.Errorf(segmentbot.ECONFLICT, "Import %d has not finished; there is no report yet.", id)
}

// SetImportPhase records phase and progress of a running import. ENOTFOUND.
func (db *DB) SetImportPhase(ctx context.Context, id int64, phase string, progress int64) error {
	return db.updateImport(ctx, id, `phase = ?, progress = ?`, phase, progress)
}

// SetImportMessage records the channel message id of the progress card.
// ENOTFOUND.
func (db *DB) SetImportMessage(ctx context.Context, id int64, messageID string) error {
	return db.updateImport(ctx, id, `progress_msg = ?`, messageID)
}

// FailImport finishes an unfinished import as failed with a reason for the
// admin, with phase applied: like a completed import, its (failure) report
// still has to be delivered, by the lease holder or, once the lease lapses,
// by whichever worker claims it next; MarkImportReported ends that. The
// lease is kept so the caller can deliver the report itself. A finished
// import stays as it is. ENOTFOUND.
func (db *DB) FailImport(ctx context.Context, id int64, reason string) error {
	now := db.now()
	return db.updateImport(ctx, id, `
		error = CASE WHEN status IN ('pending', 'processing') THEN ? ELSE error END,
		finished_at = CASE WHEN status IN ('pending', 'processing') THEN ? ELSE finished_at END,
		phase = CASE WHEN status IN ('pending', 'processing') THEN ? ELSE phase END,
		status = CASE WHEN status IN ('pending', 'processing') THEN ? ELSE status END`,
		reason, now, segmentbot.PhaseApplied, segmentbot.ImportFailed)
}

// EachImportRow streams the report rows in row order, page by page; it
// stops at fn's first error and returns it. Before ApplyImport a row has
// no outcome yet; after it, a row without a stored outcome was added
// (ApplyImport stores only the others on PostgreSQL).
func (db *DB) EachImportRow(ctx context.Context, id int64, fn func(*segmentbot.ImportRow) error) error {
	var after int64
	for {
		var rows []*segmentbot.ImportRow
		err := db.read.SelectContext(ctx, &rows, db.read.Rebind(`
			SELECT r.row_no, r.value,
				COALESCE(s.outcome, CASE WHEN i.status IN (?, ?) THEN ? ELSE '' END) AS outcome,
				COALESCE(s.reason, '') AS reason, COALESCE(s.detail, '') AS detail
			FROM import_rows r
			JOIN imports i ON i.id = r.import_id
			LEFT JOIN import_results s ON s.import_id = r.import_id AND s.row_no = r.row_no
			WHERE r.import_id = ? AND r.row_no > ? ORDER BY r.row_no LIMIT ?`),
			segmentbot.ImportCompleted, segmentbot.ImportCompletedWithErrors, segmentbot.OutcomeAdded, id, after, reportPage)
		if err != nil {
			return fmt.Errorf("read report of import %d: %w", id, err)
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(rows) < reportPage {
			return nil
		}
		after = rows[len(rows)-1].Row
	}
}

// clearImportSQL deletes what the pipeline wrote for import ?: its staged
// rows, lookups, outcomes and record of attribute writes. These tables have no foreign key to imports
// (a check per staged row costs as much as the row), so whoever deletes
// an import deletes them.
var clearImportSQL = []string{
	`DELETE FROM import_results WHERE import_id = ?`,
	`DELETE FROM import_lookups WHERE import_id = ?`,
	`DELETE FROM import_rows WHERE import_id = ?`,
	`DELETE FROM import_attribute_writes WHERE import_id = ?`,
}

// orphanSQL finds imports that still have staged rows but no longer exist
// (they went with their segment).
const orphanSQL = `
	SELECT DISTINCT r.import_id FROM import_rows r
	WHERE NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = r.import_id)`

// DeleteImportsBefore removes finished imports (and their rows) finished
// before t, and returns how many. It also deletes the rows of imports
// that went with their segment.
func (db *DB) DeleteImportsBefore(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var ids, orphans []int64
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`
			DELETE FROM imports WHERE finished_at < ? AND status NOT IN (?, ?) RETURNING id`),
			t.UTC(), segmentbot.ImportPending, segmentbot.ImportProcessing); err != nil {
			return fmt.Errorf("delete imports: %w", err)
		}
		if err := tx.SelectContext(ctx, &orphans, orphanSQL); err != nil {
			return fmt.Errorf("find rows of deleted imports: %w", err)
		}
		// The deleted imports are orphans now too.
		for _, id := range orphans {
			for _, q := range clearImportSQL {
				if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
					return fmt.Errorf("delete rows of import %d: %w", id, err)
				}
			}
		}
		n = int64(len(ids))
		return nil
	})
	return n, err
}

// updateImport sets columns of import id; ENOTFOUND if there is none.
func (db *DB) updateImport(ctx context.Context, id int64, set string, args ...any) error {
	res, err := db.db.ExecContext(ctx, db.db.Rebind(`UPDATE imports SET `+set+` WHERE id = ?`), append(args, id)...)
	if err != nil {
		return fmt.Errorf("update import %d: %w", id, err)
	}
	if ok, err := changed(res); err != nil || ok {
		return err
	}
	return segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no import %d.", id)
}

// findImport reads import id, with lock appended to the query (a row lock
// inside a transaction, or "").
func findImport(ctx context.Context, q queryer, id int64, lock string) (*segmentbot.Import, error) {
	var row importRow
	err := sqlx.GetContext(ctx, q, &row, q.Rebind(`SELECT `+importColumns+` FROM imports WHERE id = ?`+lock), id)
	if err != nil {
		return nil, notFound(fmt.Errorf("find import %d: %w", id, err), "There is no import %d.", id)
	}
	return row.decode()
}
