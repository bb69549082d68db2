package store

import (
	"context"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// ClearSkeletons makes every segment look as made before migration 00045.
func (db *DB) ClearSkeletons(ctx context.Context) error {
	_, err := db.db.ExecContext(ctx, `UPDATE segments SET name_skeleton = ''`)
	return err
}

// BackfillSkeletons runs the Go migration 00046 again.
func (db *DB) BackfillSkeletons(ctx context.Context) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := backfillSkeletons(ctx, tx, db.db.Rebind); err != nil {
		return err
	}
	return tx.Commit()
}

// SetUserActive sets a user's active flag, as the directory does for one
// who left.
func (db *DB) SetUserActive(ctx context.Context, userID int64, active bool) error {
	_, err := db.db.ExecContext(ctx, db.db.Rebind(`UPDATE users SET active = ? WHERE id = ?`), active, userID)
	return err
}

// WalkSampleFrom makes FindAudience walk the members for its sample from
// a count of n, until the returned function restores it.
func WalkSampleFrom(n int64) func() {
	old := walkSample
	walkSample = n
	return func() { walkSample = old }
}

// OpenAt opens databaseURL with its schema migrated only up to version, as
// a database made by an earlier release is.
func OpenAt(ctx context.Context, databaseURL string, version int64) (*DB, error) {
	var db *DB
	var err error
	if strings.HasPrefix(databaseURL, "sqlite:") {
		db, err = openSQLite(strings.TrimPrefix(databaseURL, "sqlite:"))
	} else {
		db, err = openPostgres(databaseURL)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx, version); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// MigrationVersions lists the versions of the dialect's SQL migrations.
func MigrationVersions(dialect string) ([]int64, error) {
	names, err := fs.Glob(migrations, "migrations/"+dialect+"/*.sql")
	if err != nil {
		return nil, err
	}
	var versions []int64
	for _, n := range names {
		v, err := strconv.ParseInt(strings.SplitN(path.Base(n), "_", 2)[0], 10, 64)
		if err != nil {
			return nil, err
		}
		versions = append(versions, v)
	}
	return versions, nil
}

// SlipGlobalOptOut records that userID opted out of everything without
// taking them out of any segment: the state a rule sync's join leaves when
// the opt-out commits while the join runs on its snapshot.
func (db *DB) SlipGlobalOptOut(ctx context.Context, userID int64) error {
	_, err := db.db.ExecContext(ctx, db.db.Rebind(`INSERT INTO global_opt_outs (user_id, source, created_at) VALUES (?, ?, ?)`),
		userID, segmentbot.SourceKeyword, db.now())
	return err
}

// Exec runs statement q, for a test that needs what no method does (a
// trigger that makes a write fail).
func (db *DB) Exec(ctx context.Context, q string) error {
	_, err := db.db.ExecContext(ctx, q)
	return err
}

// SetMaxOpenConns bounds the pool of writes and transactions, as a busy
// service whose workers hold every connection would.
func (db *DB) SetMaxOpenConns(n int) { db.db.SetMaxOpenConns(n) }
