package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/segmentbot/segmentbot"
)

// deliveryPage is how many rows EachDelivery reads per query; it holds no
// connection while fn runs.
const deliveryPage = 5000

// ClaimBroadcast leases to worker the oldest broadcast that needs an
// owner and whose lease is free: a due one with a message, one sending,
// one cancelled while sending that was never closed, or one finished
// after it started whose report was not delivered. nil, nil when none.
func (db *DB) ClaimBroadcast(ctx context.Context, worker string, now time.Time, lease time.Duration) (*segmentbot.Broadcast, error) {
	var b *segmentbot.Broadcast
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`
			SELECT id FROM broadcasts
			WHERE (status = 'scheduled' AND message IS NOT NULL AND scheduled_at <= ?
				OR status = 'sending'
				OR started_at IS NOT NULL AND (finished_at IS NULL AND status = ? OR finished_at IS NOT NULL AND reported_at IS NULL))
			AND (locked_until IS NULL OR locked_until < ?)
			ORDER BY id LIMIT 1`+db.dialect.claimRows),
			now.UTC(), segmentbot.BroadcastCancelled, db.now()); err != nil {
			return fmt.Errorf("claim broadcast: %w", err)
		} else if len(ids) == 0 {
			return nil
		}
		var err error
		b, err = getBroadcast(ctx, tx, ids[0], `
			UPDATE broadcasts SET locked_by = ?, locked_until = ? WHERE id = ?
			RETURNING `+broadcastColumns, worker, db.now().Add(lease), ids[0])
		if err != nil {
			return fmt.Errorf("claim broadcast: %w", err)
		}
		return db.fillCounts(ctx, tx, b)
	})
	return b, err
}

// RenewBroadcast extends worker's lease and returns the broadcast with its
// counts. ECONFLICT if worker lost the lease, ENOTFOUND.
func (db *DB) RenewBroadcast(ctx context.Context, id int64, worker string, lease time.Duration) (*segmentbot.Broadcast, error) {
	list, err := selectBroadcasts(ctx, db.db, `
		UPDATE broadcasts SET locked_until = ? WHERE id = ? AND locked_by = ?
		RETURNING `+broadcastColumns, db.now().Add(lease), id, worker)
	if err != nil {
		return nil, fmt.Errorf("renew broadcast %d: %w", id, err)
	}
	if len(list) == 0 {
		if _, err := db.FindBroadcastByID(ctx, id); err != nil {
			return nil, err
		}
		return nil, segmentbot.Errorf(segmentbot.ECONFLICT, "Broadcast %d is not leased to %s.", id, worker)
	}
	return list[0], db.fillCounts(ctx, db.db, list[0])
}

