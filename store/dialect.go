package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

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
	// keepRow ends a SELECT of a row that must not be deleted until
	// commit (a segment a membership is written for), without blocking
	// other writers.
	keepRow string
	// claimRows ends a SELECT of queue rows a worker is about to lease:
	// rows another worker is leasing right now are skipped, not waited for.
	claimRows string
	// finishedWithin is true when import i finished less than ? milliseconds
	// before broadcast b's time.
	finishedWithin string
	// afterStage runs after rows are staged, in the same transaction. On
	// PostgreSQL it refreshes the planner's statistics: without them a fresh
	// million-row import looks like one row, and the set-based statements
	// that follow get nested-loop plans that never finish.
	afterStage string
	// keyedSettings run first in the transactions that claim, renew and
	// mark delivery rows by key. On PostgreSQL: no bitmap scans. Right
	// after an audience of a million is fixed the table has no statistics
	// for its new rows, and the planner then picks a bitmap scan of every
	// row of the broadcast (and a sort) to touch a few hundred of them;
	// an ANALYZE in the fix instead would cost more than the fix itself.
	keyedSettings []string
	// bulkSettings run first in the transactions of the set-based import
	// statements. On PostgreSQL: enough memory that a million-row import
	// hashes and sorts in memory instead of spilling to disk, and no merge
	// joins, which the planner picks from the poor row estimates of CTEs
	// and which then sort text by collation (several times slower than the
	// hash joins), and no nested loops, which it picks when it misjudges a
	// CTE's rows as few and which then probe an index a million times, and
	// no sorts where a hash aggregate will do (from the same misjudgement
	// it sorts a million values by collation to group them). SET LOCAL
	// ends with the transaction.
	bulkSettings []string
	// stageRows bulk-loads staged import rows inside tx.
	stageRows func(ctx context.Context, tx *sqlx.Tx, importID int64, next func() (*segmentbot.StagedRow, error)) (int64, error)
	// applyRows gives every row of an import's part its outcome, adds the
	// new members with their join events, and counts the outcomes. Where
	// the database runs one writer at a time it also writes the attribute
	// cells of the rows that reached a user, counting the users whose
	// attributes changed as outcome attributes_updated; elsewhere those
	// are written apart, on a second connection, at the same time (see
	// pgApplyRows).
	applyRows func(ctx context.Context, db *DB, tx *sqlx.Tx, imp *segmentbot.Import, now time.Time, p part) ([]outcomeCount, error)
	// oneWriter is true when the database runs one write transaction at a
	// time: applying the directory's rows then only delays the lookups'
	// saves, so ApplyKnown leaves the import to ApplyImport, and an
	// import's attribute cells are written in the transaction of its
	// members, since a second writer would only wait for it.
	oneWriter bool
	// notInList writes a filter's not_in and missing as NOT IN (ids)
	// rather than NOT EXISTS (see filterSQL).
	notInList bool
	// countSettings run first in the transaction of FindAudience's count.
	// On PostgreSQL: no hash joins, whose million probes into a table of
	// a few hundred thousand ids cost several times the merge join of the
	// two sorted lists (the members by the primary key, the ids sorted
	// once), no parallel workers (two cores, shared), and the memory to
	// sort the ids in place (docs/decisions.md, attrs-store).
	countSettings []string
	// isUniqueViolation reports whether err is a unique-constraint failure.
	isUniqueViolation func(err error) bool
}

var postgres = &dialect{
	name:           "postgres",
	goose:          goose.DialectPostgres,
	migrations:     "migrations/postgres",
	lockRow:        " FOR UPDATE",
	lockSegment:    " FOR NO KEY UPDATE",
	keepRow:        " FOR KEY SHARE",
	claimRows:      " FOR UPDATE SKIP LOCKED",
	finishedWithin: "b.scheduled_at - i.finished_at < CAST(? AS BIGINT) * INTERVAL '1 millisecond'",
	bulkSettings: []string{"SET LOCAL work_mem = '256MB'", "SET LOCAL enable_mergejoin = off",
		"SET LOCAL enable_nestloop = off", "SET LOCAL enable_sort = off",
		"SET LOCAL max_parallel_workers_per_gather = 0"},
	stageRows:     copyStagedRows,
	afterStage:    "ANALYZE import_rows",
	keyedSettings: []string{"SET LOCAL enable_bitmapscan = off"},
	countSettings: []string{"SET LOCAL work_mem = '64MB'", "SET LOCAL enable_hashjoin = off",
		"SET LOCAL max_parallel_workers_per_gather = 0"},
	applyRows:         pgApplyRows,
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
	applyRows:         sqliteApplyRows,
	oneWriter:         true,
	notInList:         true,
	isUniqueViolation: sqliteUniqueViolation,
}

// copyStagedRows streams rows into import_rows with COPY, the fastest way
// into PostgreSQL (several times a multi-row INSERT).
func copyStagedRows(ctx context.Context, tx *sqlx.Tx, importID int64, next func() (*segmentbot.StagedRow, error)) (int64, error) {
	stmt, err := tx.PrepareContext(ctx, "COPY import_rows (import_id, row_no, value, norm, kind, note, attributes) FROM STDIN")
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
		if _, err := stmt.ExecContext(ctx, importID, r.Row, r.Value, r.Norm, r.Kind, r.Note, stagedAttributes(r.Attributes)); err != nil {
			return n, fmt.Errorf("copy row %d: %w", r.Row, err)
		}
		n++
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return n, fmt.Errorf("finish copy: %w", err)
	}
	return n, nil
}

// stageBatch rows go in one INSERT: 7 parameters each stays far below
// SQLite's limit of 32766 and amortises the statement well.
const stageBatch = 500

// insertStagedRows loads rows with multi-row INSERTs prepared once.
func insertStagedRows(ctx context.Context, tx *sqlx.Tx, importID int64, next func() (*segmentbot.StagedRow, error)) (int64, error) {
	const cols = "INSERT INTO import_rows (import_id, row_no, value, norm, kind, note, attributes) VALUES "
	const params = 7
	full := cols + valuesRows(stageBatch, params)
	stmt, err := tx.PreparexContext(ctx, full)
	if err != nil {
		return 0, fmt.Errorf("prepare staged insert: %w", err)
	}
	defer stmt.Close()
	args := make([]any, 0, params*stageBatch)
	var n int64
	for {
		r, err := next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return n, err
		}
		args = append(args, importID, r.Row, r.Value, r.Norm, r.Kind, r.Note, stagedAttributes(r.Attributes))
		n++
		if len(args) == cap(args) {
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return n, fmt.Errorf("insert staged rows: %w", err)
			}
			args = args[:0]
		}
	}
	if len(args) > 0 {
		rest := cols + valuesRows(len(args)/params, params)
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
