package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"

	"github.com/segmentbot/segmentbot"
)

// dialect holds everything that differs between PostgreSQL and SQLite.
// Queries elsewhere are written once, with ? placeholders and Rebind.
type dialect struct {
	name       string
	goose      goose.Dialect
	migrations string // folder in the embedded migrations
	// lockRow ends a SELECT that must block concurrent changes of the
	// selected rows until commit. SQLite needs none: its transactions are
	// immediate, so writers are serialised already.
	lockRow string
	// lockSegment ends the SELECT that serialises imports into a segment.
	lockSegment string
	// claimRows ends a SELECT of queue rows a worker is about to lease:
	// rows another worker is leasing right now are skipped, not waited for.
	claimRows string
	// finishedWithin is true when import i finished less than ? milliseconds
	// before broadcast b's time.
	finishedWithin string
	// matchRows gives unmatched staged rows of an import the user the
	// directory or a live lookup knows for their value, preferring users of
	// the import's channel. Every ? is the import id.
	matchRows string
	// afterStage runs after rows are staged, in the same transaction. On
	// PostgreSQL it refreshes the planner's statistics: without them a fresh
	// million-row import looks like one row, and the set-based statements
	// that follow get nested-loop plans that never finish.
	afterStage string
	// stageRows bulk-loads staged import rows inside tx.
	stageRows func(ctx context.Context, tx *sqlx.Tx, importID int64, next func() (*segmentbot.StagedRow, error)) (int64, error)
	// isUniqueViolation reports whether err is a unique-constraint failure.
	isUniqueViolation func(err error) bool
}

var postgres = &dialect{
	name:              "postgres",
	goose:             goose.DialectPostgres,
	migrations:        "migrations/postgres",
	lockRow:           " FOR UPDATE",
	lockSegment:       " FOR NO KEY UPDATE",
	claimRows:         " FOR UPDATE SKIP LOCKED",
	finishedWithin:    "b.scheduled_at - i.finished_at < CAST(? AS BIGINT) * INTERVAL '1 millisecond'",
	stageRows:         copyStagedRows,
	matchRows:         pgMatchRows,
	afterStage:        "ANALYZE import_rows",
	isUniqueViolation: pqUniqueViolation,
}

var sqlite = &dialect{
	name:       "sqlite",
	goose:      goose.DialectSQLite3,
	migrations: "migrations/sqlite",
	// julianday keeps milliseconds exactly (as an integer inside SQLite);
	// round() drops the float noise of the subtraction.
	finishedWithin:    "round((julianday(b.scheduled_at) - julianday(i.finished_at)) * 86400000) < ?",
	stageRows:         insertStagedRows,
	matchRows:         sqliteMatchRows,
	isUniqueViolation: sqliteUniqueViolation,
}

// copyStagedRows streams rows into import_rows with COPY, the fastest way
// into PostgreSQL (several times a multi-row INSERT).
func copyStagedRows(ctx context.Context, tx *sqlx.Tx, importID int64, next func() (*segmentbot.StagedRow, error)) (int64, error) {
	stmt, err := tx.PrepareContext(ctx, "COPY import_rows (import_id, row_no, value, norm, kind, note) FROM STDIN")
	if err != nil {
		return 0, fmt.Errorf("prepare copy: %w", err)
	}
	defer stmt.Close()
	var n int64
	for {
		r, err := next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return n, err
		}
		if _, err := stmt.ExecContext(ctx, importID, r.Row, r.Value, r.Norm, r.Kind, r.Note); err != nil {
			return n, fmt.Errorf("copy row %d: %w", r.Row, err)
		}
		n++
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return n, fmt.Errorf("finish copy: %w", err)
	}
	return n, nil
}

// stageBatch rows go in one INSERT: 6 parameters each stays far below
// SQLite's limit of 32766 and amortises the statement well.
const stageBatch = 500

