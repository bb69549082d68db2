package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/segmentbot/segmentbot"
)

// memberPage is how many members EachMember reads per query. Reading in
// pages keeps no connection busy while fn runs, so fn may use the store
// even on SQLite's single connection.
const memberPage = 1000

// Join adds userID to the segment and clears its opt-out. It reports
// whether the user was not a member before. A source that is not the
// user's own act (segmentbot.ByUser) cannot join a user who opted out of
// the segment or of everything: ErrOptedOut, and nothing changes. Every call logs a join event,
// even when the user was a member already: the log records each action,
// and the newest event is the state. It records the Once of ctx, if any,
// in the same transaction (ErrRepeated if it was recorded before).
// ENOTFOUND for a missing segment or user.
func (db *DB) Join(ctx context.Context, segmentID, userID int64, source string, actorID int64) (bool, error) {
	once := segmentbot.OnceFrom(ctx)
	if db.dialect == postgres {
		return db.callMembership(ctx, once, segmentID, userID, `SELECT membership_join($1, $2, $3, $4, $5, $6, $7)`,
			segmentID, userID, source, actorID, db.now())
	}
	var joined bool
	err := db.changeMembership(ctx, once, segmentID, userID, func(tx *sqlx.Tx, now time.Time) error {
		if !segmentbot.ByUser(source) {
			if err := refuseOptedOut(ctx, tx, segmentID, userID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM opt_outs WHERE segment_id = ? AND user_id = ?`), segmentID, userID); err != nil {
			return fmt.Errorf("clear opt-out: %w", err)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO memberships (segment_id, user_id, source, joined_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (segment_id, user_id) DO NOTHING`), segmentID, userID, source, now)
		if err != nil {
			return fmt.Errorf("join segment %d: %w", segmentID, err)
		}
		if joined, err = changed(res); err != nil {
			return err
		}
		return logEvent(ctx, tx, segmentID, userID, segmentbot.ActionJoin, source, actorID, now)
	})
	return joined, err
}