// FindSendingBroadcasts lists the broadcasts being sent, oldest first.
func (db *DB) FindSendingBroadcasts(ctx context.Context) ([]*segmentbot.Broadcast, error) {
	list, err := selectBroadcasts(ctx, db.read, `SELECT `+broadcastColumns+` FROM broadcasts WHERE status = 'sending' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("find sending broadcasts: %w", err)
	}
	return list, nil
}

// FixAudience writes the broadcast's delivery rows in one INSERT ...
// SELECT and makes it sending, in one transaction that holds the
// broadcast's row, so a second call (another replica, a restart) finds it
// sending and does nothing. audienceWhere is the rule.
func (db *DB) FixAudience(ctx context.Context, id int64) (*segmentbot.Broadcast, error) {
	return db.changeBroadcast(ctx, id, func(tx *sqlx.Tx, b *segmentbot.Broadcast) error {
		if b.Message == nil {
			return segmentbot.Errorf(segmentbot.EINVALID, "Broadcast %d has no message: it is a placeholder and is never sent.", id)
		} else if b.Status != segmentbot.BroadcastScheduled {
			return nil
		}
		where, args, err := db.dialect.audienceWhere(b.SegmentID, b.Filter)
		if err != nil {
			return err
		}
		for _, s := range db.dialect.bulkSettings {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("fix audience of broadcast %d: %s: %w", id, s, err)
			}
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO deliveries (broadcast_id, user_id)
			SELECT ?, m.user_id FROM memberships m WHERE `+where), append([]any{id}, args...)...)
		if err != nil {
			return fmt.Errorf("fix audience of broadcast %d: %w", id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("fix audience of broadcast %d: %w", id, err)
		}
		now := db.now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE broadcasts SET status = ?, started_at = ?, audience = ? WHERE id = ?`),
			segmentbot.BroadcastSending, now, n, id); err != nil {
			return fmt.Errorf("start broadcast %d: %w", id, err)
		}
		b.Status, b.StartedAt, b.Audience, b.Pending = segmentbot.BroadcastSending, &now, n, n
		return nil
	})
}

// ClaimDeliveries leases up to limit pending rows of a sending broadcast
// to worker, after user id after, skipping rows other workers hold (SKIP
// LOCKED on PostgreSQL; SQLite runs one writer at a time). Rows of users
// who opted out of the segment since the audience was fixed become
// skipped / opted_out in the same transaction.
func (db *DB) ClaimDeliveries(ctx context.Context, id int64, worker string, lease time.Duration, after int64, limit int) ([]*segmentbot.Recipient, error) {
	var claimed []*segmentbot.Recipient
	err := db.inKeyedTx(ctx, func(tx *sqlx.Tx) error {
		var segment []int64
		if err := tx.SelectContext(ctx, &segment, tx.Rebind(`SELECT segment_id FROM broadcasts WHERE id = ? AND status = ?`),
			id, segmentbot.BroadcastSending); err != nil {
			return fmt.Errorf("claim deliveries of broadcast %d: %w", id, err)
		} else if len(segment) == 0 {
			return nil
		}
		now := db.now()
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`
			SELECT user_id FROM deliveries
			WHERE broadcast_id = ? AND user_id > ? AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)
			ORDER BY user_id LIMIT ?`+db.dialect.claimRows), id, after, now, pageLimit(limit)); err != nil {
			return fmt.Errorf("claim deliveries of broadcast %d: %w", id, err)
		} else if len(ids) == 0 {
			return nil
		}
		ids, err := db.skipOptedOut(ctx, tx, id, segment[0], ids)
		if err != nil || len(ids) == 0 {
			return err
		}
		lo, hi := keySpan(ids)
		query, args, err := sqlx.In(`UPDATE deliveries SET claimed_by = ?, claimed_until = ?
			WHERE broadcast_id = ? AND user_id BETWEEN ? AND ? AND user_id IN (?) RETURNING user_id, attempts`,
			worker, now.Add(lease), id, lo, hi, ids)
		if err != nil {
			return fmt.Errorf("claim deliveries of broadcast %d: %w", id, err)
		}
		var rows []struct {
			UserID   int64 `db:"user_id"`
			Attempts int   `db:"attempts"`
		}
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(query), args...); err != nil {
			return fmt.Errorf("claim deliveries of broadcast %d: %w", id, err)
		}
		query, args, err = sqlx.In(`SELECT `+userColumns+` FROM users WHERE id IN (?)`, ids)
		if err != nil {
			return fmt.Errorf("claim deliveries of broadcast %d: %w", id, err)
		}
		var users []*segmentbot.User
		if err := tx.SelectContext(ctx, &users, tx.Rebind(query), args...); err != nil {
			return fmt.Errorf("recipients of broadcast %d: %w", id, err)
		}
		byID := make(map[int64]*segmentbot.User, len(users))
		for _, u := range users {
			byID[u.ID] = u
		}
		slices.SortFunc(rows, func(a, b struct {
			UserID   int64 `db:"user_id"`
			Attempts int   `db:"attempts"`
		}) int {
			return cmp.Compare(a.UserID, b.UserID)
		})
		for _, r := range rows {
			u := byID[r.UserID]
			if u == nil { // users are never deleted; a row without one is kept visible
				u = &segmentbot.User{ID: r.UserID}
			}
			claimed = append(claimed, &segmentbot.Recipient{User: u, Attempts: r.Attempts})
		}
		return nil
	})
	return claimed, err
}

// skipOptedOut marks the rows of ids whose users opted out of segment
// skipped / opted_out and returns the other ids.
func (db *DB) skipOptedOut(ctx context.Context, tx *sqlx.Tx, id, segment int64, ids []int64) ([]int64, error) {
	query, args, err := sqlx.In(`SELECT user_id FROM opt_outs WHERE segment_id = ? AND user_id IN (?)`, segment, ids)
	if err != nil {
		return nil, fmt.Errorf("opt-outs of broadcast %d: %w", id, err)
	}
	var out []int64
	if err := tx.SelectContext(ctx, &out, tx.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("opt-outs of broadcast %d: %w", id, err)
	} else if len(out) == 0 {
		return ids, nil
	}
	results := make([]segmentbot.DeliveryResult, len(out))
	gone := make(map[int64]bool, len(out))
	for i, u := range out {
		results[i] = segmentbot.DeliveryResult{UserID: u, Status: segmentbot.DeliverySkipped, Reason: segmentbot.DeliveryOptedOut}
		gone[u] = true
	}
	if err := db.markDeliveries(ctx, tx, id, results); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ids, func(u int64) bool { return gone[u] }), nil
}

// RenewDeliveries extends worker's lease on the pending rows of users it
// holds, by key (a replica names its rows rather than having every row of
// a large broadcast scanned for its name), and returns the users whose
// rows it renewed.
func (db *DB) RenewDeliveries(ctx context.Context, id int64, worker string, lease time.Duration, users []int64) ([]int64, error) {
	until := db.now().Add(lease)
	var renewed []int64
	err := db.inKeyedTx(ctx, func(tx *sqlx.Tx) error {
		renewed = renewed[:0]
		for chunk := range slices.Chunk(slices.Sorted(slices.Values(users)), 1000) {
			lo, hi := keySpan(chunk)
			query, args, err := sqlx.In(`UPDATE deliveries SET claimed_until = ?
				WHERE broadcast_id = ? AND user_id BETWEEN ? AND ? AND user_id IN (?) AND claimed_by = ? AND status = 'pending'
				RETURNING user_id`, until, id, lo, hi, chunk, worker)
			if err != nil {
				return fmt.Errorf("renew deliveries of broadcast %d: %w", id, err)
			}
			var got []int64
			if err := tx.SelectContext(ctx, &got, tx.Rebind(query), args...); err != nil {
				return fmt.Errorf("renew deliveries of broadcast %d: %w", id, err)
			}
			renewed = append(renewed, got...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return renewed, nil
}

// keySpan returns the least and greatest of ids, which must not be empty.
// The statements that touch delivery rows by key also bound user_id by
// this span: PostgreSQL costs an IN list of n keys as n index descents,
// and against a broadcast whose rows have no statistics yet (one row, it
// guesses) it would rather walk every row of the broadcast and filter
// them by the list, once per batch. The span is an index condition it
// always uses, so a batch reads the rows between its keys and no others.
func keySpan(ids []int64) (lo, hi int64) {
	return slices.Min(ids), slices.Max(ids)
}

// inKeyedTx is inTx with the dialect's keyedSettings applied first.
func (db *DB) inKeyedTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, s := range db.dialect.keyedSettings {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return fn(tx)
	})
}

// MarkDeliveries records sends atomically: on PostgreSQL in one
// statement (pgMarkSQL), elsewhere in one transaction (markDeliveries).
func (db *DB) MarkDeliveries(ctx context.Context, id int64, results []segmentbot.DeliveryResult) error {
	if len(results) == 0 {
		return nil
	}
	if db.dialect.name != postgres.name {
		return db.inKeyedTx(ctx, func(tx *sqlx.Tx) error { return db.markDeliveries(ctx, tx, id, results) })
	}
	users := make([]int64, len(results))
	statuses := make([]string, len(results))
	reasons := make([]string, len(results))
	attempts := make([]int64, len(results))
	for i, r := range results {
		if err := checkFinal(id, r); err != nil {
			return err
		}
		users[i], statuses[i], reasons[i], attempts[i] = r.UserID, r.Status, r.Reason, int64(r.Attempts)
	}
	lo, hi := keySpan(users)
	if _, err := db.db.ExecContext(ctx, db.db.Rebind(pgMarkSQL), pq.Array(users), pq.Array(statuses), pq.Array(reasons), pq.Array(attempts),
		segmentbot.DeliverySent, db.now(), id, lo, hi, id); err != nil {
		return fmt.Errorf("mark deliveries of broadcast %d: %w", id, err)
	}
	return nil
}

// pgMarkSQL is markDeliveries as one statement, atomic without a
// transaction around it: a replica records its sends as fast as one round
// trip to the database allows. Five round trips (begin, update, count,
// commit) each waited behind the hundreds of goroutines of the sends in
// flight, and sends wait for their record to be committed (the window).
// Rows already final are left alone and not counted; counters are taken
// in key order, as markDeliveries does.
const pgMarkSQL = `
	WITH results (user_id, status, reason, attempts) AS (
		SELECT * FROM unnest(CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS INT[]))
	), marked AS (
		UPDATE deliveries d SET status = r.status, reason = r.reason, attempts = r.attempts,
			sent_at = CASE WHEN r.status = ? THEN CAST(? AS TIMESTAMPTZ) END, claimed_by = '', claimed_until = NULL
		FROM results r
		WHERE d.broadcast_id = ? AND d.user_id BETWEEN ? AND ? AND d.user_id = r.user_id AND d.status = 'pending'
		RETURNING d.status, d.reason
	)
	INSERT INTO delivery_counts (broadcast_id, status, reason, n)
	SELECT ?, status, reason, count(*) FROM marked GROUP BY status, reason ORDER BY status, reason
	ON CONFLICT (broadcast_id, status, reason) DO UPDATE SET n = delivery_counts.n + excluded.n`

// checkFinal refuses a result whose status is not final.
func checkFinal(id int64, r segmentbot.DeliveryResult) error {
	switch r.Status {
	case segmentbot.DeliverySent, segmentbot.DeliveryFailed, segmentbot.DeliverySkipped:
		return nil
	}
	return fmt.Errorf("mark delivery of user %d in broadcast %d: status %q is not final", r.UserID, id, r.Status)
}

// resultGroup is the results that one UPDATE writes.
type resultGroup struct {
	status, reason string
	attempts       int
}

// markDeliveries moves each row of results that is still pending to its
// status with one UPDATE per (status, reason, attempts) and adds the rows
// it changed to the counters. Groups and counters go in a fixed order, so
// two replicas marking at once never deadlock on them.
func (db *DB) markDeliveries(ctx context.Context, tx *sqlx.Tx, id int64, results []segmentbot.DeliveryResult) error {
	groups := map[resultGroup][]int64{}
	for _, r := range results {
		if err := checkFinal(id, r); err != nil {
			return err
		}
		g := resultGroup{r.Status, r.Reason, r.Attempts}
		groups[g] = append(groups[g], r.UserID)
	}
	keys := make([]resultGroup, 0, len(groups))
	for g := range groups {
		keys = append(keys, g)
	}
	slices.SortFunc(keys, func(a, b resultGroup) int {
		return cmp.Or(cmp.Compare(a.status, b.status), cmp.Compare(a.reason, b.reason), cmp.Compare(a.attempts, b.attempts))
	})
	now := db.now()
	counts := map[[2]string]int64{}
	for _, g := range keys {
		var sentAt *time.Time
		if g.status == segmentbot.DeliverySent {
			sentAt = &now
		}
		ids := groups[g]
		slices.Sort(ids)
		lo, hi := keySpan(ids)
		query, args, err := sqlx.In(`UPDATE deliveries SET status = ?, reason = ?, attempts = ?, sent_at = ?,
			claimed_by = '', claimed_until = NULL
			WHERE broadcast_id = ? AND status = 'pending' AND user_id BETWEEN ? AND ? AND user_id IN (?)`,
			g.status, g.reason, g.attempts, sentAt, id, lo, hi, ids)
		if err != nil {
			return fmt.Errorf("mark deliveries of broadcast %d: %w", id, err)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(query), args...)
		if err != nil {
			return fmt.Errorf("mark deliveries of broadcast %d: %w", id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("mark deliveries of broadcast %d: %w", id, err)
		}
		counts[[2]string{g.status, g.reason}] += n
	}
	return addDeliveryCounts(ctx, tx, id, counts)
}

// addDeliveryCounts adds to the broadcast's counters, in key order.
func addDeliveryCounts(ctx context.Context, tx *sqlx.Tx, id int64, counts map[[2]string]int64) error {
	keys := make([][2]string, 0, len(counts))
	for k, n := range counts {
		if n > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO delivery_counts (broadcast_id, status, reason, n) VALUES (?, ?, ?, ?)
			ON CONFLICT (broadcast_id, status, reason) DO UPDATE SET n = delivery_counts.n + excluded.n`),
			id, k[0], k[1], counts[k]); err != nil {
			return fmt.Errorf("count deliveries of broadcast %d: %w", id, err)
		}
	}
	return nil
}

