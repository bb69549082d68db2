package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/segmentbot/segmentbot"
)

// directoryMatch AAD object ids are matched per statement.
const directoryMatch = 1000

// DirectoryTenants lists, in order, the tenants of channel's users that
// have an AAD object id: those the directory sync reads.
func (db *DB) DirectoryTenants(ctx context.Context, channel string) ([]string, error) {
	var tenants []string
	err := db.read.SelectContext(ctx, &tenants, db.read.Rebind(`
		SELECT DISTINCT tenant_id FROM users
		WHERE channel = ? AND aad_object_id <> '' AND tenant_id <> '' ORDER BY tenant_id`), channel)
	if err != nil {
		return nil, fmt.Errorf("find the tenants of %s users: %w", channel, err)
	}
	return tenants, nil
}

// ClaimDirectorySync leases the tenant's sync to worker unless another
// worker holds it or a sync finished after since, and returns the stored
// delta link.
func (db *DB) ClaimDirectorySync(ctx context.Context, channel, tenantID, worker string, since time.Time, lease time.Duration) (string, bool, error) {
	if channel == "" || tenantID == "" || worker == "" {
		return "", false, segmentbot.Errorf(segmentbot.EINVALID, "A directory sync needs a channel, a tenant and a worker.")
	}
	now := db.now()
	var links []string
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO directory_syncs (channel, tenant_id) VALUES (?, ?) ON CONFLICT DO NOTHING`), channel, tenantID); err != nil {
			return fmt.Errorf("add the directory sync of %s: %w", tenantID, err)
		}
		return tx.SelectContext(ctx, &links, tx.Rebind(`
			UPDATE directory_syncs SET worker = ?, lease_until = ?
			WHERE channel = ? AND tenant_id = ? AND (lease_until IS NULL OR lease_until < ?)
				AND (synced_at IS NULL OR synced_at < ?)
			RETURNING delta_link`), worker, now.Add(lease), channel, tenantID, now, since.UTC())
	})
	if err != nil {
		return "", false, fmt.Errorf("claim the directory sync of %s: %w", tenantID, err)
	}
	if len(links) == 0 {
		return "", false, nil
	}
	return links[0], true, nil
}

// FinishDirectorySync stores link (unless empty), records the time and
// releases worker's lease.
func (db *DB) FinishDirectorySync(ctx context.Context, channel, tenantID, worker, link string) error {
	q, args := `UPDATE directory_syncs SET worker = '', lease_until = NULL
		WHERE channel = ? AND tenant_id = ? AND worker = ?`, []any{channel, tenantID, worker}
	if link != "" {
		q, args = `UPDATE directory_syncs SET worker = '', lease_until = NULL, delta_link = ?, synced_at = ?
			WHERE channel = ? AND tenant_id = ? AND worker = ?`, append([]any{link, db.now()}, args...)
	}
	res, err := db.db.ExecContext(ctx, db.db.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("finish the directory sync of %s: %w", tenantID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return segmentbot.Errorf(segmentbot.ECONFLICT, "The directory sync of %s is no longer held by %s.", tenantID, worker)
	}
	return nil
}

// SaveDirectoryUsers matches users to the tenant's known users by AAD
// object id, a batch per statement, stamps them as seen by the directory
// at seen and brings their active flag and attributes up to date in one
// transaction that also renews worker's lease.
func (db *DB) SaveDirectoryUsers(ctx context.Context, channel, tenantID, worker string, lease time.Duration, seen time.Time, users []*segmentbot.User) (segmentbot.DirectoryChange, error) {
	change := segmentbot.DirectoryChange{Seen: int64(len(users))}
	byAAD := make(map[string]*segmentbot.User, len(users))
	for _, u := range users {
		if id := strings.ToLower(strings.TrimSpace(u.AADObjectID)); id != "" {
			byAAD[id] = u // the last word on a user wins
		}
	}
	ids := make([]string, 0, len(byAAD))
	for id := range byAAD {
		ids = append(ids, id)
	}
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.renewDirectorySync(ctx, tx, channel, tenantID, worker, lease); err != nil {
			return err
		}
		known, err := matchDirectoryUsers(ctx, tx, channel, tenantID, ids)
		if err != nil {
			return err
		}
		change.Matched = int64(len(known))
		if err := stampDirectorySeen(ctx, tx, known, seen); err != nil {
			return err
		}
		var leave, back []int64
		for _, k := range known {
			switch active := byAAD[k.AADObjectID].Active; {
			case !active && k.Active:
				leave = append(leave, k.ID)
			case active && !k.Active:
				back = append(back, k.ID)
			}
		}
		// In id order, as every writer locks them: the sync's concurrent
		// writes never wait on each other in a circle.
		slices.Sort(leave)
		slices.Sort(back)
		change.Left = int64(len(leave))
		if err := setActive(ctx, tx, leave, false); err != nil {
			return err
		}
		if err := setActive(ctx, tx, back, true); err != nil {
			return err
		}
		var attrs []segmentbot.Attribute
		for _, k := range known {
			attrs = appendDirectoryAttributes(attrs, k.ID, byAAD[k.AADObjectID].Attributes)
		}
		change.Attributes, err = db.upsertAttributes(ctx, tx, attrs)
		if err != nil {
			return fmt.Errorf("save the directory attributes of %d users of %s: %w", len(known), tenantID, err)
		}
		return nil
	})
	if err != nil {
		return segmentbot.DirectoryChange{}, err
	}
	return change, nil
}

// renewDirectorySync checks that worker holds the tenant's sync and
// renews its lease once half of it has gone. Only the renewal writes the
// sync's row, so concurrent writes of one sync do not queue on its lock.
func (db *DB) renewDirectorySync(ctx context.Context, tx *sqlx.Tx, channel, tenantID, worker string, lease time.Duration) error {
	var holders []string
	if err := tx.SelectContext(ctx, &holders, tx.Rebind(`
		SELECT worker FROM directory_syncs WHERE channel = ? AND tenant_id = ?`), channel, tenantID); err != nil {
		return fmt.Errorf("check the directory sync of %s: %w", tenantID, err)
	}
	if len(holders) == 0 || holders[0] != worker {
		return segmentbot.Errorf(segmentbot.ECONFLICT, "The directory sync of %s is no longer held by %s.", tenantID, worker)
	}
	now := db.now()
	_, err := tx.ExecContext(ctx, tx.Rebind(`
		UPDATE directory_syncs SET lease_until = ?
		WHERE channel = ? AND tenant_id = ? AND worker = ? AND lease_until < ?`),
		now.Add(lease), channel, tenantID, worker, now.Add(lease/2))
	if err != nil {
		return fmt.Errorf("renew the directory sync of %s: %w", tenantID, err)
	}
	return nil
}

// knownUser is a stored user the directory reported.
type knownUser struct {
	ID          int64  `db:"id"`
	AADObjectID string `db:"aad_object_id"`
	Active      bool   `db:"active"`
}

// matchDirectoryUsers finds the tenant's users with the AAD object ids.
func matchDirectoryUsers(ctx context.Context, tx *sqlx.Tx, channel, tenantID string, ids []string) ([]knownUser, error) {
	var known []knownUser
	for start := 0; start < len(ids); start += directoryMatch {
		chunk := ids[start:min(start+directoryMatch, len(ids))]
		q, args, err := sqlx.In(`SELECT id, aad_object_id, active FROM users
			WHERE channel = ? AND tenant_id = ? AND aad_object_id IN (?)`, channel, tenantID, chunk)
		if err != nil {
			return nil, err
		}
		var got []knownUser
		if err := tx.SelectContext(ctx, &got, tx.Rebind(q), args...); err != nil {
			return nil, fmt.Errorf("match %d directory users of %s: %w", len(chunk), tenantID, err)
		}
		known = append(known, got...)
	}
	return known, nil
}

// stampDirectorySeen records that the directory reported the known
// users at seen. In id order, as every writer locks them; the updates of
// their active flag that follow find them locked already.
func stampDirectorySeen(ctx context.Context, tx *sqlx.Tx, known []knownUser, seen time.Time) error {
	ids := make([]int64, len(known))
	for i, k := range known {
		ids[i] = k.ID
	}
	slices.Sort(ids)
	seen = seen.UTC().Truncate(time.Microsecond)
	if _, err := updateUsers(ctx, tx, ids, `UPDATE users SET directory_seen_at = ? WHERE id IN (?)`, []any{seen}); err != nil {
		return fmt.Errorf("stamp %d users as seen by the directory: %w", len(ids), err)
	}
	return nil
}

// updateUsers runs query, an UPDATE of users whose one "IN (?)" takes
// ids, on directoryMatch ids at a time (in the order given), with before
// bound ahead of the ids and after behind them, and returns the rows it
// changed.
func updateUsers(ctx context.Context, tx *sqlx.Tx, ids []int64, query string, before []any, after ...any) (int64, error) {
	var changed int64
	for chunk := range slices.Chunk(ids, directoryMatch) {
		q, args, err := sqlx.In(query, append(append(slices.Clone(before), chunk), after...)...)
		if err != nil {
			return changed, err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
		if err != nil {
			return changed, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return changed, err
		}
		changed += n
	}
	return changed, nil
}

// MarkUnseenLeft marks as left (active false) the tenant's active users
// of channel with an AAD object id that no directory sync reported since
// since: after a full read of the tenant's directory that began at since,
// those gone from it. Nobody is deleted; attributes stay. It returns how
// many it marked.
func (db *DB) MarkUnseenLeft(ctx context.Context, channel, tenantID string, since time.Time) (int64, error) {
	if channel == "" || tenantID == "" || since.IsZero() {
		return 0, segmentbot.Errorf(segmentbot.EINVALID, "Marking the users gone from a directory needs a channel, a tenant and the sync's start.")
	}
	since = since.UTC().Truncate(time.Microsecond)
	const unseen = ` AND aad_object_id <> '' AND active = ? AND (directory_seen_at IS NULL OR directory_seen_at < ?)`
	var left int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT id FROM users
			WHERE channel = ? AND tenant_id = ?`+unseen+` ORDER BY id`), channel, tenantID, true, since); err != nil {
			return err
		}
		// In id order, as every writer locks them.
		n, err := updateUsers(ctx, tx, ids, `UPDATE users SET active = ? WHERE id IN (?)`+unseen, []any{false}, true, since)
		left = n
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mark the users of %s gone from the directory: %w", tenantID, err)
	}
	return left, nil
}

// setActive sets the active flag of the users.
func setActive(ctx context.Context, tx *sqlx.Tx, ids []int64, active bool) error {
	if _, err := updateUsers(ctx, tx, ids, `UPDATE users SET active = ? WHERE id IN (?)`, []any{active}); err != nil {
		return fmt.Errorf("set %d users active=%t: %w", len(ids), active, err)
	}
	return nil
}

// appendDirectoryAttributes appends a user's directory attributes as
// rows of source directory, in name order. A value longer than the store
// keeps is cut to fit: one odd entry in the directory must not fail a
// whole sync or lookup.
func appendDirectoryAttributes(attrs []segmentbot.Attribute, userID int64, values map[string]string) []segmentbot.Attribute {
	if userID == 0 {
		return attrs
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		v := segmentbot.CutAttributeValue(strings.TrimSpace(values[name]))
		attrs = append(attrs, segmentbot.Attribute{UserID: userID, Name: name, Value: v, Source: segmentbot.AttributeDirectory})
	}
	return attrs
}
