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

// abandonedKey is how long a key may stay "being handled" before a retry
// takes it over (the request's replica died).
const abandonedKey = time.Minute

// ClaimIdempotencyKey stores k as being handled, or returns the stored key.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, k *segmentbot.IdempotencyKey) (*segmentbot.IdempotencyKey, error) {
	res, err := db.db.ExecContext(ctx, db.db.Rebind(`
		INSERT INTO idempotency_keys (scope, key, body_hash, status, created_at) VALUES (?, ?, ?, 0, ?)
		ON CONFLICT (scope, key) DO NOTHING`), k.Scope, k.Key, k.BodyHash, db.now())
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if fresh, err := changed(res); err != nil || fresh {
		return nil, err
	}
	var stored segmentbot.IdempotencyKey
	err = db.db.GetContext(ctx, &stored, db.db.Rebind(`
		SELECT scope, key, body_hash, status, response, resource_id FROM idempotency_keys WHERE scope = ? AND key = ?`), k.Scope, k.Key)
	if errors.Is(err, sql.ErrNoRows) {
		return db.ClaimIdempotencyKey(ctx, k) // deleted meanwhile
	} else if err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	return &stored, nil
}

// RetakeIdempotencyKey claims a failed or abandoned key again.
func (db *DB) RetakeIdempotencyKey(ctx context.Context, scope, key string) (bool, error) {
	now := db.now()
	res, err := db.db.ExecContext(ctx, db.db.Rebind(`
		UPDATE idempotency_keys SET status = 0, created_at = ?
		WHERE scope = ? AND key = ? AND (status = -1 OR (status = 0 AND created_at < ?))`), now, scope, key, now.Add(-abandonedKey))
	if err != nil {
		return false, fmt.Errorf("retake idempotency key: %w", err)
	}
	return changed(res)
}

// FinishIdempotencyKey records the answer or the failure of the request.
func (db *DB) FinishIdempotencyKey(ctx context.Context, scope, key string, status int, response string) error {
	if _, err := db.db.ExecContext(ctx, db.db.Rebind(`
		UPDATE idempotency_keys SET status = ?, response = ? WHERE scope = ? AND key = ?`), status, response, scope, key); err != nil {
		return fmt.Errorf("finish idempotency key: %w", err)
	}
	return nil
}

// recordResource notes on the request's Idempotency-Key, in the create's
// transaction, what it made.
func recordResource(ctx context.Context, tx *sqlx.Tx, id int64) error {
	k := segmentbot.IdempotencyKeyFrom(ctx)
	if k == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE idempotency_keys SET resource_id = ? WHERE scope = ? AND key = ?`), id, k.Scope, k.Key); err != nil {
		return fmt.Errorf("record the resource of idempotency key: %w", err)
	}
	return nil
}
