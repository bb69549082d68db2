package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

const warningColumns = `id, broadcast_id, import_id, user_id, status, attempts, last_error, created_at, sent_at`

// lateUploadRow is one broadcast and import pair of FindLateUploads.
type lateUploadRow struct {
	Broadcast segmentbot.Broadcast `db:"b"`
	importRow `db:"i"`
}

// FindLateUploads applies DESIGN §6 in one query: every scheduled broadcast
// after now, with every import of at least largeRows rows into its segment
// that is still running or finished less than lead before the broadcast,
// unless every recipient of a warning about the pair (the broadcast's
// author and the import's uploader, 0 being nobody) has one already: a
// process that died between the two warnings leaves the pair found until
// both exist. A pair made wholly through REST (both 0) is found until it
// has any warning: its recipients are the configured admins, whom the
// scheduler picks. Finishing exactly lead before is in time. Since a broadcast
// lies after now, an import that finished before now-lead cannot be late:
// that bound lets the planner use imports_finished_at.
func (db *DB) FindLateUploads(ctx context.Context, now time.Time, largeRows int64, lead time.Duration) ([]*segmentbot.LateUpload, error) {
	var rows []lateUploadRow
	now = now.UTC()
	err := db.read.SelectContext(ctx, &rows, db.read.Rebind(`
		SELECT b.id AS "b.id", b.segment_id AS "b.segment_id", b.name AS "b.name",
			b.scheduled_at AS "b.scheduled_at", b.created_by AS "b.created_by", b.status AS "b.status",
			b.created_at AS "b.created_at", `+importColumnsAs("i")+`
		FROM broadcasts b JOIN imports i ON i.segment_id = b.segment_id
		WHERE b.status = ? AND b.scheduled_at > ? AND i.total >= ?
		AND (i.status IN ('pending', 'processing') OR i.finished_at > ?)
		AND (i.status IN ('pending', 'processing') OR (i.finished_at IS NOT NULL AND `+db.dialect.finishedWithin+`))
		AND ((b.created_by <> 0 AND NOT EXISTS (SELECT 1 FROM warnings w
				WHERE w.broadcast_id = b.id AND w.import_id = i.id AND w.user_id = b.created_by))
			OR (i.uploaded_by <> 0 AND NOT EXISTS (SELECT 1 FROM warnings w
				WHERE w.broadcast_id = b.id AND w.import_id = i.id AND w.user_id = i.uploaded_by))
			OR (b.created_by = 0 AND i.uploaded_by = 0 AND NOT EXISTS (SELECT 1 FROM warnings w
				WHERE w.broadcast_id = b.id AND w.import_id = i.id)))
		ORDER BY b.scheduled_at, b.id, i.id`),
		segmentbot.BroadcastScheduled, now, largeRows, now.Add(-lead), lead.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("find late uploads: %w", err)
	}
	late := make([]*segmentbot.LateUpload, len(rows))
	for i, r := range rows {
		imp, err := r.importRow.decode()
		if err != nil {
			return nil, err
		}
		late[i] = &segmentbot.LateUpload{Broadcast: r.Broadcast, Import: *imp}
	}
	return late, nil
}

// CreateWarning stores w as pending unless one exists for the same
// (broadcast, import, user); it reports whether it was created.
func (db *DB) CreateWarning(ctx context.Context, w *segmentbot.Warning) (bool, error) {
	w.Status, w.CreatedAt = segmentbot.WarningPending, db.now()
	err := db.db.GetContext(ctx, &w.ID, db.db.Rebind(`
		INSERT INTO warnings (broadcast_id, import_id, user_id, status, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (broadcast_id, import_id, user_id) DO NOTHING
		RETURNING id`), w.BroadcastID, w.ImportID, w.UserID, w.Status, w.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("create warning: %w", err)
	}
	return true, nil
}

// ClaimWarnings leases up to limit pending warnings whose lease is free to
// worker, oldest first.
func (db *DB) ClaimWarnings(ctx context.Context, worker string, lease time.Duration, limit int) ([]*segmentbot.Warning, error) {
	var claimed []*segmentbot.Warning
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		now := db.now()
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`
			SELECT id FROM warnings
			WHERE status = ? AND (claimed_until IS NULL OR claimed_until < ?)
			ORDER BY id LIMIT ?`+db.dialect.claimRows), segmentbot.WarningPending, now, pageLimit(limit)); err != nil {
			return fmt.Errorf("claim warnings: %w", err)
		} else if len(ids) == 0 {
			return nil
		}
		query, args, err := sqlx.In(`UPDATE warnings SET claimed_by = ?, claimed_until = ? WHERE id IN (?)
			RETURNING `+warningColumns, worker, now.Add(lease), ids)
		if err != nil {
			return fmt.Errorf("claim warnings: %w", err)
		}
		if err := tx.SelectContext(ctx, &claimed, tx.Rebind(query), args...); err != nil {
			return fmt.Errorf("claim warnings: %w", err)
		}
		return nil
	})
	return claimed, err
}

// MarkWarning records a delivery attempt by worker: sent when sendErr is
// empty, else attempts+1 and the lease released for a retry (failed once
// attempts reach maxAttempts). ENOTFOUND for a missing warning, ECONFLICT
// when worker no longer holds it.
func (db *DB) MarkWarning(ctx context.Context, id int64, worker string, sendErr string, maxAttempts int) error {
	now := db.now()
	res, err := db.db.ExecContext(ctx, db.db.Rebind(`
		UPDATE warnings SET attempts = attempts + 1, last_error = ?, claimed_by = '', claimed_until = NULL,
			status = CASE WHEN ? = '' THEN ? WHEN attempts + 1 >= ? THEN ? ELSE ? END,
			sent_at = CASE WHEN ? = '' THEN ? ELSE sent_at END
		WHERE id = ? AND claimed_by = ? AND status = ?`),
		sendErr, sendErr, segmentbot.WarningSent, maxAttempts, segmentbot.WarningFailed, segmentbot.WarningPending,
		sendErr, now, id, worker, segmentbot.WarningPending)
	if err != nil {
		return fmt.Errorf("mark warning %d: %w", id, err)
	}
	if ok, err := changed(res); err != nil || ok {
		return err
	}
	if _, err := db.findWarning(ctx, id); err != nil {
		return err
	}
	return segmentbot.Errorf(segmentbot.ECONFLICT, "Warning %d is not leased to %s.", id, worker)
}

// FindWarnings lists warnings newest first.
func (db *DB) FindWarnings(ctx context.Context, limit int) ([]*segmentbot.Warning, error) {
	var list []*segmentbot.Warning
	err := db.read.SelectContext(ctx, &list, db.read.Rebind(`
		SELECT `+warningColumns+` FROM warnings ORDER BY id DESC LIMIT ?`), pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("find warnings: %w", err)
	}
	return list, nil
}

func (db *DB) findWarning(ctx context.Context, id int64) (*segmentbot.Warning, error) {
	var w segmentbot.Warning
	err := db.read.GetContext(ctx, &w, db.read.Rebind(`SELECT `+warningColumns+` FROM warnings WHERE id = ?`), id)
	if err != nil {
		return nil, notFound(fmt.Errorf("find warning %d: %w", id, err), "There is no warning %d.", id)
	}
	return &w, nil
}