// FinishBroadcast ends a sending broadcast whose rows are all done, with
// its final status from the counters; a cancelled one only gets its
// finish time. ECONFLICT while rows are pending, ENOTFOUND.
func (db *DB) FinishBroadcast(ctx context.Context, id int64) (*segmentbot.Broadcast, error) {
	return db.changeBroadcast(ctx, id, func(tx *sqlx.Tx, b *segmentbot.Broadcast) error {
		if err := db.fillCounts(ctx, tx, b); err != nil {
			return err
		}
		if b.FinishedAt != nil {
			return nil
		}
		switch b.Status {
		case segmentbot.BroadcastCancelled:
		case segmentbot.BroadcastSending:
			if b.Pending > 0 {
				return segmentbot.Errorf(segmentbot.ECONFLICT, "Broadcast %d still has %d recipients pending.", id, b.Pending)
			}
			b.Status = segmentbot.BroadcastSent
			if b.Failed > 0 && b.Sent == 0 {
				b.Status = segmentbot.BroadcastFailed
			} else if b.Failed > 0 {
				b.Status = segmentbot.BroadcastSentWithErrors
			}
		default:
			return segmentbot.Errorf(segmentbot.ECONFLICT, "Broadcast %d is %s, not sending.", id, b.Status)
		}
		now := db.now()
		b.FinishedAt = &now
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ?`),
			b.Status, now, id); err != nil {
			return fmt.Errorf("finish broadcast %d: %w", id, err)
		}
		return nil
	})
}

// MarkBroadcastReported records that the final report was delivered.
func (db *DB) MarkBroadcastReported(ctx context.Context, id int64) error {
	return db.updateBroadcast(ctx, id, `UPDATE broadcasts SET reported_at = ? WHERE id = ?`, db.now(), id)
}

// SetBroadcastMessage records the channel message id of the progress card.
func (db *DB) SetBroadcastMessage(ctx context.Context, id int64, messageID string) error {
	return db.updateBroadcast(ctx, id, `UPDATE broadcasts SET progress_msg = ? WHERE id = ?`, messageID, id)
}

// updateBroadcast runs an UPDATE of broadcast id; ENOTFOUND when it
// changed nothing.
func (db *DB) updateBroadcast(ctx context.Context, id int64, query string, args ...any) error {
	res, err := db.db.ExecContext(ctx, db.db.Rebind(query), args...)
	if err != nil {
		return fmt.Errorf("update broadcast %d: %w", id, err)
	}
	if ok, err := changed(res); err != nil || ok {
		return err
	}
	return segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no broadcast %d.", id)
}

// EachDelivery streams the broadcast's rows in user id order with the
// user's name and email, a page at a time. ENOTFOUND for no broadcast.
func (db *DB) EachDelivery(ctx context.Context, id int64, fn func(*segmentbot.Delivery) error) error {
	if _, err := getBroadcast(ctx, db.read, id, `SELECT `+broadcastColumns+` FROM broadcasts WHERE id = ?`, id); err != nil {
		return err
	}
	var after int64
	for {
		var page []*segmentbot.Delivery
		err := db.read.SelectContext(ctx, &page, db.read.Rebind(`
			SELECT d.broadcast_id, d.user_id, COALESCE(u.name, '') AS name, COALESCE(u.email, '') AS email,
				d.status, d.reason, d.attempts, d.sent_at
			FROM deliveries d LEFT JOIN users u ON u.id = d.user_id
			WHERE d.broadcast_id = ? AND d.user_id > ? ORDER BY d.user_id LIMIT ?`), id, after, deliveryPage)
		if err != nil {
			return fmt.Errorf("deliveries of broadcast %d: %w", id, err)
		}
		for _, d := range page {
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(page) < deliveryPage {
			return nil
		}
		after = page[len(page)-1].UserID
	}
}

// ExpirePlaceholders marks scheduled broadcasts without a message whose
// time is at or before now past, and returns how many.
func (db *DB) ExpirePlaceholders(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.db.ExecContext(ctx, db.db.Rebind(`
		UPDATE broadcasts SET status = ? WHERE status = 'scheduled' AND message IS NULL AND scheduled_at <= ?`),
		segmentbot.BroadcastPast, now.UTC())
	if err != nil {
		return 0, fmt.Errorf("expire placeholders: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("expire placeholders: %w", err)
	}
	return n, nil
}
