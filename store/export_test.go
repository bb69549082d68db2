package store

import "context"

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