// Leave removes userID from the segment; with optOut it also records a
// sticky opt-out that later imports respect. It reports whether the user
// was a member. Every call logs a leave event and records the Once of ctx,
// as Join does. ENOTFOUND for a missing segment or user.
func (db *DB) Leave(ctx context.Context, segmentID, userID int64, source string, actorID int64, optOut bool) (bool, error) {
	once := segmentbot.OnceFrom(ctx)
	if db.dialect == postgres {
		return db.callMembership(ctx, once, segmentID, userID, `SELECT membership_leave($1, $2, $3, $4, $5, $6, $7, $8)`,
			segmentID, userID, source, actorID, optOut, db.now())
	}
	var left bool
	err := db.changeMembership(ctx, once, segmentID, userID, func(tx *sqlx.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM memberships WHERE segment_id = ? AND user_id = ?`), segmentID, userID)
		if err != nil {
			return fmt.Errorf("leave segment %d: %w", segmentID, err)
		}
		if left, err = changed(res); err != nil {
			return err
		}
		if optOut {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`
				INSERT INTO opt_outs (segment_id, user_id, source, created_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (segment_id, user_id) DO NOTHING`), segmentID, userID, source, now); err != nil {
				return fmt.Errorf("record opt-out: %w", err)
			}
		}
		return logEvent(ctx, tx, segmentID, userID, segmentbot.ActionLeave, source, actorID, now)
	})
	return left, err
}

// callMembership runs membership_join or membership_leave (see the
// PostgreSQL schema): the whole change, with once's activity, in one round
// trip, serialised per user by a row lock inside the function.
func (db *DB) callMembership(ctx context.Context, once *segmentbot.Once, segmentID, userID int64, query string, args ...any) (bool, error) {
	stmt, err := db.prepared(ctx, query)
	if err != nil {
		return false, err
	}
	if once != nil {
		args = append(args, once.Channel, once.ID)
	} else {
		args = append(args, "", "")
	}
	var result int
	err = stmt.QueryRowContext(ctx, args...).Scan(&result)
	if err == nil && result >= 0 && once != nil {
		once.Take()
	}
	switch {
	case isForeignKeyViolation(err):
		// The segment was deleted while the change waited for its lock.
		return false, segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no segment %d.", segmentID)
	case err != nil:
		return false, fmt.Errorf("change membership of user %d in segment %d: %w", userID, segmentID, err)
	case result == -1:
		return false, segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no user %d.", userID)
	case result == -2:
		return false, segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no segment %d.", segmentID)
	case result == -3:
		return false, segmentbot.ErrRepeated
	case result == -4:
		return false, segmentbot.ErrOptedOut
	}
	return result > 0, nil
}

// changeMembership runs a SQLite membership change: fn in a transaction
// that holds the user's lock and has recorded once's activity, which is
// marked taken when the transaction committed. ENOTFOUND for a missing
// segment or user.
func (db *DB) changeMembership(ctx context.Context, once *segmentbot.Once, segmentID, userID int64, fn func(tx *sqlx.Tx, now time.Time) error) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.lockMembership(ctx, tx, segmentID, userID); err != nil {
			return err
		}
		now := db.now()
		if err := recordOnce(ctx, tx, once, now); err != nil {
			return err
		}
		return fn(tx, now)
	})
	if err == nil && once != nil {
		once.Take()
	}
	return err
}

// recordOnce records once's activity as processed in tx (nothing for a
// nil once): ErrRepeated when it was recorded before. The caller's commit
// makes it so; the Once is marked taken once that commit succeeded.
func recordOnce(ctx context.Context, tx *sqlx.Tx, once *segmentbot.Once, now time.Time) error {
	if once == nil {
		return nil
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO processed_activities (channel, id, state, started_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (channel, id) DO NOTHING`), once.Channel, once.ID, activityDone, now)
	if err != nil {
		return fmt.Errorf("record activity %s/%s: %w", once.Channel, once.ID, err)
	}
	if fresh, err := changed(res); err != nil {
		return err
	} else if !fresh {
		return segmentbot.ErrRepeated
	}
	return nil
}

// OptOutAll removes userID from every segment it is in, with a sticky
// opt-out for each, records the global opt-out that every admin path
// respects (see global_opt_outs), and returns the segments left (member
// counts without the user). ENOTFOUND for a missing user.
func (db *DB) OptOutAll(ctx context.Context, userID int64, source string) ([]*segmentbot.Segment, error) {
	var left []*segmentbot.Segment
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.lockMembership(ctx, tx, 0, userID); err != nil {
			return err
		}
		var err error
		if left, err = findSegments(ctx, tx, "s.id IN (SELECT segment_id FROM memberships WHERE user_id = ?) ORDER BY s.id", userID); err != nil {
			return err
		}
		now := db.now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO global_opt_outs (user_id, source, created_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO NOTHING`), userID, source, now); err != nil {
			return fmt.Errorf("record global opt-out: %w", err)
		}
		for _, q := range []string{
			`INSERT INTO opt_outs (segment_id, user_id, source, created_at)
			SELECT segment_id, user_id, ?, ? FROM memberships WHERE user_id = ?
			ON CONFLICT (segment_id, user_id) DO NOTHING`,
			`INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at)
			SELECT segment_id, user_id, '` + segmentbot.ActionLeave + `', ?, user_id, ? FROM memberships WHERE user_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), source, now, userID); err != nil {
				return fmt.Errorf("opt out of all segments: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM memberships WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("opt out of all segments: %w", err)
		}
		for _, seg := range left {
			seg.Members--
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return left, nil
}

// IsOptedOut reports whether userID opted out of the segment.
func (db *DB) IsOptedOut(ctx context.Context, segmentID, userID int64) (bool, error) {
	return db.exists(ctx, `SELECT 1 FROM opt_outs WHERE segment_id = ? AND user_id = ?`, segmentID, userID)
}

// IsMember reports whether userID is in the segment.
func (db *DB) IsMember(ctx context.Context, segmentID, userID int64) (bool, error) {
	return db.exists(ctx, `SELECT 1 FROM memberships WHERE segment_id = ? AND user_id = ?`, segmentID, userID)
}

// FindMembers returns one page of members ordered by user id.
func (db *DB) FindMembers(ctx context.Context, segmentID int64, p segmentbot.Page) ([]*segmentbot.Member, error) {
	var members []*segmentbot.Member
	// u.id > ? repeats the cursor for the planner: without it PostgreSQL
	// merge-joins from the first user on every page, so a long export
	// grows with the square of its size.
	err := db.read.SelectContext(ctx, &members, db.read.Rebind(`
		SELECT m.segment_id, m.user_id, u.name, CASE WHEN u.email <> '' THEN u.email ELSE u.upn END AS email,
			m.source, m.joined_at, u.channel, u.external_id AS channel_id
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.segment_id = ? AND m.user_id > ? AND u.id > ?
		ORDER BY m.user_id LIMIT ?`), segmentID, p.After, p.After, pageLimit(p.Limit))
	if err != nil {
		return nil, fmt.Errorf("find members of segment %d: %w", segmentID, err)
	}
	return members, nil
}

// EachMember calls fn for every member in user id order, reading page by
// page; it stops at fn's first error and returns it.
func (db *DB) EachMember(ctx context.Context, segmentID int64, fn func(*segmentbot.Member) error) error {
	p := segmentbot.Page{Limit: memberPage}
	for {
		members, err := db.FindMembers(ctx, segmentID, p)
		if err != nil {
			return err
		}
		for _, m := range members {
			if err := fn(m); err != nil {
				return err
			}
		}
		if len(members) < p.Limit {
			return nil
		}
		p.After = members[len(members)-1].UserID
	}
}

// FindEvents returns the log for (segment, user) in order; 0 means any.
func (db *DB) FindEvents(ctx context.Context, segmentID, userID int64) ([]*segmentbot.MembershipEvent, error) {
	var events []*segmentbot.MembershipEvent
	err := db.read.SelectContext(ctx, &events, db.read.Rebind(`
		SELECT id, segment_id, user_id, action, source, actor_id, at, import_id FROM membership_events
		WHERE (? = 0 OR segment_id = ?) AND (? = 0 OR user_id = ?) ORDER BY id`),
		segmentID, segmentID, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("find membership events: %w", err)
	}
	return events, nil
}

// lockMembership checks that the segment (unless 0) and the user exist and
// holds the user's row until commit: changes of one user's memberships run
// one after the other, so the newest event logged is always the state.
func (db *DB) lockMembership(ctx context.Context, tx *sqlx.Tx, segmentID, userID int64) error {
	var found []bool
	err := tx.SelectContext(ctx, &found, tx.Rebind(`
		SELECT EXISTS (SELECT 1 FROM segments WHERE id = ?) FROM users WHERE id = ?`+db.dialect.lockRow),
		segmentID, userID)
	if err != nil {
		return fmt.Errorf("lock user %d: %w", userID, err)
	} else if len(found) == 0 {
		return segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no user %d.", userID)
	} else if segmentID != 0 && !found[0] {
		return segmentbot.Errorf(segmentbot.ENOTFOUND, "There is no segment %d.", segmentID)
	}
	return nil
}

func logEvent(ctx context.Context, tx *sqlx.Tx, segmentID, userID int64, action, source string, actorID int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO membership_events (segment_id, user_id, action, source, actor_id, at) VALUES (?, ?, ?, ?, ?, ?)`),
		segmentID, userID, action, source, actorID, at)
	if err != nil {
		return fmt.Errorf("log %s of user %d in segment %d: %w", action, userID, segmentID, err)
	}
	return nil
}

// changed reports whether a statement touched a row.
func changed(res interface{ RowsAffected() (int64, error) }) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("rows affected: %w", err)
	}
	return n > 0, nil
}

func (db *DB) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var found []int
	if err := db.read.SelectContext(ctx, &found, db.read.Rebind(query+" LIMIT 1"), args...); err != nil {
		return false, fmt.Errorf("exists: %w", err)
	}
	return len(found) > 0, nil
}

// statements holds the statements prepared for the tap path, by pool and
// query. A prepared statement runs in one round trip; lib/pq sends an
// unprepared query with parameters in two (parse, then bind and execute).
var statements sync.Map // statementKey -> *sql.Stmt

type statementKey struct {
	pool  *sqlx.DB
	query string
}

// prepared returns query prepared on the write pool, preparing it once.
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	key := statementKey{db.db, query}
	if stmt, ok := statements.Load(key); ok {
		return stmt.(*sql.Stmt), nil
	}
	stmt, err := db.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", query, err)
	}
	if prev, loaded := statements.LoadOrStore(key, stmt); loaded {
		stmt.Close()
		return prev.(*sql.Stmt), nil
	}
	return stmt, nil
}

// isForeignKeyViolation reports whether err is PostgreSQL's
// foreign_key_violation.
func isForeignKeyViolation(err error) bool {
	var e *pq.Error
	return errors.As(err, &e) && e.Code == "23503"
}