// insertStagedRows loads rows with multi-row INSERTs prepared once.
func insertStagedRows(ctx context.Context, tx *sqlx.Tx, importID int64, next func() (*segmentbot.StagedRow, error)) (int64, error) {
	const cols = "INSERT INTO import_rows (import_id, row_no, value, norm, kind, note) VALUES "
	full := cols + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?),", stageBatch), ",")
	stmt, err := tx.PreparexContext(ctx, full)
	if err != nil {
		return 0, fmt.Errorf("prepare staged insert: %w", err)
	}
	defer stmt.Close()
	args := make([]any, 0, 6*stageBatch)
	var n int64
	for {
		r, err := next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return n, err
		}
		args = append(args, importID, r.Row, r.Value, r.Norm, r.Kind, r.Note)
		n++
		if len(args) == cap(args) {
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return n, fmt.Errorf("insert staged rows: %w", err)
			}
			args = args[:0]
		}
	}
	if len(args) > 0 {
		rest := cols + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?),", len(args)/6), ",")
		if _, err := tx.ExecContext(ctx, rest, args...); err != nil {
			return n, fmt.Errorf("insert staged rows: %w", err)
		}
	}
	return n, nil
}

func pqUniqueViolation(err error) bool {
	var e *pq.Error
	return errors.As(err, &e) && e.Code == "23505"
}

func sqliteUniqueViolation(err error) bool {
	const constraintUnique, constraintPrimaryKey = 2067, 1555
	var e interface{ Code() int }
	return errors.As(err, &e) && (e.Code() == constraintUnique || e.Code() == constraintPrimaryKey)
}

// pgMatchRows matches all rows in one set-based pass (hash joins over the
// whole import), joining back on the primary key.
const pgMatchRows = `
WITH wanted AS (
	SELECT DISTINCT kind, norm FROM import_rows
	WHERE import_id = ? AND kind <> 'invalid' AND dup_of IS NULL AND user_id IS NULL
), candidates AS (
	SELECT w.kind, w.norm, u.id, u.channel FROM wanted w JOIN users u ON u.email = w.norm WHERE w.kind = 'email'
	UNION ALL
	SELECT w.kind, w.norm, u.id, u.channel FROM wanted w JOIN users u ON u.upn = w.norm WHERE w.kind = 'email'
	UNION ALL
	SELECT w.kind, w.norm, u.id, u.channel FROM wanted w JOIN users u ON u.aad_object_id = w.norm WHERE w.kind = 'aad'
	UNION ALL
	SELECT w.kind, w.norm, u.id, u.channel FROM wanted w JOIN users u ON u.external_id = w.norm WHERE w.kind = 'numeric'
	UNION ALL
	SELECT l.kind, l.norm, l.user_id, i.channel FROM import_lookups l JOIN imports i ON i.id = l.import_id
	WHERE l.import_id = ? AND l.user_id IS NOT NULL
), best AS (
	SELECT DISTINCT ON (c.kind, c.norm) c.kind, c.norm, c.id FROM candidates c
	ORDER BY c.kind, c.norm, CASE WHEN c.channel = (SELECT channel FROM imports WHERE id = ?) THEN 0 ELSE 1 END, c.id
)
UPDATE import_rows SET user_id = m.id
FROM (SELECT r.row_no, best.id FROM import_rows r JOIN best ON best.kind = r.kind AND best.norm = r.norm
	WHERE r.import_id = ? AND r.dup_of IS NULL AND r.user_id IS NULL) AS m
WHERE import_rows.import_id = ? AND import_rows.row_no = m.row_no`

// sqliteMatchRows probes the lookups and the users' indexes row by row:
// SQLite plans a nested loop either way, and these probes are indexed.
const sqliteMatchRows = `
UPDATE import_rows SET user_id = COALESCE(
	(SELECT l.user_id FROM import_lookups l
		WHERE l.import_id = import_rows.import_id AND l.kind = import_rows.kind AND l.norm = import_rows.norm),
	(SELECT u.id FROM users u
		WHERE (import_rows.kind = 'email' AND u.email = import_rows.norm)
		OR (import_rows.kind = 'email' AND u.upn = import_rows.norm)
		OR (import_rows.kind = 'aad' AND u.aad_object_id = import_rows.norm)
		OR (import_rows.kind = 'numeric' AND u.external_id = import_rows.norm)
		ORDER BY CASE WHEN u.channel = (SELECT channel FROM imports WHERE id = import_rows.import_id) THEN 0 ELSE 1 END, u.id
		LIMIT 1))
WHERE import_id = ? AND kind <> 'invalid' AND dup_of IS NULL AND user_id IS NULL`
